/* The store's connection: opening (pragmas, migrations, schema checks),
 * closing, the prepared-statement cache, transactions (write and read
 * snapshots), the meta row (generation, last ingest), change detection and
 * the small text helpers (slugify, reversed domain names). Writes live in
 * store_write.c, queries in store_query.c, the schema in store_schema.c. */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUSY_TIMEOUT_MS 5000
/* Writers only: a 16 MiB page cache (measured: a bigger one only costs page
 * faults, an ingest spills to the WAL anyway) and a
 * WAL trimmed back to 64 MiB after checkpoints instead of keeping its peak. */
#define WRITER_CACHE_KIB 16384
#define PAGE_SIZE_NEW "16384"
#define WAL_SIZE_LIMIT (64 * 1024 * 1024)
/* The side file of a new database (see open_readwrite). EXCLUSIVE: no
 * shared-memory file and no lock calls per transaction. */
#define BULK_PRAGMAS                                                                               \
    "PRAGMA journal_mode=MEMORY; PRAGMA locking_mode=EXCLUSIVE; PRAGMA synchronous=OFF;"           \
    " PRAGMA foreign_keys=OFF; PRAGMA cache_size=-16384"
/* Readers: no memory map and a 4 MiB page cache each. A map of the whole file
 * counts every page a query ever touched in the server's RSS (740-925 MiB at
 * 100,000 posts, against a 64 MB target) and never gives it back; hot requests
 * are answered from the response cache, so the few pages a miss reads come
 * from the OS page cache through read() at little cost. */
#define READER_MMAP_SIZE 0
#define READER_CACHE_KIB 4096

