/* A network's files in the state directory (netstate.h): the node file's
 * layout, written and read with core/mpack (a writer into a fixed buffer and
 * a strict reader, so its secrets never pass through a growing library
 * buffer), and atomic saving and loading of both files through core/persist. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "core/error.h"
#include "core/record.h"
#include "core/mpack.h"
#include "daemon/netstate.h"
#include "core/persist.h"

#define NODE_FILE "node"
#define RECORDS_FILE "records"
#define TOKEN_FILE "token"
#define NFIELDS 16      /* without the previous network key */
#define NFIELDS_PREV 17 /* with it: [key, epoch, open until, seal until] */
#define LOCAL_MAX 2048

void weft_local_wipe(struct weft_local *l)
{
	sodium_memzero(l, sizeof(*l));
}

/* ---- the node file's codec ---- */

int weft_local_encode(const struct weft_local *l, uint8_t *buf, size_t cap, size_t *len)
{
	struct weft_wbuf w = { buf, 0, cap, false };
	const weft_ip_t *ip;
	unsigned i;

	weft_mp_array(&w, l->has_prev_netkey ? NFIELDS_PREV : NFIELDS);
	weft_mp_uint(&w, WEFT_NETSTATE_FORMAT);
	weft_mp_str(&w, l->network, strlen(l->network));
	weft_mp_bin(&w, l->network_id.b, WEFT_PK_LEN);
	weft_mp_bin(&w, l->id.sk, WEFT_SEED_LEN); /* libsodium's sk starts with the seed */
	weft_mp_bin(&w, l->wg.priv.b, WEFT_WGKEY_LEN);
	weft_mp_uint(&w, l->wg_key_time);
	if (l->has_netkey)
		weft_mp_bin(&w, l->netkey, WEFT_NETKEY_LEN);
	else
		weft_mp_nil(&w);
	weft_mp_uint(&w, l->netkey_epoch);
	weft_mp_uint(&w, l->incarnation);
	weft_mp_uint(&w, l->state_version);
	weft_mp_str(&w, l->ifname, strlen(l->ifname));
	weft_mp_uint(&w, l->listen_port);
	weft_mp_uint(&w, l->gossip_port);
	weft_mp_str(&w, l->name, strlen(l->name));
	weft_mp_array(&w, l->nendpoints);
	for (i = 0; i < l->nendpoints && i < WEFT_MAX_ENDPOINTS; i++) {
		ip = &l->endpoints[i].ip;
		weft_mp_array(&w, 2);
		weft_mp_bin(&w, ip->b, ip->family == 6 ? 16 : 4);
		weft_mp_uint(&w, l->endpoints[i].port);
	}
	weft_mp_uint(&w, l->status);
	if (l->has_prev_netkey) {
		weft_mp_array(&w, 4);
		weft_mp_bin(&w, l->prev_netkey, WEFT_NETKEY_LEN);
		weft_mp_uint(&w, l->prev_netkey_epoch);
		weft_mp_uint(&w, l->prev_open_until_ms);
		weft_mp_uint(&w, l->prev_seal_until_ms);
	}
	if (w.overflow) {
		sodium_memzero(buf, cap);
		return -ENOSPC;
	}
	*len = w.len;
	return 0;
}

/* A uint no larger than max. */
static int read_uint_max(struct weft_rbuf *r, uint64_t max, uint64_t *v)
{
	if (weft_mp_read_uint(r, v) || *v > max)
		return WEFT_EMALFORMED;
	return 0;
}

