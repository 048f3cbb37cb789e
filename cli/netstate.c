/* A network's files in the state directory (netstate.h): the node file's
 * msgpack codec (a writer into a fixed buffer and a strict reader, so its
 * secrets never pass through a growing library buffer), and atomic saving
 * and loading of both files through core/persist. */
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

#include "error.h"
#include "netstate.h"
#include "persist.h"

#define NODE_FILE "node"
#define RECORDS_FILE "records"
#define NFIELDS 16
#define LOCAL_MAX 2048

void weft_local_wipe(struct weft_local *l)
{
	sodium_memzero(l, sizeof(*l));
}

/* ---- a writer for the msgpack subset the node file uses ---- */

struct wbuf {
	uint8_t *p;
	size_t len, cap;
	bool over;
};

static void put(struct wbuf *w, const void *d, size_t n)
{
	if (w->over || w->cap - w->len < n) {
		w->over = true;
		return;
	}
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void put_be(struct wbuf *w, uint8_t tag, uint64_t v, unsigned bytes)
{
	uint8_t b[9];
	unsigned i;

	b[0] = tag;
	for (i = 0; i < bytes; i++)
		b[1 + i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	put(w, b, 1 + bytes);
}

static void w_uint(struct wbuf *w, uint64_t v)
{
	uint8_t b;

	if (v < 128) {
		b = (uint8_t)v;
		put(w, &b, 1);
	} else if (v <= 0xff) {
		put_be(w, 0xcc, v, 1);
	} else if (v <= 0xffff) {
		put_be(w, 0xcd, v, 2);
	} else if (v <= 0xffffffffu) {
		put_be(w, 0xce, v, 4);
	} else {
		put_be(w, 0xcf, v, 8);
	}
}

static void w_array(struct wbuf *w, uint32_t n)
{
	uint8_t b;

	if (n < 16) {
		b = (uint8_t)(0x90 | n);
		put(w, &b, 1);
	} else {
		put_be(w, 0xdc, n, 2);
	}
}

static void w_str(struct wbuf *w, const char *s)
{
	size_t n = strlen(s);
	uint8_t b;

	if (n < 32) {
		b = (uint8_t)(0xa0 | n);
		put(w, &b, 1);
	} else {
		put_be(w, 0xd9, n, 1); /* every string here is < 256 bytes */
	}
	put(w, s, n);
}

static void w_bin(struct wbuf *w, const uint8_t *d, size_t n)
{
	put_be(w, 0xc4, n, 1);
	put(w, d, n);
}

static void w_nil(struct wbuf *w)
{
	uint8_t b = 0xc0;

	put(w, &b, 1);
}

int weft_local_encode(const struct weft_local *l, uint8_t *buf, size_t cap, size_t *len)
{
	struct wbuf w = { buf, 0, cap, false };
	const weft_ip_t *ip;
	unsigned i;

	w_array(&w, NFIELDS);
	w_uint(&w, WEFT_NETSTATE_FORMAT);
	w_str(&w, l->network);
	w_bin(&w, l->network_id.b, WEFT_PK_LEN);
	w_bin(&w, l->id.sk, WEFT_SEED_LEN); /* libsodium's sk starts with the seed */
	w_bin(&w, l->wg.priv.b, WEFT_WGKEY_LEN);
	w_uint(&w, l->wg_key_time);
	if (l->has_netkey)
		w_bin(&w, l->netkey, WEFT_NETKEY_LEN);
	else
		w_nil(&w);
	w_uint(&w, l->netkey_epoch);
	w_uint(&w, l->incarnation);
	w_uint(&w, l->state_version);
	w_str(&w, l->ifname);
	w_uint(&w, l->listen_port);
	w_uint(&w, l->gossip_port);
	w_str(&w, l->name);
	w_array(&w, l->nendpoints);
	for (i = 0; i < l->nendpoints && i < WEFT_MAX_ENDPOINTS; i++) {
		ip = &l->endpoints[i].ip;
		w_array(&w, 2);
		w_bin(&w, ip->b, ip->family == 6 ? 16 : 4);
		w_uint(&w, l->endpoints[i].port);
	}
	w_uint(&w, l->status);
	if (w.over) {
		sodium_memzero(buf, cap);
		return -ENOSPC;
	}
	*len = w.len;
	return 0;
}

/* ---- the strict reader ---- */

struct rbuf {
	const uint8_t *p;
	size_t len, pos;
};

static int r_be(struct rbuf *r, unsigned bytes, uint64_t *v)
{
	unsigned i;

	if (r->len - r->pos < bytes)
		return -1;
	for (*v = 0, i = 0; i < bytes; i++)
		*v = *v << 8 | r->p[r->pos++];
	return 0;
}

static int r_byte(struct rbuf *r, uint8_t *b)
{
	if (r->pos >= r->len)
		return -1;
	*b = r->p[r->pos++];
	return 0;
}

static int r_uint(struct rbuf *r, uint64_t max, uint64_t *v)
{
	uint8_t t;

	if (r_byte(r, &t))
		return -1;
	if (t < 0x80)
		*v = t;
	else if (t == 0xcc) {
		if (r_be(r, 1, v))
			return -1;
	} else if (t == 0xcd) {
		if (r_be(r, 2, v))
			return -1;
	} else if (t == 0xce) {
		if (r_be(r, 4, v))
			return -1;
	} else if (t == 0xcf) {
		if (r_be(r, 8, v))
			return -1;
	} else {
		return -1;
	}
	return *v <= max ? 0 : -1;
}

static int r_array(struct rbuf *r, uint32_t *n)
{
	uint64_t v;
	uint8_t t;

	if (r_byte(r, &t))
		return -1;
	if ((t & 0xf0) == 0x90) {
		*n = t & 0x0f;
		return 0;
	}
	if (t != 0xdc || r_be(r, 2, &v))
		return -1;
	*n = (uint32_t)v;
	return 0;
}

/* A string of at most cap-1 bytes without NULs, copied with its NUL. */
static int r_str(struct rbuf *r, char *out, size_t cap)
{
	uint64_t n;
	uint8_t t;

	if (r_byte(r, &t))
		return -1;
	if ((t & 0xe0) == 0xa0)
		n = t & 0x1f;
	else if (t != 0xd9 || r_be(r, 1, &n))
		return -1;
	if (n >= cap || r->len - r->pos < n || memchr(r->p + r->pos, 0, (size_t)n))
		return -1;
	memcpy(out, r->p + r->pos, (size_t)n);
	out[n] = '\0';
	r->pos += (size_t)n;
	return 0;
}

/* A bin of exactly n bytes (or of 4 or 16 when n is 0: an address). */
static int r_bin(struct rbuf *r, uint8_t *out, size_t n, size_t *got)
{
	uint64_t len;
	uint8_t t;

	if (r_byte(r, &t) || t != 0xc4 || r_be(r, 1, &len))
		return -1;
	if (n ? len != n : (len != 4 && len != 16))
		return -1;
	if (r->len - r->pos < len)
		return -1;
	memcpy(out, r->p + r->pos, (size_t)len);
	r->pos += (size_t)len;
	if (got)
		*got = (size_t)len;
	return 0;
}

static bool valid_label(const char *s, bool empty_ok)
{
	size_t n = strlen(s), i;

	if (n == 0)
		return empty_ok;
	if (s[0] == '-' || s[n - 1] == '-')
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	return true;
}

int weft_local_decode(struct weft_local *l, const uint8_t *buf, size_t len, const char **why)
{
	struct rbuf r = { buf, len, 0 };
	uint8_t seed[WEFT_SEED_LEN];
	uint32_t n, i, m;
	uint64_t v;
	size_t got;
	const char *dummy;

	if (!why)
		why = &dummy;
	memset(l, 0, sizeof(*l));
	*why = "node file: not the expected array";
	if (r_array(&r, &n) || n != NFIELDS)
		goto bad;
	*why = "node file: unsupported format version";
	if (r_uint(&r, UINT32_MAX, &v) || v != WEFT_NETSTATE_FORMAT)
		goto bad;
	*why = "node file: bad network name";
	if (r_str(&r, l->network, sizeof(l->network)) || !valid_label(l->network, false))
		goto bad;
	*why = "node file: bad keys";
	if (r_bin(&r, l->network_id.b, WEFT_PK_LEN, NULL) || r_bin(&r, seed, WEFT_SEED_LEN, NULL) ||
	    r_bin(&r, l->wg.priv.b, WEFT_WGKEY_LEN, NULL))
		goto bad;
	weft_keypair_from_seed(&l->id, seed);
	sodium_memzero(seed, sizeof(seed));
	weft_wgkey_public(&l->wg.pub, &l->wg.priv);
	*why = "node file: bad numbers";
	if (r_uint(&r, UINT64_MAX, &l->wg_key_time))
		goto bad;
	if (r.pos < r.len && r.p[r.pos] == 0xc0) {
		r.pos++;
	} else {
		*why = "node file: bad network key";
		if (r_bin(&r, l->netkey, WEFT_NETKEY_LEN, NULL))
			goto bad;
		l->has_netkey = true;
	}
	*why = "node file: bad numbers";
	if (r_uint(&r, UINT32_MAX, &v))
		goto bad;
	l->netkey_epoch = (uint32_t)v;
	if (r_uint(&r, UINT32_MAX, &v))
		goto bad;
	l->incarnation = (uint32_t)v;
	if (r_uint(&r, UINT64_MAX, &l->state_version))
		goto bad;
	*why = "node file: bad interface name";
	if (r_str(&r, l->ifname, sizeof(l->ifname)) || !l->ifname[0] || strchr(l->ifname, '/'))
		goto bad;
	*why = "node file: bad ports";
	if (r_uint(&r, 65535, &v))
		goto bad;
	l->listen_port = (uint16_t)v;
	if (r_uint(&r, 65535, &v))
		goto bad;
	l->gossip_port = (uint16_t)v;
	*why = "node file: bad node name";
	if (r_str(&r, l->name, sizeof(l->name)) || !valid_label(l->name, true))
		goto bad;
	*why = "node file: bad endpoints";
	if (r_array(&r, &n) || n > WEFT_MAX_ENDPOINTS)
		goto bad;
	for (i = 0; i < n; i++) {
		weft_endpoint_t *ep = &l->endpoints[i];

		if (r_array(&r, &m) || m != 2 || r_bin(&r, ep->ip.b, 0, &got) || r_uint(&r, 65535, &v))
			goto bad;
		ep->ip.family = got == 4 ? 4 : 6;
		ep->port = (uint16_t)v;
	}
	l->nendpoints = (uint8_t)n;
	*why = "node file: bad status";
	if (r_uint(&r, 255, &v) || (v != WEFT_LOCAL_MEMBER && v != WEFT_LOCAL_REVOKED))
		goto bad;
	l->status = (uint8_t)v;
	*why = "node file: trailing bytes";
	if (r.pos != r.len)
		goto bad;
	*why = NULL;
	return 0;
bad:
	weft_local_wipe(l);
	return WEFT_EMALFORMED;
}

/* ---- files ---- */

int weft_netstate_dir(char *out, size_t cap, const char *state_dir, const char *network)
{
	int n = snprintf(out, cap, "%s/%s", state_dir, network);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
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

static int path_in(char *out, size_t cap, const char *dir, const char *file)
{
	int n = snprintf(out, cap, "%s/%s", dir, file);

	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
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
