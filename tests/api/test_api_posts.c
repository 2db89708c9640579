/* The post routes against the fixture database: every filter and their
 * combinations checked against the test's own model of the posts (totals and
 * exact id sets), ordering, page and cursor walks over all posts for every sort
 * (no duplicates, no gaps, same order both ways, though many posts share an
 * instant and a title), cursor reuse refused, meta/links/Link/X-Total-Count,
 * fields= and include=, the single post (id, slug, 300, 404), future posts and
 * the /v1/{kind}/{x}/posts routes. */
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

/* ---- the model ---------------------------------------------------------- */

static int has_tag(int i, const char *q)
{
    const struct fx_post *m = &fx_posts[i];
    for (size_t k = 0; k < m->n_tags; k++) {
        char *slug = store_slugify(m->tags[k]);
        int hit = strcasecmp(m->tags[k], q) == 0 || (slug && strcasecmp(slug, q) == 0);
        free(slug);
        if (hit)
            return 1;
    }
    return 0;
}

static int has_domain(int i, const char *d)
{
    const struct fx_post *m = &fx_posts[i];
    if (strncasecmp(d, "www.", 4) == 0)
        d += 4;
    size_t dl = strlen(d);
    for (size_t k = 0; k < m->n_domains; k++) {
        const char *h = m->domains[k];
        size_t hl = strlen(h);
        if (strcasecmp(h, d) == 0 ||
            (hl > dl && h[hl - dl - 1] == '.' && strcasecmp(h + hl - dl, d) == 0))
            return 1;
    }
    return 0;
}

static int has_category(int i, const char *c)
{
    for (size_t k = 0; k < fx_posts[i].n_categories; k++)
        if (strcasecmp(fx_posts[i].categories[k], c) == 0)
            return 1;
    return 0;
}

static int is_author(int i, const char *a)
{
    return strcasecmp(fx_posts[i].author, a) == 0;
}

#define D(y, m, d) ((int64_t)1685577600 + ((int64_t)(d)-1 + ((m) == 7 ? 30 : 0)) * 86400)

static int p_all(int i)
{
    return 1;
}
static int p_alpha(int i)
{
    return has_tag(i, "alpha");
}
static int p_alpha_or_gamma(int i)
{
    return has_tag(i, "alpha") || has_tag(i, "gamma");
}
static int p_alpha_and_beta(int i)
{
    return has_tag(i, "alpha") && has_tag(i, "beta");
}
static int p_not_alpha(int i)
{
    return !has_tag(i, "alpha");
}
static int p_nk(int i)
{
    return has_tag(i, "north-korea");
}
static int p_nyt(int i)
{
    return has_domain(i, "nytimes.com");
}
static int p_bbc(int i)
{
    return has_domain(i, "bbc.co.uk");
}
static int p_cooking(int i)
{
    return has_domain(i, "cooking.nytimes.com");
}
static int p_not_nyt(int i)
{
    return !has_domain(i, "nytimes.com");
}
static int p_ann(int i)
{
    return is_author(i, "Ann");
}
static int p_ann_bob(int i)
{
    return is_author(i, "Ann") || is_author(i, "Bob");
}
static int p_news(int i)
{
    return has_category(i, "news");
}
static int p_tech_beta(int i)
{
    return has_category(i, "tech") && has_tag(i, "beta");
}
static int p_after(int i)
{
    return fx_posts[i].date_utc >= D(2023, 6, 5);
}
static int p_before(int i)
{
    return fx_posts[i].date_utc < D(2023, 6, 10);
}
static int p_window(int i)
{
    return p_after(i) && p_before(i);
}
static int p_after_offset(int i)
{
    return fx_posts[i].date_utc >= D(2023, 6, 5) + 4 * 3600;
}
static int p_zebra(int i)
{
    return fx_posts[i].zebra;
}
static int p_zebra_alpha(int i)
{
    return fx_posts[i].zebra && has_tag(i, "alpha");
}
static int p_zebra_news(int i)
{
    return fx_posts[i].zebra && has_category(i, "news");
}
static int p_phrase4(int i)
{
    return i == 4;
}
static int p_combo(int i)
{
    return (has_tag(i, "beta") || has_tag(i, "gamma")) && !has_tag(i, "alpha") &&
           has_domain(i, "nytimes.com") == 0 && (is_author(i, "Ann") || is_author(i, "Bob")) &&
           fx_posts[i].date_utc < D(2023, 6, 15);
}
static int p_combo2(int i)
{
    return has_tag(i, "alpha") && has_domain(i, "bbc.co.uk") && is_author(i, "ann") &&
           has_category(i, "tech") && fx_posts[i].date_utc >= D(2023, 6, 3);
}