static const char *const fixed_sql[S_TERM_FIND] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_BEGIN_READ] = "BEGIN DEFERRED",
    [S_DATA_VERSION] = "PRAGMA data_version",
    [S_META_GET] = "SELECT key, value FROM meta",
    [S_META_BUMP] = "UPDATE meta SET value = value + 1 WHERE key = 'generation'",
    [S_META_LAST] = "UPDATE meta SET value = ?1 WHERE key = 'last_ingest'",
    [S_COUNT_ALL] = "SELECT count(*) FROM posts",
    [S_COUNT_VISIBLE] = "SELECT count(*) FROM posts WHERE date_utc <= ?1",
    [S_POST_HASH] = "SELECT hash FROM posts WHERE id = ?1",
    [S_POST_RID] = "SELECT rid FROM posts WHERE id = ?1",
    [S_POST_DELETE] = "DELETE FROM posts WHERE rid = ?1",
    [S_POST_INSERT] = "INSERT INTO posts (id, slug, url, title, description, author, image,"
                      " date_utc, date_offset, updated_at, hash, path, layout, word_count,"
                      " reading_minutes) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
                      " ?12, ?13, ?14, ?15)",
    /* a changed post keeps its row and rid (same parameters as S_POST_INSERT) */
    [S_POST_UPDATE] = "UPDATE posts SET slug = ?2, url = ?3, title = ?4, description = ?5,"
                      " author = ?6, image = ?7, date_utc = ?8, date_offset = ?9,"
                      " updated_at = ?10, hash = ?11, path = ?12, layout = ?13,"
                      " word_count = ?14, reading_minutes = ?15 WHERE rid = ?16 AND id = ?1",
    [S_BODY_INSERT] = "INSERT INTO post_bodies (rid, summary_html, summary_text, excerpt_html,"
                      " front_matter, body_html, body_text, summary_at, summary_len)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [S_BODY_UPDATE] = "UPDATE post_bodies SET summary_html = ?2, summary_text = ?3,"
                      " excerpt_html = ?4, front_matter = ?5, body_html = ?6, body_text = ?7,"
                      " summary_at = ?8, summary_len = ?9 WHERE rid = ?1",
    [S_SOURCES_CLEAR] = "DELETE FROM post_sources WHERE post_rid = ?1",
    [S_CAROUSEL_CLEAR] = "DELETE FROM post_carousel WHERE post_rid = ?1",
    [S_QUESTIONS_CLEAR] = "DELETE FROM post_questions WHERE post_rid = ?1",
    [S_BODY_DELETE] = "DELETE FROM post_bodies WHERE rid = ?1",
    /* The search index is written with one-row VALUES statements only: a
     * statement that may write several rows (INSERT ... SELECT, a trigger)
     * opens a statement savepoint, and FTS5 writes its pending terms out as a
     * new index segment at every savepoint (one segment per post when the
     * index was kept by a trigger). One-row statements let the terms of many
     * posts gather into a few large segments. */
    [S_FTS_OLD] = "SELECT title, description, questions, answers, summary FROM posts_search"
                  " WHERE rid = ?1",
    [S_FTS_DELETE] = "INSERT INTO posts_fts (posts_fts, rowid, title, description, questions,"
                     " answers, summary) VALUES ('delete', ?1, ?2, ?3, ?4, ?5, ?6)",
    [S_FTS_INSERT] = "INSERT INTO posts_fts (rowid, title, description, questions, answers,"
                     " summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_SOURCE_INSERT] = "INSERT INTO post_sources (post_rid, pos, url, domain)"
                        " VALUES (?1, ?2, ?3, ?4)",
    [S_CAROUSEL_INSERT] = "INSERT INTO post_carousel (post_rid, pos, domain, link, title,"
                          " icon_path, image_path) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_QUESTION_INSERT] =
        "INSERT INTO post_questions (post_rid, pos, question, answer_html,"
        " answer_text, answer_at, answer_len) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [S_POST_IDS] = "SELECT id FROM posts ORDER BY id",
    [S_GET_BY_ID] = "SELECT " STORE_CARD_COLS " FROM posts p"
                    " WHERE p.id = ?1 AND (?2 OR p.date_utc <= ?3)",
    [S_GET_BY_RID] = "SELECT " STORE_CARD_COLS " FROM posts p WHERE p.rid = ?1",
    [S_SLUG_CANDIDATES] = "SELECT p.rid, p.id FROM posts p"
                          " WHERE p.slug = ?1 AND (?2 OR p.date_utc <= ?3)"
                          " ORDER BY p.date_utc DESC, p.id DESC",
    /* ?1 is a JSON array of post rids: one fixed statement serves any page */
    [S_LOAD_TAGS] = "SELECT l.post_rid, coalesce(l.name, t.name) FROM post_tags l"
                    " JOIN tags t ON t.id = l.tag_id"
                    " WHERE l.post_rid IN (SELECT value FROM json_each(?1))"
                    " ORDER BY l.post_rid, l.pos",
    [S_LOAD_CATEGORIES] = "SELECT l.post_rid, coalesce(l.name, t.name) FROM post_categories l"
                          " JOIN categories t ON t.id = l.category_id"
                          " WHERE l.post_rid IN (SELECT value FROM json_each(?1))"
                          " ORDER BY l.post_rid, l.pos",
    [S_LOAD_DOMAINS] = "SELECT l.post_rid, coalesce(l.name, t.name) FROM post_domains l"
                       " JOIN domains t ON t.id = l.domain_id"
                       " WHERE l.post_rid IN (SELECT value FROM json_each(?1))"
                       " ORDER BY l.post_rid, l.pos",
    [S_LOAD_SOURCES] = "SELECT post_rid, url, domain FROM post_sources"
                       " WHERE post_rid IN (SELECT value FROM json_each(?1))"
                       " ORDER BY post_rid, pos",
    [S_LOAD_CAROUSEL] = "SELECT post_rid, domain, link, title, icon_path, image_path"
                        " FROM post_carousel WHERE post_rid IN (SELECT value FROM json_each(?1))"
                        " ORDER BY post_rid, pos",
    /* the views give the HTML kept as a range of body_html (store_schema.c, v3);
     * S_LOAD_BODIES reads the summary's from post_summaries */
    [S_LOAD_QUESTIONS] = "SELECT post_rid, question, answer_html, answer_text FROM post_answers"
                         " WHERE post_rid IN (SELECT value FROM json_each(?1))"
                         " ORDER BY post_rid, pos",
    /* ?2 picks the columns (STORE_INC_* bits): one statement for every
     * include, and a column not asked for is never read */
    [S_LOAD_BODIES] =
        "SELECT rid, CASE WHEN ?2 & 2 THEN (SELECT summary_html FROM post_summaries s"
        " WHERE s.rid = post_bodies.rid) END,"
        " CASE WHEN ?2 & 2 THEN summary_text END,"
        " CASE WHEN ?2 & 4 THEN body_html END, CASE WHEN ?2 & 4 THEN excerpt_html END,"
        " CASE WHEN ?2 & 32 THEN front_matter END,"
        " CASE WHEN ?2 & 64 THEN body_text END"
        " FROM post_bodies WHERE rid IN (SELECT value FROM json_each(?1))",
    /* \x01 and \x02 mark the matches; store_query.c escapes the text and
     * turns them into <mark> tags */
    [S_SNIPPETS] = "SELECT rowid, snippet(posts_fts, -1, char(1), char(2), '\xe2\x80\xa6', 24)"
                   " FROM posts_fts WHERE posts_fts MATCH ?1"
                   " AND rowid IN (SELECT value FROM json_each(?2))",
};

