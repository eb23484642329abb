# The IPv6 link works both ways: an ICMPv6 echo to all-nodes (ff02::1) on INTERFACE (eth0) is answered by another
# host on the link — the node behind a pod's veth. Our own answer (multicast loopback) does not count.
# `delivered` names the peer's link-local address; `timeout` when only we answered; `unreachable` without IPv6.
bm_require CANARY
bm_if=${INTERFACE:-eth0}
bm_addr=$(ip -6 addr show dev "$bm_if" scope link 2>&1)
bm_own=${bm_addr#*inet6 }
if [ "$bm_own" = "$bm_addr" ]; then bm_finish unreachable 1 "no IPv6 link-local address on $bm_if: IPv6 is off in this pod"; fi
bm_own=${bm_own%%/*}
# A deadline, not a count: every host on the link answers each echo, ours first.
bm_out=$(ping -6 -n -i 0.5 -w $((BM_CONNECT_TIMEOUT + 1)) "ff02::1%$bm_if" 2>&1)
bm_exit=$?
bm_peer=''
while IFS= read -r bm_l; do
  case $bm_l in
    *' bytes from '*)
      bm_from=${bm_l#* bytes from }
      bm_from=${bm_from%%: *}
      bm_from=${bm_from%%%*}
      if [ "$bm_from" != "$bm_own" ]; then bm_peer=${bm_peer:-$bm_from}; fi
      ;;
  esac
done <<BM_END
$bm_out
BM_END
if [ -n "$bm_peer" ]; then bm_finish delivered 0 "$bm_peer answered on $bm_if" peer "$bm_peer"; fi
case $bm_out in
  *'Operation not permitted'* | *'ermission denied'*) bm_finish permission-denied "$bm_exit" "${bm_out%%"$BM_NL"*}" ;;
esac
bm_finish timeout "$bm_exit" "no other host answered ff02::1 on $bm_if"
