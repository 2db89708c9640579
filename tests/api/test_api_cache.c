/* The response cache through api_handle: a hit sends the same bytes and
 * headers as the miss that filled it (and as a context without a cache), the
 * gzip bytes are those of compressing the identity body, a write by another
 * connection invalidates at once, the byte bound holds (by /metrics), keys
 * are normalized (list order, fields/include sets, default limit and page)
 * without letting an invalid request reach a cached 200, change_check_us
 * bounds how long a commit can go unseen, cache_bytes 0
 * disables it, a post coming due is seen at its time, shared bodies outlive
 * the context, 4 threads hit and evict concurrently, a server holding a kept
 * response object is asked before the headers are built (and gets only the
 * id), and at the unit level an insert from a superseded epoch is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pthread.h>
#include <zlib.h>

#include <cmocka.h>

#include "api_cache.h"
#include "api_test.h"
#include "api_util.h"

static struct api_ctx *ctx_sized(const char *db, size_t bytes, int show_future)
{
    struct api_config cfg = {
        .db_path = db,
        .default_limit = 20,
        .max_limit = 100,
        .show_future = show_future,
        .cache_bytes = bytes,
    };
    struct api_ctx *ctx = NULL;
    assert_int_equal(api_ctx_new(&ctx, &cfg), 0);
    return ctx;
}

struct counts {
    unsigned long long hits, misses, bytes, entries;
};

static unsigned long long metric(const char *text, const char *name)
{
    char key[64];
    snprintf(key, sizeof(key), "\n%s ", name);
    const char *p = strstr(text, key);
    if (!p)
        fail_msg("no %s in metrics", name);
    return strtoull(p + strlen(key), NULL, 10);
}

static struct counts counts_of(struct api_ctx *ctx)
{
    struct api_response r;
    t_do(ctx, "GET", "/metrics", NULL, &r);
    assert_int_equal(r.status, 200);
    char *text = strndup(r.body, r.body_len);
    struct counts c = {
        metric(text, "postd_cache_hits_total"),
        metric(text, "postd_cache_misses_total"),
        metric(text, "postd_cache_bytes"),
        metric(text, "postd_cache_entries"),
    };
    free(text);
    api_response_clear(&r);
    return c;
}

/* Same status, type, bytes and headers (in order). */
static void assert_same(const struct api_response *a, const struct api_response *b)
{
    assert_int_equal(a->status, b->status);
    if (a->content_type || b->content_type)
        assert_string_equal(a->content_type, b->content_type);
    assert_int_equal(a->body_len, b->body_len);
    if (a->body_len)
        assert_memory_equal(a->body, b->body, a->body_len);
    assert_int_equal(a->head_only, b->head_only);
    assert_int_equal(a->n_headers, b->n_headers);
    for (size_t i = 0; i < a->n_headers; i++) {
        assert_string_equal(a->headers[i].name, b->headers[i].name);
        assert_string_equal(a->headers[i].value, b->headers[i].value);
    }
}

static const char *const targets[] = {
    "/v1/posts?limit=50",
    "/v1/posts",
    "/v1/posts?tag=alpha&sort=title&fields=id,title",
    "/v1/posts/post-03",
    "/v1/tags",
    "/v1/domains?sort=name",
    "/v1/tags/alpha/posts?limit=5&page=2",
    "/v1/openapi.json",
};
#define N_TARGETS (sizeof(targets) / sizeof(targets[0]))

static void test_hit_identical(void **state)
{
    struct fx *f = *state;
    struct api_ctx *ctx = ctx_sized(f->db, API_CACHE_BYTES_DEFAULT, 0);
    struct api_ctx *off = ctx_sized(f->db, 0, 0);
    static const struct t_hdrs hdrs[] = {
        {.request_id = "same-id"},
        {.request_id = "same-id", .accept_encoding = "gzip"},
        {.request_id = "same-id", .origin = "https://x.example"},
    };
    static const char *const methods[] = {"GET", "HEAD"};
    unsigned long long hits = 0, misses = 0;
    for (size_t i = 0; i < N_TARGETS; i++) {
        for (size_t h = 0; h < sizeof(hdrs) / sizeof(hdrs[0]); h++) {
            for (size_t m = 0; m < 2; m++) {
                struct api_response first, again, plain;
                t_do(ctx, methods[m], targets[i], &hdrs[h], &first);
                t_do(ctx, methods[m], targets[i], &hdrs[h], &again);
                t_do(off, methods[m], targets[i], &hdrs[h], &plain);
                if (first.status != 200)
                    fail_msg("%s: %d", targets[i], first.status);
                assert_same(&first, &again);
                assert_same(&first, &plain);
                api_response_clear(&first);
                api_response_clear(&again);
                api_response_clear(&plain);
                /* Only the very first request of a target misses. */
                misses += h == 0 && m == 0;
                hits += 2 - (h == 0 && m == 0);
            }
        }
    }
    struct counts c = counts_of(ctx);
    assert_int_equal(c.misses, misses);
    assert_int_equal(c.hits, hits);
    assert_int_equal(c.entries, N_TARGETS);
    assert_true(c.bytes > 0);
    /* Without a cache nothing counts as one. */
    c = counts_of(off);
    assert_int_equal(c.hits + c.misses + c.entries + c.bytes, 0);
    api_ctx_free(ctx);
    api_ctx_free(off);
}