void store_log(struct store *st, const char *what)
{
    fprintf(stderr, "postd: store: %s: %s\n", what, st && st->db ? sqlite3_errmsg(st->db) : "");
}

int store_rc(struct store *st, int rc, const char *what)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return 0;
    case SQLITE_NOMEM:
        store_log(st, what);
        return ST_NOMEM;
    default:
        store_log(st, what);
        return ST_DB;
    }
}

/* Writes the SQL of a per-kind statement into buf. */
static void kind_sql(enum stmt_id id, char *buf, size_t size)
{
    int k = ((int)id - S_TERM_FIND) % 4;
    const struct term_kind *tk = &store_kinds[k];
    switch (((int)id - S_TERM_FIND) / 4) {
    case 0:
        snprintf(buf, size, "SELECT id, name FROM %s WHERE name = ?1", tk->table);
        break;
    case 1:
        snprintf(buf, size, "INSERT INTO %s (name, %s) VALUES (?1, ?2)", tk->table,
                 tk->has_slug ? "slug" : "rname");
        break;
    case 2:
        snprintf(buf, size,
                 "INSERT INTO %s (post_rid, pos, %s, name, date_utc) VALUES (?1, ?2, ?3, ?4, ?5)",
                 tk->link, tk->col);
        break;
    case 3:
        snprintf(buf, size,
                 "DELETE FROM %s WHERE NOT EXISTS (SELECT 1 FROM %s l WHERE l.%s = %s.id)",
                 tk->table, tk->link, tk->col, tk->table);
        break;
    default:
        snprintf(buf, size, "DELETE FROM %s WHERE post_rid = ?1", tk->link);
        break;
    }
}

sqlite3_stmt *store_stmt(struct store *st, enum stmt_id id)
{
    sqlite3_stmt *s = st->stmt[id];
    if (s) {
        sqlite3_reset(s);
        return s;
    }
    char buf[256];
    const char *sql = buf;
    if (id < S_TERM_FIND)
        sql = fixed_sql[id];
    else
        kind_sql(id, buf, sizeof(buf));
    int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
    if (rc != SQLITE_OK) {
        store_log(st, "prepare");
        sqlite3_finalize(s);
        return NULL;
    }
    st->stmt[id] = s;
    return s;
}

int store_exec_stmt(struct store *st, sqlite3_stmt *s, const char *what)
{
    if (!s)
        return ST_DB;
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc == SQLITE_ROW)
        rc = SQLITE_DONE;
    return store_rc(st, rc, what);
}

int store_exec_sql(struct store *st, const char *sql, const char *what)
{
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        return 0;
    int e = rc & 0xff;
    store_log(st, what);
    if (e == SQLITE_NOMEM)
        return ST_NOMEM;
    /* not a database, or a file we may not open: nothing SQL can fix */
    if (e == SQLITE_NOTADB || e == SQLITE_CANTOPEN || e == SQLITE_IOERR || e == SQLITE_PERM ||
        e == SQLITE_READONLY)
        return ST_IO;
    return ST_DB;
}

