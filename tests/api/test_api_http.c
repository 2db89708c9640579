/* HTTP semantics through api_handle: ETag and If-None-Match (lists, weak
 * comparison, "*"), Last-Modified and If-Modified-Since, gzip (inflated with
 * zlib and compared with the identity bytes; q-values), CORS preflight and
 * allowed origins, HEAD, OPTIONS, 405 with Allow, 404, bad encodings,
 * X-Request-Id, Vary everywhere, the trailing slash, and a reingest while
 * the context is serving (new ETag, Last-Modified and totals at once). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include <cmocka.h>

#include "api_test.h"
#include "api_util.h"

static void assert_common(const struct api_response *res)
{
    assert_string_equal(t_header(res, "Vary"), "Accept-Encoding, Origin");
    assert_string_equal(t_header(res, "Access-Control-Allow-Origin"), "*");
    assert_string_equal(t_header(res, "Access-Control-Expose-Headers"),
                        "ETag, Link, X-Total-Count, Last-Modified, X-Request-Id");
    assert_non_null(t_header(res, "X-Request-Id"));
}

static void test_etag_304(void **state)
{
    struct fx *f = *state;
    struct api_response res, r2;
    t_do(f->ctx, "GET", "/v1/posts?tag=alpha", NULL, &res);
    assert_int_equal(res.status, 200);
    assert_common(&res);
    const char *etag = t_header(&res, "ETag");
    assert_non_null(etag);
    assert_true(etag[0] == '"' && etag[strlen(etag) - 1] == '"');
    assert_string_equal(t_header(&res, "Cache-Control"), "public, max-age=60");
    char lm[32];
    api_http_date_format(f->ingest_time, lm);
    assert_string_equal(t_header(&res, "Last-Modified"), lm);

    /* The same bytes give the same tag; other bytes another one. */
    t_do(f->ctx, "GET", "/v1/posts?tag=alpha", NULL, &r2);
    assert_string_equal(t_header(&r2, "ETag"), etag);
    assert_int_equal(r2.body_len, res.body_len);
    assert_memory_equal(r2.body, res.body, res.body_len);
    api_response_clear(&r2);
    t_do(f->ctx, "GET", "/v1/posts?tag=beta", NULL, &r2);
    assert_string_not_equal(t_header(&r2, "ETag"), etag);
    api_response_clear(&r2);

    char weak[96], list[160];
    snprintf(weak, sizeof(weak), "W/%s", etag);
    snprintf(list, sizeof(list), "\"nope\", %s ,W/\"x\"", etag);
    const char *matching[] = {etag, weak, list, "*"};
    for (size_t i = 0; i < 4; i++) {
        struct t_hdrs h = {.if_none_match = matching[i]};
        t_do(f->ctx, "GET", "/v1/posts?tag=alpha", &h, &r2);
        if (r2.status != 304)
            fail_msg("If-None-Match: %s gave %d", matching[i], r2.status);
        assert_null(r2.body);
        assert_int_equal(r2.body_len, 0);
        assert_string_equal(t_header(&r2, "ETag"), etag);
        assert_string_equal(t_header(&r2, "Cache-Control"), "public, max-age=60");
        assert_string_equal(t_header(&r2, "Last-Modified"), lm);
        assert_null(t_header(&r2, "X-Total-Count"));
        assert_common(&r2);
        api_response_clear(&r2);
    }
    const char *other[] = {"\"nope\"", "W/\"nope\"", "garbage", "\"unterminated"};
    for (size_t i = 0; i < 4; i++) {
        struct t_hdrs h = {.if_none_match = other[i]};
        t_do(f->ctx, "GET", "/v1/posts?tag=alpha", &h, &r2);
        assert_int_equal(r2.status, 200);
        assert_int_equal(r2.body_len, res.body_len);
        api_response_clear(&r2);
    }
    /* A single post answers conditionals too. */
    t_do(f->ctx, "GET", "/v1/posts/post-03", NULL, &r2);
    struct t_hdrs h = {.if_none_match = t_header(&r2, "ETag")};
    struct api_response r3;
    t_do(f->ctx, "GET", "/v1/posts/post-03", &h, &r3);
    assert_int_equal(r3.status, 304);
    api_response_clear(&r3);
    api_response_clear(&r2);
    api_response_clear(&res);
}

