/* The term lists (/v1/tags, /v1/domains, /v1/authors, /v1/categories) against
 * the fixture: shapes, counts and latest dates recomputed from the model,
 * sort=-count and sort=name orders, q= prefixes, paging meta and links. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cmocka.h>

#include "api_test.h"

/* Count and newest visible date of a term in the model. */
static void model_term(const char *kind, const char *name, int64_t *count, int64_t *latest)
{
    *count = 0;
    *latest = 0;
    for (int i = 0; i < FX_N; i++) {
        const struct fx_post *m = &fx_posts[i];
        if (m->future)
            continue;
        int hit = 0;
        if (strcmp(kind, "tags") == 0) {
            for (size_t k = 0; k < m->n_tags; k++)
                hit |= strcasecmp(m->tags[k], name) == 0;
        } else if (strcmp(kind, "categories") == 0) {
            for (size_t k = 0; k < m->n_categories; k++)
                hit |= strcasecmp(m->categories[k], name) == 0;
        } else if (strcmp(kind, "domains") == 0) {
            for (size_t k = 0; k < m->n_domains; k++)
                hit |= strcmp(m->domains[k], name) == 0;
        } else {
            hit = strcasecmp(m->author, name) == 0;
        }
        if (hit) {
            (*count)++;
            if (m->date_utc > *latest)
                *latest = m->date_utc;
        }
    }
}

static void check_kind(struct api_ctx *ctx, const char *kind, size_t expect_n)
{
    char target[128];
    snprintf(target, sizeof(target), "/v1/%s?limit=100", kind);
    struct api_response res;
    t_do(ctx, "GET", target, NULL, &res);
    assert_int_equal(res.status, 200);
    json_t *j = t_body(&res);
    json_t *data = json_object_get(j, "data");
    if (json_array_size(data) != expect_n)
        fail_msg("%s: %zu terms, expected %zu", kind, json_array_size(data), expect_n);
    char buf[32];
    snprintf(buf, sizeof(buf), "%zu", expect_n);
    assert_string_equal(t_header(&res, "X-Total-Count"), buf);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "meta"), "total")),
                     (json_int_t)expect_n);
    int is_domain = strcmp(kind, "domains") == 0;
    size_t k;
    json_t *t;
    int64_t prev_count = INT64_MAX;
    json_array_foreach(data, k, t)
    {
        const char *name = json_string_value(json_object_get(t, is_domain ? "domain" : "name"));
        assert_non_null(name);
        assert_int_equal(json_object_size(t), is_domain ? 4 : 5);
        if (!is_domain) {
            char *slug = store_slugify(name);
            assert_string_equal(json_string_value(json_object_get(t, "slug")), slug);
            free(slug);
        }
        int64_t count, latest;
        model_term(kind, name, &count, &latest);
        if (json_integer_value(json_object_get(t, "count")) != count)
            fail_msg("%s %s: count %lld, expected %lld", kind, name,
                     (long long)json_integer_value(json_object_get(t, "count")), (long long)count);
        char lbuf[32];
        post_format_date(latest, 0, 1, lbuf);
        assert_string_equal(json_string_value(json_object_get(t, "latest")), lbuf);
        assert_true(count <= prev_count); /* -count by default */
        prev_count = count;
        /* links.posts leads to the posts with that term, as many as counted;
         * a domain's posts also include its subdomains' (nytimes.com has
         * cooking.nytimes.com), so there it is at least as many. */
        const char *posts =
            json_string_value(json_object_get(json_object_get(t, "links"), "posts"));
        assert_non_null(posts);
        json_t *p = t_get_json(ctx, posts, 200);
        int64_t total = json_integer_value(json_object_get(json_object_get(p, "meta"), "total"));
        if (is_domain ? total < count : total != count)
            fail_msg("%s: total %lld for count %lld", posts, (long long)total, (long long)count);
        json_decref(p);
    }
    json_decref(j);
    api_response_clear(&res);
}

static void test_kinds(void **state)
{
    struct fx *f = *state;
    check_kind(f->ctx, "tags", 4);
    check_kind(f->ctx, "categories", 2);
    check_kind(f->ctx, "authors", 2);
    check_kind(f->ctx, "domains", 3);
}

static void test_sort_prefix_paging(void **state)
{
    struct fx *f = *state;
    json_t *j = t_get_json(f->ctx, "/v1/tags?sort=name", 200);
    json_t *data = json_object_get(j, "data");
    const char *prev = NULL;
    size_t k;
    json_t *t;
    json_array_foreach(data, k, t)
    {
        const char *name = json_string_value(json_object_get(t, "name"));
        if (prev)
            assert_true(strcasecmp(prev, name) < 0);
        prev = name;
    }
    json_decref(j);

    j = t_get_json(f->ctx, "/v1/tags?q=AL", 200);
    data = json_object_get(j, "data");
    assert_int_equal(json_array_size(data), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(data, 0), "name")),
                        "alpha");
    json_decref(j);

    j = t_get_json(f->ctx, "/v1/domains?q=cook", 200);
    assert_int_equal(json_array_size(json_object_get(j, "data")), 1);
    json_decref(j);

    /* The prefix is text, not a LIKE pattern. */
    const char *none[] = {"/v1/tags?q=zz", "/v1/tags?q=%25", "/v1/tags?q=_", "/v1/tags?q=%25a"};
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        j = t_get_json(f->ctx, none[i], 200);
        assert_int_equal(json_array_size(json_object_get(j, "data")), 0);
        json_decref(j);
    }

    j = t_get_json(f->ctx, "/v1/tags?sort=name&limit=3&page=2", 200);
    data = json_object_get(j, "data");
    assert_int_equal(json_array_size(data), 1);
    json_t *meta = json_object_get(j, "meta");
    assert_int_equal(json_integer_value(json_object_get(meta, "total")), 4);
    assert_int_equal(json_integer_value(json_object_get(meta, "pages")), 2);
    assert_int_equal(json_integer_value(json_object_get(meta, "page")), 2);
    json_t *links = json_object_get(j, "links");
    assert_string_equal(json_string_value(json_object_get(links, "self")),
                        "/v1/tags?sort=name&limit=3&page=2");
    assert_string_equal(json_string_value(json_object_get(links, "prev")),
                        "/v1/tags?sort=name&limit=3&page=1");
    assert_true(json_is_null(json_object_get(links, "next")));
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_sort_prefix_paging),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
