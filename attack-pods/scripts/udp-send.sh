# One UDP datagram carrying the canary to TARGET_HOST:TARGET_PORT. UDP has no answer: `delivered` only means
# sent; the sink's record decides (success criterion sink-canary).
bm_require TARGET_HOST TARGET_PORT CANARY
bm_out=$(printf '%s\n' "$CANARY" | nc -u -v -w 1 "$TARGET_HOST" "$TARGET_PORT" 2>&1)
bm_exit=$?
case $bm_out in
  *succeeded!*)
    case $bm_out in
      *'Connection refused'*) bm_finish refused "$bm_exit" "ICMP port unreachable after send" ;;
    esac
    bm_finish delivered "$bm_exit" "datagram sent to $TARGET_HOST:$TARGET_PORT"
    ;;
esac
bm_nc_failure_signal "$bm_out"
bm_finish "$BM_SIGNAL" "$bm_exit" "${bm_out%%"$BM_NL"*}"
