/* The store's read path: post lists with every filter, sort, page and keyset
 * cursor of the API, one full post by id or slug, and the term lists (tags,
 * domains, authors, categories) with counts.
 *
 * List SQL is assembled only from the fixed fragments below, chosen by which
 * filters are present, with a `?` for every value: no input text ever becomes
 * SQL. A page's tags, domains and other child rows come from one query per
 * kind over the page's rids (a JSON array bound to json_each), not one per post. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Search weights per posts_fts column: title, description, questions,
 * answers, summary. bm25 is negative (better is lower); score = -bm25. */
#define SCORE_SQL "-bm25(posts_fts, 10.0, 5.0, 4.0, 1.0, 2.0)"

/* ---- query builder ------------------------------------------------------------- */

enum bind_type { B_INT, B_DOUBLE, B_TEXT };

struct bind {
    enum bind_type type;
    int64_t i;
    double d;
    const char *s; /* borrowed from the request or owned by the qb */
};

struct qb {
    char *sql;
    size_t len, cap;
    struct bind *b;
    size_t nb, capb;
    char **owned;
    size_t nowned, capowned;
    int err;
    int walk; /* page query over a sort index: the rid filters must not drive (see page_sql) */
};

static void qb_sql(struct qb *q, const char *frag)
{
    size_t n = strlen(frag);
    if (q->err)
        return;
    if (q->len + n + 1 > q->cap) {
        size_t cap = (q->len + n + 1) * 2;
        char *s = realloc(q->sql, cap);
        if (!s) {
            q->err = ST_NOMEM;
            return;
        }
        q->sql = s;
        q->cap = cap;
    }
    memcpy(q->sql + q->len, frag, n + 1);
    q->len += n;
}

static void qb_bind(struct qb *q, struct bind b)
{
    if (q->err)
        return;
    if (q->nb == q->capb) {
        size_t cap = q->capb ? q->capb * 2 : 16;
        struct bind *v = realloc(q->b, cap * sizeof(*v));
        if (!v) {
            q->err = ST_NOMEM;
            return;
        }
        q->b = v;
        q->capb = cap;
    }
    q->b[q->nb++] = b;
}

static void qb_int(struct qb *q, int64_t v)
{
    qb_bind(q, (struct bind){.type = B_INT, .i = v});
}

static void qb_double(struct qb *q, double v)
{
    qb_bind(q, (struct bind){.type = B_DOUBLE, .d = v});
}

/* Binds text (NULL binds SQL NULL). */
static void qb_text(struct qb *q, const char *s)
{
    qb_bind(q, (struct bind){.type = B_TEXT, .s = s});
}

/* Binds text the qb owns from now on (freed by qb_clear); NULL is OOM. */
static void qb_text_owned(struct qb *q, char *s)
{
    if (!s) {
        q->err = ST_NOMEM;
        return;
    }
    if (q->nowned == q->capowned) {
        size_t cap = q->capowned ? q->capowned * 2 : 16;
        char **v = realloc(q->owned, cap * sizeof(*v));
        if (!v) {
            free(s);
            q->err = ST_NOMEM;
            return;
        }
        q->owned = v;
        q->capowned = cap;
    }
    q->owned[q->nowned++] = s;
    qb_text(q, s);
}

/* Drops the SQL and bindings but keeps owned strings (still bound elsewhere). */
static void qb_reset(struct qb *q)
{
    q->len = 0;
    q->nb = 0;
    if (q->sql)
        q->sql[0] = '\0';
}

static void qb_clear(struct qb *q)
{
    free(q->sql);
    free(q->b);
    for (size_t i = 0; i < q->nowned; i++)
        free(q->owned[i]);
    free(q->owned);
    memset(q, 0, sizeof(*q));
}

/* " AND p.rid IN" (or NOT IN) opening a subquery filter. "+p.rid" keeps
 * SQLite from driving the query by the subquery's rows when q->walk is set. */
static void qb_rid_in(struct qb *q, int negate)
{
    qb_sql(q, q->walk ? " AND +p.rid" : " AND p.rid");
    qb_sql(q, negate ? " NOT IN" : " IN");
}

/* "?, ?, ?" for n values. */
static void qb_marks(struct qb *q, size_t n)
{
    for (size_t i = 0; i < n; i++)
        qb_sql(q, i ? ", ?" : "?");
}

/* A status for an SQLite failure of a query that may carry a search
 * expression: with q, SQLITE_ERROR can only come from the expression (our SQL
 * is fixed and valid), so it is the client's error and not logged. */
static int query_rc(struct store *st, int rc, int has_q, const char *what)
{
    if (has_q && (rc & 0xff) == SQLITE_ERROR)
        return ST_INVALID;
    return store_rc(st, rc, what);
}

