# breachmatrix attack script library (POSIX sh). Prepended to every script by attack-pods/script-loader.ts.
# Only sh builtins here: the attacker image and the lab have curl, nc, dig, ping, iptables, ip, nsenter and
# nothing else we may rely on (no sed, no cat, no date), so parsing is done with parameter expansion.
# Every script prints exactly ONE line `BM-RESULT {json}` via bm_finish and exits.

BM_NL='
'
BM_TAB=$(printf '\t')
BM_CR=$(printf '\r')
BM_CONNECT_TIMEOUT=${CONNECT_TIMEOUT:-2}
BM_REQUEST_TIMEOUT=${REQUEST_TIMEOUT:-4}
BM_DNS_TIMEOUT=${DNS_TIMEOUT:-2}
BM_DETAIL_MAX=300
# Optional resolver override (DNS_SERVER, DNS_SERVER_PORT) for scripts that otherwise use the pod's resolver.
BM_DNS_SERVER=''
if [ -n "${DNS_SERVER:-}" ]; then BM_DNS_SERVER="@$DNS_SERVER -p ${DNS_SERVER_PORT:-53}"; fi

# bm_json_escape STRING → BM_ESCAPED (JSON string body, at most BM_DETAIL_MAX characters).
bm_json_escape() {
  bm_s=$1
  BM_ESCAPED=''
  bm_n=0
  while [ -n "$bm_s" ] && [ "$bm_n" -lt "$BM_DETAIL_MAX" ]; do
    bm_rest=${bm_s#?}
    bm_c=${bm_s%"$bm_rest"}
    bm_s=$bm_rest
    bm_n=$((bm_n + 1))
    case $bm_c in
      '"') BM_ESCAPED="$BM_ESCAPED\\\"" ;;
      '\') BM_ESCAPED="$BM_ESCAPED\\\\" ;;
      "$BM_NL") BM_ESCAPED="$BM_ESCAPED\\n" ;;
      "$BM_TAB") BM_ESCAPED="$BM_ESCAPED\\t" ;;
      "$BM_CR") BM_ESCAPED="$BM_ESCAPED\\r" ;;
      [[:cntrl:]]) BM_ESCAPED="$BM_ESCAPED?" ;;
      *) BM_ESCAPED="$BM_ESCAPED$bm_c" ;;
    esac
  done
  if [ -n "$bm_s" ]; then BM_ESCAPED="$BM_ESCAPED..."; fi
}

# bm_finish SIGNAL EXIT DETAIL [KEY VALUE]... — prints the one result line and ends the script.
# Values made only of digits (no leading zero) become JSON numbers, everything else strings.
bm_finish() {
  bm_json_escape "$3"
  bm_line="{\"signal\":\"$1\",\"exit\":$2,\"detail\":\"$BM_ESCAPED\""
  shift 3
  while [ "$#" -ge 2 ]; do
    bm_json_escape "$1"
    bm_key=$BM_ESCAPED
    case $2 in
      '' | *[!0-9]* | 0?*)
        bm_json_escape "$2"
        bm_line="$bm_line,\"$bm_key\":\"$BM_ESCAPED\""
        ;;
      *) bm_line="$bm_line,\"$bm_key\":$2" ;;
    esac
    shift 2
  done
  printf '%s\n' "BM-RESULT $bm_line}"
  exit 0
}

# bm_require VAR... — a missing parameter is the harness's fault, reported as `error`.
bm_require() {
  for bm_var in "$@"; do
    eval "bm_val=\${$bm_var:-}"
    if [ -z "$bm_val" ]; then bm_finish error 2 "missing environment variable $bm_var"; fi
  done
}

