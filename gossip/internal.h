/* gossip/internal.h: the node's state and the functions the files of
 * gossip/ call in each other. Only gossip/ and its white-box tests include
 * it. Every table here has a documented bound (see "Limits"). */
#ifndef WEFT_GOSSIP_INTERNAL_H
#define WEFT_GOSSIP_INTERNAL_H

#include "gossip/gossip.h"
#include "gossip/wire.h"

/* ---- Limits ---- */
#define WEFT_G_OUTQ_MAX 1024     /* datagrams waiting for poll_send */
#define WEFT_G_BCAST_MAX 1024    /* updates waiting to be disseminated */
#define WEFT_G_PINGS 64          /* outstanding relayed and retry pings */
#define WEFT_G_SUSPECT_K 3       /* Lifeguard: confirmations that shrink a suspicion */
#define WEFT_G_OBSERVED_MAX 1024 /* observed / WireGuard endpoint cache entries */
#define WEFT_G_REFLEXIVE_MAX 8   /* our own reflexive addresses */
#define WEFT_G_RL_SLOTS 256      /* per-source rate limiter slots */
#define WEFT_G_RL_RATE 5         /* unauthenticated packets per second per source */
#define WEFT_G_RL_BURST 10
#define WEFT_G_SYNC_RESPONDERS 4 /* concurrent push-pulls we answer */
#define WEFT_G_SYNC_BUCKETS 32   /* differing buckets handled per exchange */
#define WEFT_G_SYNC_SUBS 16      /* sub-buckets per bucket */
#define WEFT_G_SYNC_RECORDS 512  /* records one side sends per exchange */
#define WEFT_G_SYNC_TIMEOUT_MS 5000
#define WEFT_G_SYNC_LINGER_MS 1000 /* a responder's slot after the last list chunk */
#define WEFT_G_SYNC_RETRIES 3      /* unanswered syncs retried soon, in a row */
#define WEFT_G_JOIN_BOOTSTRAP 8
#define WEFT_G_WELCOME_PARTS 4
#define WEFT_G_HELLO_PAD 64 /* a hello is padded so its cookie is never larger */
#define WEFT_G_COOKIE_LEN 16
#define WEFT_G_COOKIE_WINDOW_S 60
#define WEFT_G_NONE UINT32_MAX

#define MS(x) ((uint64_t)(x)*1000000ull)

/* ---- Node-id directory ---- */
struct weft_gossip_dir {
	weft_gossip_mem_t mem;
	weft_pk_t *ids;
	uint32_t n, cap;
	uint32_t *slots; /* open addressing; index + 1, 0 = empty */
	uint32_t nslots; /* power of two */
};

/* ---- Per-member state: 12 bytes, indexed by directory index ---- */
enum {
	MF_PRESENT = 0x01, /* its member record is in the store */
	MF_SELF = 0x02,
	MF_TUNNEL = 0x04,   /* WireGuard handshake recent: overlay path */
	MF_OVL_FAIL = 0x08, /* an overlay probe failed: underlay until it answers */
	MF_PENDING = 0x10,  /* admitted by an approval invite, not approved yet */
	MF_REVOKED = 0x20,
	MF_EXPIRES = 0x40, /* an override sets an expiry: check it before probing */
};

struct gmember {
	uint32_t inc;
	/* SUSPECT: index of its suspicion + 1; DEAD: next retry, seconds since
	 * the node started. */
	uint32_t aux;
	uint8_t state; /* enum weft_liveness */
	uint8_t flags;
	uint8_t retry; /* dead-retry backoff exponent */
	uint8_t ep;    /* which announced endpoint to try next */
};

struct gprobe {
	bool active, acked, indirect;
	uint8_t nacks_expected, nacks_got;
	uint32_t target, seq;
	uint64_t t_indirect, t_end;
	struct weft_gossip_dgram dest;
};

/* A ping we send for someone else's probe (ping-req). */
enum { PING_FREE = 0, PING_RELAY };
struct gping {
	uint8_t kind;
	bool acked;
	uint32_t seq;
	uint32_t req_seq;
	uint64_t deadline;
	struct weft_gossip_dgram req; /* relay: where the requester is */
};

struct gsusp {
	uint32_t member, inc;
	uint64_t start, deadline;
	uint8_t k, n; /* n suspectors in who[], the first is the original */
	uint32_t who[1 + WEFT_G_SUSPECT_K];
};

struct gheap {
	uint64_t deadline;
	uint32_t member, inc;
};

/* A queued update. Records are named by (type, subject) and read from the
 * store when sent, so the queue holds no copies and a replaced record is
 * sent in its newest version. */
