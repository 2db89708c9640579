/* Ingest: walks the post folders (sorted, skipping what Jekyll skips), reads and
 * parses the files on `jobs` threads, and hands the results, in file order, to
 * the one thread that writes: one transaction, a post written only when the
 * XXH3-128 hash of its file (with the parser version and parse options) changed.
 * Parsed posts live only in a bounded window between the parsers and the writer,
 * so memory does not grow with the number of posts. Stored hashes are loaded
 * once per run, which also lets the parsers skip unchanged files entirely.
 * What counts as skipped: every name the walk skips (a skipped folder counts
 * once, its contents are not visited; links to folders are not followed), every
 * file whose name is not a post name, and every `published: false` post (whose
 * stored version, if any, is deleted and counted as removed). A stored post whose
 * file is now rejected keeps its stored version; only --prune removes posts, and
 * only those whose files are gone. */
#include "ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

/* Part of every content hash: bump it when what ingest stores for the same bytes
 * changes without a version change (the postd version is hashed too). */
#define INGEST_HASH_FORMAT "postd-ingest-2"

#ifndef POSTD_VERSION
#define POSTD_VERSION "0"
#endif

#define MAX_DEPTH 64

/* ---- ids seen on disk and in the database --------------------------------- */

struct entry {
    long first_file;   /* index of the first file with this id, -1 when none */
    char *stored_hash; /* hash in the database, NULL when the id is not stored */
    int seen;          /* a file for this id was handled this run (writer only) */
    char id[];
};

struct table {
    struct entry **slots;
    size_t cap, n;
};

static uint64_t str_hash(const char *s)
{
    return XXH3_64bits(s, strlen(s));
}

static struct entry *table_get(const struct table *t, const char *id)
{
    if (t->cap == 0)
        return NULL;
    size_t mask = t->cap - 1;
    for (size_t i = str_hash(id) & mask; t->slots[i]; i = (i + 1) & mask)
        if (strcmp(t->slots[i]->id, id) == 0)
            return t->slots[i];
    return NULL;
}

static int table_grow(struct table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    struct entry **slots = calloc(cap, sizeof *slots);
    if (!slots)
        return ST_NOMEM;
    for (size_t k = 0; k < t->cap; k++) {
        struct entry *e = t->slots[k];
        if (!e)
            continue;
        size_t i = str_hash(e->id) & (cap - 1);
        while (slots[i])
            i = (i + 1) & (cap - 1);
        slots[i] = e;
    }
    free(t->slots);
    t->slots = slots;
    t->cap = cap;
    return 0;
}

/* Finds or adds id. Entries never move (the table holds pointers), so a
 * pointer stays valid while other ids are added. */
static int table_put(struct table *t, const char *id, struct entry **out)
{
    struct entry *e = table_get(t, id);
    if (e) {
        *out = e;
        return 0;
    }
    if ((t->n + 1) * 2 > t->cap && table_grow(t) != 0)
        return ST_NOMEM;
    size_t len = strlen(id);
    e = malloc(sizeof *e + len + 1);
    if (!e)
        return ST_NOMEM;
    e->first_file = -1;
    e->stored_hash = NULL;
    e->seen = 0;
    memcpy(e->id, id, len + 1);
    size_t i = str_hash(id) & (t->cap - 1);
    while (t->slots[i])
        i = (i + 1) & (t->cap - 1);
    t->slots[i] = e;
    t->n++;
    *out = e;
    return 0;
}

static void table_clear(struct table *t)
{
    for (size_t k = 0; k < t->cap; k++) {
        if (t->slots[k]) {
            free(t->slots[k]->stored_hash);
            free(t->slots[k]);
        }
    }
    free(t->slots);
    memset(t, 0, sizeof *t);
}

/* ---- the walk ------------------------------------------------------------ */

struct file {
    char *rel;  /* path relative to its folder */
    size_t dir; /* index into opts->dirs */
    struct entry *entry;
    long dup_of; /* index of the earlier file with the same id, or -1 */
};

struct run {
    const struct ingest_opts *opts;
    FILE *err;
    struct store *st; /* NULL in check mode */
    char **dirs;      /* opts->dirs without trailing slashes (owned) */
    struct file *files;
    size_t n_files, cap_files;
    struct table ids;
    struct ingest_stats stats;
    int progress_shown;
    struct timespec last_progress;
};