static char *gzip_ref(const char *in, size_t n, size_t *out_n)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(
        deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, (uLong)n);
    char *out = malloc(cap);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_n = cap - zs.avail_out;
    deflateEnd(&zs);
    return out;
}

static void test_gzip(void **state)
{
    struct fx *f = *state;
    struct api_ctx *ctx = ctx_sized(f->db, API_CACHE_BYTES_DEFAULT, 0);
    /* The entry is made by an identity request; the gzip hits come from it. */
    struct api_response plain, gz, gz2, nm;
    t_do(ctx, "GET", "/v1/posts?limit=40", NULL, &plain);
    struct t_hdrs h = {.accept_encoding = "gzip"};
    t_do(ctx, "GET", "/v1/posts?limit=40", &h, &gz);
    t_do(ctx, "GET", "/v1/posts?limit=40", &h, &gz2);
    assert_string_equal(t_header(&gz, "Content-Encoding"), "gzip");
    size_t zn = 0;
    char *z = gzip_ref(plain.body, plain.body_len, &zn);
    assert_int_equal(gz.body_len, zn);
    assert_memory_equal(gz.body, z, zn);
    assert_int_equal(gz2.body_len, zn);
    assert_memory_equal(gz2.body, z, zn);
    free(z);
    char expect[96];
    const char *pe = t_header(&plain, "ETag");
    snprintf(expect, sizeof(expect), "%.*s-gz\"", (int)strlen(pe) - 1, pe);
    assert_string_equal(t_header(&gz, "ETag"), expect);

    /* A 304 from the cache is a hit, against the variant it would send. */
    struct counts before = counts_of(ctx);
    struct t_hdrs c1 = {.accept_encoding = "gzip", .if_none_match = expect};
    t_do(ctx, "GET", "/v1/posts?limit=40", &c1, &nm);
    assert_int_equal(nm.status, 304);
    assert_null(nm.body);
    api_response_clear(&nm);
    struct t_hdrs c2 = {.if_none_match = expect};
    t_do(ctx, "GET", "/v1/posts?limit=40", &c2, &nm);
    assert_int_equal(nm.status, 200);
    assert_null(t_header(&nm, "Content-Encoding"));
    api_response_clear(&nm);
    struct counts after = counts_of(ctx);
    assert_int_equal(after.hits, before.hits + 2);
    assert_int_equal(after.misses, before.misses);

    /* Small bodies have no gzip variant: identity, identity tag. */
    t_do(ctx, "GET", "/v1/posts?limit=1&fields=id", &h, &nm);
    assert_true(nm.body_len <= 1024);
    assert_null(t_header(&nm, "Content-Encoding"));
    assert_null(strstr(t_header(&nm, "ETag"), "-gz"));
    api_response_clear(&nm);

    api_response_clear(&plain);
    api_response_clear(&gz);
    api_response_clear(&gz2);
    api_ctx_free(ctx);
}

static void put_post(const char *db, int like, const char *id, const char *slug, int64_t date,
                     int64_t when)
{
    struct store *st = NULL;
    assert_int_equal(store_open(&st, db, STORE_READWRITE), 0);
    assert_int_equal(store_begin(st), 0);
    struct post p;
    fx_post_fill(like, &p);
    free(p.id);
    free(p.slug);
    p.id = strdup(id);
    p.slug = strdup(slug);
    p.date_utc = date;
    assert_int_equal(store_post_put(st, &p,
                                    "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"
                                    "eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee",
                                    when),
                     0);
    post_clear(&p);
    assert_int_equal(store_commit(st, when), 0);
    store_close(st);
}

static void delete_post(const char *db, const char *id, int64_t when)
{
    struct store *st = NULL;
    assert_int_equal(store_open(&st, db, STORE_READWRITE), 0);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_post_delete(st, id), 0);
    assert_int_equal(store_commit(st, when), 0);
    store_close(st);
}

static const char *first_id(json_t *j)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(j, "data"), 0), "id"));
}