static int qb_prepare(struct store *st, struct qb *q, sqlite3_stmt **out)
{
    *out = NULL;
    if (q->err)
        return q->err;
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, q->sql, (int)q->len, &s, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(s);
        return store_rc(st, rc, "prepare query");
    }
    for (size_t i = 0; i < q->nb && rc == SQLITE_OK; i++) {
        const struct bind *b = &q->b[i];
        int k = (int)i + 1;
        if (b->type == B_INT)
            rc = sqlite3_bind_int64(s, k, b->i);
        else if (b->type == B_DOUBLE)
            rc = sqlite3_bind_double(s, k, b->d);
        else if (b->s)
            rc = sqlite3_bind_text(s, k, b->s, -1, SQLITE_STATIC);
        else
            rc = sqlite3_bind_null(s, k);
    }
    if (rc != SQLITE_OK) {
        sqlite3_finalize(s);
        return store_rc(st, rc, "bind query");
    }
    *out = s;
    return 0;
}

/* ---- filters ---------------------------------------------------------------- */

/* Binds tag value v twice: as a name (NOCASE) and as a slug. An empty slug
 * ("!!!") would match every other punctuation-only tag, so it binds NULL. */
static void bind_tag_slug(struct qb *q, const char *v)
{
    char *slug = store_slugify(v);
    if (slug && slug[0] == '\0') {
        free(slug);
        qb_text(q, NULL);
        return;
    }
    qb_text_owned(q, slug);
}

/* " AND p.rid [NOT] IN (posts having any of the tags in v)" */
static void filter_tags_any(struct qb *q, const struct store_strv *v, int negate)
{
    if (v->n == 0)
        return;
    qb_rid_in(q, negate);
    qb_sql(q, " (SELECT post_rid FROM post_tags WHERE tag_id IN"
              " (SELECT id FROM tags WHERE name IN (");
    qb_marks(q, v->n);
    qb_sql(q, ") OR slug IN (");
    qb_marks(q, v->n);
    qb_sql(q, ")))");
    for (size_t i = 0; i < v->n; i++)
        qb_text(q, v->v[i]);
    for (size_t i = 0; i < v->n; i++)
        bind_tag_slug(q, v->v[i]);
}

static void filter_tags_all(struct qb *q, const struct store_strv *v)
{
    for (size_t i = 0; i < v->n; i++) {
        qb_rid_in(q, 0);
        qb_sql(q, " (SELECT post_rid FROM post_tags WHERE tag_id IN"
                  " (SELECT id FROM tags WHERE name = ? OR slug = ?))");
        qb_text(q, v->v[i]);
        bind_tag_slug(q, v->v[i]);
    }
}

/* Binds the three values of DOMAIN_SQL for host v: R, R"." and R"/", where
 * R is the normalized host with its labels reversed. */
static void bind_domain(struct qb *q, const char *v)
{
    char *host = strdup(v);
    char *r = host ? store_rname(post_domain_normalize(host)) : NULL;
    free(host);
    if (!r) {
        q->err = ST_NOMEM;
        return;
    }
    char *lo = store_concat(r, ".");
    char *hi = store_concat(r, "/");
    qb_text_owned(q, r);
    qb_text_owned(q, lo);
    qb_text_owned(q, hi);
}

/* A domain and all its subdomains: rname R, or rname in [R".", R"/") ('/'
 * follows '.'), so "nytimes.com" matches "cooking.nytimes.com" but not
 * "notnytimes.com". */
#define DOMAIN_SQL "rname = ? OR (rname >= ? AND rname < ?)"

static void filter_domains(struct qb *q, const struct store_strv *v, int negate)
{
    if (v->n == 0)
        return;
    qb_rid_in(q, negate);
    qb_sql(q, " (SELECT post_rid FROM post_domains WHERE domain_id IN"
              " (SELECT id FROM domains WHERE ");
    for (size_t i = 0; i < v->n; i++) {
        qb_sql(q, i ? " OR " DOMAIN_SQL : DOMAIN_SQL);
        bind_domain(q, v->v[i]);
    }
    qb_sql(q, "))");
}

/* author or category: any of the names, exact but case-insensitive. */
static void filter_names(struct qb *q, const struct store_strv *v, int kind)
{
    if (v->n == 0)
        return;
    const struct term_kind *tk = &store_kinds[kind];
    char frag[200];
    snprintf(frag, sizeof(frag),
             " (SELECT post_rid FROM %s WHERE %s IN (SELECT id FROM %s WHERE name IN (", tk->link,
             tk->col, tk->table);
    qb_rid_in(q, 0);
    qb_sql(q, frag);
    qb_marks(q, v->n);
    qb_sql(q, ")))");
    for (size_t i = 0; i < v->n; i++)
        qb_text(q, v->v[i]);
}

/* Appends " AND ..." for every filter present. fts_joined: the query already
 * joins posts_fts with the MATCH (relevance order), so q is not repeated. */
