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
};

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
};

#define API_MAX_HEADERS 16

struct api_header {
    const char *name;  /* static string */
    char *value;       /* owned by the response */
};

struct api_response {
    int status;
    const char *content_type; /* static string, NULL for no body */
    char *body;               /* owned (free()); NULL when none */
    size_t body_len;
    int head_only;            /* HEAD: send the headers (with Content-Length of body) but no body */
    struct api_header headers[API_MAX_HEADERS];
    size_t n_headers;
    const char *route;        /* static route name for logs/metrics: "/v1/posts/{key}" */
};

struct api_ctx; /* opaque, shared by all server threads; thread-safe */

/* Creates the API context. The database is opened lazily, read-only, one
 * connection per calling thread; until it opens, /readyz answers 503.
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
