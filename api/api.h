/* The HTTP API without sockets: the server turns each request into a struct
 * api_request, calls api_handle(), and sends the struct api_response it gets.
 * Routing, parameter validation, JSON shapes, problem bodies, caching headers,
 * CORS and compression all live below this header. */
#ifndef POSTD_API_H
#define POSTD_API_H

#include <stddef.h>
#include <stdint.h>

struct api_config {
    const char *db_path;        /* borrowed for the ctx's lifetime */
    const char *cors_origin;    /* "*" or one origin; default "*" */
    const char *cache_control;  /* default "public, max-age=60" */
    int max_limit;              /* largest accepted limit; default 100 */
    int default_limit;          /* default 20 */
    int show_future;            /* serve posts dated in the future */
    const char *permalink;      /* informational; urls are stored at ingest */
    size_t cache_bytes;         /* response cache bound in bytes; 0 disables it (so a
                                   zeroed config has no cache): servers should default
                                   it to API_CACHE_BYTES_DEFAULT */
    unsigned change_check_us;   /* 0 (strict): every request asks SQLite whether another
                                   connection committed (3 syscalls). N: one such check,
                                   by any thread, covers every request that starts
                                   within N us of it, so a commit is served by all
                                   requests that start N us after it completed */
};

/* Defaults a server should use when not configured: 24 MiB of cache, and
 * commits seen within 1 ms (at most ~1000 change checks per second). */
#define API_CACHE_BYTES_DEFAULT ((size_t)24 << 20)
#define API_CHANGE_CHECK_US_DEFAULT 1000u

struct api_param {
    const char *name;  /* decoded, borrowed for the call */
    const char *value; /* decoded, "" when given without '=' */
};

struct api_request {
    const char *method;     /* "GET", "HEAD", ... as received */
    const char *path;       /* decoded path, no query: "/v1/posts" */
    const char *target;     /* raw request target for problem "instance": "/v1/posts?limit=-1" */
    const struct api_param *params; /* query parameters in the order received */
    size_t n_params;
    /* request headers the API looks at; NULL when absent */
    const char *if_none_match;
    const char *if_modified_since;
    const char *accept_encoding;
    const char *origin;
    const char *request_id;
    const char *acr_method;  /* Access-Control-Request-Method */
    int bad_encoding;        /* the server found invalid percent-encoding or a NUL: answer 400 */
    const char *acr_headers; /* Access-Control-Request-Headers (a preflight echoes it) */
    int accept_shared_body;  /* the caller handles api_response.shared_body (see there) */
    /* Optional, NULL: never asked. For a response sent from a response cache
     * entry, asked with its reuse_key (see api_response) before the
     * response's headers are built: nonzero when the caller holds a response
     * object kept for that key and promises to send it (with only
     * X-Request-Id replaced) or fail the request. The api_response then
     * comes with kept set and only what api_response.kept lists. Called on
     * the thread of api_handle, at most once per request. */
    int (*kept)(void *kept_arg, uint64_t reuse_key);
    void *kept_arg;
};

#define API_MAX_HEADERS 16

struct api_header {
    const char *name;  /* static string */
    char *value;       /* owned by the response */
};

/* Immutable response bytes shared, without copying, between the response
 * cache and every response sent from it; refcounted, thread-safe. */
struct api_body;

struct api_response {
    int status;
    const char *content_type; /* static string, NULL for no body */
    char *body;               /* owned (free()); NULL when none */
    size_t body_len;
    int head_only;            /* HEAD: send the headers (with Content-Length of body) but no body */
    struct api_header headers[API_MAX_HEADERS];
    size_t n_headers;
    const char *route;        /* static route name for logs/metrics: "/v1/posts/{key}" */
    /* Only when the request set accept_shared_body: a cacheable 200 (from the
     * cache or on its way in) comes with body NULL and shared_body holding one
     * reference (owned) to the bytes: api_body_data(shared_body), body_len of
     * them (also for HEAD). api_response_clear drops the reference. To send
     * the bytes after the response is cleared (libmicrohttpd's free callback),
     * move the reference out (set shared_body to NULL) and api_body_unref it
     * when done. Without accept_shared_body, body always holds an owned copy
     * and this is NULL. */
    struct api_body *shared_body;
    /* Nonzero for a response sent from a response cache entry: every response
     * with the same reuse_key has the same status, content type, body bytes
     * and headers, except X-Request-Id (and none has a Connection header). A
     * server may keep the response object it built for a key and send it
     * again with only X-Request-Id replaced. 0: build this one from scratch. */
    uint64_t reuse_key;
    /* Nonzero when api_request.kept said yes for reuse_key: the caller must
     * send its kept response object. Only status, route, reuse_key, head_only
     * and the X-Request-Id header are set (no body, no other header). */
    int kept;
};

/* The bytes of b (len api_body_len(b)); valid while a reference is held. */
const void *api_body_data(const struct api_body *b);
size_t api_body_len(const struct api_body *b);
/* Takes one more reference; returns b. */
struct api_body *api_body_ref(struct api_body *b);
/* Drops one reference; the last frees the bytes. NULL-safe, any thread. */
void api_body_unref(struct api_body *b);

struct api_ctx; /* opaque, shared by all server threads; thread-safe */

/* Creates the API context. The database is opened lazily, read-only, one
 * connection per calling thread; until it opens, /readyz answers 503.
 * With cfg->cache_bytes, complete 200 responses of the read routes are kept
 * (identity and gzip bytes, validators, headers) up to that many bytes, keyed
 * by the normalized request and dropped as soon as the data changes (an
 * ingest, or a future-dated post coming due).
 * On 0 *out is owned by the caller: api_ctx_free(). cfg is copied. */
int api_ctx_new(struct api_ctx **out, const struct api_config *cfg);
void api_ctx_free(struct api_ctx *ctx); /* NULL-safe; after all threads stopped */

/* Handles one request; always fills res (a 4xx/5xx problem when needed).
 * Thread-safe. res must be zeroed by the caller; release with api_response_clear. */
void api_handle(struct api_ctx *ctx, const struct api_request *req, struct api_response *res);
void api_response_clear(struct api_response *res);

/* Adds a header to res, copying value. Returns 0, or -1 when full or out of memory. */
int api_response_header(struct api_response *res, const char *name, const char *value);

/* Records a finished request for /metrics (route, status, seconds). Thread-safe. */
void api_metrics_observe(struct api_ctx *ctx, const char *route, int status, double seconds);

/* Releases the calling thread's database connection (call when a worker exits). */
void api_thread_done(struct api_ctx *ctx);

#endif
