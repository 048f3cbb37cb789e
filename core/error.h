/* Error codes shared by every layer: 0 on success, -errno for system errors,
 * or a negative WEFT_E* code from the table below (libuv's UV_ERRNO_MAP idea).
 * weft_strerror() names either kind for people. */
#ifndef WEFT_ERROR_H
#define WEFT_ERROR_H

/* X(name, value, message). Values start well above any errno. */
#define WEFT_ERRNO_MAP(X)                                             \
	X(MALFORMED, 1000, "malformed input")                         \
	X(VERSION, 1001, "unsupported format version")                \
	X(TRAILING, 1002, "trailing bytes after the encoded value")   \
	X(OVERSIZE, 1003, "field or message too large")               \
	X(BADSIG, 1004, "signature does not verify")                  \
	X(NORIGHT, 1005, "signer has no right to this record")        \
	X(STALE, 1006, "older than what is already held")             \
	X(REVOKED, 1007, "node is revoked")                           \
	X(EXPIRED, 1008, "expired")                                   \
	X(USEDUP, 1009, "invite has no uses left")                    \
	X(CHECKSUM, 1010, "checksum mismatch (corrupt or truncated)") \
	X(WRONGNET, 1011, "belongs to another network")               \
	X(KEYPERM, 1012, "key file is readable by group or others")   \
	X(EXISTS, 1013, "already exists")                             \
	X(FULL, 1014, "no room left")                                 \
	X(BADCIDR, 1015, "invalid CIDR")                              \
	X(BADADDR, 1016, "invalid address")                           \
	X(NOTFOUND, 1017, "not found")                                \
	X(DUPLICATE, 1018, "already held")                            \
	X(PENDING, 1019, "waiting for a record it depends on")        \
	X(BADTOKEN, 1020, "invalid invite token")                     \
	X(UNSUPPORTED, 1021, "not supported here")                    \
	X(TIMEOUT, 1022, "timed out")                                 \
	X(PROTO, 1023, "protocol error")

enum {
#define X(name, value, msg) WEFT_E##name = -(value),
	WEFT_ERRNO_MAP(X)
#undef X
};

/* Human text for 0, a -errno or a WEFT_E* code; never NULL. */
const char *weft_strerror(int err);

#endif
