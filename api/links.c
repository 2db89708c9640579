/* Pagination links for list responses: the body's "links" object and the
 * RFC 8288 Link header carry the same relative URLs, built from the normalized
 * query (parameters in a fixed order, values percent-encoded) plus page=N or
 * cursor=X. Page mode links every page by number; cursor mode has no "prev"
 * (a keyset cursor only walks forward) and its "next" carries next_cursor. */
#include "api_links.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_util.h"

int64_t api_links_pages(int64_t total, int limit)
{
    if (total <= 0 || limit <= 0)
        return 1;
    return (total + limit - 1) / limit;
}

static char *url(const struct api_query *q, const struct api_paging *pg, int64_t page,
                 const char *cursor)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    int first = 1;
    fputs(pg->base, f);
    fputc('?', f);
    api_query_write(f, q, pg->what, &first);
    if (!first)
        fputc('&', f);
    if (cursor) {
        fputs("cursor=", f);
        api_pct_encode(f, cursor);
    } else {
        fprintf(f, "page=%lld", (long long)page);
    }
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

json_t *api_links_build(struct api_call *c, const struct api_query *q, const struct api_paging *pg)
{
    static const char *const rels[] = {"self", "first", "prev", "next", "last"};
    char *u[5] = {NULL};
    int64_t pages = api_links_pages(pg->total, q->limit);
    json_t *links = NULL;
    char *hbuf = NULL;
    size_t hn = 0;
    FILE *h = NULL;

    if (pg->cursor) {
        u[0] = url(q, pg, 0, pg->cursor);
        u[1] = url(q, pg, 1, NULL);
        if (pg->next_cursor)
            u[3] = url(q, pg, 0, pg->next_cursor);
        u[4] = url(q, pg, pages, NULL);
    } else {
        int64_t p = q->page;
        u[0] = url(q, pg, p, NULL);
        u[1] = url(q, pg, 1, NULL);
        if (p > 1)
            u[2] = url(q, pg, p - 1 < pages ? p - 1 : pages, NULL);
        if (p < pages)
            u[3] = url(q, pg, p + 1, NULL);
        u[4] = url(q, pg, pages, NULL);
    }
    if (!u[0] || !u[1] || !u[4] || (pg->cursor && pg->next_cursor && !u[3]))
        goto out;

    links = json_object();
    h = open_memstream(&hbuf, &hn);
    if (!links || !h)
        goto fail;
    int nh = 0;
    for (int i = 0; i < 5; i++) {
        if (json_object_set_new(links, rels[i], u[i] ? json_string(u[i]) : json_null()))
            goto fail;
        if (i > 0 && u[i])
            fprintf(h, "%s<%s>; rel=\"%s\"", nh++ ? ", " : "", u[i], rels[i]);
    }
    if (fclose(h) != 0) {
        h = NULL;
        goto fail;
    }
    h = NULL;
    free(c->link);
    c->link = hbuf;
    hbuf = NULL;
    c->has_total = 1;
    c->total = pg->total;
    goto out;
fail:
    json_decref(links);
    links = NULL;
out:
    if (h)
        fclose(h);
    free(hbuf);
    for (int i = 0; i < 5; i++)
        free(u[i]);
    return links;
}

char *api_links_post(const char *id)
{
    return api_links_term("posts", id, "");
}

char *api_links_term(const char *collection, const char *name, const char *suffix)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    fprintf(f, "/v1/%s/", collection);
    api_pct_encode(f, name);
    fputs(suffix, f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}