enum { BI_SWIM = 1, BI_RECORD = 2 };
struct bitem {
	uint8_t kind, prio, what;
	uint16_t tx;
	uint32_t seq;
	uint32_t node, inc, from; /* BI_SWIM; from = WEFT_G_NONE if none */
	uint8_t subject[32];      /* BI_RECORD; what = record type */
	uint16_t len;             /* BI_RECORD: its size when queued (0 = unknown) */
};

struct gobs {
	uint32_t member1; /* member index + 1, 0 = empty */
	uint8_t kind;     /* WEFT_EP_OBSERVED or WEFT_EP_WIREGUARD */
	uint32_t seen;    /* seconds since start */
	weft_endpoint_t ep;
};

struct grl {
	weft_ip_t ip;
	uint64_t last;   /* ns */
	uint32_t tokens; /* milli-tokens */
};

struct gsync_init {
	bool active, diff, answered;
	uint32_t xid, peer, records;
	uint64_t deadline;
	struct weft_gossip_dgram dest;
};

struct gsync_resp {
	bool active;
	uint32_t xid, records;
	weft_pk_t peer;
	uint64_t deadline;
};

enum { JOIN_NONE = 0, JOIN_HELLO, JOIN_REQ, JOIN_PENDING, JOIN_DONE };
struct gjoin {
	uint8_t phase;
	uint8_t nboot, cur;
	bool have_cookie;
	weft_endpoint_t boot[WEFT_G_JOIN_BOOTSTRAP];
	weft_endpoint_t cookie_from;
	uint8_t cookie[WEFT_G_COOKIE_LEN];
	uint64_t next_send, give_up;
	int last_err;
	uint16_t invite_len, member_len, state_len;
	uint8_t invite[WEFT_RECORD_MAX];
	uint8_t member[WEFT_RECORD_MAX];
	uint8_t state[WEFT_RECORD_MAX];
};

struct gkey {
	bool valid;
	uint32_t epoch;
	uint8_t key[WEFT_NETKEY_LEN];
};

struct gout {
	struct weft_gossip_dgram dg;
	uint16_t len;
	uint8_t data[];
};

struct gchange {
	uint8_t type, how;
	uint8_t subject[32];
};

struct gperm {
	uint32_t pos, half, size;
	uint32_t key[4];
};

struct weft_gossip {
	weft_gossip_mem_t mem;
	weft_keypair_t id;
	weft_store_t *store;
	weft_gossip_dir_t *dir;
	bool own_dir;
	struct weft_gossip_params p;
	uint32_t event_mask;
	uint8_t fpr[WEFT_WIRE_FPR_LEN];
	weft_pk_t network_id;
	uint32_t self;
	uint64_t rng[4];
	weft_gossip_rand_fn rand;
	void *rand_ctx;

	uint64_t now, t0;
	bool has_wall;
	uint64_t wall_ms, wall_ns;

	struct gkey key, old_key;
	uint64_t old_key_until;  /* the previous key opens packets until then */
	uint64_t old_seal_until; /* and seals ours until then (half the grace) */
	uint8_t nonce_prefix[16];
	uint64_t nonce_ctr;
	uint8_t cookie_key[32];

	/* members */
	struct gmember *m;
	uint32_t mcap;
	uint32_t n_alive, n_suspect, n_dead, n_left, n_present;
	uint32_t inc;
	bool left, member, revoked;

	/* SWIM */
	struct gprobe probe;
	struct gperm perm;
	uint64_t next_probe;
	uint64_t heal_until; /* dead retries ignore backoff until then */
	uint32_t probe_next; /* a suspect to probe at the next tick, or WEFT_G_NONE */
	uint32_t seq, awareness;
	struct gping pings[WEFT_G_PINGS];
	struct gsusp *susp;
	uint32_t nsusp, susp_cap;
	struct gheap *heap;
	uint32_t nheap, heap_cap;

	/* dissemination */
	struct bitem *bq;
	uint32_t nbq, bq_cap, bseq;
	uint64_t next_gossip, last_gossip;

	/* anti-entropy */
	struct gsync_init sync;
	struct gsync_resp resp[WEFT_G_SYNC_RESPONDERS];
	uint64_t next_sync;
	uint32_t sync_hint;   /* member to sync with next, or WEFT_G_NONE */
	uint32_t sync_silent; /* whose last sync went unanswered, or WEFT_G_NONE */
	unsigned sync_misses; /* unanswered syncs in a row */
	struct weft_store_entry_id *scratch;
	size_t scratch_cap;

	/* join */
	struct gjoin *join;
	struct grl *rl;

	/* endpoints */
	struct gobs *obs;
	struct {
		weft_endpoint_t ep;
		uint32_t seen;
		uint8_t kind; /* WEFT_EP_REFLEXIVE or WEFT_EP_REFLEXIVE_WG */
	} refl[WEFT_G_REFLEXIVE_MAX];
	uint8_t nrefl;

