# EV1/EV2: capture TCP packets to and from CAPTURE_HOST on every interface of this (host) network namespace and report
# what was seen: the number of packets, whether this run's CANARY appeared in a payload in plaintext (in any of them),
# and the flows as `peer>CAPTURE_HOST.port` (the capture host's side keeps its port, so HBONE on 15008 and the
# application port are told apart). With CAPTURE_PEER (the victim's address) only that peer's flows are listed, and
# counted as peer_packets: a busy destination's other clients would crowd them out of the bounded field otherwise.
# Needs CAP_NET_RAW (tcpdump).
# The capture is event-based at both ends. Once tcpdump reports its capture open (bm_capture_opened) the script prints
# `BM-READY capture-open` while it still runs, and the runner sends the victim's request only after that line. To end
# the capture, a UDP datagram `BM-STOP-<token>` is sent to 127.0.0.1:CAPTURE_STOP_PORT in this network namespace
# (attack-pods/script-stop.ts; the token is CAPTURE_STOP_TOKEN, else the canary's digits): tcpdump captures it on `lo`
# in the same ring as everything else, so when it prints the marker every packet captured before it has been printed,
# and only then does the script end tcpdump (SIGTERM to the `timeout` around it, in this script's own PID namespace).
# A kill from outside would drop what a lagging tcpdump still had queued. Markers with another token (other sniffers
# sharing a node's network namespace) are ignored. CAPTURE_MAX_SECONDS from tcpdump's start bounds the capture when no
# marker comes. With SELF_SEND=1 (the positive control) the script sends its own CANARY in plaintext over TCP to
# CAPTURE_HOST:SELF_PORT as soon as the capture is open, sends its own marker CAPTURE_DRAIN_SECONDS after that send,
# and passes only when the capture saw the canary: the sniffer sees that destination's traffic from where it sits.
bm_require CAPTURE_HOST CAPTURE_MAX_SECONDS CAPTURE_STOP_PORT CANARY
if [ "${SELF_SEND:-0}" = 1 ]; then bm_require SELF_PORT; fi
bm_marker="BM-STOP-${CAPTURE_STOP_TOKEN:-${CANARY#bm}}"

# bm_capture_read: reads tcpdump's packets and messages line by line as they come, acts on the capture opening, and
# ends the script with its result. One pass over the lines, each matched only against short, anchored patterns: a
# glob with several `*` over the whole capture (or over long binary payload lines) is quadratic in sh and overran the
# script's deadline.
bm_capture_read() {
  bm_pid=''
  bm_open=0
  bm_stopper=''
  bm_count=''
  bm_send=''
  bm_failure=''
  bm_seen=0
  bm_flows=' '
  bm_peer_packets=0
  bm_stopped=0
  bm_markers=0
  bm_dropped=0
  while IFS= read -r bm_l; do
    if [ "$bm_open" = 0 ]; then
      case $bm_l in
        'BM-PID '*) bm_pid=${bm_l#BM-PID }; continue ;;
      esac
      if bm_capture_opened "$bm_l"; then
        bm_open=1
        printf '%s\n' 'BM-READY capture-open'
        if [ "${SELF_SEND:-0}" = 1 ]; then
          bm_tcp "$CAPTURE_HOST" "$SELF_PORT" "GET /?c=$CANARY HTTP/1.0"
          bm_send=$BM_SIGNAL
          # The control's own request returned: after the drain it ends its capture the way the runner does.
          (sleep "${CAPTURE_DRAIN_SECONDS:-1}" && printf '%s\n' "$bm_marker" | socat -u - "UDP-SENDTO:127.0.0.1:$CAPTURE_STOP_PORT") </dev/null >/dev/null 2>&1 &
          bm_stopper=$!
        fi
        continue
      fi
    fi
    case $bm_l in
      *"$CANARY"*) bm_seen=1 ;;
      *"$bm_marker"*)
        # Everything captured before the stop request has been printed: end tcpdump now (its statistics follow).
        if [ "$bm_stopped" = 0 ]; then kill -TERM "$bm_pid" 2>/dev/null; bm_stopped=1; fi
        continue
        ;;
    esac
    case $bm_l in
      *' UDP, length '*) bm_markers=$((bm_markers + 1)); continue ;;
      [0-9][0-9]:[0-9][0-9]:[0-9][0-9].*) ;;
      # tcpdump says "1 packet captured" in the singular.
      [0-9]*' packets captured' | [0-9]*' packet captured') bm_count=${bm_l%% *}; continue ;;
      [0-9]*' packets dropped by kernel' | [0-9]*' packet dropped by kernel') bm_dropped=${bm_l%% *}; continue ;;
      'tcpdump: '*) bm_failure=${bm_failure:-$bm_l}; continue ;;
      *) continue ;;
    esac
    bm_pair=${bm_l#*' IP '}
    if [ "$bm_pair" = "$bm_l" ]; then continue; fi
    bm_pair=${bm_pair%%: *}
    bm_src=${bm_pair%% > *}
    bm_dst=${bm_pair#* > }
    if [ "$bm_src" = "$bm_pair" ]; then continue; fi
    if [ "${bm_src%.*}" = "$CAPTURE_HOST" ]; then bm_peer=${bm_dst%.*} bm_flow="${bm_dst%.*}>$bm_src"; else bm_peer=${bm_src%.*} bm_flow="${bm_src%.*}>$bm_dst"; fi
    if [ -n "${CAPTURE_PEER:-}" ]; then
      if [ "$bm_peer" != "$CAPTURE_PEER" ]; then continue; fi
      bm_peer_packets=$((bm_peer_packets + 1))
    fi
    case $bm_flows in
      *" $bm_flow "*) ;;
      *) bm_flows="$bm_flows$bm_flow " ;;
    esac
  done
  if [ -n "$bm_stopper" ]; then kill "$bm_stopper" 2>/dev/null; fi
  bm_capture_finish
}

