/* A first ingest's database, built beside its path and published at commit
 * (STORE_NEW, store.h). In WAL mode SQLite writes every page twice, into the
 * WAL and again at the checkpoint, and a 100,000-post ingest spent 40% of its
 * time there; a file no reader can see yet needs neither the WAL nor a
 * journal on disk nor syncs. Crash safety comes from the file system instead:
 * path appears in one step (link) once the side file is complete and synced,
 * and a crash before that leaves path absent and a side file that the next
 * builder truncates. Builders of one path take turns on a flock of the side
 * file; SQLite's own locks are fcntl locks and do not mix with it. The
 * search index is built beside it too, in path-fts (store_fts.c), under the
 * same lock, and copied in at publish. */
#include "store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* Removes path + suffix; 0 when it is gone (or never was). */
static int unlink_suffixed(const char *path, const char *suffix)
{
    char *p = store_concat(path, suffix);
    if (!p)
        return ST_NOMEM;
    int rc = unlink(p) == 0 || errno == ENOENT ? 0 : ST_IO;
    if (rc)
        fprintf(stderr, "postd: store: cannot remove %s: %s\n", p, strerror(errno));
    free(p);
    return rc;
}

/* SQLite's companions of a database file: left by a crash, they must not be
 * applied to a file they do not belong to. */
