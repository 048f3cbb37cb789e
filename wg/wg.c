/* The front of wg/: choosing a backend, dispatching through its ops table
 * with the backend and interface prepended to every error, and the
 * backend-independent work — apply as get, diff, set; addresses and routes
 * made exactly the desired sets. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wg/backend.h"
#include "core/error.h"

static const struct weft_wg_ops *const backends[] = {
	[WEFT_WG_KERNEL] = &weft_wg_kernel_ops,
	[WEFT_WG_USERSPACE] = &weft_wg_userspace_ops,
	[WEFT_WG_MEMORY] = &weft_wg_memory_ops,
};

static int open_as(weft_wg_t *wg, weft_wg_backend_t kind, const weft_wg_opts_t *opts, weft_wg_err_t *err)
{
	int ret;

	wg->ops = backends[kind];
	ret = wg->ops->open(wg, opts, err);
	if (ret)
		wg->ops = NULL;
	return ret;
}

/* A UAPI socket already answering for this name means userspace, as wg(8)
 * decides; then the kernel if its family resolves; then userspace if an
 * implementation is installed. */
static int open_auto(weft_wg_t *wg, const weft_wg_opts_t *opts, weft_wg_err_t *err)
{
	weft_wg_err_t kerr = { 0 }, uerr = { 0 };
	char *impl = NULL;
	int ret;

	ret = open_as(wg, WEFT_WG_USERSPACE, opts, err);
	if (ret)
		return ret;
	if (wg->ops->exists(wg, NULL) == 1)
		return 0;
	wg->ops->close(wg);
	wg->ops = NULL;
	ret = open_as(wg, WEFT_WG_KERNEL, opts, &kerr);
	if (!ret)
		return 0;
	ret = weft_wg_userspace_find_impl(opts ? opts->userspace_impl : NULL, &impl, &uerr);
	free(impl);
	if (!ret)
		return open_as(wg, WEFT_WG_USERSPACE, opts, err);
	return weft_wg_errf(err, WEFT_EUNSUPPORTED, "no WireGuard backend: kernel: %.100s; userspace: %.100s",
			    kerr.msg, uerr.msg);
}

int weft_wg_open(weft_wg_t **out, const char *ifname, const weft_wg_opts_t *opts, weft_wg_err_t *err)
{
	weft_wg_backend_t kind = opts ? opts->backend : WEFT_WG_AUTO;
	weft_wg_t *wg;
	int ret;

	*out = NULL;
	if (err)
		memset(err, 0, sizeof(*err));
	if (!ifname || !*ifname || strlen(ifname) >= WEFT_WG_IFNAMSIZ || strchr(ifname, '/') ||
	    !strcmp(ifname, ".") || !strcmp(ifname, ".."))
		return weft_wg_errf(err, -EINVAL, "interface name '%.32s'", ifname ? ifname : "");
	if (kind < WEFT_WG_AUTO || kind > WEFT_WG_MEMORY)
		return weft_wg_errf(err, -EINVAL, "backend %d", (int)kind);
	wg = calloc(1, sizeof(*wg));
	if (!wg)
		return weft_wg_errf(err, -ENOMEM, "open %s", ifname);
	snprintf(wg->ifname, sizeof(wg->ifname), "%s", ifname);
	ret = kind == WEFT_WG_AUTO ? open_auto(wg, opts, err) : open_as(wg, kind, opts, err);
	if (ret) {
		free(wg);
		return weft_wg_err_prefix(err, ret, "open %s: ", ifname);
	}
	*out = wg;
	return 0;
}

void weft_wg_close(weft_wg_t *wg)
{
	if (!wg)
		return;
	wg->ops->close(wg);
	free(wg);
}

const char *weft_wg_backend_name(const weft_wg_t *wg)
{
	return wg->ops->name;
}

const char *weft_wg_ifname(const weft_wg_t *wg)
{
	return wg->ifname;
}

/* Every public entry point ends here: the backend and interface name go in
 * front of whatever the backend said. */
static int done(weft_wg_t *wg, int ret, weft_wg_err_t *err)
{
	if (ret < 0)
		return weft_wg_err_prefix(err, ret, "%s %s: ", wg->ops->name, wg->ifname);
	return ret;
}

