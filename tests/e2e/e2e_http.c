/* End-to-end: the real postd binary ingests the e2e fixture posts (and the bundled
 * samples when present) into a temporary database, serves it on a loopback port the
 * kernel picks, and real HTTP requests check API.md §1–§4: lists with composed
 * filters against what the full card list says, a cursor walk without duplicates
 * or gaps, tags by name and slug, domains with www. and subdomains, caching and 304,
 * gzip, CORS, HEAD, 405/404/300/400 problems, the operations endpoints, the access
 * log, a reingest while serving, config reaching the API, and a graceful SIGTERM.
 *
 * usage: e2e_http POSTD FIXTURE_POSTS [SAMPLE_POSTS] */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <time.h>

#include "e2e_util.h"

static const char *postd;
static char *dir, *posts, *db, *config_empty;
static const char *samples; /* the bundled samples, NULL when absent */
static struct e2e_server srv;
static const char *base;

/* ---- small helpers ---------------------------------------------------------- */

static const char *jstr(json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

static int64_t parse_utc(const char *s)
{
    struct tm tm = {0};
    int n = 0;
    if (!s)
        return INT64_MIN;
    if (sscanf(s, "%d-%d-%dT%d:%d:%d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) < 3 &&
        sscanf(s, "%d-%d-%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday) != 3)
        return INT64_MIN;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    int64_t t = (int64_t)timegm(&tm);
    if (n > 0) {
        const char *z = s + n;
        while (*z == '.' || (*z >= '0' && *z <= '9'))
            z++;
        if (*z == '+' || *z == '-') {
            int h = 0, m = 0;
            sscanf(z + 1, "%d:%d", &h, &m);
            t -= (*z == '-' ? -1 : 1) * (h * 3600 + m * 60);
        }
    }
    return t;
}

/* Jekyll's default slugify, written again here so the test does not borrow the
 * implementation it checks. */
static void slugify(const char *s, char *out, size_t len)
{
    size_t w = 0;
    int dash = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p && w + 2 < len; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p >= 0x80) {
            if (dash && w)
                out[w++] = '-';
            dash = 0;
            out[w++] = (char)*p;
        } else if (*p >= 'A' && *p <= 'Z') {
            if (dash && w)
                out[w++] = '-';
            dash = 0;
            out[w++] = (char)(*p - 'A' + 'a');
        } else {
            dash = 1;
        }
    }
    out[w] = '\0';
}

static int has_string(json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
            return 1;
    }
    return 0;
}

static int set_has(json_t *cards, const char *id)
{
    size_t i;
    json_t *c;
    json_array_foreach(cards, i, c)
    {
        if (jstr(c, "id") && strcmp(jstr(c, "id"), id) == 0)
            return 1;
    }
    return 0;
}

static int contains_ci(const char *hay, const char *needle)
{
    return hay && strcasestr(hay, needle) != NULL;
}

/* ---- the list walk ------------------------------------------------------------ */

/* Follows meta.next_cursor from the first page of /v1/posts?query to the end.
 * Checks that total stays the same, that no id comes twice, and that the number of
 * cards is the total. Returns the cards (new reference). */
static json_t *walk(const char *query, int limit, int64_t *total_out)
{
    json_t *all = json_array(), *seen = json_object();
    char *cursor = NULL;
    int64_t total = -1;
    int pages = 0;

    for (; pages < 5000; pages++) {
        char path[4096];
        char *esc = cursor ? e2e_escape(cursor) : NULL;
        snprintf(path, sizeof path, "/v1/posts?%s%slimit=%d%s%s", query, *query ? "&" : "", limit,
                 esc ? "&cursor=" : "", esc ? esc : "");
        free(esc);
        json_t *v = e2e_get_json(base, path);
        if (!v)
            break;
        json_t *data = json_object_get(v, "data"), *meta = json_object_get(v, "meta");
        CHECK(json_is_array(data) && json_is_object(meta), "%s: no data/meta", path);
        int64_t t = json_integer_value(json_object_get(meta, "total"));
        if (total < 0)
            total = t;
        CHECK(t == total, "%s: total changed from %lld to %lld", path, (long long)total,
              (long long)t);
        CHECK(json_array_size(data) <= (size_t)limit, "%s: %zu items over limit", path,
              json_array_size(data));
        size_t i;
        json_t *c;
        json_array_foreach(data, i, c)
        {
            const char *id = jstr(c, "id");
            CHECK(id != NULL, "%s: a card without id", path);
            if (!id)
                continue;
            CHECK(json_object_get(seen, id) == NULL, "%s: %s came twice", path, id);
            json_object_set_new(seen, id, json_true());
            json_array_append(all, c);
        }
        json_t *next = json_object_get(meta, "next_cursor");
        size_t n = json_array_size(data);
        free(cursor);
        cursor = json_is_string(next) ? strdup(json_string_value(next)) : NULL;
        json_decref(v);
        if (!cursor)
            break;
        CHECK(n > 0, "%s: empty page with a next_cursor", path);
    }
    free(cursor);
    CHECK(total >= 0 && (int64_t)json_array_size(all) == total,
          "walk of '%s': %zu cards, total %lld", query, json_array_size(all), (long long)total);
    json_decref(seen);
    if (total_out)
        *total_out = total;
    return all;
}

struct filter {
    const char *tag[4];
    const char *domain[4];
    const char *author[4];
    const char *after, *before;
};

static int card_has_tag(json_t *card, const char *want)
{
    char a[256], b[256];
    size_t i;
    json_t *t;
    slugify(want, b, sizeof b);
    json_array_foreach(json_object_get(card, "tags"), i, t)
    {
        const char *name = json_string_value(t);
        if (!name)
            continue;
        slugify(name, a, sizeof a);
        if (strcasecmp(name, want) == 0 || strcmp(a, want) == 0 || strcasecmp(b, name) == 0)
            return 1;
    }
    return 0;
}

static int card_has_domain(json_t *card, const char *want)
{
    char w[256];
    size_t i;
    json_t *d;
    snprintf(w, sizeof w, "%s", strncasecmp(want, "www.", 4) == 0 ? want + 4 : want);
    size_t wl = strlen(w);
    json_array_foreach(json_object_get(card, "domains"), i, d)
    {
        const char *name = json_string_value(d);
        size_t nl = name ? strlen(name) : 0;
        if (!name)
            continue;
        if (strcasecmp(name, w) == 0 ||
            (nl > wl && name[nl - wl - 1] == '.' && strcasecmp(name + nl - wl, w) == 0))
            return 1;
    }
    return 0;
}

static int card_matches(json_t *card, const struct filter *f)
{
    int ok;
    if (f->tag[0]) {
        ok = 0;
        for (int i = 0; i < 4 && f->tag[i]; i++)
            ok |= card_has_tag(card, f->tag[i]);
        if (!ok)
            return 0;
    }
    if (f->domain[0]) {
        ok = 0;
        for (int i = 0; i < 4 && f->domain[i]; i++)
            ok |= card_has_domain(card, f->domain[i]);
        if (!ok)
            return 0;
    }
    if (f->author[0]) {
        ok = 0;
        for (int i = 0; i < 4 && f->author[i]; i++)
            ok |= jstr(card, "author") && strcasecmp(jstr(card, "author"), f->author[i]) == 0;
        if (!ok)
            return 0;
    }
    int64_t t = parse_utc(jstr(card, "date_utc"));
    if (f->after && t < parse_utc(f->after))
        return 0;
    if (f->before && t >= parse_utc(f->before))
        return 0;
    return 1;
}

/* Builds the query string of f (values percent-encoded). */
static void filter_query(const struct filter *f, char *buf, size_t len)
{
    size_t w = 0;
    buf[0] = '\0';
    struct {
        const char *name;
        const char *const *v;
        int n;
    } lists[] = {{"tag", f->tag, 4},
                 {"domain", f->domain, 4},
                 {"author", f->author, 4},
                 {"after", &f->after, 1},
                 {"before", &f->before, 1}};
    for (size_t l = 0; l < sizeof lists / sizeof *lists; l++) {
        for (int i = 0; i < lists[l].n && lists[l].v[i]; i++) {
            char *e = e2e_escape(lists[l].v[i]);
            w += (size_t)snprintf(buf + w, len - w, "%s%s=%s", w ? "&" : "", lists[l].name, e);
            free(e);
        }
    }
}

/* The list with filter f must hold exactly the cards of all that match f. */
static json_t *check_filter(json_t *all, const struct filter *f, const char *label)
{
    char q[2048];
    int64_t total = -1;
    filter_query(f, q, sizeof q);
    json_t *got = walk(q, 3, &total);
    size_t expected = 0, i;
    json_t *c;
    json_array_foreach(all, i, c)
    {
        if (!card_matches(c, f))
            continue;
        expected++;
        CHECK(set_has(got, jstr(c, "id")), "%s (%s): %s missing", label, q, jstr(c, "id"));
    }
    json_array_foreach(got, i, c)
    {
        CHECK(card_matches(c, f), "%s (%s): %s should not match", label, q, jstr(c, "id"));
    }
    CHECK(total == (int64_t)expected, "%s (%s): total %lld, expected %zu", label, q,
          (long long)total, expected);
    return got;
}

/* ---- the checks --------------------------------------------------------------- */

static json_t *all_cards;

static void test_list_walk(void)
{
    int64_t total = -1;
    all_cards = walk("", 7, &total);
    CHECK(total >= 8, "only %lld posts visible", (long long)total);

    /* newest first; the future post is hidden */
    size_t i;
    json_t *c;
    int64_t prev = INT64_MAX;
    json_array_foreach(all_cards, i, c)
    {
        int64_t t = parse_utc(jstr(c, "date_utc"));
        CHECK(t != INT64_MIN, "%s: bad date_utc", jstr(c, "id"));
        CHECK(t <= prev, "%s is newer than the card before it", jstr(c, "id"));
        prev = t;
        json_t *links = json_object_get(c, "links");
        char self[512];
        snprintf(self, sizeof self, "/v1/posts/%s", jstr(c, "id"));
        CHECK(jstr(links, "self") && strcmp(jstr(links, "self"), self) == 0, "%s: links.self",
              jstr(c, "id"));
    }
    CHECK(!set_has(all_cards, "2999-01-01-e2e-future"), "a future post is listed");
    CHECK(set_has(all_cards, "2023-09-16-putin-kim-summit"), "the reference post is missing");
    CHECK(set_has(all_cards, "2021-07-01-e2e-folder"), "the folder post is missing");

    /* page mode gives the same sequence */
    int pages = 0;
    size_t at = 0;
    for (int page = 1; page < 1000; page++) {
        char path[128];
        snprintf(path, sizeof path, "/v1/posts?limit=7&page=%d", page);
        json_t *v = e2e_get_json(base, path);
        if (!v)
            break;
        json_t *meta = json_object_get(v, "meta"), *data = json_object_get(v, "data");
        pages = (int)json_integer_value(json_object_get(meta, "pages"));
        CHECK(json_integer_value(json_object_get(meta, "page")) == page, "%s: meta.page", path);
        json_array_foreach(data, i, c)
        {
            json_t *w = json_array_get(all_cards, at++);
            CHECK(w && strcmp(jstr(c, "id"), jstr(w, "id")) == 0,
                  "%s: item %zu is %s, cursor walk had %s", path, i, jstr(c, "id"),
                  w ? jstr(w, "id") : "nothing");
        }
        size_t n = json_array_size(data);
        json_decref(v);
        if (page >= pages) {
            CHECK(n > 0, "%s: last page is empty", path);
            break;
        }
    }
    CHECK(at == json_array_size(all_cards), "page walk saw %zu of %zu", at,
          json_array_size(all_cards));
    CHECK(pages == (int)((total + 6) / 7), "meta.pages %d for total %lld", pages, (long long)total);

    /* a page past the end: 200 with empty data */
    char path[128];
    snprintf(path, sizeof path, "/v1/posts?limit=7&page=%d", pages + 3);
    json_t *v = e2e_get_json(base, path);
    CHECK(v && json_array_size(json_object_get(v, "data")) == 0, "%s: not empty", path);
    json_decref(v);

    /* headers of a list page */
    struct e2e_resp r;
    if (e2e_http(base, "GET", "/v1/posts?limit=2", NULL, NULL, 0, &r) == 0) {
        const char *xtc = e2e_header(&r, "X-Total-Count");
        CHECK(xtc && atoll(xtc) == total, "X-Total-Count %s, total %lld", xtc ? xtc : "none",
              (long long)total);
        const char *link = e2e_header(&r, "Link");
        CHECK(link && strstr(link, "rel=\"next\""), "Link without rel=next: %s",
              link ? link : "none");
        CHECK(contains_ci(e2e_header(&r, "Content-Type"), "application/json"), "Content-Type %s",
              e2e_header(&r, "Content-Type"));
        json_t *body = e2e_json(&r);
        json_t *links = json_object_get(body, "links");
        CHECK(jstr(links, "self") && jstr(links, "next") && jstr(links, "first"),
              "links.self/next/first missing");
        json_decref(body);
    }
    e2e_resp_clear(&r);

    /* readyz counts the same posts */
    v = e2e_get_json(base, "/readyz");
    CHECK(v && strcmp(jstr(v, "status") ? jstr(v, "status") : "", "ready") == 0, "readyz status");
    CHECK(v && json_integer_value(json_object_get(v, "posts")) == total, "readyz posts %lld",
          (long long)json_integer_value(json_object_get(v, "posts")));
    CHECK(v && json_is_integer(json_object_get(v, "generation")), "readyz generation");
    json_decref(v);
}

static void test_filters(void)
{
    struct filter fs[] = {
        {.tag = {"world news"}},
        {.tag = {"world-news"}, .domain = {"nytimes.com"}},
        {.tag = {"World News"},
         .author = {"winston"},
         .after = "2021-01-01",
         .before = "2022-01-01"},
        {.tag = {"technology", "politics"}},
        {.domain = {"nytimes.com", "bbc.co.uk"}},
        {.author = {"alice"}, .after = "2021-04-01"},
        {.tag = {"WORLD NEWS"},
         .domain = {"www.nytimes.com"},
         .author = {"WINSTON"},
         .after = "2021-04-10T12:00:00Z",
         .before = "2021-06-16"},
        {.author = {"tanner", "alice"}, .before = "2021-06-01T00:00:00-05:00"},
    };
    for (size_t i = 0; i < sizeof fs / sizeof *fs; i++) {
        char label[32];
        snprintf(label, sizeof label, "filter %zu", i);
        json_decref(check_filter(all_cards, &fs[i], label));
    }

    /* facts of the fixtures, so the matcher above cannot be wrong the same way */
    struct filter nyt = {.domain = {"nytimes.com"}};
    json_t *got = check_filter(all_cards, &nyt, "nytimes.com");
    CHECK(set_has(got, "2021-03-02-e2e-cooking"), "a subdomain (cooking.nytimes.com) must match");
    CHECK(set_has(got, "2023-09-16-putin-kim-summit"), "www.nytimes.com must match");
    CHECK(!set_has(got, "2021-03-03-e2e-not-nyt"), "notnytimes.com must not match nytimes.com");
    json_decref(got);
    struct filter www = {.domain = {"www.nytimes.com"}};
    got = check_filter(all_cards, &www, "www.nytimes.com");
    CHECK(set_has(got, "2021-03-02-e2e-cooking"), "www. is ignored in the filter");
    json_decref(got);

    /* one tag by name, slug and case: one total, which /v1/tags also says */
    const char *spellings[] = {"world%20news", "World%20News", "world-news", "WORLD-NEWS",
                               "world+news"};
    int64_t first = -1;
    for (size_t i = 0; i < sizeof spellings / sizeof *spellings; i++) {
        char path[128];
        snprintf(path, sizeof path, "/v1/posts?limit=1&tag=%s", spellings[i]);
        json_t *v = e2e_get_json(base, path);
        int64_t t = json_integer_value(json_object_get(json_object_get(v, "meta"), "total"));
        if (first < 0)
            first = t;
        CHECK(t == first && t >= 4, "%s: total %lld, first spelling %lld", path, (long long)t,
              (long long)first);
        json_decref(v);
    }
    int64_t tag_count = -1;
    for (int page = 1; page < 100 && tag_count < 0; page++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/tags?limit=100&page=%d", page);
        json_t *v = e2e_get_json(base, path);
        json_t *data = json_object_get(v, "data"), *t;
        size_t i;
        json_array_foreach(data, i, t)
        {
            if (!jstr(t, "name") || strcasecmp(jstr(t, "name"), "world news") != 0)
                continue;
            tag_count = json_integer_value(json_object_get(t, "count"));
            CHECK(jstr(t, "slug") && strcmp(jstr(t, "slug"), "world-news") == 0, "tag slug %s",
                  jstr(t, "slug"));
        }
        size_t n = json_array_size(data);
        json_decref(v);
        if (n == 0)
            break;
    }
    CHECK(tag_count == first, "/v1/tags says %lld posts for world news, the list %lld",
          (long long)tag_count, (long long)first);

    /* the fixed-filter endpoints agree with the query parameters */
    struct {
        const char *path, *query;
    } same[] = {
        {"/v1/tags/world-news/posts?limit=1", "/v1/posts?limit=1&tag=world-news"},
        {"/v1/tags/World%20News/posts?limit=1", "/v1/posts?limit=1&tag=world-news"},
        {"/v1/authors/winston/posts?limit=1", "/v1/posts?limit=1&author=winston"},
        {"/v1/domains/nytimes.com/posts?limit=1", "/v1/posts?limit=1&domain=nytimes.com"},
    };
    for (size_t i = 0; i < sizeof same / sizeof *same; i++) {
        json_t *a = e2e_get_json(base, same[i].path), *b = e2e_get_json(base, same[i].query);
        int64_t ta = json_integer_value(json_object_get(json_object_get(a, "meta"), "total"));
        int64_t tb = json_integer_value(json_object_get(json_object_get(b, "meta"), "total"));
        CHECK(a && b && ta == tb && ta > 0, "%s total %lld, %s total %lld", same[i].path,
              (long long)ta, same[i].query, (long long)tb);
        json_decref(a);
        json_decref(b);
    }
    const char *unknown[] = {"/v1/tags/no-such-tag-e2e/posts", "/v1/authors/nobody-e2e/posts",
                             "/v1/domains/no-such-domain-e2e.example/posts"};
    for (size_t i = 0; i < 3; i++) {
        struct e2e_resp r;
        if (e2e_http(base, "GET", unknown[i], NULL, NULL, 0, &r) == 0)
            CHECK(r.status == 404, "%s: %ld", unknown[i], r.status);
        e2e_resp_clear(&r);
    }

    /* the term lists have their shapes */
    const char *terms[] = {"/v1/tags", "/v1/authors", "/v1/categories", "/v1/domains"};
    for (size_t i = 0; i < 4; i++) {
        json_t *v = e2e_get_json(base, terms[i]);
        json_t *t0 = json_array_get(json_object_get(v, "data"), 0);
        CHECK(t0 && json_is_integer(json_object_get(t0, "count")), "%s: no count", terms[i]);
        CHECK(t0 && (jstr(t0, "name") || jstr(t0, "domain")), "%s: no name/domain", terms[i]);
        json_decref(v);
    }
    json_t *v = e2e_get_json(base, "/v1/categories?limit=100");
    int found = 0;
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(v, "data"), i, t)
    {
        found |= jstr(t, "name") && strcmp(jstr(t, "name"), "tech") == 0;
    }
    CHECK(found, "the folder category tech is not in /v1/categories");
    json_decref(v);
}

