/* Parameter validation through api_handle against a real database: a table
 * of bad requests, each of which must be a 400 problem naming the parameter;
 * accepted edge values; search text full of FTS5 syntax that must never be a
 * 5xx; and random bytes in every parameter, which must never be a 5xx either. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "api_test.h"

static void test_bad_params(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *target, *param;
    } cases[] = {
        {"/v1/posts?limit=0", "limit"},
        {"/v1/posts?limit=-1", "limit"},
        {"/v1/posts?limit=101", "limit"},
        {"/v1/posts?limit=%2B5", "limit"},
        {"/v1/posts?limit=10abc", "limit"},
        {"/v1/posts?limit=1.5", "limit"},
        {"/v1/posts?limit=05", "limit"},
        {"/v1/posts?limit=", "limit"},
        {"/v1/posts?limit", "limit"},
        {"/v1/posts?limit=5&limit=6", "limit"},
        {"/v1/posts?limit=99999999999999999999", "limit"},
        {"/v1/posts?page=0", "page"},
        {"/v1/posts?page=-2", "page"},
        {"/v1/posts?page=1000001", "page"},
        {"/v1/posts?page=x", "page"},
        {"/v1/posts?page=1&page=2", "page"},
        {"/v1/posts?page=2&cursor=abc", "page"},
        {"/v1/posts?page=2&cursor=abc", "cursor"},
        {"/v1/posts?cursor=", "cursor"},
        {"/v1/posts?cursor=!!!", "cursor"},
        {"/v1/posts?cursor=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "cursor"},
        {"/v1/posts?sort=newest", "sort"},
        {"/v1/posts?sort=", "sort"},
        {"/v1/posts?sort=-date&sort=date", "sort"},
        {"/v1/posts?sort=relevance", "sort"},
        {"/v1/posts?sort=DATE", "sort"},
        {"/v1/posts?after=yesterday", "after"},
        {"/v1/posts?after=2023-02-30", "after"},
        {"/v1/posts?after=2023-09-16T01:55:02", "after"},
        {"/v1/posts?after=1694829302", "after"},
        {"/v1/posts?after=", "after"},
        {"/v1/posts?before=2023-13-01", "before"},
        {"/v1/posts?before=2023-09-16T25:00:00Z", "before"},
        {"/v1/posts?before=2023-01-01&before=2023-02-01", "before"},
        {"/v1/posts?q=", "q"},
        {"/v1/posts?q=%20%20", "q"},
        {"/v1/posts?q=a&q=b", "q"},
        {"/v1/posts?q=*%20-%20()", "q"},
        {"/v1/posts?fields=title,nope", "fields"},
        {"/v1/posts?fields=", "fields"},
        {"/v1/posts?fields=title,,id", "fields"},
        {"/v1/posts?fields=body", "fields"},
        {"/v1/posts?include=body", "include"},
        {"/v1/posts?include=body_html,", "include"},
        {"/v1/posts?include=title", "include"},
        {"/v1/posts?tag=", "tag"},
        {"/v1/posts?tag=a&tag=", "tag"},
        {"/v1/posts?tag_all=", "tag_all"},
        {"/v1/posts?domain_not", "domain_not"},
        {"/v1/posts?author=", "author"},
        {"/v1/posts?category=", "category"},
        {"/v1/posts?tags=alpha", "tags"},
        {"/v1/posts?Tag=alpha", "Tag"},
        {"/v1/posts?limt=5", "limit" /* placeholder replaced below */},
        {"/v1/posts?offset=10", "offset"},
        {"/v1/posts?%FF=1", "\xef\xbf\xbd"},
        {"/v1/tags/alpha/posts?tag=beta", "tag"},
        {"/v1/domains/nytimes.com/posts?domain=bbc.co.uk", "domain"},
        {"/v1/authors/Ann/posts?author=Bob", "author"},
        {"/v1/categories/news/posts?category=tech", "category"},
        {"/v1/tags?sort=count", "sort"},
        {"/v1/tags?sort=-date", "sort"},
        {"/v1/tags?limit=0", "limit"},
        {"/v1/tags?page=0", "page"},
        {"/v1/tags?q=", "q"},
        {"/v1/tags?cursor=abc", "cursor"},
        {"/v1/tags?tag=alpha", "tag"},
        {"/v1/domains?fields=domain", "fields"},
        {"/v1/posts/2023-06-01-post-00?fields=title", "fields"},
        {"/v1/posts/2023-06-01-post-00?x", "x"},
        {"/v1/openapi.json?v=2", "v"},
    };
    size_t n = sizeof(cases) / sizeof(cases[0]);
    assert_true(n >= 40);
    for (size_t i = 0; i < n; i++) {
        const char *param = cases[i].param;
        if (strstr(cases[i].target, "limt="))
            param = "limt";
        struct api_response res;
        t_do(f->ctx, "GET", cases[i].target, NULL, &res);
        if (res.status != 400)
            fail_msg("%s: status %d", cases[i].target, res.status);
        t_assert_invalid(&res, param);
        /* The instance is the request target as received. */
        json_t *j = t_body(&res);
        assert_string_equal(json_string_value(json_object_get(j, "instance")), cases[i].target);
        assert_string_equal(json_string_value(json_object_get(j, "type")), "about:blank");
        assert_string_equal(json_string_value(json_object_get(j, "title")), "Bad Request");
        json_decref(j);
        api_response_clear(&res);
    }
}