static double elapsed(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* "dir/rel" as the user would type it. Returns a new string or NULL. */
static char *join_path(const char *dir, const char *rel)
{
    size_t a = strlen(dir), b = strlen(rel);
    char *s = malloc(a + b + 2);
    if (!s)
        return NULL;
    memcpy(s, dir, a);
    size_t at = a;
    if (a > 0 && dir[a - 1] != '/')
        s[at++] = '/';
    memcpy(s + at, rel, b + 1);
    return s;
}

static void progress_clear(struct run *r)
{
    if (r->progress_shown) {
        fputs("\r\033[K", r->err);
        r->progress_shown = 0;
    }
}

/* One line per bad file: "path:line:col: message", or "path: message". */
static void report(struct run *r, size_t dir, const char *rel, const struct parse_error *pe)
{
    progress_clear(r);
    char *path = join_path(r->dirs[dir], rel);
    const char *shown = path ? path : rel;
    if (pe->line > 0)
        fprintf(r->err, "%s:%d:%d: %s\n", shown, pe->line, pe->col > 0 ? pe->col : 1, pe->msg);
    else
        fprintf(r->err, "%s: %s\n", shown, pe->msg);
    free(path);
}

static void report_errno(struct run *r, const char *path, const char *what, int e)
{
    progress_clear(r);
    fprintf(r->err, "%s: %s: %s\n", path, what, strerror(e));
}

int ingest_skipped_name(const char *name, int is_dir)
{
    if (name[0] == '.' || name[0] == '#' || name[0] == '~')
        return 1;
    if (name[0] == '_')
        return !(is_dir && strcmp(name, "_posts") == 0);
    size_t n = strlen(name);
    return !is_dir && n >= 4 && strcmp(name + n - 4, ".yml") == 0;
}

/* A folder entry: its name, and its type as readdir tells it (DT_UNKNOWN
 * when the file system does not say), which spares a stat per post file. */
struct dent {
    char *name;
    unsigned char type;
};

static int cmp_dents(const void *a, const void *b)
{
    return strcmp(((const struct dent *)a)->name, ((const struct dent *)b)->name);
}

static int add_file(struct run *r, size_t dir, const char *rel, const char *id)
{
    if (r->n_files == r->cap_files) {
        size_t cap = r->cap_files ? r->cap_files * 2 : 256;
        struct file *f = realloc(r->files, cap * sizeof *f);
        if (!f)
            return ST_NOMEM;
        r->files = f;
        r->cap_files = cap;
    }
    struct entry *e;
    if (table_put(&r->ids, id, &e) != 0)
        return ST_NOMEM;
    struct file *f = &r->files[r->n_files];
    f->rel = strdup(rel);
    if (!f->rel)
        return ST_NOMEM;
    f->dir = dir;
    f->entry = e;
    f->dup_of = e->first_file;
    if (e->first_file < 0)
        e->first_file = (long)r->n_files;
    r->n_files++;
    return 0;
}

/* Walks dirs[dir]/rel (rel "" for the top), names sorted bytewise. */
static int walk(struct run *r, size_t dir, const char *rel, int depth)
{
    char *path = rel[0] ? join_path(r->dirs[dir], rel) : strdup(r->dirs[dir]);
    struct dent *names = NULL;
    size_t n = 0, cap = 0;
    DIR *d = NULL;
    int rc = ST_NOMEM;
    if (!path)
        goto out;
    d = opendir(path);
    if (!d) {
        report_errno(r, path, "cannot open folder", errno);
        rc = ST_IO;
        goto out;
    }
    for (;;) {
        errno = 0;
        struct dirent *de = readdir(d);
        if (!de) {
            if (errno) {
                report_errno(r, path, "cannot read folder", errno);
                rc = ST_IO;
                goto out;
            }
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            struct dent *v = realloc(names, cap * sizeof *v);
            if (!v)
                goto out;
            names = v;
        }
        names[n].type = de->d_type;
        if (!(names[n].name = strdup(de->d_name)))
            goto out;
        n++;
    }
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_dents);

    for (size_t k = 0; k < n; k++) {
        const char *name = names[k].name;
        char *child_rel = rel[0] ? join_path(rel, name) : strdup(name);
        char *child = child_rel ? join_path(r->dirs[dir], child_rel) : NULL;
        struct stat sb;
        if (!child) {
            free(child_rel);
            goto out;
        }
        int is_dir = names[k].type == DT_DIR, is_file = names[k].type == DT_REG, is_link = 0;
        if (!is_dir && !is_file && lstat(child, &sb) == 0) {
            is_link = S_ISLNK(sb.st_mode);
            if (is_link && stat(child, &sb) != 0)
                memset(&sb, 0, sizeof sb); /* dangling link: neither file nor folder */
            is_dir = S_ISDIR(sb.st_mode);
            is_file = S_ISREG(sb.st_mode);
        }
        int sub = 0;
        struct post_name pn;
        if (ingest_skipped_name(name, is_dir) || (is_dir && is_link) || (!is_dir && !is_file)) {
            /* links to folders are not followed: no loops, no surprises */
            r->stats.skipped++;
        } else if (is_dir) {
            if (depth >= MAX_DEPTH) {
                progress_clear(r);
                fprintf(r->err, "%s: folders nested too deep\n", child);
                sub = ST_IO;
            } else {
                sub = walk(r, dir, child_rel, depth + 1);
            }
        } else if (post_name_parse(name, &pn) != 0) {
            r->stats.skipped++;
        } else {
            sub = add_file(r, dir, child_rel, pn.id);
        }
        free(child);
        free(child_rel);
        if (sub != 0) {
            rc = sub;
            goto out;
        }
    }
    rc = 0;
out:
    if (d)
        closedir(d);
    for (size_t k = 0; k < n; k++)
        free(names[k].name);
    free(names);
    free(path);
    return rc;
}

