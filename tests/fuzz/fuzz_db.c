/* The database the API fuzz targets query: the bundled samples ingested once
 * into /tmp/postd-fuzz-XXXXXX/fuzz.db with the real ingest code, opened by a
 * real api_ctx (read-only, as the server opens it), and the LLVMFuzzerInitialize
 * that makes it at start-up for every target linking fuzz_db. */
#include "fuzz_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"
#include "store.h"

#ifndef FUZZ_POSTS
#error "FUZZ_POSTS must name the posts folder to ingest"
#endif

static char dir[64];
static char db[128];
static struct api_ctx *ctx;

static void cleanup(void)
{
    char path[192];
    api_ctx_free(ctx);
    ctx = NULL;
    static const char *const suffix[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
        snprintf(path, sizeof path, "%s%s", db, suffix[i]);
        unlink(path);
    }
    rmdir(dir);
}

struct api_ctx *fuzz_api(void)
{
    struct store *st = NULL;
    struct ingest_stats stats;
    const char *dirs[] = {FUZZ_POSTS};
    struct ingest_opts o = {.dirs = dirs, .n_dirs = 1, .jobs = 1};
    FILE *quiet = NULL;

    if (ctx)
        return ctx;
    snprintf(dir, sizeof dir, "/tmp/postd-fuzz-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("fuzz: mkdtemp");
        abort();
    }
    snprintf(db, sizeof db, "%s/fuzz.db", dir);
    atexit(cleanup);
    quiet = fopen("/dev/null", "w");
    o.err = quiet; /* the samples include files rejected on purpose */
    int rc = store_open(&st, db, STORE_READWRITE);
    if (rc == 0)
        rc = ingest_run(st, &o, &stats);
    store_close(st);
    if (quiet)
        fclose(quiet);
    if (rc < 0 || stats.added == 0) {
        fprintf(stderr, "fuzz: cannot ingest %s into %s (%d)\n", FUZZ_POSTS, db, rc);
        abort();
    }
    /* a small response cache, so that repeated inputs run its hit path too */
    struct api_config cfg = {.db_path = db, .cache_bytes = (size_t)4 << 20};
    if (api_ctx_new(&ctx, &cfg) != 0) {
        fprintf(stderr, "fuzz: api_ctx_new failed\n");
        abort();
    }
    return ctx;
}

/* Defined here, not in each target: libFuzzer's weak reference alone would not
 * pull it out of the fuzz_db archive, but every target calls fuzz_api, which
 * lives in this same object file. */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_api();
    return 0;
}
