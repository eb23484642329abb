# HTTP request to TARGET_URL; the canary travels in a header as well as wherever the caller put it in the URL.
# Env: TARGET_URL, CANARY; optional METHOD, HOST_HEADER, RESOLVE (curl --resolve host:port:addr), INSECURE=1.
bm_require TARGET_URL CANARY
set -- -X "${METHOD:-GET}" -H "X-Breachmatrix-Canary: $CANARY"
if [ -n "${HOST_HEADER:-}" ]; then set -- "$@" -H "Host: $HOST_HEADER"; fi
if [ -n "${RESOLVE:-}" ]; then set -- "$@" --resolve "$RESOLVE"; fi
if [ "${INSECURE:-0}" = 1 ]; then set -- "$@" -k; fi
bm_http "$TARGET_URL" "$@"
bm_curl_signal
bm_http_detail
bm_finish "$BM_SIGNAL" "$BM_CURL_EXIT" "$BM_DETAIL" http_code "$BM_HTTP_CODE" url "$TARGET_URL"
