# Remove the pod's traffic capture, then HTTP to TARGET_URL. For each backend (iptables-nft, then
# iptables-legacy: Istio may have used either) and each table in FLUSH_TABLES (default `nat`), flush
# FLUSH_CHAIN (default: every chain). Without NET_ADMIN every flush fails: `permission-denied`.
bm_require TARGET_URL CANARY
bm_flushed=''
bm_denied=''
bm_other=''
for bm_backend in iptables-nft iptables-legacy; do
  for bm_table in ${FLUSH_TABLES:-nat}; do
    if [ -n "${FLUSH_CHAIN:-}" ]; then
      bm_out=$("$bm_backend" -w 2 -t "$bm_table" -F "$FLUSH_CHAIN" 2>&1)
    else
      bm_out=$("$bm_backend" -w 2 -t "$bm_table" -F 2>&1)
    fi
    bm_rc=$?
    if [ "$bm_rc" -eq 0 ]; then
      bm_flushed="$bm_flushed $bm_backend/$bm_table"
    else
      case $bm_out in
        *'Permission denied'* | *'Operation not permitted'*) bm_denied="$bm_denied $bm_backend/$bm_table" ;;
        *) bm_other="$bm_other $bm_backend/$bm_table(rc=$bm_rc)" ;;
      esac
    fi
  done
done
if [ -z "$bm_flushed" ]; then
  if [ -n "$bm_denied" ]; then
    bm_finish permission-denied 1 "iptables refused:$bm_denied" denied "${bm_denied# }" failed "${bm_other# }"
  fi
  bm_finish error 1 "no backend could flush:$bm_other" failed "${bm_other# }"
fi
bm_http "$TARGET_URL" -H "X-Breachmatrix-Canary: $CANARY"
bm_curl_signal
bm_http_detail
bm_finish "$BM_SIGNAL" "$BM_CURL_EXIT" "$BM_DETAIL" flushed "${bm_flushed# }" denied "${bm_denied# }" \
  http_code "$BM_HTTP_CODE"
