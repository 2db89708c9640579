/* The search index of a first ingest, built on a thread of its own
 * (STORE_NEW, store_new.c). FTS5 indexing was half of the writer's CPU
 * (100,000 posts: 3.5 of 8 s), and the writer is the one thread an ingest
 * waits on. So while the writer writes the rows into the side file, this
 * thread indexes the same texts with a second connection into a file of its
 * own, <db>-fts (named, removed and copied by store_new.c), whose posts_fts
 * is made by the same CREATE statement as the database's and written with
 * the store's own statements (store_index_texts). At publish the index's
 * tables (posts_fts_data, _idx, _docsize) are copied into the database's
 * empty ones (store_new.c): the same rows FTS5 would have written there
 * itself, since an external content index stores only what it derived from
 * the texts it was given.
 *
 * The writer hands each post's texts over in a ring of jobs whose buffers
 * are reused; it waits only when the ring is full, the indexer only when it
 * is empty, and each side wakes the other only in batches (a quarter of the
 * ring), as the ingest's parsers and writer do (ingest.c). */
#include "store_internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING 128
#define N_TEXTS 5

struct job {
    int64_t rid;
    int del;        /* 1: take these texts out ('delete'), 0: index them */
    unsigned nulls; /* bit i: text i is NULL */
    size_t off[N_TEXTS];
    char *buf; /* the texts, each NUL-terminated; owned, reused */
    size_t cap;
};

struct store_fts {
    struct store st; /* the indexer's connection: only db and its statements */
    pthread_t thread;
    int started;
    pthread_mutex_t mu;
    pthread_cond_t can_put, can_take;
    struct job ring[RING];
    size_t head, n; /* the next job to take, and how many are queued */
    int putter_waiting, taker_waiting;
    int finishing;
    int abandoned; /* closed without finish: nothing more to index or commit */
    int rc;        /* the indexer's first error; it then only drains the ring */
};

static int index_job(struct store_fts *f, const struct job *j)
{
    const char *texts[N_TEXTS];
    for (int i = 0; i < N_TEXTS; i++)
        texts[i] = j->nulls & (1u << i) ? NULL : j->buf + j->off[i];
    return store_index_texts(&f->st, j->rid, j->del, texts);
}