# bm_http URL [CURL ARGS]... → BM_CURL_EXIT BM_HTTP_CODE BM_HTTP_BODY BM_CURL_ERR.
# BM_PREFIX (word-split on purpose) runs curl under another command, e.g. `nsenter -t 1 -n --`.
bm_http() {
  bm_url=$1
  shift
  # The -w trailer gives status and curl's own error text without a temp file (curl >= 7.75).
  BM_HTTP_OUT=$(${BM_PREFIX:-} curl -sS --connect-timeout "$BM_CONNECT_TIMEOUT" --max-time "$BM_REQUEST_TIMEOUT" \
    "$@" -w "$BM_NL%{http_code} %{errormsg}" "$bm_url" 2>/dev/null)
  BM_CURL_EXIT=$?
  bm_tail=${BM_HTTP_OUT##*"$BM_NL"}
  BM_HTTP_BODY=${BM_HTTP_OUT%"$BM_NL"*}
  if [ "$bm_tail" = "$BM_HTTP_OUT" ]; then BM_HTTP_BODY=''; fi
  BM_HTTP_CODE=${bm_tail%% *}
  BM_CURL_ERR=${bm_tail#"$BM_HTTP_CODE"}
  BM_CURL_ERR=${BM_CURL_ERR# }
  case $BM_HTTP_CODE in '' | *[!0-9]*) BM_HTTP_CODE=0 ;; esac
}

# bm_curl_signal → BM_SIGNAL from the last bm_http. Envoy and Cilium bodies tell their 403s apart.
bm_curl_signal() {
  case $BM_CURL_EXIT in
    0)
      case $BM_HTTP_CODE in
        403)
          case $BM_HTTP_BODY in
            *'RBAC: access denied'*) BM_SIGNAL=http-403 ;;
            *'Access denied'*) BM_SIGNAL=http-403-cilium ;;
            *) BM_SIGNAL=http-ok ;;
          esac
          ;;
        502) BM_SIGNAL=http-502 ;;
        # Envoy's own 503/504 mean its upstream reset or never answered; the target did not produce them.
        503)
          case $BM_HTTP_BODY in
            *'upstream connect error'* | *'no healthy upstream'* | *'reset before headers'*) BM_SIGNAL=reset ;;
            *) BM_SIGNAL=http-ok ;;
          esac
          ;;
        504) BM_SIGNAL=timeout ;;
        *) BM_SIGNAL=http-ok ;;
      esac
      ;;
    6) BM_SIGNAL=nxdomain ;;
    7)
      case $BM_CURL_ERR in
        *'No route to host'* | *'unreachable'* | *'Unreachable'*) BM_SIGNAL=unreachable ;;
        *) BM_SIGNAL=refused ;;
      esac
      ;;
    28) BM_SIGNAL=timeout ;;
    52 | 56) BM_SIGNAL=reset ;;
    35 | 51 | 53 | 54 | 58 | 59 | 60 | 66 | 77 | 80 | 83 | 90 | 91) BM_SIGNAL=tls-error ;;
    *) BM_SIGNAL=error ;;
  esac
}

# bm_http_detail → BM_DETAIL: one short human line about the last bm_http.
bm_http_detail() {
  if [ "$BM_CURL_EXIT" -eq 0 ]; then
    BM_DETAIL="HTTP $BM_HTTP_CODE: ${BM_HTTP_BODY%%"$BM_NL"*}"
  else
    BM_DETAIL="curl exit $BM_CURL_EXIT: $BM_CURL_ERR"
  fi
}

# bm_dig [DIG ARGS]... → BM_DIG_EXIT BM_DIG_OUT BM_DNS_STATUS BM_DNS_ANSWERS and BM_SIGNAL.
bm_dig() {
  BM_DIG_OUT=$(dig +time="$BM_DNS_TIMEOUT" +tries=1 "$@" 2>&1)
  BM_DIG_EXIT=$?
  BM_DNS_STATUS=''
  BM_DNS_ANSWERS=0
  case $BM_DIG_OUT in
    *'status: '*)
      bm_st=${BM_DIG_OUT#*status: }
      BM_DNS_STATUS=${bm_st%%,*}
      ;;
  esac
  case $BM_DIG_OUT in
    *'ANSWER: '*)
      bm_an=${BM_DIG_OUT#*ANSWER: }
      BM_DNS_ANSWERS=${bm_an%%,*}
      ;;
  esac
  case $BM_DNS_ANSWERS in '' | *[!0-9]*) BM_DNS_ANSWERS=0 ;; esac
  case $BM_DNS_STATUS in
    NOERROR) BM_SIGNAL=delivered ;;
    NXDOMAIN) BM_SIGNAL=nxdomain ;;
    REFUSED | SERVFAIL) BM_SIGNAL=dns-refused ;;
    '')
      case $BM_DIG_OUT in
        *'connection refused'* | *'Connection refused'*) BM_SIGNAL=refused ;;
        *'connection reset'* | *'Connection reset'* | *'end of file'*) BM_SIGNAL=reset ;;
        *'unreachable'*) BM_SIGNAL=unreachable ;;
        *'timed out'* | *'no servers could be reached'*) BM_SIGNAL=timeout ;;
        *) if [ "$BM_DIG_EXIT" -eq 9 ]; then BM_SIGNAL=timeout; else BM_SIGNAL=error; fi ;;
      esac
      ;;
    *) BM_SIGNAL=error ;;
  esac
}

