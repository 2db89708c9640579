/* Query parameter validation for every route: which names a route accepts,
 * which may repeat, and the syntax of each value (dates, integers, sorts,
 * field lists, search text). Strict on purpose: an unknown or malformed
 * parameter is a 400 naming it, never silently ignored, so a typo cannot widen
 * a query. Also writes the normalized query used in links and cursor hashes,
 * and turns search text into an FTS5 expression that cannot be a syntax error. */
#include "api_params.h"

#include <stdlib.h>
#include <string.h>

#include "api_problem.h"
#include "api_util.h"
#include "status.h"
#include "store.h"

const struct api_field_def api_fields[] = {
    {"id", 0},
    {"slug", 0},
    {"url", 0},
    {"title", 0},
    {"description", 0},
    {"date", 0},
    {"date_utc", 0},
    {"author", 0},
    {"image", 0},
    {"tags", 0},
    {"domains", 0},
    {"links", 0},
    {"questions", STORE_INC_QUESTIONS},
    {"summary_html", STORE_INC_SUMMARY},
    {"body_html", STORE_INC_BODY},
    {"carousel", STORE_INC_CAROUSEL},
    {"sources", STORE_INC_SOURCES},
    {"front_matter", STORE_INC_FRONT_MATTER},
};
const size_t api_n_fields = sizeof(api_fields) / sizeof(api_fields[0]);

enum kind {
    K_LIST,
    K_DATE,
    K_Q,
    K_SORT,
    K_LIMIT,
    K_PAGE,
    K_CURSOR,
    K_FIELDS,
    K_INCLUDE,
    K_TSORT,
    K_PREFIX,
};

struct spec {
    const char *name;
    enum kind kind;
    int slot; /* enum api_list for K_LIST; 0 after / 1 before for K_DATE */
};

static const struct spec posts_spec[] = {
    {"tag", K_LIST, API_L_TAG},
    {"tag_all", K_LIST, API_L_TAG_ALL},
    {"tag_not", K_LIST, API_L_TAG_NOT},
    {"domain", K_LIST, API_L_DOMAIN},
    {"domain_not", K_LIST, API_L_DOMAIN_NOT},
    {"author", K_LIST, API_L_AUTHOR},
    {"category", K_LIST, API_L_CATEGORY},
    {"after", K_DATE, 0},
    {"before", K_DATE, 1},
    {"q", K_Q, 0},
    {"sort", K_SORT, 0},
    {"limit", K_LIMIT, 0},
    {"page", K_PAGE, 0},
    {"cursor", K_CURSOR, 0},
    {"fields", K_FIELDS, 0},
    {"include", K_INCLUDE, 0},
};

static const struct spec terms_spec[] = {
    {"q", K_PREFIX, 0},
    {"sort", K_TSORT, 0},
    {"limit", K_LIMIT, 0},
    {"page", K_PAGE, 0},
};

static const struct {
    const char *name;
    enum store_sort sort;
} post_sorts[] = {
    {"-date", STORE_SORT_DATE_DESC},       {"date", STORE_SORT_DATE_ASC},
    {"title", STORE_SORT_TITLE_ASC},       {"-title", STORE_SORT_TITLE_DESC},
    {"-updated", STORE_SORT_UPDATED_DESC}, {"relevance", STORE_SORT_RELEVANCE},
};

static const char *const include_names[] = {"questions", "summary_html", "body_html",
                                            "carousel",  "sources",      "front_matter"};

const char *api_sort_name(int sort)
{
    for (size_t i = 0; i < sizeof(post_sorts) / sizeof(post_sorts[0]); i++)
        if ((int)post_sorts[i].sort == sort)
            return post_sorts[i].name;
    return "-date";
}

int api_uint_parse(const char *s, int64_t max, int64_t *out)
{
    if (!s || s[0] < '1' || s[0] > '9')
        return -1;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
        if (v > max)
            return -1;
    }
    *out = v;
    return 0;
}