/* Reads a one-integer pragma. */
static int pragma_int(struct store *st, const char *sql, const char *what, int64_t *out)
{
    sqlite3_stmt *s = NULL;
    int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(s, 0);
            rc = SQLITE_OK;
        }
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_OK)
        return 0;
    int e = rc & 0xff;
    store_log(st, what);
    if (e == SQLITE_NOMEM)
        return ST_NOMEM;
    if (e == SQLITE_NOTADB || e == SQLITE_CANTOPEN || e == SQLITE_IOERR || e == SQLITE_PERM)
        return ST_IO;
    return ST_DB;
}

int store_schema_version(void)
{
    return store_n_migrations;
}

/* Brings the schema up to date, one step per transaction. Another process may
 * migrate at the same time: the version is read again under the write lock. */
static int migrate(struct store *st)
{
    for (;;) {
        int64_t v = 0;
        int rc = pragma_int(st, "PRAGMA user_version", "schema version", &v);
        if (rc)
            return rc;
        if (v > store_n_migrations) {
            fprintf(stderr, "postd: store: schema version %lld is newer than %d\n", (long long)v,
                    store_n_migrations);
            return ST_SCHEMA;
        }
        if (v == store_n_migrations)
            return 0;
        rc = store_exec_sql(st, "BEGIN IMMEDIATE", "begin migration");
        if (rc)
            return rc;
        rc = pragma_int(st, "PRAGMA user_version", "schema version", &v);
        if (rc == 0 && v >= 0 && v < store_n_migrations) {
            char sql[64];
            rc = store_exec_sql(st, store_migrations[v], "migration");
            snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld", (long long)v + 1);
            if (rc == 0)
                rc = store_exec_sql(st, sql, "migration");
        }
        if (rc == 0)
            rc = store_exec_sql(st, "COMMIT", "commit migration");
        if (rc) {
            sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
            return rc;
        }
    }
}

/* bulk: the side file of a STORE_NEW store (store_new.c), which no other
 * connection opens before it is published: no journal on disk, no syncs, no
 * WAL (a crash leaves only the side file, which the next builder truncates). */
static int open_readwrite(struct store *st, int bulk)
{
    /* SQLite quietly opens a file it may not write read-only */
    if (sqlite3_db_readonly(st->db, "main") == 1) {
        fprintf(stderr, "postd: store: %s: the file is read-only\n",
                sqlite3_db_filename(st->db, "main"));
        return ST_IO;
    }
    /* WAL: readers keep their snapshot while the ingest writes, and see its
     * work at once when it commits. synchronous=NORMAL in WAL mode syncs at
     * checkpoints, not at every commit: a commit survives an application
     * crash, and at worst the last commit is lost on power failure. That is
     * enough because an ingest is one transaction rebuilt from files that
     * stay on disk: running it again restores what was lost. */
    sqlite3_stmt *s = NULL;
    /* A new file gets 16 KiB pages (an existing one keeps its own): a
     * quarter of the page writes, reads and WAL frames of 4 KiB pages for the
     * same data, and a post's body row fits in one page. Measured: a fifth
     * less ingest CPU on 10,000 posts, a quarter on 100,000, where the file
     * is 10% larger (pages hold whole 7 KB body rows, with room left over).
     * Before WAL: the page size of a WAL database cannot change. */
    int rc = store_exec_sql(st, "PRAGMA page_size=" PAGE_SIZE_NEW, "page_size");
    if (rc)
        return rc;
    if (bulk)
        return (rc = store_exec_sql(st, BULK_PRAGMAS, "pragmas")) ? rc : migrate(st);
    rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(s);
    if (rc != SQLITE_ROW) {
        store_log(st, "journal_mode");
        sqlite3_finalize(s);
        int e = rc & 0xff;
        return e == SQLITE_NOMEM ? ST_NOMEM : e == SQLITE_BUSY ? ST_DB : ST_IO;
    }
    const char *mode = (const char *)sqlite3_column_text(s, 0);
    int wal = mode && strcmp(mode, "wal") == 0;
    sqlite3_finalize(s);
    if (!wal) {
        fprintf(stderr, "postd: store: cannot use WAL journal mode here\n");
        return ST_IO;
    }
    /* foreign_keys off: the store writes and deletes every child row itself
     * (store_write.c), and enforcement looked up the parent of each child
     * row written or deleted: 6% of the CPU of a new post, 28% of a changed
     * one. The declared keys still hold: the tests run foreign_key_check
     * after every kind of write. */
    char sql[160];
    snprintf(sql, sizeof(sql),
             "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF; PRAGMA cache_size=-%d;"
             " PRAGMA journal_size_limit=%d",
             WRITER_CACHE_KIB, WAL_SIZE_LIMIT);
    rc = store_exec_sql(st, sql, "pragmas");
    if (rc == 0)
        rc = migrate(st);
    return rc;
}