static const struct {
    const char *query;
    int (*pred)(int);
} filters[] = {
    {"", p_all},
    {"tag=alpha", p_alpha},
    {"tag=ALPHA", p_alpha},
    {"tag=alpha&tag=gamma", p_alpha_or_gamma},
    {"tag_all=alpha&tag_all=beta", p_alpha_and_beta},
    {"tag_not=alpha", p_not_alpha},
    {"tag=north-korea", p_nk},
    {"tag=north%20korea", p_nk},
    {"domain=nytimes.com", p_nyt},
    {"domain=www.nytimes.com", p_nyt},
    {"domain=bbc.co.uk", p_bbc},
    {"domain=cooking.nytimes.com", p_cooking},
    {"domain_not=nytimes.com", p_not_nyt},
    {"author=ann", p_ann},
    {"author=Ann&author=Bob", p_ann_bob},
    {"category=news", p_news},
    {"category=tech&tag=beta", p_tech_beta},
    {"after=2023-06-05", p_after},
    {"before=2023-06-10", p_before},
    {"after=2023-06-05&before=2023-06-10T00:00:00Z", p_window},
    {"after=2023-06-05T00:00:00-04:00", p_after_offset},
    {"q=zebra", p_zebra},
    {"q=ZEBRA", p_zebra},
    {"q=zebra&tag=alpha", p_zebra_alpha},
    {"q=zebra&category=news", p_zebra_news},
    {"q=%22of%20post%204%22", p_phrase4},
    {"tag=beta&tag=gamma&tag_not=alpha&domain_not=nytimes.com&author=Ann&author=Bob"
     "&before=2023-06-15",
     p_combo},
    {"tag_all=alpha&domain=bbc.co.uk&author=ANN&category=tech&after=2023-06-03", p_combo2},
};

static int64_t meta_int(json_t *j, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(j, "meta"), key));
}

static const char *link_of(json_t *j, const char *rel)
{
    return json_string_value(json_object_get(json_object_get(j, "links"), rel));
}

static int id_index(const char *id)
{
    for (int i = 0; i < FX_N; i++)
        if (strcmp(fx_posts[i].id, id) == 0)
            return i;
    return -1;
}

/* ---- tests -------------------------------------------------------------- */

static void test_filters(void **state)
{
    struct fx *f = *state;
    for (size_t c = 0; c < sizeof(filters) / sizeof(filters[0]); c++) {
        char target[512];
        snprintf(target, sizeof(target), "/v1/posts?%s%slimit=100", filters[c].query,
                 filters[c].query[0] ? "&" : "");
        json_t *j = t_get_json(f->ctx, target, 200);
        int expect = 0, seen[FX_N] = {0};
        for (int i = 0; i < FX_N; i++)
            expect += !fx_posts[i].future && filters[c].pred(i);
        if (meta_int(j, "total") != expect)
            fail_msg("%s: total %lld, expected %d", target, (long long)meta_int(j, "total"),
                     expect);
        json_t *data = json_object_get(j, "data");
        assert_int_equal(json_array_size(data), (size_t)expect);
        size_t k;
        json_t *card;
        json_array_foreach(data, k, card)
        {
            int i = id_index(json_string_value(json_object_get(card, "id")));
            assert_true(i >= 0);
            if (!filters[c].pred(i) || fx_posts[i].future || seen[i])
                fail_msg("%s: unexpected %s", target, fx_posts[i].id);
            seen[i] = 1;
        }
        if (expect == 0 && c == 0)
            fail_msg("fixture is empty");
        json_decref(j);
    }
    /* The model is not degenerate: several filters select a strict subset. */
    int alpha = 0;
    for (int i = 0; i < FX_N; i++)
        alpha += p_alpha(i) && !fx_posts[i].future;
    assert_true(alpha > 5 && alpha < FX_N - FX_FUTURE);
}

