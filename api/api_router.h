/* Private to api/: which route a decoded request path names. */
#ifndef POSTD_API_ROUTER_H
#define POSTD_API_ROUTER_H

#include <stddef.h>

enum api_route_id {
    API_R_NONE = 0, /* no route: 404 */
    API_R_POSTS,
    API_R_POST,
    API_R_TAGS,
    API_R_DOMAINS,
    API_R_AUTHORS,
    API_R_CATEGORIES,
    API_R_TAG_POSTS,
    API_R_DOMAIN_POSTS,
    API_R_AUTHOR_POSTS,
    API_R_CATEGORY_POSTS,
    API_R_HEALTHZ,
    API_R_READYZ,
    API_R_METRICS,
    API_R_OPENAPI,
    API_R_COUNT
};

struct api_route_match {
    enum api_route_id id;
    const char *name; /* static: "/v1/posts/{key}", "unmatched" for API_R_NONE */
    char *arg;        /* owned: the {key}/{tag}/... segment, NULL when the route has none */
};

/* Matches path (decoded, no query). One trailing "/" is ignored ("/v1/posts/"
 * is "/v1/posts"). Segment values may contain "/" (they arrive decoded), so
 * "/v1/tags/{tag}/posts" takes everything between the fixed parts. Returns 0
 * (m->id may be API_R_NONE) or ST_NOMEM. Release with api_route_match_clear. */
int api_route_match(const char *path, struct api_route_match *m);
void api_route_match_clear(struct api_route_match *m);

/* The static name of a route ("unmatched" for API_R_NONE or out of range). */
const char *api_route_name(enum api_route_id id);

/* For the /v1/{kind}s and /v1/{kind}s/{x}/posts routes: the collection name
 * ("tags"), the list parameter the path fixes ("tag"), and the store term kind
 * (enum store_term_kind). Returns 0, or -1 when id is not such a route. */
int api_route_term(enum api_route_id id, const char **collection, const char **param, int *kind);

#endif
