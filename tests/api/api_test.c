/* The api tests' shared fixture: FX_N constructed posts with overlapping tags,
 * categories, authors, domains (including subdomains and "www."), several
 * posts per instant (keyset ties), a slug shared by two posts, titles shared
 * by several, and FX_FUTURE posts dated in the future; stored through the real
 * store into a real SQLite file. Plus the request plumbing of a server. */
#include "api_test.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ingest.h"

struct fx_post fx_posts[FX_N];

#define FX_BASE 1685577600 /* 2023-06-01T00:00:00Z */

static void fx_model(int64_t now)
{
    for (int i = 0; i < FX_N; i++) {
        struct fx_post *m = &fx_posts[i];
        memset(m, 0, sizeof(*m));
        m->future = i >= FX_N - FX_FUTURE;
        m->date_utc = m->future ? now + 30 * 86400 + i : FX_BASE + (int64_t)(i / 3) * 86400;
        m->offset = i % 2 ? -4 * 3600 : 0;
        if (i == 10 || i == 13)
            snprintf(m->slug, sizeof(m->slug), "shared-slug");
        else
            snprintf(m->slug, sizeof(m->slug), "post-%02d", i);
        time_t t = (time_t)m->date_utc;
        struct tm tm;
        gmtime_r(&t, &tm);
        char slug[sizeof(m->slug)];
        memcpy(slug, m->slug, sizeof(slug));
        snprintf(m->id, sizeof(m->id), "%04d-%02d-%02d-%s", tm.tm_year + 1900, tm.tm_mon + 1,
                 tm.tm_mday, slug);
        if (i % 10 == 5)
            snprintf(m->title, sizeof(m->title), "same title");
        else
            snprintf(m->title, sizeof(m->title), "post number %02d", i);
        if (i % 3 == 0)
            snprintf(m->author, sizeof(m->author), "Ann");
        else if (i % 3 == 1)
            snprintf(m->author, sizeof(m->author), "Bob");
        if (i % 2 == 0)
            m->tags[m->n_tags++] = "alpha";
        if (i % 3 == 0)
            m->tags[m->n_tags++] = "beta";
        if (i % 5 == 0)
            m->tags[m->n_tags++] = "gamma";
        if (i % 7 == 0)
            m->tags[m->n_tags++] = "North Korea";
        if (i % 2 == 1)
            m->categories[m->n_categories++] = "news";
        if (i % 4 == 0)
            m->categories[m->n_categories++] = "tech";
        if (i % 2 == 0) {
            m->urls[m->n_urls++] = "https://www.nytimes.com/a";
            m->domains[m->n_domains++] = "nytimes.com";
        }
        if (i % 3 == 0) {
            m->urls[m->n_urls++] = "https://news.bbc.co.uk/b";
            m->domains[m->n_domains++] = "news.bbc.co.uk";
        }
        if (i % 11 == 0) {
            m->urls[m->n_urls++] = "https://cooking.nytimes.com/c";
            m->domains[m->n_domains++] = "cooking.nytimes.com";
        }
        m->zebra = i % 4 == 1;
    }
}

static char **strv_dup(const char *const *v, size_t n)
{
    if (!n)
        return NULL;
    char **out = calloc(n, sizeof(char *));
    assert_non_null(out);
    for (size_t i = 0; i < n; i++) {
        out[i] = strdup(v[i]);
        assert_non_null(out[i]);
    }
    return out;
}

