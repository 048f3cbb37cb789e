/* The daemon's control socket (ctl.h's protocol): a unix socket, mode 0600,
 * one request per connection, each command a handler in one table. It
 * also keeps the identities made for `weft init` until the create that
 * takes them. It sees the networks only through daemon/net.h. */
#ifndef WEFT_CTLSRV_H
#define WEFT_CTLSRV_H

#include <stddef.h>

#include <uv.h>

#include "daemon/net.h"

struct weft_ctlsrv;

/* A server for the networks of nets on loop (NULL when out of memory);
 * nothing listens before weft_ctlsrv_open. */
struct weft_ctlsrv *weft_ctlsrv_new(uv_loop_t *loop, struct weft_net_host *nets);
/* Listen at path: 0, or an error with a sentence in err. Refuses to take
 * over a socket another daemon answers at. */
int weft_ctlsrv_open(struct weft_ctlsrv *s, const char *path, char *err, size_t errlen);
/* Stop listening (the socket file goes), answer every request still
 * waiting with "the daemon is stopping", and refuse any that completes
 * later. */
void weft_ctlsrv_close(struct weft_ctlsrv *s);
/* Once the loop has closed every handle: the prepared identities are
 * wiped. */
void weft_ctlsrv_free(struct weft_ctlsrv *s);

#endif