static int unlink_companions(const char *path)
{
    int rc = unlink_suffixed(path, "-wal");
    if (rc == 0)
        rc = unlink_suffixed(path, "-shm");
    if (rc == 0)
        rc = unlink_suffixed(path, "-journal");
    return rc;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Opens and locks the side file. The lock is waited for; the file locked may
 * have been published or removed by the builder that held it: then again. */
static int lock_side(const char *side, int *fd_out)
{
    for (;;) {
        int fd = open(side, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
            return ST_IO;
        int r;
        while ((r = flock(fd, LOCK_EX)) != 0 && errno == EINTR)
            ;
        struct stat a, b;
        if (r != 0 || fstat(fd, &a) != 0)
            goto io;
        if (stat(side, &b) != 0) {
            if (errno != ENOENT)
                goto io;
        } else if (a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
            *fd_out = fd;
            return 0;
        }
        close(fd);
        continue;
    io:;
        int e = errno;
        close(fd);
        errno = e;
        return ST_IO;
    }
}

/* The secondary indexes (not the UNIQUE ones, which the writes check) are
 * dropped while the side file fills and created again at publish: CREATE
 * INDEX sorts the rows once, where keeping an index in step inserts each key
 * at a random place, and the pages of nine indexes did not stay in the
 * writer's page cache (re-read from the file). Nothing the writer asks needs
 * them: it looks posts and terms up by rowid or by UNIQUE keys. */
static int defer_indexes(struct store *st)
{
    sqlite3_stmt *s = NULL;
    sqlite3_str *create = sqlite3_str_new(st->db), *drop = sqlite3_str_new(st->db);
    int rc = sqlite3_prepare_v2(st->db,
                                "SELECT name, sql FROM sqlite_schema WHERE type = 'index'"
                                " AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE %'",
                                -1, &s, NULL);
    while (rc == SQLITE_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        sqlite3_str_appendf(drop, "DROP INDEX \"%w\";", (const char *)sqlite3_column_text(s, 0));
        sqlite3_str_appendf(create, "%s;", (const char *)sqlite3_column_text(s, 1));
        rc = SQLITE_OK;
    }
    sqlite3_finalize(s);
    char *drops = sqlite3_str_finish(drop);
    st->deferred = sqlite3_str_finish(create);
    if (rc != SQLITE_DONE) {
        rc = store_rc(st, rc, "list indexes");
    } else if (!drops || !st->deferred) {
        rc = drops || st->deferred ? ST_NOMEM : 0; /* both NULL: no index at all */
    } else {
        rc = store_exec_sql(st, drops, "drop indexes");
    }
    sqlite3_free(drops);
    return rc;
}

/* FTS5 gathers terms in memory up to its 'hashsize' before it writes them
 * as a segment: 64 MiB while a first ingest builds its index (fewer, larger
 * segments to merge; 100,000 posts, alternating: 13.7/12.7/13.5 s ->
 * 13.0/10.7/13.0 s; 256 MiB was slower). The database's own posts_fts keeps
 * the schema's value: the index is built apart (store_fts.c). */
#define BULK_FTS_HASHSIZE 67108864

/* The search index's own file beside path (store_fts.c). */
#define FTS_SUFFIX "-fts"

static int start_indexer(struct store *st)
{
    char *fts_path = store_concat(st->path, FTS_SUFFIX);
    if (!fts_path)
        return ST_NOMEM;
    int rc = store_fts_open(st->db, fts_path, BULK_FTS_HASHSIZE, &st->fts);
    free(fts_path);
    return rc;
}

/* Stops the indexer if it still runs and removes its file (ours while we
 * hold the builders' lock). */
static void drop_indexer(struct store *st)
{
    store_fts_close(st->fts);
    st->fts = NULL;
    if (st->path && st->side_fd >= 0)
        unlink_suffixed(st->path, FTS_SUFFIX);
}

/* The search index built apart goes into the database's empty posts_fts
 * tables, in a transaction of its own. The
 * database's posts_fts was never written to while building, and its
 * connection is closed right after publish, so no FTS5 state cached in it
 * outlives the copy. */
static const char copy_index_sql[] =
    "DELETE FROM main.posts_fts_data; DELETE FROM main.posts_fts_idx;"
    " DELETE FROM main.posts_fts_docsize;"
    "INSERT INTO main.posts_fts_data (id, block) SELECT id, block FROM built.posts_fts_data;"
    "INSERT INTO main.posts_fts_idx (segid, term, pgno)"
    " SELECT segid, term, pgno FROM built.posts_fts_idx;"
    "INSERT INTO main.posts_fts_docsize (id, sz) SELECT id, sz FROM built.posts_fts_docsize;";

static int attach_built(struct store *st, int attach)
{
    char *fts_path = attach ? store_concat(st->path, FTS_SUFFIX) : NULL;
    if (attach && !fts_path)
        return ST_NOMEM;
    sqlite3_stmt *s = NULL;
    int r =
        sqlite3_prepare_v2(st->db, attach ? "ATTACH ?1 AS built" : "DETACH built", -1, &s, NULL);
    if (r == SQLITE_OK && attach)
        sqlite3_bind_text(s, 1, fts_path, -1, SQLITE_STATIC);
    if (r == SQLITE_OK)
        r = sqlite3_step(s);
    sqlite3_finalize(s);
    free(fts_path);
    return r == SQLITE_DONE ? 0 : store_rc(st, r, attach ? "attach search index" : "detach");
}

int store_new_open(struct store *st, const char *path)
{
    if (exists(path))
        return ST_EXISTS;
    int rc = ST_NOMEM;
    if (!(st->path = strdup(path)) || !(st->side = store_concat(path, "-new")))
        goto fail;
    rc = lock_side(st->side, &st->side_fd);
    if (rc) {
        fprintf(stderr, "postd: store: cannot lock %s: %s\n", st->side, strerror(errno));
        goto fail;
    }
    /* another builder may have published while we waited */
    if (exists(path)) {
        rc = ST_EXISTS;
        goto fail;
    }
    if (ftruncate(st->side_fd, 0) != 0) {
        fprintf(stderr, "postd: store: cannot truncate %s: %s\n", st->side, strerror(errno));
        rc = ST_IO;
        goto fail;
    }
    /* what a killed builder left: the side file's companions, the index's file */
    if ((rc = unlink_companions(st->side)) != 0 || (rc = unlink_suffixed(path, FTS_SUFFIX)) != 0)
        goto fail;
    if ((rc = store_connect(st, st->side, 1)) == 0 && (rc = defer_indexes(st)) == 0)
        rc = start_indexer(st);
fail:
    return rc; /* store_close (store_new_discard) releases what was taken */
}

static void sync_dir_of(const char *path)
{
    char *copy = strdup(path);
    int fd = copy ? open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
    if (fd < 0 || fsync(fd) != 0)
        fprintf(stderr, "postd: store: warning: cannot sync the folder of %s: %s\n", path,
                strerror(errno));
    if (fd >= 0)
        close(fd);
    free(copy);
}

/* Moves the complete side file to path unless path exists. link() fails
 * with EEXIST instead of replacing; where there are no hard links, rename()
 * (the builders' lock keeps other postd builders out). */
static int move_into_place(struct store *st)
{
    if (exists(st->path))
        return ST_EXISTS;
    /* a WAL or shared-memory file without its database is a leftover */
    int rc = unlink_companions(st->path);
    if (rc)
        return rc;
    if (link(st->side, st->path) == 0) {
        if (unlink(st->side) != 0) /* path is complete: only a stale name is left */
            fprintf(stderr, "postd: store: cannot remove %s: %s\n", st->side, strerror(errno));
    } else if (errno == EEXIST) {
        return ST_EXISTS;
    } else if (rename(st->side, st->path) != 0) {
        fprintf(stderr, "postd: store: cannot move %s to %s: %s\n", st->side, st->path,
                strerror(errno));
        return ST_IO;
    }
    /* path is complete from here on: a folder that cannot be synced only
     * risks the name on power loss, which the next ingest puts right */
    sync_dir_of(st->path);
    return 0;
}

/* The side file is written with no syncs, and the kernel starts writing
 * dirty pages back only after 30 s or when a tenth of memory is dirty: the
 * fsync at publish then waited for the whole file (1.7 GB at 100,000 posts)
 * after the build instead of during it. */
#define WRITEBACK_EVERY 2048

void store_new_written(struct store *st)
{
    if (st->side_fd >= 0 && ++st->puts % WRITEBACK_EVERY == 0)
        sync_file_range(st->side_fd, 0, 0, SYNC_FILE_RANGE_WRITE); /* a hint: errors ignored */
}

/* Runs sql in a transaction of its own. */
static int exec_in_transaction(struct store *st, const char *sql, const char *what)
{
    int rc = store_exec_sql(st, "BEGIN", "begin");
    if (rc == 0 && (rc = store_exec_sql(st, sql, what)) == 0)
        rc = store_exec_sql(st, "COMMIT", "commit");
    if (rc)
        store_rollback(st);
    return rc;
}

int store_new_publish(struct store *st)
{
    /* the secondary indexes are sorted while the indexer works through its
     * last posts and writes its last segment (0.2-0.4 s each at 100,000) */
    store_fts_end(st->fts);
    int rc = st->deferred ? exec_in_transaction(st, st->deferred, "create indexes") : 0;
    int f = store_fts_finish(st->fts);
    rc = rc ? rc : f;
    if (rc == 0)
        rc = attach_built(st, 1);
    if (rc == 0) {
        rc = exec_in_transaction(st, copy_index_sql, "copy search index");
        int d = attach_built(st, 0);
        rc = rc ? rc : d;
    }
    drop_indexer(st);
    /* the file a reader finds is in WAL mode, like every other database */
    if (rc == 0)
        rc = store_exec_sql(st, "PRAGMA journal_mode=WAL", "journal_mode");
    store_disconnect(st); /* checkpoints and removes the side file's WAL */
    if (rc == 0 && fsync(st->side_fd) != 0) {
        fprintf(stderr, "postd: store: cannot sync %s: %s\n", st->side, strerror(errno));
        rc = ST_IO;
    }
    if (rc == 0)
        rc = move_into_place(st);
    if (rc) {
        if (rc == ST_EXISTS)
            fprintf(stderr, "postd: store: %s appeared during the ingest\n", st->path);
        return rc; /* store_close removes the side file */
    }
    /* the lock goes before SQLite opens the file: closing any descriptor of
     * a file drops the process's fcntl locks on it, SQLite's included */
    close(st->side_fd);
    st->side_fd = -1;
    free(st->side);
    st->side = NULL;
    rc = store_connect(st, st->path, 0);
    free(st->path);
    st->path = NULL;
    return rc;
}

void store_new_discard(struct store *st)
{
    drop_indexer(st);
    if (st->side && st->side_fd >= 0) {
        unlink_suffixed(st->side, "");
        unlink_companions(st->side);
    }
    if (st->side_fd >= 0)
        close(st->side_fd);
    st->side_fd = -1;
    sqlite3_free(st->deferred);
    st->deferred = NULL;
    free(st->side);
    free(st->path);
    st->side = st->path = NULL;
}