static void test_reingest(void **state)
{
    struct fx *f = *state;
    struct api_ctx *ctx = ctx_sized(f->db, API_CACHE_BYTES_DEFAULT, 0);
    struct api_response a, b, c;
    struct t_hdrs rid = {.request_id = "r"};
    t_do(ctx, "GET", "/v1/posts?limit=1", &rid, &a);
    t_do(ctx, "GET", "/v1/posts?limit=1", &rid, &b);
    assert_same(&a, &b);
    api_response_clear(&b);
    struct counts c0 = counts_of(ctx);
    assert_int_equal(c0.hits, 1);

    put_post(f->db, 0, "2023-07-30-fresh", "fresh", 1690675200, f->now - 50);
    t_do(ctx, "GET", "/v1/posts?limit=1", NULL, &b);
    assert_int_equal(b.status, 200);
    json_t *jb = t_body(&b);
    assert_string_equal(first_id(jb), "2023-07-30-fresh");
    assert_string_not_equal(t_header(&a, "ETag"), t_header(&b, "ETag"));
    char lm[32];
    api_http_date_format(f->now - 50, lm);
    assert_string_equal(t_header(&b, "Last-Modified"), lm);
    struct counts c1 = counts_of(ctx);
    assert_int_equal(c1.misses, c0.misses + 1);
    assert_int_equal(c1.entries, 1); /* the old entries went with the old data */

    /* The old validator no longer matches; the new one does, from the cache. */
    struct t_hdrs old = {.if_none_match = t_header(&a, "ETag")};
    t_do(ctx, "GET", "/v1/posts?limit=1", &old, &c);
    assert_int_equal(c.status, 200);
    api_response_clear(&c);
    struct t_hdrs cur = {.if_none_match = t_header(&b, "ETag")};
    t_do(ctx, "GET", "/v1/posts?limit=1", &cur, &c);
    assert_int_equal(c.status, 304);
    api_response_clear(&c);
    assert_int_equal(counts_of(ctx).hits, c1.hits + 2);

    /* And back: the list is what it was, bytes and tag. */
    delete_post(f->db, "2023-07-30-fresh", f->now - 100);
    t_do(ctx, "GET", "/v1/posts?limit=1", NULL, &c);
    json_t *jc = t_body(&c);
    assert_string_not_equal(first_id(jc), "2023-07-30-fresh");
    assert_int_equal(c.body_len, a.body_len);
    json_decref(jb);
    json_decref(jc);
    api_response_clear(&a);
    api_response_clear(&b);
    api_response_clear(&c);
    api_ctx_free(ctx);
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* change_check_us: a check covers the requests that start within the window
 * after it (so a commit may be missed that long), and no longer. */
static void test_change_window(void **state)
{
    struct fx *f = *state;
    struct api_config cfg = {
        .db_path = f->db, .cache_bytes = API_CACHE_BYTES_DEFAULT, .change_check_us = 1500000};
    struct api_ctx *ctx = NULL;
    assert_int_equal(api_ctx_new(&ctx, &cfg), 0);
    struct api_response a, b;
    double t0 = mono();
    t_do(ctx, "GET", "/v1/posts?limit=1", NULL, &a); /* checks, then fills */
    put_post(f->db, 0, "2023-07-31-later", "later", 1690761600, f->now - 40);
    t_do(ctx, "GET", "/v1/posts?limit=1", NULL, &b);
    if (mono() - t0 < 1.4) { /* else the machine stalled: nothing to assert */
        assert_int_equal(b.body_len, a.body_len);
        assert_memory_equal(b.body, a.body, a.body_len); /* within the window */
    }
    api_response_clear(&b);
    while (mono() - t0 < 1.6)
        usleep(20 * 1000);
    t_do(ctx, "GET", "/v1/posts?limit=1", NULL, &b);
    json_t *j = t_body(&b);
    assert_string_equal(first_id(j), "2023-07-31-later");
    assert_string_not_equal(t_header(&a, "ETag"), t_header(&b, "ETag"));
    json_decref(j);
    api_response_clear(&a);
    api_response_clear(&b);
    api_ctx_free(ctx);
    delete_post(f->db, "2023-07-31-later", f->now - 100);
}

static void test_bound(void **state)
{
    struct fx *f = *state;
    const size_t bound = 48 * 1024;
    struct api_ctx *ctx = ctx_sized(f->db, bound, 0);
    int distinct = 0;
    for (int round = 0; round < 3; round++) {
        for (int limit = 1; limit <= 40; limit++) {
            char target[128];
            snprintf(target, sizeof(target), "/v1/posts?limit=%d%s", limit,
                     round == 1   ? "&tag=alpha"
                     : round == 2 ? "&include=questions"
                                  : "");
            struct t_hdrs h = {.accept_encoding = limit % 2 ? "gzip" : NULL};
            struct api_response r;
            t_do(ctx, "GET", target, &h, &r);
            assert_int_equal(r.status, 200);
            api_response_clear(&r);
            distinct++;
            if (limit % 8 == 0) {
                struct counts c = counts_of(ctx);
                if (c.bytes > bound)
                    fail_msg("cache holds %llu bytes, bound %zu", c.bytes, bound);
            }
        }
    }
    struct counts c = counts_of(ctx);
    assert_true(c.bytes <= bound);
    assert_true(c.entries > 0);
    assert_true(c.entries < (unsigned long long)distinct); /* something was evicted */
    assert_int_equal(c.misses, distinct);
    api_ctx_free(ctx);

    /* A response larger than the whole cache is served, never kept. */
    ctx = ctx_sized(f->db, 2048, 0);
    for (int i = 0; i < 2; i++) {
        json_t *j = t_get_json(ctx, "/v1/posts?limit=30", 200);
        json_decref(j);
    }
    c = counts_of(ctx);
    assert_int_equal(c.entries, 0);
    assert_int_equal(c.bytes, 0);
    assert_int_equal(c.misses, 2);
    api_ctx_free(ctx);
}

/* Requests in each row share one entry (the later ones hit). */
static void test_normalized_keys(void **state)
{
    struct fx *f = *state;
    static const char *const same[][4] = {
        {"/v1/posts?tag=alpha&tag=beta", "/v1/posts?tag=beta&tag=alpha", NULL},
        {"/v1/posts?limit=20", "/v1/posts", "/v1/posts?page=1", "/v1/posts?page=1&limit=20"},
        {"/v1/posts?fields=title,id,tags", "/v1/posts?fields=id,tags,title", NULL},
        {"/v1/posts?include=sources,questions&domain=bbc.co.uk&domain=nytimes.com",
         "/v1/posts?domain=nytimes.com&include=questions,sources&domain=bbc.co.uk", NULL},
        {"/v1/posts?limit=5&tag_not=gamma&author=Bob&author=Ann",
         "/v1/posts?author=Ann&tag_not=gamma&author=Bob&limit=5", NULL},
        {"/v1/tags?limit=20&page=1", "/v1/tags", "/v1/tags/", NULL},
        {"/v1/tags/alpha/posts?category=tech&category=news",
         "/v1/tags/alpha/posts/?category=news&category=tech&limit=20", NULL},
    };
    struct api_ctx *ctx = ctx_sized(f->db, API_CACHE_BYTES_DEFAULT, 0);
    struct api_ctx *off = ctx_sized(f->db, 0, 0);
    for (size_t row = 0; row < sizeof(same) / sizeof(same[0]); row++) {
        struct counts c0 = counts_of(ctx);
        struct t_hdrs h = {.request_id = "n"};
        struct api_response first;
        t_do(ctx, "GET", same[row][0], &h, &first);
        assert_int_equal(first.status, 200);
        size_t k;
        for (k = 1; k < 4 && same[row][k]; k++) {
            struct api_response r, plain;
            t_do(ctx, "GET", same[row][k], &h, &r);
            assert_same(&first, &r);
            /* Not a cache artefact: the uncached response is the same too. */
            t_do(off, "GET", same[row][k], &h, &plain);
            assert_same(&first, &plain);
            api_response_clear(&r);
            api_response_clear(&plain);
        }
        struct counts c1 = counts_of(ctx);
        if (c1.hits != c0.hits + k - 1 || c1.misses != c0.misses + 1)
            fail_msg("row %zu: %llu hits, %llu misses", row, c1.hits - c0.hits,
                     c1.misses - c0.misses);
        api_response_clear(&first);
    }

    /* Normalizing never lets an invalid request reach a cached 200. */
    json_t *j = t_get_json(ctx, "/v1/posts?limit=3", 200);
    const char *cursor =
        json_string_value(json_object_get(json_object_get(j, "meta"), "next_cursor"));
    assert_non_null(cursor);
    char target[512];
    snprintf(target, sizeof(target), "/v1/posts?limit=3&cursor=%s", cursor);
    json_decref(t_get_json(ctx, target, 200));
    json_decref(t_get_json(ctx, target, 200));
    snprintf(target, sizeof(target), "/v1/posts?limit=3&cursor=%s&page=1", cursor);
    struct api_response r;
    t_do(ctx, "GET", target, NULL, &r);
    t_assert_invalid(&r, "page");
    api_response_clear(&r);
    json_decref(j);
    static const struct {
        const char *target, *param;
    } invalid[] = {
        {"/v1/posts?limit=20&limit=20", "limit"}, {"/v1/posts?page=1&page=1", "page"},
        {"/v1/posts/post-03?limit=20", "limit"},  {"/v1/posts/post-03?page=1", "page"},
        {"/v1/posts?fields=id,title,", "fields"}, {"/v1/openapi.json?limit=20", "limit"},
    };
    json_decref(t_get_json(ctx, "/v1/posts/post-03", 200));
    json_decref(t_get_json(ctx, "/v1/openapi.json", 200));
    json_decref(t_get_json(ctx, "/v1/posts?fields=id,title", 200));
    for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
        t_do(ctx, "GET", invalid[i].target, NULL, &r);
        t_assert_invalid(&r, invalid[i].param);
        api_response_clear(&r);
    }
    /* Errors are not kept: asking twice misses twice. */
    struct counts c0 = counts_of(ctx);
    for (int i = 0; i < 2; i++) {
        t_do(ctx, "GET", "/v1/posts?limit=0", NULL, &r);
        assert_int_equal(r.status, 400);
        api_response_clear(&r);
        t_do(ctx, "GET", "/v1/posts/no-such-post", NULL, &r);
        assert_int_equal(r.status, 404);
        api_response_clear(&r);
    }
    struct counts c1 = counts_of(ctx);
    assert_int_equal(c1.hits, c0.hits);
    assert_int_equal(c1.misses, c0.misses + 4);
    assert_int_equal(c1.entries, c0.entries);
    api_ctx_free(ctx);
    api_ctx_free(off);
}