static void test_list_shape(void **state)
{
    struct fx *f = *state;
    struct api_response res;
    t_do(f->ctx, "GET", "/v1/posts", NULL, &res);
    assert_int_equal(res.status, 200);
    assert_string_equal(res.content_type, "application/json; charset=utf-8");
    assert_string_equal(res.route, "/v1/posts");
    json_t *j = t_body(&res);
    int visible = FX_N - FX_FUTURE;
    char buf[32];
    snprintf(buf, sizeof(buf), "%d", visible);
    assert_string_equal(t_header(&res, "X-Total-Count"), buf);
    assert_int_equal(meta_int(j, "total"), visible);
    assert_int_equal(meta_int(j, "limit"), 20);
    assert_int_equal(meta_int(j, "page"), 1);
    assert_int_equal(meta_int(j, "pages"), (visible + 19) / 20);
    assert_true(json_is_string(json_object_get(json_object_get(j, "meta"), "next_cursor")));
    assert_string_equal(link_of(j, "self"), "/v1/posts?limit=20&page=1");
    assert_string_equal(link_of(j, "first"), "/v1/posts?limit=20&page=1");
    assert_null(link_of(j, "prev"));
    assert_true(json_is_null(json_object_get(json_object_get(j, "links"), "prev")));
    assert_string_equal(link_of(j, "next"), "/v1/posts?limit=20&page=2");
    snprintf(buf, sizeof(buf), "/v1/posts?limit=20&page=%d", (visible + 19) / 20);
    assert_string_equal(link_of(j, "last"), buf);
    char link[512];
    snprintf(link, sizeof(link),
             "</v1/posts?limit=20&page=1>; rel=\"first\", </v1/posts?limit=20&page=2>; "
             "rel=\"next\", <%s>; rel=\"last\"",
             buf);
    assert_string_equal(t_header(&res, "Link"), link);

    json_t *data = json_object_get(j, "data");
    assert_int_equal(json_array_size(data), 20);
    /* Newest first; every card has exactly the card keys. */
    static const char *keys[] = {"id",       "slug",   "url",   "title", "description", "date",
                                 "date_utc", "author", "image", "tags",  "domains",     "links"};
    size_t k;
    json_t *card;
    const char *prev_date = NULL;
    json_array_foreach(data, k, card)
    {
        assert_int_equal(json_object_size(card), sizeof(keys) / sizeof(keys[0]));
        for (size_t n = 0; n < sizeof(keys) / sizeof(keys[0]); n++)
            assert_non_null(json_object_get(card, keys[n]));
        const char *d = json_string_value(json_object_get(card, "date_utc"));
        if (prev_date)
            assert_true(strcmp(prev_date, d) >= 0);
        prev_date = d;
        int i = id_index(json_string_value(json_object_get(card, "id")));
        char self[128];
        snprintf(self, sizeof(self), "/v1/posts/%s", fx_posts[i].id);
        assert_string_equal(
            json_string_value(json_object_get(json_object_get(card, "links"), "self")), self);
        assert_string_equal(json_string_value(json_object_get(card, "title")), fx_posts[i].title);
    }
    json_decref(j);
    api_response_clear(&res);

    /* Normalized links keep the filters in a fixed order, encoded. */
    j = t_get_json(f->ctx, "/v1/posts?page=2&limit=5&tag=north+korea&sort=date&fields=title", 200);
    assert_string_equal(link_of(j, "self"),
                        "/v1/posts?tag=north%20korea&sort=date&fields=title&limit=5&page=2");
    assert_string_equal(link_of(j, "prev"),
                        "/v1/posts?tag=north%20korea&sort=date&fields=title&limit=5&page=1");
    json_decref(j);

    /* One spelling per instant: days as given, instants in UTC; ":" and ","
     * stay readable in the query. */
    j = t_get_json(f->ctx,
                   "/v1/posts?before=2023-06-10&after=2023-06-05T00:00:00.5-04:00&fields=id,title"
                   "&limit=5",
                   200);
    assert_string_equal(link_of(j, "self"), "/v1/posts?after=2023-06-05T04:00:01Z&before=2023-06-10"
                                            "&fields=id,title&limit=5&page=1");
    /* So a cursor made with one spelling works with the other. */
    char target[512];
    snprintf(target, sizeof(target),
             "/v1/posts?after=2023-06-05T04:00:01Z&before=2023-06-10&limit=5&cursor=%s",
             json_string_value(json_object_get(json_object_get(j, "meta"), "next_cursor")));
    json_decref(j);
    j = t_get_json(f->ctx, target, 200);
    json_decref(j);
}

