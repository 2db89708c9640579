/* Private to storage/store*.c: the struct store behind the opaque handle, its
 * cache of prepared statements, the per-transaction term-id cache used by
 * writes, the schema's migration steps and small helpers shared by the store's
 * files. Nothing outside storage/store*.c includes this header. */
#ifndef POSTD_STORE_INTERNAL_H
#define POSTD_STORE_INTERNAL_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Statements prepared once per connection (SQLITE_PREPARE_PERSISTENT) and
 * reused: the write path runs them for every post, the read path per request. */
enum stmt_id {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_BEGIN_READ,
    S_DATA_VERSION,
    S_META_GET,
    S_META_BUMP,
    S_META_LAST,
    S_COUNT_ALL,
    S_COUNT_VISIBLE,
    S_POST_HASH,
    S_POST_RID,
    S_POST_DELETE,
    S_POST_INSERT,
    S_POST_UPDATE,
    S_BODY_INSERT,
    S_BODY_UPDATE,
    S_SOURCES_CLEAR,
    S_CAROUSEL_CLEAR,
    S_QUESTIONS_CLEAR,
    S_BODY_DELETE,
    S_FTS_OLD,
    S_FTS_DELETE,
    S_FTS_INSERT,
    S_SOURCE_INSERT,
    S_CAROUSEL_INSERT,
    S_QUESTION_INSERT,
    S_POST_IDS,
    S_GET_BY_ID,
    S_GET_BY_RID,
    S_SLUG_CANDIDATES,
    S_LOAD_TAGS,
    S_LOAD_CATEGORIES,
    S_LOAD_DOMAINS,
    S_LOAD_SOURCES,
    S_LOAD_CAROUSEL,
    S_LOAD_QUESTIONS,
    S_LOAD_BODIES,
    S_SNIPPETS,
    /* per term kind (enum store_term_kind order) */
    S_TERM_FIND,
    S_TERM_INSERT = S_TERM_FIND + 4,
    S_TERM_LINK = S_TERM_INSERT + 4,
    S_TERM_ORPHANS = S_TERM_LINK + 4,
    S_TERM_UNLINK = S_TERM_ORPHANS + 4,
    S_COUNT = S_TERM_UNLINK + 4,
};

/* The columns every post read selects, in this order (store_query.c reads
 * them by position). The heavy texts come from post_bodies separately. */
#define STORE_CARD_COLS                                                                            \
    "p.rid, p.id, p.slug, p.url, p.title, p.description, p.author, p.image, p.date_utc,"           \
    " p.date_offset, p.updated_at, p.path, p.layout, p.word_count, p.reading_minutes"
#define STORE_CARD_NCOLS 15
/* S_LOAD_BODIES bit for body_text (the STORE_INC_* bits pick the others) */
#define STORE_LOAD_BODY_TEXT 0x40

/* One slot of the name → id cache of a term table. */
struct term_slot {
    char *key;  /* owned; ASCII-folded when the table compares NOCASE */
    char *name; /* owned; the name stored in the table (first seen) */
    int64_t id;
};

struct term_cache {
    struct term_slot *slots; /* owned; open addressing, cap a power of two */
    size_t cap, n;
};

struct store {
    sqlite3 *db;
    int readonly;
    int changed; /* a put or delete happened in this write transaction */
    int orphans; /* a post went away: drop unused terms before committing */
    int64_t data_version;
    sqlite3_stmt *stmt[S_COUNT];
    /* Valid within one write transaction only (cleared at begin, commit and
     * rollback): term ids are stable while we hold the write lock. */
    struct term_cache terms[4];
    char *buf; /* scratch for a post's joined search text, reused across puts */
    size_t buf_cap;
    int64_t *seen; /* scratch: term ids already linked to the post being put */
    size_t seen_cap;
    /* STORE_NEW until published (store_new.c): the final path and the side
     * file the connection writes (both owned), and a descriptor of the side
     * file holding the builders' lock; NULL, NULL, -1 otherwise. */
    char *path;
    char *side;
    int side_fd;
    unsigned puts;         /* posts written to the side file, for store_new_written */
    char *deferred;        /* the CREATE INDEX statements run at publish (sqlite3_free) */
    struct store_fts *fts; /* owned: the search index's own builder, or NULL */
};

