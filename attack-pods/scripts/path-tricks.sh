# Send each raw request target of PATHS (space separated, e.g. `//admin /%2Fadmin /admin#x /ADMIN`) to
# TARGET_BASE (scheme://host:port) exactly as written (curl --request-target: no normalisation, the fragment
# is sent). Each variant is reported as `target=code|signal`. Every target carries the canary in its query
# (`?bm=<canary>`, before any fragment): a proxy's access log shows path and query, so its records of these
# requests are attributable to this attempt; path-based authorization ignores the query.
# Overall: `http-ok` if any variant got a 2xx (it reached the handler; `received` holds the first line of its answer,
# which from the workload server is the request target exactly as it arrived); else the first block signal; an
# answer that is neither (e.g. only 400/404) is `error`: it neither proves reach nor names a layer.
bm_require TARGET_BASE PATHS CANARY
bm_variants=''
bm_reached=''
bm_received=''
bm_block=''
for bm_path in $PATHS; do
  case $bm_path in
    *'#'*) bm_target="${bm_path%%#*}?bm=$CANARY#${bm_path#*#}" ;;
    *) bm_target="$bm_path?bm=$CANARY" ;;
  esac
  if [ -n "${HOST_HEADER:-}" ]; then
    bm_http "$TARGET_BASE/" --request-target "$bm_target" -H "Host: $HOST_HEADER" -H "X-Breachmatrix-Canary: $CANARY"
  else
    bm_http "$TARGET_BASE/" --request-target "$bm_target" -H "X-Breachmatrix-Canary: $CANARY"
  fi
  bm_curl_signal
  bm_variants="$bm_variants $bm_path=$BM_HTTP_CODE|$BM_SIGNAL"
  case $BM_SIGNAL in
    http-ok)
      case $BM_HTTP_CODE in
        2??)
          if [ -z "$bm_reached" ]; then
            bm_reached=$bm_path
            bm_received=${BM_HTTP_BODY%%"$BM_NL"*}
          fi
          ;;
      esac
      ;;
    *) bm_block=${bm_block:-$BM_SIGNAL} ;;
  esac
done
bm_variants=${bm_variants# }
if [ -n "$bm_reached" ]; then bm_finish http-ok 0 "reached via $bm_reached" variants "$bm_variants" received "$bm_received"; fi
if [ -n "$bm_block" ]; then bm_finish "$bm_block" 1 "no variant reached the target" variants "$bm_variants"; fi
bm_finish error 1 "no variant reached the target, none was blocked recognisably" variants "$bm_variants"
