/* Unit tests of api/ internals that need no database: the router, strict
 * integers, RFC 3339 dates, HTTP-dates, the FTS5 translation of search text
 * (test_api_params sends the same kind of text through the real FTS5 table)
 * and cursor encoding, tampering and reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_cursor.h"
#include "api_params.h"
#include "api_router.h"
#include "api_util.h"
#include "api_test.h"
#include "status.h"

static void test_router(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        enum api_route_id id;
        const char *arg;
    } cases[] = {
        {"/v1/posts", API_R_POSTS, NULL},
        {"/v1/posts/", API_R_POSTS, NULL},
        {"/v1/posts//", API_R_NONE, NULL},
        {"/v1/posts/abc", API_R_POST, "abc"},
        {"/v1/posts/abc/", API_R_POST, "abc"},
        {"/v1/posts/a b%", API_R_POST, "a b%"},
        {"/v1/tags", API_R_TAGS, NULL},
        {"/v1/domains", API_R_DOMAINS, NULL},
        {"/v1/authors", API_R_AUTHORS, NULL},
        {"/v1/categories", API_R_CATEGORIES, NULL},
        {"/v1/tags/x/posts", API_R_TAG_POSTS, "x"},
        {"/v1/tags/a/b/posts", API_R_TAG_POSTS, "a/b"},
        {"/v1/tags//posts", API_R_NONE, NULL},
        {"/v1/tags/posts", API_R_NONE, NULL},
        {"/v1/domains/nytimes.com/posts", API_R_DOMAIN_POSTS, "nytimes.com"},
        {"/v1/authors/Ann Lee/posts/", API_R_AUTHOR_POSTS, "Ann Lee"},
        {"/v1/categories/news/posts", API_R_CATEGORY_POSTS, "news"},
        {"/healthz", API_R_HEALTHZ, NULL},
        {"/readyz", API_R_READYZ, NULL},
        {"/metrics", API_R_METRICS, NULL},
        {"/v1/openapi.json", API_R_OPENAPI, NULL},
        {"/", API_R_NONE, NULL},
        {"", API_R_NONE, NULL},
        {"/v1", API_R_NONE, NULL},
        {"/V1/posts", API_R_NONE, NULL},
        {"/v1/postsx", API_R_NONE, NULL},
        {"/v2/posts", API_R_NONE, NULL},
        {"/v1/tags/x/postsx", API_R_NONE, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct api_route_match m;
        assert_int_equal(api_route_match(cases[i].path, &m), 0);
        if (m.id != cases[i].id)
            fail_msg("%s: route %d, expected %d", cases[i].path, m.id, cases[i].id);
        if (cases[i].arg)
            assert_string_equal(m.arg, cases[i].arg);
        else
            assert_null(m.arg);
        assert_string_equal(m.name, api_route_name(m.id));
        api_route_match_clear(&m);
    }
}

static void test_uint(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_int_equal(api_uint_parse("1", 100, &v), 0);
    assert_int_equal(v, 1);
    assert_int_equal(api_uint_parse("100", 100, &v), 0);
    assert_int_equal(v, 100);
    const char *bad[] = {"",
                         "0",
                         "101",
                         "-1",
                         "+1",
                         "01",
                         "1.0",
                         "1e2",
                         " 1",
                         "1 ",
                         "10abc",
                         "0x10",
                         "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (api_uint_parse(bad[i], 100, &v) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
}

static void test_dates(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        int64_t t;
    } good[] = {
        {"1970-01-01", 0},
        {"2023-09-16", 1694822400},
        {"2023-09-16T01:55:02Z", 1694829302},
        {"2023-09-16t01:55:02z", 1694829302},
        {"2023-09-16 01:55:02Z", 1694829302},
        {"2023-09-16T01:55:02-04:00", 1694829302 + 4 * 3600},
        {"2023-09-16T01:55:02+02:30", 1694829302 - 9000},
        {"2023-09-16T01:55:02 02:30", 1694829302 - 9000}, /* "+" decoded as a space */
        {"2023-09-16T01:55:02.000Z", 1694829302},
        {"2023-09-16T01:55:02.25Z", 1694829303}, /* rounded up: after/before are exact */
        {"2024-02-29", 1709164800},
        {"2000-02-29T23:59:59Z", 951868799},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        int64_t t = -1;
        if (api_date_parse(good[i].s, &t) != 0)
            fail_msg("rejected %s", good[i].s);
        if (t != good[i].t)
            fail_msg("%s: %lld, expected %lld", good[i].s, (long long)t, (long long)good[i].t);
    }
    const char *bad[] = {"",
                         "2023",
                         "2023-9-16",
                         "2023-09-16T",
                         "2023-09-16T01:55",
                         "2023-09-16T01:55:02",
                         "2023-09-16T01:55:02+0400",
                         "2023-09-16T01:55:02.Z",
                         "2023-13-01",
                         "2023-02-29",
                         "2023-00-10",
                         "2023-01-32",
                         "2023-09-16T24:00:00Z",
                         "2023-09-16T23:60:00Z",
                         "2023-09-16T01:55:02Zjunk",
                         "2023-09-16x",
                         "yesterday",
                         "1694829302",
                         "2023-09-16T01:55:02+24:00"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int64_t t;
        if (api_date_parse(bad[i], &t) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void test_http_dates(void **state)
{
    (void)state;
    char buf[32];
    api_http_date_format(784111777, buf);
    assert_string_equal(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
    int64_t t = 0;
    assert_int_equal(api_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
    assert_int_equal(t, 784111777);
    assert_int_equal(api_http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
    assert_int_equal(t, 784111777);
    assert_int_equal(api_http_date_parse("Sun Nov  6 08:49:37 1994", &t), 0);
    assert_int_equal(t, 784111777);
    const char *bad[] = {"",
                         "Sun, 06 Nov 1994 08:49:37",
                         "Sun, 06 Nov 1994 08:49:37 PST",
                         "Sun, 31 Feb 1994 08:49:37 GMT",
                         "Sun, 06 Xyz 1994 08:49:37 GMT",
                         "Sun, 06 Nov 1994 08:49:37 GMT junk",
                         "1994-11-06"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (api_http_date_parse(bad[i], &t) == 0)
            fail_msg("accepted \"%s\"", bad[i]);
}

static void test_fts_translate(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out;
    } cases[] = {
        {"north korea", "\"north\" AND \"korea\""},
        {"  north   ", "\"north\""},
        {"\"north korea\" summit", "\"north korea\" AND \"summit\""},
        {"kor*", "\"kor\"*"},
        {"NOT AND OR NEAR", "\"NOT\" AND \"AND\" AND \"OR\" AND \"NEAR\""},
        {"title:x", "\"title:x\""},
        {"a\"b", "\"a\" AND \"b\""},
        {"\"unclosed phrase", "\"unclosed phrase\""},
        {"(x) -y ^z", "\"(x)\" AND \"-y\" AND \"^z\""},
        {"- * \"\"  x", "\"x\""},
        {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL;
        assert_int_equal(api_fts_translate(cases[i].in, &out), 0);
        if (strcmp(out, cases[i].out) != 0)
            fail_msg("%s -> %s, expected %s", cases[i].in, out, cases[i].out);
        free(out);
    }
    const char *empty[] = {"", "   ", "\"\"", "* - ()", "\" \""};
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
        char *out = NULL;
        assert_int_equal(api_fts_translate(empty[i], &out), ST_INVALID);
        assert_null(out);
    }
}

static void test_cursor(void **state)
{
    (void)state;
    struct store_key k = {.set = 1,
                          .num = -12345678901LL,
                          .score = -3.25,
                          .text = "Some title",
                          .id = "2023-09-16-x"};
    char *s = NULL;
    assert_int_equal(api_cursor_encode(&k, STORE_SORT_TITLE_ASC, 0xfeedULL, &s), 0);
    for (const char *p = s; *p; p++)
        assert_non_null(
            strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", *p));
    struct api_cursor c;
    const char *why = NULL;
    assert_int_equal(api_cursor_decode(s, STORE_SORT_TITLE_ASC, 0xfeedULL, &c, &why), 0);
    assert_int_equal(c.key.set, 1);
    assert_int_equal(c.key.num, k.num);
    assert_true(c.key.score == k.score);
    assert_string_equal(c.key.text, "Some title");
    assert_string_equal(c.key.id, "2023-09-16-x");
    api_cursor_clear(&c);

    /* Other filters or sort. */
    assert_int_equal(api_cursor_decode(s, STORE_SORT_TITLE_ASC, 0xbeefULL, &c, &why), ST_INVALID);
    assert_non_null(strstr(why, "other filters"));
    assert_int_equal(api_cursor_decode(s, STORE_SORT_DATE_DESC, 0xfeedULL, &c, &why), ST_INVALID);

    /* Every single-character change is refused. */
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        char *t = strdup(s);
        t[i] = t[i] == 'A' ? 'B' : 'A';
        int rc = api_cursor_decode(t, STORE_SORT_TITLE_ASC, 0xfeedULL, &c, &why);
        if (rc != ST_INVALID)
            fail_msg("tampered cursor at %zu accepted", i);
        assert_non_null(why);
        free(t);
    }
    /* Truncated, extended, foreign alphabet. */
    char *t = strndup(s, n - 1);
    assert_int_equal(api_cursor_decode(t, STORE_SORT_TITLE_ASC, 0xfeedULL, &c, &why), ST_INVALID);
    free(t);
    assert_int_equal(asprintf(&t, "%sAA", s) > 0, 1);
    assert_int_equal(api_cursor_decode(t, STORE_SORT_TITLE_ASC, 0xfeedULL, &c, &why), ST_INVALID);
    free(t);
    const char *junk[] = {
        "", "x", "!!!!", "abc=", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "e30"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
        assert_int_equal(api_cursor_decode(junk[i], 0, 0, &c, &why), ST_INVALID);
    free(s);

    /* A key without text (date sorts). */
    struct store_key k2 = {.set = 1, .num = 42, .id = "a"};
    assert_int_equal(api_cursor_encode(&k2, STORE_SORT_DATE_DESC, 7, &s), 0);
    assert_int_equal(api_cursor_decode(s, STORE_SORT_DATE_DESC, 7, &c, &why), 0);
    assert_null(c.key.text);
    assert_int_equal(c.key.num, 42);
    api_cursor_clear(&c);
    free(s);
    struct store_key unset = {0};
    assert_int_equal(api_cursor_encode(&unset, 0, 0, &s), ST_INVALID);
}

static void test_json_text(void **state)
{
    (void)state;
    json_t *j = api_json_text("ok \xff\xfe bad \xc3\x28 \xed\xa0\x80 end \xe2\x82\xac");
    assert_non_null(j);
    assert_string_equal(json_string_value(j),
                        "ok \xef\xbf\xbd\xef\xbf\xbd bad \xef\xbf\xbd( "
                        "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd end \xe2\x82\xac");
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_router),        cmocka_unit_test(test_uint),
        cmocka_unit_test(test_dates),         cmocka_unit_test(test_http_dates),
        cmocka_unit_test(test_fts_translate), cmocka_unit_test(test_cursor),
        cmocka_unit_test(test_json_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
