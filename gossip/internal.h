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
/* Insider limits (docs/DESIGN.md, "As built: a compromised member"). */
#define WEFT_G_PAIRS_MAX (1u << 22) /* cached pair keys in a directory (the simulator shares one) */
#define WEFT_G_STRIKES 64           /* members whose accusations were refuted, remembered */
#define WEFT_G_STRIKE_LIMIT 3       /* refuted accusations before a member's are ignored */
#define WEFT_G_STRIKE_DECAY_S 300   /* one refuted accusation forgiven per this long */
#define WEFT_G_INC_SLACK \
	64                         /* an accusation this far above our incarnation may be one we
				    * signed before a restart lost it: refuted above it */
#define WEFT_G_DEAD_EVIDENCE 2     /* distinct accusers a death needs unless we saw it ourselves */
#define WEFT_G_OWNSIGS 8           /* our own signed updates kept for re-sending */
#define WEFT_G_STATE_INTERVAL_S 60 /* a member's state records taken: one per interval... */
#define WEFT_G_STATE_BURST 6       /* ...after a burst of this many */
#define WEFT_G_DEFER_MAX 16        /* state records held back by that limit */
#define WEFT_G_STRANGERS 32        /* pair keys of senders not (yet) members here */
#define WEFT_G_DH_RATE 200         /* Diffie-Hellman per second for such senders... */
#define WEFT_G_DH_BURST 400        /* ...after a burst of this many */
#define WEFT_G_NONE UINT32_MAX

#define MS(x) ((uint64_t)(x)*1000000ull)

/* ---- Node-id directory ---- */
/* A pair key, cached: both sides compute the same one, so a directory
 * shared by simulated nodes holds each pair once. */
struct gpair {
	uint32_t lo1, hi; /* directory indices, lo + 1 (0 = empty) */
	uint32_t used;    /* tick of the last use, for eviction */
	uint8_t key[WEFT_WIRE_PAIRKEY_LEN];
};

struct weft_gossip_dir {
	weft_gossip_mem_t mem;
	weft_pk_t *ids;
	uint32_t n, cap;
	uint32_t *slots; /* open addressing; index + 1, 0 = empty */
	uint32_t nslots; /* power of two */
	/* X25519 public key of each id (converted once), and its state:
	 * 0 not yet, 1 good, 2 not a valid key. Parallel to ids. */
	uint8_t (*xpk)[32];
	uint8_t *xst;
	uint32_t xcap;
	struct gpair *pairs; /* open addressing, a power of two */
	uint32_t npairs, pairs_cap, pairs_tick;
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
	uint32_t inc; /* the highest incarnation it has signed, as far as we know */
	/* SUSPECT: index of its suspicion + 1; DEAD: next retry, seconds since
	 * the node started. */
	uint32_t aux;
	uint8_t state; /* enum weft_liveness */
	uint8_t flags;
	uint8_t retry;   /* dead-retry backoff exponent */
	uint8_t ep;      /* which announced endpoint to try next */
	uint32_t st_tat; /* its state records' rate limit (GCRA), seconds since start */
	uint64_t ctr;    /* highest authentication counter seen from it */
};

struct gprobe {
	bool active, acked, indirect;
	uint8_t nacks_expected, nacks_got;
	uint8_t nhelpers;
	uint32_t helpers[8]; /* who we asked: only they may nack or relay an ack */
	uint32_t target, seq;
	uint64_t t_indirect, t_end;
	struct weft_gossip_dgram dest;
};

/* A ping we send for someone else's probe (ping-req), or to a member we
 * hold dead (its answer is our own evidence that it lives). */
enum { PING_FREE = 0, PING_RELAY, PING_RETRY };
struct gping {
	uint8_t kind;
	bool acked;
	uint32_t seq;
	uint32_t target; /* whom we pinged: only its ack counts */
	uint32_t req_seq;
	uint64_t deadline;
	struct weft_gossip_dgram req; /* relay: where the requester is */
};

struct gsusp {
	uint32_t member, inc;
	uint64_t start, deadline;
	uint8_t k, n;     /* n accusers in who[], the first is the original */
	uint8_t ndead;    /* members that declared it dead (their own timeouts passed), in dead_by */
	uint8_t kind0;    /* the original accusation (suspect or dead), signed sig0 */
	bool checked;     /* evidence was short at the deadline: we probe it ourselves */
	bool alive_seen;  /* it answered a ping of ours since: it lives, whoever says not */
	bool pinged;      /* on others' word alone: we pinged it once before declaring it dead... */
	uint64_t ping_at; /* ...then */
	uint32_t who[1 + WEFT_G_SUSPECT_K];
	uint32_t dead_by[WEFT_G_DEAD_EVIDENCE];
	uint8_t sig0[WEFT_SIG_LEN];
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
	uint32_t node, inc, from;  /* BI_SWIM; from = the accuser (suspect, dead) */
	uint8_t subject[32];       /* BI_RECORD; what = record type */
	uint16_t len;              /* BI_RECORD: its size when queued (0 = unknown) */
	uint8_t sig[WEFT_SIG_LEN]; /* BI_SWIM: the signer's (node, or accuser) */
};