/* ---- the parsers --------------------------------------------------------- */

enum res_kind {
    RES_POST,      /* parsed: write it */
    RES_UNCHANGED, /* same hash as stored: not parsed */
    RES_SKIP,      /* published: false */
    RES_REJECT,    /* bad file: perr says why */
    RES_FAIL,      /* out of memory: stop the run */
};

/* A parsed post. Each parser parses into posts of its own pool and clears
 * them itself when the writer is done with them. A post freed on another
 * thread than the one that allocated it goes back to that thread's malloc
 * arena under its lock: with the slots shared, the two parsers freed each
 * other's posts and waited on each other's arenas (`postd check` of 20,000
 * posts: 2.1 s CPU with 7% in futex calls; 1.6 s with the pools). */
struct pooled {
    struct post post;
    int busy; /* parsed into and not yet consumed; under pipe.mu */
};

struct slot {
    int ready;
    enum res_kind kind;
    int status;
    struct pooled *item; /* the post, for RES_POST */
    struct parse_error perr;
    char hash[33];
};

/* Wake-ups cost system calls, so each side signals only a waiter, and in
 * batches: a writer that finds its next slot empty sleeps until a quarter of
 * the window past it is parsed too (then takes them all without sleeping),
 * and the writer wakes the parsers only once half the window is free again,
 * so they refill it in one go instead of one file per wake-up. Without the
 * first, a writer faster than the parsers (check, unchanged files) slept and
 * woke once per file: `postd check` of 20,000 posts made 31,000 context
 * switches instead of 5,000, and ran 4% more CPU. */
#define NO_WAIT SIZE_MAX

struct pipe {
    struct run *r;
    pthread_mutex_t mu;
    pthread_cond_t space, ready;
    struct slot *slots;
    size_t window;
    struct pooled *pools; /* window posts per parser, parser t's from t * window */
    int n_parsers;        /* parsers started so far (each takes the next number) */
    size_t next;          /* next file index a parser takes */
    size_t consumed;      /* files the writer has finished */
    size_t wait_for;      /* the file index the writer sleeps on, or NO_WAIT */
    int parsers_waiting;
    int stop;
};

/* The hash covers what decides the stored result: format, version, parse
 * options, the path (folder categories) and the bytes. */