static void test_disabled(void **state)
{
    struct fx *f = *state;
    struct api_ctx *ctx = ctx_sized(f->db, 0, 0);
    struct api_response a, b;
    t_do(ctx, "GET", "/v1/posts?limit=30", NULL, &a);
    struct t_hdrs h = {.if_none_match = t_header(&a, "ETag")};
    t_do(ctx, "GET", "/v1/posts?limit=30", &h, &b);
    assert_int_equal(b.status, 304); /* conditionals work without the cache */
    api_response_clear(&b);
    struct api_request req = {.method = "GET", .path = "/v1/posts", .accept_shared_body = 1};
    memset(&b, 0, sizeof(b));
    api_handle(ctx, &req, &b);
    assert_int_equal(b.status, 200);
    assert_non_null(b.shared_body); /* uncached, but handed over the same way */
    assert_null(b.body);
    assert_int_equal(api_body_len(b.shared_body), b.body_len);
    api_response_clear(&b);
    struct counts c = counts_of(ctx);
    assert_int_equal(c.hits, 0);
    assert_int_equal(c.misses, 0);
    assert_int_equal(c.entries, 0);
    assert_int_equal(c.bytes, 0);
    api_response_clear(&a);
    api_ctx_free(ctx);
}

static void test_future_due(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    int64_t now = (int64_t)time(NULL);
    char *db = fx_build(dir, now, now - 100);
    int64_t due = now + 2;
    put_post(db, 0, "2030-01-01-soon", "soon", due, now - 90);
    struct api_ctx *ctx = ctx_sized(db, API_CACHE_BYTES_DEFAULT, 0);

    struct api_response a, b;
    t_do(ctx, "GET", "/v1/posts?limit=1", NULL, &a);
    json_t *ja = t_body(&a);
    assert_string_not_equal(first_id(ja), "2030-01-01-soon");
    json_decref(ja);
    json_decref(t_get_json(ctx, "/v1/posts/soon", 404));
    json_t *tags = t_get_json(ctx, "/v1/tags?sort=name", 200);
    t_do(ctx, "GET", "/v1/posts?limit=1", NULL, &b); /* a hit while not due */
    assert_int_equal(b.body_len, a.body_len);
    assert_memory_equal(b.body, a.body, a.body_len);
    api_response_clear(&b);
    assert_true(counts_of(ctx).hits >= 1);

    while ((int64_t)time(NULL) < due) /* bounded: due is 2 s away */
        usleep(50 * 1000);
    t_do(ctx, "GET", "/v1/posts?limit=1", NULL, &b);
    json_t *jb = t_body(&b);
    assert_string_equal(first_id(jb), "2030-01-01-soon");
    assert_string_not_equal(t_header(&a, "ETag"), t_header(&b, "ETag"));
    char lm[32];
    api_http_date_format(due, lm);
    assert_string_equal(t_header(&b, "Last-Modified"), lm);
    json_decref(jb);
    json_decref(t_get_json(ctx, "/v1/posts/soon", 200));
    json_t *tags2 = t_get_json(ctx, "/v1/tags?sort=name", 200);
    assert_false(json_equal(tags, tags2)); /* its tags count one more */
    json_decref(tags);
    json_decref(tags2);
    api_response_clear(&a);
    api_response_clear(&b);
    api_ctx_free(ctx);
    free(db);
    fx_rmdir(dir);
    free(dir);
}

