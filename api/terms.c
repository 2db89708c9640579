/* The term lists: GET /v1/tags, /v1/authors, /v1/categories ({"name", "slug",
 * "count", "latest"}) and /v1/domains ({"domain", "count", "latest"}), each
 * item with links.posts to its post list. sort=-count (default, ties by name)
 * or name; q= is a case-insensitive name prefix; limit/page as in post lists,
 * with the same meta, links, X-Total-Count and Link. Counts only include posts
 * visible now (future posts hidden unless configured). */
#include <stdlib.h>
#include <string.h>

#include "api_call.h"
#include "api_links.h"
#include "api_params.h"
#include "api_util.h"
#include "status.h"

static json_t *term_json(const struct store_term *t, const char *collection, int is_domain)
{
    char latest[32];
    char *posts = api_links_term(collection, t->name ? t->name : "", "/posts");
    if (!posts)
        return NULL;
    json_t *o = json_object();
    json_t *links = json_object();
    int bad = !o || !links;
    if (t->latest > 0)
        post_format_date(t->latest, 0, 1, latest);
    if (!bad && is_domain)
        bad = json_object_set_new(o, "domain", api_json_text(t->name)) != 0;
    else if (!bad)
        bad = json_object_set_new(o, "name", api_json_text(t->name)) != 0 ||
              json_object_set_new(o, "slug", api_json_text(t->slug)) != 0;
    if (!bad)
        bad = json_object_set_new(o, "count", json_integer(t->count)) != 0 ||
              json_object_set_new(o, "latest", t->latest > 0 ? json_string(latest) : json_null()) ||
              json_object_set_new(links, "posts", json_string(posts)) != 0;
    free(posts);
    if (bad || json_object_set_new(o, "links", links) != 0) {
        if (bad)
            json_decref(links);
        json_decref(o);
        return NULL;
    }
    return o;
}

void api_terms_list(struct api_call *c)
{
    struct api_query q;
    struct store_terms t;
    json_t *data = NULL, *meta = NULL, *links = NULL;
    const char *collection = NULL;
    char base[32];
    int kind = 0;
    memset(&t, 0, sizeof(t));

    api_route_term(c->route.id, &collection, NULL, &kind);
    int rc = 0;
    if (api_call_query(c, &q, API_PARAMS_TERMS, NULL) != 0)
        goto out;
    struct store *st = api_call_store(c, 0, NULL);
    if (!st)
        goto out;

    rc = store_read_begin(st);
    if (rc) {
        api_call_fail(c, rc, "read snapshot");
        goto out;
    }
    rc = store_terms_list(st, (enum store_term_kind)kind, q.q, q.sort == 1, q.limit,
                          (q.page - 1) * (int64_t)q.limit, c->now, c->ctx->cfg.show_future, &t);
    store_read_end(st);
    if (rc) {
        api_call_fail(c, rc, "term list");
        goto out;
    }

    data = json_array();
    if (!data)
        goto nomem;
    for (size_t i = 0; i < t.n; i++)
        if (json_array_append_new(
                data, term_json(&t.items[i], collection, kind == STORE_TERM_DOMAIN)) != 0)
            goto nomem;
    snprintf(base, sizeof(base), "/v1/%s", collection);
    struct api_paging pg = {
        .base = base,
        .what = API_QW_FILTERS | API_QW_SORT | API_QW_LIMIT,
        .total = t.total,
    };
    links = api_links_build(c, &q, &pg);
    meta = json_pack("{s:I, s:i, s:I, s:I}", "total", (json_int_t)t.total, "limit", q.limit, "page",
                     (json_int_t)q.page, "pages", (json_int_t)api_links_pages(t.total, q.limit));
    if (!links || !meta)
        goto nomem;
    json_t *body = json_pack("{s:o, s:o, s:o}", "data", data, "meta", meta, "links", links);
    data = meta = links = NULL;
    api_call_ok(c, body);
    goto out;
nomem:
    api_call_fail(c, ST_NOMEM, "terms");
out:
    json_decref(data);
    json_decref(meta);
    json_decref(links);
    store_terms_clear(&t);
    api_query_clear(&q);
}