/* Reads exactly n digits at *p. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

int api_date_parse(const char *s, int64_t *out)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0, round_up = 0, off = 0;
    if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' || digits(&p, 2, &d))
        return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > api_days_in_month(y, mo))
        return -1;
    if (*p) {
        /* RFC 3339 allows "t" and, by its note, a space for "T". */
        if (*p != 'T' && *p != 't' && *p != ' ')
            return -1;
        p++;
        if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
            digits(&p, 2, &sec))
            return -1;
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
        if (*p == '.') {
            p++;
            if (*p < '0' || *p > '9')
                return -1;
            for (; *p >= '0' && *p <= '9'; p++)
                if (*p != '0')
                    round_up = 1;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-' || *p == ' ') {
            /* A space is a "+" that came through form decoding unescaped. */
            int sign = *p == '-' ? -1 : 1, oh, om;
            p++;
            if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
                return -1;
            off = sign * (oh * 3600 + om * 60);
        } else {
            return -1;
        }
        if (*p)
            return -1;
    }
    *out = api_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off + round_up;
    return 0;
}

static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* A term the unicode61 tokenizer would find nothing in matches nothing at all;
 * such terms (punctuation only) are dropped instead. */
static int searchable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
            return 1;
    }
    return 0;
}

static void quoted(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}

int api_fts_translate(const char *q, char **out)
{
    char *buf = NULL;
    size_t len = 0;
    int terms = 0;
    *out = NULL;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return ST_NOMEM;
    const char *p = q;
    while (*p) {
        if (is_space(*p)) {
            p++;
            continue;
        }
        const char *start;
        size_t n;
        int prefix = 0;
        if (*p == '"') {
            start = ++p;
            while (*p && *p != '"')
                p++;
            n = (size_t)(p - start);
            if (*p == '"')
                p++;
        } else {
            start = p;
            while (*p && !is_space(*p) && *p != '"')
                p++;
            n = (size_t)(p - start);
            while (n > 0 && start[n - 1] == '*') {
                n--;
                prefix = 1;
            }
        }
        if (!searchable(start, n))
            continue;
        if (terms++)
            fputs(" AND ", f);
        quoted(f, start, n);
        if (prefix)
            fputc('*', f);
    }
    if (fclose(f) != 0) {
        free(buf);
        return ST_NOMEM;
    }
    if (!terms) {
        free(buf);
        return ST_INVALID;
    }
    *out = buf;
    return 0;
}

/* Splits a comma list and resolves each item; reports the first bad one. */
static int parse_fields(const char *v, uint32_t *fields, unsigned *include, char *why, size_t wn)
{
    const char *p = v;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        size_t i;
        for (i = 0; i < api_n_fields; i++)
            if (strlen(api_fields[i].name) == n && memcmp(api_fields[i].name, p, n) == 0)
                break;
        if (n == 0) {
            snprintf(why, wn, "empty item in the list");
            return -1;
        }
        if (i == api_n_fields) {
            snprintf(why, wn,
                     "unknown field \"%.*s\"; known: id, slug, url, title, description, "
                     "date, date_utc, author, image, tags, domains, links, questions, "
                     "summary_html, body_html, carousel, sources, front_matter",
                     (int)(n > 64 ? 64 : n), p);
            return -1;
        }
        *fields |= 1u << i;
        *include |= api_fields[i].include;
        if (!e)
            return 0;
        p = e + 1;
    }
}

static int parse_include(const char *v, unsigned *include, unsigned *given, char *why, size_t wn)
{
    const char *p = v;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        size_t i;
        for (i = 0; i < sizeof(include_names) / sizeof(include_names[0]); i++)
            if (strlen(include_names[i]) == n && memcmp(include_names[i], p, n) == 0)
                break;
        if (n == 0) {
            snprintf(why, wn, "empty item in the list");
            return -1;
        }
        if (i == sizeof(include_names) / sizeof(include_names[0])) {
            snprintf(why, wn,
                     "unknown part \"%.*s\"; known: questions, summary_html, body_html, "
                     "carousel, sources, front_matter",
                     (int)(n > 64 ? 64 : n), p);
            return -1;
        }
        *include |= 1u << i; /* include_names follow the STORE_INC_* bit order */
        *given |= 1u << i;
        if (!e)
            return 0;
        p = e + 1;
    }
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const struct spec *find_spec(const struct spec *spec, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(spec[i].name, name) == 0)
            return &spec[i];
    return NULL;
}

