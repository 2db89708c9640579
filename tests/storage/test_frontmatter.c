/* Unit tests for storage/frontmatter.c. The YAML typing rules are data: every folder
 * under tests/fixtures/yaml holds input.yaml and either expected.json (the exact value
 * fm_yaml_load must give, compared with json_equal) or error.txt ("line:col: message"),
 * plus positions.json where the value positions are checked. Those expectations were
 * checked against real Psych (check-with-psych.rb beside them). The rest is C: the
 * Jekyll front-matter split, UTF-8 validation, limits, and the user's reference post
 * and real corpus when ../shared is there (skipped otherwise).
 * Usage: test_frontmatter FIXTURES_DIR/yaml [SHARED_DIR] */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>

#include "frontmatter.h"

/* Every case folder must be found: a wrong path must not pass with zero cases. */
enum { MIN_CASES = 60 };

static const char *g_shared; /* NULL when ../shared is absent */

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) != NULL) {
        if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        } else {
            buf[n] = '\0';
            if (len)
                *len = (size_t)n;
        }
    }
    fclose(f);
    return buf;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

static void assert_json_equal(json_t *got, json_t *want, const char *what)
{
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_ENCODE_ANY | JSON_COMPACT);
        char *w = json_dumps(want, JSON_ENCODE_ANY | JSON_COMPACT);
        print_error("%s\n  got      %s\n  expected %s\n", what, g ? g : "(null)", w ? w : "(null)");
        free(g);
        free(w);
        fail();
    }
}

/* ------------------------------------------------------------ fixtures */

static void test_fixture_case(void **state)
{
    const char *dir = *state;
    char path[4096], *text, *want_err;
    size_t len;
    json_t *out = NULL, *pos = NULL, *want;
    json_error_t jerr;
    struct parse_error err;
    int rc;

    snprintf(path, sizeof path, "%s/input.yaml", dir);
    text = read_file(path, &len);
    assert_non_null(text);
    rc = fm_yaml_load(text, len, 1, 1, &out, &pos, &err);

    snprintf(path, sizeof path, "%s/error.txt", dir);
    want_err = read_file(path, NULL);
    if (want_err) {
        char got[512];
        size_t n = strlen(want_err);
        while (n > 0 && (want_err[n - 1] == '\n' || want_err[n - 1] == '\r'))
            want_err[--n] = '\0';
        if (rc == 0)
            print_error("%s: loaded, but %s was expected\n", dir, want_err);
        assert_int_equal(rc, ST_PARSE);
        assert_null(out);
        assert_null(pos);
        snprintf(got, sizeof got, "%d:%d: %s", err.line, err.col, err.msg);
        assert_string_equal(got, want_err);
        free(want_err);
    } else {
        if (rc != 0)
            print_error("%s: %d:%d: %s\n", dir, err.line, err.col, err.msg);
        assert_int_equal(rc, 0);
        snprintf(path, sizeof path, "%s/expected.json", dir);
        want = json_load_file(path, 0, &jerr);
        if (!want)
            print_error("%s: %s\n", path, jerr.text);
        assert_non_null(want);
        assert_json_equal(out, want, dir);
        json_decref(want);

        snprintf(path, sizeof path, "%s/positions.json", dir);
        if (exists(path)) {
            want = json_load_file(path, 0, &jerr);
            assert_non_null(want);
            assert_json_equal(pos, want, path);
            json_decref(want);
        }
        /* every top-level key has a position, and only those */
        assert_int_equal(json_object_size(pos), json_object_size(out));
    }
    json_decref(out);
    json_decref(pos);
    free(text);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct CMUnitTest *)a)->name, ((const struct CMUnitTest *)b)->name);
}

