/* The API context and the request entry point: configuration, one read-only
 * database connection per server thread (opened lazily, kept in a pthread key
 * whose destructor closes it, reopened after failures), the per-request
 * data_version check that drops the thread's cached metadata after an ingest,
 * the window of time in which that metadata holds (until the next
 * future-dated post comes due), and api_handle's dispatch: 400 for a bad
 * encoding, 404 for an unknown path, OPTIONS (CORS preflight), 405 for other
 * methods, then the response cache and, when it misses, the route's handler. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "api_call.h"
#include "api_params.h"
#include "api_problem.h"
#include "status.h"

static void tls_destroy(void *p)
{
    struct api_tls *t = p;
    if (!t)
        return;
    struct api_ctx *ctx = t->ctx;
    pthread_mutex_lock(&ctx->mu);
    if (t->prev)
        t->prev->next = t->next;
    else
        ctx->threads = t->next;
    if (t->next)
        t->next->prev = t->prev;
    pthread_mutex_unlock(&ctx->mu);
    store_close(t->st);
    free(t);
}

static char *dup_or(const char *s, const char *fallback)
{
    return strdup(s && s[0] ? s : fallback);
}

/* Frees what api_ctx_new allocates, and ctx (not the lock, key or threads). */
static void free_owned(struct api_ctx *ctx)
{
    api_cache_free(ctx->cache);
    api_metrics_free(ctx->metrics);
    free(ctx->db_path);
    free(ctx->cors_origin);
    free(ctx->cache_control);
    free(ctx->permalink);
    free(ctx);
}

int api_ctx_new(struct api_ctx **out, const struct api_config *cfg)
{
    *out = NULL;
    struct api_ctx *ctx = calloc(1, sizeof(*ctx));
    if (!ctx)
        return ST_NOMEM;
    ctx->cfg = *cfg;
    ctx->db_path = dup_or(cfg->db_path, "postd.db");
    ctx->cors_origin = dup_or(cfg->cors_origin, "*");
    ctx->cache_control = dup_or(cfg->cache_control, "public, max-age=60");
    ctx->permalink = cfg->permalink ? strdup(cfg->permalink) : NULL;
    ctx->metrics = api_metrics_new();
    if (!ctx->db_path || !ctx->cors_origin || !ctx->cache_control ||
        (cfg->permalink && !ctx->permalink) || !ctx->metrics)
        goto fail;
    if (cfg->cache_bytes > 0 && api_cache_new(&ctx->cache, cfg->cache_bytes) != 0)
        goto fail;
    ctx->cfg.db_path = ctx->db_path;
    ctx->cfg.cors_origin = ctx->cors_origin;
    ctx->cfg.cache_control = ctx->cache_control;
    ctx->cfg.permalink = ctx->permalink;
    if (ctx->cfg.max_limit <= 0)
        ctx->cfg.max_limit = 100;
    if (ctx->cfg.default_limit <= 0)
        ctx->cfg.default_limit = 20;
    if (ctx->cfg.default_limit > ctx->cfg.max_limit)
        ctx->cfg.default_limit = ctx->cfg.max_limit;

    if (getrandom(&ctx->rid_seed, sizeof(ctx->rid_seed), GRND_NONBLOCK) !=
        (ssize_t)sizeof(ctx->rid_seed))
        ctx->rid_seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    atomic_init(&ctx->rid_counter, 0);
    atomic_init(&ctx->change_seq, 0);
    atomic_init(&ctx->checked_at, 0);
    if (pthread_mutex_init(&ctx->mu, NULL) != 0)
        goto fail;
    if (pthread_key_create(&ctx->key, tls_destroy) != 0) {
        pthread_mutex_destroy(&ctx->mu);
        goto fail;
    }
    *out = ctx;
    return 0;
fail:
    free_owned(ctx);
    return ST_NOMEM;
}

void api_ctx_free(struct api_ctx *ctx)
{
    if (!ctx)
        return;
    /* Threads still registered (the caller's own, or workers that never ran
     * their destructor) are closed here; pthread_key_delete runs none. */
    pthread_setspecific(ctx->key, NULL);
    pthread_key_delete(ctx->key);
    struct api_tls *t = ctx->threads;
    while (t) {
        struct api_tls *next = t->next;
        store_close(t->st);
        free(t);
        t = next;
    }
    pthread_mutex_destroy(&ctx->mu);
    free_owned(ctx);
}

