/* The SQLite database: schema and migrations, the writes an ingest makes and
 * every query the API needs. The only module that includes <sqlite3.h>.
 * A struct store is one connection; use it from one thread at a time. */
#ifndef POSTD_STORE_H
#define POSTD_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "post.h"
#include "status.h"

struct store; /* opaque */

enum store_mode {
    STORE_READONLY,  /* SQLITE_OPEN_READONLY; ST_SCHEMA when there is no schema yet */
    STORE_READWRITE, /* creates the file, sets WAL, runs migrations */
    /* A first ingest: path must not exist (else ST_EXISTS: open it
     * STORE_READWRITE). The database is built in a side file (path + "-new",
     * locked against other builders) with its journal in memory and no syncs,
     * its search index built on a thread of its own in a second side file
     * (path + "-fts") and copied in at the end, and its secondary indexes
     * built at the end; the first store_commit moves it to path, synced and
     * in WAL mode; from then on the store is a STORE_READWRITE one. Until
     * then path does not exist, and store_close removes the side files.
     * 100,000 posts: 25 s in WAL mode (which writes every page twice),
     * 11.6-13 s this way with the index built in line, 9.7-12 s apart. */
    STORE_NEW,
};

/* Opens the database at path. On 0, *out is owned by the caller: store_close().
 * Returns 0, ST_IO (cannot open), ST_DB, ST_SCHEMA, ST_NOMEM, ST_EXISTS. */
int store_open(struct store **out, const char *path, enum store_mode mode);
void store_close(struct store *st); /* NULL-safe */

/* The schema version this build writes (PRAGMA user_version). */
int store_schema_version(void);

/* ---- writes (ingest) ---------------------------------------------------- */

/* BEGIN IMMEDIATE. Everything up to store_commit() is one transaction. */
int store_begin(struct store *st);
/* Commits; if any post changed, increments the generation and records now as
 * the last ingest time (that is what Last-Modified reports). A STORE_NEW store
 * is published here; ST_EXISTS when path appeared meanwhile (nothing written). */
int store_commit(struct store *st, int64_t now);
void store_rollback(struct store *st); /* safe when no transaction is open */

/* Looks up the content hash stored for post id. 0 and hash filled, or ST_NOTFOUND. */
int store_post_hash(struct store *st, const char *id, char hash[65]);
/* Inserts or replaces post p (all its tags, categories, sources, carousel,
 * domains, questions, search text) with the file's content hash. p->updated_at
 * is ignored: now is stored. p->url must be set. Borrowed: p, hash.
 * ST_INVALID (id, slug, url or title missing) writes nothing; after any other
 * error the post may be half written: roll the transaction back. */
int store_post_put(struct store *st, const struct post *p, const char *hash, int64_t now);
/* Deletes post id and its links; unused tags/domains/... go too. 0 or ST_NOTFOUND. */
int store_post_delete(struct store *st, const char *id);
/* Calls fn for every stored post id (for --prune). fn returning non-zero stops
 * the walk and that value is returned. The id is borrowed for the call only. */
int store_post_ids(struct store *st, int (*fn)(const char *id, void *arg), void *arg);

/* ---- reads (serve) ------------------------------------------------------ */

struct store_meta {
    int64_t posts;       /* visible posts (see store_filter.now) */
    int64_t generation;  /* bumped by every ingest that changed something */
    int64_t last_ingest; /* epoch seconds of that ingest; 0 when never */
};
/* now/show_future: as in store_filter. */
int store_meta_get(struct store *st, int64_t now, int show_future, struct store_meta *out);

/* Returns 1 when another connection committed since the last call (PRAGMA
 * data_version), else 0. Cheap: call it per request to drop caches. */
int store_data_changed(struct store *st);

/* Start and end a read snapshot so that a count and a page agree. */
int store_read_begin(struct store *st);
void store_read_end(struct store *st);

struct store_strv {
    const char *const *v; /* borrowed */
    size_t n;
};

struct store_filter {
    struct store_strv tag, tag_all, tag_not; /* name or slug, case-insensitive */
    struct store_strv domain, domain_not;    /* host; "www." ignored; subdomains match */
    struct store_strv author, category;      /* exact, case-insensitive */
    int has_after, has_before;
    int64_t after, before;                   /* after inclusive, before exclusive (UTC s) */
    const char *q;                           /* FTS5 MATCH expression, or NULL */
    int64_t now;                             /* posts dated after now are hidden ... */
    int show_future;                         /* ... unless this is set */
};