/* Validates one occurrence of a known parameter. */
static int check_value(struct api_query *q, const struct spec *s, const char *v,
                       const struct api_config *cfg, json_t **inv)
{
    char why[320];
    int64_t n;
    switch (s->kind) {
    case K_LIST:
        q->list[s->slot][q->n_list[s->slot]++] = v;
        return 0;
    case K_DATE: {
        int64_t t;
        if (api_date_parse(v, &t))
            return api_invalid_add(inv, s->name,
                                   "must be an RFC 3339 date-time with an offset "
                                   "(2023-09-16T01:55:02-04:00) or a day (2023-09-16)");
        /* Links and cursor hashes use one spelling per instant: a day as
         * given, anything else as UTC with "Z". */
        char *norm = s->slot == 0 ? q->after_norm : q->before_norm;
        if (strlen(v) == 10)
            memcpy(norm, v, 11);
        else
            post_format_date(t, 0, 1, norm);
        if (s->slot == 0) {
            q->has_after = 1;
            q->after = t;
        } else {
            q->has_before = 1;
            q->before = t;
        }
        return 0;
    }
    case K_Q: {
        q->q = v;
        int rc = api_fts_translate(v, &q->fts);
        if (rc == ST_INVALID)
            return api_invalid_add(inv, s->name, "must contain at least one word to search for");
        return rc;
    }
    case K_PREFIX:
        q->q = v;
        return 0;
    case K_SORT:
        q->sort_raw = v;
        for (size_t i = 0; i < sizeof(post_sorts) / sizeof(post_sorts[0]); i++) {
            if (strcmp(post_sorts[i].name, v) == 0) {
                q->sort = (int)post_sorts[i].sort;
                return 0;
            }
        }
        return api_invalid_add(inv, s->name,
                               "must be one of -date, date, title, -title, -updated, relevance");
    case K_TSORT:
        q->sort_raw = v;
        if (strcmp(v, "-count") == 0) {
            q->sort = 0;
            return 0;
        }
        if (strcmp(v, "name") == 0) {
            q->sort = 1;
            return 0;
        }
        return api_invalid_add(inv, s->name, "must be -count or name");
    case K_LIMIT:
        if (api_uint_parse(v, cfg->max_limit, &n)) {
            snprintf(why, sizeof(why), "must be an integer 1..%d", cfg->max_limit);
            return api_invalid_add(inv, s->name, why);
        }
        q->limit = (int)n;
        return 0;
    case K_PAGE:
        if (api_uint_parse(v, API_MAX_PAGE, &n)) {
            snprintf(why, sizeof(why), "must be an integer 1..%d", API_MAX_PAGE);
            return api_invalid_add(inv, s->name, why);
        }
        q->page = n;
        q->page_given = 1;
        return 0;
    case K_CURSOR:
        q->cursor = v;
        return 0;
    case K_FIELDS:
        q->fields_raw = v;
        if (parse_fields(v, &q->fields, &q->include, why, sizeof(why)))
            return api_invalid_add(inv, s->name, why);
        return 0;
    case K_INCLUDE:
        q->include_raw = v;
        if (parse_include(v, &q->include, &q->include_given, why, sizeof(why)))
            return api_invalid_add(inv, s->name, why);
        return 0;
    }
    return 0;
}

