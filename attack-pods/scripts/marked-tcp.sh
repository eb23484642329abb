# One TCP connection to TARGET_HOST:TARGET_PORT from a socket carrying SO_MARK=SOCKET_MARK, set BEFORE connect
# so the SYN already carries it (socat's setsockopt-int is applied after connect: too late for nat/TPROXY rules).
# Sends the canary as a line, or with HTTP_PATH an HTTP/1.0 request (canary in a header) whose answer is read
# like curl's. Setting SO_MARK needs CAP_NET_ADMIN, or since Linux 5.17 CAP_NET_RAW: refused → permission-denied.
# Signals: a reply → connected (HTTP: http-ok, http-403…); reset/closed without a reply → reset; no reply
# within the request budget → timeout; connect failures as for nc.
bm_require TARGET_HOST TARGET_PORT CANARY SOCKET_MARK
if [ -n "${HTTP_PATH:-}" ]; then
  bm_payload=$(printf 'GET %s HTTP/1.0\r\nHost: %s\r\nX-Breachmatrix-Canary: %s\r\n\r\n' "$HTTP_PATH" "${HTTP_HOST:-$TARGET_HOST}" "$CANARY")
else
  bm_payload=$CANARY
fi

# bm_socat OPTION → BM_SOCAT_OUT. socat >= 1.8 has setsockopt-socket (right after socket());
# 1.7.x applies setsockopt-listen at PREBIND, which client sockets pass through too. The peer's bytes are
# prefixed `R ` line by line (a reply without a final newline would otherwise run into socat's next log line);
# socat's log goes through fd 3 unprefixed, its exit status as `X <code>`.
bm_socat() {
  BM_SOCAT_OUT=$(
    {
      {
        printf '%s\n' "$bm_payload" | socat -d -d -T "$BM_REQUEST_TIMEOUT" -t "$BM_REQUEST_TIMEOUT" - \
          "TCP:$TARGET_HOST:$TARGET_PORT,connect-timeout=$BM_CONNECT_TIMEOUT,$1=1:36:$SOCKET_MARK" 2>&3
        printf 'X %s\n' "$?" >&3
      } | while IFS= read -r bm_r || [ -n "$bm_r" ]; do printf 'R %s\n' "$bm_r"; done
    } 3>&1
  )
}
bm_opt=setsockopt-socket
bm_socat "$bm_opt"
case $BM_SOCAT_OUT in
  *'unknown option "setsockopt-socket"'*)
    bm_opt=setsockopt-listen
    bm_socat "$bm_opt"
    ;;
esac

BM_SOCAT_EXIT=1
bm_connected=0
bm_reset=0
bm_idle=0
bm_error=''
bm_reply=''
bm_first=''
while IFS= read -r bm_l; do
  case $bm_l in
    'R '*)
      bm_l=${bm_l#R }
      bm_l=${bm_l%"$BM_CR"}
      if [ -z "$bm_first" ]; then bm_first=$bm_l; fi
      bm_reply="$bm_reply$bm_l$BM_NL"
      ;;
    'X '*) BM_SOCAT_EXIT=${bm_l#X } ;;
    *'starting data transfer loop'*) bm_connected=1 ;;
    *'Connection reset by peer'*) bm_reset=1 ;;
    *'inactivity timeout triggered'*) bm_idle=1 ;;
    *' socat['*'] E '*) bm_error=${bm_error:-${bm_l#*'] E '}} ;;
  esac
done <<BM_END
$BM_SOCAT_OUT
BM_END

if [ "$bm_connected" -eq 0 ]; then
  bm_nc_failure_signal "$bm_error"
  bm_finish "$BM_SIGNAL" "$BM_SOCAT_EXIT" "${bm_error:-socat exit $BM_SOCAT_EXIT}" mark "$SOCKET_MARK" sockopt "$bm_opt" \
    target "$TARGET_HOST:$TARGET_PORT"
fi
if [ -n "$bm_first" ]; then
  case $bm_first in
    'HTTP/'*)
      # curl's mapping decides: status and body (Envoy's and Cilium's 403s, 502, Envoy's upstream 503).
      bm_status=${bm_first#* }
      BM_HTTP_CODE=${bm_status%% *}
      BM_HTTP_BODY=${bm_reply#*"$BM_NL$BM_NL"}
      BM_CURL_EXIT=0
      bm_curl_signal
      bm_detail="HTTP $BM_HTTP_CODE: ${BM_HTTP_BODY%%"$BM_NL"*}"
      ;;
    *)
      BM_SIGNAL=connected
      BM_HTTP_CODE=0
      bm_detail=$bm_first
      ;;
  esac
  bm_finish "$BM_SIGNAL" 0 "$bm_detail" mark "$SOCKET_MARK" sockopt "$bm_opt" http_code "$BM_HTTP_CODE" \
    target "$TARGET_HOST:$TARGET_PORT"
fi
if [ "$bm_idle" -eq 1 ] && [ "$bm_reset" -eq 0 ]; then
  bm_finish timeout 0 "connected, no reply within ${BM_REQUEST_TIMEOUT}s" mark "$SOCKET_MARK" sockopt "$bm_opt" \
    target "$TARGET_HOST:$TARGET_PORT"
fi
if [ "$bm_reset" -eq 1 ]; then bm_detail='connected, then reset by peer'; else bm_detail='connected, then closed without a reply'; fi
bm_finish reset 0 "$bm_detail" mark "$SOCKET_MARK" sockopt "$bm_opt" target "$TARGET_HOST:$TARGET_PORT"