static void test_shared_body(void **state)
{
    struct fx *f = *state;
    struct api_ctx *ctx = ctx_sized(f->db, API_CACHE_BYTES_DEFAULT, 0);
    struct api_response copy, miss, hit;
    t_do(ctx, "GET", "/v1/posts?limit=25", NULL, &copy); /* fills the cache */
    api_response_clear(&copy);
    struct api_param p = {"limit", "25"};
    struct api_request req = {
        .method = "GET", .path = "/v1/posts", .params = &p, .n_params = 1, .accept_shared_body = 1};
    memset(&hit, 0, sizeof(hit));
    api_handle(ctx, &req, &hit);
    t_do(ctx, "GET", "/v1/posts?limit=25", NULL, &copy);
    assert_int_equal(hit.status, 200);
    assert_null(hit.body);
    assert_non_null(hit.shared_body);
    assert_int_equal(hit.body_len, copy.body_len);
    assert_int_equal(api_body_len(hit.shared_body), copy.body_len);
    assert_memory_equal(api_body_data(hit.shared_body), copy.body, copy.body_len);

    /* A miss that fills the cache shares too; HEAD keeps the length. */
    req.method = "HEAD";
    p.value = "26";
    memset(&miss, 0, sizeof(miss));
    api_handle(ctx, &req, &miss);
    assert_int_equal(miss.head_only, 1);
    assert_non_null(miss.shared_body);
    assert_int_equal(miss.body_len, api_body_len(miss.shared_body));

    /* The server moves the reference out: it outlives the response, the
     * entry and the whole context. */
    struct api_body *kept = hit.shared_body;
    hit.shared_body = NULL;
    api_response_clear(&hit);
    api_response_clear(&miss);
    api_ctx_free(ctx);
    assert_memory_equal(api_body_data(kept), copy.body, copy.body_len);
    api_body_unref(kept);
    api_response_clear(&copy);
}