static void add_filters(struct qb *q, const struct store_filter *f, int fts_joined)
{
    if (!f->show_future) {
        qb_sql(q, " AND p.date_utc <= ?");
        qb_int(q, f->now);
    }
    if (f->has_after) {
        qb_sql(q, " AND p.date_utc >= ?");
        qb_int(q, f->after);
    }
    if (f->has_before) {
        qb_sql(q, " AND p.date_utc < ?");
        qb_int(q, f->before);
    }
    if (f->q && !fts_joined) {
        qb_rid_in(q, 0);
        qb_sql(q, " (SELECT rowid FROM posts_fts WHERE posts_fts MATCH ?)");
        qb_text(q, f->q);
    }
    filter_tags_any(q, &f->tag, 0);
    filter_tags_all(q, &f->tag_all);
    filter_tags_any(q, &f->tag_not, 1);
    filter_domains(q, &f->domain, 0);
    filter_domains(q, &f->domain_not, 1);
    filter_names(q, &f->author, STORE_TERM_AUTHOR);
    filter_names(q, &f->category, STORE_TERM_CATEGORY);
}

/* ---- rows → posts -------------------------------------------------------------- */

static int col_str(sqlite3_stmt *s, int i, char **out)
{
    const char *t = (const char *)sqlite3_column_text(s, i);
    *out = NULL;
    if (!t)
        return 0;
    *out = strdup(t);
    return *out ? 0 : ST_NOMEM;
}

/* Reads the STORE_CARD_COLS columns of a row into p. */
static int read_post(sqlite3_stmt *s, struct post *p, int64_t *rid)
{
    int rc = 0;
    *rid = sqlite3_column_int64(s, 0);
    rc |= col_str(s, 1, &p->id);
    rc |= col_str(s, 2, &p->slug);
    rc |= col_str(s, 3, &p->url);
    rc |= col_str(s, 4, &p->title);
    rc |= col_str(s, 5, &p->description);
    rc |= col_str(s, 6, &p->author);
    rc |= col_str(s, 7, &p->image);
    p->date_utc = sqlite3_column_int64(s, 8);
    p->date_offset = sqlite3_column_int(s, 9);
    p->updated_at = sqlite3_column_int64(s, 10);
    rc |= col_str(s, 11, &p->path);
    rc |= col_str(s, 12, &p->layout);
    p->word_count = sqlite3_column_int(s, 13);
    p->reading_minutes = sqlite3_column_int(s, 14);
    return rc ? ST_NOMEM : 0;
}

/* The posts of a page and their rids, for the child loaders. */
struct page {
    struct post *items;
    const int64_t *rids;
    size_t n;
};

static struct post *page_post(const struct page *pg, int64_t rid, size_t *hint)
{
    for (size_t k = 0; k < pg->n; k++) {
        size_t i = (*hint + k) % pg->n;
        if (pg->rids[i] == rid) {
            *hint = i;
            return &pg->items[i];
        }
    }
    return NULL;
}

/* "[rid,rid,...]" for json_each. */
static char *rids_json(const struct page *pg)
{
    char *s = malloc(pg->n * 21 + 3);
    if (!s)
        return NULL;
    size_t o = 0;
    s[o++] = '[';
    for (size_t i = 0; i < pg->n; i++)
        o += (size_t)sprintf(s + o, i ? ",%lld" : "%lld", (long long)pg->rids[i]);
    s[o++] = ']';
    s[o] = '\0';
    return s;
}

static int grow(void **v, size_t n, size_t size)
{
    void *nv = realloc(*v, (n + 1) * size);
    if (!nv)
        return ST_NOMEM;
    *v = nv;
    memset((char *)nv + n * size, 0, size);
    return 0;
}

/* Appends one child row (column 0 is the post's rid) to the post it belongs to. */
static int add_child(enum stmt_id id, sqlite3_stmt *s, struct post *p)
{
    int rc = 0;
    switch (id) {
    case S_LOAD_TAGS:
    case S_LOAD_CATEGORIES:
    case S_LOAD_DOMAINS: {
        char ***v = id == S_LOAD_TAGS         ? &p->tags
                    : id == S_LOAD_CATEGORIES ? &p->categories
                                              : &p->domains;
        size_t *n = id == S_LOAD_TAGS         ? &p->n_tags
                    : id == S_LOAD_CATEGORIES ? &p->n_categories
                                              : &p->n_domains;
        if (grow((void **)v, *n, sizeof(**v)))
            return ST_NOMEM;
        rc = col_str(s, 1, &(*v)[(*n)++]);
        break;
    }
    case S_LOAD_SOURCES: {
        if (grow((void **)&p->sources, p->n_sources, sizeof(*p->sources)))
            return ST_NOMEM;
        struct post_source *x = &p->sources[p->n_sources++];
        rc |= col_str(s, 1, &x->url);
        rc |= col_str(s, 2, &x->domain);
        break;
    }
    case S_LOAD_CAROUSEL: {
        if (grow((void **)&p->carousel, p->n_carousel, sizeof(*p->carousel)))
            return ST_NOMEM;
        struct post_carousel *x = &p->carousel[p->n_carousel++];
        rc |= col_str(s, 1, &x->domain);
        rc |= col_str(s, 2, &x->link);
        rc |= col_str(s, 3, &x->title);
        rc |= col_str(s, 4, &x->icon_path);
        rc |= col_str(s, 5, &x->image_path);
        break;
    }
    case S_LOAD_BODIES:
        rc |= col_str(s, 1, &p->summary_html);
        rc |= col_str(s, 2, &p->summary_text);
        rc |= col_str(s, 3, &p->body_html);
        rc |= col_str(s, 4, &p->excerpt_html);
        rc |= col_str(s, 5, &p->front_matter_json);
        rc |= col_str(s, 6, &p->body_text);
        break;
    default: {
        if (grow((void **)&p->questions, p->n_questions, sizeof(*p->questions)))
            return ST_NOMEM;
        struct post_question *x = &p->questions[p->n_questions++];
        rc |= col_str(s, 1, &x->question);
        rc |= col_str(s, 2, &x->answer_html);
        rc |= col_str(s, 3, &x->answer_text);
        break;
    }
    }
    return rc ? ST_NOMEM : 0;
}