static int run_fixtures(const char *root)
{
    DIR *d = opendir(root);
    struct dirent *e;
    struct CMUnitTest *tests = NULL;
    size_t n = 0, cap = 0, i;
    int failed;

    if (!d) {
        fprintf(stderr, "test_frontmatter: cannot open %s\n", root);
        return 1;
    }
    while ((e = readdir(d)) != NULL) {
        char path[4096], *dir;
        snprintf(path, sizeof path, "%s/%s/input.yaml", root, e->d_name);
        if (e->d_name[0] == '.' || !exists(path))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            tests = realloc(tests, cap * sizeof *tests);
            if (!tests)
                abort();
        }
        dir = malloc(strlen(root) + strlen(e->d_name) + 2);
        if (!dir)
            abort();
        sprintf(dir, "%s/%s", root, e->d_name);
        tests[n].name = strdup(e->d_name);
        tests[n].test_func = test_fixture_case;
        tests[n].setup_func = NULL;
        tests[n].teardown_func = NULL;
        tests[n].initial_state = dir;
        n++;
    }
    closedir(d);
    if (n < MIN_CASES) {
        fprintf(stderr, "test_frontmatter: only %zu cases in %s (want >= %d)\n", n, root,
                MIN_CASES);
        return 1;
    }
    qsort(tests, n, sizeof *tests, by_name);
    failed = _cmocka_run_group_tests("yaml_fixtures", tests, n, NULL, NULL);
    for (i = 0; i < n; i++) {
        free((char *)tests[i].name);
        free(tests[i].initial_state);
    }
    free(tests);
    return failed;
}

/* ------------------------------------------------------------ UTF-8 */

static void check_utf8(const char *s, size_t len, long want_off)
{
    long off = -99;
    int rc = fm_utf8_check(s, len, &off);

    if (want_off < 0) {
        assert_int_equal(rc, 0);
        assert_int_equal(off, -99); /* untouched */
    } else {
        assert_int_equal(rc, -1);
        assert_int_equal(off, want_off);
    }
}

#define VALID(s) check_utf8(s, sizeof(s) - 1, -1)
#define INVALID(s, off) check_utf8(s, sizeof(s) - 1, off)

static void test_utf8_valid(void **state)
{
    (void)state;
    VALID("");
    VALID("plain ASCII\n");
    VALID("caf\xC3\xA9 \xE2\x80\x94 \xE2\x82\xAC"); /* é — € */
    VALID("\xF0\x9F\x98\x80");                      /* U+1F600 */
    VALID("\xF4\x8F\xBF\xBF");                      /* U+10FFFF, the last code point */
    VALID("\xED\x9F\xBF\xEE\x80\x80");              /* U+D7FF, U+E000 around the surrogates */
    VALID("\xC2\x80\xE0\xA0\x80\xF0\x90\x80\x80");  /* the smallest 2, 3, 4-byte forms */
    VALID("a\0b");                                  /* NUL is valid UTF-8 */
    assert_int_equal(fm_utf8_check("x", 1, NULL), 0);
}

static void test_utf8_invalid(void **state)
{
    (void)state;
    INVALID("caf\xE9 au lait", 3); /* Windows-1252 é */
    INVALID("\x80", 0);            /* a lone continuation byte */
    INVALID("ok\xBF", 2);
    INVALID("\xC0\x80", 0); /* overlong NUL */
    INVALID("\xC1\xBF", 0); /* overlong 0x7F */
    INVALID("ab\xE0\x80\x80", 2);
    INVALID("\xE0\x9F\xBF", 0);     /* overlong U+07FF */
    INVALID("\xF0\x8F\xBF\xBF", 0); /* overlong U+FFFF */
    INVALID("x\xED\xA0\x80", 1);    /* U+D800 */
    INVALID("\xED\xBF\xBF", 0);     /* U+DFFF */
    INVALID("\xF4\x90\x80\x80", 0); /* U+110000 */
    INVALID("\xF5\x80\x80\x80", 0);
    INVALID("\xFF", 0);
    INVALID("\xFE\xFF", 0);
    INVALID("ab\xE2\x82", 2);       /* truncated at the end */
    INVALID("\xE2\x28\xA1", 0);     /* a bad continuation */
    INVALID("\xF0\x9F\x98", 0);     /* a truncated emoji */
    INVALID("good\xC3\xA9\xC3", 6); /* the first bad byte after good ones */
    assert_int_equal(fm_utf8_check("\xFF", 1, NULL), -1);
}

/* ------------------------------------------------------------ split */

