/* sim/: a discrete-event network simulator that runs the real gossip/ code
 * for thousands of nodes in one process, in virtual time. This header is the
 * library's surface: scenarios (parsed from the text format documented in
 * sim/scenarios/README.md), a run, and its measured results. */
#ifndef WEFT_SIM_H
#define WEFT_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/addr.h"
#include "gossip/gossip.h"

#define WEFT_SIM_MAX_NODES 200000u
#define WEFT_SIM_MAX_GROUPS 32
#define WEFT_SIM_MAX_ACTIONS 20000u
#define WEFT_SIM_MAX_VIA 8
#define WEFT_SIM_NAME_MAX 31
#define WEFT_SIM_SEC 1000000000ull
#define WEFT_SIM_MS 1000000ull
#define WEFT_SIM_VIEW_MAX 2000u /* end-of-run view checks up to this many nodes */

/* How WireGuard is modelled (see sim/tunnel.c). */
enum weft_sim_wg {
	WEFT_SIM_WG_MODEL = 0,  /* tunnels from a handshake model kept in sim/ */
	WEFT_SIM_WG_NONE = 1,   /* no tunnels: all gossip on the underlay */
	WEFT_SIM_WG_MEMORY = 2, /* the model, with every host's peers in wg/'s memory backend */
};

/* Which nodes an action names, resolved when it runs. */
enum weft_sim_pick_kind {
	WEFT_SIM_PICK_NONE = 0,
	WEFT_SIM_PICK_NODE,    /* node n (an index) */
	WEFT_SIM_PICK_ADMIN,   /* node 0: the node the admin created the network on */
	WEFT_SIM_PICK_RANDOM,  /* one random node that is up */
	WEFT_SIM_PICK_COUNT,   /* n random nodes (up ones for crash, down ones for restart) */
	WEFT_SIM_PICK_PERCENT, /* n per million of all nodes, at least one */
	WEFT_SIM_PICK_ALL,     /* every candidate */
};

struct weft_sim_pick {
	uint8_t kind;
	uint32_t n;
};

enum weft_sim_act_kind {
	WEFT_SIM_ACT_PUBLISH = 1, /* a node publishes a new version of its state record */
	WEFT_SIM_ACT_CRASH,       /* nodes stop (optionally restarting after dur) */
	WEFT_SIM_ACT_RESTART,     /* stopped nodes restart from their persisted state */
	WEFT_SIM_ACT_JOIN,        /* count new nodes join with an invite token */
	WEFT_SIM_ACT_PARTITION,   /* traffic between two groups stops */
	WEFT_SIM_ACT_HEAL,        /* it flows again (g1 = 0xff: every partition) */
	WEFT_SIM_ACT_REVOKE,      /* the admin revokes a node (record injected at from) */
	WEFT_SIM_ACT_ROTATE,      /* the admin orders a WireGuard key rotation */
	WEFT_SIM_ACT_CIDR,        /* the admin changes the network's CIDR */
	WEFT_SIM_ACT_LOSS,        /* link loss changes (value: per million) */
	WEFT_SIM_ACT_LATENCY,     /* one-way latency changes (ns) */
	WEFT_SIM_ACT_JITTER,      /* jitter changes (ns) */
	WEFT_SIM_ACT_MAX = WEFT_SIM_ACT_JITTER,
};

struct weft_sim_action {
	uint64_t at_ns;
	uint8_t kind;
	uint8_t g1, g2; /* partition and heal: group indices */
	uint8_t nvia;
	uint32_t line;                              /* in the scenario text, for messages */
	uint32_t count;                             /* join */
	uint64_t dur_ns;                            /* crash ... for D: restart after D (0 = stay down) */
	uint64_t value;                             /* loss ppm, latency or jitter ns */
	struct weft_sim_pick who;                   /* crash, restart, revoke target, publish origin */
	struct weft_sim_pick from;                  /* revoke, rotate, cidr: where the record enters */
	struct weft_sim_pick via[WEFT_SIM_MAX_VIA]; /* join: bootstrap endpoints in order */
	weft_cidr_t cidr;
};

/* What the malicious members do (issue #22), each a bit: */
enum weft_sim_attack {
	WEFT_SIM_ATK_KILL = 1,        /* dead, left, suspect, alive of a victim at the highest incarnation */
	WEFT_SIM_ATK_IMPERSONATE = 2, /* packets naming a victim as their sender, from its own address */
	WEFT_SIM_ATK_ALIVE = 4,       /* alive for crashed members, and acks for them */
	WEFT_SIM_ATK_HARASS = 8,      /* suspect a victim at its incarnation, with forged confirmations */
	WEFT_SIM_ATK_RECORDS = 16,    /* its state record takes a victim's name and addresses, ten a second */
	WEFT_SIM_ATK_ALL = 31,
};
/* "kill,impersonate" or "all" into a mask; 0 when a word is unknown. */
uint8_t weft_sim_attacks_parse(const char *s);
/* The mask as "kill,impersonate,..." into out (cap bytes). */
const char *weft_sim_attacks_name(uint8_t mask, char *out, size_t cap);