static int open_readonly(struct store *st)
{
    char sql[96];
    snprintf(sql, sizeof(sql), "PRAGMA mmap_size=%lld; PRAGMA cache_size=-%d",
             (long long)READER_MMAP_SIZE, READER_CACHE_KIB);
    int rc = store_exec_sql(st, sql, "reader pragmas");
    if (rc)
        return rc;
    int64_t v = 0;
    rc = pragma_int(st, "PRAGMA user_version", "schema version", &v);
    if (rc)
        return rc;
    if (v != store_n_migrations) {
        if (v == 0)
            fprintf(stderr, "postd: store: the database has no schema yet (run an ingest)\n");
        else
            fprintf(stderr, "postd: store: schema version %lld, this build reads %d\n",
                    (long long)v, store_n_migrations);
        return ST_SCHEMA;
    }
    return 0;
}

int store_connect(struct store *st, const char *path, int bulk)
{
    /* NOMUTEX: a connection is used by one thread at a time (see store.h) */
    int flags = SQLITE_OPEN_NOMUTEX |
                (st->readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    int rc = sqlite3_open_v2(path, &st->db, flags, NULL);
    if (rc != SQLITE_OK) {
        if (st->db)
            fprintf(stderr, "postd: store: cannot open %s: %s\n", path, sqlite3_errmsg(st->db));
        return st->db ? ST_IO : ST_NOMEM;
    }
    sqlite3_extended_result_codes(st->db, 1);
    sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
    rc = st->readonly ? open_readonly(st) : open_readwrite(st, bulk);
    if (rc == 0)
        rc = pragma_int(st, "PRAGMA data_version", "data version", &st->data_version);
    return rc;
}

void store_disconnect(struct store *st)
{
    for (int i = 0; i < S_COUNT; i++) {
        sqlite3_finalize(st->stmt[i]);
        st->stmt[i] = NULL;
    }
    sqlite3_close(st->db);
    st->db = NULL;
}

int store_open(struct store **out, const char *path, enum store_mode mode)
{
    *out = NULL;
    if (!path)
        return ST_INVALID;
    struct store *st = calloc(1, sizeof(*st));
    if (!st)
        return ST_NOMEM;
    st->readonly = mode == STORE_READONLY;
    st->side_fd = -1;
    int rc = mode == STORE_NEW ? store_new_open(st, path) : store_connect(st, path, 0);
    if (rc)
        goto fail;
    *out = st;
    return 0;
fail:
    store_close(st);
    return rc;
}

void store_close(struct store *st)
{
    if (!st)
        return;
    store_terms_cache_clear(st);
    for (int k = 0; k < 4; k++)
        free(st->terms[k].slots);
    free(st->buf);
    free(st->seen);
    store_disconnect(st);
    store_new_discard(st);
    free(st);
}

/* ---- transactions -------------------------------------------------------- */

int store_begin(struct store *st)
{
    store_terms_cache_clear(st);
    st->changed = 0;
    st->orphans = 0;
    return store_exec_stmt(st, store_stmt(st, S_BEGIN), "begin");
}

int store_drop_orphans(struct store *st)
{
    for (int k = 0; k < 4; k++) {
        int rc = store_exec_stmt(st, store_stmt(st, (enum stmt_id)(S_TERM_ORPHANS + k)),
                                 "remove unused terms");
        if (rc)
            return rc;
    }
    return 0;
}

int store_commit(struct store *st, int64_t now)
{
    int rc = 0;
    if (st->orphans)
        rc = store_drop_orphans(st);
    if (rc == 0 && st->changed) {
        rc = store_exec_stmt(st, store_stmt(st, S_META_BUMP), "generation");
        sqlite3_stmt *s = rc ? NULL : store_stmt(st, S_META_LAST);
        if (s) {
            sqlite3_bind_int64(s, 1, now);
            rc = store_exec_stmt(st, s, "last ingest");
        }
    }
    if (rc == 0)
        rc = store_exec_stmt(st, store_stmt(st, S_COMMIT), "commit");
    if (rc)
        store_rollback(st);
    store_terms_cache_clear(st);
    st->changed = 0;
    st->orphans = 0;
    if (rc == 0 && st->side)
        rc = store_new_publish(st);
    return rc;
}

void store_rollback(struct store *st)
{
    if (!st)
        return;
    if (!sqlite3_get_autocommit(st->db)) {
        sqlite3_stmt *s = store_stmt(st, S_ROLLBACK);
        if (s) {
            sqlite3_step(s);
            sqlite3_reset(s);
        }
    }
    store_terms_cache_clear(st);
    st->changed = 0;
    st->orphans = 0;
}

int store_read_begin(struct store *st)
{
    int rc = store_exec_stmt(st, store_stmt(st, S_BEGIN_READ), "begin read");
    if (rc)
        return rc;
    /* BEGIN DEFERRED takes no snapshot yet: the first read does */
    sqlite3_stmt *s = store_stmt(st, S_META_GET);
    if (!s) {
        store_read_end(st);
        return ST_DB;
    }
    int r = sqlite3_step(s);
    sqlite3_reset(s);
    if (r != SQLITE_ROW && r != SQLITE_DONE) {
        rc = store_rc(st, r, "read snapshot");
        store_read_end(st);
    }
    return rc;
}

void store_read_end(struct store *st)
{
    if (!st || sqlite3_get_autocommit(st->db))
        return;
    sqlite3_stmt *s = store_stmt(st, S_COMMIT);
    if (s && sqlite3_step(s) == SQLITE_DONE) {
        sqlite3_reset(s);
        return;
    }
    if (s)
        sqlite3_reset(s);
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* ---- meta ---------------------------------------------------------------- */

int store_meta_get(struct store *st, int64_t now, int show_future, struct store_meta *out)
{
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *s = store_stmt(st, show_future ? S_COUNT_ALL : S_COUNT_VISIBLE);
    if (!s)
        return ST_DB;
    if (!show_future)
        sqlite3_bind_int64(s, 1, now);
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW)
        out->posts = sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW)
        return store_rc(st, rc, "count posts");
    s = store_stmt(st, S_META_GET);
    if (!s)
        return ST_DB;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *key = (const char *)sqlite3_column_text(s, 0);
        int64_t v = sqlite3_column_int64(s, 1);
        if (!key)
            continue;
        if (strcmp(key, "generation") == 0)
            out->generation = v;
        else if (strcmp(key, "last_ingest") == 0)
            out->last_ingest = v;
    }
    sqlite3_reset(s);
    return store_rc(st, rc, "read meta");
}