# bm_capture_finish: the result line from what bm_capture_read gathered.
bm_capture_finish() {
  if [ -z "$bm_count" ]; then
    case $bm_failure in
      *'Operation not permitted'* | *'ermission denied'* | *"have permission"*) bm_finish permission-denied 1 "tcpdump could not capture (CAP_NET_RAW needed)" ;;
    esac
    bm_finish error 1 "tcpdump did not run: ${bm_failure:-no statistics line}"
  fi
  bm_flows=${bm_flows# }
  bm_flows=${bm_flows% }
  # Stop markers (UDP on lo, this capture's or another sniffer's) are no packets to or from CAPTURE_HOST.
  if [ "$bm_count" -ge "$bm_markers" ]; then bm_count=$((bm_count - bm_markers)); fi
  if [ "${SELF_SEND:-0}" = 1 ]; then
    if [ "$bm_seen" = 1 ]; then bm_finish delivered 0 "captured its own plaintext canary to $CAPTURE_HOST:$SELF_PORT" packets "$bm_count" canary_seen 1 flows "$bm_flows"; fi
    bm_finish timeout 1 "the capture did not see its own canary to $CAPTURE_HOST:$SELF_PORT ($bm_count packets; send: $bm_send)" packets "$bm_count" canary_seen 0 flows "$bm_flows"
  fi
  if [ -n "${CAPTURE_PEER:-}" ]; then
    bm_finish delivered 0 "$bm_count packets to or from $CAPTURE_HOST captured, $bm_peer_packets of them with $CAPTURE_PEER" packets "$bm_count" canary_seen "$bm_seen" flows "$bm_flows" peer_packets "$bm_peer_packets" dropped "$bm_dropped"
  fi
  bm_finish delivered 0 "$bm_count packets to or from $CAPTURE_HOST captured" packets "$bm_count" canary_seen "$bm_seen" flows "$bm_flows" dropped "$bm_dropped"
}

# A child shell prints its own PID and becomes `timeout` (exec keeps the PID): the reader ends the capture through it
# (GNU timeout passes SIGTERM on to tcpdump; busybox's execs tcpdump in that PID). tcpdump's messages (stderr) share
# the pipe with its packets, so "listening on" reaches the reader when it is printed; --immediate-mode hands each
# packet over as it arrives. The filter adds the stop markers' datagrams to 127.0.0.1:CAPTURE_STOP_PORT. The ring must
# hold what a tcpdump starved of CPU has not read yet: -s 4096 (the request's headers, where the canary travels, fit;
# -s 0 makes every slot 256 KiB, so a 2 MiB ring held eight packets) and an 8 MiB buffer (-B, KiB).
sh -c 'printf "BM-PID %s\n" "$$"; exec timeout "$1" tcpdump -i any -nn -l --immediate-mode -A -s 4096 -B 8192 -Z root "(tcp and host $2) or (udp and dst host 127.0.0.1 and dst port $3)" 2>&1' \
  bm-capture "$CAPTURE_MAX_SECONDS" "$CAPTURE_HOST" "$CAPTURE_STOP_PORT" | bm_capture_read
# bm_capture_read always ends with the result line, in the pipeline's own process.
exit 0