static void *indexer_main(void *arg)
{
    struct store_fts *f = arg;
    (void)pthread_setname_np(pthread_self(), "postd-index"); /* for top -H and perf */
    int rc = store_exec_sql(&f->st, "BEGIN", "begin search index");
    int abandoned = 0;
    for (;;) {
        pthread_mutex_lock(&f->mu);
        if (rc && !f->rc)
            f->rc = rc; /* the writer sees it at its next put */
        while (f->n == 0 && !f->finishing) {
            f->taker_waiting = 1;
            pthread_cond_wait(&f->can_take, &f->mu);
            f->taker_waiting = 0;
        }
        abandoned = f->abandoned;
        if (f->n == 0) {
            pthread_mutex_unlock(&f->mu);
            break;
        }
        /* the job at head is ours until n goes down: the writer fills only
         * slots past the queued ones */
        struct job *j = &f->ring[f->head];
        pthread_mutex_unlock(&f->mu);

        if (rc == 0 && !abandoned)
            rc = index_job(f, j);

        pthread_mutex_lock(&f->mu);
        f->head = (f->head + 1) % RING;
        f->n--;
        if (f->putter_waiting && f->n <= RING - RING / 4)
            pthread_cond_signal(&f->can_put);
        pthread_mutex_unlock(&f->mu);
    }
    if (rc == 0 && !abandoned)
        rc = store_exec_sql(&f->st, "COMMIT", "commit search index");
    pthread_mutex_lock(&f->mu);
    if (rc && !f->rc)
        f->rc = rc;
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

/* Makes posts_fts in the indexer's file with the database's own statement. */
static int create_like(struct store_fts *f, sqlite3 *main_db, long long hashsize)
{
    sqlite3_stmt *s = NULL;
    int rc = ST_DB;
    if (sqlite3_prepare_v2(main_db, "SELECT sql FROM sqlite_schema WHERE name = 'posts_fts'", -1,
                           &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        rc = store_exec_sql(&f->st, (const char *)sqlite3_column_text(s, 0), "create search index");
    else
        fprintf(stderr, "postd: store: search index: no posts_fts in the schema\n");
    sqlite3_finalize(s);
    char sql[96];
    snprintf(sql, sizeof sql, "INSERT INTO posts_fts (posts_fts, rank) VALUES ('hashsize', %lld)",
             hashsize);
    if (rc == 0)
        rc = store_exec_sql(&f->st, sql, "search index buffer");
    return rc;
}

int store_fts_open(sqlite3 *main_db, const char *path, long long hashsize, struct store_fts **out)
{
    *out = NULL;
    struct store_fts *f = calloc(1, sizeof *f);
    if (!f)
        return ST_NOMEM;
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->can_put, NULL);
    pthread_cond_init(&f->can_take, NULL);
    *out = f;
    if (sqlite3_open_v2(path, &f->st.db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL) != SQLITE_OK) {
        fprintf(stderr, "postd: store: cannot open %s: %s\n", path,
                f->st.db ? sqlite3_errmsg(f->st.db) : "out of memory");
        return f->st.db ? ST_IO : ST_NOMEM;
    }
    /* a scratch file: no journal, no syncs (store_new.c removes it) */
    int rc = store_exec_sql(&f->st,
                            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                            " PRAGMA locking_mode=EXCLUSIVE; PRAGMA page_size=16384;"
                            " PRAGMA cache_size=-16384",
                            "search index pragmas");
    if (rc == 0)
        rc = create_like(f, main_db, hashsize);
    if (rc == 0) {
        if (pthread_create(&f->thread, NULL, indexer_main, f) != 0)
            rc = ST_NOMEM;
        else
            f->started = 1;
    }
    return rc; /* store_fts_close releases what was taken */
}

int store_fts_put(struct store_fts *f, int64_t rid, int del, const char *const texts[5])
{
    pthread_mutex_lock(&f->mu);
    while (f->n == RING && !f->rc) {
        f->putter_waiting = 1;
        pthread_cond_wait(&f->can_put, &f->mu);
        f->putter_waiting = 0;
    }
    int rc = f->rc;
    struct job *j = &f->ring[(f->head + f->n) % RING];
    pthread_mutex_unlock(&f->mu);
    if (rc)
        return rc;

    /* the slot past the queued ones is the writer's until n counts it */
    size_t need = 0, len[N_TEXTS];
    for (int i = 0; i < N_TEXTS; i++) {
        len[i] = texts[i] ? strlen(texts[i]) : 0;
        need += len[i] + 1;
    }
    if (need > j->cap) {
        char *b = realloc(j->buf, need);
        if (!b)
            return ST_NOMEM;
        j->buf = b;
        j->cap = need;
    }
    j->rid = rid;
    j->del = del;
    j->nulls = 0;
    size_t at = 0;
    for (int i = 0; i < N_TEXTS; i++) {
        if (!texts[i])
            j->nulls |= 1u << i;
        j->off[i] = at;
        if (len[i])
            memcpy(j->buf + at, texts[i], len[i]);
        j->buf[at + len[i]] = '\0';
        at += len[i] + 1;
    }

    pthread_mutex_lock(&f->mu);
    f->n++;
    if (f->taker_waiting && f->n >= RING / 4)
        pthread_cond_signal(&f->can_take);
    pthread_mutex_unlock(&f->mu);
    return 0;
}

void store_fts_end(struct store_fts *f)
{
    pthread_mutex_lock(&f->mu);
    f->finishing = 1;
    pthread_cond_signal(&f->can_take);
    pthread_mutex_unlock(&f->mu);
}

/* Stops the indexer after the queued jobs; its error, if any. */
static int stop(struct store_fts *f)
{
    if (!f->started)
        return f->rc ? f->rc : ST_DB;
    store_fts_end(f);
    pthread_join(f->thread, NULL);
    f->started = 0;
    return f->rc;
}

int store_fts_finish(struct store_fts *f)
{
    int rc = stop(f);
    store_disconnect(&f->st);
    return rc;
}

void store_fts_close(struct store_fts *f)
{
    if (!f)
        return;
    if (f->started) {
        /* a failed or rolled-back ingest: the file is removed unread */
        pthread_mutex_lock(&f->mu);
        f->abandoned = 1;
        pthread_mutex_unlock(&f->mu);
        (void)stop(f);
    }
    store_disconnect(&f->st);
    for (int i = 0; i < RING; i++)
        free(f->ring[i].buf);
    pthread_cond_destroy(&f->can_take);
    pthread_cond_destroy(&f->can_put);
    pthread_mutex_destroy(&f->mu);
    free(f);
}
