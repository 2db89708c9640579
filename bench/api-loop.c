/* A micro benchmark of api_handle in process (no sockets): ingests a posts
 * folder into a temporary database, then times one full post and a 20-post
 * list, each built per request (cache off) and served from the response cache
 * (cache on: copied body, shared body, gzip, 304), with the strict change
 * check on every request and with API_CHANGE_CHECK_US_DEFAULT. Prints
 * microseconds per call. Not a test: the numbers depend on the machine.
 *
 *   postd-api-loop [posts-dir] [seconds-per-case]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ftw.h>

#include "api.h"
#include "ingest.h"
#include "store.h"

#ifndef POSTD_SAMPLES
#define POSTD_SAMPLES "samples/posts"
#endif

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bench_case {
    const char *name;
    struct api_ctx *ctx;
    const char *path;
    const struct api_param *params;
    size_t n_params;
    const char *accept_encoding;
    const char *if_none_match;
    int shared;
    int expect;
};

/* Runs c for about `seconds` (at least 100 calls); returns us per call. */
static double run(const struct bench_case *c, double seconds, size_t *bytes)
{
    struct api_request req = {
        .method = "GET",
        .path = c->path,
        .target = c->path,
        .params = c->params,
        .n_params = c->n_params,
        .accept_encoding = c->accept_encoding,
        .if_none_match = c->if_none_match,
        .accept_shared_body = c->shared,
    };
    long n = 0;
    double t0 = now_s(), t = t0;
    while (n < 100 || t - t0 < seconds) {
        for (int i = 0; i < 50; i++, n++) {
            struct api_response res = {0};
            api_handle(c->ctx, &req, &res);
            if (res.status != c->expect) {
                fprintf(stderr, "%s: status %d\n", c->name, res.status);
                exit(1);
            }
            *bytes = res.body_len;
            api_response_clear(&res);
        }
        t = now_s();
    }
    return (t - t0) / (double)n * 1e6;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : POSTD_SAMPLES;
    double seconds = argc > 2 ? atof(argv[2]) : 1.0;
    char tmp[] = "/tmp/postd-api-loop-XXXXXX";
    char db[64];
    if (!mkdtemp(tmp))
        return 1;
    snprintf(db, sizeof(db), "%s/posts.db", tmp);

    struct store *st = NULL;
    struct ingest_opts io = {.dirs = &dir, .n_dirs = 1, .err = stderr};
    struct ingest_stats is;
    if (store_open(&st, db, STORE_READWRITE) != 0 || ingest_run(st, &io, &is) < 0) {
        fprintf(stderr, "cannot ingest %s\n", dir);
        return 1;
    }
    store_close(st);

    struct api_config cfg = {.db_path = db, .cache_bytes = API_CACHE_BYTES_DEFAULT};
    struct api_ctx *on = NULL, *off = NULL, *win = NULL;
    if (api_ctx_new(&on, &cfg) != 0)
        return 1;
    cfg.change_check_us = API_CHANGE_CHECK_US_DEFAULT;
    if (api_ctx_new(&win, &cfg) != 0)
        return 1;
    cfg.change_check_us = 0;
    cfg.cache_bytes = 0;
    if (api_ctx_new(&off, &cfg) != 0)
        return 1;

    /* The newest post, the one a front page shows first. */
    char path[512] = "";
    {
        struct api_param p = {"limit", "1"};
        struct api_param f = {"fields", "id"};
        struct api_param ps[] = {p, f};
        struct api_request req = {
            .method = "GET", .path = "/v1/posts", .params = ps, .n_params = 2};
        struct api_response res = {0};
        api_handle(off, &req, &res);
        const char *id = res.body ? strstr(res.body, "\"id\":\"") : NULL;
        if (!id)
            return 1;
        id += 6;
        snprintf(path, sizeof(path), "/v1/posts/%.*s", (int)(strchr(id, '"') - id), id);
        api_response_clear(&res);
    }
    static const struct api_param list[] = {{"limit", "20"}};

    /* The ETags for the 304 cases. */
    char etag[2][64];
    for (int k = 0; k < 2; k++) {
        struct api_request req = {.method = "GET",
                                  .path = k ? "/v1/posts" : path,
                                  .params = k ? list : NULL,
                                  .n_params = (size_t)k};
        struct api_response res = {0};
        api_handle(on, &req, &res);
        for (size_t i = 0; i < res.n_headers; i++)
            if (strcmp(res.headers[i].name, "ETag") == 0)
                snprintf(etag[k], sizeof(etag[k]), "%s", res.headers[i].value);
        api_response_clear(&res);
    }

    printf("%ld posts from %s; %.1f s per case\n", is.added + is.updated + is.unchanged, dir,
           seconds);
    printf("%-40s %12s %12s\n", "case", "one post", "20-post list");
    struct api_ctx *ctxs[] = {off, on, win};
    const struct {
        const char *name;
        int ctx, shared, gzip, cond;
    } kinds[] = {
        {"uncached (built per request)", 0, 0, 0, 0},
        {"uncached, gzip", 0, 0, 1, 0},
        {"hit, body copied", 1, 0, 0, 0},
        {"hit, shared body", 1, 1, 0, 0},
        {"hit, gzip, shared body", 1, 1, 1, 0},
        {"hit, 304", 1, 0, 0, 1},
        {"hit, body copied, 1 ms change window", 2, 0, 0, 0},
        {"hit, shared body, 1 ms change window", 2, 1, 0, 0},
        {"hit, gzip, shared, 1 ms change window", 2, 1, 1, 0},
        {"hit, 304, 1 ms change window", 2, 0, 0, 1},
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        double us[2];
        size_t bytes[2] = {0, 0};
        for (int k = 0; k < 2; k++) {
            struct bench_case c = {
                .name = kinds[i].name,
                .ctx = ctxs[kinds[i].ctx],
                .path = k ? "/v1/posts" : path,
                .params = k ? list : NULL,
                .n_params = (size_t)k,
                .accept_encoding = kinds[i].gzip ? "gzip" : NULL,
                .if_none_match = kinds[i].cond ? etag[k] : NULL,
                .shared = kinds[i].shared,
                .expect = kinds[i].cond ? 304 : 200,
            };
            us[k] = run(&c, seconds, &bytes[k]);
        }
        printf("%-40s %7.2f us %-3s %7.2f us (%zu / %zu bytes)\n", kinds[i].name, us[0], "", us[1],
               bytes[0], bytes[1]);
    }
    api_ctx_free(on);
    api_ctx_free(win);
    api_ctx_free(off);
    nftw(tmp, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return 0;
}
