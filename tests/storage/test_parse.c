/* Tests for storage/parse.c and the post JSON shapes.
 *
 *   test_parse fixtures DIR   unit checks, then every case folder under DIR:
 *                             one post file (any depth, named like a real post),
 *                             optional opts.json {"tz_offset", "permalink"}, and
 *                             expected.json (each key must equal the same key of
 *                             post_to_json) or error.txt ("line:col: message", or
 *                             "skip" for ST_SKIP).
 *   test_parse corpus DIR     every post under DIR must parse without error
 *                             (exit 77 = skipped when DIR is absent). */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.h"

static int failures;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: FAIL %s: ", __FILE__, __LINE__, #cond);                        \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            failures++;                                                                            \
        }                                                                                          \
    } while (0)

#define CHECK_STR(got, want)                                                                       \
    do {                                                                                           \
        const char *g_ = (got), *w_ = (want);                                                      \
        CHECK((g_ == NULL && w_ == NULL) || (g_ && w_ && strcmp(g_, w_) == 0),                     \
              "got \"%s\", want \"%s\"", g_ ? g_ : "(null)", w_ ? w_ : "(null)");                  \
    } while (0)

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (n + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        size_t r = fread(buf + n, 1, 4096, f);
        n += r;
        if (r == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* ---- unit checks ---- */

static void unit_name(void)
{
    struct post_name n;
    CHECK(post_name_parse("2023-09-16-russia_nk_summit.md", &n) == 0, "plain name");
    CHECK_STR(n.id, "2023-09-16-russia_nk_summit");
    CHECK_STR(n.slug, "russia_nk_summit");
    CHECK(n.year == 2023 && n.month == 9 && n.day == 16, "%d-%d-%d", n.year, n.month, n.day);
    CHECK(post_name_parse("2023-9-5-a.b.c.markdown", &n) == 0, "short date, dots");
    CHECK_STR(n.id, "2023-9-5-a.b.c");
    CHECK_STR(n.slug, "a.b.c");
    CHECK(n.month == 9 && n.day == 5, "%d %d", n.month, n.day);
    CHECK(post_name_parse("2023-09-16-trailing...md", &n) == 0, "trailing dots");
    CHECK_STR(n.slug, "trailing");
    CHECK_STR(n.id, "2023-09-16-trailing..");
    CHECK(post_name_parse("23-09-16-x.md", &n) == 0 && n.year == 2023, "two-digit year");
    CHECK(post_name_parse("2023-13-45-x.md", &n) == 0 && n.month == 13 && n.day == 45,
          "out of range kept");
    CHECK(post_name_parse("2023-09-16-noext", &n) == ST_SKIP, "no extension");
    CHECK(post_name_parse("2023-09-16-x.", &n) == ST_SKIP, "empty extension");
    CHECK(post_name_parse("about.md", &n) == ST_SKIP, "no date");
    CHECK(post_name_parse("2023-09-16.md", &n) == ST_SKIP, "no slug dash");
    CHECK(post_name_parse("12023-09-16-x.md", &n) == ST_SKIP, "five-digit year");
    CHECK(post_name_parse("2023-009-16-x.md", &n) == ST_SKIP, "three-digit month");
    CHECK(post_name_parse("2023-09-16-.md", &n) == 0 && n.slug[0] == '\0', "empty slug");
}

static void unit_dates_and_domains(void)
{
    char buf[32];
    post_format_date(1694843702, -4 * 3600, 1, buf);
    CHECK_STR(buf, "2023-09-16T01:55:02-04:00");
    post_format_date(1694843702, 0, 1, buf);
    CHECK_STR(buf, "2023-09-16T05:55:02Z");
    post_format_date(1694843702, 0, 0, buf);
    CHECK_STR(buf, "2023-09-16T05:55:02+00:00");
    post_format_date(1694843702, 5 * 3600 + 1800, 1, buf);
    CHECK_STR(buf, "2023-09-16T11:25:02+05:30");
    post_format_date(-1, 0, 1, buf);
    CHECK_STR(buf, "1969-12-31T23:59:59Z");
    post_format_date(951782400, 0, 1, buf); /* leap day */
    CHECK_STR(buf, "2000-02-29T00:00:00Z");

    static const char *const urls[][2] = {
        {"https://www.nytimes.com/2023/x.html", "nytimes.com"},
        {"http://user:pw@WWW.Example.COM.:8080/p?q#f", "example.com"},
        {"https://abcnews.go.com", "abcnews.go.com"},
        {"//cdn.example.org/x", "cdn.example.org"},
        {"https://[2001:db8::1]:443/", "2001:db8::1"},
        {"mailto:someone@example.com", NULL},
        {"/relative/path", NULL},
        {"https:///nohost", NULL},
        {"not a url", NULL},
        {"ht tp://x.com", NULL},
    };
    for (size_t i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        char *d = post_url_domain(urls[i][0]);
        CHECK_STR(d, urls[i][1]);
        free(d);
    }
    char host[] = "WWW.Foo.Bar.";
    CHECK_STR(post_domain_normalize(host), "foo.bar");
    char plain[] = "wwwx.com";
    CHECK_STR(post_domain_normalize(plain), "wwwx.com");
}

static void unit_json_shapes(void)
{
    static const char *const keys[] = {
        "id",
        "slug",
        "url",
        "path",
        "layout",
        "title",
        "description",
        "date",
        "date_utc",
        "author",
        "image",
        "categories",
        "tags",
        "sources",
        "carousel",
        "domains",
        "questions",
        "summary_html",
        "summary_text",
        "body_html",
        "excerpt_html",
        "word_count",
        "reading_minutes",
        "front_matter",
        "updated_at",
    };
    struct post p;
    post_init(&p);
    p.id = strdup("2023-09-16-a b/c?");
    p.title = strdup("T");
    p.date_utc = 1694843702;
    p.date_offset = -4 * 3600;
    json_t *o = post_to_json(&p);
    CHECK(o != NULL, "post_to_json");
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v)
    {
        CHECK(i < sizeof(keys) / sizeof(keys[0]) && strcmp(k, keys[i]) == 0, "key %zu is %s", i, k);
        i++;
    }
    CHECK(i == sizeof(keys) / sizeof(keys[0]), "%zu keys", i);
    CHECK(json_is_null(json_object_get(o, "slug")), "absent is null");
    CHECK(json_is_null(json_object_get(o, "updated_at")), "updated_at 0 is null");
    CHECK(json_is_object(json_object_get(o, "front_matter")), "front_matter object");
    CHECK(json_array_size(json_object_get(o, "tags")) == 0, "empty tags list");
    CHECK_STR(json_string_value(json_object_get(o, "date")), "2023-09-16T01:55:02-04:00");
    json_decref(o);

    p.updated_at = 1700000000;
    o = post_to_json(&p);
    CHECK_STR(json_string_value(json_object_get(o, "updated_at")), "2023-11-14T22:13:20Z");
    json_decref(o);

    json_t *card = post_card_to_json(&p);
    char *s = json_dumps(card, JSON_COMPACT | JSON_PRESERVE_ORDER);
    CHECK_STR(s, "{\"id\":\"2023-09-16-a b/c?\",\"slug\":null,\"url\":null,\"title\":\"T\","
                 "\"description\":null,\"date\":\"2023-09-16T01:55:02-04:00\","
                 "\"date_utc\":\"2023-09-16T05:55:02Z\",\"author\":null,\"image\":null,"
                 "\"tags\":[],\"domains\":[],"
                 "\"links\":{\"self\":\"/v1/posts/2023-09-16-a%20b%2Fc%3F\"}}");
    free(s);
    json_decref(card);
    post_clear(&p);
    post_clear(&p); /* idempotent */
    post_clear(NULL);
}

/* Expected values: what Jekyll 4.3 (Utils.slugify, slugify pretty+cased,
 * titleize_slug) and Ruby 3.1 (String#downcase) return for the same input. */
static void unit_text(void)
{
    static const char *const cases[][5] = {
        /* input, slugify, pretty+cased, titleize, downcase */
        {"World News", "world-news", "World-News", "World news", "world news"},
        {"  --Hello, World!--  ", "hello-world", "Hello,-World!", "    Hello, world!    ",
         "  --hello, world!--  "},
        {"C++", "c", "C++", "C++", "c++"},
        {"a_b.c", "a-b-c", "a_b.c", "A_b.c", "a_b.c"},
        {"\u00c9COLE-NEWS", "\u00e9cole-news", "\u00c9COLE-NEWS", "\u00c9cole News",
         "\u00e9cole-news"},
        {"it\u2019s\u2014new", "it-s-new", "it-s-new", "It\u2019s\u2014new", "it\u2019s\u2014new"},
        {"cafe\u0301", "cafe\u0301", "cafe\u0301", "Cafe\u0301", "cafe\u0301"},
        {"\u65e5\u672c\u8a9e \u30cb\u30e5\u30fc\u30b9",
         "\u65e5\u672c\u8a9e-\u30cb\u30e5\u30fc\u30b9",
         "\u65e5\u672c\u8a9e-\u30cb\u30e5\u30fc\u30b9",
         "\u65e5\u672c\u8a9e \u30cb\u30e5\u30fc\u30b9",
         "\u65e5\u672c\u8a9e \u30cb\u30e5\u30fc\u30b9"},
        {"emoji \U0001F600 here", "emoji-here", "emoji-here", "Emoji \U0001F600 here",
         "emoji \U0001F600 here"},
        {"\u4e8c\u3007\u4e8c\u4e09", "\u4e8c-\u4e8c\u4e09", "\u4e8c-\u4e8c\u4e09",
         "\u4e8c\u3007\u4e8c\u4e09", "\u4e8c\u3007\u4e8c\u4e09"},
        {"\u0130stanbul", "i\u0307stanbul", "\u0130stanbul", "\u0130stanbul", "i\u0307stanbul"},
        {"\u216b \u24b6 b", "b", "b", "\u216b \u24d0 b", "\u217b \u24d0 b"},
        {"\u0928\u092e\u0938\u094d\u0924\u0947", "\u0928\u092e\u0938\u094d\u0924\u0947",
         "\u0928\u092e\u0938\u094d\u0924\u0947", "\u0928\u092e\u0938\u094d\u0924\u0947",
         "\u0928\u092e\u0938\u094d\u0924\u0947"},
        {"zero\u200bwidth", "zero-width", "zero-width", "Zero\u200bwidth", "zero\u200bwidth"},
        {"!!!", "", "!!!", "!!!", "!!!"},
        {"", "", "", "", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *got[4] = {post_slugify(cases[i][0]), post_slugify_pretty(cases[i][0]),
                        post_titleize(cases[i][0]), post_downcase(cases[i][0])};
        for (int k = 0; k < 4; k++) {
            CHECK_STR(got[k], cases[i][k + 1]);
            free(got[k]);
        }
    }
    char *bad = post_slugify("bad \xff\xfe utf8");
    CHECK_STR(bad, "bad-utf8");
    free(bad);
    CHECK(post_slugify(NULL) == NULL && post_titleize(NULL) == NULL, "NULL in, NULL out");
}

static void unit_permalink_check(void)
{
    struct parse_error err;
    CHECK(post_permalink_check(NULL, &err) == 0, "default");
    CHECK(post_permalink_check("pretty", &err) == 0, "pretty");
    CHECK(post_permalink_check("/:categories/:year/W:week/:short_day/:title:output_ext", &err) == 0,
          "weekdate template");
    CHECK(post_permalink_check("/:year/:month_:day/:slug", &err) == 0, "month_");
    CHECK(post_permalink_check("/:year/:bogus/:slug", &err) == ST_PARSE, "unknown");
    CHECK_STR(err.msg, "permalink: unknown placeholder :bogus");
}

/* ---- fixture cases ---- */

/* Finds the one post file under dir (skipping the case's own files). */
static int find_input(const char *dir, const char *rel, char *out, size_t n)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    DIR *d = opendir(path);
    if (!d)
        return -1;
    struct dirent *e;
    int found = -1;
    while (found && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (!*rel && (strcmp(e->d_name, "expected.json") == 0 ||
                      strcmp(e->d_name, "error.txt") == 0 || strcmp(e->d_name, "opts.json") == 0))
            continue;
        char sub[4096], full[8192];
        snprintf(sub, sizeof(sub), "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(full, sizeof(full), "%s/%s", dir, sub);
        struct stat st;
        if (stat(full, &st) != 0)
            continue;
        if (S_ISDIR(st.st_mode))
            found = find_input(dir, sub, out, n);
        else if (S_ISREG(st.st_mode)) {
            snprintf(out, n, "%s", sub);
            found = 0;
        }
    }
    closedir(d);
    return found;
}

static void trim(char *s)
{
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
        s[--n] = '\0';
}

static void run_case(const char *root, const char *name)
{
    char dir[4096], rel[4096], path[8192];
    snprintf(dir, sizeof(dir), "%s/%s", root, name);
    if (find_input(dir, "", rel, sizeof(rel)) != 0) {
        CHECK(0, "%s: no input file", name);
        return;
    }
    struct parse_opts opts = {0};
    json_t *oj = NULL;
    snprintf(path, sizeof(path), "%s/opts.json", dir);
    if (access(path, R_OK) == 0) {
        oj = json_load_file(path, 0, NULL);
        CHECK(oj != NULL, "%s: bad opts.json", name);
        opts.tz_offset = (int)json_integer_value(json_object_get(oj, "tz_offset"));
        opts.permalink = json_string_value(json_object_get(oj, "permalink"));
    }
    size_t len;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    char *buf = read_file(path, &len);
    CHECK(buf != NULL, "%s: cannot read %s", name, path);
    if (!buf)
        goto out;

    struct post p;
    struct parse_error err;
    int rc = post_parse(rel, buf, len, &opts, &p, &err);

    size_t elen;
    snprintf(path, sizeof(path), "%s/error.txt", dir);
    char *want_err = read_file(path, &elen);
    if (want_err) {
        trim(want_err);
        char got[512];
        if (rc == ST_SKIP)
            snprintf(got, sizeof(got), "skip");
        else if (rc == ST_PARSE)
            snprintf(got, sizeof(got), "%d:%d: %s", err.line, err.col, err.msg);
        else
            snprintf(got, sizeof(got), "rc %d", rc);
        CHECK(strcmp(got, want_err) == 0, "%s: got \"%s\", want \"%s\"", name, got, want_err);
        free(want_err);
    } else {
        snprintf(path, sizeof(path), "%s/expected.json", dir);
        json_error_t jerr;
        json_t *want = json_load_file(path, 0, &jerr);
        CHECK(want != NULL, "%s: expected.json: %s", name, jerr.text);
        CHECK(rc == 0, "%s: rc %d: %d:%d: %s", name, rc, err.line, err.col, err.msg);
        if (want && rc == 0) {
            json_t *got = post_to_json(&p);
            const char *key;
            json_t *wv;
            json_object_foreach(want, key, wv)
            {
                json_t *gv = json_object_get(got, key);
                if (!gv || !json_equal(gv, wv)) {
                    char *gs = gv ? json_dumps(gv, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) : NULL;
                    char *ws = json_dumps(wv, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
                    CHECK(0, "%s: key %s\n  got  %s\n  want %s", name, key, gs ? gs : "(missing)",
                          ws);
                    free(gs);
                    free(ws);
                }
            }
            json_decref(got);
        }
        json_decref(want);
    }
    if (rc == 0)
        post_clear(&p);
    free(buf);
out:
    json_decref(oj);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the entries of dir (no dot files). */
static char **list_dir(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            v = realloc(v, cap * sizeof(*v));
            if (!v)
                exit(2);
        }
        v[(*n)++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(v, *n, sizeof(*v), cmp_str);
    return v;
}

static int run_fixtures(const char *root)
{
    unit_name();
    unit_dates_and_domains();
    unit_json_shapes();
    unit_text();
    unit_permalink_check();
    size_t n;
    char **cases = list_dir(root, &n);
    CHECK(cases != NULL, "cannot list %s: %s", root, strerror(errno));
    for (size_t i = 0; cases && i < n; i++) {
        run_case(root, cases[i]);
        free(cases[i]);
    }
    free(cases);
    printf("%zu fixture cases, %d failure(s)\n", cases ? n : 0, failures);
    return failures ? 1 : 0;
}

/* Every real post parses; the counts and one known post are checked. */
static int run_corpus(const char *root)
{
    size_t n, parsed = 0, with_carousel = 0, questions = 0;
    char **names = list_dir(root, &n);
    if (!names) {
        printf("corpus %s absent: skipped\n", root);
        return 77;
    }
    for (size_t i = 0; i < n; i++) {
        char path[8192];
        size_t len;
        snprintf(path, sizeof(path), "%s/%s", root, names[i]);
        char *buf = read_file(path, &len);
        CHECK(buf != NULL, "cannot read %s", path);
        struct post p;
        struct parse_error err;
        int rc = buf ? post_parse(names[i], buf, len, NULL, &p, &err) : -1;
        CHECK(rc == 0, "%s: rc %d: %d:%d: %s", names[i], rc, err.line, err.col, err.msg);
        if (rc == 0) {
            parsed++;
            CHECK(p.title && *p.title, "%s: no title", names[i]);
            CHECK(p.n_tags >= 1, "%s: no tags", names[i]);
            CHECK(p.author && p.layout && p.description && p.image, "%s: field missing", names[i]);
            CHECK(p.body_html && p.word_count > 0, "%s: empty body", names[i]);
            if (p.n_carousel) {
                with_carousel++;
                CHECK(p.n_sources > 0 && p.n_domains > 0, "%s: sources", names[i]);
                for (size_t k = 0; k < p.n_carousel; k++)
                    CHECK(p.carousel[k].link && p.carousel[k].domain, "%s: carousel %zu", names[i],
                          k);
            }
            questions += p.n_questions;
            post_clear(&p);
        }
        free(buf);
        free(names[i]);
    }
    free(names);
    printf("corpus: %zu files, %zu parsed, %zu with carousel, %zu questions, %d failure(s)\n", n,
           parsed, with_carousel, questions, failures);
    CHECK(n == parsed, "%zu of %zu parsed", parsed, n);
    CHECK(with_carousel == 220, "%zu posts with a carousel", with_carousel);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s fixtures|corpus DIR\n", argv[0]);
        return 2;
    }
    if (strcmp(argv[1], "corpus") == 0)
        return run_corpus(argv[2]);
    return run_fixtures(argv[2]);
}
