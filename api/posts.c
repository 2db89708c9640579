/* The post routes: GET /v1/posts (filters, search, sort, page or cursor),
 * the same list with one filter fixed by the path (/v1/tags/{tag}/posts and
 * its domain, author and category siblings; 404 for an unknown term), and
 * GET /v1/posts/{key} (an id, else a slug; 300 listing the candidates when a
 * slug is shared). A list reads its count and its page inside one snapshot.
 *
 * Cards: include= adds heavy keys (before "links"); fields= keeps only the
 * named keys, but "id" and "links" are always kept so a narrowed card can
 * still be identified and followed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_call.h"
#include "api_cursor.h"
#include "api_links.h"
#include "api_params.h"
#include "api_problem.h"
#include "api_util.h"
#include "status.h"

static json_t *card_json(const struct post *p, unsigned include, uint32_t fields)
{
    json_t *card = post_card_to_json(p);
    if (!card)
        return NULL;
    if (include) {
        json_t *full = post_to_json(p);
        json_t *links = json_incref(json_object_get(card, "links"));
        if (!full || json_object_del(card, "links") != 0)
            goto fail_inc;
        for (size_t i = 0; i < api_n_fields; i++) {
            if (!(api_fields[i].include & include))
                continue;
            json_t *v = json_object_get(full, api_fields[i].name);
            if (json_object_set(card, api_fields[i].name, v ? v : json_null()) != 0)
                goto fail_inc;
        }
        if (json_object_set_new(card, "links", links) != 0) {
            links = NULL;
            goto fail_inc;
        }
        json_decref(full);
        goto filter;
    fail_inc:
        json_decref(links);
        json_decref(full);
        json_decref(card);
        return NULL;
    }
filter:
    if (fields) {
        const char *key;
        json_t *v;
        void *tmp;
        json_object_foreach_safe(card, tmp, key, v)
        {
            size_t i;
            for (i = 0; i < api_n_fields; i++)
                if (strcmp(api_fields[i].name, key) == 0)
                    break;
            int keep = strcmp(key, "id") == 0 || strcmp(key, "links") == 0 ||
                       (i < api_n_fields && (fields & (1u << i)));
            if (!keep)
                json_object_del(card, key);
        }
    }
    return card;
}

static enum api_list fixed_slot(const char *param)
{
    if (strcmp(param, "domain") == 0)
        return API_L_DOMAIN;
    if (strcmp(param, "author") == 0)
        return API_L_AUTHOR;
    if (strcmp(param, "category") == 0)
        return API_L_CATEGORY;
    return API_L_TAG;
}

/* The cursor hash covers the route (with its fixed term), every filter and
 * the sort, in normalized form; limit, fields and include may change freely
 * between pages. */
static uint64_t filter_hash(const char *base, const struct api_query *q)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return 0;
    int first = 1;
    fputs(base, f);
    fputc('?', f);
    api_query_write(f, q, API_QW_FILTERS, &first);
    fprintf(f, "%ssort=%s", first ? "" : "&", api_sort_name(q->sort));
    uint64_t h = 0;
    if (fclose(f) == 0)
        h = api_fnv1a64(buf, n, API_FNV64_BASIS);
    free(buf);
    return h;
}