static void test_if_modified_since(void **state)
{
    struct fx *f = *state;
    char lm[32], before[32], after[32];
    api_http_date_format(f->ingest_time, lm);
    api_http_date_format(f->ingest_time - 1, before);
    api_http_date_format(f->ingest_time + 3600, after);
    struct {
        const char *ims, *inm;
        int status;
    } cases[] = {
        {lm, NULL, 304},           {after, NULL, 304},     {before, NULL, 200},
        {"not a date", NULL, 200}, {lm, "\"other\"", 200}, /* If-None-Match wins */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct t_hdrs h = {.if_modified_since = cases[i].ims, .if_none_match = cases[i].inm};
        struct api_response res;
        t_do(f->ctx, "GET", "/v1/tags", &h, &res);
        if (res.status != cases[i].status)
            fail_msg("If-Modified-Since %s: %d", cases[i].ims, res.status);
        api_response_clear(&res);
    }
}

static char *inflate_all(const char *in, size_t n, size_t *out_n)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    assert_int_equal(inflateInit2(&zs, 15 + 16), Z_OK);
    size_t cap = n * 20 + 1024;
    char *out = malloc(cap);
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)out;
    zs.avail_out = (uInt)cap;
    assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_n = cap - zs.avail_out;
    inflateEnd(&zs);
    return out;
}

static void test_gzip(void **state)
{
    struct fx *f = *state;
    struct api_response plain, gz;
    t_do(f->ctx, "GET", "/v1/posts?limit=50", NULL, &plain);
    assert_true(plain.body_len > 1024);
    assert_null(t_header(&plain, "Content-Encoding"));

    struct t_hdrs h = {.accept_encoding = "deflate, gzip;q=0.8, br"};
    t_do(f->ctx, "GET", "/v1/posts?limit=50", &h, &gz);
    assert_int_equal(gz.status, 200);
    assert_string_equal(t_header(&gz, "Content-Encoding"), "gzip");
    assert_true(gz.body_len < plain.body_len);
    size_t n = 0;
    char *raw = inflate_all(gz.body, gz.body_len, &n);
    assert_int_equal(n, plain.body_len);
    assert_memory_equal(raw, plain.body, n);
    free(raw);
    /* The gzip variant has its own strong tag: the identity one plus -gz. */
    const char *pe = t_header(&plain, "ETag"), *ge = t_header(&gz, "ETag");
    char expect[96];
    snprintf(expect, sizeof(expect), "%.*s-gz\"", (int)strlen(pe) - 1, pe);
    assert_string_equal(ge, expect);

    /* 304 compares against the variant that would be sent. */
    struct t_hdrs c1 = {.accept_encoding = "gzip", .if_none_match = ge};
    struct api_response r;
    t_do(f->ctx, "GET", "/v1/posts?limit=50", &c1, &r);
    assert_int_equal(r.status, 304);
    assert_string_equal(t_header(&r, "ETag"), ge);
    api_response_clear(&r);
    struct t_hdrs c2 = {.if_none_match = ge};
    t_do(f->ctx, "GET", "/v1/posts?limit=50", &c2, &r);
    assert_int_equal(r.status, 200);
    api_response_clear(&r);

    static const struct {
        const char *ae;
        int gzip;
    } cases[] = {
        {"gzip", 1},
        {"GZIP", 1},
        {"*", 1},
        {"x-gzip", 1},
        {"gzip;q=0", 0},
        {"gzip; q=0.000", 0},
        {"gzip;q=0.001", 1},
        {"*;q=0", 0},
        {"br, *;q=0.1", 1},
        {"gzip;q=0, *", 0},
        {"identity", 0},
        {"br", 0},
        {"", 0},
        {"gzip;q=2", 0},
        {"gzip;q=abc", 0},
        {"deflate,gzip", 1},
        {"gzip ; q=1.0", 1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct t_hdrs ch = {.accept_encoding = cases[i].ae};
        t_do(f->ctx, "GET", "/v1/posts?limit=50", &ch, &r);
        int got = t_header(&r, "Content-Encoding") != NULL;
        if (got != cases[i].gzip)
            fail_msg("Accept-Encoding: %s: gzip %d", cases[i].ae, got);
        api_response_clear(&r);
    }

    /* Small bodies stay identity. */
    t_do(f->ctx, "GET", "/healthz", &h, &r);
    assert_null(t_header(&r, "Content-Encoding"));
    api_response_clear(&r);
    api_response_clear(&plain);
    api_response_clear(&gz);
}

static void test_head(void **state)
{
    struct fx *f = *state;
    const char *targets[] = {"/v1/posts", "/v1/tags",          "/v1/posts/post-04",
                             "/v1/nope",  "/v1/posts?limit=0", "/healthz"};
    for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        struct api_response g, h;
        t_do(f->ctx, "GET", targets[i], NULL, &g);
        t_do(f->ctx, "HEAD", targets[i], NULL, &h);
        assert_int_equal(h.status, g.status);
        assert_int_equal(h.head_only, 1);
        assert_int_equal(g.head_only, 0);
        assert_int_equal(h.body_len, g.body_len); /* the server's Content-Length */
        assert_string_equal(h.content_type, g.content_type);
        assert_int_equal(h.n_headers, g.n_headers);
        for (size_t k = 0; k < g.n_headers; k++) {
            assert_string_equal(h.headers[k].name, g.headers[k].name);
            if (strcmp(g.headers[k].name, "X-Request-Id") != 0)
                assert_string_equal(h.headers[k].value, g.headers[k].value);
        }
        api_response_clear(&g);
        api_response_clear(&h);
    }
}

