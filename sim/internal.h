/* sim/internal.h: the simulator's state and the functions its files call in
 * each other: the event queue, the link model, the WireGuard model, the
 * nodes with the daemon's part of their behaviour, and the metrics. Only
 * sim/ and its tests include it. */
#ifndef WEFT_SIM_INTERNAL_H
#define WEFT_SIM_INTERNAL_H

#include "gossip/gossip.h"
#include "core/record.h"
#include "sim/sim.h"
#include "core/store.h"
#include "core/token.h"
#include "core/vcache.h"
#include "wg/wg.h"

/* Wire overheads counted in wire bytes: an IPv4 and a UDP header around
 * every datagram; an overlay one is also an IP packet inside the tunnel,
 * padded to 16 bytes, in a WireGuard transport message (type, receiver,
 * counter, then a 16-byte tag). */
#define SIM_IPUDP 28
#define SIM_WG_DATA 32
#define SIM_WG_INIT 148 /* handshake initiation */
#define SIM_WG_RESP 92  /* handshake response */
/* WireGuard's timers (whitepaper §6.1): a session is used for 180 s, a new
 * handshake is started after 120 s of use, and one is retried after 5 s. */
#define SIM_REJECT_AFTER (180 * WEFT_SIM_SEC)
#define SIM_REKEY_AFTER (120 * WEFT_SIM_SEC)
#define SIM_REKEY_TIMEOUT (5 * WEFT_SIM_SEC)

#define SIM_GOSSIP_PORT 51821
#define SIM_WG_PORT 51820
#define SIM_WALL_BASE_MS 1700000000000ull /* unix ms at virtual time 0 */
/* A death within this long of a crash or partition involving the pair is
 * the protocol's correct answer to it, not a false one. */
#define SIM_BLAME_WINDOW (60 * WEFT_SIM_SEC)
#define SIM_NONE UINT32_MAX

/* ---- random numbers: splitmix64 streams ---- */
uint64_t sim_rand(uint64_t *state);
/* Uniform in [0, n). */
uint64_t sim_rand_below(uint64_t *state, uint64_t n);
/* The libsodium randombytes source is a seeded stream too (sim/rand.c). */
void sim_randombytes_seed(uint64_t seed);

/* ---- the event queue ---- */
enum sim_ev_kind {
	EV_TIMER = 1, /* a node's gossip deadline (node, gen) */
	EV_PKT,       /* a datagram arrives (pkt) */
	EV_ACTION,    /* a scenario action (aux = index) */
	EV_RESTART,   /* a crashed node comes back (node, gen = its crash count) */
	EV_WGAPPLY,   /* the daemon applies its peer set to wg/ (node, gen) */
	EV_ATTACK,    /* a malicious member's next attacks (node) */
};

struct sim_pkt;

struct sim_ev {
	uint64_t t, seq;
	uint8_t kind;
	uint32_t node, gen;
	struct sim_pkt *pkt;
};

struct sim_queue {
	struct sim_ev *h;
	size_t n, cap;
	uint64_t seq;
};

int sim_queue_push(struct sim_queue *q, uint64_t t, uint8_t kind, uint32_t node, uint32_t gen, struct sim_pkt *pkt);
bool sim_queue_pop(struct sim_queue *q, struct sim_ev *out);
void sim_queue_free(struct sim_queue *q);

/* ---- datagrams in flight ---- */
enum sim_pkt_kind {
	PK_GOSSIP = 0,
	PK_HS_INIT = 1, /* WireGuard handshake initiation */
	PK_HS_RESP = 2, /* and response */
	PK_HS_KEEP = 3, /* the initiator's first transport message (a keepalive) */
};

struct sim_pkt {
	struct sim_pkt *next; /* free list */
	uint32_t src, dst;
	uint8_t kind, path;
	bool rx_done; /* has passed the receiver's capped link */
	bool attack;  /* made by a malicious member on top of the protocol */
	uint16_t len;
	uint32_t wire; /* bytes on the wire */
	/* handshakes: what each side's keys and lives were when it was sent */
	uint32_t src_boot, src_keyver, dst_boot, dst_keyver;
	uint8_t data[WEFT_GOSSIP_MTU];
};

/* ---- WireGuard sessions (sim/tunnel.c) ---- */
struct sim_side {
	bool up;               /* this side completed the handshake */
	bool pend;             /* responder: answered, waits for the initiator's first message */
	bool told;             /* the node's gossip was told the tunnel is up */
	uint32_t boot, keyver; /* of this side's node when it did */
	uint32_t peer_keyver;  /* of the peer's key it used */
	uint64_t t_hs;         /* when */
	uint32_t pend_boot, pend_keyver, pend_peer_keyver;
	uint64_t t_pend;
	uint64_t t_init;    /* last initiation this side sent */
	uint32_t init_boot; /* in which life of its node */
};

struct sim_session {
	uint32_t a, b;        /* a < b */
	struct sim_side s[2]; /* [0] = a's side, [1] = b's */
};

struct sim_sessions {
	struct sim_session *v;
	size_t n, cap; /* open addressing, cap a power of two */
};