/* Runs one child loader over the page (bits: S_LOAD_BODIES's columns). */
static int load_children(struct store *st, const struct page *pg, const char *json, enum stmt_id id,
                         unsigned bits)
{
    sqlite3_stmt *s = store_stmt(st, id);
    if (!s)
        return ST_DB;
    sqlite3_bind_text(s, 1, json, -1, SQLITE_STATIC);
    if (id == S_LOAD_BODIES)
        sqlite3_bind_int(s, 2, (int)bits);
    int r, rc = 0;
    size_t hint = 0;
    while (rc == 0 && (r = sqlite3_step(s)) == SQLITE_ROW) {
        struct post *p = page_post(pg, sqlite3_column_int64(s, 0), &hint);
        if (p)
            rc = add_child(id, s, p);
    }
    if (rc == 0 && r != SQLITE_DONE)
        rc = store_rc(st, r, "load post parts");
    sqlite3_reset(s);
    return rc;
}

/* Loads tags and domains (always), the heavy texts and child lists include
 * asks for, and for a full post its categories and body text. */
static int load_page(struct store *st, const struct page *pg, unsigned include, int full)
{
    if (pg->n == 0)
        return 0;
    char *json = rids_json(pg);
    if (!json)
        return ST_NOMEM;
    unsigned bodies = include & (STORE_INC_SUMMARY | STORE_INC_BODY | STORE_INC_FRONT_MATTER);
    if (full)
        bodies |= STORE_LOAD_BODY_TEXT;
    int rc = load_children(st, pg, json, S_LOAD_TAGS, 0);
    if (rc == 0)
        rc = load_children(st, pg, json, S_LOAD_DOMAINS, 0);
    if (rc == 0 && full)
        rc = load_children(st, pg, json, S_LOAD_CATEGORIES, 0);
    if (rc == 0 && bodies)
        rc = load_children(st, pg, json, S_LOAD_BODIES, bodies);
    if (rc == 0 && (include & STORE_INC_SOURCES))
        rc = load_children(st, pg, json, S_LOAD_SOURCES, 0);
    if (rc == 0 && (include & STORE_INC_CAROUSEL))
        rc = load_children(st, pg, json, S_LOAD_CAROUSEL, 0);
    if (rc == 0 && (include & STORE_INC_QUESTIONS))
        rc = load_children(st, pg, json, S_LOAD_QUESTIONS, 0);
    free(json);
    return rc;
}

/* Escapes snippet text for HTML and turns the \x01 / \x02 match markers into
 * <mark> / </mark>. */
static char *snippet_html(const char *t)
{
    size_t n = 0;
    for (const char *c = t; *c; c++)
        n += *c == '&'                 ? 5
             : *c == '<' || *c == '>'  ? 4
             : *c == '"' || *c == '\'' ? 5
             : *c == '\x01'            ? 6
             : *c == '\x02'            ? 7
                                       : 1;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    char *o = out;
    for (const char *c = t; *c; c++) {
        const char *rep = NULL;
        switch (*c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&#34;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        case '\x01':
            rep = "<mark>";
            break;
        case '\x02':
            rep = "</mark>";
            break;
        default:
            *o++ = *c;
            continue;
        }
        size_t k = strlen(rep);
        memcpy(o, rep, k);
        o += k;
    }
    *o = '\0';
    return out;
}

static int load_snippets(struct store *st, const struct page *pg, const char *q, char **out)
{
    char *json = rids_json(pg);
    if (!json)
        return ST_NOMEM;
    sqlite3_stmt *s = store_stmt(st, S_SNIPPETS);
    if (!s) {
        free(json);
        return ST_DB;
    }
    sqlite3_bind_text(s, 1, q, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, json, -1, SQLITE_STATIC);
    int r, rc = 0;
    while (rc == 0 && (r = sqlite3_step(s)) == SQLITE_ROW) {
        int64_t rid = sqlite3_column_int64(s, 0);
        const char *t = (const char *)sqlite3_column_text(s, 1);
        for (size_t i = 0; i < pg->n && rc == 0; i++) {
            if (pg->rids[i] != rid || out[i] || !t)
                continue;
            if (!(out[i] = snippet_html(t)))
                rc = ST_NOMEM;
        }
    }
    if (rc == 0 && r != SQLITE_DONE)
        rc = query_rc(st, r, 1, "snippets");
    sqlite3_reset(s);
    free(json);
    return rc;
}