static void test_page_past_end(void **state)
{
    struct fx *f = *state;
    json_t *j = t_get_json(f->ctx, "/v1/posts?limit=10&page=50", 200);
    int visible = FX_N - FX_FUTURE, pages = (visible + 9) / 10;
    assert_int_equal(json_array_size(json_object_get(j, "data")), 0);
    assert_int_equal(meta_int(j, "total"), visible);
    assert_int_equal(meta_int(j, "page"), 50);
    assert_true(json_is_null(json_object_get(json_object_get(j, "meta"), "next_cursor")));
    assert_null(link_of(j, "next"));
    char buf[64];
    snprintf(buf, sizeof(buf), "/v1/posts?limit=10&page=%d", pages);
    assert_string_equal(link_of(j, "prev"), buf);
    json_decref(j);

    /* The last page: next is null, next_cursor is null. */
    snprintf(buf, sizeof(buf), "/v1/posts?limit=10&page=%d", pages);
    j = t_get_json(f->ctx, buf, 200);
    assert_int_equal(json_array_size(json_object_get(j, "data")), visible - (pages - 1) * 10);
    assert_null(link_of(j, "next"));
    assert_true(json_is_null(json_object_get(json_object_get(j, "meta"), "next_cursor")));
    json_decref(j);

    /* No match at all: one empty page. */
    j = t_get_json(f->ctx, "/v1/posts?tag=nothing-has-this", 200);
    assert_int_equal(meta_int(j, "total"), 0);
    assert_int_equal(meta_int(j, "pages"), 1);
    assert_null(link_of(j, "next"));
    json_decref(j);
}

/* Walks every page of query by cursor; returns the ids in order (count in *n). */
static char **walk_cursor(struct api_ctx *ctx, const char *query, int limit, size_t *n)
{
    char **ids = calloc(FX_N + 1, sizeof(char *));
    char *cursor = NULL;
    *n = 0;
    for (int guard = 0; guard < FX_N + 2; guard++) {
        char target[2048];
        snprintf(target, sizeof(target), "/v1/posts?%s&limit=%d%s%s", query, limit,
                 cursor ? "&cursor=" : "", cursor ? cursor : "");
        json_t *j = t_get_json(ctx, target, 200);
        json_t *meta = json_object_get(j, "meta");
        int cursor_mode = cursor != NULL;
        if (cursor) {
            assert_true(json_is_null(json_object_get(meta, "page")));
            assert_null(link_of(j, "prev"));
        }
        size_t k;
        json_t *card;
        json_array_foreach(json_object_get(j, "data"), k, card)
        {
            const char *id = json_string_value(json_object_get(card, "id"));
            for (size_t x = 0; x < *n; x++)
                if (strcmp(ids[x], id) == 0)
                    fail_msg("%s: %s seen twice", query, id);
            assert_true(*n < FX_N);
            ids[(*n)++] = strdup(id);
        }
        free(cursor);
        cursor = NULL;
        json_t *next = json_object_get(meta, "next_cursor");
        if (json_is_null(next)) {
            assert_null(link_of(j, "next"));
            json_decref(j);
            return ids;
        }
        cursor = strdup(json_string_value(next));
        /* In cursor mode links.next carries the same cursor (base64url needs no
         * escaping); in page mode it is the next page number. */
        if (cursor_mode)
            assert_non_null(strstr(link_of(j, "next"), cursor));
        else
            assert_non_null(strstr(link_of(j, "next"), "&page=2"));
        json_decref(j);
    }
    fail_msg("%s: cursor walk did not end", query);
    return NULL;
}