/* A member whose accusations were refuted: counted, forgiven slowly. */
struct gstrike {
	uint32_t member1; /* member index + 1, 0 = free */
	uint16_t count;
	bool reported;   /* the MISBEHAVING event went out for this run */
	uint32_t last_s; /* seconds since start of the last count or decay */
};

/* The pair key of a sender that is no member here (yet): a few, kept. */
struct gstranger {
	weft_pk_t id;
	uint32_t used; /* 0 = free */
	uint8_t key[WEFT_WIRE_PAIRKEY_LEN];
};

/* One of our own signed membership updates, kept to send again. */
struct gownsig {
	uint8_t kind;
	uint32_t node, inc;
	uint8_t sig[WEFT_SIG_LEN];
};

/* A member's state record held back by its rate limit, merged when due. */
struct gdefer {
	uint32_t member1; /* 0 = free */
	uint32_t due_s;
	uint16_t len;
	uint8_t raw[WEFT_RECORD_MAX];
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
	uint8_t xsk[32];                             /* our X25519 secret (from the identity), for pair keys */
	uint64_t tx_ctr;                             /* the authentication counter of our last member packet */
	uint8_t pair_scratch[WEFT_WIRE_PAIRKEY_LEN]; /* a pair key not cached (wiped after use) */
	struct gstranger strangers[WEFT_G_STRANGERS];
	uint32_t stranger_tick;
	uint64_t dh_last;   /* the budget of Diffie-Hellman for strangers */
	uint32_t dh_tokens; /* milli-tokens */
	weft_vcache_t *vc;  /* signed updates checked once */
	bool own_vc;
	struct gstrike strikes[WEFT_G_STRIKES];
	struct gownsig ownsig[WEFT_G_OWNSIGS];
	uint32_t ownsig_next;
	struct gdefer *defer;
	uint32_t ndefer;

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
	weft_pk_t sender;    /* member messages: authenticated */
	uint32_t sender_idx; /* directory index of a present member, else WEFT_G_NONE */
	bool fresh;          /* its counter is above every earlier one of the sender */
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
/* A member's state record whose member publishes faster than its pace
 * (WEFT_G_STATE_*): no reason for anti-entropy to hurry. */
bool weft_g_state_throttled(weft_gossip_t *g, const weft_record_t *r);
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
/* Apply one piggybacked membership update; from is the accuser (suspect,
 * dead), NULL otherwise; sig is checked here before it counts. */
void weft_swim_apply(weft_gossip_t *g, uint8_t kind, const weft_pk_t *node, uint32_t inc, const weft_pk_t *from,
		     const uint8_t sig[WEFT_SIG_LEN]);
void weft_swim_clear_suspicion(weft_gossip_t *g, uint32_t idx);
/* A datagram from member idx was accepted. */
void weft_swim_heard_from(weft_gossip_t *g, uint32_t idx);
void weft_swim_leave(weft_gossip_t *g);

/* ---- bcast.c ---- */
/* Queue a signed membership update: sig is the node's (alive, left) or
 * the accuser's (suspect, dead: from). */
void weft_bcast_swim(weft_gossip_t *g, uint8_t what, uint32_t node, uint32_t inc, uint32_t from,
		     const uint8_t sig[WEFT_SIG_LEN]);
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

/* ---- auth.c ---- */
/* The pair key shared with peer (idx its directory index, or WEFT_G_NONE
 * for an id not interned: computed, not cached). NULL when the id is not a
 * valid key. The pointer is good until the next call. */
const uint8_t *weft_auth_pair_key(weft_gossip_t *g, const weft_pk_t *peer, uint32_t idx);
/* Our counter for the next member packet. */
uint64_t weft_auth_next_ctr(weft_gossip_t *g);
/* Our signature on a membership update (kind, node idx, inc), made or
 * taken from the small cache of our own. */
void weft_auth_sign_update(weft_gossip_t *g, uint8_t kind, uint32_t node, uint32_t inc, uint8_t sig[WEFT_SIG_LEN]);
/* Whether signer signed (kind, node, inc). */
bool weft_auth_check_update(weft_gossip_t *g, const weft_pk_t *signer, uint8_t kind, const weft_pk_t *node,
			    uint32_t inc, const uint8_t sig[WEFT_SIG_LEN]);
/* A member's accusation was refuted: count it against the member. */
void weft_auth_strike(weft_gossip_t *g, uint32_t member);
/* Whether a member's accusations are ignored for now. */
bool weft_auth_limited(weft_gossip_t *g, uint32_t member);
void weft_auth_dir_free(weft_gossip_dir_t *d);

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
