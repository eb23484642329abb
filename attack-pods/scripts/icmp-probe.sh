# ICMP echo to TARGET_HOST carrying the canary in the payload (`ping -p`, at most 16 pattern bytes): for a
# harness canary `bm<16 hex>` the pattern is those 16 hex digits (8 bytes); otherwise the hex of the first 16
# characters. ICMP_PATTERN overrides.
bm_require TARGET_HOST CANARY
bm_pattern=${ICMP_PATTERN:-}
if [ -z "$bm_pattern" ]; then
  bm_hex=${CANARY#bm}
  case $bm_hex in
    ???????????????? )
      case $bm_hex in *[!0-9a-f]*) bm_hex='' ;; esac
      ;;
    *) bm_hex='' ;;
  esac
  if [ -n "$bm_hex" ] && [ "$bm_hex" != "$CANARY" ]; then
    bm_pattern=$bm_hex
  else
    bm_s=$CANARY
    bm_i=0
    while [ -n "$bm_s" ] && [ "$bm_i" -lt 16 ]; do
      bm_rest=${bm_s#?}
      bm_c=${bm_s%"$bm_rest"}
      bm_pattern="$bm_pattern$(printf '%02x' "'$bm_c")"
      bm_s=$bm_rest
      bm_i=$((bm_i + 1))
    done
  fi
fi
bm_out=$(ping -n -c 1 -W "$BM_CONNECT_TIMEOUT" -p "$bm_pattern" "$TARGET_HOST" 2>&1)
bm_exit=$?
case $bm_out in
  *' 1 received'* | *' 1 packets received'*) bm_finish delivered "$bm_exit" "echo answered" pattern "$bm_pattern" ;;
  *'Unreachable'* | *'unreachable'* | *'No route to host'*) bm_finish unreachable "$bm_exit" "${bm_out%%"$BM_NL"*}" pattern "$bm_pattern" ;;
  # A netfilter drop inside the pod's own namespace makes sendmsg fail: still a drop on the path.
  *'sendmsg: Operation not permitted'*) bm_finish timeout "$bm_exit" "send dropped by netfilter in the pod" pattern "$bm_pattern" ;;
  *'Operation not permitted'* | *'Permission denied'*) bm_finish permission-denied "$bm_exit" "${bm_out%%"$BM_NL"*}" pattern "$bm_pattern" ;;
  *' 0 received'* | *' 0 packets received'*) bm_finish timeout "$bm_exit" "no echo reply" pattern "$bm_pattern" ;;
esac
bm_finish error "$bm_exit" "${bm_out%%"$BM_NL"*}" pattern "$bm_pattern"