static void content_hash(const struct ingest_opts *o, const char *rel, const char *buf, size_t len,
                         char out[33])
{
    XXH3_state_t state;
    char head[64];
    XXH3_INITSTATE(&state);
    XXH3_128bits_reset(&state);
    XXH3_128bits_update(&state, INGEST_HASH_FORMAT "\0" POSTD_VERSION,
                        sizeof INGEST_HASH_FORMAT + sizeof POSTD_VERSION);
    int n = snprintf(head, sizeof head, "%d", o->parse.tz_offset);
    XXH3_128bits_update(&state, head, (size_t)n + 1);
    const char *pl = o->parse.permalink ? o->parse.permalink : "";
    XXH3_128bits_update(&state, pl, strlen(pl) + 1);
    XXH3_128bits_update(&state, rel, strlen(rel) + 1);
    XXH3_128bits_update(&state, buf, len);
    XXH128_hash_t h = XXH3_128bits_digest(&state);
    snprintf(out, 33, "%016llx%016llx", (unsigned long long)h.high64, (unsigned long long)h.low64);
}

/* Reads the whole file into *buf (grown as needed, NUL-terminated). */
static int read_file(const char *path, char **buf, size_t *cap, size_t *len, int *err_no)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *err_no = errno;
        return ST_IO;
    }
    int rc = ST_IO;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        *err_no = errno;
        goto out;
    }
    size_t want = (size_t)sb.st_size + 1;
    *len = 0;
    for (;;) {
        if (*cap < want || *cap - *len < 2) {
            size_t ncap = *cap < want ? want + 1 : *cap * 2;
            char *nb = realloc(*buf, ncap);
            if (!nb) {
                rc = ST_NOMEM;
                goto out;
            }
            *buf = nb;
            *cap = ncap;
        }
        ssize_t got = read(fd, *buf + *len, *cap - *len - 1);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            *err_no = errno;
            goto out;
        }
        if (got == 0)
            break;
        *len += (size_t)got;
        /* all the size fstat gave: no read() just to see the end (a system
         * call per file); a file that grew meanwhile is read as it was */
        if (S_ISREG(sb.st_mode) && sb.st_size > 0 && *len >= (size_t)sb.st_size)
            break;
    }
    (*buf)[*len] = '\0';
    rc = 0;
out:
    close(fd);
    return rc;
}

static void parse_one(struct run *r, size_t i, struct slot *s, struct pooled *item, char **buf,
                      size_t *cap)
{
    const struct file *f = &r->files[i];
    /* the post the writer consumed last from this pool entry is freed here,
     * on the parser that made it, and not on the writer, the slower side */
    post_clear(&item->post);
    s->item = item;
    memset(&s->perr, 0, sizeof s->perr);
    s->perr.byte_offset = -1;
    s->hash[0] = '\0';
    if (f->dup_of >= 0) {
        const struct file *first = &r->files[f->dup_of];
        char *fp = join_path(r->dirs[first->dir], first->rel);
        snprintf(s->perr.msg, sizeof s->perr.msg, "duplicate post id \"%s\" (already read from %s)",
                 f->entry->id, fp ? fp : first->rel);
        free(fp);
        s->kind = RES_REJECT;
        return;
    }
    char *path = join_path(r->dirs[f->dir], f->rel);
    size_t len = 0;
    int e = 0;
    int rc = path ? read_file(path, buf, cap, &len, &e) : ST_NOMEM;
    free(path);
    if (rc == ST_NOMEM) {
        s->kind = RES_FAIL;
        s->status = ST_NOMEM;
        return;
    }
    if (rc != 0) {
        snprintf(s->perr.msg, sizeof s->perr.msg, "cannot read: %s", strerror(e));
        s->kind = RES_REJECT;
        return;
    }
    if (r->st) {
        content_hash(r->opts, f->rel, *buf, len, s->hash);
        if (f->entry->stored_hash && strcmp(f->entry->stored_hash, s->hash) == 0) {
            s->kind = RES_UNCHANGED;
            return;
        }
    }
    rc = post_parse(f->rel, *buf, len, &r->opts->parse, &item->post, &s->perr);
    if (rc == 0) {
        s->kind = RES_POST;
    } else if (rc == ST_SKIP) {
        s->kind = RES_SKIP;
    } else if (rc == ST_PARSE) {
        s->kind = RES_REJECT;
    } else {
        s->kind = RES_FAIL;
        s->status = rc;
    }
}

/* When an ingest writes, the parsers give way to the writer: 2 parsers and
 * the writer share 2 cores, and the writer, which alone sets the pace, got
 * about 70% of one (runnable 92% of the time). A nice of 5 gives it three
 * times a parser's share of a contended core. 100,000 posts: 11.6-14.0 s ->
 * 10.6-10.9 s (nice 10: 10.3-10.6 s, but parsers that give way that much
 * stall an ingest next to a busy server). Linux sets a thread's own nice
 * with its thread id; failure only costs speed. */