void api_thread_done(struct api_ctx *ctx)
{
    if (!ctx)
        return;
    struct api_tls *t = pthread_getspecific(ctx->key);
    if (!t)
        return;
    pthread_setspecific(ctx->key, NULL);
    tls_destroy(t);
}

static struct api_tls *tls_get(struct api_ctx *ctx)
{
    struct api_tls *t = pthread_getspecific(ctx->key);
    if (t)
        return t;
    t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    t->ctx = ctx;
    if (pthread_setspecific(ctx->key, t) != 0) {
        free(t);
        return NULL;
    }
    pthread_mutex_lock(&ctx->mu);
    t->next = ctx->threads;
    if (t->next)
        t->next->prev = t;
    ctx->threads = t;
    pthread_mutex_unlock(&ctx->mu);
    return t;
}

void api_call_store_reset(struct api_call *c)
{
    c->store_tried = 0;
    struct api_tls *t = pthread_getspecific(c->ctx->key);
    if (!t)
        return;
    store_close(t->st);
    t->st = NULL;
    t->meta_valid = 0;
}

/* The date of the newest visible post (next == 0), or of the earliest post
 * dated after now, hidden or not (next == 1); *found 0 when there is none. */
static int edge_date(struct store *st, int64_t now, int next, int *found, int64_t *out)
{
    struct store_list_req lr;
    struct store_list l;
    memset(&lr, 0, sizeof(lr));
    memset(&l, 0, sizeof(l));
    lr.f.now = now;
    lr.f.show_future = next;
    lr.f.has_after = next;
    lr.f.after = now + 1; /* visible means date_utc <= now */
    lr.sort = next ? STORE_SORT_DATE_ASC : STORE_SORT_DATE_DESC;
    lr.limit = 1;
    int rc = store_posts_list(st, &lr, &l);
    if (rc)
        return rc;
    *found = l.n > 0;
    *out = l.n ? l.items[0].date_utc : 0;
    store_list_clear(&l);
    return 0;
}

/* Refreshes the thread's meta, Last-Modified and view. What the API serves
 * depends on the clock only through which posts are visible, and that stays
 * the same from the newest visible post's date until the next one comes due:
 * the view's [lo, hi). With show_future nothing depends on the clock. */
static int meta_refresh(struct api_call *c, struct api_tls *t)
{
    const struct api_config *cfg = &c->ctx->cfg;
    int64_t newest = 0, next = 0;
    int has_newest = 0, has_next = 0;
    int rc = store_read_begin(t->st);
    if (rc)
        return rc;
    rc = store_meta_get(t->st, c->now, cfg->show_future, &t->meta);
    if (rc == 0 && !cfg->show_future)
        rc = edge_date(t->st, c->now, 0, &has_newest, &newest);
    if (rc == 0 && !cfg->show_future)
        rc = edge_date(t->st, c->now, 1, &has_next, &next);
    store_read_end(t->st);
    if (rc)
        return rc;
    /* A post dated in the future changes the lists when its time comes, with
     * no ingest: Last-Modified is the later of the two. */
    t->last_modified = t->meta.last_ingest > newest ? t->meta.last_ingest : newest;
    t->view.generation = t->meta.generation;
    t->view.last_ingest = t->meta.last_ingest;
    t->view.lo = has_newest ? newest : INT64_MIN;
    t->view.hi = has_next ? next : INT64_MAX;
    t->meta_valid = 1;
    return 0;
}

static uint64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Publishes a check (or an open: it reads the same baseline) that started at
 * start, after whatever it announced. */
static void publish_check(struct api_ctx *ctx, uint64_t start)
{
    uint64_t last = atomic_load_explicit(&ctx->checked_at, memory_order_relaxed);
    while (last < start &&
           !atomic_compare_exchange_weak_explicit(&ctx->checked_at, &last, start,
                                                  memory_order_release, memory_order_relaxed))
        ;
}

/* Has another connection committed since this thread last looked? Strict mode
 * asks the connection every time. With cfg.change_check_us, a check that any
 * thread started less than that long ago stands in for this one, unless some
 * thread has since announced a change (change_seq) this thread has not seen.
 * A thread whose own check finds a change always announces it: its check may
 * be what another thread relies on. */