int api_query_parse(struct api_query *q, const struct api_request *req, enum api_param_set set,
                    const char *fixed, const struct api_config *cfg, json_t **invalid)
{
    const struct spec *spec = NULL;
    size_t n_spec = 0;
    size_t counts[sizeof(posts_spec) / sizeof(posts_spec[0])] = {0};
    json_t *inv = NULL;
    int rc = 0;

    memset(q, 0, sizeof(*q));
    q->limit = cfg->default_limit;
    q->page = 1;
    *invalid = NULL;
    if (set == API_PARAMS_POSTS) {
        spec = posts_spec;
        n_spec = sizeof(posts_spec) / sizeof(posts_spec[0]);
    } else if (set == API_PARAMS_TERMS) {
        spec = terms_spec;
        n_spec = sizeof(terms_spec) / sizeof(terms_spec[0]);
    }

    /* Pass 1: names, repetition and lengths. */
    for (size_t i = 0; i < req->n_params && rc == 0; i++) {
        const struct api_param *pa = &req->params[i];
        const char *name = pa->name ? pa->name : "";
        const struct spec *s = find_spec(spec, n_spec, name);
        if (fixed && strcmp(name, fixed) == 0)
            rc = api_invalid_add(&inv, name, "fixed by the path; not allowed on this route");
        else if (!s)
            rc = api_invalid_add(&inv, name, "unknown parameter");
        else
            counts[s - spec]++;
    }
    for (size_t i = 0; i < n_spec && rc == 0; i++) {
        const struct spec *s = &spec[i];
        if (s->kind == K_LIST) {
            if (counts[i] > API_MAX_REPEAT) {
                char why[64];
                snprintf(why, sizeof(why), "at most %d values", API_MAX_REPEAT);
                rc = api_invalid_add(&inv, s->name, why);
                continue;
            }
            if (counts[i]) {
                q->list[s->slot] = calloc(counts[i], sizeof(char *));
                if (!q->list[s->slot])
                    rc = ST_NOMEM;
            }
        } else if (counts[i] > 1) {
            rc = api_invalid_add(&inv, s->name, "must not be repeated");
        }
    }

    /* Pass 2: values. */
    for (size_t i = 0; i < req->n_params && rc == 0; i++) {
        const struct api_param *pa = &req->params[i];
        const char *name = pa->name ? pa->name : "";
        const char *v = pa->value ? pa->value : "";
        const struct spec *s = find_spec(spec, n_spec, name);
        if (!s || (fixed && strcmp(name, fixed) == 0))
            continue;
        if (s->kind == K_LIST ? counts[s - spec] > API_MAX_REPEAT : counts[s - spec] > 1)
            continue;
        size_t max = s->kind == K_CURSOR ? API_MAX_CURSOR : API_MAX_VALUE;
        if (!v[0]) {
            rc = api_invalid_add(&inv, name, "must not be empty");
        } else if (strlen(v) > max) {
            char why[64];
            snprintf(why, sizeof(why), "longer than %zu bytes", max);
            rc = api_invalid_add(&inv, name, why);
        } else {
            rc = check_value(q, s, v, cfg, &inv);
        }
    }

    /* The filters are sets: one order for links, cursor hashes and cache keys. */
    for (int i = 0; i < API_L_COUNT && rc == 0; i++)
        if (q->n_list[i] > 1)
            qsort(q->list[i], q->n_list[i], sizeof(char *), str_cmp);

    /* Combinations. */
    if (rc == 0 && q->page_given && q->cursor) {
        rc = api_invalid_add(&inv, "page", "cannot be combined with cursor");
        if (rc == 0)
            rc = api_invalid_add(&inv, "cursor", "cannot be combined with page");
    }
    if (rc == 0 && set == API_PARAMS_POSTS && q->sort == STORE_SORT_RELEVANCE && !q->q)
        rc = api_invalid_add(&inv, "sort", "relevance needs q");

    if (rc == 0 && inv) {
        *invalid = inv;
        return ST_INVALID;
    }
    json_decref(inv);
    return rc;
}

void api_query_clear(struct api_query *q)
{
    if (!q)
        return;
    for (int i = 0; i < API_L_COUNT; i++)
        free(q->list[i]);
    free(q->fts);
    memset(q, 0, sizeof(*q));
}

static void put(FILE *f, int *first, const char *name, const char *value)
{
    if (!*first)
        fputc('&', f);
    *first = 0;
    fputs(name, f);
    fputc('=', f);
    api_pct_encode_query(f, value);
}

void api_query_write(FILE *f, const struct api_query *q, unsigned what, int *first)
{
    static const char *const list_names[API_L_COUNT] = {
        "tag", "tag_all", "tag_not", "domain", "domain_not", "author", "category"};
    if (what & API_QW_FILTERS) {
        for (int i = 0; i < API_L_COUNT; i++)
            for (size_t j = 0; j < q->n_list[i]; j++)
                put(f, first, list_names[i], q->list[i][j]);
        if (q->has_after)
            put(f, first, "after", q->after_norm);
        if (q->has_before)
            put(f, first, "before", q->before_norm);
        if (q->q)
            put(f, first, "q", q->q);
    }
    if ((what & API_QW_SORT) && q->sort_raw)
        put(f, first, "sort", q->sort_raw);
    if (what & API_QW_VIEW) {
        /* As sets, in table order: "title,id,id" is written "id,title". */
        char buf[API_MAX_VALUE + 1];
        size_t n = 0;
        if (q->fields_raw) {
            for (size_t i = 0; i < api_n_fields; i++)
                if (q->fields & (1u << i))
                    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "," : "",
                                          api_fields[i].name);
            put(f, first, "fields", buf);
        }
        if (q->include_raw) {
            n = 0;
            for (size_t i = 0; i < sizeof(include_names) / sizeof(include_names[0]); i++)
                if (q->include_given & (1u << i))
                    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "," : "",
                                          include_names[i]);
            put(f, first, "include", buf);
        }
    }
    if (what & API_QW_LIMIT) {
        char buf[24];
        snprintf(buf, sizeof(buf), "%d", q->limit);
        put(f, first, "limit", buf);
    }
}
