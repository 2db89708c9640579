/* The store's write path, used by ingest: content-hash lookup, writing a
 * post (a changed one in place) with all its child rows and its entry in the
 * search index, deleting a post, and listing stored ids. Every statement
 * writes one row (see S_FTS_INSERT in store.c for why that matters to the
 * search index), is prepared once and reused, and term ids
 * (tags, domains, authors, categories) come from an in-memory cache that is
 * valid for one write transaction, so a put runs no SELECT for a term it has
 * already seen. */
#include "store_internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- term-id cache ----------------------------------------------------------- */

static int fold_char(int c, int fold)
{
    return fold && c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static uint64_t key_hash(const char *s, int fold)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) {
        h ^= (unsigned char)fold_char((unsigned char)*s, fold);
        h *= 1099511628211ull;
    }
    return h;
}

static int key_eq(const char *key, const char *name, int fold)
{
    for (; *key && fold_char((unsigned char)*name, fold) == (unsigned char)*key; key++, name++)
        ;
    return *key == '\0' && *name == '\0';
}

static struct term_slot *cache_find(struct term_cache *c, const char *name, int fold)
{
    if (c->cap == 0)
        return NULL;
    size_t mask = c->cap - 1;
    for (size_t i = key_hash(name, fold) & mask;; i = (i + 1) & mask) {
        struct term_slot *slot = &c->slots[i];
        if (!slot->key)
            return NULL;
        if (key_eq(slot->key, name, fold))
            return slot;
    }
}

static void cache_insert_slot(struct term_cache *c, struct term_slot v)
{
    size_t mask = c->cap - 1;
    size_t i = key_hash(v.key, 0) & mask; /* keys are stored folded already */
    while (c->slots[i].key)
        i = (i + 1) & mask;
    c->slots[i] = v;
    c->n++;
}

static int cache_grow(struct term_cache *c)
{
    size_t cap = c->cap ? c->cap * 2 : 256;
    struct term_slot *old = c->slots;
    size_t old_cap = c->cap;
    c->slots = calloc(cap, sizeof(*c->slots));
    if (!c->slots) {
        c->slots = old;
        return ST_NOMEM;
    }
    c->cap = cap;
    c->n = 0;
    for (size_t i = 0; i < old_cap; i++)
        if (old[i].key)
            cache_insert_slot(c, old[i]);
    free(old);
    return 0;
}

/* Adds name → (id, stored name). Copies both strings. */
static int cache_add(struct term_cache *c, const char *name, const char *stored, int fold,
                     int64_t id)
{
    if ((c->n + 1) * 2 > c->cap && cache_grow(c))
        return ST_NOMEM;
    struct term_slot v = {fold ? store_fold(name) : strdup(name), strdup(stored), id};
    if (!v.key || !v.name) {
        free(v.key);
        free(v.name);
        return ST_NOMEM;
    }
    cache_insert_slot(c, v);
    return 0;
}

void store_terms_cache_clear(struct store *st)
{
    for (int k = 0; k < 4; k++) {
        struct term_cache *c = &st->terms[k];
        if (c->n == 0)
            continue;
        for (size_t i = 0; i < c->cap; i++) {
            free(c->slots[i].key);
            free(c->slots[i].name);
        }
        memset(c->slots, 0, c->cap * sizeof(*c->slots));
        c->n = 0;
    }
}

/* The id of term name of kind k, created when new. *stored is the name the
 * table keeps (the first spelling seen), borrowed from the cache until it is
 * cleared. */