static int data_changed(struct api_ctx *ctx, struct api_tls *t)
{
    unsigned window = ctx->cfg.change_check_us;
    uint64_t start = 0;
    if (window) {
        start = mono_us();
        uint64_t last = atomic_load_explicit(&ctx->checked_at, memory_order_acquire);
        uint64_t seq = atomic_load_explicit(&ctx->change_seq, memory_order_acquire);
        if (last && seq == t->seen_seq && start - last < window)
            return 0;
    }
    uint64_t seq = atomic_load_explicit(&ctx->change_seq, memory_order_acquire);
    int changed = store_data_changed(t->st);
    if (changed)
        seq = atomic_fetch_add_explicit(&ctx->change_seq, 1, memory_order_acq_rel) + 1;
    else if (seq != t->seen_seq)
        changed = 1; /* another thread saw a commit: our meta predates it */
    t->seen_seq = seq;
    if (window)
        publish_check(ctx, start);
    return changed;
}

struct store *api_call_store(struct api_call *c, int quiet, int *st_out)
{
    struct api_tls *t = NULL;
    int rc = 0;
    if (c->store_tried) {
        /* Once per request: the cache lookup and the handler see one state. */
        rc = c->store_rc;
        if (rc)
            goto fail;
        t = pthread_getspecific(c->ctx->key);
        c->last_modified = t->last_modified;
        if (st_out)
            *st_out = 0;
        return t->st;
    }
    c->store_tried = 1;
    t = tls_get(c->ctx);
    if (!t) {
        rc = ST_NOMEM;
        goto fail;
    }
    if (!t->st) {
        t->meta_valid = 0;
        t->seen_seq = atomic_load_explicit(&c->ctx->change_seq, memory_order_acquire);
        uint64_t start = c->ctx->cfg.change_check_us ? mono_us() : 0;
        rc = store_open(&t->st, c->ctx->cfg.db_path, STORE_READONLY);
        if (rc) {
            t->st = NULL;
            goto fail;
        }
        if (start)
            publish_check(c->ctx, start);
    } else if (data_changed(c->ctx, t)) {
        t->meta_valid = 0;
    }
    if (!t->meta_valid || c->now < t->view.lo || c->now >= t->view.hi) {
        rc = meta_refresh(c, t);
        if (rc) {
            /* The file may have been replaced or broken: reopen next time. */
            store_close(t->st);
            t->st = NULL;
            t->meta_valid = 0;
            goto fail;
        }
    }
    c->last_modified = t->last_modified;
    c->store_rc = 0;
    if (st_out)
        *st_out = 0;
    return t->st;
fail:
    c->store_rc = rc;
    if (st_out)
        *st_out = rc;
    if (!quiet) {
        if (rc == ST_NOMEM) {
            api_call_problem(c, 500, "out of memory");
        } else {
            char detail[160];
            snprintf(detail, sizeof(detail), "The database is not available yet (%s).",
                     st_strerror(rc));
            api_call_problem(c, 503, detail);
            api_response_header(c->res, "Retry-After", "1");
        }
    }
    return NULL;
}

const struct store_meta *api_call_meta(const struct api_call *c)
{
    struct api_tls *t = pthread_getspecific(c->ctx->key);
    return t && t->meta_valid ? &t->meta : NULL;
}

const char *api_call_instance(const struct api_call *c)
{
    return c->req->target ? c->req->target : c->req->path;
}

void api_call_fail(struct api_call *c, int st, const char *what)
{
    if (st == ST_NOMEM) {
        api_call_problem(c, 500, "out of memory");
        return;
    }
    fprintf(stderr, "postd: api: %s: %s (request %s)\n", what, st_strerror(st), c->request_id);
    if (st == ST_DB || st == ST_IO || st == ST_SCHEMA)
        api_call_store_reset(c);
    api_call_problem(c, 500, "The server failed to read the database; the error was logged.");
}

void api_call_ok(struct api_call *c, json_t *body)
{
    if (!body) {
        api_call_problem(c, 500, "out of memory");
        return;
    }
    json_decref(c->json);
    c->json = body;
    c->problem = 0;
    c->status = 200;
    c->cacheable = 1;
}

static void dispatch(struct api_call *c)
{
    switch (c->route.id) {
    case API_R_POSTS:
    case API_R_TAG_POSTS:
    case API_R_DOMAIN_POSTS:
    case API_R_AUTHOR_POSTS:
    case API_R_CATEGORY_POSTS:
        api_posts_list(c);
        break;
    case API_R_POST:
        api_posts_get(c);
        break;
    case API_R_TAGS:
    case API_R_DOMAINS:
    case API_R_AUTHORS:
    case API_R_CATEGORIES:
        api_terms_list(c);
        break;
    case API_R_HEALTHZ:
        api_ops_healthz(c);
        break;
    case API_R_READYZ:
        api_ops_readyz(c);
        break;
    case API_R_METRICS:
        api_ops_metrics(c);
        break;
    case API_R_OPENAPI:
        api_ops_openapi(c);
        break;
    default:
        api_call_problem(c, 404, "No resource at this path.");
        break;
    }
}

