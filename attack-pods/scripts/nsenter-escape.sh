# With hostPID and privileges: enter PID 1's network namespace (the node's) and HTTP to TARGET_URL from there.
# If PID 1 shares this pod's network namespace (no hostPID) or nsenter is refused: `permission-denied`.
bm_require TARGET_URL CANARY
bm_target=${NSENTER_TARGET:-1}
if [ /proc/"$bm_target"/ns/net -ef /proc/self/ns/net ]; then
  bm_finish permission-denied 1 "pid $bm_target shares this pod's network namespace (no hostPID)"
fi
bm_out=$(nsenter -t "$bm_target" -n -- ip -o link show lo 2>&1)
bm_rc=$?
if [ "$bm_rc" -ne 0 ]; then
  case $bm_out in
    *'Permission denied'* | *'Operation not permitted'* | *'No such file'*)
      bm_finish permission-denied "$bm_rc" "nsenter: ${bm_out%%"$BM_NL"*}" ;;
  esac
  bm_finish error "$bm_rc" "nsenter: ${bm_out%%"$BM_NL"*}"
fi
BM_PREFIX="nsenter -t $bm_target -n --"
bm_http "$TARGET_URL" -H "X-Breachmatrix-Canary: $CANARY"
bm_curl_signal
bm_http_detail
bm_finish "$BM_SIGNAL" "$BM_CURL_EXIT" "from pid $bm_target's network namespace: $BM_DETAIL" http_code "$BM_HTTP_CODE"