static void reset(weft_wg_err_t *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

int weft_wg_exists(weft_wg_t *wg, weft_wg_err_t *err)
{
	reset(err);
	return done(wg, wg->ops->exists(wg, err), err);
}

int weft_wg_create(weft_wg_t *wg, weft_wg_err_t *err)
{
	reset(err);
	return done(wg, wg->ops->create(wg, err), err);
}

int weft_wg_delete(weft_wg_t *wg, weft_wg_err_t *err)
{
	reset(err);
	return done(wg, wg->ops->destroy(wg, err), err);
}

int weft_wg_get_link(weft_wg_t *wg, weft_wg_link_t *link, weft_wg_err_t *err)
{
	reset(err);
	memset(link, 0, sizeof(*link));
	return done(wg, wg->ops->link_get(wg, link, err), err);
}

int weft_wg_set_mtu(weft_wg_t *wg, unsigned mtu, weft_wg_err_t *err)
{
	reset(err);
	return done(wg, wg->ops->set_mtu(wg, mtu, err), err);
}

int weft_wg_set_up(weft_wg_t *wg, bool up, weft_wg_err_t *err)
{
	reset(err);
	return done(wg, wg->ops->set_up(wg, up, err), err);
}

int weft_wg_get_device(weft_wg_t *wg, weft_wg_device_t *dev, weft_wg_err_t *err)
{
	reset(err);
	memset(dev, 0, sizeof(*dev));
	return done(wg, wg->ops->get(wg, dev, err), err);
}

static int apply_diff(weft_wg_t *wg, const weft_wg_device_t *desired, const weft_wg_device_t *cur,
		      weft_wg_changes_t *changes, weft_wg_err_t *err)
{
	weft_wg_changeset_t cs = { 0 };
	int ret;

	ret = weft_wg_diff(desired, cur, &cs, err);
	if (ret)
		goto out;
	if (cs.flags || cs.n_peers) {
		ret = wg->ops->set(wg, &cs, err);
		if (ret)
			goto out;
	}
	if (changes) {
		changes->added = cs.added;
		changes->removed = cs.removed;
		changes->updated = cs.updated;
		changes->device_changed = cs.flags != 0;
	}
out:
	weft_wg_changeset_free(&cs);
	return ret;
}

int weft_wg_apply(weft_wg_t *wg, const weft_wg_device_t *desired, weft_wg_changes_t *changes, weft_wg_err_t *err)
{
	weft_wg_device_t cur = { 0 };
	int ret;

	reset(err);
	if (changes)
		memset(changes, 0, sizeof(*changes));
	ret = wg->ops->get(wg, &cur, err);
	if (!ret)
		ret = apply_diff(wg, desired, &cur, changes, err);
	weft_wg_device_free(&cur);
	return done(wg, ret, err);
}

int weft_wg_apply_from(weft_wg_t *wg, const weft_wg_device_t *desired, const weft_wg_device_t *cur,
		       weft_wg_changes_t *changes, weft_wg_err_t *err)
{
	reset(err);
	if (changes)
		memset(changes, 0, sizeof(*changes));
	return done(wg, apply_diff(wg, desired, cur, changes, err), err);
}

static int ifaddr_cmp(const weft_wg_ifaddr_t *a, const weft_wg_ifaddr_t *b)
{
	int c = weft_ip_cmp(&a->ip, &b->ip);

	return c ? c : (a->prefix > b->prefix) - (a->prefix < b->prefix);
}

int weft_wg_get_addresses(weft_wg_t *wg, weft_wg_ifaddr_t **out, size_t *n, weft_wg_err_t *err)
{
	reset(err);
	*out = NULL;
	*n = 0;
	return done(wg, wg->ops->addr_list(wg, out, n, err), err);
}

static bool ifaddr_in(const weft_wg_ifaddr_t *v, size_t n, const weft_wg_ifaddr_t *a)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!ifaddr_cmp(&v[i], a))
			return true;
	return false;
}

int weft_wg_set_addresses(weft_wg_t *wg, const weft_wg_ifaddr_t *addrs, size_t n, weft_wg_err_t *err)
{
	weft_wg_ifaddr_t *cur = NULL;
	size_t ncur = 0, i;
	int ret;

	reset(err);
	ret = wg->ops->addr_list(wg, &cur, &ncur, err);
	if (ret)
		goto out;
	for (i = 0; i < ncur; i++) {
		if (!ifaddr_in(addrs, n, &cur[i])) {
			ret = wg->ops->addr_change(wg, &cur[i], false, err);
			if (ret)
				goto out;
		}
	}
	/* An address given twice must not fail with EEXIST the second time. */
	for (i = 0; i < n; i++) {
		if (!ifaddr_in(cur, ncur, &addrs[i]) && !ifaddr_in(addrs, i, &addrs[i])) {
			ret = wg->ops->addr_change(wg, &addrs[i], true, err);
			if (ret)
				goto out;
		}
	}
out:
	free(cur);
	return done(wg, ret, err);
}

int weft_wg_get_routes(weft_wg_t *wg, weft_cidr_t **out, size_t *n, weft_wg_err_t *err)
{
	reset(err);
	*out = NULL;
	*n = 0;
	return done(wg, wg->ops->route_list(wg, out, n, err), err);
}

static bool route_in(const weft_cidr_t *v, size_t n, const weft_cidr_t *c)
{
	weft_cidr_t a = *c, b;
	size_t i;

	weft_wg_cidr_mask(&a);
	for (i = 0; i < n; i++) {
		b = v[i];
		weft_wg_cidr_mask(&b);
		if (!weft_wg_cidr_cmp(&a, &b))
			return true;
	}
	return false;
}

int weft_wg_set_routes(weft_wg_t *wg, const weft_cidr_t *routes, size_t n, weft_wg_err_t *err)
{
	weft_cidr_t *cur = NULL;
	size_t ncur = 0, i;
	int ret;

	reset(err);
	ret = wg->ops->route_list(wg, &cur, &ncur, err);
	if (ret)
		goto out;
	for (i = 0; i < ncur; i++) {
		if (!route_in(routes, n, &cur[i])) {
			ret = wg->ops->route_change(wg, &cur[i], false, err);
			if (ret)
				goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if (!route_in(cur, ncur, &routes[i]) && !route_in(routes, i, &routes[i])) {
			ret = wg->ops->route_change(wg, &routes[i], true, err);
			if (ret)
				goto out;
		}
	}
out:
	free(cur);
	return done(wg, ret, err);
}