/* A group of nodes by index; a bound is an index, or (pct) a share of the
 * initial node count in per million, so one file serves every size. */
struct weft_sim_bound {
	bool pct;
	uint32_t v;
};

struct weft_sim_group {
	char name[WEFT_SIM_NAME_MAX + 1];
	struct weft_sim_bound lo, hi; /* [lo, hi) */
};

struct weft_sim_scenario {
	char name[WEFT_SIM_NAME_MAX + 1];
	uint32_t nodes;
	uint64_t seed;
	uint64_t duration_ns;
	uint32_t loss_ppm;
	uint64_t latency_ns, jitter_ns;
	uint64_t bandwidth;                      /* bytes per second per node and direction; 0 = no cap */
	uint64_t queue_ns;                       /* longest a packet waits for a capped link before it is dropped */
	uint8_t wg;                              /* enum weft_sim_wg */
	struct weft_gossip_params params;        /* zero fields: gossip's defaults */
	uint64_t measure_from_ns, measure_to_ns; /* bandwidth window; to 0 = end of run */
	uint32_t invite_uses;                    /* max uses of the joiners' invite; 0 = one per joiner */
	/* Compromised members among the initial ones (never node 0): a
	 * count, or a share of the nodes (pct, per million, at least one);
	 * v = 0: none. Each runs the real protocol and, twice a second,
	 * the attacks in the mask against random honest members. */
	struct weft_sim_bound malicious;
	uint8_t attacks; /* enum weft_sim_attack */
	uint8_t ngroups;
	struct weft_sim_group groups[WEFT_SIM_MAX_GROUPS];
	size_t nacts, cap;
	struct weft_sim_action *acts; /* sorted by time, then by line */
};

/* A parse error: the line (1-based, 0 = the whole text) and a sentence. */
struct weft_sim_perr {
	uint32_t line;
	char msg[160];
};

/* The defaults: 100 nodes, seed 1, 60 s, no loss, 10 ms +- 5 ms, no
 * bandwidth cap (queue 200 ms when one is set), the WireGuard model, no
 * actions. */
void weft_sim_scenario_init(struct weft_sim_scenario *sc);
/* Parses text (len bytes, need not be NUL-terminated) over the defaults.
 * 0, or WEFT_EMALFORMED / WEFT_EOVERSIZE / -ENOMEM with err filled. The
 * scenario must be freed even on error. */
int weft_sim_scenario_parse(struct weft_sim_scenario *sc, const char *text, size_t len, struct weft_sim_perr *err);
/* Checks what depends on the final node count (after command-line
 * overrides): node indices, groups. 0 or WEFT_EMALFORMED with err. */
int weft_sim_scenario_check(const struct weft_sim_scenario *sc, struct weft_sim_perr *err);
void weft_sim_scenario_free(struct weft_sim_scenario *sc);
/* Sets a gossip tunable by its field name ("gossip_interval_ms"). */
int weft_sim_param_set(struct weft_gossip_params *p, const char *name, uint64_t value);
const char *weft_sim_wg_name(unsigned wg);

/* ---- results ---- */

/* Distribution of delays in ms over (record or crash, node) pairs. */
struct weft_sim_dist {
	uint64_t count;                /* pairs that happened */
	uint64_t expected;             /* pairs that should have */
	double p50_ms, p99_ms, max_ms; /* over those that happened; -1 when none */
};

/* One kind of tracked record ("state", "revocation", "rotate", "rotate-key",
 * "network", "member"). */
struct weft_sim_group_result {
	char name[16];
	uint32_t records;
	struct weft_sim_dist d;
};

#define WEFT_SIM_RESULT_GROUPS 8
#define WEFT_SIM_CURVE_MAX 2001

struct weft_sim_result {
	/* the run */
	uint32_t nodes;       /* initial */
	uint32_t nodes_total; /* with joiners */
	uint64_t seed;
	double virtual_s;
	double wall_s;
	long peak_rss_kb;
	uint32_t loss_ppm; /* at the start */
	double latency_ms, jitter_ms;
	uint8_t wg;
	char scenario[WEFT_SIM_NAME_MAX + 1];
	uint64_t events; /* simulator events processed */

