# TCP handshakes to each of TARGET_PORTS on TARGET_HOST (no payload); each port is reported.
# The attack worked (`connected`) if any port completed a handshake.
bm_require TARGET_HOST TARGET_PORTS
bm_open=''
bm_closed=''
bm_first_fail=''
for bm_port in $TARGET_PORTS; do
  bm_out=$(nc -z -v -w "$BM_CONNECT_TIMEOUT" "$TARGET_HOST" "$bm_port" 2>&1)
  case $bm_out in
    *succeeded!*) bm_open="$bm_open $bm_port" ;;
    *)
      bm_nc_failure_signal "$bm_out"
      bm_closed="$bm_closed $bm_port:$BM_SIGNAL"
      bm_first_fail=${bm_first_fail:-$BM_SIGNAL}
      ;;
  esac
done
if [ -n "$bm_open" ]; then
  bm_finish connected 0 "open:${bm_open}" open "${bm_open# }" closed "${bm_closed# }"
fi
bm_finish "${bm_first_fail:-error}" 1 "no port answered:${bm_closed}" open '' closed "${bm_closed# }"