void api_posts_list(struct api_call *c)
{
    struct api_query q;
    struct api_cursor cur;
    struct store_list l;
    json_t *data = NULL, *body = NULL, *meta = NULL, *links = NULL;
    char *base = NULL, *next_cursor = NULL;
    const char *collection = NULL, *fixed = NULL;
    int kind = 0;
    const char *fixed_v[1] = {c->route.arg};
    memset(&cur, 0, sizeof(cur));
    memset(&l, 0, sizeof(l));

    int term_route = api_route_term(c->route.id, &collection, &fixed, &kind) == 0;
    int rc = 0;
    if (api_call_query(c, &q, API_PARAMS_POSTS, fixed) != 0)
        goto out;
    struct store *st = api_call_store(c, 0, NULL);
    if (!st)
        goto out;

    if (term_route) {
        rc = store_term_exists(st, (enum store_term_kind)kind, c->route.arg);
        if (rc == ST_NOTFOUND) {
            char detail[400];
            snprintf(detail, sizeof(detail), "No %s named \"%.300s\".", fixed, c->route.arg);
            api_call_problem(c, 404, detail);
            goto out;
        }
        if (rc) {
            api_call_fail(c, rc, "term lookup");
            goto out;
        }
        base = api_links_term(collection, c->route.arg, "/posts");
    } else {
        base = strdup("/v1/posts");
    }
    if (!base) {
        api_call_fail(c, ST_NOMEM, "links");
        goto out;
    }

    uint64_t fh = filter_hash(base, &q);
    if (q.cursor) {
        const char *why = NULL;
        rc = api_cursor_decode(q.cursor, q.sort, fh, &cur, &why);
        if (rc == ST_INVALID) {
            api_call_invalid_one(c, "cursor", why);
            goto out;
        }
        if (rc) {
            api_call_fail(c, rc, "cursor");
            goto out;
        }
    }

    struct store_list_req lr;
    memset(&lr, 0, sizeof(lr));
    struct store_strv *lists[API_L_COUNT] = {&lr.f.tag,     &lr.f.tag_all,    &lr.f.tag_not,
                                             &lr.f.domain,  &lr.f.domain_not, &lr.f.author,
                                             &lr.f.category};
    for (int i = 0; i < API_L_COUNT; i++) {
        lists[i]->v = q.list[i];
        lists[i]->n = q.n_list[i];
    }
    if (term_route) {
        struct store_strv *s = lists[fixed_slot(fixed)];
        s->v = fixed_v;
        s->n = 1;
    }
    lr.f.has_after = q.has_after;
    lr.f.after = q.after;
    lr.f.has_before = q.has_before;
    lr.f.before = q.before;
    lr.f.q = q.fts;
    lr.f.now = c->now;
    lr.f.show_future = c->ctx->cfg.show_future;
    lr.sort = (enum store_sort)q.sort;
    lr.limit = q.limit;
    lr.include = q.include;
    if (q.cursor)
        lr.after = cur.key;
    else
        lr.offset = (q.page - 1) * (int64_t)q.limit;

    rc = store_read_begin(st);
    if (rc) {
        api_call_fail(c, rc, "read snapshot");
        goto out;
    }
    rc = store_posts_list(st, &lr, &l);
    store_read_end(st);
    if (rc == ST_INVALID && q.q) {
        api_call_invalid_one(c, "q", "is not a valid search expression");
        goto out;
    }
    if (rc) {
        api_call_fail(c, rc, "post list");
        goto out;
    }

    if (l.has_more && l.n > 0) {
        rc = api_cursor_encode(&l.last, q.sort, fh, &next_cursor);
        if (rc && rc != ST_INVALID) {
            api_call_fail(c, rc, "cursor");
            goto out;
        }
    }

    data = json_array();
    if (!data)
        goto nomem;
    for (size_t i = 0; i < l.n; i++)
        if (json_array_append_new(data, card_json(&l.items[i], q.include, q.fields)) != 0)
            goto nomem;
    struct api_paging pg = {
        .base = base,
        .what = API_QW_FILTERS | API_QW_SORT | API_QW_VIEW | API_QW_LIMIT,
        .total = l.total,
        .cursor = q.cursor,
        .next_cursor = next_cursor,
    };
    links = api_links_build(c, &q, &pg);
    meta = json_pack("{s:I, s:i, s:o, s:I, s:o}", "total", (json_int_t)l.total, "limit", q.limit,
                     "page", q.cursor ? json_null() : json_integer(q.page), "pages",
                     (json_int_t)api_links_pages(l.total, q.limit), "next_cursor",
                     next_cursor ? json_string(next_cursor) : json_null());
    if (!links || !meta)
        goto nomem;
    body = json_pack("{s:o, s:o, s:o}", "data", data, "meta", meta, "links", links);
    data = meta = links = NULL; /* stolen, even when packing failed */
    api_call_ok(c, body);
    goto out;
nomem:
    api_call_fail(c, ST_NOMEM, "list");
out:
    json_decref(data);
    json_decref(meta);
    json_decref(links);
    free(base);
    free(next_cursor);
    store_list_clear(&l);
    api_cursor_clear(&cur);
    api_query_clear(&q);
}

void api_posts_get(struct api_call *c)
{
    struct api_query q;
    struct post p;
    struct store_ids ids = {0};
    post_init(&p);

    int rc = 0;
    if (api_call_query(c, &q, API_PARAMS_NONE, NULL) != 0)
        goto out;
    struct store *st = api_call_store(c, 0, NULL);
    if (!st)
        goto out;

    const char *key = c->route.arg;
    rc = strlen(key) > 1024 ? ST_NOTFOUND
                            : store_post_get(st, key, c->now, c->ctx->cfg.show_future, &p, &ids);
    if (rc == 0) {
        json_t *post = post_to_json(&p);
        api_call_ok(c, post ? json_pack("{s:o}", "data", post) : NULL);
    } else if (rc == ST_NOTFOUND) {
        char detail[400];
        snprintf(detail, sizeof(detail), "No post has the id or slug \"%.300s\".", key);
        api_call_problem(c, 404, detail);
    } else if (rc == ST_AMBIGUOUS) {
        char detail[400];
        snprintf(detail, sizeof(detail),
                 "%zu posts share the slug \"%.300s\"; ask for one of them by id.", ids.n, key);
        json_t *prob = api_problem_new(300, detail, api_call_instance(c));
        json_t *cands = json_array();
        if (!prob || !cands || json_object_set_new(prob, "candidates", cands) != 0) {
            json_decref(prob);
            api_call_fail(c, ST_NOMEM, "candidates");
            goto out;
        }
        for (size_t i = 0; i < ids.n; i++) {
            char *self = api_links_post(ids.ids[i]);
            json_t *o =
                self ? json_pack("{s:s, s:{s:s}}", "id", ids.ids[i], "links", "self", self) : NULL;
            free(self);
            if (json_array_append_new(cands, o) != 0) {
                json_decref(prob);
                api_call_fail(c, ST_NOMEM, "candidates");
                goto out;
            }
        }
        api_call_problem_json(c, 300, prob);
    } else {
        api_call_fail(c, rc, "post lookup");
    }
out:
    post_clear(&p);
    store_ids_clear(&ids);
    api_query_clear(&q);
}
