/* Operations routes: /healthz always 200; /readyz 503 while the database is
 * missing or has no schema, then 200 with counts as soon as it appears (the
 * context retries on each request); /metrics in Prometheus text with the
 * requests the server reported, summed exactly over threads that record at
 * once and come and go; /v1/openapi.json served as JSON; and the
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

/* Observations a recording thread makes (the oracle below counts them). */
static const double obs_seconds[] = {0.0001, 0.0007, 0.003, 0.2, 20};
#define OBS_ROUNDS 3000

struct recorder {
    struct api_ctx *ctx;
    int idx;
};

static void *recorder_main(void *arg)
{
    struct recorder *r = arg;
    for (int i = 0; i < OBS_ROUNDS; i++) {
        int status = i % 3 == 0 ? 304 : i % 3 == 1 ? 200 : 500 + r->idx;
        api_metrics_observe(r->ctx, "/v1/posts/{key}", status, obs_seconds[i % 5]);
    }
    return NULL;
}

static unsigned long long metric_value(const char *text, const char *line_start)
{
    const char *p = strstr(text, line_start);
    if (!p)
        fail_msg("no %s in\n%s", line_start, text);
    return strtoull(p + strlen(line_start), NULL, 10);
}

/* Threads record at once, exit, and others take their place: /metrics sums
 * every count exactly, and lists statuses in the order they first came. */
static void test_metrics_threads(void **state)
{
    (void)state;
    struct api_ctx *ctx = t_ctx("/nonexistent/x.db", 0);
    api_metrics_observe(ctx, "/v1/posts/{key}", 404, 0.0001);
    api_metrics_observe(ctx, "/v1/posts/{key}", 200, 0.0001);
    struct recorder rec[7];
    pthread_t th[7];
    for (int wave = 0; wave < 2; wave++) {
        int from = wave ? 4 : 0, to = wave ? 7 : 4;
        for (int i = from; i < to; i++) {
            rec[i].ctx = ctx;
            rec[i].idx = i;
            assert_int_equal(pthread_create(&th[i], NULL, recorder_main, &rec[i]), 0);
        }
        for (int i = from; i < to; i++)
            pthread_join(th[i], NULL);
    }
    struct api_response r;
    t_do(ctx, "GET", "/metrics", NULL, &r);
    assert_int_equal(r.status, 200);
    char *text = strndup(r.body, r.body_len);
    api_response_clear(&r);

    /* the oracle: per thread, OBS_ROUNDS / 3 of each status kind */
    unsigned long long per = OBS_ROUNDS / 3, n = 7ULL * OBS_ROUNDS + 2;
    assert_int_equal(metric_value(text, "postd_http_requests_total{route=\"/v1/posts/{key}\","
                                        "status=\"200\"} "),
                     7 * per + 1);
    assert_int_equal(metric_value(text, "postd_http_requests_total{route=\"/v1/posts/{key}\","
                                        "status=\"304\"} "),
                     7 * per);
    assert_int_equal(metric_value(text, "postd_http_requests_total{route=\"/v1/posts/{key}\","
                                        "status=\"404\"} "),
                     1);
    for (int i = 0; i < 7; i++) {
        char line[128];
        snprintf(line, sizeof(line),
                 "postd_http_requests_total{route=\"/v1/posts/{key}\",status=\"%d\"} ", 500 + i);
        assert_int_equal(metric_value(text, line), per);
    }
    assert_true(strstr(text, "status=\"404\"") < strstr(text, "status=\"200\""));
    /* each of the 5 durations OBS_ROUNDS / 5 times per thread, plus the two above */
    unsigned long long each = 7ULL * OBS_ROUNDS / 5;
    static const struct {
        const char *le;
        int through; /* how many of obs_seconds are <= le */
    } b[] = {{"0.0005", 1}, {"0.001", 2}, {"0.005", 3}, {"0.25", 4}, {"10", 4}, {"+Inf", 5}};
    for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
        char line[128];
        snprintf(line, sizeof(line),
                 "postd_http_request_duration_seconds_bucket{route=\"/v1/posts/{key}\",le=\"%s\"} ",
                 b[i].le);
        assert_int_equal(metric_value(text, line), each * (unsigned long long)b[i].through + 2);
    }
    assert_int_equal(
        metric_value(text, "postd_http_request_duration_seconds_count{route=\"/v1/posts/{key}\"} "),
        n);
    static const char sum_line[] =
        "postd_http_request_duration_seconds_sum{route=\"/v1/posts/{key}\"} ";
    const char *sum = strstr(text, sum_line);
    assert_non_null(sum);
    double want = 0.0002;
    for (int i = 0; i < 5; i++)
        want += (double)each * obs_seconds[i];
    double got = strtod(sum + sizeof(sum_line) - 1, NULL);
    if (!(got > want - 1e-6 && got < want + 1e-6))
        fail_msg("sum %.9f, expected %.9f", got, want);
    free(text);
    api_ctx_free(ctx);
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
        cmocka_unit_test(test_threads), cmocka_unit_test(test_metrics_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