	/* dissemination of the records the scenario published (the "state",
	 * "revocation", "rotate", "network" groups pooled) */
	struct weft_sim_dist dis;
	double informed_fraction;
	/* fraction of (record, node) pairs informed by time curve_t[i] */
	size_t ncurve;
	double curve_step_ms;
	double curve[WEFT_SIM_CURVE_MAX];
	size_t ngroups;
	struct weft_sim_group_result groups[WEFT_SIM_RESULT_GROUPS];

	/* failure detection */
	uint32_t crashes;
	struct weft_sim_dist det; /* crash -> a node marks it dead */
	uint64_t false_suspicions, false_deaths;
	uint64_t partition_deaths; /* dead marks across a partition (not false) */

	/* the adversary (issue #22): counted over honest observers and
	 * honest subjects only */
	uint32_t malicious;
	uint8_t attacks;
	uint64_t attack_pkts, attack_bytes; /* what the malicious members sent on top of the protocol */
	uint64_t honest_false_suspicions, honest_false_deaths;
	uint64_t revived_dead;        /* a crashed member marked alive again, while down, after marked dead */
	uint64_t forged_endpoints;    /* an observed endpoint of a member that is not its address */
	uint64_t misbehaving_reports; /* MISBEHAVING events at honest members naming a malicious one */
	uint64_t misbehaving_honest;  /* ... naming an honest one */
	uint32_t names_taken;         /* honest members whose name a malicious one holds (end views) */

	/* joins */
	uint32_t joins, joined, join_failed;
	struct weft_sim_dist join; /* join start -> JOINED */

	/* cost, in the measurement window, per node that was up */
	double window_s;
	double bytes_per_node_per_s, bytes_per_node_per_s_max; /* gossip datagrams (UDP payload) */
	double packets_per_node_per_s, packets_per_node_per_s_max;
	double wire_bytes_per_node_per_s, wire_bytes_per_node_per_s_max; /* + IP/UDP, WireGuard */
	uint64_t handshakes, handshakes_failed;
	uint64_t pkts_sent, pkts_lost, pkts_dropped; /* lost: loss, partition; dropped: queue, no route, down */
	uint64_t overlay_pkts, underlay_pkts;

	/* state at the end */
	uint32_t up;
	uint32_t up_members;     /* up, members, not revoked */
	bool converged;          /* every up member holds the same store digest */
	uint32_t min_alive_view; /* fewest up nodes any up node sees alive (itself included) */
	uint32_t revoked_seen;   /* up nodes that still count a revoked node as a member */
	uint64_t event_overflows;
	/* every up member's own view at the end (runs of at most
	 * WEFT_SIM_VIEW_MAX nodes; views_checked says whether it was done) */
	bool views_checked;
	bool views_agree;                          /* same members, statuses and addresses in every view */
	uint32_t members_active, members_overused; /* in those views */
	uint32_t overused_node;                    /* lowest index of an over-used member, UINT32_MAX = none */
	uint32_t addr_outside; /* up members whose view gives them no address in the network's CIDR */
	uint32_t addr_dupes;   /* up members whose own address another one also has */
	uint32_t stale_keys;   /* (node, member) pairs: a key older than the last rotation order */
	/* summed over the nodes up at the end (counters start at each start) */
	uint64_t records_merged;      /* records that entered a store from the network */
	uint64_t syncs, sync_records; /* push-pull exchanges, and records they carried */
	char trace[65];               /* BLAKE2b of every datagram in order: same seed, same trace */
};

typedef struct weft_sim weft_sim_t;

/* Call once per process before anything else that uses libsodium:
 * installs a seedable source behind randombytes (so that nothing in a run
 * depends on the system's randomness) and initialises the crypto. */
int weft_sim_global_init(void);

/* Builds the network of sc->nodes members (sc is copied). err gets a
 * sentence on failure. */
int weft_sim_new(weft_sim_t **out, const struct weft_sim_scenario *sc, char *err, size_t errlen);
/* Runs to the end of the scenario. On failure (-EIO) weft_sim_error()
 * says what stopped it. */
int weft_sim_run(weft_sim_t *s);
const char *weft_sim_error(const weft_sim_t *s);
/* Fills r (wall_s and peak_rss_kb are left to the caller, who measures
 * them around the run). */
void weft_sim_result(weft_sim_t *s, struct weft_sim_result *r);
void weft_sim_free(weft_sim_t *s);

/* Output: a table for people, or the JSON object CLI.md names. */
void weft_sim_report_text(const struct weft_sim_result *r, FILE *out);
/* Returns a malloc'd NUL-terminated string, or NULL when out of memory. */
char *weft_sim_report_json(const struct weft_sim_result *r, bool pretty);

#endif