/* ---- lists ----------------------------------------------------------------------- */

struct sort_sql {
    const char *keyset; /* rows strictly after the cursor */
    const char *order;
};

static const struct sort_sql sorts[] = {
    [STORE_SORT_DATE_DESC] = {"(p.date_utc, p.id) < (?, ?)",
                              " ORDER BY p.date_utc DESC, p.id DESC"},
    [STORE_SORT_DATE_ASC] = {"(p.date_utc, p.id) > (?, ?)", " ORDER BY p.date_utc, p.id"},
    [STORE_SORT_TITLE_ASC] = {"(p.title, p.id) > (?, ?)", " ORDER BY p.title, p.id"},
    [STORE_SORT_TITLE_DESC] = {"(p.title, p.id) < (?, ?)", " ORDER BY p.title DESC, p.id DESC"},
    [STORE_SORT_UPDATED_DESC] = {"(p.updated_at, p.id) < (?, ?)",
                                 " ORDER BY p.updated_at DESC, p.id DESC"},
    [STORE_SORT_RELEVANCE] = {"(score < ? OR (score = ? AND p.id > ?))",
                              " ORDER BY score DESC, p.id"},
};

static void bind_key(struct qb *q, enum store_sort sort, const struct store_key *k)
{
    switch (sort) {
    case STORE_SORT_TITLE_ASC:
    case STORE_SORT_TITLE_DESC:
        qb_text(q, k->text);
        break;
    case STORE_SORT_RELEVANCE:
        qb_double(q, k->score);
        qb_double(q, k->score);
        break;
    default:
        qb_int(q, k->num);
        break;
    }
    qb_text(q, k->id);
}

static int count_posts(struct store *st, const struct store_filter *f, struct qb *q, int64_t *out)
{
    qb_reset(q);
    q->walk = 0;
    qb_sql(q, "SELECT count(*) FROM posts p WHERE 1");
    add_filters(q, f, 0);
    sqlite3_stmt *s;
    int rc = qb_prepare(st, q, &s);
    if (rc)
        return rc;
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else
        rc = query_rc(st, r, f->q != NULL, "count posts");
    sqlite3_finalize(s);
    return rc;
}

/* Above this many matching rows a page walks the sort's index and tests
 * each row against the filters (it stops after limit rows); below it the
 * filters' own rows are fetched and sorted (a rare tag would otherwise walk
 * most of the index). Measured on 20,000 real posts: a tag of 3,354 posts
 * took 13 ms to sort, 1 ms to walk. */
#define WALK_MIN_ROWS 1000

static void page_sql(struct qb *q, const struct store_list_req *req, int64_t total)
{
    const struct store_filter *f = &req->f;
    int rel = req->sort == STORE_SORT_RELEVANCE;
    qb_reset(q);
    q->walk = !rel && total >= WALK_MIN_ROWS;
    qb_sql(q, "SELECT " STORE_CARD_COLS);
    if (rel) {
        /* CROSS JOIN keeps posts_fts outer: the MATCH drives the query */
        qb_sql(q, ", " SCORE_SQL " AS score FROM posts_fts CROSS JOIN posts p"
                  " ON p.rid = posts_fts.rowid WHERE posts_fts MATCH ?");
        qb_text(q, f->q);
        if (req->after.set) {
            qb_sql(q, " AND ");
            qb_sql(q, sorts[req->sort].keyset);
            bind_key(q, req->sort, &req->after);
        }
    } else {
        qb_sql(q, " FROM posts p WHERE ");
        /* the keyset comes first: the planner then starts its index range there */
        if (req->after.set) {
            qb_sql(q, sorts[req->sort].keyset);
            bind_key(q, req->sort, &req->after);
        } else {
            qb_sql(q, "1");
        }
    }
    add_filters(q, f, rel);
    qb_sql(q, sorts[req->sort].order);
    qb_sql(q, " LIMIT ?");
    qb_int(q, (int64_t)req->limit + 1); /* one more row tells has_more */
    if (!req->after.set && req->offset > 0) {
        qb_sql(q, " OFFSET ?");
        qb_int(q, req->offset);
    }
}

static int set_last_key(struct store_list *out, enum store_sort sort)
{
    const struct post *p = &out->items[out->n - 1];
    struct store_key *k = &out->last;
    k->set = 1;
    k->num = sort == STORE_SORT_UPDATED_DESC ? p->updated_at : p->date_utc;
    k->score = out->scores ? out->scores[out->n - 1] : 0;
    k->id = strdup(p->id);
    if (sort == STORE_SORT_TITLE_ASC || sort == STORE_SORT_TITLE_DESC)
        k->text = strdup(p->title ? p->title : "");
    if (!k->id || ((sort == STORE_SORT_TITLE_ASC || sort == STORE_SORT_TITLE_DESC) && !k->text))
        return ST_NOMEM;
    return 0;
}

