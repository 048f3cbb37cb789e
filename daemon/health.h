/* A network's health: the problems an operator must see in `weft status`
 * (table lines and the JSON array `health` of {code, message, since}), each
 * with what to do about it. One slot per problem kind, set while it lasts
 * and cleared when it is over; the calls say when a problem is new and
 * when it ended, so the caller logs each once (and its recovery) instead
 * of at every retry. No clock is read here: times come in. */
#ifndef WEFT_HEALTH_H
#define WEFT_HEALTH_H

#include <stdbool.h>
#include <stdint.h>

struct json_object;

/* X(enum suffix, code string for scripts). Codes are part of the command
 * contract (docs/CLI.md): add freely, never rename. */
#define WEFT_HEALTH_MAP(X)                        \
	X(SAVE_FAILING, "save-failing")           \
	X(CLOCK_SKEW, "clock-skew")               \
	X(NAME_CONFLICT, "name-conflict")         \
	X(RESOLVER_FAILING, "resolver-failing")   \
	X(INTERFACE_MISSING, "interface-missing") \
	X(UNREACHABLE, "members-unreachable")     \
	X(INVITE_LOW, "invite-nearly-used")       \
	X(MISBEHAVING, "member-misbehaving")      \
	X(CLONE, "node-cloned")                   \
	X(EXIT_DOWN, "exit-node-down")            \
	X(NOT_MEMBER, "not-a-member")             \
	X(DOWN, "network-down")

enum weft_health_code {
#define WEFT_HEALTH_ENUM(e, s) WEFT_HEALTH_##e,
	WEFT_HEALTH_MAP(WEFT_HEALTH_ENUM)
#undef WEFT_HEALTH_ENUM
		WEFT_HEALTH_COUNT
};

#define WEFT_HEALTH_MSG_MAX 320

struct weft_health {
	struct {
		bool set;
		uint64_t since_ms; /* unix ms when it began */
		char msg[WEFT_HEALTH_MSG_MAX];
	} item[WEFT_HEALTH_COUNT];
};

/* "save-failing", or NULL for a code out of range. */
const char *weft_health_code_name(enum weft_health_code code);

/* The problem `code` is present, described by msg (a sentence that ends
 * with what to do). Returns true when it was not present before (the
 * caller logs it once); the message is updated either way, `since` kept. */
bool weft_health_set(struct weft_health *h, enum weft_health_code code, uint64_t now_ms, const char *msg);

/* The problem is over. Returns true when it was present (log the recovery). */
bool weft_health_clear(struct weft_health *h, enum weft_health_code code);

bool weft_health_has(const struct weft_health *h, enum weft_health_code code);

/* How many problems are present. */
unsigned weft_health_count(const struct weft_health *h);

/* The JSON array [{"code", "message", "since"}] (since: unix seconds), in
 * code order; NULL only when out of memory. */
struct json_object *weft_health_json(const struct weft_health *h);

#endif