	/* queues */
	struct gout **outq;
	uint32_t out_head, out_n, out_cap;
	struct weft_gossip_event *evq;
	uint32_t ev_head, ev_n, ev_cap;
	bool ev_overflow;
	bool quiet; /* loading the store at creation: no events, no dissemination */
	struct gchange *chg;
	uint32_t nchg, chg_cap;

	struct weft_gossip_stats st;
};

/* A received message after its header and, for member messages, its
 * sender id: the handler reads the rest of the body from r. */
struct grx {
	uint8_t type, path;
	const weft_endpoint_t *from;
	uint32_t nfields; /* body array elements left after the sender */
	struct weft_rbuf r;
	weft_pk_t sender;    /* member messages */
	uint32_t sender_idx; /* directory index of a present member, else WEFT_G_NONE */
	struct weft_gossip_dgram reply;
	size_t pkt_len; /* the whole datagram, for amplification checks */
};

/* A packet being built: body writes go to w; finish seals and queues it. */
struct gpkt {
	uint8_t type;
	bool sealed;
	/* Seal with this key (epoch) instead of the one in force; NULL: the
	 * key in force (weft_netkey_sealing). */
	const uint8_t *key;
	uint32_t key_epoch;
	struct weft_gossip_dgram dest;
	struct weft_wbuf w;
	uint8_t buf[WEFT_GOSSIP_MTU];
};

/* The subject of the network-wide records (settings, keyring, rotate,
 * policy): all zero, see record.h. */
extern const uint8_t weft_g_net_subject[32];

/* ---- node.c ---- */
void *weft_g_calloc(const weft_gossip_mem_t *mem, size_t n, size_t size);
void *weft_g_realloc(const weft_gossip_mem_t *mem, void *p, size_t n, size_t size);
void weft_g_free(const weft_gossip_mem_t *mem, void *p);
uint64_t weft_g_rand(weft_gossip_t *g);
uint32_t weft_g_rand_below(weft_gossip_t *g, uint32_t n);
uint32_t weft_g_secs(const weft_gossip_t *g);
bool weft_g_wall_ms(const weft_gossip_t *g, uint64_t *ms);
void weft_g_pkt_start(weft_gossip_t *g, struct gpkt *pk, uint8_t type, const struct weft_gossip_dgram *dest);
/* Queues the packet; returns its length or a negative code (not sent). */
int weft_g_pkt_send(weft_gossip_t *g, struct gpkt *pk);
/* Body bytes left in a packet being built. */
size_t weft_g_pkt_room(const struct gpkt *pk);
void weft_g_event(weft_gossip_t *g, const struct weft_gossip_event *ev);
/* Merge raw record bytes from the network; processes what entered. */
int weft_g_merge_raw(weft_gossip_t *g, const uint8_t *raw, size_t len);
int weft_g_merge(weft_gossip_t *g, const weft_record_t *r);
/* Recompute whether this node takes part (key + member record, not revoked). */
void weft_g_membership(weft_gossip_t *g);

/* ---- members.c ---- */
uint32_t weft_dir_find(const weft_gossip_dir_t *d, const weft_pk_t *id);
uint32_t weft_dir_intern(weft_gossip_dir_t *d, const weft_pk_t *id);
int weft_members_reserve(weft_gossip_t *g, uint32_t idx);
/* A present, not revoked member other than this node. */
bool weft_members_known(const weft_gossip_t *g, uint32_t idx);
/* Member we may talk to now: alive or suspect, not pending, not expired. */
bool weft_members_eligible(weft_gossip_t *g, uint32_t idx);
void weft_members_set_state(weft_gossip_t *g, uint32_t idx, uint8_t state, uint32_t inc);
/* Where to send to member idx; false when no path is known. */
bool weft_members_dest(weft_gossip_t *g, uint32_t idx, struct weft_gossip_dgram *d);
/* Random eligible member not in skip[0..nskip), or WEFT_G_NONE. */
uint32_t weft_members_random(weft_gossip_t *g, const uint32_t *skip, size_t nskip);
/* Next probe target in randomized round-robin order, or WEFT_G_NONE. */
uint32_t weft_members_next_probe(weft_gossip_t *g);
void weft_members_observed(weft_gossip_t *g, uint32_t idx, uint8_t kind, const weft_endpoint_t *ep);
void weft_members_forget_observed(weft_gossip_t *g, uint32_t idx, uint8_t kind);
/* kind: WEFT_EP_REFLEXIVE (an underlay ack) or WEFT_EP_REFLEXIVE_WG (an
 * ack inside the tunnel, carrying the acker's WireGuard view of us). */