struct split_case {
    const char *name;
    const char *in;
    size_t len; /* 0: strlen */
    int has;
    const char *yaml; /* the YAML text expected (has == 1) */
    const char *body; /* the body expected */
    int body_line;
    size_t ylen; /* 0: strlen(yaml) */
};

static void test_split(void **state)
{
    static const struct split_case cases[] = {
        {"basic", "---\na: 1\n---\nbody\n", 0, 1, "a: 1\n", "body\n", 4, 0},
        {"bom", "\xEF\xBB\xBF---\na: 1\n---\nbody", 0, 1, "a: 1\n", "body", 4, 0},
        {"bom without front matter", "\xEF\xBB\xBFhello\n", 0, 0, NULL, "hello\n", 1, 0},
        {"crlf", "---\r\na: 1\r\nb: 2\r\n---\r\n\r\nbody\r\n", 0, 1, "a: 1\r\nb: 2\r\n", "body\r\n",
         6, 0},
        {"no closing line", "---\na: 1\nbody\n", 0, 0, NULL, "---\na: 1\nbody\n", 1, 0},
        {"dots close", "---\na: 1\n...\nbody", 0, 1, "a: 1\n", "body", 4, 0},
        {"trailing whitespace", "---  \t\na: 1\n---   \t\nbody", 0, 1, "a: 1\n", "body", 4, 0},
        {"empty front matter", "---\n---\nbody", 0, 1, "", "body", 3, 0},
        {"blank lines after", "---\na: 1\n---\n\n  \n\t\nbody\n", 0, 1, "a: 1\n", "body\n", 7, 0},
        {"indent of the first body line kept", "---\na: 1\n---\n\n   code\n", 0, 1, "a: 1\n",
         "   code\n", 5, 0},
        {"closing at the end", "---\na: 1\n---", 0, 1, "a: 1\n", "", 3, 0},
        {"closing then only blanks", "---\na: 1\n---  \n\n \n", 0, 1, "a: 1\n", "", 6, 0},
        {"four dashes do not close", "---\na: ----\n----\n---\nbody", 0, 1, "a: ----\n----\n",
         "body", 5, 0},
        {"text after --- does not close", "---\na: 1\n--- x\n---\nbody", 0, 1, "a: 1\n--- x\n",
         "body", 5, 0},
        {"indented --- does not close", "---\na: 1\n  ---\n---\nb", 0, 1, "a: 1\n  ---\n", "b", 5,
         0},
        {"the first closing line wins", "---\na: 1\n---\nb: 2\n---\n", 0, 1, "a: 1\n",
         "b: 2\n---\n", 4, 0},
        {"text after the opening ---", "--- x\na: 1\n---\n", 0, 0, NULL, "--- x\na: 1\n---\n", 1,
         0},
        {"opening not at byte 0", " ---\na: 1\n---\n", 0, 0, NULL, " ---\na: 1\n---\n", 1, 0},
        {"four dashes do not open", "----\na: 1\n---\n", 0, 0, NULL, "----\na: 1\n---\n", 1, 0},
        {"only the opening line", "---\n", 0, 0, NULL, "---\n", 1, 0},
        {"only dashes", "---", 0, 0, NULL, "---", 1, 0},
        {"empty file", "", 0, 0, NULL, "", 1, 0},
        {"closing with a CR at the end", "---\na: 1\n---\r", 0, 1, "a: 1\n", "", 3, 0},
        {"NUL inside YAML", "---\na: \0\n---\nb", 14, 1, "a: \0\n", "b", 4, 5},
        {"blank lines inside YAML", "---\n\na: 1\n\n---\nb", 0, 1, "\na: 1\n\n", "b", 6, 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct split_case *c = &cases[i];
        size_t len = c->len ? c->len : strlen(c->in);
        struct fm_span sp;
        memset(&sp, 0xAB, sizeof sp);
        fm_split(c->in, len, &sp);
        print_message("split: %s\n", c->name);
        assert_int_equal(sp.has_front_matter, c->has);
        if (c->has) {
            size_t ylen = c->ylen ? c->ylen : strlen(c->yaml);
            assert_int_equal(sp.yaml_len, ylen);
            assert_memory_equal(c->in + sp.yaml_off, c->yaml, ylen);
            assert_int_equal(sp.yaml_line, 2);
        }
        assert_true(sp.body_off <= len);
        assert_int_equal(len - sp.body_off, strlen(c->body));
        assert_memory_equal(c->in + sp.body_off, c->body, strlen(c->body));
        assert_int_equal(sp.body_line, c->body_line);
    }
}

/* ------------------------------------------------------------ plain scalars */

static void expect_plain(const char *s, const char *want_json)
{
    json_t *got = fm_resolve_plain(s, strlen(s));
    json_t *want = json_loads(want_json, JSON_DECODE_ANY, NULL);
    char what[128];

    assert_non_null(got);
    assert_non_null(want);
    snprintf(what, sizeof what, "fm_resolve_plain(\"%s\")", s);
    assert_json_equal(got, want, what);
    json_decref(got);
    json_decref(want);
}

static void test_resolve_plain(void **state)
{
    (void)state;
    expect_plain("", "null");
    expect_plain("~", "null");
    expect_plain("nULL", "null");
    expect_plain("Off", "false");
    expect_plain("y", "\"y\"");
    expect_plain("1,000", "1000");
    expect_plain("017", "15");
    expect_plain("0x1F", "31");
    expect_plain("-0b101", "-5");
    expect_plain("1:20", "4800");
    expect_plain("1.5", "1.5");
    expect_plain("1e3", "\"1e3\"");
    expect_plain("-.inf", "\"-.inf\"");
    expect_plain("2023-09-16", "\"2023-09-16\"");
    expect_plain("2023-02-30", "\"2023-02-30\"");
    expect_plain("2023-09-16 01:55:02 -0400", "\"2023-09-16T01:55:02-04:00\"");
    expect_plain("9223372036854775808", "\"9223372036854775808\"");
    /* Psych raises on these; the loader refuses them, this function keeps the text */
    expect_plain(":sym", "\":sym\"");
    expect_plain("0x_", "\"0x_\"");
    /* a plain scalar holding a blank-line fold: Psych matches line by line */
    expect_plain("on\nno", "true");
    expect_plain("x\ny", "\"x\\ny\"");
}

/* ------------------------------------------------------------ loader */

static void test_load_positions_and_file_lines(void **state)
{
    static const char post[] = "---\n"
                               "title:   \"Hello\"\n"
                               "date: 2023-09-16 01:55:02 -0400\n"
                               "tags:\n"
                               "- a\n"
                               "base: &b {x: 1}\n"
                               "<<: *b\n"
                               "---\n"
                               "\n"
                               "Body\n";
    struct fm_span sp;
    json_t *out = NULL, *pos = NULL, *want;
    struct parse_error err;

    (void)state;
    fm_split(post, sizeof post - 1, &sp);
    assert_int_equal(sp.has_front_matter, 1);
    assert_int_equal(sp.body_line, 10);
    assert_int_equal(
        fm_yaml_load(post + sp.yaml_off, sp.yaml_len, sp.yaml_line, 1, &out, &pos, &err), 0);
    want = json_loads("{\"title\":[2,10],\"date\":[3,7],\"tags\":[5,1],\"base\":[6,7],"
                      "\"x\":[7,5]}",
                      0, NULL);
    assert_json_equal(pos, want, "positions");
    json_decref(want);
    want = json_loads("{\"title\":\"Hello\",\"date\":\"2023-09-16T01:55:02-04:00\","
                      "\"tags\":[\"a\"],\"base\":{\"x\":1},\"x\":1}",
                      0, NULL);
    assert_json_equal(out, want, "value");
    json_decref(want);
    json_decref(out);
    json_decref(pos);
}

static void test_load_error_file_line(void **state)
{
    static const char post[] = "---\ntitle: ok\ntags: [a\nauthor: x\n---\nBody\n";
    struct fm_span sp;
    json_t *out = (json_t *)1, *pos = (json_t *)1;
    struct parse_error err;

    (void)state;
    fm_split(post, sizeof post - 1, &sp);
    assert_int_equal(
        fm_yaml_load(post + sp.yaml_off, sp.yaml_len, sp.yaml_line, 1, &out, &pos, &err), ST_PARSE);
    assert_null(out);
    assert_null(pos);
    assert_int_equal(err.line, 3); /* the '[' on file line 3 */
    assert_int_equal(err.col, 7);
    /* and where libyaml stopped: the ':' of the next key, on file line 4 */
    assert_string_equal(err.msg,
                        "invalid YAML: did not find expected ',' or ']' at 4:7 (while parsing a "
                        "flow sequence)");
}

static void test_load_not_mapping_allowed(void **state)
{
    json_t *out;

    (void)state;
    assert_int_equal(fm_yaml_load("- a\n- 2\n", 8, 1, 0, &out, NULL, NULL), 0);
    assert_true(json_is_array(out) && json_array_size(out) == 2);
    assert_int_equal(json_integer_value(json_array_get(out, 1)), 2);
    json_decref(out);
    assert_int_equal(fm_yaml_load("42", 2, 1, 0, &out, NULL, NULL), 0);
    assert_int_equal(json_integer_value(out), 42);
    json_decref(out);
    assert_int_equal(fm_yaml_load("~", 1, 1, 0, &out, NULL, NULL), 0);
    assert_true(json_is_null(out));
    json_decref(out);
    assert_int_equal(fm_yaml_load("", 0, 1, 0, &out, NULL, NULL), 0);
    assert_true(json_is_object(out) && json_object_size(out) == 0);
    json_decref(out);
    /* and without a place for the error, a failure is still reported */
    out = NULL;
    assert_int_equal(fm_yaml_load("- a", 3, 1, 1, &out, NULL, NULL), ST_PARSE);
    assert_null(out);
}

static char *nested(int levels)
{
    char *s = malloc((size_t)levels * 2 + 8);
    int i, o = 0;

    if (!s)
        abort();
    o += sprintf(s, "a: ");
    for (i = 0; i < levels; i++)
        s[o++] = '[';
    for (i = 0; i < levels; i++)
        s[o++] = ']';
    s[o] = '\0';
    return s;
}

static void test_load_limits(void **state)
{
    char *s, buf[4096];
    json_t *out;
    struct parse_error err;
    int o, l;

    (void)state;
    /* 255 lists inside the top mapping: 256 levels, the limit */
    s = nested(255);
    assert_int_equal(fm_yaml_load(s, strlen(s), 1, 1, &out, NULL, &err), 0);
    json_decref(out);
    free(s);
    s = nested(256);
    assert_int_equal(fm_yaml_load(s, strlen(s), 1, 1, &out, NULL, &err), ST_PARSE);
    assert_string_equal(err.msg, "YAML too deep: more than 256 levels of nesting");
    free(s);

    /* 10^5 nodes through aliases loads; the fixture err-alias-bomb (10^9) does not */
    o = sprintf(buf, "a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (l = 1; l < 5; l++)
        o += sprintf(buf + o, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n",
                     'a' + l, 'a' + l, 'a' + l - 1, 'a' + l - 1, 'a' + l - 1, 'a' + l - 1,
                     'a' + l - 1, 'a' + l - 1, 'a' + l - 1, 'a' + l - 1, 'a' + l - 1, 'a' + l - 1);
    assert_int_equal(fm_yaml_load(buf, (size_t)o, 1, 1, &out, NULL, &err), 0);
    assert_int_equal(json_array_size(json_object_get(out, "e")), 10);
    json_decref(out);
}

/* ------------------------------------------------------------ ../shared */

static int load_post(const char *path, json_t **out, struct parse_error *err)
{
    size_t len;
    char *buf = read_file(path, &len);
    struct fm_span sp;
    long bad;
    int rc;

    *out = NULL;
    if (!buf)
        return ST_IO;
    if (fm_utf8_check(buf, len, &bad)) {
        snprintf(err->msg, sizeof err->msg, "invalid UTF-8 at byte %ld", bad);
        free(buf);
        return ST_PARSE;
    }
    fm_split(buf, len, &sp);
    rc = sp.has_front_matter
             ? fm_yaml_load(buf + sp.yaml_off, sp.yaml_len, sp.yaml_line, 1, out, NULL, err)
             : ST_PARSE;
    free(buf);
    return rc;
}

static void test_reference_post(void **state)
{
    char path[4096];
    json_t *fm, *cs;
    struct parse_error err;
    size_t i;
    int found = 0;

    (void)state;
    snprintf(path, sizeof path, "%s/fixtures/2023-09-16-putin-kim-summit.md",
             g_shared ? g_shared : "");
    if (!g_shared || !exists(path))
        skip();
    assert_int_equal(load_post(path, &fm, &err), 0);
    assert_string_equal(json_string_value(json_object_get(fm, "date")),
                        "2023-09-16T01:55:02-04:00");
    assert_string_equal(json_string_value(json_object_get(fm, "layout")), "post");
    assert_int_equal(json_array_size(json_object_get(fm, "tags")), 1);
    cs = json_object_get(fm, "carousel_sources");
    assert_true(json_is_array(cs) && json_array_size(cs) >= 5);
    for (i = 0; i < json_array_size(cs); i++) {
        json_t *item = json_array_get(cs, i);
        const char *domain = json_string_value(json_object_get(item, "domain"));
        const char *title = json_string_value(json_object_get(item, "title"));
        assert_non_null(domain);
        if (strcmp(domain, "www.dia.mil") == 0) {
            assert_string_equal(title, " \tDefense Intelligence Agency releases report: North "
                                       "Korea Military Power > Defense Intelligence Agency > "
                                       "Article View ");
            found++;
        } else if (strcmp(domain, "www.npr.org") == 0) {
            assert_string_equal(title, "Kim Jong Un vows full support for Russia as Putin "
                                       "pledges space tech for North Korea : NPR");
            found++;
        }
    }
    assert_int_equal(found, 2);
    json_decref(fm);
}

/* Every real post's front matter loads, carousel_sources (when there) is a list of
 * mappings, and titles are strings or null. */
static void test_real_corpus(void **state)
{
    char dir[4096], path[8192];
    DIR *d;
    struct dirent *e;
    int n = 0, bad = 0;

    (void)state;
    snprintf(dir, sizeof dir, "%s/corpus/real", g_shared ? g_shared : "");
    d = g_shared ? opendir(dir) : NULL;
    if (!d) {
        skip();
        return;
    }
    while ((e = readdir(d)) != NULL) {
        json_t *fm, *cs, *item;
        struct parse_error err = {0, 0, -1, ""};
        size_t i;
        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        n++;
        if (load_post(path, &fm, &err) != 0) {
            print_error("%s: %d:%d: %s\n", e->d_name, err.line, err.col, err.msg);
            bad++;
            continue;
        }
        cs = json_object_get(fm, "carousel_sources");
        json_array_foreach(cs, i, item)
        {
            json_t *t = json_object_get(item, "title");
            if (!json_is_object(item) || !(json_is_string(t) || json_is_null(t))) {
                print_error("%s: carousel_sources[%zu] is odd\n", e->d_name, i);
                bad++;
            }
        }
        json_decref(fm);
    }
    closedir(d);
    print_message("%d real posts read\n", n);
    assert_true(n > 0);
    assert_int_equal(bad, 0);
}

int main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_utf8_invalid),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_resolve_plain),
        cmocka_unit_test(test_load_positions_and_file_lines),
        cmocka_unit_test(test_load_error_file_line),
        cmocka_unit_test(test_load_not_mapping_allowed),
        cmocka_unit_test(test_load_limits),
        cmocka_unit_test(test_reference_post),
        cmocka_unit_test(test_real_corpus),
    };
    int failed;

    if (argc < 2) {
        fprintf(stderr, "usage: %s FIXTURES/yaml [SHARED_DIR]\n", argv[0]);
        return 2;
    }
    g_shared = argc > 2 && exists(argv[2]) ? argv[2] : NULL;
    failed = cmocka_run_group_tests_name("frontmatter", tests, NULL, NULL);
    failed += run_fixtures(argv[1]);
    return failed ? 1 : 0;
}
