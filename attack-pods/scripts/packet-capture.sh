# EV1/EV2: capture TCP packets to and from CAPTURE_HOST on every interface of this (host) network namespace for
# CAPTURE_SECONDS and report what was seen: the number of packets, whether this run's CANARY appeared in a payload
# in plaintext, and the flows as `peer>CAPTURE_HOST.port` (the capture host's side keeps its port, so HBONE on 15008
# and the application port are told apart). Needs CAP_NET_RAW (tcpdump). With SELF_SEND=1 (the positive control)
# the script also sends its own CANARY in plaintext over TCP to CAPTURE_HOST:SELF_PORT and passes only when the
# capture saw it: the sniffer sees that destination's traffic from where it sits.
bm_require CAPTURE_HOST CAPTURE_SECONDS CANARY
if [ "${SELF_SEND:-0}" = 1 ]; then bm_require SELF_PORT; fi
# One command substitution, no temporary file: tcpdump's packets and its closing statistics (stderr), then the
# control's own send result as a `BM-SEND` line (it never contains the canary).
bm_pcap_text=$(
  timeout "$CAPTURE_SECONDS" tcpdump -i any -nn -l -A -s 0 -Z root "tcp and host $CAPTURE_HOST" 2>&1 &
  bm_pcap_pid=$!
  if [ "${SELF_SEND:-0}" = 1 ]; then
    # Give tcpdump time to open its socket before the canary leaves.
    sleep 1
    bm_tcp "$CAPTURE_HOST" "$SELF_PORT" "GET /?c=$CANARY HTTP/1.0"
    printf 'BM-SEND %s\n' "$BM_SIGNAL"
  fi
  wait "$bm_pcap_pid"
)
# One pass over the lines, each matched only against short, anchored patterns: a glob with several `*` over
# the whole capture (or over long binary payload lines) is quadratic in sh and overran the script's deadline.
bm_count=''
bm_send=''
bm_failure=''
bm_seen=0
bm_flows=' '
while IFS= read -r bm_l; do
  case $bm_l in
    *"$CANARY"*) bm_seen=1 ;;
  esac
  case $bm_l in
    [0-9][0-9]:[0-9][0-9]:[0-9][0-9].*) ;;
    'BM-SEND '*) bm_send=${bm_l#BM-SEND }; continue ;;
    [0-9]*' packets captured') bm_count=${bm_l%% *}; continue ;;
    'tcpdump: '*) bm_failure=${bm_failure:-$bm_l}; continue ;;
    *) continue ;;
  esac
  bm_pair=${bm_l#*' IP '}
  if [ "$bm_pair" = "$bm_l" ]; then continue; fi
  bm_pair=${bm_pair%%: *}
  bm_src=${bm_pair%% > *}
  bm_dst=${bm_pair#* > }
  if [ "$bm_src" = "$bm_pair" ]; then continue; fi
  if [ "${bm_src%.*}" = "$CAPTURE_HOST" ]; then bm_flow="${bm_dst%.*}>$bm_src"; else bm_flow="${bm_src%.*}>$bm_dst"; fi
  case $bm_flows in
    *" $bm_flow "*) ;;
    *) bm_flows="$bm_flows$bm_flow " ;;
  esac
done <<EOF2
$bm_pcap_text
EOF2
if [ -z "$bm_count" ]; then
  case $bm_failure in
    *'Operation not permitted'* | *'ermission denied'* | *"have permission"*) bm_finish permission-denied 1 "tcpdump could not capture (CAP_NET_RAW needed)" ;;
  esac
  bm_finish error 1 "tcpdump did not run: ${bm_failure:-no statistics line}"
fi
bm_flows=${bm_flows# }
bm_flows=${bm_flows% }
if [ "${SELF_SEND:-0}" = 1 ]; then
  if [ "$bm_seen" = 1 ]; then bm_finish delivered 0 "captured its own plaintext canary to $CAPTURE_HOST:$SELF_PORT" packets "$bm_count" canary_seen 1 flows "$bm_flows"; fi
  bm_finish timeout 1 "the capture did not see its own canary to $CAPTURE_HOST:$SELF_PORT ($bm_count packets; send: $bm_send)" packets "$bm_count" canary_seen 0 flows "$bm_flows"
fi
bm_finish delivered 0 "$bm_count packets to or from $CAPTURE_HOST captured in ${CAPTURE_SECONDS}s" packets "$bm_count" canary_seen "$bm_seen" flows "$bm_flows"