/* A term table and its link table to posts, for each enum store_term_kind. */
struct term_kind {
    const char *table; /* "tags" */
    const char *link;  /* "post_tags" */
    const char *col;   /* "tag_id" */
    int nocase;        /* names compare case-insensitively (ASCII, as NOCASE) */
    int has_slug;      /* the table has a slug column (all but domains) */
};
extern const struct term_kind store_kinds[4];

/* The migration steps: store_migrations[i] takes user_version i to i + 1. */
extern const char *const store_migrations[];
extern const int store_n_migrations;

/* Returns the cached statement id (prepared on first use, reset and with
 * bindings cleared), or NULL after logging the error. */
sqlite3_stmt *store_stmt(struct store *st, enum stmt_id id);
/* Logs "postd: store: <what>: <sqlite message>" to stderr. */
void store_log(struct store *st, const char *what);
/* Maps an SQLite result code to a status (logs it when it is an error). */
int store_rc(struct store *st, int rc, const char *what);
/* Steps a statement that returns no rows, then resets it. 0 or ST_DB. */
int store_exec_stmt(struct store *st, sqlite3_stmt *s, const char *what);

/* Reversed labels of a normalized host: "cooking.nytimes.com" → "com.nytimes.cooking".
 * Returns a new heap string or NULL. */
char *store_rname(const char *host);
/* a followed by b, as a new heap string; NULL on OOM. */
char *store_concat(const char *a, const char *b);
/* Copies s with ASCII letters lowercased (NOCASE folding). NULL on OOM. */
char *store_fold(const char *s);

/* For tests: the EXPLAIN QUERY PLAN of the page query store_posts_list would
 * run for req, one "detail" per line. On 0 *out is owned (free()). */
int store_list_plan(struct store *st, const struct store_list_req *req, char **out);

/* Opens st->db on path for st->readonly's mode and sets the connection up
 * (pragmas; read-write: WAL and migrations, or with bulk the side file's
 * pragmas, see store.c). On error st->db may be set: store_disconnect(). */
int store_connect(struct store *st, const char *path, int bulk);
/* Finalizes the cached statements and closes st->db (NULL-safe). */
void store_disconnect(struct store *st);
/* Runs fixed SQL text (pragmas, migrations): 0 or a status, logged. */
int store_exec_sql(struct store *st, const char *sql, const char *what);

/* STORE_NEW (store_new.c). open: takes the builders' lock on path's side
 * file and connects to it; ST_EXISTS when path exists. publish: after the
 * first commit, moves the side file to path and reconnects there (0, or a
 * status with st->db closed). discard: removes an unpublished side file and
 * releases the lock (no-op for other stores; after store_disconnect). */
int store_new_open(struct store *st, const char *path);
int store_new_publish(struct store *st);
/* Called after each post written: starts the writeback of the side file every
 * few thousand posts (no-op for other stores). */
void store_new_written(struct store *st);
void store_new_discard(struct store *st);

/* Feeds the search index post rid's texts (title, description, questions,
 * answers, summary; NULL allowed), or with del takes them out again: on
 * st's connection, or through st->fts when a first ingest builds its index
 * apart (whose own connection writes with this function too). 0 or a status. */
int store_index_texts(struct store *st, int64_t rid, int del, const char *const texts[5]);

/* A first ingest's search index, built on a thread of its own into a file
 * of its own (store_fts.c; store_new.c names, removes and copies the file).
 * open: creates posts_fts in the new file at path with main_db's statement
 * and the given FTS5 hashsize, and starts the indexer. put: queues texts (as
 * store_index_texts; copied); 0 or the indexer's error. end: no more puts;
 * the indexer works through the queue, commits and stops meanwhile (returns
 * at once). finish: waits for that (ending it first if not yet) and closes
 * the file; 0 or the indexer's error. close: stops an indexer still running
 * without committing, and frees f (NULL-safe). On any error of open, close
 * is still called. */
struct store_fts;
int store_fts_open(sqlite3 *main_db, const char *path, long long hashsize, struct store_fts **out);
int store_fts_put(struct store_fts *f, int64_t rid, int del, const char *const texts[5]);
void store_fts_end(struct store_fts *f);
int store_fts_finish(struct store_fts *f);
void store_fts_close(struct store_fts *f);

/* Empties the term-id caches (keeps their memory). */
void store_terms_cache_clear(struct store *st);
/* Deletes terms no post links to any more. */
int store_drop_orphans(struct store *st);

#endif