/* What a server with kept response objects answers to api_request.kept. */
struct kept_probe {
    int calls;
    uint64_t asked; /* the last key asked about */
    uint64_t have;  /* answers yes for this key only */
};

static int probe_kept(void *arg, uint64_t key)
{
    struct kept_probe *p = arg;
    p->calls++;
    p->asked = key;
    return key == p->have;
}

/* One request the way the server makes it, with the probe. */
static void kept_do(struct api_ctx *ctx, const char *method, const char *path, const char *limit,
                    const char *inm, const char *ae, int shared, struct kept_probe *pr,
                    struct api_response *res)
{
    struct api_param p = {"limit", limit};
    struct api_request req = {.method = method,
                              .path = path,
                              .params = limit ? &p : NULL,
                              .n_params = limit ? 1 : 0,
                              .if_none_match = inm,
                              .accept_encoding = ae,
                              .request_id = "kept-id",
                              .accept_shared_body = shared,
                              .kept = probe_kept,
                              .kept_arg = pr};
    memset(res, 0, sizeof(*res));
    api_handle(ctx, &req, res);
}

/* The answer when the caller holds the object: status, key and id only. */
static void assert_kept(const struct api_response *r, int status, uint64_t key, int head_only)
{
    assert_int_equal(r->kept, 1);
    assert_int_equal(r->status, status);
    assert_true(r->reuse_key == key);
    assert_int_equal(r->head_only, head_only);
    assert_null(r->body);
    assert_null(r->shared_body);
    assert_int_equal(r->n_headers, 1);
    assert_string_equal(r->headers[0].name, "X-Request-Id");
    assert_string_equal(r->headers[0].value, "kept-id");
}