static int term_id(struct store *st, int k, const char *name, int64_t *id, const char **stored)
{
    const struct term_kind *tk = &store_kinds[k];
    struct term_cache *c = &st->terms[k];
    struct term_slot *slot = cache_find(c, name, tk->nocase);
    if (slot) {
        *id = slot->id;
        *stored = slot->name;
        return 0;
    }
    sqlite3_stmt *s = store_stmt(st, (enum stmt_id)(S_TERM_FIND + k));
    if (!s)
        return ST_DB;
    sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    char *found = NULL;
    if (r == SQLITE_ROW) {
        *id = sqlite3_column_int64(s, 0);
        const char *t = (const char *)sqlite3_column_text(s, 1);
        found = strdup(t ? t : name);
        sqlite3_reset(s);
        if (!found)
            return ST_NOMEM;
    } else {
        sqlite3_reset(s);
        if (r != SQLITE_DONE)
            return store_rc(st, r, "find term");
        s = store_stmt(st, (enum stmt_id)(S_TERM_INSERT + k));
        if (!s)
            return ST_DB;
        char *second = tk->has_slug ? store_slugify(name) : store_rname(name);
        if (!second)
            return ST_NOMEM;
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, second, -1, SQLITE_STATIC);
        int rc = store_exec_stmt(st, s, "insert term");
        free(second);
        if (rc)
            return rc;
        *id = sqlite3_last_insert_rowid(st->db);
    }
    int rc = cache_add(c, name, found ? found : name, tk->nocase, *id);
    free(found);
    if (rc)
        return rc;
    *stored = cache_find(c, name, tk->nocase)->name;
    return 0;
}

/* ---- put ----------------------------------------------------------------------- */

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

/* Links the post to each of names (skipping names that resolve to a term it
 * already has, e.g. "Go" and "go"). */
static int put_terms(struct store *st, int k, int64_t rid, int64_t date, char *const *names,
                     size_t n)
{
    if (n == 0)
        return 0;
    if (n > st->seen_cap) {
        int64_t *seen = realloc(st->seen, n * sizeof(*seen));
        if (!seen)
            return ST_NOMEM;
        st->seen = seen;
        st->seen_cap = n;
    }
    size_t n_seen = 0;
    int pos = 0;
    for (size_t i = 0; i < n; i++) {
        if (!names[i])
            continue;
        int64_t id = 0;
        const char *stored = NULL;
        int rc = term_id(st, k, names[i], &id, &stored);
        if (rc)
            return rc;
        int dup = 0;
        for (size_t j = 0; j < n_seen && !dup; j++)
            dup = st->seen[j] == id;
        if (dup)
            continue;
        st->seen[n_seen++] = id;
        sqlite3_stmt *s = store_stmt(st, (enum stmt_id)(S_TERM_LINK + k));
        if (!s)
            return ST_DB;
        sqlite3_bind_int64(s, 1, rid);
        sqlite3_bind_int(s, 2, pos++);
        sqlite3_bind_int64(s, 3, id);
        /* only a spelling that differs from the term's is stored */
        bind_text(s, 4, strcmp(stored, names[i]) ? names[i] : NULL);
        sqlite3_bind_int64(s, 5, date);
        rc = store_exec_stmt(st, s, "link term");
        if (rc)
            return rc;
    }
    return 0;
}

/* The first place in h[0, hn) that holds the n bytes of piece. memmem
 * looks for a short prefix only and each match is compared whole: glibc's
 * memmem prepares a table of the whole needle, kilobytes per answer. */
static const char *find_piece(const char *h, size_t hn, const char *piece, size_t n)
{
    size_t k = n < 16 ? n : 16;
    for (const char *e = h + hn; (size_t)(e - h) >= n;) {
        const char *at = memmem(h, (size_t)(e - h) - (n - k), piece, k);
        if (!at || memcmp(at, piece, n) == 0)
            return at;
        h = at + 1;
    }
    return NULL;
}

/* A piece of the body's HTML (the summary, an answer) is kept as its byte
 * range in body_html where it is found there (schema v3, store_schema.c):
 * binds NULL for the text and the range at ?i_at, ?i_at + 1; elsewhere, the
 * text and NULLs. The search starts at from (the answers come in body order:
 * the end of the last one found), then at the start. Returns where the piece
 * ends in the body, or from when it is not there. */