static void test_several_bad_at_once(void **state)
{
    struct fx *f = *state;
    struct api_response res;
    t_do(f->ctx, "GET", "/v1/posts?limit=0&page=x&sort=up&foo=1&after=no", NULL, &res);
    t_assert_invalid(&res, "limit");
    t_assert_invalid(&res, "page");
    t_assert_invalid(&res, "sort");
    t_assert_invalid(&res, "foo");
    t_assert_invalid(&res, "after");
    json_t *j = t_body(&res);
    assert_int_equal(json_array_size(json_object_get(j, "invalid_params")), 5);
    json_decref(j);
    api_response_clear(&res);
}

static void test_good_edges(void **state)
{
    struct fx *f = *state;
    const char *ok[] = {
        "/v1/posts?limit=1",
        "/v1/posts?limit=100",
        "/v1/posts?page=1000000",
        "/v1/posts?after=2023-06-01T00:00:00.5Z",
        "/v1/posts?after=2023-06-01t00:00:00z",
        "/v1/posts?after=2023-06-01T00:00:00+04:00", /* '+' arrives as a space */
        "/v1/posts?after=2023-06-01T00:00:00%2B04:00",
        "/v1/posts?before=2030-01-01&after=2020-01-01",
        "/v1/posts?sort=relevance&q=post",
        "/v1/posts?sort=-updated",
        "/v1/posts?fields=id,links",
        "/v1/posts?fields=body_html",
        "/v1/posts?include=questions,summary_html,body_html,carousel,sources,front_matter",
        "/v1/posts?tag=alpha&tag=beta&tag_all=gamma&tag_not=x&domain=a.com&domain_not=b.com",
        "/v1/posts?author=Ann&author=Bob&category=news&category=tech",
        "/v1/posts?q=%22unclosed",
        "/v1/tags?sort=name&q=al&limit=5&page=2",
        "/v1/tags/",
        "/healthz?anything=goes",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        json_t *j = t_get_json(f->ctx, ok[i], 200);
        json_decref(j);
    }
}

/* Text a user could type, full of FTS5 syntax: never a 5xx, and since every
 * word is quoted, never a 400 either unless nothing searchable is left. */
static void test_fts_never_fails(void **state)
{
    struct fx *f = *state;
    const char *qs[] = {
        "NOT",
        "AND%20OR",
        "a%20NOT%20b",
        "NEAR(a%20b)",
        "title:post",
        "%22post",
        "post%22number",
        "*post",
        "post*",
        "p*o*s*t",
        "(post",
        "post)",
        "%5Epost",
        "-post",
        "%2Bpost",
        "a:b:c",
        "%7Bpost%7D",
        "post%20%22%22",
        "%27post%27",
        "caf%C3%A9",
        "%E2%80%9Cpost%E2%80%9D",
        "post%00",
        "a%5Cb",
        "a%0Ab",
        "zebra%20OR%20alpha",
    };
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        char target[256];
        snprintf(target, sizeof(target), "/v1/posts?q=%s", qs[i]);
        struct api_response res;
        t_do(f->ctx, "GET", target, NULL, &res);
        if (res.status != 200 && res.status != 400)
            fail_msg("%s: status %d", target, res.status);
        if (res.status == 400 && !strstr(target, "%00"))
            fail_msg("%s: 400 %.*s", target, (int)res.body_len, res.body);
        api_response_clear(&res);
    }
    /* "zebra OR alpha" is two quoted words ANDed: no post has both. */
    json_t *j = t_get_json(f->ctx, "/v1/posts?q=zebra%20OR%20alpha", 200);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "meta"), "total")), 0);
    json_decref(j);
}

static void test_random_bytes(void **state)
{
    struct fx *f = *state;
    static const char *names[] = {
        "tag",    "tag_all", "tag_not", "domain", "domain_not", "author", "category", "after",
        "before", "q",       "sort",    "limit",  "page",       "cursor", "fields",   "include"};
    srand(12345);
    for (int round = 0; round < 600; round++) {
        const char *name = names[round % (sizeof(names) / sizeof(names[0]))];
        char value[80];
        size_t len = 1 + (size_t)(rand() % 60);
        for (size_t k = 0; k < len; k++)
            value[k] = (char)(1 + rand() % 255);
        value[len] = '\0';
        struct api_param p = {name, value};
        struct api_request req = {.method = "GET",
                                  .path = "/v1/posts",
                                  .target = "/v1/posts?x",
                                  .params = &p,
                                  .n_params = 1};
        struct api_response res = {0};
        api_handle(f->ctx, &req, &res);
        if (res.status >= 500)
            fail_msg("%s=<random>: status %d: %.*s", name, res.status, (int)res.body_len, res.body);
        assert_true(res.status == 200 || res.status == 400);
        if (res.status == 400)
            t_assert_invalid(&res, name);
        api_response_clear(&res);
    }
}

static void test_bad_encoding(void **state)
{
    struct fx *f = *state;
    struct api_response res;
    t_do(f->ctx, "GET", "/v1/posts?tag=%G1", NULL, &res);
    assert_int_equal(res.status, 400);
    assert_string_equal(res.content_type, "application/problem+json");
    api_response_clear(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_params),   cmocka_unit_test(test_several_bad_at_once),
        cmocka_unit_test(test_good_edges),   cmocka_unit_test(test_fts_never_fails),
        cmocka_unit_test(test_random_bytes), cmocka_unit_test(test_bad_encoding),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
