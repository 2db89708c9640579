/* The route table: maps a decoded request path to a route id, its static name
 * (used for logs and metric labels, so it never contains client data) and the
 * one variable segment a route may have. Matching is exact and case-sensitive;
 * one trailing slash is tolerated and means the same resource. */
#include "api_router.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "status.h"
#include "store.h"

static const char *const names[API_R_COUNT] = {
    [API_R_NONE] = "unmatched",
    [API_R_POSTS] = "/v1/posts",
    [API_R_POST] = "/v1/posts/{key}",
    [API_R_TAGS] = "/v1/tags",
    [API_R_DOMAINS] = "/v1/domains",
    [API_R_AUTHORS] = "/v1/authors",
    [API_R_CATEGORIES] = "/v1/categories",
    [API_R_TAG_POSTS] = "/v1/tags/{tag}/posts",
    [API_R_DOMAIN_POSTS] = "/v1/domains/{domain}/posts",
    [API_R_AUTHOR_POSTS] = "/v1/authors/{author}/posts",
    [API_R_CATEGORY_POSTS] = "/v1/categories/{category}/posts",
    [API_R_HEALTHZ] = "/healthz",
    [API_R_READYZ] = "/readyz",
    [API_R_METRICS] = "/metrics",
    [API_R_OPENAPI] = "/v1/openapi.json",
};

static const struct {
    enum api_route_id list, posts;
    const char *collection, *param;
    enum store_term_kind kind;
} terms[] = {
    {API_R_TAGS, API_R_TAG_POSTS, "tags", "tag", STORE_TERM_TAG},
    {API_R_DOMAINS, API_R_DOMAIN_POSTS, "domains", "domain", STORE_TERM_DOMAIN},
    {API_R_AUTHORS, API_R_AUTHOR_POSTS, "authors", "author", STORE_TERM_AUTHOR},
    {API_R_CATEGORIES, API_R_CATEGORY_POSTS, "categories", "category", STORE_TERM_CATEGORY},
};

const char *api_route_name(enum api_route_id id)
{
    if ((int)id < 0 || id >= API_R_COUNT)
        return names[API_R_NONE];
    return names[id];
}

int api_route_term(enum api_route_id id, const char **collection, const char **param, int *kind)
{
    for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
        if (terms[i].list == id || terms[i].posts == id) {
            if (collection)
                *collection = terms[i].collection;
            if (param)
                *param = terms[i].param;
            if (kind)
                *kind = (int)terms[i].kind;
            return 0;
        }
    }
    return -1;
}

static int set_arg(struct api_route_match *m, enum api_route_id id, const char *s, size_t n)
{
    if (n == 0)
        return 0; /* an empty segment names nothing: 404 */
    m->arg = strndup(s, n);
    if (!m->arg)
        return ST_NOMEM;
    m->id = id;
    m->name = names[id];
    return 0;
}

int api_route_match(const char *path, struct api_route_match *m)
{
    static const struct {
        const char *path;
        enum api_route_id id;
    } fixed[] = {
        {"/v1/posts", API_R_POSTS},
        {"/v1/tags", API_R_TAGS},
        {"/v1/domains", API_R_DOMAINS},
        {"/v1/authors", API_R_AUTHORS},
        {"/v1/categories", API_R_CATEGORIES},
        {"/healthz", API_R_HEALTHZ},
        {"/readyz", API_R_READYZ},
        {"/metrics", API_R_METRICS},
        {"/v1/openapi.json", API_R_OPENAPI},
    };
    m->id = API_R_NONE;
    m->name = names[API_R_NONE];
    m->arg = NULL;
    if (!path)
        return 0;
    size_t n = strlen(path);
    if (n > 1 && path[n - 1] == '/')
        n--;

    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        if (strlen(fixed[i].path) == n && memcmp(fixed[i].path, path, n) == 0) {
            m->id = fixed[i].id;
            m->name = names[fixed[i].id];
            return 0;
        }
    }

    static const char posts_prefix[] = "/v1/posts/";
    size_t pl = sizeof(posts_prefix) - 1;
    if (n > pl && memcmp(path, posts_prefix, pl) == 0)
        return set_arg(m, API_R_POST, path + pl, n - pl);

    static const char suffix[] = "/posts";
    size_t sl = sizeof(suffix) - 1;
    for (size_t i = 0; i < sizeof(terms) / sizeof(terms[0]); i++) {
        char prefix[32];
        size_t l = (size_t)snprintf(prefix, sizeof(prefix), "/v1/%s/", terms[i].collection);
        if (n >= l + sl && memcmp(path, prefix, l) == 0 && memcmp(path + n - sl, suffix, sl) == 0)
            return set_arg(m, terms[i].posts, path + l, n - l - sl);
    }
    return 0;
}

void api_route_match_clear(struct api_route_match *m)
{
    if (!m)
        return;
    free(m->arg);
    m->arg = NULL;
    m->id = API_R_NONE;
    m->name = names[API_R_NONE];
}