static void test_options_cors(void **state)
{
    struct fx *f = *state;
    struct api_response r;
    struct t_hdrs pre = {.origin = "https://app.example",
                         .acr_method = "GET",
                         .acr_headers = "If-None-Match, X-Request-Id"};
    t_do(f->ctx, "OPTIONS", "/v1/posts", &pre, &r);
    assert_int_equal(r.status, 204);
    assert_null(r.body);
    assert_null(r.content_type);
    assert_string_equal(t_header(&r, "Access-Control-Allow-Methods"), "GET, HEAD, OPTIONS");
    assert_string_equal(t_header(&r, "Access-Control-Allow-Headers"),
                        "If-None-Match, X-Request-Id");
    assert_string_equal(t_header(&r, "Access-Control-Max-Age"), "86400");
    assert_common(&r);
    api_response_clear(&r);

    /* Headers that are not a plain list are not echoed. */
    struct t_hdrs evil = {.origin = "https://app.example",
                          .acr_method = "GET",
                          .acr_headers = "X-A\r\nSet-Cookie: x=1"};
    t_do(f->ctx, "OPTIONS", "/v1/posts", &evil, &r);
    assert_int_equal(r.status, 204);
    assert_null(t_header(&r, "Access-Control-Allow-Headers"));
    api_response_clear(&r);

    /* Plain OPTIONS: Allow. */
    t_do(f->ctx, "OPTIONS", "/v1/posts/post-01", NULL, &r);
    assert_int_equal(r.status, 204);
    assert_string_equal(t_header(&r, "Allow"), "GET, HEAD, OPTIONS");
    api_response_clear(&r);

    /* A configured origin is echoed only when it matches. */
    struct api_config cfg = {.db_path = f->db, .cors_origin = "https://app.example"};
    struct api_ctx *ctx = NULL;
    assert_int_equal(api_ctx_new(&ctx, &cfg), 0);
    struct t_hdrs good = {.origin = "https://app.example"};
    t_do(ctx, "GET", "/v1/tags", &good, &r);
    assert_string_equal(t_header(&r, "Access-Control-Allow-Origin"), "https://app.example");
    assert_string_equal(t_header(&r, "Vary"), "Accept-Encoding, Origin");
    api_response_clear(&r);
    struct t_hdrs bad = {.origin = "https://evil.example"};
    t_do(ctx, "GET", "/v1/tags", &bad, &r);
    assert_int_equal(r.status, 200);
    assert_null(t_header(&r, "Access-Control-Allow-Origin"));
    api_response_clear(&r);
    t_do(ctx, "GET", "/v1/tags", NULL, &r);
    assert_null(t_header(&r, "Access-Control-Allow-Origin"));
    api_response_clear(&r);
    api_ctx_free(ctx);
}