/* A string of at most cap-1 bytes without NULs, copied with its NUL. */
static int read_cstr(struct weft_rbuf *r, char *out, size_t cap)
{
	const uint8_t *p;
	size_t n;

	if (weft_mp_read_str(r, &p, &n) || n >= cap || memchr(p, 0, n))
		return WEFT_EMALFORMED;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

/* A bin of exactly n bytes, copied out. */
static int read_bin_into(struct weft_rbuf *r, uint8_t *out, size_t n)
{
	const uint8_t *p;

	if (weft_mp_read_binfix(r, &p, n))
		return WEFT_EMALFORMED;
	memcpy(out, p, n);
	return 0;
}

/* An address: a bin of 4 or 16 bytes. */
static int read_ip(struct weft_rbuf *r, weft_ip_t *ip)
{
	const uint8_t *p;
	size_t n;

	if (weft_mp_read_bin(r, &p, &n) || (n != 4 && n != 16))
		return WEFT_EMALFORMED;
	memcpy(ip->b, p, n);
	ip->family = n == 4 ? 4 : 6;
	return 0;
}

static bool valid_label(const char *s, bool empty_ok)
{
	size_t n = strlen(s);

	return n == 0 ? empty_ok : weft_name_valid(s, n);
}

int weft_local_decode(struct weft_local *l, const uint8_t *buf, size_t len, const char **why)
{
	struct weft_rbuf r = { buf, len, 0 };
	uint8_t seed[WEFT_SEED_LEN];
	uint32_t n, i, m, nfields;
	uint64_t v;
	const char *dummy;

	if (!why)
		why = &dummy;
	memset(l, 0, sizeof(*l));
	*why = "node file: not the expected array";
	if (weft_mp_read_array_head(&r, &nfields) || (nfields != NFIELDS && nfields != NFIELDS_PREV))
		goto bad;
	*why = "node file: unsupported format version";
	if (read_uint_max(&r, UINT32_MAX, &v) || v != WEFT_NETSTATE_FORMAT)
		goto bad;
	*why = "node file: bad network name";
	if (read_cstr(&r, l->network, sizeof(l->network)) || !valid_label(l->network, false))
		goto bad;
	*why = "node file: bad keys";
	if (read_bin_into(&r, l->network_id.b, WEFT_PK_LEN) || read_bin_into(&r, seed, WEFT_SEED_LEN) ||
	    read_bin_into(&r, l->wg.priv.b, WEFT_WGKEY_LEN))
		goto bad;
	weft_keypair_from_seed(&l->id, seed);
	sodium_memzero(seed, sizeof(seed));
	weft_wgkey_public(&l->wg.pub, &l->wg.priv);
	*why = "node file: bad numbers";
	if (read_uint_max(&r, UINT64_MAX, &l->wg_key_time))
		goto bad;
	if (weft_mp_read_nil(&r)) {
		*why = "node file: bad network key";
		if (read_bin_into(&r, l->netkey, WEFT_NETKEY_LEN))
			goto bad;
		l->has_netkey = true;
	}
	*why = "node file: bad numbers";
	if (read_uint_max(&r, UINT32_MAX, &v))
		goto bad;
	l->netkey_epoch = (uint32_t)v;
	if (read_uint_max(&r, UINT32_MAX, &v))
		goto bad;
	l->incarnation = (uint32_t)v;
	if (read_uint_max(&r, UINT64_MAX, &l->state_version))
		goto bad;
	*why = "node file: bad interface name";
	if (read_cstr(&r, l->ifname, sizeof(l->ifname)) || !l->ifname[0] || strchr(l->ifname, '/'))
		goto bad;
	*why = "node file: bad ports";
	if (read_uint_max(&r, 65535, &v))
		goto bad;
	l->listen_port = (uint16_t)v;
	if (read_uint_max(&r, 65535, &v))
		goto bad;
	l->gossip_port = (uint16_t)v;
	*why = "node file: bad node name";
	if (read_cstr(&r, l->name, sizeof(l->name)) || !valid_label(l->name, true))
		goto bad;
	*why = "node file: bad endpoints";
	if (weft_mp_read_array_head(&r, &n) || n > WEFT_MAX_ENDPOINTS)
		goto bad;
	for (i = 0; i < n; i++) {
		weft_endpoint_t *ep = &l->endpoints[i];

		if (weft_mp_read_array_head(&r, &m) || m != 2 || read_ip(&r, &ep->ip) ||
		    read_uint_max(&r, 65535, &v))
			goto bad;
		ep->port = (uint16_t)v;
	}
	l->nendpoints = (uint8_t)n;
	*why = "node file: bad status";
	if (read_uint_max(&r, 255, &v) ||
	    (v != WEFT_LOCAL_MEMBER && v != WEFT_LOCAL_REVOKED && v != WEFT_LOCAL_PENDING))
		goto bad;
	l->status = (uint8_t)v;
	if (nfields == NFIELDS_PREV) {
		*why = "node file: bad previous network key";
		if (weft_mp_read_array_head(&r, &m) || m != 4 ||
		    read_bin_into(&r, l->prev_netkey, WEFT_NETKEY_LEN) || read_uint_max(&r, UINT32_MAX, &v))
			goto bad;
		l->prev_netkey_epoch = (uint32_t)v;
		if (read_uint_max(&r, UINT64_MAX, &l->prev_open_until_ms) ||
		    read_uint_max(&r, UINT64_MAX, &l->prev_seal_until_ms))
			goto bad;
		l->has_prev_netkey = true;
	}
	*why = "node file: trailing bytes";
	if (weft_mp_end(&r))
		goto bad;
	*why = NULL;
	return 0;
bad:
	sodium_memzero(seed, sizeof(seed));
	weft_local_wipe(l);
	return WEFT_EMALFORMED;
}

/* ---- files ---- */

/* DIR/NAME into out, for a network's directory and the files in it. */
static int path_in(char *out, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(out, cap, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int weft_netstate_dir(char *out, size_t cap, const char *state_dir, const char *network)
{
	return path_in(out, cap, state_dir, network);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char buf[PATH_MAX];
	size_t i, n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return -errno;
		buf[i] = path[i];
	}
	return 0;
}

int weft_netstate_mkdir(const char *state_dir, const char *network)
{
	char dir[PATH_MAX];
	int ret;

	ret = weft_netstate_dir(dir, sizeof(dir), state_dir, network);
	if (ret)
		return ret;
	ret = mkdir_p(dir, 0700);
	if (ret)
		return ret;
	return chmod(dir, 0700) < 0 ? -errno : 0;
}

int weft_netstate_save_local(const char *netdir, const struct weft_local *l)
{
	uint8_t buf[LOCAL_MAX];
	char path[PATH_MAX];
	size_t len = 0;
	int ret;

	ret = path_in(path, sizeof(path), netdir, NODE_FILE);
	if (ret)
		return ret;
	ret = weft_local_encode(l, buf, sizeof(buf), &len);
	if (!ret)
		ret = weft_persist_write(path, WEFT_PERSIST_LOCAL, buf, len, 0600);
	sodium_memzero(buf, sizeof(buf));
	return ret;
}

int weft_netstate_save_store(const char *netdir, const weft_store_t *s)
{
	char path[PATH_MAX];
	uint8_t *data = NULL;
	size_t len = 0;
	int ret;

	ret = path_in(path, sizeof(path), netdir, RECORDS_FILE);
	if (ret)
		return ret;
	ret = weft_store_serialize(s, &data, &len);
	if (!ret)
		ret = weft_persist_write(path, WEFT_PERSIST_STORE, data, len, 0600);
	free(data);
	return ret;
}

/* The whole node file into a buffer that is wiped before it is freed
 * (core/persist's reader would free its copy of the secrets as is). */
int weft_netstate_load_local(const char *netdir, struct weft_local *l, const char **why)
{
	uint8_t buf[LOCAL_MAX + 64];
	const uint8_t *payload;
	char path[PATH_MAX];
	const char *dummy;
	size_t have = 0, plen;
	struct stat st;
	ssize_t r;
	int fd, ret;

	if (!why)
		why = &dummy;
	*why = NULL;
	memset(l, 0, sizeof(*l));
	ret = path_in(path, sizeof(path), netdir, NODE_FILE);
	if (ret)
		return ret;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		*why = "cannot open the node file";
		return -errno;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		*why = "the node file is not a regular file";
		ret = WEFT_EMALFORMED;
		goto out;
	}
	if (st.st_mode & 077) {
		*why = "the node file may be read by group or others (chmod 600 it)";
		ret = WEFT_EKEYPERM;
		goto out;
	}
	while (have < sizeof(buf) && (r = read(fd, buf + have, sizeof(buf) - have)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			*why = "cannot read the node file";
			goto out;
		}
		have += (size_t)r;
	}
	if (have == sizeof(buf)) {
		*why = "the node file is too large";
		ret = WEFT_EOVERSIZE;
		goto out;
	}
	ret = weft_persist_unframe(buf, have, WEFT_PERSIST_LOCAL, &payload, &plen, why);
	if (!ret)
		ret = weft_local_decode(l, payload, plen, why);
out:
	sodium_memzero(buf, sizeof(buf));
	close(fd);
	return ret;
}

int weft_netstate_load_store(const char *netdir, weft_store_t *s, const char **why)
{
	char path[PATH_MAX];
	uint8_t *data = NULL;
	size_t len = 0;
	int ret;

	ret = path_in(path, sizeof(path), netdir, RECORDS_FILE);
	if (ret)
		return ret;
	ret = weft_persist_read(path, WEFT_PERSIST_STORE, &data, &len, why);
	if (!ret)
		ret = weft_store_load(s, data, len, why);
	free(data);
	return ret;
}

int weft_netstate_load(const char *netdir, struct weft_local *l, weft_store_t *s, const char **why)
{
	int ret = weft_netstate_load_local(netdir, l, why);

	if (ret)
		return ret;
	if (memcmp(weft_store_network_id(s)->b, l->network_id.b, WEFT_PK_LEN)) {
		if (why)
			*why = "the store is of another network";
		weft_local_wipe(l);
		return WEFT_EWRONGNET;
	}
	ret = weft_netstate_load_store(netdir, s, why);
	if (ret)
		weft_local_wipe(l);
	return ret;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(a, b);
}

int weft_netstate_list(const char *state_dir, char names[][WEFT_NAME_MAX + 1], size_t cap, size_t *n)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	*n = 0;
	d = opendir(state_dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) != NULL) {
		if (!valid_label(de->d_name, false) || strlen(de->d_name) > WEFT_NAME_MAX)
			continue;
		if (snprintf(path, sizeof(path), "%s/%s/" NODE_FILE, state_dir, de->d_name) >= (int)sizeof(path))
			continue;
		if (lstat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (*n == cap)
			break;
		memcpy(names[(*n)++], de->d_name, strlen(de->d_name) + 1);
	}
	closedir(d);
	qsort(names, *n, sizeof(names[0]), cmp_names);
	return 0;
}