/* The routes whose 200s are cached, and the parameter set each takes. */
static int cache_route(enum api_route_id id, enum api_param_set *set)
{
    switch (id) {
    case API_R_POSTS:
    case API_R_TAG_POSTS:
    case API_R_DOMAIN_POSTS:
    case API_R_AUTHOR_POSTS:
    case API_R_CATEGORY_POSTS:
        *set = API_PARAMS_POSTS;
        return 1;
    case API_R_TAGS:
    case API_R_DOMAINS:
    case API_R_AUTHORS:
    case API_R_CATEGORIES:
        *set = API_PARAMS_TERMS;
        return 1;
    case API_R_POST:
    case API_R_OPENAPI:
        *set = API_PARAMS_NONE;
        return 1;
    default:
        return 0;
    }
}

/* Answers a GET/HEAD from the response cache (1), or leaves in c where the
 * handler's response is to go (0). The thread's data view is checked first
 * (store_data_changed, the clock), so a hit is never older than what the
 * handler would read now. */
static int cache_lookup(struct api_call *c)
{
    struct api_cache *cache = c->ctx->cache;
    enum api_param_set set;
    if (!cache || !cache_route(c->route.id, &set) || !api_call_store(c, 1, NULL))
        return 0;
    struct api_tls *t = pthread_getspecific(c->ctx->key);
    uint64_t epoch = api_cache_epoch(cache, &t->view, &t->memo);
    if (api_cache_key(c->req, c->route.id, c->route.arg, set, c->ctx->cfg.default_limit,
                      &c->cache_key, &c->cache_key_len) != 0)
        return 0;
    c->cache_hash = api_cache_hash(c->cache_key, c->cache_key_len);
    struct api_cache_entry *e =
        api_cache_get(cache, epoch, c->cache_key, c->cache_key_len, c->cache_hash);
    api_metrics_cache(c->ctx->metrics, e != NULL);
    if (!e) {
        c->cache_epoch = epoch;
        return 0;
    }
    api_http_serve(c, e, 0);
    api_cache_entry_unref(e);
    return 1;
}

void api_handle(struct api_ctx *ctx, const struct api_request *req, struct api_response *res)
{
    struct api_call c;
    memset(&c, 0, sizeof(c));
    c.ctx = ctx;
    c.req = req;
    c.res = res;
    c.now = (int64_t)time(NULL);
    api_http_request_id(&c);
    res->route = api_route_name(API_R_NONE);

    const char *method = req->method ? req->method : "";
    if (req->bad_encoding) {
        api_call_problem(&c, 400, "The request target has invalid percent-encoding or a NUL byte.");
    } else if (api_route_match(req->path, &c.route) != 0) {
        api_call_problem(&c, 500, "out of memory");
    } else if (c.route.id == API_R_NONE) {
        api_call_problem(&c, 404, "No resource at this path.");
    } else {
        res->route = c.route.name;
        if (strcmp(method, "OPTIONS") == 0) {
            api_http_options(&c);
        } else if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
            if (cache_lookup(&c))
                goto done;
            dispatch(&c);
        } else {
            api_call_problem(&c, 405, "This resource allows GET, HEAD and OPTIONS only.");
            api_response_header(res, "Allow", "GET, HEAD, OPTIONS");
        }
    }
    api_http_finish(&c);
done:
    api_route_match_clear(&c.route);
    json_decref(c.json);
    free(c.raw);
    free(c.link);
    free(c.cache_key);
}

int api_response_header(struct api_response *res, const char *name, const char *value)
{
    if (res->n_headers >= API_MAX_HEADERS)
        return -1;
    char *v = strdup(value ? value : "");
    if (!v)
        return -1;
    res->headers[res->n_headers].name = name;
    res->headers[res->n_headers].value = v;
    res->n_headers++;
    return 0;
}

void api_response_clear(struct api_response *res)
{
    if (!res)
        return;
    free(res->body);
    api_body_unref(res->shared_body);
    for (size_t i = 0; i < res->n_headers; i++)
        free(res->headers[i].value);
    memset(res, 0, sizeof(*res));
}

void api_metrics_observe(struct api_ctx *ctx, const char *route, int status, double seconds)
{
    if (ctx)
        api_metrics_record(ctx->metrics, route, status, seconds);
}