static size_t bind_piece(sqlite3_stmt *s, int i_text, int i_at, const char *piece, const char *body,
                         size_t body_len, size_t from)
{
    size_t n = piece ? strlen(piece) : 0;
    const char *at = NULL;
    if (n > 0 && body) {
        at = find_piece(body + from, body_len - from, piece, n);
        if (!at && from > 0)
            at = find_piece(body, body_len, piece, n);
    }
    if (!at) {
        bind_text(s, i_text, piece);
        sqlite3_bind_null(s, i_at);
        sqlite3_bind_null(s, i_at + 1);
        return from;
    }
    sqlite3_bind_null(s, i_text);
    sqlite3_bind_int64(s, i_at, at - body);
    sqlite3_bind_int64(s, i_at + 1, (sqlite3_int64)n);
    return (size_t)(at - body) + n;
}

/* Writes the posts and post_bodies rows: new ones when *rid is 0 (then
 * *rid is the new post's rid), else over those of post *rid. body_len:
 * strlen(p->body_html), or 0. */
static int put_post_row(struct store *st, const struct post *p, size_t body_len, const char *hash,
                        int64_t now, int64_t *rid)
{
    int update = *rid != 0;
    sqlite3_stmt *s = store_stmt(st, update ? S_POST_UPDATE : S_POST_INSERT);
    if (!s)
        return ST_DB;
    bind_text(s, 1, p->id);
    bind_text(s, 2, p->slug);
    bind_text(s, 3, p->url);
    bind_text(s, 4, p->title);
    bind_text(s, 5, p->description);
    bind_text(s, 6, p->author);
    bind_text(s, 7, p->image);
    sqlite3_bind_int64(s, 8, p->date_utc);
    sqlite3_bind_int(s, 9, p->date_offset);
    sqlite3_bind_int64(s, 10, now);
    bind_text(s, 11, hash);
    bind_text(s, 12, p->path);
    bind_text(s, 13, p->layout);
    sqlite3_bind_int(s, 14, p->word_count);
    sqlite3_bind_int(s, 15, p->reading_minutes);
    if (update)
        sqlite3_bind_int64(s, 16, *rid);
    int rc = store_exec_stmt(st, s, "write post");
    if (rc)
        return rc;
    if (!update)
        *rid = sqlite3_last_insert_rowid(st->db);
    s = store_stmt(st, update ? S_BODY_UPDATE : S_BODY_INSERT);
    if (!s)
        return ST_DB;
    sqlite3_bind_int64(s, 1, *rid);
    bind_piece(s, 2, 8, p->summary_html, p->body_html, body_len, 0);
    bind_text(s, 3, p->summary_text);
    bind_text(s, 4, p->excerpt_html);
    bind_text(s, 5, p->front_matter_json);
    bind_text(s, 6, p->body_html);
    /* the questions' answers are the search text; only a body without them
     * needs its own (see store_schema.c) */
    bind_text(s, 7, p->n_questions ? NULL : p->body_text);
    return store_exec_stmt(st, s, "write post body");
}

