/* Private to api/: query parameter validation. Every value a handler uses comes
 * out of api_query_parse already checked; everything wrong is collected as
 * invalid_params entries ({"name", "reason"}) for one 400 problem. */
#ifndef POSTD_API_PARAMS_H
#define POSTD_API_PARAMS_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "api.h"

enum api_param_set {
    API_PARAMS_NONE,  /* the route takes no parameters */
    API_PARAMS_POSTS, /* the /v1/posts table (API.md §3) */
    API_PARAMS_TERMS, /* q (prefix), sort (-count|name), limit, page */
};

/* The repeatable filter lists, in canonical order. */
enum api_list {
    API_L_TAG,
    API_L_TAG_ALL,
    API_L_TAG_NOT,
    API_L_DOMAIN,
    API_L_DOMAIN_NOT,
    API_L_AUTHOR,
    API_L_CATEGORY,
    API_L_COUNT
};

#define API_MAX_VALUE 256    /* bytes in one value (q, tag, ...) */
#define API_MAX_REPEAT 50    /* values of one repeatable parameter */
#define API_MAX_PAGE 1000000 /* largest page number */
#define API_MAX_CURSOR 2048  /* characters in a cursor */

/* The keys of a card that fields= may name, and the heavy keys include= adds
 * (with their STORE_INC_* bit). Naming a heavy key in fields= implies include. */
struct api_field_def {
    const char *name;
    unsigned include; /* 0 for card keys */
};
extern const struct api_field_def api_fields[];
extern const size_t api_n_fields;

struct api_query {
    const char **list[API_L_COUNT]; /* owned arrays of borrowed values, sorted (strcmp) */
    size_t n_list[API_L_COUNT];
    int has_after, has_before;
    int64_t after, before;                /* UTC seconds: after inclusive, before exclusive */
    char after_norm[32], before_norm[32]; /* normalized spelling for links */
    const char *q;                        /* as given (borrowed) */
    char *fts;                            /* posts: q as a safe FTS5 expression (owned) */
    const char *sort_raw;                 /* NULL when not given */
    int sort;                             /* posts: enum store_sort; terms: 1 = by name */
    int limit;
    int64_t page; /* 1 when not given */
    int page_given;
    const char *cursor; /* borrowed, not yet decoded */
    const char *fields_raw, *include_raw;
    uint32_t fields;        /* bit i = api_fields[i] kept; 0 = all */
    unsigned include;       /* STORE_INC_* bits (include= and heavy fields=) */
    unsigned include_given; /* STORE_INC_* bits named by include= itself */
};

/* Parses and validates req's parameters for set. fixed names a list parameter
 * the path already fixes (it is then refused), or NULL. Strings stay borrowed
 * from req. Returns 0; ST_INVALID with *invalid set to a NEW invalid_params
 * array (caller decrefs); ST_NOMEM. Always release with api_query_clear. */
int api_query_parse(struct api_query *q, const struct api_request *req, enum api_param_set set,
                    const char *fixed, const struct api_config *cfg, json_t **invalid);
void api_query_clear(struct api_query *q);

enum {
    API_QW_FILTERS = 1 << 0, /* list filters, after, before, q */
    API_QW_SORT = 1 << 1,    /* sort, when given */
    API_QW_VIEW = 1 << 2,    /* fields, include */
    API_QW_LIMIT = 1 << 3,   /* limit, always */
};
/* Writes the normalized query ("tag=a&tag=b&limit=20") of the parts in what to
 * f, values percent-encoded, parameters in a fixed order, the values of a list
 * sorted and fields=/include= as sets in their canonical order: requests that
 * differ only in such order get the same links, cursors and response bytes
 * (which is what lets the response cache share one entry between them). *first
 * tracks whether a "&" is needed; set it to 1 before the first call. */
void api_query_write(FILE *f, const struct api_query *q, unsigned what, int *first);

/* The name of a post sort ("-date") or terms sort ("-count"). */
const char *api_sort_name(int sort);

/* Turns user search text into an FTS5 expression that cannot be a syntax error:
 * every bare word becomes a quoted string ("korea", a trailing * keeps prefix
 * search: "kor"*), "quoted phrases" stay phrases, all ANDed. Returns 0 with
 * *out a heap string; ST_INVALID when the text has no searchable term; ST_NOMEM. */
int api_fts_translate(const char *q, char **out);

/* Parses an RFC 3339 date-time (offset or Z, fractional seconds rounded up to
 * the next second) or a YYYY-MM-DD day (its UTC start). 0, or -1 when invalid. */
int api_date_parse(const char *s, int64_t *out);

/* Strict positive decimal: [1-9][0-9]*, at most max. 0, or -1. */
int api_uint_parse(const char *s, int64_t max, int64_t *out);

#endif
