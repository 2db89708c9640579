/* The API over real parsed posts: samples/posts ingested with ingest_run into
 * a fresh database, then every post reached three ways — by a cursor walk of
 * /v1/posts, by id and by slug (300 with the right candidates for a shared
 * slug) — every full post carrying every documented key, future posts hidden
 * unless configured, and every tag's and author's count matching its post list.
 * Usage: test_api_samples SAMPLES_DIR (exit 77, skipped, when it is missing). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "api_test.h"
#include "ingest.h"

static const char *g_samples;

struct samples_fx {
    char *dir;
    char db[4096];
    long stored;
};

static int setup(void **state)
{
    struct samples_fx *f = calloc(1, sizeof(*f));
    f->dir = fx_tmpdir();
    snprintf(f->db, sizeof(f->db), "%s/samples.db", f->dir);
    f->stored = fx_ingest(f->db, g_samples);
    assert_true(f->stored > 10);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct samples_fx *f = *state;
    fx_rmdir(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static const char *const post_keys[] = {
    "id",           "slug",      "url",          "path",       "layout",          "title",
    "description",  "date",      "date_utc",     "author",     "image",           "categories",
    "tags",         "sources",   "carousel",     "domains",    "questions",       "summary_html",
    "summary_text", "body_html", "excerpt_html", "word_count", "reading_minutes", "front_matter",
    "updated_at"};

/* Walks /v1/posts by cursor and returns the ids (count in *n). */
static char **walk(struct api_ctx *ctx, long max, size_t *n, long *future, int64_t now)
{
    char **ids = calloc((size_t)max + 1, sizeof(char *));
    char *cursor = NULL;
    *n = 0;
    *future = 0;
    for (long guard = 0; guard <= max; guard++) {
        char target[1024];
        snprintf(target, sizeof(target), "/v1/posts?limit=17%s%s", cursor ? "&cursor=" : "",
                 cursor ? cursor : "");
        json_t *j = t_get_json(ctx, target, 200);
        size_t k;
        json_t *card;
        json_array_foreach(json_object_get(j, "data"), k, card)
        {
            const char *id = json_string_value(json_object_get(card, "id"));
            for (size_t x = 0; x < *n; x++)
                if (strcmp(ids[x], id) == 0)
                    fail_msg("%s twice", id);
            assert_true((long)*n < max);
            ids[(*n)++] = strdup(id);
            struct tm tm = {0};
            const char *d = json_string_value(json_object_get(card, "date_utc"));
            assert_non_null(strptime(d, "%Y-%m-%dT%H:%M:%SZ", &tm));
            if (timegm(&tm) > now)
                (*future)++;
        }
        free(cursor);
        cursor = NULL;
        json_t *next = json_object_get(json_object_get(j, "meta"), "next_cursor");
        if (!json_is_string(next)) {
            json_decref(j);
            return ids;
        }
        cursor = strdup(json_string_value(next));
        json_decref(j);
    }
    fail_msg("walk did not end");
    return NULL;
}

static void test_every_post(void **state)
{
    struct samples_fx *f = *state;
    int64_t now = (int64_t)time(NULL);
    struct api_ctx *all = t_ctx(f->db, 1), *visible = t_ctx(f->db, 0);
    size_t n = 0;
    long future = 0, future2 = 0;
    char **ids = walk(all, f->stored, &n, &future, now);
    assert_int_equal((long)n, f->stored);

    size_t nv = 0;
    char **vis = walk(visible, f->stored, &nv, &future2, now);
    assert_int_equal(future2, 0);
    assert_int_equal((long)nv, f->stored - future);

    int shared = 0;
    for (size_t i = 0; i < n; i++) {
        char target[512];
        snprintf(target, sizeof(target), "/v1/posts/%s", ids[i]);
        json_t *j = t_get_json(all, target, 200);
        json_t *d = json_object_get(j, "data");
        assert_string_equal(json_string_value(json_object_get(d, "id")), ids[i]);
        assert_int_equal(json_object_size(d), sizeof(post_keys) / sizeof(post_keys[0]));
        for (size_t k = 0; k < sizeof(post_keys) / sizeof(post_keys[0]); k++)
            if (!json_object_get(d, post_keys[k]))
                fail_msg("%s lacks %s", ids[i], post_keys[k]);

        /* By slug: the post itself, or a 300 that lists it. */
        struct api_response r;
        snprintf(target, sizeof(target), "/v1/posts/%s",
                 json_string_value(json_object_get(d, "slug")));
        t_do(all, "GET", target, NULL, &r);
        json_t *b = t_body(&r);
        if (r.status == 200) {
            assert_string_equal(
                json_string_value(json_object_get(json_object_get(b, "data"), "id")), ids[i]);
        } else {
            assert_int_equal(r.status, 300);
            shared++;
            int found = 0;
            size_t k;
            json_t *c;
            json_array_foreach(json_object_get(b, "candidates"), k, c) found |=
                strcmp(json_string_value(json_object_get(c, "id")), ids[i]) == 0;
            assert_true(found);
        }
        json_decref(b);
        api_response_clear(&r);
        json_decref(j);
    }
    /* samples/README.md: "the slug weekly-roundup on four dates". */
    assert_true(shared >= 2);
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    for (size_t i = 0; i < nv; i++)
        free(vis[i]);
    free(vis);
    api_ctx_free(all);
    api_ctx_free(visible);
}

static void check_terms(struct api_ctx *ctx, const char *kind)
{
    for (int page = 1; page < 100; page++) {
        char target[256];
        snprintf(target, sizeof(target), "/v1/%s?limit=100&page=%d", kind, page);
        json_t *j = t_get_json(ctx, target, 200);
        json_t *data = json_object_get(j, "data");
        if (json_array_size(data) == 0) {
            json_decref(j);
            return;
        }
        size_t k;
        json_t *t;
        json_array_foreach(data, k, t)
        {
            const char *posts =
                json_string_value(json_object_get(json_object_get(t, "links"), "posts"));
            json_t *p = t_get_json(ctx, posts, 200);
            json_int_t total =
                json_integer_value(json_object_get(json_object_get(p, "meta"), "total"));
            json_int_t count = json_integer_value(json_object_get(t, "count"));
            if (strcmp(kind, "domains") == 0 ? total < count : total != count)
                fail_msg("%s: %lld posts for count %lld", posts, (long long)total,
                         (long long)count);
            json_decref(p);
        }
        json_decref(j);
    }
}

static void test_terms(void **state)
{
    struct samples_fx *f = *state;
    struct api_ctx *ctx = t_ctx(f->db, 0);
    check_terms(ctx, "tags");
    check_terms(ctx, "authors");
    check_terms(ctx, "categories");
    check_terms(ctx, "domains");
    api_ctx_free(ctx);
}

int main(int argc, char **argv)
{
    if (!(g_samples = fx_samples_arg(argc, argv)))
        return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_post),
        cmocka_unit_test(test_terms),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