# bm_dig_detail → BM_DETAIL: the status line, or dig's first error line.
bm_dig_detail() {
  if [ -n "$BM_DNS_STATUS" ]; then
    BM_DETAIL="status $BM_DNS_STATUS, $BM_DNS_ANSWERS answer(s)"
  else
    bm_first=${BM_DIG_OUT#"$BM_NL"}
    BM_DETAIL="dig exit $BM_DIG_EXIT: ${bm_first%%"$BM_NL"*}"
  fi
}

# bm_tcp HOST PORT PAYLOAD → BM_SIGNAL BM_NC_EXIT BM_REPLY BM_NC_NOTE.
# Behind a sidecar or ztunnel the local connect always succeeds (the proxy accepts), so a connection counts
# only when the far end answered: connected-then-closed is `reset`. EXPECT_REPLY=0 accepts a bare handshake.
bm_tcp() {
  BM_NC_OUT=$(printf '%s\n' "$3" | nc -v -N -w "$BM_CONNECT_TIMEOUT" "$1" "$2" 2>&1)
  BM_NC_EXIT=$?
  BM_REPLY=''
  BM_NC_NOTE=''
  bm_ok=0
  while IFS= read -r bm_l; do
    case $bm_l in
      'Connection to '*'succeeded!'*) bm_ok=1 ;;
      'nc: '* | 'Connection to '*) BM_NC_NOTE=${BM_NC_NOTE:-$bm_l} ;;
      '') ;;
      *) BM_REPLY=${BM_REPLY:-$bm_l} ;;
    esac
  done <<EOF
$BM_NC_OUT
EOF
  if [ "$bm_ok" -eq 1 ]; then
    if [ -n "$BM_REPLY" ] || [ "${EXPECT_REPLY:-1}" = 0 ]; then BM_SIGNAL=connected; else BM_SIGNAL=reset; fi
    return
  fi
  bm_nc_failure_signal "$BM_NC_NOTE"
}

# bm_nc_failure_signal TEXT → BM_SIGNAL for an nc that did not connect.
bm_nc_failure_signal() {
  case $1 in
    *'Connection refused'*) BM_SIGNAL=refused ;;
    *'timed out'*) BM_SIGNAL=timeout ;;
    *'No route to host'* | *'unreachable'*) BM_SIGNAL=unreachable ;;
    *'Connection reset'*) BM_SIGNAL=reset ;;
    *'not known'* | *'No address associated'* | *'Temporary failure in name resolution'*) BM_SIGNAL=nxdomain ;;
    *'Permission denied'* | *'Operation not permitted'*) BM_SIGNAL=permission-denied ;;
    *) BM_SIGNAL=error ;;
  esac
}

# bm_capture_opened LINE: true for tcpdump's "listening on" (its capture is open).
bm_capture_opened() {
  case $1 in 'listening on '* | 'tcpdump: listening on '*) return 0 ;; esac
  return 1
}

# bm_capture_then SECONDS HOOK TCPDUMP-ARGS...: prints tcpdump's lines for at most SECONDS; runs HOOK once it is open.
bm_capture_then() {
  bm_ct_s=$1
  bm_ct_h=$2
  shift 2
  timeout "$bm_ct_s" tcpdump "$@" 2>&1 | {
    bm_ct_o=0
    while IFS= read -r bm_ct_l; do
      printf '%s\n' "$bm_ct_l"
      if [ "$bm_ct_o" = 0 ] && bm_capture_opened "$bm_ct_l"; then
        bm_ct_o=1
        "$bm_ct_h" </dev/null
      fi
    done
  }
}