static void test_cursor_walks(void **state)
{
    struct fx *f = *state;
    static const char *sorts[] = {"sort=-date",    "sort=date",
                                  "sort=title",    "sort=-title",
                                  "sort=-updated", "sort=relevance&q=post",
                                  "tag=alpha",     "sort=title&tag_not=beta"};
    for (size_t s = 0; s < sizeof(sorts) / sizeof(sorts[0]); s++) {
        for (int limit = 1; limit <= 7; limit += 3) {
            size_t n = 0;
            char **ids = walk_cursor(f->ctx, sorts[s], limit, &n);
            /* Same rows as the model says ... */
            int expect = 0;
            for (int i = 0; i < FX_N; i++)
                expect += !fx_posts[i].future && (strstr(sorts[s], "tag=alpha") ? p_alpha(i) : 1) &&
                          (strstr(sorts[s], "tag_not=beta") ? !has_tag(i, "beta") : 1);
            if ((int)n != expect)
                fail_msg("%s limit %d: %zu rows, expected %d", sorts[s], limit, n, expect);
            /* ... in the same order as page mode. */
            size_t at = 0;
            for (int page = 1; at < n; page++) {
                char target[256];
                snprintf(target, sizeof(target), "/v1/posts?%s&limit=%d&page=%d", sorts[s], limit,
                         page);
                json_t *j = t_get_json(f->ctx, target, 200);
                size_t k;
                json_t *card;
                json_array_foreach(json_object_get(j, "data"), k, card)
                {
                    const char *id = json_string_value(json_object_get(card, "id"));
                    if (strcmp(ids[at], id) != 0)
                        fail_msg("%s limit %d: cursor row %zu is %s, page row is %s", sorts[s],
                                 limit, at, ids[at], id);
                    at++;
                }
                assert_true(k > 0);
                json_decref(j);
            }
            for (size_t x = 0; x < n; x++)
                free(ids[x]);
            free(ids);
        }
    }
}

static void test_sort_orders(void **state)
{
    struct fx *f = *state;
    json_t *j = t_get_json(f->ctx, "/v1/posts?sort=title&limit=100", 200);
    const char *prev = NULL;
    size_t k;
    json_t *card;
    json_array_foreach(json_object_get(j, "data"), k, card)
    {
        const char *t = json_string_value(json_object_get(card, "title"));
        if (prev)
            assert_true(strcasecmp(prev, t) <= 0);
        prev = t;
    }
    json_decref(j);
    j = t_get_json(f->ctx, "/v1/posts?sort=date&limit=100", 200);
    prev = NULL;
    json_array_foreach(json_object_get(j, "data"), k, card)
    {
        const char *d = json_string_value(json_object_get(card, "date_utc"));
        if (prev)
            assert_true(strcmp(prev, d) <= 0);
        prev = d;
    }
    json_decref(j);
}

static void test_cursor_misuse(void **state)
{
    struct fx *f = *state;
    json_t *j = t_get_json(f->ctx, "/v1/posts?tag=alpha&limit=3", 200);
    char *cursor =
        strdup(json_string_value(json_object_get(json_object_get(j, "meta"), "next_cursor")));
    json_decref(j);
    char target[512];
    struct api_response res;

    /* Another limit is fine; so are fields and include. */
    snprintf(target, sizeof(target), "/v1/posts?tag=alpha&limit=5&fields=title&cursor=%s", cursor);
    j = t_get_json(f->ctx, target, 200);
    json_decref(j);

    static const char *other[] = {
        "tag=beta", "tag=alpha&tag=beta",        "tag=alpha&sort=date", "tag=alpha&q=post",
        "",         "tag=alpha&after=2023-06-01"};
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
        snprintf(target, sizeof(target), "/v1/posts?%s&cursor=%s", other[i], cursor);
        t_do(f->ctx, "GET", target, NULL, &res);
        t_assert_invalid(&res, "cursor");
        api_response_clear(&res);
    }
    /* On another route with the same filters. */
    snprintf(target, sizeof(target), "/v1/tags/alpha/posts?cursor=%s", cursor);
    t_do(f->ctx, "GET", target, NULL, &res);
    t_assert_invalid(&res, "cursor");
    api_response_clear(&res);
    /* Damaged. */
    cursor[3] = cursor[3] == 'x' ? 'y' : 'x';
    snprintf(target, sizeof(target), "/v1/posts?tag=alpha&cursor=%s", cursor);
    t_do(f->ctx, "GET", target, NULL, &res);
    t_assert_invalid(&res, "cursor");
    api_response_clear(&res);
    free(cursor);
}