static int valid_req(const struct store_list_req *req)
{
    if (req->limit < 1 || req->offset < 0 || (unsigned)req->sort > STORE_SORT_RELEVANCE)
        return 0;
    if (req->sort == STORE_SORT_RELEVANCE && !req->f.q)
        return 0;
    if (req->after.set) {
        if (!req->after.id)
            return 0;
        if ((req->sort == STORE_SORT_TITLE_ASC || req->sort == STORE_SORT_TITLE_DESC) &&
            !req->after.text)
            return 0;
    }
    const struct store_strv *v[] = {&req->f.tag,     &req->f.tag_all,    &req->f.tag_not,
                                    &req->f.domain,  &req->f.domain_not, &req->f.author,
                                    &req->f.category};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        for (size_t j = 0; j < v[i]->n; j++)
            if (!v[i]->v[j])
                return 0;
    return 1;
}

int store_posts_list(struct store *st, const struct store_list_req *req, struct store_list *out)
{
    memset(out, 0, sizeof(*out));
    if (!st || !req || !valid_req(req))
        return ST_INVALID;
    int has_q = req->f.q != NULL;
    int rel = req->sort == STORE_SORT_RELEVANCE;
    struct qb q = {0};
    sqlite3_stmt *s = NULL;
    int64_t *rids = NULL;
    int rc = count_posts(st, &req->f, &q, &out->total);
    if (rc || out->total == 0)
        goto out;
    page_sql(&q, req, out->total);
    rc = qb_prepare(st, &q, &s);
    if (rc)
        goto out;
    size_t cap = (size_t)req->limit < 64 ? (size_t)req->limit : 64;
    out->items = calloc(cap, sizeof(*out->items));
    rids = malloc(cap * sizeof(*rids));
    if (rel)
        out->scores = malloc(cap * sizeof(*out->scores));
    if (!out->items || !rids || (rel && !out->scores)) {
        rc = ST_NOMEM;
        goto out;
    }
    int r;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (out->n == (size_t)req->limit) {
            out->has_more = 1;
            break;
        }
        if (out->n == cap) {
            size_t ncap = cap * 2 < (size_t)req->limit ? cap * 2 : (size_t)req->limit;
            struct post *items = realloc(out->items, ncap * sizeof(*items));
            if (items)
                out->items = items;
            int64_t *nr = realloc(rids, ncap * sizeof(*nr));
            if (nr)
                rids = nr;
            double *sc = rel ? realloc(out->scores, ncap * sizeof(*sc)) : NULL;
            if (sc)
                out->scores = sc;
            if (!items || !nr || (rel && !sc)) {
                rc = ST_NOMEM;
                goto out;
            }
            cap = ncap;
        }
        struct post *p = &out->items[out->n];
        post_init(p);
        out->n++;
        rc = read_post(s, p, &rids[out->n - 1]);
        if (rc)
            goto out;
        if (rel)
            out->scores[out->n - 1] = sqlite3_column_double(s, STORE_CARD_NCOLS);
    }
    if (r != SQLITE_ROW && r != SQLITE_DONE) {
        rc = query_rc(st, r, has_q, "list posts");
        goto out;
    }
    sqlite3_finalize(s);
    s = NULL;
    struct page pg = {out->items, rids, out->n};
    rc = load_page(st, &pg, req->include, 0);
    if (rc == 0 && has_q && out->n > 0) {
        out->snippets = calloc(out->n, sizeof(*out->snippets));
        rc = out->snippets ? load_snippets(st, &pg, req->f.q, out->snippets) : ST_NOMEM;
    }
    if (rc == 0 && out->n > 0)
        rc = set_last_key(out, req->sort);
out:
    sqlite3_finalize(s);
    free(rids);
    qb_clear(&q);
    if (rc)
        store_list_clear(out);
    return rc;
}

