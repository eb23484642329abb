# One UDP datagram carrying the canary to TARGET_HOST:TARGET_PORT whose IPv4 source is SPOOF_SOURCE, not the pod's:
# the script writes the whole IP header itself through a raw socket with IP_HDRINCL (socat ip-hdrincl), which needs
# CAP_NET_RAW — in containerd's default capability set, so any root container holds it. The kernel fills the IP
# checksum, total length and ID; the UDP checksum is 0 (optional over IPv4). UDP has no answer: `delivered` only
# means the kernel took the datagram; the sink's record (canary and the source it saw) decides.
bm_require TARGET_HOST TARGET_PORT CANARY SPOOF_SOURCE
bm_sport=${SOURCE_PORT:-40000}

# bm_octets_of ADDRESS → appends its four bytes to bm_fmt as printf octal escapes; a malformed one is the harness's.
bm_octets_of() {
  bm_rest=$1.
  bm_count=0
  while [ -n "$bm_rest" ]; do
    bm_part=${bm_rest%%.*}
    bm_rest=${bm_rest#*.}
    case $bm_part in '' | *[!0-9]*) bm_finish error 2 "not an IPv4 address: $1" ;; esac
    if [ "$bm_part" -gt 255 ]; then bm_finish error 2 "not an IPv4 address: $1"; fi
    bm_fmt="$bm_fmt\\$(printf '%03o' "$bm_part")"
    bm_count=$((bm_count + 1))
  done
  if [ "$bm_count" -ne 4 ]; then bm_finish error 2 "not an IPv4 address: $1"; fi
}

# bm_u16 N → appends N as two big-endian bytes.
bm_u16() {
  bm_fmt="$bm_fmt\\$(printf '%03o' $(($1 / 256)))\\$(printf '%03o' $(($1 % 256)))"
}

# The payload: the canary and a newline, every byte as an octal escape (nothing in it is a printf directive).
bm_payload=''
bm_s="$CANARY"
bm_len=0
while [ -n "$bm_s" ]; do
  bm_r=${bm_s#?}
  bm_c=${bm_s%"$bm_r"}
  bm_payload="$bm_payload\\$(printf '%03o' "'$bm_c")"
  bm_s=$bm_r
  bm_len=$((bm_len + 1))
done
bm_payload="$bm_payload\\012"
bm_len=$((bm_len + 1))

# IPv4 header: version 4 / IHL 5, TOS 0, total length (kernel), ID (kernel), DF, TTL 64, protocol 17, checksum (kernel).
bm_fmt='\105\000\000\000\000\000\100\000\100\021\000\000'
bm_octets_of "$SPOOF_SOURCE"
bm_octets_of "$TARGET_HOST"
# UDP header: source port, destination port, length, checksum 0.
bm_u16 "$bm_sport"
bm_u16 "$TARGET_PORT"
bm_u16 $((8 + bm_len))
bm_fmt="$bm_fmt\\000\\000$bm_payload"

bm_out=$(printf "$bm_fmt" | socat -u - "IP4-SENDTO:$TARGET_HOST:17,ip-hdrincl=1" 2>&1)
bm_exit=$?
if [ "$bm_exit" -eq 0 ]; then
  bm_finish delivered 0 "datagram from forged source $SPOOF_SOURCE sent to $TARGET_HOST:$TARGET_PORT" \
    source "$SPOOF_SOURCE" target "$TARGET_HOST:$TARGET_PORT"
fi
case $bm_out in
  # socket() refused: no CAP_NET_RAW. A refused sendto is netfilter dropping it inside the pod: a drop on the path.
  *'socket('*'Operation not permitted'*) bm_finish permission-denied "$bm_exit" "raw socket refused (no CAP_NET_RAW)" source "$SPOOF_SOURCE" ;;
  *'Operation not permitted'*) bm_finish timeout "$bm_exit" "send dropped by netfilter in the pod" source "$SPOOF_SOURCE" ;;
esac
bm_nc_failure_signal "$bm_out"
bm_finish "$BM_SIGNAL" "$bm_exit" "${bm_out##*"$BM_NL"}" source "$SPOOF_SOURCE"
