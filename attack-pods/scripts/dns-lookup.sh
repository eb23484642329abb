# Resolve QUERY_NAME (type QUERY_TYPE, default A) through the pod's resolver: the positive control that the
# attacker reaches something it IS permitted (cluster DNS). `delivered` only with at least one answer.
# QUERY_TCP=1 asks over TCP (a TCP control from the attacker's own pod: its one permitted TCP destination).
bm_require QUERY_NAME
if [ "${QUERY_TCP:-0}" = 1 ]; then set -- +tcp; else set --; fi
bm_dig $BM_DNS_SERVER "$@" "${QUERY_TYPE:-A}" "$QUERY_NAME"
bm_dig_detail
if [ "$BM_SIGNAL" = delivered ] && [ "$BM_DNS_ANSWERS" -eq 0 ]; then
  bm_finish nxdomain "$BM_DIG_EXIT" "$BM_DETAIL (no data)" name "$QUERY_NAME" answers 0
fi
bm_finish "$BM_SIGNAL" "$BM_DIG_EXIT" "$BM_DETAIL" name "$QUERY_NAME" answers "$BM_DNS_ANSWERS"