#define PARSER_NICE 5

static void *parser_main(void *arg)
{
    struct pipe *p = arg;
    char *buf = NULL;
    size_t cap = 0;
    /* named for top -H and perf report --sort comm (at most 15 characters) */
    (void)pthread_setname_np(pthread_self(), "postd-parse");
    if (p->r->st)
        (void)setpriority(PRIO_PROCESS, (id_t)gettid(), PARSER_NICE);
    pthread_mutex_lock(&p->mu);
    struct pooled *pool = &p->pools[(size_t)p->n_parsers++ * p->window];
    pthread_mutex_unlock(&p->mu);
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (!p->stop && p->next < p->r->n_files && p->next >= p->consumed + p->window) {
            p->parsers_waiting++;
            pthread_cond_wait(&p->space, &p->mu);
            p->parsers_waiting--;
        }
        if (p->stop || p->next >= p->r->n_files) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        size_t i = p->next++;
        /* at most window posts are out (parsed, not consumed): one is free */
        struct pooled *item = pool;
        while (item->busy)
            item++;
        item->busy = 1;
        pthread_mutex_unlock(&p->mu);

        /* the slot is ours until ready is set: the writer is behind index i */
        struct slot *s = &p->slots[i % p->window];
        parse_one(p->r, i, s, item, &buf, &cap);

        pthread_mutex_lock(&p->mu);
        s->ready = 1;
        if (p->wait_for == i)
            pthread_cond_signal(&p->ready);
        pthread_mutex_unlock(&p->mu);
    }
    free(buf);
    return NULL;
}

/* ---- the writer ---------------------------------------------------------- */

static void progress_draw(struct run *r, size_t done, int force)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!force && r->progress_shown && elapsed(&r->last_progress, &now) < 0.1)
        return;
    r->last_progress = now;
    fprintf(r->err, "\r[%zu/%zu]", done, r->n_files);
    fflush(r->err);
    r->progress_shown = 1;
}

/* Handles one result in file order. Returns 0 or a negative ST_* that stops the run. */
static int consume(struct run *r, size_t i, struct slot *s, int64_t now)
{
    struct file *f = &r->files[i];
    struct entry *e = f->entry;
    int rc = 0;
    switch (s->kind) {
    case RES_REJECT:
        report(r, f->dir, f->rel, &s->perr);
        r->stats.rejected++;
        /* a stored version of a broken file stays: only a missing file is pruned */
        if (f->dup_of < 0)
            e->seen = 1;
        break;
    case RES_UNCHANGED:
        r->stats.unchanged++;
        e->seen = 1;
        break;
    case RES_SKIP:
        r->stats.skipped++;
        /* published: false takes a stored post off the site */
        if (r->st && e->stored_hash && !e->seen && !(r->opts->strict && r->stats.rejected)) {
            rc = store_post_delete(r->st, e->id);
            if (rc == 0 || rc == ST_NOTFOUND) {
                r->stats.removed++;
                rc = 0;
            }
        }
        e->seen = 1;
        break;
    case RES_POST:
        e->seen = 1;
        if (!r->st) {
            r->stats.added++;
            break;
        }
        if (e->stored_hash)
            r->stats.updated++;
        else
            r->stats.added++;
        /* in strict mode everything will be rolled back: stop writing */
        if (!(r->opts->strict && r->stats.rejected))
            rc = store_post_put(r->st, &s->item->post, s->hash, now);
        break;
    case RES_FAIL:
        rc = s->status < 0 ? s->status : ST_NOMEM;
        break;
    }
    return rc;
}

