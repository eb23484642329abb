# Send TARGET_URL a request carrying forged headers and read back what the workload received (the workload server
# echoes every request header as a line `header <lower-case name>: <value>`).
# Env: TARGET_URL, CANARY, FORGED_HEADERS (one `Name: value` per line), WATCH_HEADER (lower-case name),
# WATCH_VALUE (the forged text to look for); optional HOST_HEADER.
# `http-ok` when a WATCH_HEADER line holds WATCH_VALUE (the forgery reached the workload); `header-stripped` when the
# workload answered without it (a proxy removed or replaced the header; the detail says what arrived instead); a
# block signal when the request itself was refused; `error` when the answer is not the workload's echo.
bm_require TARGET_URL CANARY FORGED_HEADERS WATCH_HEADER WATCH_VALUE
set -- -H "X-Breachmatrix-Canary: $CANARY"
if [ -n "${HOST_HEADER:-}" ]; then set -- "$@" -H "Host: $HOST_HEADER"; fi
while IFS= read -r bm_header; do
  if [ -n "$bm_header" ]; then set -- "$@" -H "$bm_header"; fi
done <<EOF
$FORGED_HEADERS
EOF
bm_http "$TARGET_URL" "$@"
bm_curl_signal
if [ "$BM_SIGNAL" != http-ok ]; then
  bm_http_detail
  bm_finish "$BM_SIGNAL" "$BM_CURL_EXIT" "$BM_DETAIL" http_code "$BM_HTTP_CODE" url "$TARGET_URL"
fi
case $BM_HTTP_BODY in
  workload=*) ;;
  *) bm_finish error 1 "HTTP $BM_HTTP_CODE, not the workload's echo: ${BM_HTTP_BODY%%"$BM_NL"*}" http_code "$BM_HTTP_CODE" url "$TARGET_URL" ;;
esac
bm_seen=''
bm_arrived=''
while IFS= read -r bm_line; do
  case $bm_line in
    "header $WATCH_HEADER: "*)
      bm_value=${bm_line#"header $WATCH_HEADER: "}
      bm_arrived=${bm_arrived:+$bm_arrived | }$bm_value
      case $bm_value in *"$WATCH_VALUE"*) bm_seen=1 ;; esac
      ;;
  esac
done <<EOF
$BM_HTTP_BODY
EOF
if [ -n "$bm_seen" ]; then
  bm_finish http-ok 0 "the workload received the $WATCH_HEADER value sent" http_code "$BM_HTTP_CODE" received "$bm_arrived" url "$TARGET_URL"
fi
bm_finish header-stripped 1 "the workload answered without the $WATCH_HEADER value sent" http_code "$BM_HTTP_CODE" received "${bm_arrived:-(none)}" url "$TARGET_URL"