int store_list_plan(struct store *st, const struct store_list_req *req, char **out)
{
    *out = NULL;
    if (!st || !req || !valid_req(req))
        return ST_INVALID;
    struct qb q = {0};
    sqlite3_stmt *s = NULL;
    int64_t total = 0;
    int rc = count_posts(st, &req->f, &q, &total);
    if (rc) {
        qb_clear(&q);
        return rc;
    }
    page_sql(&q, req, total);
    char *sql = q.err ? NULL : store_concat("EXPLAIN QUERY PLAN ", q.sql);
    if (!sql) {
        qb_clear(&q);
        return ST_NOMEM;
    }
    free(q.sql);
    q.sql = sql;
    q.len = strlen(sql);
    q.cap = q.len + 1;
    rc = qb_prepare(st, &q, &s);
    size_t len = 0;
    int r;
    while (rc == 0 && (r = sqlite3_step(s)) == SQLITE_ROW) {
        const char *d = (const char *)sqlite3_column_text(s, 3);
        size_t n = d ? strlen(d) : 0;
        char *o = realloc(*out, len + n + 2);
        if (!o) {
            rc = ST_NOMEM;
            break;
        }
        *out = o;
        memcpy(o + len, d ? d : "", n);
        len += n;
        o[len++] = '\n';
        o[len] = '\0';
    }
    sqlite3_finalize(s);
    qb_clear(&q);
    if (rc == 0 && !*out)
        *out = strdup("");
    if (rc) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

void store_list_clear(struct store_list *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        post_clear(&l->items[i]);
        if (l->snippets)
            free(l->snippets[i]);
    }
    free(l->items);
    free(l->snippets);
    free(l->scores);
    free(l->last.text);
    free(l->last.id);
    memset(l, 0, sizeof(*l));
}

/* ---- one post ------------------------------------------------------------------ */

void store_ids_clear(struct store_ids *ids)
{
    if (!ids)
        return;
    for (size_t i = 0; i < ids->n; i++)
        free(ids->ids[i]);
    free(ids->ids);
    ids->ids = NULL;
    ids->n = 0;
}

/* Steps s once: 1 and *out filled when a row came, 0 when none, or a status. */
static int read_one(struct store *st, sqlite3_stmt *s, struct post *out, int64_t *rid)
{
    int r = sqlite3_step(s);
    int rc = 0;
    if (r == SQLITE_ROW)
        rc = read_post(s, out, rid) ? ST_NOMEM : 1;
    else if (r != SQLITE_DONE)
        rc = store_rc(st, r, "read post");
    sqlite3_reset(s);
    return rc;
}

/* The ids of the visible posts with this slug, newest first, into c; their
 * count, or a status. *rid is the newest's rid. */
static int slug_candidates(struct store *st, const char *slug, int64_t now, int show_future,
                           struct store_ids *c, int64_t *rid)
{
    sqlite3_stmt *s = store_stmt(st, S_SLUG_CANDIDATES);
    if (!s)
        return ST_DB;
    sqlite3_bind_text(s, 1, slug, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, show_future != 0);
    sqlite3_bind_int64(s, 3, now);
    int r, rc = 0;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (c->n == 0)
            *rid = sqlite3_column_int64(s, 0);
        char **v = realloc(c->ids, (c->n + 1) * sizeof(*v));
        if (!v) {
            rc = ST_NOMEM;
            break;
        }
        c->ids = v;
        if (col_str(s, 1, &c->ids[c->n])) {
            rc = ST_NOMEM;
            break;
        }
        c->n++;
    }
    if (rc == 0 && r != SQLITE_DONE)
        rc = store_rc(st, r, "find slug");
    sqlite3_reset(s);
    return rc ? rc : (int)(c->n > 1 ? 2 : c->n);
}

int store_post_get(struct store *st, const char *key, int64_t now, int show_future,
                   struct post *out, struct store_ids *candidates)
{
    post_init(out);
    struct store_ids c = {0};
    int64_t rid = 0;
    if (!st || !key)
        return ST_INVALID;
    sqlite3_stmt *s = store_stmt(st, S_GET_BY_ID);
    if (!s)
        return ST_DB;
    sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 2, show_future != 0);
    sqlite3_bind_int64(s, 3, now);
    int rc = read_one(st, s, out, &rid);
    if (rc == 0) {
        rc = slug_candidates(st, key, now, show_future, &c, &rid);
        if (rc == 0) {
            rc = ST_NOTFOUND;
        } else if (rc == 2) {
            rc = ST_AMBIGUOUS;
            if (candidates) {
                *candidates = c;
                c = (struct store_ids){0};
            }
        } else if (rc == 1) {
            s = store_stmt(st, S_GET_BY_RID);
            if (!s) {
                rc = ST_DB;
            } else {
                sqlite3_bind_int64(s, 1, rid);
                rc = read_one(st, s, out, &rid);
                if (rc == 0)
                    rc = ST_NOTFOUND; /* deleted between the two reads */
            }
        }
    }
    if (rc == 1) {
        struct page pg = {out, &rid, 1};
        rc = load_page(st, &pg, STORE_INC_ALL, 1);
    }
    store_ids_clear(&c);
    if (rc)
        post_clear(out);
    return rc;
}

/* ---- terms --------------------------------------------------------------------- */