static int run_pipeline(struct run *r, int64_t now)
{
    const struct ingest_opts *o = r->opts;
    long jobs = o->jobs > 0 ? o->jobs : sysconf(_SC_NPROCESSORS_ONLN);
    if (jobs < 1)
        jobs = 1;
    if (jobs > 64)
        jobs = 64;
    if ((size_t)jobs > r->n_files)
        jobs = r->n_files ? (long)r->n_files : 1;

    struct pipe p = {.r = r, .window = (size_t)jobs * 32, .wait_for = NO_WAIT};
    pthread_t *threads = calloc((size_t)jobs, sizeof *threads);
    p.slots = calloc(p.window, sizeof *p.slots);
    p.pools = calloc((size_t)jobs * p.window, sizeof *p.pools);
    long started = 0;
    int rc = ST_NOMEM;
    if (!threads || !p.slots || !p.pools) {
        free(threads);
        free(p.slots);
        free(p.pools);
        return ST_NOMEM;
    }
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.space, NULL);
    pthread_cond_init(&p.ready, NULL);
    for (; started < jobs; started++)
        if (pthread_create(&threads[started], NULL, parser_main, &p) != 0)
            break;
    if (started == 0)
        goto out;

    int show = o->progress && isatty(fileno(r->err));
    rc = 0;
    for (size_t i = 0; i < r->n_files && rc == 0; i++) {
        struct slot *s = &p.slots[i % p.window];
        pthread_mutex_lock(&p.mu);
        if (!s->ready) {
            /* the parsers may take files up to consumed + window - 1 = i + window - 1 */
            size_t last = i + p.window / 4;
            if (last >= r->n_files)
                last = r->n_files - 1;
            while (!p.slots[last % p.window].ready) {
                p.wait_for = last;
                pthread_cond_wait(&p.ready, &p.mu);
            }
        }
        while (!s->ready) {
            p.wait_for = i;
            pthread_cond_wait(&p.ready, &p.mu);
        }
        p.wait_for = NO_WAIT;
        pthread_mutex_unlock(&p.mu);

        rc = consume(r, i, s, now);

        pthread_mutex_lock(&p.mu);
        s->ready = 0;
        s->item->busy = 0;
        p.consumed = i + 1;
        if (p.parsers_waiting && p.next - p.consumed <= p.window / 2)
            pthread_cond_broadcast(&p.space);
        pthread_mutex_unlock(&p.mu);
        if (show)
            progress_draw(r, i + 1, i + 1 == r->n_files);
    }
out:
    pthread_mutex_lock(&p.mu);
    p.stop = 1;
    pthread_cond_broadcast(&p.space);
    pthread_mutex_unlock(&p.mu);
    for (long t = 0; t < started; t++)
        pthread_join(threads[t], NULL);
    for (size_t k = 0; k < (size_t)jobs * p.window; k++)
        post_clear(&p.pools[k].post); /* the last results, and any left by an early stop */
    progress_clear(r);
    pthread_cond_destroy(&p.ready);
    pthread_cond_destroy(&p.space);
    pthread_mutex_destroy(&p.mu);
    free(p.slots);
    free(p.pools);
    free(threads);
    return rc;
}

/* ---- runs ------------------------------------------------------------------ */

struct id_list {
    char **v;
    size_t n, cap;
};

static int collect_id(const char *id, void *arg)
{
    struct id_list *l = arg;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 1024;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return ST_NOMEM;
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(id)))
        return ST_NOMEM;
    l->n++;
    return 0;
}

/* Loads every stored id with its hash (inside the transaction). */
static int load_stored(struct run *r)
{
    struct id_list l = {0};
    int rc = store_post_ids(r->st, collect_id, &l);
    for (size_t k = 0; k < l.n && rc == 0; k++) {
        char hash[65];
        struct entry *e;
        rc = store_post_hash(r->st, l.v[k], hash);
        if (rc == ST_NOTFOUND) { /* cannot happen inside the transaction; be lenient */
            rc = 0;
            continue;
        }
        if (rc == 0 && (rc = table_put(&r->ids, l.v[k], &e)) == 0 &&
            !(e->stored_hash = strdup(hash)))
            rc = ST_NOMEM;
    }
    for (size_t k = 0; k < l.n; k++)
        free(l.v[k]);
    free(l.v);
    return rc;
}

static int cmp_entry_ids(const void *a, const void *b)
{
    return strcmp((*(struct entry *const *)a)->id, (*(struct entry *const *)b)->id);
}

/* Deletes the stored posts whose files are gone, in id order: that is
 * mostly the order they were stored in, which the search index takes
 * fastest (it writes its buffer out whenever the row ids go down). */