/* ---- tracked records (sim/metrics.c) ---- */
enum sim_track_group {
	TG_STATE = 0,
	TG_REVOCATION,
	TG_ROTATE,
	TG_NETWORK, /* published by the scenario */
	TG_ROTATE_KEY,
	TG_MEMBER, /* consequences */
	TG_COUNT,
};
#define TG_PRIMARY_MAX TG_NETWORK

struct sim_track {
	uint8_t type, group;
	uint8_t subject[32];
	uint8_t hash[32];
	uint64_t version;
	uint64_t t0;
	uint32_t origin;
	uint32_t next;      /* chain of tracks with the same (type, subject) */
	uint32_t *delay_us; /* per node: UINT32_MAX = not yet */
	uint8_t *up0;       /* bitmap: nodes up when it was published */
};

struct sim_crash {
	uint32_t node;
	uint64_t t, t_back; /* t_back: restart time, UINT64_MAX while down */
	uint32_t *delay_us; /* per observer: UINT32_MAX = not yet */
	uint8_t *eligible;  /* bitmap: observers up at the crash */
};

struct sim_cut {
	uint8_t g1, g2;
	uint64_t from, to; /* to = UINT64_MAX while it lasts */
};

/* ---- nodes ---- */
enum sim_node_status {
	NS_NEW = 0, /* not started (a joiner before its time) */
	NS_UP = 1,
	NS_DOWN = 2,
};

struct sim_node {
	uint32_t idx;
	uint8_t status;
	bool joiner; /* started without a token-less membership */
	bool joined; /* a joiner that got its welcome */
	bool revoked;
	bool malicious;      /* compromised (issue #22): attacks besides the protocol */
	bool rotate_pending; /* a key rotation order arrived: act after the events */
	uint32_t boot;       /* starts so far */
	uint32_t gen;        /* timer generation */
	uint32_t crashes;
	uint32_t groups; /* bit g: in group g */
	uint64_t armed;  /* deadline of the live timer event */
	uint64_t rng;    /* the node's injected randomness */
	weft_keypair_t id;
	weft_store_t *store; /* kept across crashes: the persisted state */
	weft_gossip_t *g;
	uint32_t incarnation; /* persisted at a crash */
	uint8_t netkey[WEFT_NETKEY_LEN];
	uint32_t netkey_epoch;
	bool has_netkey;
	/* its state record's fields */
	uint64_t state_version;
	weft_wgkey_t wg_pub;
	uint32_t wg_keyver;
	uint64_t wg_key_time; /* unix s */
	/* links */
	uint64_t tx_free, rx_free;
	/* metrics: in the measurement window */
	uint64_t up_since; /* when it last started */
	uint64_t up_ns;    /* time up within the window */
	uint64_t tx_bytes, tx_pkts, tx_wire;
	uint64_t crashed_at, back_at; /* last crash and restart */
	uint32_t crash_idx;           /* its open crash record, or SIM_NONE */
	uint64_t created_at;
	uint64_t join_t0, join_t1;
	/* wg/ memory backend */
	weft_wg_mem_world_t *world;
	weft_wg_t *wg;
	bool wg_dirty;
	uint32_t wg_gen;
};

struct weft_sim {
	struct weft_sim_scenario sc;
	uint64_t now, end;
	uint64_t rng;
	struct sim_queue q;
	uint64_t events;
	/* links */
	uint32_t loss_ppm;
	uint64_t latency, jitter;
	struct sim_cut *cuts;
	size_t ncuts, cuts_cap;
	struct sim_pkt *free_pkts;
	/* the network */
	weft_keypair_t admin, invite, join_invite;
	weft_record_t settings, invite_rec, join_invite_rec, keyring;
	uint64_t admin_version; /* last version of an admin record */
	uint8_t netkey[WEFT_NETKEY_LEN];
	weft_recpool_t *pool;
	weft_vcache_t *cache;
	weft_gossip_dir_t *dir;
	struct weft_gossip_params params;
	uint32_t n, nmax; /* nodes created, room */
	uint32_t n_initial;
	struct sim_node *nodes;
	uint32_t *by_id; /* open addressing over node ids: index + 1 */
	uint32_t by_id_cap;
	struct sim_sessions sess;
	/* metrics */
	struct sim_track *tracks;
	uint32_t ntracks, tracks_cap;
	uint32_t *track_head; /* open addressing by (type, subject): track index + 1 */
	uint32_t track_head_cap;
	struct sim_crash *crashes;
	uint32_t ncrashes, crashes_cap;
	uint64_t false_suspicions, false_deaths, partition_deaths;
	uint64_t handshakes, handshakes_failed;
	uint64_t pkts_sent, pkts_lost, pkts_dropped, overlay_pkts, underlay_pkts;
	uint64_t event_overflows;
	uint32_t joins, join_failed;
	/* the adversary */
	uint32_t nmalicious;
	uint64_t atk_version;
	uint64_t attack_pkts, attack_bytes;
	uint64_t honest_false_suspicions, honest_false_deaths, revived_dead, forged_endpoints;
	uint64_t misbehaving_reports, misbehaving_honest;
	uint64_t spin_at; /* livelock guard: timers that do not advance time */
	uint32_t spins;
	uint64_t win_from, win_to;
	uint8_t trace[32];
	bool failed;
	char err[160];
};

