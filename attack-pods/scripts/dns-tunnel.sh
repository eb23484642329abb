# DNS tunnel: a TXT query for <canary>.<zone> through the pod's own resolver (cluster DNS forwards the zone to
# the sink). NOERROR means the resolver chain answered; the sink's record decides.
bm_require CANARY DNS_ZONE
bm_dig $BM_DNS_SERVER TXT "$CANARY.$DNS_ZONE"
bm_dig_detail
bm_finish "$BM_SIGNAL" "$BM_DIG_EXIT" "$BM_DETAIL" name "$CANARY.$DNS_ZONE" answers "$BM_DNS_ANSWERS"