static int prune(struct run *r)
{
    struct entry **gone = NULL;
    size_t n = 0;
    for (size_t k = 0; k < r->ids.cap; k++) {
        struct entry *e = r->ids.slots[k];
        if (!e || !e->stored_hash || e->seen)
            continue;
        if (!gone && !(gone = malloc(r->ids.n * sizeof *gone)))
            return ST_NOMEM;
        gone[n++] = e;
    }
    if (n > 1)
        qsort(gone, n, sizeof *gone, cmp_entry_ids);
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++) {
        rc = store_post_delete(r->st, gone[k]->id);
        if (rc == ST_NOTFOUND)
            rc = 0;
        if (rc == 0)
            r->stats.removed++;
    }
    free(gone);
    return rc;
}

static int run_init(struct run *r, const struct ingest_opts *o)
{
    memset(r, 0, sizeof *r);
    r->opts = o;
    r->err = o->err ? o->err : stderr;
    if (o->n_dirs == 0)
        return 0;
    r->dirs = calloc(o->n_dirs, sizeof *r->dirs);
    if (!r->dirs)
        return ST_NOMEM;
    for (size_t k = 0; k < o->n_dirs; k++) {
        size_t n = strlen(o->dirs[k]);
        while (n > 1 && o->dirs[k][n - 1] == '/')
            n--;
        if (!(r->dirs[k] = strndup(o->dirs[k], n)))
            return ST_NOMEM;
    }
    return 0;
}

static void run_clear(struct run *r)
{
    for (size_t k = 0; k < r->n_files; k++)
        free(r->files[k].rel);
    free(r->files);
    if (r->dirs)
        for (size_t k = 0; k < r->opts->n_dirs; k++)
            free(r->dirs[k]);
    free(r->dirs);
    table_clear(&r->ids);
}

static int walk_all(struct run *r)
{
    for (size_t k = 0; k < r->opts->n_dirs; k++) {
        int rc = walk(r, k, "", 0);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static void finish_stats(struct run *r, const struct timespec *t0, struct ingest_stats *out)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->stats.seconds = elapsed(t0, &t1);
    if (out)
        *out = r->stats;
}

int ingest_run(struct store *st, const struct ingest_opts *opts, struct ingest_stats *out)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int64_t now = (int64_t)time(NULL);
    struct run r;
    int in_tx = 0;
    int rc = run_init(&r, opts);
    if (rc != 0 || (rc = walk_all(&r)) != 0)
        goto out;
    if ((rc = store_begin(st)) != 0)
        goto out;
    in_tx = 1;
    r.st = st;
    if ((rc = load_stored(&r)) != 0 || (rc = run_pipeline(&r, now)) != 0)
        goto out;
    if (opts->prune && !(opts->strict && r.stats.rejected) && (rc = prune(&r)) != 0)
        goto out;
    if (opts->strict && r.stats.rejected) {
        store_rollback(st);
        in_tx = 0;
        r.stats.added = r.stats.updated = r.stats.removed = 0;
        rc = 1;
        goto out;
    }
    if ((rc = store_commit(st, now)) != 0)
        goto out;
    in_tx = 0;
    rc = r.stats.rejected ? 1 : 0;
out:
    if (in_tx) {
        store_rollback(st);
        r.stats.added = r.stats.updated = r.stats.removed = 0;
    }
    if (rc == ST_NOMEM)
        fprintf(r.err, "ingest: %s\n", st_strerror(rc));
    finish_stats(&r, &t0, out);
    run_clear(&r);
    return rc;
}

int ingest_check(const struct ingest_opts *opts, struct ingest_stats *out)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    struct run r;
    int rc = run_init(&r, opts);
    if (rc == 0 && (rc = walk_all(&r)) == 0 && (rc = run_pipeline(&r, 0)) == 0)
        rc = r.stats.rejected ? 1 : 0;
    if (rc == ST_NOMEM)
        fprintf(r.err, "check: %s\n", st_strerror(rc));
    finish_stats(&r, &t0, out);
    run_clear(&r);
    return rc;
}

void ingest_stats_print(const struct ingest_stats *s, FILE *f)
{
    long posts = s->added + s->updated + s->unchanged;
    double rate = s->seconds > 0 ? (double)posts / s->seconds : 0.0;
    fprintf(f,
            "added %ld, updated %ld, unchanged %ld, removed %ld, skipped %ld, rejected %ld in %.2f "
            "s (%.0f posts/s)\n",
            s->added, s->updated, s->unchanged, s->removed, s->skipped, s->rejected, s->seconds,
            rate);
}