/* Appends the FROM ... GROUP BY part of a term list. */
static void terms_from(struct qb *q, int kind, const char *prefix, int64_t now, int show_future)
{
    const struct term_kind *tk = &store_kinds[kind];
    char frag[256];
    /* the link rows carry the post's date: no posts row is read */
    snprintf(frag, sizeof(frag), " FROM %s l JOIN %s t ON t.id = l.%s WHERE 1", tk->link, tk->table,
             tk->col);
    qb_sql(q, frag);
    if (!show_future) {
        qb_sql(q, " AND l.date_utc <= ?");
        qb_int(q, now);
    }
    if (prefix) {
        /* LIKE ignores ASCII case; escape its wildcards in the input */
        if (kind == STORE_TERM_DOMAIN && strncasecmp(prefix, "www.", 4) == 0)
            prefix += 4;
        size_t n = strlen(prefix);
        char *pat = malloc(2 * n + 2);
        if (pat) {
            char *o = pat;
            for (const char *c = prefix; *c; c++) {
                if (*c == '\\' || *c == '%' || *c == '_')
                    *o++ = '\\';
                *o++ = *c;
            }
            *o++ = '%';
            *o = '\0';
        }
        qb_sql(q, " AND t.name LIKE ? ESCAPE '\\'");
        qb_text_owned(q, pat);
    }
    snprintf(frag, sizeof(frag), " GROUP BY l.%s", tk->col);
    qb_sql(q, frag);
}

void store_terms_clear(struct store_terms *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        free(t->items[i].name);
        free(t->items[i].slug);
    }
    free(t->items);
    memset(t, 0, sizeof(*t));
}

int store_terms_list(struct store *st, enum store_term_kind kind, const char *prefix, int by_name,
                     int limit, int64_t offset, int64_t now, int show_future,
                     struct store_terms *out)
{
    memset(out, 0, sizeof(*out));
    if (!st || (unsigned)kind > STORE_TERM_CATEGORY || limit < 1 || offset < 0)
        return ST_INVALID;
    struct qb q = {0};
    sqlite3_stmt *s = NULL;
    qb_sql(&q, "SELECT count(*) FROM (SELECT t.id");
    terms_from(&q, kind, prefix, now, show_future);
    qb_sql(&q, ")");
    int rc = qb_prepare(st, &q, &s);
    if (rc)
        goto out;
    int r = sqlite3_step(s);
    if (r != SQLITE_ROW) {
        rc = store_rc(st, r, "count terms");
        goto out;
    }
    out->total = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    s = NULL;
    if (out->total == 0 || offset >= out->total)
        goto out;

    qb_reset(&q);
    qb_sql(&q, store_kinds[kind].has_slug ? "SELECT t.name, t.slug" : "SELECT t.name, NULL");
    qb_sql(&q, ", count(*), max(l.date_utc)");
    terms_from(&q, kind, prefix, now, show_future);
    qb_sql(&q, by_name ? " ORDER BY t.name, t.id" : " ORDER BY count(*) DESC, t.name, t.id");
    qb_sql(&q, " LIMIT ? OFFSET ?");
    qb_int(&q, limit);
    qb_int(&q, offset);
    rc = qb_prepare(st, &q, &s);
    if (rc)
        goto out;
    size_t want = (size_t)(out->total - offset);
    if (want > (size_t)limit)
        want = (size_t)limit;
    out->items = calloc(want, sizeof(*out->items));
    if (!out->items) {
        rc = ST_NOMEM;
        goto out;
    }
    while (out->n < want && (r = sqlite3_step(s)) == SQLITE_ROW) {
        struct store_term *t = &out->items[out->n++];
        if (col_str(s, 0, &t->name) || col_str(s, 1, &t->slug)) {
            rc = ST_NOMEM;
            goto out;
        }
        t->count = sqlite3_column_int64(s, 2);
        t->latest = sqlite3_column_int64(s, 3);
    }
    if (out->n < want && r != SQLITE_DONE)
        rc = store_rc(st, r, "list terms");
out:
    sqlite3_finalize(s);
    qb_clear(&q);
    if (rc)
        store_terms_clear(out);
    return rc;
}

int store_term_exists(struct store *st, enum store_term_kind kind, const char *name)
{
    if (!st || !name || (unsigned)kind > STORE_TERM_CATEGORY)
        return ST_INVALID;
    struct qb q = {0};
    sqlite3_stmt *s = NULL;
    if (kind == STORE_TERM_DOMAIN) {
        /* same rule as the domain filter: the host or any subdomain */
        qb_sql(&q, "SELECT 1 FROM domains WHERE " DOMAIN_SQL " LIMIT 1");
        bind_domain(&q, name);
    } else if (kind == STORE_TERM_TAG) {
        qb_sql(&q, "SELECT 1 FROM tags WHERE name = ? OR slug = ? LIMIT 1");
        qb_text(&q, name);
        bind_tag_slug(&q, name);
    } else {
        qb_sql(&q, kind == STORE_TERM_AUTHOR ? "SELECT 1 FROM authors WHERE name = ?"
                                             : "SELECT 1 FROM categories WHERE name = ?");
        qb_text(&q, name);
    }
    int rc = qb_prepare(st, &q, &s);
    if (rc == 0) {
        int r = sqlite3_step(s);
        rc = r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? ST_NOTFOUND : store_rc(st, r, "find term");
    }
    sqlite3_finalize(s);
    qb_clear(&q);
    return rc;
}