static int put_lists(struct store *st, const struct post *p, size_t body_len, int64_t rid)
{
    int rc = 0;
    for (size_t i = 0; i < p->n_sources && rc == 0; i++) {
        sqlite3_stmt *s = store_stmt(st, S_SOURCE_INSERT);
        if (!s)
            return ST_DB;
        sqlite3_bind_int64(s, 1, rid);
        sqlite3_bind_int(s, 2, (int)i);
        bind_text(s, 3, p->sources[i].url);
        bind_text(s, 4, p->sources[i].domain);
        rc = store_exec_stmt(st, s, "insert source");
    }
    for (size_t i = 0; i < p->n_carousel && rc == 0; i++) {
        const struct post_carousel *c = &p->carousel[i];
        sqlite3_stmt *s = store_stmt(st, S_CAROUSEL_INSERT);
        if (!s)
            return ST_DB;
        sqlite3_bind_int64(s, 1, rid);
        sqlite3_bind_int(s, 2, (int)i);
        bind_text(s, 3, c->domain);
        bind_text(s, 4, c->link);
        bind_text(s, 5, c->title);
        bind_text(s, 6, c->icon_path);
        bind_text(s, 7, c->image_path);
        rc = store_exec_stmt(st, s, "insert carousel");
    }
    size_t from = 0;
    for (size_t i = 0; i < p->n_questions && rc == 0; i++) {
        const struct post_question *q = &p->questions[i];
        sqlite3_stmt *s = store_stmt(st, S_QUESTION_INSERT);
        if (!s)
            return ST_DB;
        sqlite3_bind_int64(s, 1, rid);
        sqlite3_bind_int(s, 2, (int)i);
        bind_text(s, 3, q->question);
        from = bind_piece(s, 4, 6, q->answer_html, p->body_html, body_len, from);
        bind_text(s, 5, q->answer_text);
        rc = store_exec_stmt(st, s, "insert question");
    }
    return rc;
}

/* ---- the search index ------------------------------------------------------------ */

/* Appends the non-NULL strings of n items (each at base + i * stride + off)
 * to st->buf joined by "\n", and a NUL, as group_concat(x, char(10)) does.
 * *at is the offset of the result in st->buf, -1 when every string was NULL
 * (group_concat gives NULL). */
static int join_texts(struct store *st, size_t *used, const void *base, size_t n, size_t stride,
                      size_t off, long *at)
{
    size_t need = 0;
    for (size_t i = 0; i < n; i++) {
        const char *t = *(char *const *)((const char *)base + i * stride + off);
        if (t)
            need += strlen(t) + 1;
    }
    *at = -1;
    if (need == 0)
        return 0;
    if (*used + need > st->buf_cap) {
        size_t cap = st->buf_cap ? st->buf_cap : 4096;
        while (cap < *used + need)
            cap *= 2;
        char *b = realloc(st->buf, cap);
        if (!b)
            return ST_NOMEM;
        st->buf = b;
        st->buf_cap = cap;
    }
    *at = (long)*used;
    char *o = st->buf + *used;
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        const char *t = *(char *const *)((const char *)base + i * stride + off);
        if (!t)
            continue;
        if (!first)
            *o++ = '\n';
        first = 0;
        size_t len = strlen(t);
        memcpy(o, t, len);
        o += len;
    }
    *o++ = '\0';
    *used = (size_t)(o - st->buf);
    return 0;
}

/* Indexes the post's search text. It is the text the view posts_search
 * gives for the rows just written (external content: the index must be fed
 * exactly that, or taking the post out again would corrupt it), joined here
 * from memory instead of read back: see S_FTS_INSERT in store.c. */
static int put_search_text(struct store *st, const struct post *p, int64_t rid)
{
    size_t used = 0;
    long q = -1, a = -1;
    int rc = join_texts(st, &used, p->questions, p->n_questions, sizeof(*p->questions),
                        offsetof(struct post_question, question), &q);
    if (rc == 0)
        rc = join_texts(st, &used, p->questions, p->n_questions, sizeof(*p->questions),
                        offsetof(struct post_question, answer_text), &a);
    if (rc)
        return rc;
    const char *texts[5] = {
        p->title,
        p->description,
        q >= 0 ? st->buf + q : NULL,
        /* a post without answers is searched by its body (see store_schema.c) */
        a >= 0           ? st->buf + a
        : p->n_questions ? NULL
                         : p->body_text,
        p->summary_text,
    };
    return store_index_texts(st, rid, 0, texts);
}