void weft_members_reflexive(weft_gossip_t *g, uint8_t kind, const weft_endpoint_t *ep);
/* The member's endpoint as our WireGuard reports it, or NULL. */
const weft_endpoint_t *weft_members_wg_seen(const weft_gossip_t *g, uint32_t idx);
/* Recompute PENDING/EXPIRES from the member's records. */
void weft_members_refresh_flags(weft_gossip_t *g, uint32_t idx);
/* Process one record that entered the store. */
void weft_members_record(weft_gossip_t *g, const struct gchange *c);

/* ---- swim.c ---- */
void weft_swim_tick(weft_gossip_t *g);
void weft_swim_timers(weft_gossip_t *g);
uint64_t weft_swim_deadline(const weft_gossip_t *g);
int weft_swim_on_ping(weft_gossip_t *g, struct grx *rx);
int weft_swim_on_ack(weft_gossip_t *g, struct grx *rx);
int weft_swim_on_ping_req(weft_gossip_t *g, struct grx *rx);
int weft_swim_on_nack(weft_gossip_t *g, struct grx *rx);
/* Apply one piggybacked membership update. */
void weft_swim_apply(weft_gossip_t *g, uint8_t kind, const weft_pk_t *node, uint32_t inc, const weft_pk_t *from);
void weft_swim_clear_suspicion(weft_gossip_t *g, uint32_t idx);
/* A datagram from member idx was accepted. */
void weft_swim_heard_from(weft_gossip_t *g, uint32_t idx);
void weft_swim_leave(weft_gossip_t *g);

/* ---- bcast.c ---- */
void weft_bcast_swim(weft_gossip_t *g, uint8_t what, uint32_t node, uint32_t inc, uint32_t from);
void weft_bcast_record(weft_gossip_t *g, uint8_t type, const uint8_t subject[32]);
/* Write the items array (room permitting) for a packet to dest_idx. */
void weft_bcast_fill(weft_gossip_t *g, struct weft_wbuf *w, size_t room, uint32_t dest_idx);
/* Read an items array: validate only, or apply. */
int weft_bcast_items(weft_gossip_t *g, struct weft_rbuf *r, bool apply);
void weft_bcast_round(weft_gossip_t *g);
int weft_bcast_on_gossip(weft_gossip_t *g, struct grx *rx);
uint32_t weft_bcast_limit(const weft_gossip_t *g);

/* ---- sync.c ---- */
void weft_sync_tick(weft_gossip_t *g);
void weft_sync_timers(weft_gossip_t *g);
uint64_t weft_sync_deadline(const weft_gossip_t *g);
/* Start an exchange with idx now (after a join). */
void weft_sync_start(weft_gossip_t *g, uint32_t idx);
/* Make idx the next partner and the next exchange come within a probe
 * interval (a member came back from the dead). */
void weft_sync_soon(weft_gossip_t *g, uint32_t idx);
int weft_sync_on_sync(weft_gossip_t *g, struct grx *rx);
int weft_sync_on_diff(weft_gossip_t *g, struct grx *rx);
int weft_sync_on_list(weft_gossip_t *g, struct grx *rx);
int weft_sync_on_want(weft_gossip_t *g, struct grx *rx);
int weft_sync_on_records(weft_gossip_t *g, struct grx *rx);

/* ---- join.c ---- */
void weft_join_timers(weft_gossip_t *g);
uint64_t weft_join_deadline(const weft_gossip_t *g);
int weft_join_on_hello(weft_gossip_t *g, struct grx *rx);
int weft_join_on_cookie(weft_gossip_t *g, struct grx *rx);
int weft_join_on_request(weft_gossip_t *g, struct grx *rx);
int weft_join_on_welcome(weft_gossip_t *g, struct grx *rx);
int weft_join_on_refuse(weft_gossip_t *g, struct grx *rx);
int weft_join_start(weft_gossip_t *g, const weft_token_t *tok, const weft_endpoint_t *boot, size_t n,
		    const weft_record_t *state);

/* ---- ratelimit.c ---- */
/* True when a packet from ip may be processed now (token bucket). */
bool weft_ratelimit_allow(weft_gossip_t *g, const weft_ip_t *ip);

/* ---- netkey.c ---- */
int weft_netkey_install(weft_gossip_t *g, uint32_t epoch, const uint8_t key[WEFT_NETKEY_LEN], uint32_t grace_s);
/* The key to seal with now, or NULL. */
const struct gkey *weft_netkey_sealing(const weft_gossip_t *g);
/* Key for a received packet's epoch, or NULL. */
const uint8_t *weft_netkey_for(const weft_gossip_t *g, uint32_t epoch);
/* A keyring or keyshare record arrived: install our share if it is ours. */
void weft_netkey_record(weft_gossip_t *g, uint8_t type);
/* This node's X25519 key pair from its identity (wipe sk after use). */
int weft_netkey_x25519(const weft_gossip_t *g, uint8_t pk[32], uint8_t sk[32]);

#endif
