/* The HTTP server: a libmicrohttpd daemon (internal polling thread + epoll, a
 * thread pool) that turns every request into a struct api_request, calls
 * api_handle() and sends back the struct api_response; plus the access log and
 * the request metrics. The only file that includes <microhttpd.h>. */
#ifndef POSTD_HTTP_H
#define POSTD_HTTP_H

#include <stddef.h>
#include <stdio.h>

#include "api.h"
#include "config.h"

/* A request target split into its decoded path and query parameters.
 * Everything points into buf; owned: http_target_clear(). */
struct http_target {
    char *buf;
    const char *path;         /* percent-decoded, '+' kept */
    struct api_param *params; /* in order; '+' is a space; "" for a name without '=' */
    size_t n_params;
    int bad_encoding; /* a bad %XX, a %00, or invalid UTF-8 after decoding */
};

/* Splits and decodes a raw request target ("/v1/posts?tag=a%20b&x"). Pieces of an
 * empty query ("a=1&&b=2") are skipped. Returns 0 or ST_NOMEM; decoding errors only
 * set bad_encoding (the API answers 400). */
int http_target_parse(const char *target, struct http_target *out);
void http_target_clear(struct http_target *t); /* NULL-safe */

struct http_server; /* opaque */

/* Starts the daemon on cfg's listen address with cfg's limits, serving api.
 * access_log: where request lines go, NULL for none. cfg and api are borrowed
 * until http_server_stop(). On 0 *out is owned by the caller.
 * Returns 0, ST_IO (cannot listen: the reason went to stderr) or ST_NOMEM. */
int http_server_start(struct http_server **out, const struct config *cfg, struct api_ctx *api,
                      FILE *access_log);

/* The port the daemon listens on (the kernel's choice when the config said 0). */
int http_server_port(const struct http_server *s);

/* Stops accepting connections, waits up to max_seconds for the requests in flight
 * to finish, then closes every connection and frees s. NULL-safe. */
void http_server_stop(struct http_server *s, double max_seconds);

#endif