static void test_methods_and_404(void **state)
{
    struct fx *f = *state;
    const char *methods[] = {"POST", "PUT", "DELETE", "PATCH", "get", "TRACE", "CONNECT", ""};
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        struct api_response r;
        t_do(f->ctx, methods[i], "/v1/posts", NULL, &r);
        assert_int_equal(r.status, 405);
        assert_string_equal(t_header(&r, "Allow"), "GET, HEAD, OPTIONS");
        assert_string_equal(r.content_type, "application/problem+json");
        json_t *j = t_body(&r);
        assert_int_equal(json_integer_value(json_object_get(j, "status")), 405);
        assert_string_equal(json_string_value(json_object_get(j, "title")), "Method Not Allowed");
        json_decref(j);
        assert_common(&r);
        api_response_clear(&r);
    }
    const char *missing[] = {"/",           "/v1",       "/v1/",           "/v1/post",
                             "/v1/posts//", "/v2/posts", "/v1/tags/alpha", "/v1/search",
                             "/favicon.ico"};
    for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
        struct api_response r;
        t_do(f->ctx, "GET", missing[i], NULL, &r);
        if (r.status != 404)
            fail_msg("%s: %d", missing[i], r.status);
        assert_string_equal(r.content_type, "application/problem+json");
        assert_string_equal(r.route, "unmatched");
        json_t *j = t_body(&r);
        assert_string_equal(json_string_value(json_object_get(j, "instance")), missing[i]);
        json_decref(j);
        assert_common(&r);
        api_response_clear(&r);
    }
    /* Bytes that are not UTF-8 still make a valid problem document. */
    struct api_request req = {.method = "GET", .path = "/v1/\xff\xfe", .target = "/v1/\xff\xfe"};
    struct api_response r = {0};
    api_handle(f->ctx, &req, &r);
    assert_int_equal(r.status, 404);
    json_t *j = t_body(&r);
    json_decref(j);
    api_response_clear(&r);
    /* The server flags bad percent-encoding. */
    req.path = "/v1/posts";
    req.bad_encoding = 1;
    api_handle(f->ctx, &req, &r);
    assert_int_equal(r.status, 400);
    api_response_clear(&r);
}

static void test_trailing_slash(void **state)
{
    struct fx *f = *state;
    struct api_response a, b;
    t_do(f->ctx, "GET", "/v1/posts?tag=beta", NULL, &a);
    t_do(f->ctx, "GET", "/v1/posts/?tag=beta", NULL, &b);
    assert_int_equal(b.status, 200);
    assert_int_equal(a.body_len, b.body_len);
    assert_memory_equal(a.body, b.body, a.body_len);
    api_response_clear(&a);
    api_response_clear(&b);
}