int store_data_changed(struct store *st)
{
    sqlite3_stmt *s = store_stmt(st, S_DATA_VERSION);
    if (!s)
        return 1; /* cannot tell: let the caller drop its caches */
    int changed = 1;
    if (sqlite3_step(s) == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(s, 0);
        changed = v != st->data_version;
        st->data_version = v;
    }
    sqlite3_reset(s);
    return changed;
}

/* ---- text helpers ---------------------------------------------------------- */

char *store_concat(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 1);
    if (s) {
        memcpy(s, a, na);
        memcpy(s + na, b, nb + 1);
    }
    return s;
}

char *store_rname(const char *host)
{
    size_t n = strlen(host);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    size_t end = n;
    /* walk the labels from the last one, copying each followed by a dot */
    for (size_t i = n; i > 0; i--) {
        if (host[i - 1] == '.') {
            memcpy(out + o, host + i, end - i);
            o += end - i;
            out[o++] = '.';
            end = i - 1;
        }
    }
    memcpy(out + o, host, end);
    o += end;
    out[o] = '\0';
    return out;
}

char *store_fold(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    for (size_t i = 0; i <= n; i++)
        out[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 32) : s[i];
    return out;
}

/* One slugify for the whole program: tags' slugs must equal what Jekyll (and
 * post.c, for URLs) makes of the same text. */
char *store_slugify(const char *s)
{
    return s ? post_slugify(s) : NULL;
}