static void test_single_post(void)
{
    json_t *v = e2e_get_json(base, "/v1/posts/2023-09-16-putin-kim-summit");
    json_t *p = json_object_get(v, "data");
    CHECK(jstr(p, "id") && strcmp(jstr(p, "id"), "2023-09-16-putin-kim-summit") == 0, "id");
    CHECK(jstr(p, "slug") && strcmp(jstr(p, "slug"), "putin-kim-summit") == 0, "slug %s",
          jstr(p, "slug"));
    CHECK(jstr(p, "author") && strcmp(jstr(p, "author"), "winston") == 0, "author");
    CHECK(jstr(p, "date") && strcmp(jstr(p, "date"), "2023-09-16T01:55:02-04:00") == 0, "date %s",
          jstr(p, "date"));
    CHECK(jstr(p, "date_utc") && strcmp(jstr(p, "date_utc"), "2023-09-16T05:55:02Z") == 0,
          "date_utc %s", jstr(p, "date_utc"));
    CHECK(jstr(p, "title") &&
              strncmp(jstr(p, "title"), "How does the summit between Putin", 33) == 0,
          "title %s", jstr(p, "title"));
    CHECK(json_array_size(json_object_get(p, "tags")) == 1 &&
              has_string(json_object_get(p, "tags"), "world news"),
          "tags");
    CHECK(json_array_size(json_object_get(p, "sources")) == 10, "sources: %zu",
          json_array_size(json_object_get(p, "sources")));
    CHECK(has_string(json_object_get(p, "domains"), "nytimes.com"), "domains without nytimes.com");
    CHECK(json_array_size(json_object_get(p, "carousel")) > 0, "carousel");
    CHECK(json_array_size(json_object_get(p, "questions")) > 0, "questions");
    CHECK(jstr(p, "body_html") && strlen(jstr(p, "body_html")) > 100, "body_html");
    CHECK(json_is_object(json_object_get(p, "front_matter")), "front_matter");
    const char *keys[] = {"url",          "path",       "layout",          "description",
                          "image",        "categories", "summary_html",    "summary_text",
                          "excerpt_html", "word_count", "reading_minutes", "updated_at"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        CHECK(json_object_get(p, keys[i]) != NULL, "key %s absent", keys[i]);
    json_decref(v);

    /* by slug, when unique */
    v = e2e_get_json(base, "/v1/posts/putin-kim-summit");
    CHECK(jstr(json_object_get(v, "data"), "id") &&
              strcmp(jstr(json_object_get(v, "data"), "id"), "2023-09-16-putin-kim-summit") == 0,
          "by slug");
    json_decref(v);

    struct e2e_resp r;
    /* a shared slug: 300 listing both */
    if (e2e_http(base, "GET", "/v1/posts/article_metadata", NULL, NULL, 0, &r) == 0) {
        CHECK(r.status == 300, "shared slug: %ld", r.status);
        CHECK(contains_ci(e2e_header(&r, "Content-Type"), "application/problem+json"),
              "300 Content-Type %s", e2e_header(&r, "Content-Type"));
        CHECK(strstr(r.body, "2021-04-10-article_metadata") &&
                  strstr(r.body, "2021-05-20-article_metadata"),
              "300 body does not list both: %s", r.body);
    }
    e2e_resp_clear(&r);
    /* unknown and future posts: 404 problem */
    const char *missing[] = {"/v1/posts/no-such-post-e2e", "/v1/posts/2999-01-01-e2e-future",
                             "/nope"};
    for (size_t i = 0; i < 3; i++) {
        if (e2e_http(base, "GET", missing[i], NULL, NULL, 0, &r) == 0) {
            CHECK(r.status == 404, "%s: %ld", missing[i], r.status);
            CHECK(contains_ci(e2e_header(&r, "Content-Type"), "application/problem+json"),
                  "%s: Content-Type %s", missing[i], e2e_header(&r, "Content-Type"));
            json_t *pb = e2e_json(&r);
            CHECK(json_integer_value(json_object_get(pb, "status")) == 404 && jstr(pb, "title"),
                  "%s: problem body %s", missing[i], r.body);
            CHECK(e2e_header(&r, "X-Request-Id") != NULL, "%s: no X-Request-Id", missing[i]);
            json_decref(pb);
        }
        e2e_resp_clear(&r);
    }
}

static void test_caching(void)
{
    const char *paths[] = {"/v1/posts?limit=5", "/v1/posts/2023-09-16-putin-kim-summit",
                           "/v1/tags"};
    for (size_t i = 0; i < 3; i++) {
        struct e2e_resp r, r2;
        char etag[512] = "", lm[128] = "", h1[600], h2[200];
        if (e2e_http(base, "GET", paths[i], NULL, NULL, 0, &r) != 0)
            continue;
        CHECK(r.status == 200, "%s: %ld", paths[i], r.status);
        const char *e = e2e_header(&r, "ETag"), *l = e2e_header(&r, "Last-Modified");
        const char *cc = e2e_header(&r, "Cache-Control");
        CHECK(e && e[0] == '"', "%s: strong ETag expected, got %s", paths[i], e ? e : "none");
        CHECK(l != NULL, "%s: no Last-Modified", paths[i]);
        CHECK(cc && strcmp(cc, "public, max-age=60") == 0, "%s: Cache-Control %s", paths[i],
              cc ? cc : "none");
        CHECK(contains_ci(e2e_header(&r, "Vary"), "Accept-Encoding"), "%s: Vary %s", paths[i],
              e2e_header(&r, "Vary"));
        snprintf(etag, sizeof etag, "%s", e ? e : "");
        snprintf(lm, sizeof lm, "%s", l ? l : "");
        e2e_resp_clear(&r);

        snprintf(h1, sizeof h1, "If-None-Match: %s", etag);
        const char *hdr[] = {h1, NULL};
        if (e2e_http(base, "GET", paths[i], hdr, NULL, 0, &r2) == 0) {
            CHECK(r2.status == 304, "%s If-None-Match: %ld", paths[i], r2.status);
            CHECK(r2.len == 0, "%s: 304 with a body", paths[i]);
            const char *e2 = e2e_header(&r2, "ETag");
            CHECK(e2 && strcmp(e2, etag) == 0, "%s: 304 ETag %s", paths[i], e2 ? e2 : "none");
        }
        e2e_resp_clear(&r2);

        const char *other[] = {"If-None-Match: \"not-the-etag\"", NULL};
        if (e2e_http(base, "GET", paths[i], other, NULL, 0, &r2) == 0)
            CHECK(r2.status == 200, "%s: other ETag: %ld", paths[i], r2.status);
        e2e_resp_clear(&r2);

        snprintf(h2, sizeof h2, "If-Modified-Since: %s", lm);
        const char *hdr2[] = {h2, NULL};
        if (e2e_http(base, "GET", paths[i], hdr2, NULL, 0, &r2) == 0) {
            CHECK(r2.status == 304, "%s If-Modified-Since: %ld", paths[i], r2.status);
            CHECK(r2.len == 0, "%s: 304 with a body", paths[i]);
        }
        e2e_resp_clear(&r2);

        const char *old[] = {"If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT", NULL};
        if (e2e_http(base, "GET", paths[i], old, NULL, 0, &r2) == 0)
            CHECK(r2.status == 200, "%s: old If-Modified-Since: %ld", paths[i], r2.status);
        e2e_resp_clear(&r2);
    }
}

static void test_gzip(void)
{
    const char *path = "/v1/posts?limit=20";
    struct e2e_resp id, raw, dec;
    if (e2e_http(base, "GET", path, NULL, NULL, 0, &id) != 0)
        return;
    CHECK(id.len > 1024, "identity body only %zu bytes", id.len);
    CHECK(e2e_header(&id, "Content-Encoding") == NULL, "identity response is encoded");
    if (e2e_http(base, "GET", path, NULL, NULL, E2E_GZIP_RAW, &raw) == 0) {
        const char *ce = e2e_header(&raw, "Content-Encoding");
        CHECK(ce && strcmp(ce, "gzip") == 0, "Content-Encoding %s", ce ? ce : "none");
        CHECK(raw.len >= 2 && (unsigned char)raw.body[0] == 0x1f &&
                  (unsigned char)raw.body[1] == 0x8b,
              "not gzip bytes");
        CHECK(raw.len < id.len, "gzip %zu bytes, identity %zu", raw.len, id.len);
        CHECK(contains_ci(e2e_header(&raw, "Vary"), "Accept-Encoding"), "gzip Vary");
    }
    if (e2e_http(base, "GET", path, NULL, NULL, E2E_GZIP, &dec) == 0) {
        CHECK(dec.len == id.len && memcmp(dec.body, id.body, id.len) == 0,
              "decompressed gzip (%zu bytes) differs from identity (%zu)", dec.len, id.len);
    }
    e2e_resp_clear(&id);
    e2e_resp_clear(&raw);
    e2e_resp_clear(&dec);

    /* small bodies stay as they are */
    if (e2e_http(base, "GET", "/healthz", NULL, NULL, E2E_GZIP_RAW, &raw) == 0)
        CHECK(e2e_header(&raw, "Content-Encoding") == NULL, "/healthz (tiny) was compressed");
    e2e_resp_clear(&raw);
}

static void test_cors_head_methods(void)
{
    struct e2e_resp r;
    const char *pre[] = {"Origin: https://example.com", "Access-Control-Request-Method: GET",
                         "Access-Control-Request-Headers: X-Request-Id", NULL};
    if (e2e_http(base, "OPTIONS", "/v1/posts", pre, NULL, 0, &r) == 0) {
        CHECK(r.status == 204, "preflight %ld", r.status);
        CHECK(r.len == 0, "preflight body");
        const char *acao = e2e_header(&r, "Access-Control-Allow-Origin");
        CHECK(acao && strcmp(acao, "*") == 0, "preflight ACAO %s", acao ? acao : "none");
        const char *acam = e2e_header(&r, "Access-Control-Allow-Methods");
        CHECK(acam && strstr(acam, "GET") && strstr(acam, "HEAD") && strstr(acam, "OPTIONS"),
              "ACAM %s", acam ? acam : "none");
        CHECK(e2e_header(&r, "Access-Control-Max-Age") != NULL, "no Access-Control-Max-Age");
        const char *acah = e2e_header(&r, "Access-Control-Allow-Headers");
        CHECK(contains_ci(acah, "X-Request-Id"), "Access-Control-Allow-Headers %s",
              acah ? acah : "none");
    }
    e2e_resp_clear(&r);
    const char *origin[] = {"Origin: https://example.com", NULL};
    if (e2e_http(base, "GET", "/v1/posts?limit=1", origin, NULL, 0, &r) == 0) {
        const char *acao = e2e_header(&r, "Access-Control-Allow-Origin");
        CHECK(acao && strcmp(acao, "*") == 0, "ACAO %s", acao ? acao : "none");
        const char *aceh = e2e_header(&r, "Access-Control-Expose-Headers");
        CHECK(aceh && strstr(aceh, "ETag") && strstr(aceh, "Link") &&
                  strstr(aceh, "X-Total-Count") && strstr(aceh, "X-Request-Id"),
              "Expose-Headers %s", aceh ? aceh : "none");
        CHECK(contains_ci(e2e_header(&r, "Vary"), "Origin"), "Vary without Origin");
    }
    e2e_resp_clear(&r);

    /* HEAD: the GET's headers, no body */
    struct e2e_resp g, h;
    const char *heads[] = {"/v1/posts?limit=5", "/v1/posts/2023-09-16-putin-kim-summit",
                           "/healthz"};
    for (size_t i = 0; i < 3; i++) {
        if (e2e_http(base, "GET", heads[i], NULL, NULL, 0, &g) != 0)
            continue;
        if (e2e_http(base, "HEAD", heads[i], NULL, NULL, E2E_HEAD, &h) == 0) {
            CHECK(h.status == 200, "HEAD %s: %ld", heads[i], h.status);
            CHECK(h.len == 0, "HEAD %s: %zu body bytes", heads[i], h.len);
            const char *cl = e2e_header(&h, "Content-Length");
            CHECK(cl && (size_t)atoll(cl) == g.len, "HEAD %s: Content-Length %s, GET %zu", heads[i],
                  cl ? cl : "none", g.len);
            char ge[256];
            snprintf(ge, sizeof ge, "%s", e2e_header(&g, "ETag") ? e2e_header(&g, "ETag") : "");
            const char *he = e2e_header(&h, "ETag");
            CHECK(strcmp(ge, he ? he : "") == 0, "HEAD %s: ETag %s, GET %s", heads[i],
                  he ? he : "none", ge);
        }
        e2e_resp_clear(&g);
        e2e_resp_clear(&h);
    }

    /* other methods: 405 + Allow */
    const char *methods[] = {"DELETE", "POST", "PUT", "PATCH"};
    for (size_t i = 0; i < 4; i++) {
        if (e2e_http(base, methods[i], "/v1/posts", NULL, i == 1 ? "a=b" : NULL, 0, &r) == 0) {
            CHECK(r.status == 405, "%s: %ld", methods[i], r.status);
            const char *allow = e2e_header(&r, "Allow");
            CHECK(allow && strstr(allow, "GET") && strstr(allow, "HEAD"), "%s: Allow %s",
                  methods[i], allow ? allow : "none");
            CHECK(contains_ci(e2e_header(&r, "Content-Type"), "application/problem+json"),
                  "%s: Content-Type %s", methods[i], e2e_header(&r, "Content-Type"));
        }
        e2e_resp_clear(&r);
    }
}

static void test_bad_requests(void)
{
    struct {
        const char *path, *param;
    } bad[] = {
        {"/v1/posts?limit=0", "limit"},         {"/v1/posts?limit=-1", "limit"},
        {"/v1/posts?limit=abc", "limit"},       {"/v1/posts?limit=101", "limit"},
        {"/v1/posts?page=0", "page"},           {"/v1/posts?bogus=1", "bogus"},
        {"/v1/posts?after=yesterday", "after"}, {"/v1/posts?sort=sideways", "sort"},
        {"/v1/posts?page=2&cursor=abc", NULL},  {"/v1/posts?cursor=not-a-cursor", "cursor"},
        {"/v1/posts?limit=1&limit=2", "limit"}, {"/v1/posts?tag=%zz", NULL},
        {"/v1/posts?tag=a%00b", NULL},          {"/v1/posts/%ff%fe", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct e2e_resp r;
        if (e2e_http(base, "GET", bad[i].path, NULL, NULL, 0, &r) != 0) {
            CHECK(0, "%s: no answer", bad[i].path);
            continue;
        }
        CHECK(r.status == 400, "%s: %ld %s", bad[i].path, r.status, r.body);
        CHECK(contains_ci(e2e_header(&r, "Content-Type"), "application/problem+json"),
              "%s: Content-Type %s", bad[i].path, e2e_header(&r, "Content-Type"));
        json_t *pb = e2e_json(&r);
        CHECK(json_integer_value(json_object_get(pb, "status")) == 400, "%s: problem status",
              bad[i].path);
        CHECK(jstr(pb, "instance") && strcmp(jstr(pb, "instance"), bad[i].path) == 0,
              "%s: instance %s", bad[i].path, jstr(pb, "instance"));
        if (bad[i].param) {
            int named = 0;
            size_t k;
            json_t *ip;
            json_array_foreach(json_object_get(pb, "invalid_params"), k, ip)
            {
                named |= jstr(ip, "name") && strcmp(jstr(ip, "name"), bad[i].param) == 0;
            }
            CHECK(named, "%s: invalid_params does not name %s: %s", bad[i].path, bad[i].param,
                  r.body);
        }
        json_decref(pb);
        CHECK(r.connects == 0, "%s: the 400 closed the connection", bad[i].path);
        e2e_resp_clear(&r);
    }
}

/* Many query parameters still get an answer within the default
 * max_request_header (see config/postd.yaml). */
static void test_many_params(void)
{
    size_t n = 500, len = 0;
    char *path = malloc(n * 12 + 32);
    if (!path)
        return;
    len = (size_t)sprintf(path, "/v1/posts?limit=1");
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(path + len, "&tag=t%zu", i);
    struct e2e_resp r;
    if (e2e_http(base, "GET", path, NULL, NULL, 0, &r) == 0)
        CHECK(r.status >= 200 && r.status < 500, "%zu parameters: %ld", n, r.status);
    else
        CHECK(0, "%zu query parameters (%zu bytes): no answer", n, len);
    e2e_resp_clear(&r);
    free(path);
}

static double metric_sum(const char *text, const char *name_part)
{
    double sum = 0;
    const char *line = text;
    while (line && *line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (line[0] != '#' && len < 1024) {
            char buf[1024];
            memcpy(buf, line, len);
            buf[len] = '\0';
            char *sp = strrchr(buf, ' ');
            char *brace = strchr(buf, '{');
            size_t nlen = brace ? (size_t)(brace - buf) : (sp ? (size_t)(sp - buf) : 0);
            if (sp && nlen && memmem(buf, nlen, name_part, strlen(name_part)) &&
                !strstr(buf, "_bucket") && !strstr(buf, "_sum"))
                sum += atof(sp + 1);
        }
        line = end ? end + 1 : NULL;
    }
    return sum;
}

static void test_operations(void)
{
    struct e2e_resp r;
    json_t *v = e2e_get_json(base, "/healthz");
    CHECK(v && jstr(v, "status") && strcmp(jstr(v, "status"), "ok") == 0, "healthz body");
    json_decref(v);

    v = e2e_get_json(base, "/v1/openapi.json");
    CHECK(jstr(v, "openapi") && strncmp(jstr(v, "openapi"), "3.1.", 4) == 0, "openapi %s",
          jstr(v, "openapi"));
    CHECK(json_is_object(json_object_get(v, "paths")), "openapi paths");
    json_decref(v);

    double before = -1, after = -1;
    if (e2e_http(base, "GET", "/metrics", NULL, NULL, 0, &r) == 0) {
        CHECK(r.status == 200, "/metrics %ld", r.status);
        CHECK(contains_ci(e2e_header(&r, "Content-Type"), "text/plain"), "metrics type %s",
              e2e_header(&r, "Content-Type"));
        before = metric_sum(r.body, "request");
    }
    e2e_resp_clear(&r);
    for (int i = 0; i < 3; i++) {
        e2e_http(base, "GET", "/healthz", NULL, NULL, 0, &r);
        e2e_resp_clear(&r);
    }
    if (e2e_http(base, "GET", "/metrics", NULL, NULL, 0, &r) == 0)
        after = metric_sum(r.body, "request");
    e2e_resp_clear(&r);
    CHECK(before >= 0 && after >= before + 3, "request counters went from %g to %g", before, after);

    /* X-Request-Id: echoed, or made up */
    const char *rid[] = {"X-Request-Id: e2e-abc-123", NULL};
    if (e2e_http(base, "GET", "/healthz", rid, NULL, 0, &r) == 0) {
        const char *got = e2e_header(&r, "X-Request-Id");
        CHECK(got && strcmp(got, "e2e-abc-123") == 0, "X-Request-Id echo %s", got ? got : "none");
    }
    e2e_resp_clear(&r);
    if (e2e_http(base, "GET", "/healthz", NULL, NULL, 0, &r) == 0) {
        const char *got = e2e_header(&r, "X-Request-Id");
        CHECK(got && *got, "no generated X-Request-Id");
        CHECK(r.connects == 0, "keep-alive: a new connection for a second request");
    }
    e2e_resp_clear(&r);

    /* a body on a GET is refused: 400, connection closed (SECURITY.md) */
    if (e2e_http(base, "GET", "/healthz", NULL, "some=body", 0, &r) == 0)
        CHECK(r.status == 400, "GET with a body: %ld", r.status);
    e2e_resp_clear(&r);

    /* a body over 1 MiB: 413 before it is sent */
    char *huge = malloc(2u << 20);
    if (huge) {
        memset(huge, 'x', (2u << 20) - 1);
        huge[(2u << 20) - 1] = '\0';
        if (e2e_http(base, "GET", "/healthz", NULL, huge, E2E_EXPECT, &r) == 0) {
            CHECK(r.status == 413, "GET with a 2 MiB body: %ld", r.status);
            CHECK(e2e_header(&r, "X-Request-Id") != NULL, "413 without X-Request-Id");
            CHECK(contains_ci(e2e_header(&r, "Content-Type"), "application/problem+json"),
                  "413 Content-Type %s", e2e_header(&r, "Content-Type"));
        } else {
            CHECK(0, "GET with a 2 MiB body: no answer");
        }
        e2e_resp_clear(&r);
        free(huge);
    }

    /* a request head over max_request_header is refused with a status, not dropped */
    size_t big = 100 * 1024;
    char *hdr = malloc(big + 16);
    if (hdr) {
        memcpy(hdr, "X-Big: ", 7);
        memset(hdr + 7, 'a', big);
        hdr[7 + big] = '\0';
        const char *hs[] = {hdr, NULL};
        if (e2e_http(base, "GET", "/healthz", hs, NULL, 0, &r) == 0)
            CHECK(r.status == 431 || r.status == 413 || r.status == 400, "oversized header: %ld",
                  r.status);
        e2e_resp_clear(&r);
        free(hdr);
    }
}

/* Runs postd ingest on the posts folder (plus extra args); returns its exit status. */
static int ingest(const char *extra)
{
    char out[4096], err[4096];
    const char *argv[12] = {postd, "ingest", "--config", config_empty, "--db", db};
    int n = 6;
    if (extra)
        argv[n++] = extra;
    argv[n++] = posts;
    if (samples)
        argv[n++] = samples;
    argv[n] = NULL;
    snprintf(out, sizeof out, "%s/ingest.out", dir);
    snprintf(err, sizeof err, "%s/ingest.err", dir);
    int rc = e2e_run(argv, NULL, out, err);
    if (rc != 0) {
        char *text = e2e_read_file(err, NULL);
        fprintf(stderr, "e2e: postd ingest exited %d:\n%s\n", rc, text ? text : "");
        free(text);
    }
    return rc;
}

static void test_reingest(void)
{
    char path[4096];
    struct e2e_resp r;
    char etag[256] = "";
    if (e2e_http(base, "GET", "/v1/posts?limit=5", NULL, NULL, 0, &r) == 0 &&
        e2e_header(&r, "ETag"))
        snprintf(etag, sizeof etag, "%s", e2e_header(&r, "ETag"));
    e2e_resp_clear(&r);
    json_t *ready = e2e_get_json(base, "/readyz");
    int64_t posts0 = json_integer_value(json_object_get(ready, "posts"));
    int64_t gen0 = json_integer_value(json_object_get(ready, "generation"));
    json_decref(ready);

    /* change a file, add one */
    snprintf(path, sizeof path, "%s/2021-08-01-e2e-reingest.md", posts);
    char *text = e2e_read_file(path, NULL);
    char *at = text ? strstr(text, "Before the reingest") : NULL;
    CHECK(at != NULL, "fixture text");
    if (at) {
        memcpy(at, "After  the reingest", 19);
        e2e_write_file(path, text);
    }
    free(text);
    snprintf(path, sizeof path, "%s/2021-09-01-e2e-added.md", posts);
    e2e_write_file(path, "---\ntitle: Added while serving\nauthor: alice\ntags: [politics]\n"
                         "---\n\nA post that arrives while the server runs.\n");
    CHECK(ingest(NULL) == 0, "reingest");

    json_t *v = e2e_get_json(base, "/v1/posts/2021-08-01-e2e-reingest");
    const char *title = jstr(json_object_get(v, "data"), "title");
    CHECK(title && strcmp(title, "After  the reingest") == 0, "title after reingest: %s",
          title ? title : "none");
    json_decref(v);
    v = e2e_get_json(base, "/v1/posts/2021-09-01-e2e-added");
    json_decref(v);
    ready = e2e_get_json(base, "/readyz");
    CHECK(json_integer_value(json_object_get(ready, "posts")) == posts0 + 1, "posts %lld → %lld",
          (long long)posts0, (long long)json_integer_value(json_object_get(ready, "posts")));
    CHECK(json_integer_value(json_object_get(ready, "generation")) > gen0, "generation");
    json_decref(ready);
    if (e2e_http(base, "GET", "/v1/posts?limit=5", NULL, NULL, 0, &r) == 0)
        CHECK(e2e_header(&r, "ETag") && strcmp(e2e_header(&r, "ETag"), etag) != 0,
              "the list ETag did not change");
    e2e_resp_clear(&r);
    char inm[300];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    const char *h[] = {inm, NULL};
    if (e2e_http(base, "GET", "/v1/posts?limit=5", h, NULL, 0, &r) == 0)
        CHECK(r.status == 200, "old ETag still gives %ld", r.status);
    e2e_resp_clear(&r);

    /* remove it again with --prune */
    remove(path);
    CHECK(ingest("--prune") == 0, "reingest --prune");
    if (e2e_http(base, "GET", "/v1/posts/2021-09-01-e2e-added", NULL, NULL, 0, &r) == 0)
        CHECK(r.status == 404, "pruned post: %ld", r.status);
    e2e_resp_clear(&r);
    ready = e2e_get_json(base, "/readyz");
    CHECK(json_integer_value(json_object_get(ready, "posts")) == posts0, "posts after prune");
    json_decref(ready);
}

static void test_access_log(const char *file)
{
    size_t len = 0;
    char *text = e2e_read_file(file, &len);
    int lines = 0, found = 0;
    CHECK(text && len > 0, "no access log in %s", file);
    for (char *line = text, *end; line && *line; line = end ? end + 1 : NULL) {
        end = strchr(line, '\n');
        if (end)
            *end = '\0';
        json_error_t err;
        json_t *o = json_loads(line, 0, &err);
        CHECK(o != NULL, "access log line is not JSON: %s", line);
        lines++;
        if (!o)
            continue;
        const char *keys[] = {"time", "method", "path", "status", "bytes", "duration_ms"};
        for (size_t k = 0; k < 6; k++)
            CHECK(json_object_get(o, keys[k]) != NULL, "access log without %s: %s", keys[k], line);
        const char *t = jstr(o, "time");
        CHECK(t && strlen(t) == 24 && t[23] == 'Z', "access log time %s", t ? t : "none");
        if (jstr(o, "request_id") && strcmp(jstr(o, "request_id"), "e2e-abc-123") == 0) {
            found = 1;
            CHECK(strcmp(jstr(o, "path"), "/healthz") == 0 &&
                      json_integer_value(json_object_get(o, "status")) == 200 &&
                      strcmp(jstr(o, "method"), "GET") == 0,
                  "logged request: %s", line);
        }
        json_decref(o);
    }
    CHECK(lines > 50, "only %d access log lines", lines);
    CHECK(found, "the request with X-Request-Id e2e-abc-123 is not in the access log");
    free(text);
}

/* A second server with settings given as flags: they must reach the API. */
static void test_config_reaches_api(void)
{
    struct e2e_server s2;
    const char *extra[] = {"--future",
                           "--max-limit",
                           "10",
                           "--default-limit",
                           "5",
                           "--cors-origin",
                           "https://example.com",
                           "--cache-control",
                           "no-cache",
                           "--no-access-log",
                           NULL};
    if (e2e_server_start(&s2, postd, db, dir, extra) != 0) {
        CHECK(0, "second server did not start");
        e2e_server_stop(&s2, SIGKILL, 1);
        return;
    }
    struct e2e_resp r;
    if (e2e_http(s2.base, "GET", "/v1/posts/2999-01-01-e2e-future", NULL, NULL, 0, &r) == 0)
        CHECK(r.status == 200, "future: true should show the future post: %ld", r.status);
    e2e_resp_clear(&r);
    if (e2e_http(s2.base, "GET", "/v1/posts?limit=11", NULL, NULL, 0, &r) == 0)
        CHECK(r.status == 400, "max_limit 10: limit=11 gave %ld", r.status);
    e2e_resp_clear(&r);
    const char *origin[] = {"Origin: https://example.com", NULL};
    if (e2e_http(s2.base, "GET", "/v1/posts", origin, NULL, 0, &r) == 0) {
        json_t *v = e2e_json(&r);
        CHECK(json_array_size(json_object_get(v, "data")) == 5, "default_limit 5: %zu items",
              json_array_size(json_object_get(v, "data")));
        json_decref(v);
        const char *acao = e2e_header(&r, "Access-Control-Allow-Origin");
        CHECK(acao && strcmp(acao, "https://example.com") == 0, "cors_origin: %s",
              acao ? acao : "none");
        const char *cc = e2e_header(&r, "Cache-Control");
        CHECK(cc && strcmp(cc, "no-cache") == 0, "cache_control: %s", cc ? cc : "none");
    }
    e2e_resp_clear(&r);
    CHECK(e2e_server_stop(&s2, SIGINT, 5) == 0, "SIGINT: not a clean exit within 5 s");
    size_t len = 1;
    char *log = e2e_read_file(s2.out, &len);
    CHECK(log && len == 0, "--no-access-log still wrote %zu bytes", len);
    free(log);
}

static int has_posts(const char *path)
{
    DIR *d = path ? opendir(path) : NULL;
    struct dirent *e;
    int n = 0;
    if (!d)
        return 0;
    while ((e = readdir(d)))
        n += e->d_name[0] != '.';
    closedir(d);
    return n > 0;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: e2e_http POSTD FIXTURE_POSTS [SAMPLE_POSTS]\n");
        return 2;
    }
    postd = argv[1];
    samples = argc > 3 && has_posts(argv[3]) ? argv[3] : NULL;
    e2e_watchdog(110);
    dir = e2e_tmpdir();
    if (!dir) {
        perror("mkdtemp");
        return 1;
    }
    if (asprintf(&posts, "%s/posts", dir) < 0 || asprintf(&db, "%s/data/postd.db", dir) < 0 ||
        asprintf(&config_empty, "%s/empty.yaml", dir) < 0)
        return 1;
    e2e_write_file(config_empty, "");
    const char *cp[] = {"/bin/cp", "-R", argv[2], posts, NULL};
    if (e2e_run(cp, NULL, NULL, NULL) != 0) {
        fprintf(stderr, "e2e: cannot copy %s\n", argv[2]);
        return 1;
    }
    fprintf(stderr, "e2e: posts %s%s%s\n", argv[2], samples ? " + " : "", samples ? samples : "");

    if (ingest(NULL) != 0) {
        fprintf(stderr, "e2e: the first ingest failed; nothing to serve\n");
        e2e_cleanup();
        return 1;
    }
    if (e2e_server_start(&srv, postd, db, dir, NULL) != 0) {
        e2e_cleanup();
        return 1;
    }
    base = srv.base;
    fprintf(stderr, "e2e: serving on %s\n", base);

    test_list_walk();
    test_filters();
    test_single_post();
    test_caching();
    test_gzip();
    test_cors_head_methods();
    test_bad_requests();
    test_many_params();
    test_operations();
    test_reingest();
    test_config_reaches_api();

    CHECK(e2e_server_stop(&srv, SIGTERM, 5) == 0, "SIGTERM: not a clean exit within 5 s");
    test_access_log(srv.out);

    json_decref(all_cards);
    e2e_cleanup();
    free(posts);
    free(db);
    free(config_empty);
    free(dir);
    if (e2e_failures)
        fprintf(stderr, "e2e_http: %d of %d checks failed\n", e2e_failures, e2e_checks);
    else
        fprintf(stderr, "e2e_http: all %d checks passed\n", e2e_checks);
    return e2e_failures ? 1 : 0;
}