static void test_fields_include(void **state)
{
    struct fx *f = *state;
    json_t *j = t_get_json(f->ctx, "/v1/posts?fields=title,date&limit=3", 200);
    size_t k;
    json_t *card;
    json_array_foreach(json_object_get(j, "data"), k, card)
    {
        assert_int_equal(json_object_size(card), 4);
        assert_non_null(json_object_get(card, "id"));
        assert_non_null(json_object_get(card, "links"));
        assert_non_null(json_object_get(card, "title"));
        assert_non_null(json_object_get(card, "date"));
    }
    json_decref(j);

    j = t_get_json(f->ctx, "/v1/posts?include=body_html,questions,front_matter&sort=date&limit=100",
                   200);
    json_array_foreach(json_object_get(j, "data"), k, card)
    {
        int i = id_index(json_string_value(json_object_get(card, "id")));
        assert_int_equal(json_object_size(card), 15);
        char body[64];
        snprintf(body, sizeof(body), "<p>Body of post %d.</p>", i);
        assert_string_equal(json_string_value(json_object_get(card, "body_html")), body);
        assert_int_equal(json_array_size(json_object_get(card, "questions")), i % 2 == 0 ? 1 : 0);
        assert_int_equal(
            json_integer_value(json_object_get(json_object_get(card, "front_matter"), "n")), i);
        /* links stays last. */
        void *it = json_object_iter(card);
        const char *last = NULL;
        while (it) {
            last = json_object_iter_key(it);
            it = json_object_iter_next(card, it);
        }
        assert_string_equal(last, "links");
    }
    json_decref(j);

    /* A heavy key named in fields= is loaded without include=. */
    j = t_get_json(f->ctx, "/v1/posts?fields=summary_html,sources&sort=date&limit=2", 200);
    json_array_foreach(json_object_get(j, "data"), k, card)
    {
        int i = id_index(json_string_value(json_object_get(card, "id")));
        assert_int_equal(json_object_size(card), 4);
        if (i % 2 == 0)
            assert_string_equal(json_string_value(json_object_get(card, "summary_html")),
                                "<p>A summary.</p>");
        else
            assert_true(json_is_null(json_object_get(card, "summary_html")));
        assert_int_equal(json_array_size(json_object_get(card, "sources")), fx_posts[i].n_urls);
    }
    json_decref(j);
}

static void test_get_post(void **state)
{
    struct fx *f = *state;
    char target[256];
    const struct fx_post *m = &fx_posts[7];
    snprintf(target, sizeof(target), "/v1/posts/%s", m->id);
    struct api_response res;
    t_do(f->ctx, "GET", target, NULL, &res);
    assert_int_equal(res.status, 200);
    assert_string_equal(res.route, "/v1/posts/{key}");
    assert_non_null(t_header(&res, "ETag"));
    json_t *j = t_body(&res);
    json_t *d = json_object_get(j, "data");
    assert_string_equal(json_string_value(json_object_get(d, "id")), m->id);
    assert_string_equal(json_string_value(json_object_get(d, "title")), m->title);
    assert_string_equal(json_string_value(json_object_get(d, "body_html")),
                        "<p>Body of post 7.</p>");
    assert_string_equal(json_string_value(json_object_get(d, "date")),
                        "2023-06-02T20:00:00-04:00"); /* 2023-06-03T00:00Z at -04:00 */
    assert_true(json_is_object(json_object_get(d, "front_matter")));
    json_decref(j);
    api_response_clear(&res);

    /* By a unique slug. */
    j = t_get_json(f->ctx, "/v1/posts/post-07", 200);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "data"), "id")),
                        m->id);
    json_decref(j);

    /* A shared slug: 300 with the candidates. */
    t_do(f->ctx, "GET", "/v1/posts/shared-slug", NULL, &res);
    assert_int_equal(res.status, 300);
    assert_string_equal(res.content_type, "application/problem+json");
    j = t_body(&res);
    assert_int_equal(json_integer_value(json_object_get(j, "status")), 300);
    json_t *cands = json_object_get(j, "candidates");
    assert_int_equal(json_array_size(cands), 2);
    int seen10 = 0, seen13 = 0;
    size_t k;
    json_t *c;
    json_array_foreach(cands, k, c)
    {
        const char *id = json_string_value(json_object_get(c, "id"));
        char self[128];
        snprintf(self, sizeof(self), "/v1/posts/%s", id);
        assert_string_equal(json_string_value(json_object_get(json_object_get(c, "links"), "self")),
                            self);
        seen10 |= strcmp(id, fx_posts[10].id) == 0;
        seen13 |= strcmp(id, fx_posts[13].id) == 0;
        /* Each candidate resolves. */
        json_t *p = t_get_json(f->ctx, self, 200);
        json_decref(p);
    }
    assert_true(seen10 && seen13);
    json_decref(j);
    api_response_clear(&res);

    /* Unknown. */
    t_do(f->ctx, "GET", "/v1/posts/no-such-post", NULL, &res);
    assert_int_equal(res.status, 404);
    j = t_body(&res);
    assert_string_equal(json_string_value(json_object_get(j, "instance")),
                        "/v1/posts/no-such-post");
    assert_string_equal(json_string_value(json_object_get(j, "title")), "Not Found");
    json_decref(j);
    api_response_clear(&res);

    /* A key with characters that need escaping round-trips through links. */
    j = t_get_json(f->ctx, "/v1/posts/a%20%22b%22%3F", 404);
    assert_string_equal(json_string_value(json_object_get(j, "instance")),
                        "/v1/posts/a%20%22b%22%3F");
    json_decref(j);
}