static void test_kept(void **state)
{
    struct fx *f = *state;
    struct api_ctx *ctx = ctx_sized(f->db, API_CACHE_BYTES_DEFAULT, 0);
    struct kept_probe pr = {0};
    struct api_response full, again;

    /* The miss that fills the cache is asked too, and told no. */
    kept_do(ctx, "GET", "/v1/posts", "9", NULL, NULL, 1, &pr, &full);
    assert_int_equal(full.status, 200);
    assert_int_equal(pr.calls, 1);
    assert_true(full.reuse_key != 0 && pr.asked == full.reuse_key);
    assert_int_equal(full.kept, 0);
    assert_non_null(full.shared_body);
    assert_non_null(t_header(&full, "ETag"));
    uint64_t k200 = full.reuse_key;
    /* A hit told no is built in full; told yes, only the id comes back. */
    kept_do(ctx, "GET", "/v1/posts", "9", NULL, NULL, 1, &pr, &again);
    assert_int_equal(pr.calls, 2);
    assert_int_equal(again.kept, 0);
    assert_int_equal(again.n_headers, full.n_headers);
    api_response_clear(&again);
    pr.have = k200;
    kept_do(ctx, "GET", "/v1/posts", "9", NULL, NULL, 1, &pr, &again);
    assert_int_equal(pr.calls, 3);
    assert_kept(&again, 200, k200, 0);
    api_response_clear(&again);

    /* 304, HEAD and gzip are other objects: other keys, each kept on its own. */
    char etag[64];
    snprintf(etag, sizeof(etag), "%s", t_header(&full, "ETag"));
    uint64_t keys[4] = {k200};
    struct {
        const char *method, *inm, *ae;
        int status, head_only;
    } cases[] = {
        {"GET", etag, NULL, 304, 0},
        {"HEAD", NULL, NULL, 200, 1},
        {"GET", NULL, "gzip", 200, 0},
    };
    for (size_t i = 0; i < 3; i++) {
        pr.have = 0;
        kept_do(ctx, cases[i].method, "/v1/posts", "9", cases[i].inm, cases[i].ae, 1, &pr, &again);
        assert_int_equal(again.status, cases[i].status);
        assert_int_equal(again.kept, 0);
        assert_true(again.reuse_key != 0 && pr.asked == again.reuse_key);
        for (size_t j = 0; j <= i; j++)
            assert_true(again.reuse_key != keys[j]);
        keys[i + 1] = again.reuse_key;
        if (cases[i].ae)
            assert_string_equal(t_header(&again, "Content-Encoding"), "gzip");
        api_response_clear(&again);
        pr.have = keys[i + 1];
        kept_do(ctx, cases[i].method, "/v1/posts", "9", cases[i].inm, cases[i].ae, 1, &pr, &again);
        assert_kept(&again, cases[i].status, keys[i + 1], cases[i].head_only);
        api_response_clear(&again);
    }

    /* Without shared bodies a 200 has no key (nothing asked); a 304 still has. */
    int calls = pr.calls;
    pr.have = k200;
    kept_do(ctx, "GET", "/v1/posts", "9", NULL, NULL, 0, &pr, &again);
    assert_int_equal(pr.calls, calls);
    assert_int_equal(again.kept, 0);
    assert_true(again.reuse_key == 0);
    assert_non_null(again.body);
    api_response_clear(&again);
    pr.have = keys[1];
    kept_do(ctx, "GET", "/v1/posts", "9", etag, NULL, 0, &pr, &again);
    assert_kept(&again, 304, keys[1], 0);
    api_response_clear(&again);

    /* Responses not from the cache are never asked about. */
    calls = pr.calls;
    pr.have = 0;
    kept_do(ctx, "GET", "/v1/posts", "-1", NULL, NULL, 1, &pr, &again); /* 400 */
    assert_int_equal(again.status, 400);
    api_response_clear(&again);
    kept_do(ctx, "OPTIONS", "/v1/posts", NULL, NULL, NULL, 1, &pr, &again);
    assert_int_equal(again.status, 204);
    api_response_clear(&again);
    kept_do(ctx, "GET", "/healthz", NULL, NULL, NULL, 1, &pr, &again);
    api_response_clear(&again);
    kept_do(ctx, "GET", "/v1/posts/no-such-post", NULL, NULL, NULL, 1, &pr, &again);
    assert_int_equal(again.status, 404);
    api_response_clear(&again);
    assert_int_equal(pr.calls, calls);
    api_response_clear(&full);
    api_ctx_free(ctx);

    /* A configured origin is echoed per request: no key, nothing asked. */
    struct api_config cfg = {.db_path = f->db,
                             .cors_origin = "https://a.example",
                             .cache_bytes = API_CACHE_BYTES_DEFAULT};
    assert_int_equal(api_ctx_new(&ctx, &cfg), 0);
    for (int i = 0; i < 2; i++) {
        kept_do(ctx, "GET", "/v1/posts", "9", NULL, NULL, 1, &pr, &again);
        assert_int_equal(again.status, 200);
        assert_true(again.reuse_key == 0);
        api_response_clear(&again);
    }
    assert_int_equal(pr.calls, calls);
    api_ctx_free(ctx);
}

struct worker {
    struct api_ctx *ctx;
    int idx, ok;
    const struct api_response *expect; /* per target, identity, from one thread */
    int rounds;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->ok = 1;
    for (int i = 0; i < w->rounds && w->ok; i++) {
        size_t k = (size_t)(i + w->idx) % N_TARGETS;
        struct api_response r;
        int shared = (i + w->idx) % 3 == 0;
        if (shared) {
            /* What a server opting in does. */
            const char *path = targets[k];
            if (strchr(path, '?'))
                continue;
            struct api_request req = {.method = "GET", .path = path, .accept_shared_body = 1};
            memset(&r, 0, sizeof(r));
            api_handle(w->ctx, &req, &r);
            const void *data = r.shared_body ? api_body_data(r.shared_body) : r.body;
            if (r.status != 200 || r.body_len != w->expect[k].body_len ||
                memcmp(data, w->expect[k].body, r.body_len) != 0)
                w->ok = 0;
        } else {
            struct t_hdrs h = {.accept_encoding = i % 2 ? "gzip" : NULL};
            t_do(w->ctx, "GET", targets[k], &h, &r);
            if (r.status != 200 ||
                (!h.accept_encoding && (r.body_len != w->expect[k].body_len ||
                                        memcmp(r.body, w->expect[k].body, r.body_len) != 0)))
                w->ok = 0;
        }
        api_response_clear(&r);
    }
    api_thread_done(w->ctx);
    return NULL;
}

