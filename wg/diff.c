/* The diff: from a desired device and the current one, the smallest change
 * set — remove, update or add single peers, and only the fields that differ.
 * Replacing the whole peer list would reset every session (DESIGN §5), so
 * that is never done. Pure: no I/O. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wg/backend.h"
#include "core/error.h"

static int peer_ptr_cmp(const void *a, const void *b)
{
	const weft_wg_peer_t *pa = *(const weft_wg_peer_t *const *)a;
	const weft_wg_peer_t *pb = *(const weft_wg_peer_t *const *)b;

	return memcmp(pa->public_key.b, pb->public_key.b, WEFT_WGKEY_LEN);
}

static int cidr_qcmp(const void *a, const void *b)
{
	return weft_wg_cidr_cmp(a, b);
}

/* The peers of dev as pointers sorted by public key. */
static int sorted_peers(const weft_wg_device_t *dev, const weft_wg_peer_t ***out)
{
	const weft_wg_peer_t **v;
	size_t i;

	v = malloc((dev->n_peers ? dev->n_peers : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < dev->n_peers; i++)
		v[i] = &dev->peers[i];
	qsort(v, dev->n_peers, sizeof(*v), peer_ptr_cmp);
	*out = v;
	return 0;
}

/* A peer's allowed IPs as WireGuard holds them: masked, sorted, unique. */
static int normalized(const weft_wg_peer_t *p, weft_cidr_t **out, size_t *n)
{
	weft_cidr_t *v;
	size_t i, k = 0;

	v = malloc((p->n_allowed_ips ? p->n_allowed_ips : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < p->n_allowed_ips; i++) {
		v[i] = p->allowed_ips[i];
		weft_wg_cidr_mask(&v[i]);
	}
	qsort(v, p->n_allowed_ips, sizeof(*v), cidr_qcmp);
	for (i = 0; i < p->n_allowed_ips; i++)
		if (k == 0 || weft_wg_cidr_cmp(&v[k - 1], &v[i]))
			v[k++] = v[i];
	*out = v;
	*n = k;
	return 0;
}

/* 1 when equal as sets, 0 when not, or -ENOMEM. */
static int allowed_equal(const weft_wg_peer_t *a, const weft_wg_peer_t *b)
{
	weft_cidr_t *va = NULL, *vb = NULL;
	size_t na, nb;
	int ret;

	ret = normalized(a, &va, &na);
	if (ret)
		goto out;
	ret = normalized(b, &vb, &nb);
	if (ret)
		goto out;
	ret = na == nb && (na == 0 || !memcmp(va, vb, na * sizeof(*va)));
out:
	free(va);
	free(vb);
	return ret;
}

struct owned_cidr {
	weft_cidr_t c;
	size_t owner;
};

static int owned_qcmp(const void *a, const void *b)
{
	return weft_wg_cidr_cmp(&((const struct owned_cidr *)a)->c, &((const struct owned_cidr *)b)->c);
}

/* Refuses what WireGuard would take silently but never converge on: a key
 * twice, an allowed IP on two peers (the last set would win, and the next
 * diff would move it back), invalid prefixes or endpoints. */
static int validate(const weft_wg_device_t *d, const weft_wg_peer_t **sorted, weft_wg_err_t *err)
{
	struct owned_cidr *all = NULL;
	size_t i, j, n = 0, total = 0;
	char k64[WEFT_WGKEY_B64_LEN + 1], cs[WEFT_CIDRSTRLEN];
	int ret = 0;

	for (i = 0; i < d->n_peers; i++) {
		const weft_wg_peer_t *p = &d->peers[i];

		weft_key_to_base64(k64, p->public_key.b);
		if (p->endpoint.ip.family != 0 &&
		    ((p->endpoint.ip.family != 4 && p->endpoint.ip.family != 6) || !p->endpoint.port))
			return weft_wg_errf(err, WEFT_EBADADDR, "peer %s: invalid endpoint", k64);
		for (j = 0; j < p->n_allowed_ips; j++)
			if (!weft_wg_cidr_valid(&p->allowed_ips[j]))
				return weft_wg_errf(err, WEFT_EBADCIDR,
						    "peer %s: allowed IP %zu is not a valid prefix", k64, j);
		total += p->n_allowed_ips;
		if (i && !peer_ptr_cmp(&sorted[i - 1], &sorted[i])) {
			weft_key_to_base64(k64, sorted[i]->public_key.b);
			return weft_wg_errf(err, WEFT_EDUPLICATE, "peer %s is desired twice", k64);
		}
	}
	all = malloc((total ? total : 1) * sizeof(*all));
	if (!all)
		return weft_wg_errf(err, -ENOMEM, "diff");
	for (i = 0; i < d->n_peers; i++) {
		for (j = 0; j < d->peers[i].n_allowed_ips; j++) {
			all[n].c = d->peers[i].allowed_ips[j];
			weft_wg_cidr_mask(&all[n].c);
			all[n++].owner = i;
		}
	}
	qsort(all, n, sizeof(*all), owned_qcmp);
	for (i = 1; i < n; i++) {
		if (!weft_wg_cidr_cmp(&all[i - 1].c, &all[i].c) && all[i - 1].owner != all[i].owner) {
			weft_cidr_format(&all[i].c, cs, sizeof(cs));
			ret = weft_wg_errf(err, WEFT_EDUPLICATE, "allowed IP %s is desired on two peers", cs);
			break;
		}
	}
	free(all);
	return ret;
}

static void set_allowed(weft_wg_peer_change_t *pc, const weft_wg_peer_t *d)
{
	pc->flags |= WEFT_WG_PC_REPLACE_ALLOWED;
	pc->allowed_ips = d->allowed_ips;
	pc->n_allowed_ips = d->n_allowed_ips;
}

/* A peer present in both: only the fields that differ. Returns 1 when
 * something differs, 0 when not, -ENOMEM. */
static int peer_update(weft_wg_peer_change_t *pc, const weft_wg_peer_t *d, const weft_wg_peer_t *c)
{
	int eq;

	memset(pc, 0, sizeof(*pc));
	pc->public_key = d->public_key;
	/* If the peer vanished since it was read, do not recreate half of it:
	 * the next apply adds it whole. */
	pc->flags = WEFT_WG_PC_UPDATE_ONLY;
	if (d->endpoint.ip.family && !weft_endpoint_equal(&d->endpoint, &c->endpoint)) {
		pc->flags |= WEFT_WG_PC_ENDPOINT;
		pc->endpoint = d->endpoint;
	}
	if (d->keepalive != c->keepalive) {
		pc->flags |= WEFT_WG_PC_KEEPALIVE;
		pc->keepalive = d->keepalive;
	}
	eq = allowed_equal(d, c);
	if (eq < 0)
		return eq;
	if (!eq)
		set_allowed(pc, d);
	return pc->flags != WEFT_WG_PC_UPDATE_ONLY;
}

static void peer_add(weft_wg_peer_change_t *pc, const weft_wg_peer_t *d)
{
	memset(pc, 0, sizeof(*pc));
	pc->public_key = d->public_key;
	if (d->endpoint.ip.family) {
		pc->flags |= WEFT_WG_PC_ENDPOINT;
		pc->endpoint = d->endpoint;
	}
	if (d->keepalive) {
		pc->flags |= WEFT_WG_PC_KEEPALIVE;
		pc->keepalive = d->keepalive;
	}
	/* A no-op on a new peer, but right if it appeared since the read. */
	set_allowed(pc, d);
}

enum phase { PHASE_REMOVE, PHASE_UPDATE, PHASE_ADD };

/* One merge walk over both sorted lists, emitting one kind of change. */
static int walk(enum phase ph, const weft_wg_peer_t **d, size_t nd, const weft_wg_peer_t **c, size_t nc,
		weft_wg_changeset_t *cs)
{
	size_t i = 0, j = 0;
	int cmp, ret;

	while (i < nd || j < nc) {
		if (i == nd)
			cmp = 1;
		else if (j == nc)
			cmp = -1;
		else
			cmp = memcmp(d[i]->public_key.b, c[j]->public_key.b, WEFT_WGKEY_LEN);
		if (cmp > 0) {
			if (ph == PHASE_REMOVE) {
				weft_wg_peer_change_t *pc = &cs->peers[cs->n_peers++];

				memset(pc, 0, sizeof(*pc));
				pc->public_key = c[j]->public_key;
				pc->flags = WEFT_WG_PC_REMOVE;
				cs->removed++;
			}
			j++;
		} else if (cmp < 0) {
			if (ph == PHASE_ADD) {
				peer_add(&cs->peers[cs->n_peers++], d[i]);
				cs->added++;
			}
			i++;
		} else {
			if (ph == PHASE_UPDATE) {
				ret = peer_update(&cs->peers[cs->n_peers], d[i], c[j]);
				if (ret < 0)
					return ret;
				if (ret) {
					cs->n_peers++;
					cs->updated++;
				}
			}
			i++;
			j++;
		}
	}
	return 0;
}

/* Two entries for one key in what the backend read cannot be diffed. */
static int check_current(const weft_wg_peer_t **c, size_t n, weft_wg_err_t *err)
{
	char k64[WEFT_WGKEY_B64_LEN + 1];
	size_t i;

	for (i = 1; i < n; i++) {
		if (!peer_ptr_cmp(&c[i - 1], &c[i])) {
			weft_key_to_base64(k64, c[i]->public_key.b);
			return weft_wg_errf(err, WEFT_EPROTO, "the device lists peer %s twice", k64);
		}
	}
	return 0;
}

int weft_wg_diff(const weft_wg_device_t *desired, const weft_wg_device_t *current, weft_wg_changeset_t *cs,
		 weft_wg_err_t *err)
{
	const weft_wg_peer_t **d = NULL, **c = NULL;
	int ret;

	memset(cs, 0, sizeof(*cs));
	if (sorted_peers(desired, &d) || sorted_peers(current, &c) ||
	    !(cs->peers = calloc(desired->n_peers + current->n_peers + 1, sizeof(*cs->peers)))) {
		ret = weft_wg_errf(err, -ENOMEM, "diff");
		goto out;
	}
	ret = validate(desired, d, err);
	if (ret)
		goto out;
	ret = check_current(c, current->n_peers, err);
	if (ret)
		goto out;
	if (desired->has_private_key &&
	    (!current->has_private_key ||
	     sodium_memcmp(desired->private_key.b, current->private_key.b, WEFT_WGKEY_LEN))) {
		cs->flags |= WEFT_WG_DC_PRIVATE_KEY;
		cs->private_key = desired->private_key;
	}
	if (desired->listen_port && desired->listen_port != current->listen_port) {
		cs->flags |= WEFT_WG_DC_LISTEN_PORT;
		cs->listen_port = desired->listen_port;
	}
	ret = walk(PHASE_REMOVE, d, desired->n_peers, c, current->n_peers, cs);
	if (!ret)
		ret = walk(PHASE_UPDATE, d, desired->n_peers, c, current->n_peers, cs);
	if (!ret)
		ret = walk(PHASE_ADD, d, desired->n_peers, c, current->n_peers, cs);
	if (ret)
		weft_wg_errf(err, ret, "diff");
out:
	free(d);
	free(c);
	if (ret)
		weft_wg_changeset_free(cs);
	return ret;
}

void weft_wg_changeset_free(weft_wg_changeset_t *cs)
{
	free(cs->peers);
	sodium_memzero(cs, sizeof(*cs));
}
