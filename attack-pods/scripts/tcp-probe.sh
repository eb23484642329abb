# One TCP connection to TARGET_HOST:TARGET_PORT sending the canary as a line; the far end must answer
# (sink: `ok`, workload server: `workload=<name>`) unless EXPECT_REPLY=0.
bm_require TARGET_HOST TARGET_PORT CANARY
bm_tcp "$TARGET_HOST" "$TARGET_PORT" "${PAYLOAD:-$CANARY}"
bm_finish "$BM_SIGNAL" "$BM_NC_EXIT" "${BM_REPLY:-${BM_NC_NOTE:-connected, no reply}}" \
  target "$TARGET_HOST:$TARGET_PORT"
