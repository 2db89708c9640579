/* Operations routes: /healthz always 200; /readyz 503 while the database is
 * missing or has no schema, then 200 with counts as soon as it appears (the
 * context retries on each request); /metrics in Prometheus text with the
 * requests the server reported; /v1/openapi.json served as JSON; and the
 * pthread-key connection per thread (api_thread_done, worker threads). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include <cmocka.h>

#include "api_test.h"
#include "openapi.h"

static void test_healthz(void **state)
{
    (void)state;
    struct api_ctx *ctx = t_ctx("/nonexistent/dir/x.db", 0);
    struct api_response r;
    t_do(ctx, "GET", "/healthz", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.route, "/healthz");
    assert_string_equal(r.content_type, "application/json; charset=utf-8");
    assert_string_equal(t_header(&r, "Cache-Control"), "no-store");
    json_t *j = t_body(&r);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ok");
    assert_int_equal(json_object_size(j), 1);
    json_decref(j);
    api_response_clear(&r);
    api_ctx_free(ctx);
}

static void test_readyz(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    char db[4096];
    snprintf(db, sizeof(db), "%s/posts.db", dir);
    struct api_ctx *ctx = t_ctx(db, 0);
    struct api_response r;

    /* No file yet. */
    t_do(ctx, "GET", "/readyz", NULL, &r);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.content_type, "application/problem+json");
    assert_string_equal(t_header(&r, "Retry-After"), "1");
    api_response_clear(&r);
    /* Data routes say the same, never a crash. */
    t_do(ctx, "GET", "/v1/posts", NULL, &r);
    assert_int_equal(r.status, 503);
    api_response_clear(&r);

    /* An empty file: no schema. */
    FILE *fp = fopen(db, "w");
    assert_non_null(fp);
    fclose(fp);
    t_do(ctx, "GET", "/readyz", NULL, &r);
    assert_int_equal(r.status, 503);
    api_response_clear(&r);
    remove(db);

    /* Ingested: ready, without restarting anything. */
    int64_t now = (int64_t)time(NULL);
    char *built = fx_build(dir, now, now - 10);
    t_do(ctx, "GET", "/readyz", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(t_header(&r, "Cache-Control"), "no-store");
    json_t *j = t_body(&r);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "ready");
    assert_int_equal(json_integer_value(json_object_get(j, "posts")), FX_N - FX_FUTURE);
    assert_true(json_integer_value(json_object_get(j, "generation")) >= 1);
    char last[32];
    post_format_date(now - 10, 0, 1, last);
    assert_string_equal(json_string_value(json_object_get(j, "last_ingest")), last);
    json_decref(j);
    api_response_clear(&r);

    t_do(ctx, "GET", "/v1/posts", NULL, &r);
    assert_int_equal(r.status, 200);
    api_response_clear(&r);

    api_ctx_free(ctx);
    free(built);
    fx_rmdir(dir);
    free(dir);
}