enum store_sort {
    STORE_SORT_DATE_DESC = 0, /* default: newest first */
    STORE_SORT_DATE_ASC,
    STORE_SORT_TITLE_ASC,
    STORE_SORT_TITLE_DESC,
    STORE_SORT_UPDATED_DESC,
    STORE_SORT_RELEVANCE,     /* needs f.q; best first */
};

/* Heavy parts a list may load into each post (cards always carry id, slug, url,
 * title, description, date, author, image, tags, domains). */
enum store_include {
    STORE_INC_QUESTIONS = 1 << 0,
    STORE_INC_SUMMARY = 1 << 1,
    STORE_INC_BODY = 1 << 2,
    STORE_INC_CAROUSEL = 1 << 3,
    STORE_INC_SOURCES = 1 << 4,
    STORE_INC_FRONT_MATTER = 1 << 5,
    STORE_INC_ALL = 0x3f,
};

/* A keyset position: the sort key and id of the last row of a page.
 * num is date_utc or updated_at, text is the title, score the relevance. */
struct store_key {
    int set;
    int64_t num;
    double score;
    char *text; /* owned when returned in store_list; borrowed in a request */
    char *id;
};

struct store_list_req {
    struct store_filter f;
    enum store_sort sort;
    int limit;            /* 1.. */
    int64_t offset;       /* page mode; ignored when after.set */
    struct store_key after; /* cursor mode: rows strictly after this key */
    unsigned include;     /* STORE_INC_* bits */
};

struct store_list {
    struct post *items; /* owned: store_list_clear */
    size_t n;
    int64_t total;      /* rows matching the filter, regardless of paging */
    int has_more;       /* rows exist after the last item */
    struct store_key last; /* key of the last item (owned) when n > 0 */
    double *scores;     /* relevance per item when sorted by relevance, else NULL */
    char **snippets;    /* when f.q is set: per item, the best-matching text as HTML (escaped,
                           matches in <mark>...</mark>) or NULL; else NULL */
};

/* Runs a list query. On 0 *out is owned by the caller: store_list_clear().
 * ST_INVALID when q is not a valid FTS5 expression (a client error). */
int store_posts_list(struct store *st, const struct store_list_req *req, struct store_list *out);
void store_list_clear(struct store_list *l);

struct store_ids {
    char **ids; /* owned: store_ids_clear */
    size_t n;
};
void store_ids_clear(struct store_ids *ids);

/* Fetches one full post by id, else by slug. Hidden (future) posts are not found.
 * body_text (search text, not API) comes back only for posts without questions.
 * 0: *out filled (caller owns, post_clear). ST_NOTFOUND. ST_AMBIGUOUS: several
 * posts share the slug, their ids (newest first) in *candidates (caller clears). */
int store_post_get(struct store *st, const char *key, int64_t now, int show_future,
                   struct post *out, struct store_ids *candidates);

enum store_term_kind { STORE_TERM_TAG, STORE_TERM_DOMAIN, STORE_TERM_AUTHOR, STORE_TERM_CATEGORY };

struct store_term {
    char *name;     /* tag/author/category name, or the normalized domain */
    char *slug;     /* slugified name (NULL for domains) */
    int64_t count;  /* visible posts having it */
    int64_t latest; /* date_utc of its newest visible post */
};

struct store_terms {
    struct store_term *items; /* owned: store_terms_clear */
    size_t n;
    int64_t total;            /* terms matching the prefix, regardless of paging */
};

/* Lists terms of one kind with counts of visible posts. prefix (case-insensitive)
 * may be NULL. by_name: sort by name, else by count descending (ties by name). */
int store_terms_list(struct store *st, enum store_term_kind kind, const char *prefix, int by_name,
                     int limit, int64_t offset, int64_t now, int show_future,
                     struct store_terms *out);
void store_terms_clear(struct store_terms *t);

/* Does a term exist (tags by name or slug, case-insensitive; domains with "www."
 * ignored)? 0 or ST_NOTFOUND. */
int store_term_exists(struct store *st, enum store_term_kind kind, const char *name);

/* Jekyll's default slugify: lowercase ASCII letters and digits kept, every other
 * run of characters becomes one "-", no leading/trailing "-". UTF-8 letters,
 * combining marks and digits are kept, lowercased as Ruby's downcase does
 * (simple case mapping). Returns a new heap string (caller frees) or NULL. */
char *store_slugify(const char *s);

#endif
