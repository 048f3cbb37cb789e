/* Atomic, checked files for state: a file is written to a temp name, fsynced,
 * renamed over the old one and the directory fsynced, so a crash leaves
 * either the old or the new file. Each file is framed as
 *
 *     "WEFT" | u8 format (1) | u8 kind | u16 reserved | u64 length (BE) |
 *     payload | BLAKE2b-256(everything before it)
 *
 * and a torn, truncated or corrupt file is reported (WEFT_ECHECKSUM,
 * WEFT_EMALFORMED) and never half-loaded. */
#ifndef WEFT_PERSIST_H
#define WEFT_PERSIST_H

#include <stddef.h>
#include <stdint.h>

#define WEFT_PERSIST_MAX (64u << 20) /* 64 MiB: far above 10,000 members */

enum {
	WEFT_PERSIST_STORE = 1,   /* weft_store_serialize() output */
	WEFT_PERSIST_LOCAL = 2,   /* node-local state (daemon-defined msgpack) */
	WEFT_PERSIST_NETWORK = 3, /* one raw network settings record (ADMINKEY.net, cli/) */
	WEFT_PERSIST_TOKEN = 4,   /* an invite token's text, kept while a join waits for approval */
};

/* mode is the file mode (0600 for anything holding secrets). */
int weft_persist_write(const char *path, uint8_t kind, const uint8_t *data, size_t len, unsigned mode);
/* On success *data is malloc'd (free()) and *len its size. */
int weft_persist_read(const char *path, uint8_t kind, uint8_t **data, size_t *len, const char **why);
/* The same framing in memory (for tests and fuzzers). */
int weft_persist_unframe(const uint8_t *buf, size_t len, uint8_t kind, const uint8_t **payload, size_t *plen,
			 const char **why);

#endif