/* ---- sim/link.c ---- */
void sim_endpoint_of(uint32_t idx, weft_endpoint_t *ep);
void sim_overlay_of(uint32_t idx, weft_endpoint_t *ep);
uint32_t sim_node_by_endpoint(const struct weft_sim *s, const weft_endpoint_t *ep);
uint32_t sim_node_by_id(const struct weft_sim *s, const weft_pk_t *id);
int sim_index_id(struct weft_sim *s, uint32_t idx);
/* Whether a and b were cut off from each other at any time in [from, to]. */
bool sim_cut_recently(const struct weft_sim *s, uint32_t a, uint32_t b, uint64_t from);
struct sim_pkt *sim_pkt_alloc(struct weft_sim *s);
void sim_pkt_free(struct weft_sim *s, struct sim_pkt *p);
/* Puts p on the wire from p->src to p->dst (taking it over). A datagram
 * that cannot be delivered (a stale tunnel, no such address) still costs
 * its sender. */
void sim_link_send(struct weft_sim *s, struct sim_pkt *p, bool deliverable);
/* p reached p->dst's host: false when its capped link delays it (it was
 * queued again) or drops it (freed). */
bool sim_link_arrive(struct weft_sim *s, struct sim_pkt *p);

/* ---- sim/tunnel.c ---- */
/* A datagram the node's gossip wants to send to member peer on the
 * underlay: the daemon's WireGuard may start a handshake with it. */
void sim_tunnel_underlay_send(struct weft_sim *s, uint32_t from, uint32_t peer);
/* Whether an overlay datagram from -> to gets through the tunnel now. */
bool sim_tunnel_pass(struct weft_sim *s, uint32_t from, uint32_t to);
/* An overlay datagram from -> to arrived: it confirms to's side of a
 * handshake it answered. */
void sim_tunnel_on_data(struct weft_sim *s, uint32_t from, uint32_t to);
void sim_tunnel_on_packet(struct weft_sim *s, struct sim_pkt *p);
/* Host self learnt a new WireGuard key of peer, or made one itself: the
 * sessions it ends are down for its gossip. */
void sim_tunnel_peer_key(struct weft_sim *s, uint32_t self, uint32_t peer);
void sim_tunnel_own_key(struct weft_sim *s, uint32_t self);
void sim_tunnel_free(struct weft_sim *s);
/* wg/ memory backend: open a node's device, mark its peer set stale, apply. */
int sim_wg_open(struct weft_sim *s, struct sim_node *nd);
void sim_wg_close(struct sim_node *nd);
void sim_wg_dirty(struct weft_sim *s, struct sim_node *nd);
void sim_wg_apply(struct weft_sim *s, struct sim_node *nd);

/* ---- sim/nodes.c ---- */
int sim_network_build(struct weft_sim *s);
int sim_node_start(struct weft_sim *s, struct sim_node *nd);
void sim_node_crash(struct weft_sim *s, struct sim_node *nd);
int sim_node_join(struct weft_sim *s, struct sim_node *nd, const uint32_t *via, size_t nvia);
/* After any call into a node's gossip: send what it queued, act on its
 * events, re-arm its timer. */
void sim_node_drain(struct weft_sim *s, struct sim_node *nd);
int sim_node_publish_state(struct weft_sim *s, struct sim_node *nd, uint8_t group);
/* A new version of the node's state record as its daemon would make it,
 * signed (0, or an error the run has recorded). */
int sim_node_state_record(struct weft_sim *s, struct sim_node *nd, weft_record_t *r);
int sim_admin_publish(struct weft_sim *s, struct sim_node *at, weft_record_t *r, uint8_t group);
uint64_t sim_wall_ms(const struct weft_sim *s);
void sim_fail(struct weft_sim *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- sim/adversary.c ---- */
/* Choose the malicious members (after the network is built) and start
 * their attacks. */
int sim_adversary_start(struct weft_sim *s);
void sim_attack_tick(struct weft_sim *s, struct sim_node *a);

/* ---- sim/metrics.c ---- */
int sim_track_add(struct weft_sim *s, uint8_t group, const weft_record_t *r, uint32_t origin);
void sim_track_on_record(struct weft_sim *s, struct sim_node *nd, uint8_t type, const uint8_t subject[32]);
int sim_crash_open(struct weft_sim *s, struct sim_node *nd);
void sim_metrics_liveness(struct weft_sim *s, struct sim_node *obs, const weft_pk_t *who, uint8_t state);
/* An endpoint gossip reported for a member (the adversary's check). */
void sim_metrics_endpoint(struct weft_sim *s, struct sim_node *obs, const struct weft_gossip_event *ev);
/* A MISBEHAVING report. */
void sim_metrics_misbehaving(struct weft_sim *s, struct sim_node *obs, const weft_pk_t *who);
void sim_metrics_up(struct weft_sim *s, struct sim_node *nd, bool up);
void sim_metrics_result(struct weft_sim *s, struct weft_sim_result *r);
void sim_metrics_free(struct weft_sim *s);

#endif
