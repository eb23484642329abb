# DNS straight to SINK_IP:DNS_PORT (default 53), skipping cluster DNS, over UDP then TCP; each is reported.
bm_require SINK_IP CANARY DNS_ZONE
bm_port=${DNS_PORT:-53}
bm_dig @"$SINK_IP" -p "$bm_port" +notcp TXT "$CANARY.$DNS_ZONE"
bm_udp=$BM_SIGNAL
bm_dig_detail
bm_udp_detail=$BM_DETAIL
bm_dig @"$SINK_IP" -p "$bm_port" +tcp TXT "$CANARY.$DNS_ZONE"
bm_tcp_sig=$BM_SIGNAL
bm_dig_detail
bm_summary="udp: $bm_udp_detail; tcp: $BM_DETAIL"
if [ "$bm_udp" = delivered ] || [ "$bm_tcp_sig" = delivered ]; then
  bm_finish delivered 0 "$bm_summary" udp "$bm_udp" tcp "$bm_tcp_sig"
fi
bm_finish "$bm_udp" "$BM_DIG_EXIT" "$bm_summary" udp "$bm_udp" tcp "$bm_tcp_sig"
