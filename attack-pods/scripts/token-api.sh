# Read the mounted service-account token and call the Kubernetes API with it: API_URL + API_PATH, GET unless
# API_METHOD says otherwise (with API_BODY as the JSON body, e.g. a server-side dry-run create).
# 200 = the token could read, 201 = the API server would create the object (every admission step passed); 403 from
# the API server = RBAC stopped it (`http-403`, layer api), unless the body names an admission webhook, a
# ValidatingAdmissionPolicy or an admission plugin (DenyServiceExternalIPs), like a 422 naming one (`admission-denied`); no token mounted = `permission-denied`.
# The token itself is never printed.
bm_require API_URL API_PATH
bm_file=${TOKEN_FILE:-/var/run/secrets/kubernetes.io/serviceaccount/token}
bm_token=''
if [ -r "$bm_file" ]; then
  IFS= read -r bm_token <"$bm_file" || true
fi
if [ -z "$bm_token" ]; then bm_finish permission-denied 1 "no service-account token at $bm_file"; fi
bm_method=${API_METHOD:-GET}
if [ -n "${API_BODY:-}" ]; then
  bm_http "$API_URL$API_PATH" -k -X "$bm_method" -H "Authorization: Bearer $bm_token" -H "Accept: application/json" \
    -H "Content-Type: application/json" --data-raw "$API_BODY"
else
  bm_http "$API_URL$API_PATH" -k -X "$bm_method" -H "Authorization: Bearer $bm_token" -H "Accept: application/json"
fi
bm_curl_signal
bm_http_detail
if [ "$BM_CURL_EXIT" -eq 0 ]; then
  case $BM_HTTP_CODE in
    403 | 422)
      case $BM_HTTP_BODY in
        *'admission webhook'* | *'ValidatingAdmissionPolicy'* | *'denied by admission control'*) bm_finish admission-denied 0 "admission: $BM_DETAIL" http_code "$BM_HTTP_CODE" ;;
      esac
      ;;
  esac
  case $BM_HTTP_CODE in
    200) bm_finish http-ok 0 "the token read $API_PATH" http_code 200 ;;
    201) bm_finish http-ok 0 "the API server accepted $bm_method $API_PATH" http_code 201 ;;
    403) bm_finish http-403 0 "Kubernetes RBAC: $BM_DETAIL" http_code 403 ;;
    401) bm_finish error 0 "the API server rejected the token (401)" http_code 401 ;;
  esac
fi
bm_finish "$BM_SIGNAL" "$BM_CURL_EXIT" "$BM_DETAIL" http_code "$BM_HTTP_CODE"
