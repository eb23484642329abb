# One HTTP request to each of TARGET_URLS (space separated; INSECURE=1 skips certificate checks), each reported
# by port as `port=code|signal` in `ports`. The cell's signal is the most permissive one: any answer of a
# target (http-ok, a 401/403 from an API server included: it proves reach) wins; else the first block signal.
bm_require TARGET_URLS CANARY
set -- -H "X-Breachmatrix-Canary: $CANARY"
if [ "${INSECURE:-0}" = 1 ]; then set -- "$@" -k; fi
bm_ports=''
bm_reached=''
bm_block=''
bm_block_detail=''
for bm_url in $TARGET_URLS; do
  bm_rest=${bm_url#*://}
  bm_hostport=${bm_rest%%/*}
  bm_port=${bm_hostport##*:}
  if [ "$bm_port" = "$bm_hostport" ]; then
    case $bm_url in https://*) bm_port=443 ;; *) bm_port=80 ;; esac
  fi
  bm_http "$bm_url" "$@"
  bm_curl_signal
  bm_ports="$bm_ports $bm_port=$BM_HTTP_CODE|$BM_SIGNAL"
  case $BM_SIGNAL in
    http-ok) bm_reached="$bm_reached $bm_port" ;;
    *)
      if [ -z "$bm_block" ]; then
        bm_block=$BM_SIGNAL
        bm_http_detail
        bm_block_detail="$bm_port: $BM_DETAIL"
      fi
      ;;
  esac
done
bm_ports=${bm_ports# }
# The detail repeats every port: it is what a cell keeps of the result line.
if [ -n "$bm_reached" ]; then bm_finish http-ok 0 "answered:$bm_reached ($bm_ports)" ports "$bm_ports" reached "${bm_reached# }"; fi
bm_finish "${bm_block:-error}" 1 "no port answered ($bm_ports); first failure $bm_block_detail" ports "$bm_ports" reached ''