static void run_threads(struct api_ctx *ctx, const struct api_response *expect, int rounds)
{
    pthread_t th[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){ctx, i, 0, expect, rounds};
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_true(w[i].ok);
    }
}

static void test_threads(void **state)
{
    struct fx *f = *state;
    struct api_ctx *off = ctx_sized(f->db, 0, 0);
    struct api_response expect[N_TARGETS];
    for (size_t k = 0; k < N_TARGETS; k++)
        t_do(off, "GET", targets[k], NULL, &expect[k]);
    api_ctx_free(off);

    /* Hits: the entries stay, four threads read them at once. */
    struct api_ctx *ctx = ctx_sized(f->db, API_CACHE_BYTES_DEFAULT, 0);
    run_threads(ctx, expect, 400);
    struct counts c = counts_of(ctx);
    assert_true(c.hits > 1000);
    assert_true(c.misses >= N_TARGETS && c.misses <= 4 * N_TARGETS);
    api_ctx_free(ctx);

    /* Churn: a cache too small for them all, so inserts evict under readers. */
    ctx = ctx_sized(f->db, 40 * 1024, 0);
    run_threads(ctx, expect, 400);
    c = counts_of(ctx);
    assert_true(c.bytes <= 40 * 1024);
    api_ctx_free(ctx);
    for (size_t k = 0; k < N_TARGETS; k++)
        api_response_clear(&expect[k]);
}

/* The epoch rule itself: an insert from a view the cache has left is refused,
 * and nothing of one epoch is found from another. */
static void test_epochs(void **state)
{
    (void)state;
    struct api_cache *c = NULL;
    assert_int_equal(api_cache_new(&c, 1 << 20), 0);
    struct api_cache_memo ma = {0}, mb = {0};
    struct api_cache_view v1 = {1, 100, 0, INT64_MAX}, v2 = {2, 200, 0, INT64_MAX};
    uint64_t e1 = api_cache_epoch(c, &v1, &ma);
    assert_int_equal(api_cache_epoch(c, &v1, &mb), e1); /* same view, same epoch */
    uint64_t e2 = api_cache_epoch(c, &v2, &mb);         /* thread B saw a change */
    assert_true(e2 != e1);

    struct api_param p = {"tag", "a"};
    struct api_request req = {.params = &p, .n_params = 1};
    char *key = NULL;
    size_t len = 0;
    assert_int_equal(api_cache_key(&req, 1, NULL, API_PARAMS_POSTS, 20, &key, &len), 0);
    struct api_cache_entry *e = api_cache_entry_new();
    e->body = api_body_new(strdup("old"), 3);
    e->key = key;
    e->key_len = len;
    e->hash = api_cache_hash(key, len);
    /* Thread A read old data under e1 and tries to insert it now. */
    assert_int_equal(api_cache_put(c, e1, e), 0);
    assert_null(api_cache_get(c, e2, key, len, e->hash));
    api_cache_entry_unref(e);

    e = api_cache_entry_new();
    e->body = api_body_new(strdup("new"), 3);
    assert_int_equal(api_cache_key(&req, 1, NULL, API_PARAMS_POSTS, 20, &e->key, &e->key_len), 0);
    e->hash = api_cache_hash(e->key, e->key_len);
    assert_int_equal(api_cache_put(c, e2, e), 1);
    assert_int_equal(api_cache_put(c, e2, e), 0); /* already there */
    assert_null(api_cache_get(c, e1, e->key, e->key_len, e->hash));
    struct api_cache_entry *got = api_cache_get(c, e2, e->key, e->key_len, e->hash);
    assert_ptr_equal(got, e);
    api_cache_entry_unref(got);
    size_t bytes, entries;
    api_cache_size(c, &bytes, &entries);
    assert_int_equal(entries, 1);
    /* Thread A comes back with the old view: the cache follows it, empty. */
    uint64_t e3 = api_cache_epoch(c, &v1, &ma);
    assert_true(e3 != e2 && e3 != e1);
    api_cache_size(c, &bytes, &entries);
    assert_int_equal(entries, 0);
    assert_int_equal(bytes, 0);
    assert_null(api_cache_get(c, e3, e->key, e->key_len, e->hash));
    api_cache_entry_unref(e);
    api_cache_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_identical), cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_reingest),      cmocka_unit_test(test_change_window),
        cmocka_unit_test(test_bound),         cmocka_unit_test(test_normalized_keys),
        cmocka_unit_test(test_disabled),      cmocka_unit_test(test_future_due),
        cmocka_unit_test(test_shared_body),   cmocka_unit_test(test_threads),
        cmocka_unit_test(test_epochs),        cmocka_unit_test(test_kept),
    };
    return cmocka_run_group_tests(tests, fx_setup_db, fx_teardown);
}