int store_index_texts(struct store *st, int64_t rid, int del, const char *const texts[5])
{
    if (st->fts)
        return store_fts_put(st->fts, rid, del, texts);
    sqlite3_stmt *s = store_stmt(st, del ? S_FTS_DELETE : S_FTS_INSERT);
    if (!s)
        return ST_DB;
    sqlite3_bind_int64(s, 1, rid);
    for (int i = 0; i < 5; i++)
        bind_text(s, i + 2, texts[i]);
    return store_exec_stmt(st, s, del ? "unindex post" : "index post");
}

/* Takes post rid out of the index, with the text it was indexed with. */
static int unindex(struct store *st, int64_t rid)
{
    sqlite3_stmt *old = store_stmt(st, S_FTS_OLD);
    if (!old)
        return ST_DB;
    sqlite3_bind_int64(old, 1, rid);
    int r = sqlite3_step(old);
    int rc = 0;
    if (r == SQLITE_ROW) {
        /* the view's columns are TEXT or NULL: read as text, they are the
         * values indexed (valid until old is reset) */
        const char *texts[5];
        for (int i = 0; i < 5; i++)
            texts[i] = (const char *)sqlite3_column_text(old, i);
        rc = store_index_texts(st, rid, 1, texts);
    } else if (r != SQLITE_DONE) {
        rc = store_rc(st, r, "read indexed text");
    }
    sqlite3_reset(old);
    return rc;
}

/* ---- put and delete ---------------------------------------------------------------- */

/* The rid of post id: 0, or ST_NOTFOUND. */
static int post_rid(struct store *st, const char *id, int64_t *rid)
{
    sqlite3_stmt *s = store_stmt(st, S_POST_RID);
    if (!s)
        return ST_DB;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    if (r == SQLITE_ROW)
        *rid = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (r == SQLITE_ROW)
        return 0;
    return r == SQLITE_DONE ? ST_NOTFOUND : store_rc(st, r, "find post");
}

/* Empties the lists of post rid (tags and the like, sources, carousel,
 * questions) for new ones to be written. */
static int clear_children(struct store *st, int64_t rid)
{
    static const enum stmt_id lists[] = {S_SOURCES_CLEAR, S_CAROUSEL_CLEAR, S_QUESTIONS_CLEAR};
    int rc = 0;
    for (int k = 0; k < 4 + 3 && rc == 0; k++) {
        sqlite3_stmt *s = store_stmt(st, k < 4 ? (enum stmt_id)(S_TERM_UNLINK + k) : lists[k - 4]);
        if (!s)
            return ST_DB;
        sqlite3_bind_int64(s, 1, rid);
        rc = store_exec_stmt(st, s, "clear post lists");
    }
    return rc;
}

/* Deletes post rid: out of the index first (the view still has its text),
 * then its lists, its bodies row and its row. */
static int delete_rid(struct store *st, int64_t rid)
{
    int rc = unindex(st, rid);
    if (rc == 0)
        rc = clear_children(st, rid);
    for (int k = 0; k < 2 && rc == 0; k++) {
        sqlite3_stmt *s = store_stmt(st, k == 0 ? S_BODY_DELETE : S_POST_DELETE);
        if (!s)
            return ST_DB;
        sqlite3_bind_int64(s, 1, rid);
        rc = store_exec_stmt(st, s, "delete post");
    }
    if (rc == 0)
        st->orphans = 1;
    return rc;
}