static void test_request_id(void **state)
{
    struct fx *f = *state;
    struct api_response r;
    struct t_hdrs ok = {.request_id = "abc-123_X.y"};
    t_do(f->ctx, "GET", "/healthz", &ok, &r);
    assert_string_equal(t_header(&r, "X-Request-Id"), "abc-123_X.y");
    api_response_clear(&r);

    char longid[200];
    memset(longid, 'a', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    const char *bad[] = {"", "a b", "x\r\nSet-Cookie: 1", "\xc3\xa9", longid, NULL};
    char seen[6][32];
    for (size_t i = 0; i < 6; i++) {
        struct t_hdrs h = {.request_id = bad[i]};
        t_do(f->ctx, "GET", "/v1/nope", &h, &r);
        const char *id = t_header(&r, "X-Request-Id");
        assert_int_equal(strlen(id), 16);
        assert_int_equal(strspn(id, "0123456789abcdef"), 16);
        snprintf(seen[i], sizeof(seen[i]), "%s", id);
        for (size_t k = 0; k < i; k++)
            assert_string_not_equal(seen[k], id);
        api_response_clear(&r);
    }
    /* 128 characters is still accepted. */
    longid[128] = '\0';
    struct t_hdrs h = {.request_id = longid};
    t_do(f->ctx, "GET", "/healthz", &h, &r);
    assert_string_equal(t_header(&r, "X-Request-Id"), longid);
    api_response_clear(&r);
}

static void test_reingest_while_serving(void **state)
{
    struct fx *f = *state;
    struct api_response before, after;
    t_do(f->ctx, "GET", "/v1/posts?limit=1", NULL, &before);
    json_t *jb = t_body(&before);

    /* Another connection writes a newer post (as an ingest would). */
    struct store *st = NULL;
    assert_int_equal(store_open(&st, f->db, STORE_READWRITE), 0);
    assert_int_equal(store_begin(st), 0);
    struct post p;
    fx_post_fill(0, &p);
    free(p.id);
    free(p.slug);
    p.id = strdup("2023-07-30-fresh");
    p.slug = strdup("fresh");
    p.date_utc = 1690675200; /* 2023-07-30 */
    int64_t t2 = f->ingest_time + 50;
    assert_int_equal(store_post_put(st, &p,
                                    "ffffffffffffffffffffffffffffffff"
                                    "ffffffffffffffffffffffffffffffff",
                                    t2),
                     0);
    post_clear(&p);
    assert_int_equal(store_commit(st, t2), 0);

    t_do(f->ctx, "GET", "/v1/posts?limit=1", NULL, &after);
    assert_int_equal(after.status, 200);
    json_t *ja = t_body(&after);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(ja, "meta"), "total")),
                     json_integer_value(json_object_get(json_object_get(jb, "meta"), "total")) + 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(json_object_get(ja, "data"), 0), "id")),
        "2023-07-30-fresh");
    assert_string_not_equal(t_header(&after, "ETag"), t_header(&before, "ETag"));
    char lm[32];
    api_http_date_format(t2, lm);
    assert_string_equal(t_header(&after, "Last-Modified"), lm);

    /* The old validators no longer match. */
    struct t_hdrs h = {.if_none_match = t_header(&before, "ETag")};
    struct api_response r;
    t_do(f->ctx, "GET", "/v1/posts?limit=1", &h, &r);
    assert_int_equal(r.status, 200);
    api_response_clear(&r);
    struct t_hdrs h2 = {.if_modified_since = t_header(&before, "Last-Modified")};
    t_do(f->ctx, "GET", "/v1/posts?limit=1", &h2, &r);
    assert_int_equal(r.status, 200);
    api_response_clear(&r);

    /* Put it back as it was for the other tests. */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_post_delete(st, "2023-07-30-fresh"), 0);
    assert_int_equal(store_commit(st, t2), 0);
    store_close(st);
    json_decref(ja);
    json_decref(jb);
    api_response_clear(&before);
    api_response_clear(&after);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_etag_304),
        cmocka_unit_test(test_if_modified_since),
        cmocka_unit_test(test_gzip),
        cmocka_unit_test(test_head),
        cmocka_unit_test(test_options_cors),
        cmocka_unit_test(test_methods_and_404),
        cmocka_unit_test(test_trailing_slash),
        cmocka_unit_test(test_request_id),
        cmocka_unit_test(test_reingest_while_serving),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
