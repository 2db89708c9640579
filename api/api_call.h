/* Private to api/: the context behind struct api_ctx, the per-thread database
 * state, and struct api_call — one request in flight, filled by a handler and
 * turned into the api_response by api_http_finish. */
#ifndef POSTD_API_CALL_H
#define POSTD_API_CALL_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "api.h"
#include "api_cache.h"
#include "api_metrics.h"
#include "api_params.h"
#include "api_router.h"
#include "store.h"

/* One server thread's connection and what it caches from it. Dropped (the
 * meta) whenever store_data_changed() says another connection committed, or
 * the clock leaves the window in which no post comes due. */
struct api_tls {
    struct api_ctx *ctx;
    struct store *st; /* NULL until it opens; retried on every request */
    int meta_valid;
    struct store_meta meta;
    int64_t last_modified;       /* max(last ingest, newest visible post date) */
    struct api_cache_view view;  /* generation, last ingest, [lo, hi) of the meta */
    struct api_cache_memo memo;  /* for api_cache_epoch */
    uint64_t seen_seq;           /* ctx->change_seq when this thread last synced */
    struct api_tls *prev, *next; /* ctx->threads, under ctx->mu */
};

struct api_ctx {
    struct api_config cfg; /* the strings below are owned copies */
    char *db_path, *cors_origin, *cache_control, *permalink;
    pthread_key_t key;  /* -> struct api_tls */
    pthread_mutex_t mu; /* guards threads */
    struct api_tls *threads;
    struct api_metrics *metrics;
    struct api_cache *cache; /* NULL when cfg.cache_bytes is 0 */
    /* Change checks shared by threads (cfg.change_check_us): bumped by every
     * thread whose connection saw another's commit, and the start time (us,
     * monotonic) of the latest check, published after its bump. */
    atomic_uint_fast64_t change_seq, checked_at;
    uint64_t rid_seed;
    atomic_uint_fast64_t rid_counter;
};

struct api_call {
    struct api_ctx *ctx;
    const struct api_request *req;
    struct api_response *res;
    int64_t now; /* time(NULL) once per request */
    struct api_route_match route;
    char request_id[136];

    /* What the handler produced. */
    int status;
    json_t *json; /* body to dump (owned), or NULL */
    int problem;  /* json is a problem document */
    char *raw;    /* a non-JSON body (owned), or NULL */
    size_t raw_len;
    const char *raw_type;
    int cacheable;             /* a 200 gets an ETag and answers conditionals */
    int64_t last_modified;     /* 0: no Last-Modified */
    const char *cache_control; /* NULL: the configured one */
    int has_total;
    int64_t total; /* X-Total-Count */
    char *link;    /* Link header value (owned) or NULL */

    /* The store, once api_call_store ran (its result is kept for the call). */
    int store_tried, store_rc;
    /* Set by a cache lookup that missed: where the response goes. */
    uint64_t cache_epoch; /* 0: do not insert */
    char *cache_key;      /* owned */
    size_t cache_key_len;
    uint64_t cache_hash;
};

/* The request target for a problem's "instance" (the path when no target). */
const char *api_call_instance(const struct api_call *c);

/* Makes c a problem response (any earlier body is dropped). problem is stolen;
 * NULL (out of memory) still sets the status, with no body. */
void api_call_problem_json(struct api_call *c, int status, json_t *problem);
void api_call_problem(struct api_call *c, int status, const char *detail);
/* 400 with invalid_params (stolen). */
void api_call_invalid(struct api_call *c, json_t *invalid);
/* 400 naming one bad parameter. */
void api_call_invalid_one(struct api_call *c, const char *name, const char *reason);
/* api_query_parse for c's request with the service config: 0, or -1 when
 * c is answered already (400 for bad parameters, 500). Release q with
 * api_query_clear either way. */
int api_call_query(struct api_call *c, struct api_query *q, enum api_param_set set,
                   const char *fixed);
/* 500 for an error status from storage (logged once to stderr). */
void api_call_fail(struct api_call *c, int st, const char *what);

/* Makes c a 200 JSON response that caches (ETag, Last-Modified). body stolen. */
void api_call_ok(struct api_call *c, json_t *body);

/* The thread's open store, after the per-request data_version check and with
 * the meta cache fresh for c->now; sets c->last_modified. On failure returns
 * NULL and, unless quiet, makes c a 503 problem (or 500). *st_out, when not
 * NULL, receives the status. */
struct store *api_call_store(struct api_call *c, int quiet, int *st_out);
/* The cached meta of the thread (valid after api_call_store succeeded). */
const struct store_meta *api_call_meta(const struct api_call *c);
/* Drops the thread's connection (after a database error) so the next request
 * reopens it. */
void api_call_store_reset(struct api_call *c);

/* Handlers (GET and HEAD; the dispatcher does OPTIONS, 404 and 405). */
void api_posts_list(struct api_call *c);
void api_posts_get(struct api_call *c);
void api_terms_list(struct api_call *c);
void api_ops_healthz(struct api_call *c);
void api_ops_readyz(struct api_call *c);
void api_ops_metrics(struct api_call *c);
void api_ops_openapi(struct api_call *c);

/* Turns what the handler produced into c->res: body bytes, ETag and the
 * conditional 304, gzip, caching, CORS, Vary and X-Request-Id headers, HEAD;
 * a cacheable 200 goes into the response cache when c has a cache epoch. */
void api_http_finish(struct api_call *c);
/* Answers c from entry e (borrowed): 304 or 200, gzip or identity, the bytes
 * copied (or shared when the request accepts that), and the per-request
 * headers. exclusive: e is in no cache, its bytes may be moved out. */
void api_http_serve(struct api_call *c, struct api_cache_entry *e, int exclusive);
/* The CORS preflight / plain OPTIONS answer (204). */
void api_http_options(struct api_call *c);
/* Fills c->request_id: the client's when sane, else a fresh one. */
void api_http_request_id(struct api_call *c);

#endif
