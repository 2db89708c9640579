/* Private to api/: pagination metadata and links shared by the list routes. */
#ifndef POSTD_API_LINKS_H
#define POSTD_API_LINKS_H

#include <jansson.h>
#include <stdint.h>

#include "api_call.h"
#include "api_params.h"

/* Paging state of one list response. */
struct api_paging {
    const char *base; /* path of the list, already percent-encoded */
    unsigned what;    /* API_QW_* parts of q that links repeat */
    int64_t total;
    const char *cursor;      /* the request's cursor (cursor mode), or NULL (page mode) */
    const char *next_cursor; /* NULL when this is the last page */
};

/* Builds {"self", "first", "prev", "next", "last"} (relative URLs, null where
 * there is no such page) and sets c's X-Total-Count and Link header. Returns
 * a NEW object, or NULL on out of memory. */
json_t *api_links_build(struct api_call *c, const struct api_query *q, const struct api_paging *pg);

/* Pages for total rows at q->limit per page (at least 1). */
int64_t api_links_pages(int64_t total, int limit);

/* "/v1/posts/<id percent-encoded>", heap string or NULL. */
char *api_links_post(const char *id);

/* "/v1/<collection>/<name percent-encoded><suffix>", heap string or NULL. */
char *api_links_term(const char *collection, const char *name, const char *suffix);

#endif