static int put(struct store *st, const struct post *p, const char *hash, int64_t now)
{
    /* A changed post is rewritten in place: same row, same rid. Deleting it
     * and inserting it anew cost half as much again, and its new, higher rid made
     * FTS5 write its pending terms out at the next post (it does whenever
     * rowids go down): a mass update wrote one index segment per post. */
    int64_t rid = 0;
    int rc = post_rid(st, p->id, &rid);
    if (rc == 0) {
        rc = unindex(st, rid);
        if (rc == 0)
            rc = clear_children(st, rid);
        st->orphans = 1; /* terms it used may be unused now */
    } else if (rc == ST_NOTFOUND) {
        rid = 0;
        rc = 0;
    }
    size_t body_len = p->body_html ? strlen(p->body_html) : 0;
    if (rc == 0)
        rc = put_post_row(st, p, body_len, hash, now, &rid);
    if (rc == 0)
        rc = put_terms(st, STORE_TERM_TAG, rid, p->date_utc, p->tags, p->n_tags);
    if (rc == 0)
        rc = put_terms(st, STORE_TERM_CATEGORY, rid, p->date_utc, p->categories, p->n_categories);
    if (rc == 0 && p->author)
        rc = put_terms(st, STORE_TERM_AUTHOR, rid, p->date_utc, (char *const *)&p->author, 1);
    if (rc == 0)
        rc = put_terms(st, STORE_TERM_DOMAIN, rid, p->date_utc, p->domains, p->n_domains);
    if (rc == 0)
        rc = put_lists(st, p, body_len, rid);
    if (rc == 0)
        rc = put_search_text(st, p, rid);
    return rc;
}

int store_post_put(struct store *st, const struct post *p, const char *hash, int64_t now)
{
    if (!st || !p || !p->id || !p->slug || !p->url || !p->title)
        return ST_INVALID;
    /* No savepoint: one costs more than the rest of a put (every page it
     * touches is copied first), and a failed put fails the whole ingest,
     * which rolls back (see store.h). */
    int rc = put(st, p, hash, now);
    if (rc) {
        /* term rows created by this put may be rolled back: forget their ids */
        store_terms_cache_clear(st);
        return rc;
    }
    st->changed = 1;
    store_new_written(st);
    return 0;
}

int store_post_delete(struct store *st, const char *id)
{
    if (!st || !id)
        return ST_INVALID;
    int64_t rid = 0;
    int rc = post_rid(st, id, &rid);
    if (rc == 0)
        rc = delete_rid(st, rid);
    if (rc)
        return rc;
    st->changed = 1;
    /* outside a transaction no commit will clean up: do it now */
    if (sqlite3_get_autocommit(st->db)) {
        rc = store_drop_orphans(st);
        st->orphans = 0;
    }
    return rc;
}

int store_post_hash(struct store *st, const char *id, char hash[65])
{
    hash[0] = '\0';
    sqlite3_stmt *s = store_stmt(st, S_POST_HASH);
    if (!s)
        return ST_DB;
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int r = sqlite3_step(s);
    int rc = ST_NOTFOUND;
    if (r == SQLITE_ROW) {
        const char *h = (const char *)sqlite3_column_text(s, 0);
        if (h) {
            snprintf(hash, 65, "%s", h);
            rc = 0;
        }
    } else if (r != SQLITE_DONE) {
        rc = store_rc(st, r, "read hash");
    }
    sqlite3_reset(s);
    return rc;
}

int store_post_ids(struct store *st, int (*fn)(const char *id, void *arg), void *arg)
{
    /* collected first, so fn may write to the store (--prune deletes) */
    char **ids = NULL;
    size_t n = 0, cap = 0;
    int rc = 0, r;
    sqlite3_stmt *s = store_stmt(st, S_POST_IDS);
    if (!s)
        return ST_DB;
    while ((r = sqlite3_step(s)) == SQLITE_ROW) {
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 256;
            char **v = realloc(ids, ncap * sizeof(*v));
            if (!v) {
                rc = ST_NOMEM;
                break;
            }
            ids = v;
            cap = ncap;
        }
        const char *id = (const char *)sqlite3_column_text(s, 0);
        if (!(ids[n] = strdup(id ? id : ""))) {
            rc = ST_NOMEM;
            break;
        }
        n++;
    }
    if (rc == 0 && r != SQLITE_DONE)
        rc = store_rc(st, r, "list ids");
    sqlite3_reset(s);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = fn(ids[i], arg);
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
    return rc;
}
