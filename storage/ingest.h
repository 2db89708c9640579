/* Ingest: walks post folders, parses files in parallel, and writes every good
 * post in one transaction (one writer), idempotently by content hash. */
#ifndef POSTD_INGEST_H
#define POSTD_INGEST_H

#include <stdio.h>
#include "parse.h"
#include "store.h"

struct ingest_opts {
    const char *const *dirs; /* borrowed */
    size_t n_dirs;
    int prune;    /* delete stored posts whose files were not seen */
    int strict;   /* any rejected file → roll everything back */
    int jobs;     /* parser threads; 0 → number of CPUs */
    int progress; /* draw a progress line on err (only when it is a terminal) */
    struct parse_opts parse;
    FILE *err; /* where "path:line:col: message" lines go; NULL → stderr */
};

struct ingest_stats {
    long added, updated, unchanged, removed, skipped, rejected;
    double seconds;
};

/* Ingests into st (opened read-write). Every bad file is reported once on
 * opts->err and not stored. Returns 0 when every file was fine, 1 when some
 * were rejected (with strict: nothing was written), or a negative ST_* on an
 * I/O or database error (nothing was written). */
int ingest_run(struct store *st, const struct ingest_opts *opts, struct ingest_stats *out);

/* The same walk and parse, writing nothing (postd check). st may be NULL. */
int ingest_check(const struct ingest_opts *opts, struct ingest_stats *out);

/* The walk's rule for a folder entry's name (INGEST.md Files): names starting
 * with '.', '#', '~' or '_' are skipped, except `_posts` folders, and so are
 * `.yml` files. 1 when skipped. */
int ingest_skipped_name(const char *name, int is_dir);

/* Writes "added 3, updated 0, ... in 0.12 s (N posts/s)" to f. */
void ingest_stats_print(const struct ingest_stats *s, FILE *f);

#endif