static void test_future(void **state)
{
    struct fx *f = *state;
    const struct fx_post *m = &fx_posts[FX_N - 1];
    assert_true(m->future);
    char target[256];
    snprintf(target, sizeof(target), "/v1/posts/%s", m->id);
    json_t *j = t_get_json(f->ctx, target, 404);
    json_decref(j);

    struct api_ctx *ctx = t_ctx(f->db, 1);
    j = t_get_json(ctx, target, 200);
    json_decref(j);
    j = t_get_json(ctx, "/v1/posts?limit=1", 200);
    assert_int_equal(meta_int(j, "total"), FX_N);
    json_t *first = json_array_get(json_object_get(j, "data"), 0);
    assert_true(id_index(json_string_value(json_object_get(first, "id"))) >= FX_N - FX_FUTURE);
    json_decref(j);
    api_ctx_free(ctx);
}

static void test_term_posts(void **state)
{
    struct fx *f = *state;
    static const struct {
        const char *target;
        int (*pred)(int);
    } cases[] = {
        {"/v1/tags/alpha/posts", p_alpha},
        {"/v1/tags/north-korea/posts", p_nk},
        {"/v1/tags/North%20Korea/posts", p_nk},
        {"/v1/domains/nytimes.com/posts", p_nyt},
        {"/v1/domains/bbc.co.uk/posts", p_bbc},
        {"/v1/authors/Ann/posts", p_ann},
        {"/v1/categories/news/posts", p_news},
        {"/v1/categories/tech/posts?tag_all=beta", p_tech_beta},
    };
    for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
        char target[256];
        snprintf(target, sizeof(target), "%s%slimit=100", cases[c].target,
                 strchr(cases[c].target, '?') ? "&" : "?");
        json_t *j = t_get_json(f->ctx, target, 200);
        int expect = 0;
        for (int i = 0; i < FX_N; i++)
            expect += !fx_posts[i].future && cases[c].pred(i);
        if (meta_int(j, "total") != expect)
            fail_msg("%s: total %lld, expected %d", target, (long long)meta_int(j, "total"),
                     expect);
        json_decref(j);
    }
    json_t *j = t_get_json(f->ctx, "/v1/tags/North%20Korea/posts?limit=2", 200);
    assert_string_equal(link_of(j, "self"), "/v1/tags/North%20Korea/posts?limit=2&page=1");
    json_decref(j);

    static const char *missing[] = {"/v1/tags/nope/posts", "/v1/domains/example.org/posts",
                                    "/v1/authors/Zed/posts", "/v1/categories/sports/posts"};
    for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
        struct api_response res;
        t_do(f->ctx, "GET", missing[i], NULL, &res);
        assert_int_equal(res.status, 404);
        assert_string_equal(res.content_type, "application/problem+json");
        api_response_clear(&res);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filters),        cmocka_unit_test(test_list_shape),
        cmocka_unit_test(test_page_past_end),  cmocka_unit_test(test_cursor_walks),
        cmocka_unit_test(test_sort_orders),    cmocka_unit_test(test_cursor_misuse),
        cmocka_unit_test(test_fields_include), cmocka_unit_test(test_get_post),
        cmocka_unit_test(test_future),         cmocka_unit_test(test_term_posts),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