int weft_netstate_save_token(const char *netdir, const weft_token_t *tok)
{
	char path[PATH_MAX], text[WEFT_TOKEN_MAX];
	int ret;

	ret = path_in(path, sizeof(path), netdir, TOKEN_FILE);
	if (ret)
		return ret;
	ret = weft_token_encode(tok, text, sizeof(text));
	if (!ret)
		ret = weft_persist_write(path, WEFT_PERSIST_TOKEN, (const uint8_t *)text, strlen(text), 0600);
	sodium_memzero(text, sizeof(text));
	return ret;
}

int weft_netstate_load_token(const char *netdir, weft_token_t *tok, const char **why)
{
	char path[PATH_MAX], text[WEFT_TOKEN_MAX];
	uint8_t *data = NULL;
	size_t len = 0;
	int ret;

	ret = path_in(path, sizeof(path), netdir, TOKEN_FILE);
	if (ret)
		return ret;
	ret = weft_persist_read(path, WEFT_PERSIST_TOKEN, &data, &len, why);
	if (ret)
		return ret;
	if (len >= sizeof(text)) {
		*why = "token file: too long";
		ret = WEFT_EMALFORMED;
	} else {
		memcpy(text, data, len);
		text[len] = '\0';
		ret = weft_token_decode(tok, text, why);
	}
	sodium_memzero(data, len);
	free(data);
	sodium_memzero(text, sizeof(text));
	return ret;
}

int weft_netstate_drop_token(const char *netdir)
{
	char path[PATH_MAX];
	int ret;

	ret = path_in(path, sizeof(path), netdir, TOKEN_FILE);
	if (ret)
		return ret;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int weft_netstate_remove(const char *netdir)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	d = opendir(netdir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", netdir, de->d_name) < (int)sizeof(path))
			unlink(path);
	}
	closedir(d);
	return rmdir(netdir) < 0 && errno != ENOENT ? -errno : 0;
}