static void test_metrics(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    int64_t now = (int64_t)time(NULL);
    char *db = fx_build(dir, now, now - 10);
    struct api_ctx *ctx = t_ctx(db, 0);

    /* What the server reports after each response. */
    api_metrics_observe(ctx, "/v1/posts", 200, 0.0003);
    api_metrics_observe(ctx, "/v1/posts", 200, 0.02);
    api_metrics_observe(ctx, "/v1/posts", 400, 0.0001);
    api_metrics_observe(ctx, "/v1/posts/{key}", 404, 0.004);
    api_metrics_observe(ctx, "some client text", 404, 0.001);

    /* Two conditional hits and one miss. */
    struct api_response r;
    t_do(ctx, "GET", "/v1/tags", NULL, &r);
    struct t_hdrs h = {.if_none_match = t_header(&r, "ETag")};
    struct api_response r2;
    t_do(ctx, "GET", "/v1/tags", &h, &r2);
    assert_int_equal(r2.status, 304);
    api_response_clear(&r2);
    t_do(ctx, "GET", "/v1/tags", &h, &r2);
    api_response_clear(&r2);
    api_response_clear(&r);

    t_do(ctx, "GET", "/metrics", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
    assert_string_equal(t_header(&r, "Cache-Control"), "no-store");
    char *text = strndup(r.body, r.body_len);
    const char *want[] = {
        "# TYPE postd_http_requests_total counter\n",
        "postd_http_requests_total{route=\"/v1/posts\",status=\"200\"} 2\n",
        "postd_http_requests_total{route=\"/v1/posts\",status=\"400\"} 1\n",
        "postd_http_requests_total{route=\"/v1/posts/{key}\",status=\"404\"} 1\n",
        "postd_http_requests_total{route=\"unmatched\",status=\"404\"} 1\n",
        "# TYPE postd_http_request_duration_seconds histogram\n",
        "postd_http_request_duration_seconds_bucket{route=\"/v1/posts\",le=\"0.0005\"} 2\n",
        "postd_http_request_duration_seconds_bucket{route=\"/v1/posts\",le=\"0.01\"} 2\n",
        "postd_http_request_duration_seconds_bucket{route=\"/v1/posts\",le=\"0.025\"} 3\n",
        "postd_http_request_duration_seconds_bucket{route=\"/v1/posts\",le=\"+Inf\"} 3\n",
        "postd_http_request_duration_seconds_count{route=\"/v1/posts\"} 3\n",
        "postd_cache_hits_total 2\n",
        "postd_cache_misses_total 1\n",
        "postd_up 1\n",
        "postd_generation ",
    };
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        if (!strstr(text, want[i]))
            fail_msg("metrics lack %s\n%s", want[i], text);
    char posts[64];
    snprintf(posts, sizeof(posts), "postd_posts %d\n", FX_N - FX_FUTURE);
    assert_non_null(strstr(text, posts));
    assert_null(strstr(text, "some client text"));
    /* Every line is a comment or "name{labels} value". */
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#')
            continue;
        char *sp = strrchr(line, ' ');
        assert_non_null(sp);
        char *end;
        strtod(sp + 1, &end);
        assert_true(*end == '\0');
    }
    free(text);
    api_response_clear(&r);
    api_ctx_free(ctx);

    /* Without a database: still 200, postd_up 0. */
    ctx = t_ctx("/nonexistent/x.db", 0);
    t_do(ctx, "GET", "/metrics", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_non_null(memmem(r.body, r.body_len, "postd_up 0\n", 11));
    api_response_clear(&r);
    api_ctx_free(ctx);
    free(db);
    fx_rmdir(dir);
    free(dir);
}

static void test_openapi(void **state)
{
    (void)state;
    struct api_ctx *ctx = t_ctx("/nonexistent/x.db", 0);
    struct api_response r;
    t_do(ctx, "GET", "/v1/openapi.json", NULL, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "application/json; charset=utf-8");
    assert_int_equal(r.body_len, api_openapi_json_len);
    assert_memory_equal(r.body, api_openapi_json, r.body_len);
    assert_non_null(t_header(&r, "ETag"));
    json_t *j = t_body(&r);
    assert_non_null(json_object_get(j, "openapi"));
    assert_non_null(json_object_get(json_object_get(j, "paths"), "/v1/posts"));
    json_decref(j);
    api_response_clear(&r);
    struct t_hdrs h = {.accept_encoding = "gzip"};
    t_do(ctx, "GET", "/v1/openapi.json", &h, &r);
    assert_string_equal(t_header(&r, "Content-Encoding"), "gzip");
    api_response_clear(&r);
    api_ctx_free(ctx);
}

struct worker {
    struct api_ctx *ctx;
    int idx;
    int ok;
};

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->ok = 1;
    for (int i = 0; i < 50; i++) {
        struct api_param p = {"limit", "3"};
        struct api_request req = {.method = "GET",
                                  .path = "/v1/posts",
                                  .target = "/v1/posts",
                                  .params = &p,
                                  .n_params = 1};
        struct api_response res = {0};
        api_handle(w->ctx, &req, &res);
        if (res.status != 200)
            w->ok = 0;
        api_response_clear(&res);
    }
    if (w->idx % 2) /* half release explicitly, half by the key's destructor */
        api_thread_done(w->ctx);
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    char *dir = fx_tmpdir();
    int64_t now = (int64_t)time(NULL);
    char *db = fx_build(dir, now, now - 10);
    struct api_ctx *ctx = t_ctx(db, 0);
    pthread_t th[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i].ctx = ctx;
        w[i].idx = i;
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_true(w[i].ok);
    }
    /* This thread too, then release it explicitly twice (idempotent). */
    json_t *j = t_get_json(ctx, "/v1/tags", 200);
    json_decref(j);
    api_thread_done(ctx);
    api_thread_done(ctx);
    j = t_get_json(ctx, "/v1/tags", 200);
    json_decref(j);
    api_ctx_free(ctx);
    api_ctx_free(NULL);
    free(db);
    fx_rmdir(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthz), cmocka_unit_test(test_readyz),
        cmocka_unit_test(test_metrics), cmocka_unit_test(test_openapi),
        cmocka_unit_test(test_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