static char *xstrdup(const char *s)
{
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

void fx_post_fill(int i, struct post *p)
{
    const struct fx_post *m = &fx_posts[i];
    char buf[256];
    post_init(p);
    p->id = xstrdup(m->id);
    p->slug = xstrdup(m->slug);
    snprintf(buf, sizeof(buf), "/%.10s/%s.html", m->id, m->slug);
    p->url = xstrdup(buf);
    snprintf(buf, sizeof(buf), "_posts/%s.md", m->id);
    p->path = xstrdup(buf);
    p->layout = xstrdup("post");
    p->title = xstrdup(m->title);
    snprintf(buf, sizeof(buf), "Description of post %d%s", i, m->zebra ? " with a zebra" : "");
    p->description = xstrdup(buf);
    if (m->author[0])
        p->author = xstrdup(m->author);
    p->date_utc = m->date_utc;
    p->date_offset = m->offset;
    p->tags = strv_dup(m->tags, m->n_tags);
    p->n_tags = m->n_tags;
    p->categories = strv_dup(m->categories, m->n_categories);
    p->n_categories = m->n_categories;
    if (m->n_urls) {
        p->sources = calloc(m->n_urls, sizeof(*p->sources));
        assert_non_null(p->sources);
        for (size_t k = 0; k < m->n_urls; k++) {
            p->sources[k].url = xstrdup(m->urls[k]);
            p->sources[k].domain = xstrdup(m->domains[k]);
        }
        p->n_sources = m->n_urls;
    }
    p->domains = strv_dup(m->domains, m->n_domains);
    p->n_domains = m->n_domains;
    if (i % 2 == 0) {
        p->questions = calloc(1, sizeof(*p->questions));
        assert_non_null(p->questions);
        p->questions[0].question = xstrdup("Why?");
        p->questions[0].answer_html = xstrdup("<p>Because.</p>");
        p->questions[0].answer_text = xstrdup("Because.");
        p->n_questions = 1;
        p->summary_html = xstrdup("<p>A summary.</p>");
        p->summary_text = xstrdup("A summary.");
    }
    snprintf(buf, sizeof(buf), "<p>Body of post %d.</p>", i);
    p->body_html = xstrdup(buf);
    snprintf(buf, sizeof(buf), "Body of post %d.", i);
    p->body_text = xstrdup(buf);
    p->excerpt_html = xstrdup("<p>Body.</p>");
    p->word_count = 4;
    p->reading_minutes = 1;
    snprintf(buf, sizeof(buf), "{\"layout\":\"post\",\"n\":%d}", i);
    p->front_matter_json = xstrdup(buf);
}

char *fx_build(const char *dir, int64_t now, int64_t ingest_time)
{
    char path[4096];
    struct store *st = NULL;
    snprintf(path, sizeof(path), "%s/posts.db", dir);
    fx_model(now);
    assert_int_equal(store_open(&st, path, STORE_READWRITE), 0);
    assert_int_equal(store_begin(st), 0);
    for (int i = 0; i < FX_N; i++) {
        struct post p;
        fx_post_fill(i, &p);
        assert_int_equal(store_post_put(st, &p,
                                        "0123456789abcdef0123456789abcdef"
                                        "0123456789abcdef0123456789abcdef",
                                        ingest_time),
                         0);
        post_clear(&p);
    }
    assert_int_equal(store_commit(st, ingest_time), 0);
    store_close(st);
    return xstrdup(path);
}

char *fx_tmpdir(void)
{
    char tmpl[] = "/tmp/postd-api-test-XXXXXX";
    assert_non_null(mkdtemp(tmpl));
    return xstrdup(tmpl);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void fx_rmdir(const char *dir)
{
    if (dir)
        nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

const char *fx_samples_arg(int argc, char **argv)
{
    struct stat sb;
    if (argc < 2 || stat(argv[1], &sb) != 0 || !S_ISDIR(sb.st_mode)) {
        fprintf(stderr, "samples folder missing: skipped\n");
        return NULL;
    }
    return argv[1];
}

long fx_ingest(const char *db, const char *dir)
{
    struct store *st = NULL;
    assert_int_equal(store_open(&st, db, STORE_READWRITE), 0);
    const char *dirs[] = {dir};
    FILE *err = tmpfile();
    struct ingest_opts o = {.dirs = dirs, .n_dirs = 1, .jobs = 2, .err = err};
    struct ingest_stats s;
    int rc = ingest_run(st, &o, &s);
    assert_true(rc == 0 || rc == 1);
    fclose(err);
    store_close(st);
    return s.added + s.updated + s.unchanged;
}

struct api_ctx *t_ctx(const char *db, int show_future)
{
    struct api_config cfg = {
        .db_path = db,
        .cors_origin = "*",
        .cache_control = "public, max-age=60",
        .max_limit = 100,
        .default_limit = 20,
        .show_future = show_future,
        .cache_bytes = API_CACHE_BYTES_DEFAULT, /* every api test runs with the cache */
    };
    struct api_ctx *ctx = NULL;
    assert_int_equal(api_ctx_new(&ctx, &cfg), 0);
    return ctx;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes [s, s+n) into a new string; form decoding ('+' → ' ') when form. */
static char *decode(const char *s, size_t n, int form, int *bad)
{
    char *out = malloc(n + 1);
    assert_non_null(out);
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int a = i + 1 < n ? hexval(s[i + 1]) : -1, b = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (a < 0 || b < 0 || (a == 0 && b == 0)) {
                *bad = 1;
                break;
            }
            out[w++] = (char)(a * 16 + b);
            i += 2;
        } else if (form && s[i] == '+') {
            out[w++] = ' ';
        } else {
            out[w++] = s[i];
        }
    }
    out[w] = '\0';
    return out;
}

#define T_MAX_PARAMS 256

void t_do(struct api_ctx *ctx, const char *method, const char *target, const struct t_hdrs *h,
          struct api_response *res)
{
    struct api_param params[T_MAX_PARAMS];
    char *owned[2 * T_MAX_PARAMS + 1];
    size_t n_owned = 0, n_params = 0;
    int bad = 0;
    const char *qm = strchr(target, '?');
    size_t plen = qm ? (size_t)(qm - target) : strlen(target);
    char *path = decode(target, plen, 0, &bad);
    owned[n_owned++] = path;
    if (qm) {
        const char *p = qm + 1;
        while (*p) {
            const char *amp = strchr(p, '&');
            size_t len = amp ? (size_t)(amp - p) : strlen(p);
            if (len > 0) {
                const char *eq = memchr(p, '=', len);
                size_t nl = eq ? (size_t)(eq - p) : len;
                assert_true(n_params < T_MAX_PARAMS);
                char *name = decode(p, nl, 1, &bad);
                char *value = eq ? decode(eq + 1, len - nl - 1, 1, &bad) : decode("", 0, 1, &bad);
                owned[n_owned++] = name;
                owned[n_owned++] = value;
                params[n_params].name = name;
                params[n_params].value = value;
                n_params++;
            }
            if (!amp)
                break;
            p = amp + 1;
        }
    }
    struct api_request req = {
        .method = method,
        .path = path,
        .target = target,
        .params = params,
        .n_params = n_params,
        .bad_encoding = bad,
    };
    if (h) {
        req.if_none_match = h->if_none_match;
        req.if_modified_since = h->if_modified_since;
        req.accept_encoding = h->accept_encoding;
        req.origin = h->origin;
        req.request_id = h->request_id;
        req.acr_method = h->acr_method;
        req.acr_headers = h->acr_headers;
    }
    memset(res, 0, sizeof(*res));
    api_handle(ctx, &req, res);
    for (size_t i = 0; i < n_owned; i++)
        free(owned[i]);
}

json_t *t_body(const struct api_response *res)
{
    assert_non_null(res->body);
    json_error_t err;
    json_t *j = json_loadb(res->body, res->body_len, 0, &err);
    if (!j)
        fail_msg("body is not JSON (%s): %.*s", err.text, (int)res->body_len, res->body);
    return j;
}

json_t *t_get_json(struct api_ctx *ctx, const char *target, int status)
{
    struct api_response res;
    t_do(ctx, "GET", target, NULL, &res);
    if (res.status != status)
        fail_msg("GET %s: status %d, expected %d: %.*s", target, res.status, status,
                 (int)res.body_len, res.body ? res.body : "");
    json_t *j = res.body ? t_body(&res) : NULL;
    api_response_clear(&res);
    return j;
}

const char *t_header(const struct api_response *res, const char *name)
{
    for (size_t i = 0; i < res->n_headers; i++)
        if (strcasecmp(res->headers[i].name, name) == 0)
            return res->headers[i].value;
    return NULL;
}

void t_assert_invalid(const struct api_response *res, const char *param)
{
    if (res->status != 400)
        fail_msg("expected 400 naming %s, got %d: %.*s", param, res->status, (int)res->body_len,
                 res->body ? res->body : "");
    assert_string_equal(res->content_type, "application/problem+json");
    json_t *j = t_body(res);
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 400);
    json_t *inv = json_object_get(j, "invalid_params");
    assert_true(json_is_array(inv));
    size_t i;
    json_t *it;
    int found = 0;
    json_array_foreach(inv, i, it)
    {
        assert_true(json_is_string(json_object_get(it, "reason")));
        if (json_is_string(json_object_get(it, "name")) &&
            strcmp(json_string_value(json_object_get(it, "name")), param) == 0)
            found = 1;
    }
    if (!found)
        fail_msg("invalid_params does not name %s: %.*s", param, (int)res->body_len, res->body);
    json_decref(j);
}

int fx_setup_db(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    f->now = (int64_t)time(NULL);
    f->ingest_time = f->now - 100;
    f->dir = fx_tmpdir();
    f->db = fx_build(f->dir, f->now, f->ingest_time);
    *state = f;
    return 0;
}

int fx_setup(void **state)
{
    if (fx_setup_db(state) != 0)
        return -1;
    struct fx *f = *state;
    f->ctx = t_ctx(f->db, 0);
    return 0;
}

int fx_teardown(void **state)
{
    struct fx *f = *state;
    api_ctx_free(f->ctx);
    fx_rmdir(f->dir);
    free(f->dir);
    free(f->db);
    free(f);
    return 0;
}
