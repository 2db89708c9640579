/* Tests for storage/ingest.c on a temporary copy of samples/posts and a fresh
 * SQLite file: the counts match what the test itself finds in the folder, every
 * post's fields read back match its file, re-runs are idempotent, changes (one or
 * all at once), deletes (--prune), links, bad files, --strict and duplicate ids
 * behave as ingest.h says.
 * Usage: test_ingest SAMPLES_DIR */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ingest.h"

static const char *g_samples;

/* ---- files ---------------------------------------------------------------- */

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = NULL;
    size_t cap = 0, n = 0;
    for (;;) {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

static void write_all(const char *path, const char *data, size_t len, const char *mode)
{
    FILE *f = fopen(path, mode);
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static char *path_join(const char *a, const char *b)
{
    char *s;
    assert_true(asprintf(&s, "%s/%s", a, b) > 0);
    return s;
}

static void copy_tree(const char *src, const char *dst)
{
    assert_true(mkdir(dst, 0755) == 0);
    DIR *d = opendir(src);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *s = path_join(src, de->d_name), *t = path_join(dst, de->d_name);
        struct stat sb;
        assert_int_equal(stat(s, &sb), 0);
        if (S_ISDIR(sb.st_mode)) {
            copy_tree(s, t);
        } else {
            size_t len;
            char *data = read_all(s, &len);
            assert_non_null(data);
            write_all(t, data, len, "wb");
            free(data);
        }
        free(s);
        free(t);
    }
    closedir(d);
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void rm_tree(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- what the folder holds, found independently of ingest.c ------------------ */

struct expect {
    long posts, skipped;
    char **rels; /* post files that must be stored (relative paths) */
    size_t n_rels;
    char **unpublished; /* post files with published: false */
    size_t n_unpublished;
};

static void push(char ***v, size_t *n, const char *s)
{
    *v = realloc(*v, (*n + 1) * sizeof **v);
    assert_non_null(*v);
    (*v)[(*n)++] = strdup(s);
}

static int skip_by_name(const char *name, int is_dir)
{
    size_t n = strlen(name);
    if (strchr(".#~", name[0]))
        return 1;
    if (name[0] == '_')
        return !(is_dir && strcmp(name, "_posts") == 0);
    return !is_dir && n > 4 && strcmp(name + n - 4, ".yml") == 0;
}

static void expect_walk(const char *root, const char *rel, struct expect *e)
{
    char *dir = rel[0] ? path_join(root, rel) : strdup(root);
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char *child_rel = rel[0] ? path_join(rel, de->d_name) : strdup(de->d_name);
        char *child = path_join(root, child_rel);
        struct stat sb;
        assert_int_equal(stat(child, &sb), 0);
        int is_dir = S_ISDIR(sb.st_mode);
        struct post_name pn;
        if (skip_by_name(de->d_name, is_dir)) {
            e->skipped++;
        } else if (is_dir) {
            expect_walk(root, child_rel, e);
        } else if (post_name_parse(de->d_name, &pn) != 0) {
            e->skipped++;
        } else {
            char *text = read_all(child, NULL);
            char *fm_end = strstr(text + 3, "\n---\n");
            assert_non_null(fm_end);
            fm_end[1] = '\0'; /* keep the last line's newline */
            if (strstr(text, "\npublished: false\n")) {
                e->skipped++;
                push(&e->unpublished, &e->n_unpublished, child_rel);
            } else {
                e->posts++;
                push(&e->rels, &e->n_rels, child_rel);
            }
            free(text);
        }
        free(child);
        free(child_rel);
    }
    closedir(d);
    free(dir);
}

static void expect_clear(struct expect *e)
{
    for (size_t k = 0; k < e->n_rels; k++)
        free(e->rels[k]);
    free(e->rels);
    for (size_t k = 0; k < e->n_unpublished; k++)
        free(e->unpublished[k]);
    free(e->unpublished);
    memset(e, 0, sizeof *e);
}

/* ---- fixture: a temp folder with posts/ and a database path ----------------- */

struct fx {
    char tmp[64];
    char *posts, *db;
    struct expect ex;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    snprintf(f->tmp, sizeof f->tmp, "/tmp/postd-test-ingest-XXXXXX");
    if (!mkdtemp(f->tmp))
        return -1;
    f->posts = path_join(f->tmp, "posts");
    f->db = path_join(f->tmp, "posts.db");
    copy_tree(g_samples, f->posts);
    expect_walk(f->posts, "", &f->ex);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    rm_tree(f->tmp);
    expect_clear(&f->ex);
    free(f->posts);
    free(f->db);
    free(f);
    return 0;
}

/* ---- running ingest --------------------------------------------------------- */

struct run_args {
    const char *const *dirs;
    size_t n_dirs;
    int prune, strict, jobs;
    struct parse_opts parse;
};

/* Runs ingest_run on a fresh connection; *err_text gets what went to opts->err. */
static int run(const char *db, const struct run_args *a, struct ingest_stats *s, char **err_text)
{
    struct store *st = NULL;
    assert_int_equal(store_open(&st, db, STORE_READWRITE), 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *err = open_memstream(&buf, &len);
    assert_non_null(err);
    struct ingest_opts o = {
        .dirs = a->dirs,
        .n_dirs = a->n_dirs,
        .prune = a->prune,
        .strict = a->strict,
        .jobs = a->jobs,
        .progress = 1, /* err is not a terminal: must draw nothing */
        .parse = a->parse,
        .err = err,
    };
    memset(s, 0xff, sizeof *s);
    int rc = ingest_run(st, &o, s);
    fclose(err);
    store_close(st);
    assert_null(strchr(buf, '\r'));
    if (err_text)
        *err_text = buf;
    else
        free(buf);
    return rc;
}

static int run_dir(struct fx *f, int prune, int strict, struct ingest_stats *s, char **err_text)
{
    const char *dirs[] = {f->posts};
    struct run_args a = {.dirs = dirs, .n_dirs = 1, .prune = prune, .strict = strict, .jobs = 3};
    return run(f->db, &a, s, err_text);
}

static void assert_stats(const struct ingest_stats *s, long added, long updated, long unchanged,
                         long removed, long skipped, long rejected)
{
    assert_int_equal(s->added, added);
    assert_int_equal(s->updated, updated);
    assert_int_equal(s->unchanged, unchanged);
    assert_int_equal(s->removed, removed);
    assert_int_equal(s->skipped, skipped);
    assert_int_equal(s->rejected, rejected);
    assert_true(s->seconds >= 0);
}

static struct store_meta meta_of(const char *db)
{
    struct store *st = NULL;
    struct store_meta m;
    assert_int_equal(store_open(&st, db, STORE_READONLY), 0);
    assert_int_equal(store_meta_get(st, (int64_t)time(NULL), 1, &m), 0);
    store_close(st);
    return m;
}

static int print_id(const char *id, void *arg)
{
    fprintf(arg, "%s\n", id);
    return 0;
}

/* "id=hash" lines of every stored post, in store_post_ids' order. */
static char *hashes_of(const char *db)
{
    struct store *st = NULL;
    char *ids = NULL, *text = NULL;
    size_t ids_len = 0, text_len = 0;
    assert_int_equal(store_open(&st, db, STORE_READWRITE), 0);
    FILE *f = open_memstream(&ids, &ids_len);
    assert_int_equal(store_post_ids(st, print_id, f), 0);
    fclose(f);
    FILE *out = open_memstream(&text, &text_len);
    for (char *line = strtok(ids, "\n"); line; line = strtok(NULL, "\n")) {
        char hash[65];
        assert_int_equal(store_post_hash(st, line, hash), 0);
        fprintf(out, "%s=%s\n", line, hash);
    }
    fclose(out);
    free(ids);
    store_close(st);
    return text;
}

/* ---- reading the expected fields from a file's text ------------------------- */

/* The value of the first front-matter line "key..." (up to the end of line). */
static char *fm_line(const char *text, const char *key)
{
    size_t kl = strlen(key);
    const char *end = strstr(text + 3, "\n---\n");
    for (const char *p = text; p && p < end; p = strchr(p, '\n')) {
        if (*p == '\n')
            p++;
        if (strncmp(p, key, kl) == 0) {
            const char *v = p + kl;
            while (*v == ' ')
                v++;
            return strndup(v, strcspn(v, "\n"));
        }
    }
    return NULL;
}

/* A double-quoted scalar as the generator writes titles: only \" and \\ escapes. */
static char *unquote_double(const char *v)
{
    assert_int_equal(v[0], '"');
    char *out = malloc(strlen(v)), *o = out;
    for (const char *p = v + 1; *p && *p != '"'; p++) {
        if (*p == '\\')
            p++;
        *o++ = *p;
    }
    *o = '\0';
    return out;
}

static int count_lines(const char *text, const char *prefix, int front_matter)
{
    const char *end = front_matter ? strstr(text + 3, "\n---\n") : text + strlen(text);
    const char *start = front_matter ? text : strstr(text + 3, "\n---\n");
    int n = 0;
    for (const char *p = start; p && p < end; p = strchr(p + 1, '\n'))
        if (strncmp(p + 1, prefix, strlen(prefix)) == 0)
            n++;
    return n;
}

static int64_t parse_date(const char *v, int *offset)
{
    struct tm tm = {0};
    char sign;
    int oh, om;
    assert_int_equal(sscanf(v, "%d-%d-%d %d:%d:%d %c%2d%2d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                            &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &sign, &oh, &om),
                     9);
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *offset = (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    return (int64_t)timegm(&tm) - *offset;
}

/* Compares the stored post for file rel with what the file says. */
static void check_post(struct store *st, const char *posts, const char *rel)
{
    char *path = path_join(posts, rel);
    char *text = read_all(path, NULL);
    assert_non_null(text);
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    struct post_name pn;
    assert_int_equal(post_name_parse(base, &pn), 0);

    struct post p;
    struct store_ids cand = {0};
    post_init(&p);
    int rc = store_post_get(st, pn.id, (int64_t)time(NULL), 1, &p, &cand);
    if (rc != 0)
        fail_msg("%s: store_post_get(%s) = %d", rel, pn.id, rc);
    assert_string_equal(p.id, pn.id);
    assert_string_equal(p.slug, pn.slug);
    assert_non_null(p.url);

    char *v = fm_line(text, "title:");
    char *title = unquote_double(v);
    assert_string_equal(p.title, title);
    free(title);
    free(v);

    v = fm_line(text, "author:");
    char author[64];
    assert_int_equal(sscanf(v, "'%63[^']'", author), 1);
    assert_string_equal(p.author, author);
    free(v);

    v = fm_line(text, "date:");
    int offset = 0;
    if (v) {
        int64_t utc = parse_date(v, &offset);
        assert_int_equal(p.date_utc, utc);
        assert_int_equal(p.date_offset, offset);
    } else { /* no date: the file name's day at midnight, site timezone UTC */
        struct tm tm = {.tm_year = pn.year - 1900, .tm_mon = pn.month - 1, .tm_mday = pn.day};
        assert_int_equal(p.date_utc, (int64_t)timegm(&tm));
        assert_int_equal(p.date_offset, 0);
    }
    free(v);

    /* tags: ["a", "b"] or a whitespace-separated string; duplicates dropped */
    v = fm_line(text, "tags:");
    char *tags[8];
    size_t n_tags = 0;
    if (v[0] == '[') {
        for (char *q = strchr(v, '"'); q; q = strchr(q + 1, '"')) {
            char *end = strchr(q + 1, '"');
            char *t = strndup(q + 1, (size_t)(end - q - 1));
            int dup = 0;
            for (size_t k = 0; k < n_tags; k++)
                dup |= strcmp(tags[k], t) == 0;
            if (dup)
                free(t);
            else
                tags[n_tags++] = t;
            q = end;
        }
    } else {
        for (char *t = strtok(v, " "); t; t = strtok(NULL, " "))
            tags[n_tags++] = strdup(t);
    }
    assert_int_equal(p.n_tags, n_tags);
    for (size_t k = 0; k < n_tags; k++) {
        assert_string_equal(p.tags[k], tags[k]);
        free(tags[k]);
    }
    free(v);

    /* folder categories come first: "culture/arts/_posts/x.md" → culture, arts */
    const char *posts_dir = strstr(rel, "_posts/");
    if (posts_dir) {
        size_t k = 0;
        for (const char *c = rel; c < posts_dir; k++) {
            size_t len = strcspn(c, "/");
            assert_true(k < p.n_categories);
            assert_int_equal(strlen(p.categories[k]), len);
            assert_memory_equal(p.categories[k], c, len);
            c += len + 1;
        }
    }

    v = fm_line(text, "sources:");
    size_t n_sources = 0;
    for (char *t = v ? strtok(v, " ") : NULL; t; t = strtok(NULL, " "))
        n_sources++;
    free(v);
    assert_int_equal(p.n_sources, n_sources);
    assert_int_equal(p.n_carousel, count_lines(text, "- domain:", 1));
    assert_int_equal(p.n_questions, count_lines(text, "## ", 0));
    assert_non_null(p.summary_html);
    assert_non_null(p.body_html);

    post_clear(&p);
    store_ids_clear(&cand);
    free(text);
    free(path);
}

/* The first stored-post file at the top of the folder not dated 2099. */
static const char *plain_post(const struct fx *f)
{
    for (size_t k = 0; k < f->ex.n_rels; k++)
        if (!strchr(f->ex.rels[k], '/') && strncmp(f->ex.rels[k], "2099", 4) != 0)
            return f->ex.rels[k];
    fail_msg("no plain post in the samples");
    return NULL;
}

static char *id_of(const char *rel)
{
    const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
    struct post_name pn;
    assert_int_equal(post_name_parse(base, &pn), 0);
    return strdup(pn.id);
}

static int get_rc(const char *db, const char *key, int show_future, struct store_ids *cand)
{
    struct store *st = NULL;
    struct post p;
    struct store_ids none = {0};
    post_init(&p);
    assert_int_equal(store_open(&st, db, STORE_READONLY), 0);
    int rc = store_post_get(st, key, (int64_t)time(NULL), show_future, &p, cand ? cand : &none);
    post_clear(&p);
    store_ids_clear(&none);
    store_close(st);
    return rc;
}

/* ---- tests ---------------------------------------------------------------- */

static void test_samples_ingest(void **state)
{
    struct fx *f = *state;
    struct ingest_stats s;
    char *err;
    assert_true(f->ex.posts >= 200); /* the generator's default run */
    assert_int_equal(run_dir(f, 0, 0, &s, &err), 0);
    assert_string_equal(err, "");
    free(err);
    assert_stats(&s, f->ex.posts, 0, 0, 0, f->ex.skipped, 0);

    struct store_meta m = meta_of(f->db);
    assert_int_equal(m.posts, f->ex.posts);
    assert_true(m.generation >= 1);

    struct store *st = NULL;
    assert_int_equal(store_open(&st, f->db, STORE_READONLY), 0);
    for (size_t k = 0; k < f->ex.n_rels; k++)
        check_post(st, f->posts, f->ex.rels[k]);
    store_close(st);

    /* what was skipped is not stored */
    assert_int_equal(get_rc(f->db, "2023-08-20-unfinished-idea", 1, NULL), ST_NOTFOUND);
    assert_int_equal(get_rc(f->db, "2023-08-21-hidden-notes", 1, NULL), ST_NOTFOUND);
}

/* Posts the samples hold on purpose, found by looking at the files. */
static void test_samples_special_posts(void **state)
{
    struct fx *f = *state;
    struct ingest_stats s;
    assert_int_equal(run_dir(f, 0, 0, &s, NULL), 0);

    size_t shared = 0, future = 0;
    for (size_t k = 0; k < f->ex.n_rels; k++) {
        const char *rel = f->ex.rels[k];
        const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
        struct post_name pn;
        assert_int_equal(post_name_parse(base, &pn), 0);
        if (strcmp(pn.slug, "weekly-roundup") == 0)
            shared++;
        if (pn.year == 2099) { /* stored, hidden until its time */
            future++;
            assert_int_equal(get_rc(f->db, pn.id, 0, NULL), ST_NOTFOUND);
            assert_int_equal(get_rc(f->db, pn.id, 1, NULL), 0);
        }
    }
    assert_int_equal(f->ex.n_unpublished, 1);
    char *id = id_of(f->ex.unpublished[0]);
    assert_int_equal(get_rc(f->db, id, 1, NULL), ST_NOTFOUND);
    free(id);
    assert_true(future >= 1);
    assert_true(shared >= 3);

    /* one slug on several dates: ambiguous, every id listed newest first */
    struct store_ids cand = {0};
    assert_int_equal(get_rc(f->db, "weekly-roundup", 1, &cand), ST_AMBIGUOUS);
    assert_int_equal(cand.n, shared);
    for (size_t k = 1; k < cand.n; k++)
        assert_true(strcmp(cand.ids[k - 1], cand.ids[k]) > 0);
    store_ids_clear(&cand);
}

static void test_rerun_unchanged(void **state)
{
    struct fx *f = *state;
    struct ingest_stats s;
    assert_int_equal(run_dir(f, 0, 0, &s, NULL), 0);
    struct store_meta m1 = meta_of(f->db);
    char *h1 = hashes_of(f->db);

    assert_int_equal(run_dir(f, 0, 0, &s, NULL), 0);
    assert_stats(&s, 0, 0, f->ex.posts, 0, f->ex.skipped, 0);
    struct store_meta m2 = meta_of(f->db);
    assert_int_equal(m2.generation, m1.generation);
    assert_int_equal(m2.last_ingest, m1.last_ingest);
    char *h2 = hashes_of(f->db);
    assert_string_equal(h1, h2);
    free(h1);
    free(h2);

    /* the same again with --prune removes nothing */
    assert_int_equal(run_dir(f, 1, 0, &s, NULL), 0);
    assert_stats(&s, 0, 0, f->ex.posts, 0, f->ex.skipped, 0);
}

static void test_modify_one(void **state)
{
    struct fx *f = *state;
    struct ingest_stats s;
    assert_int_equal(run_dir(f, 0, 0, &s, NULL), 0);
    struct store_meta m1 = meta_of(f->db);

    const char *rel = plain_post(f);
    char *path = path_join(f->posts, rel);
    const char *extra = "\nA sentence appended by the ingest test.\n";
    write_all(path, extra, strlen(extra), "ab");

    assert_int_equal(run_dir(f, 0, 0, &s, NULL), 0);
    assert_stats(&s, 0, 1, f->ex.posts - 1, 0, f->ex.skipped, 0);
    struct store_meta m2 = meta_of(f->db);
    assert_true(m2.generation > m1.generation);

    struct store *st = NULL;
    struct post p;
    struct store_ids cand = {0};
    char *id = id_of(rel);
    post_init(&p);
    assert_int_equal(store_open(&st, f->db, STORE_READONLY), 0);
    assert_int_equal(store_post_get(st, id, (int64_t)time(NULL), 1, &p, &cand), 0);
    assert_non_null(strstr(p.body_html, "A sentence appended by the ingest test."));
    post_clear(&p);
    store_close(st);
    free(id);
    free(path);
}

static void test_delete_and_prune(void **state)
{
    struct fx *f = *state;
    struct ingest_stats s;
    assert_int_equal(run_dir(f, 0, 0, &s, NULL), 0);
    const char *rel = plain_post(f);
    char *path = path_join(f->posts, rel), *id = id_of(rel);
    assert_int_equal(unlink(path), 0);

    /* without --prune the stored post stays */
    assert_int_equal(run_dir(f, 0, 0, &s, NULL), 0);
    assert_stats(&s, 0, 0, f->ex.posts - 1, 0, f->ex.skipped, 0);
    assert_int_equal(get_rc(f->db, id, 1, NULL), 0);

    assert_int_equal(run_dir(f, 1, 0, &s, NULL), 0);
    assert_stats(&s, 0, 0, f->ex.posts - 1, 1, f->ex.skipped, 0);
    assert_int_equal(get_rc(f->db, id, 1, NULL), ST_NOTFOUND);
    assert_int_equal(meta_of(f->db).posts, f->ex.posts - 1);
    free(path);
    free(id);
}

/* A stored post whose file now says published: false leaves the database. */
static void test_unpublish_removes(void **state)
{
    struct fx *f = *state;
    struct ingest_stats s;
    assert_int_equal(run_dir(f, 0, 0, &s, NULL), 0);
    const char *rel = plain_post(f);
    char *path = path_join(f->posts, rel), *id = id_of(rel);
    size_t len;
    char *text = read_all(path, &len);
    char *out;
    assert_true(asprintf(&out, "---\npublished: false\n%s", text + 4) > 0);
    write_all(path, out, strlen(out), "wb");

    assert_int_equal(run_dir(f, 0, 0, &s, NULL), 0);
    assert_stats(&s, 0, 0, f->ex.posts - 1, 1, f->ex.skipped + 1, 0);
    assert_int_equal(get_rc(f->db, id, 1, NULL), ST_NOTFOUND);
    assert_int_equal(meta_of(f->db).posts, f->ex.posts - 1);
    free(out);
    free(text);
    free(id);
    free(path);
}

/* The line ingest must print for a bad file, from the parser's own verdict. */
static char *expected_error(const char *dir, const char *name, const char *data)
{
    struct post p;
    struct parse_error pe;
    struct parse_opts po = {0};
    post_init(&p);
    memset(&pe, 0, sizeof pe);
    assert_int_equal(post_parse(name, data, strlen(data), &po, &p, &pe), ST_PARSE);
    assert_true(pe.msg[0] != '\0');
    char *line;
    if (pe.line > 0)
        assert_true(asprintf(&line, "%s/%s:%d:%d: %s\n", dir, name, pe.line, pe.col, pe.msg) > 0);
    else
        assert_true(asprintf(&line, "%s/%s: %s\n", dir, name, pe.msg) > 0);
    return line;
}

static const char BROKEN_YAML[] = "---\nlayout: post\ntitle: [unclosed\n"
                                  "date: 2023-08-20 10:00:00 -0400\n---\n\nBody.\n";
static const char BROKEN_UTF8[] = "---\nlayout: post\ntitle: \"Caf\xe9 au lait\"\n---\n\nBody.\n";

static void add_broken_files(struct fx *f, char **expected)
{
    char *a = path_join(f->posts, "2023-08-20-broken-yaml.md");
    char *b = path_join(f->posts, "2023-08-21-latin1.md");
    write_all(a, BROKEN_YAML, strlen(BROKEN_YAML), "wb");
    write_all(b, BROKEN_UTF8, strlen(BROKEN_UTF8), "wb");
    char *ea = expected_error(f->posts, "2023-08-20-broken-yaml.md", BROKEN_YAML);
    char *eb = expected_error(f->posts, "2023-08-21-latin1.md", BROKEN_UTF8);
    /* the YAML error has a position: the flow sequence never closes */
    assert_non_null(strstr(ea, ".md:"));
    assert_true(asprintf(expected, "%s%s", ea, eb) > 0);
    free(ea);
    free(eb);
    free(a);
    free(b);
}

static void test_broken_files_rejected(void **state)
{
    struct fx *f = *state;
    struct ingest_stats s;
    char *expected, *err;
    add_broken_files(f, &expected);

    assert_int_equal(run_dir(f, 0, 0, &s, &err), 1);
    assert_string_equal(err, expected);
    assert_stats(&s, f->ex.posts, 0, 0, 0, f->ex.skipped, 2);
    assert_int_equal(meta_of(f->db).posts, f->ex.posts);
    assert_int_equal(get_rc(f->db, "2023-08-20-broken-yaml", 1, NULL), ST_NOTFOUND);
    assert_int_equal(get_rc(f->db, "2023-08-21-latin1", 1, NULL), ST_NOTFOUND);
    free(err);

    /* the same report, in the same order, with one parser thread */
    char *db1 = path_join(f->tmp, "one-job.db");
    const char *dirs[] = {f->posts};
    struct run_args a = {.dirs = dirs, .n_dirs = 1, .jobs = 1};
    assert_int_equal(run(db1, &a, &s, &err), 1);
    assert_string_equal(err, expected);
    assert_stats(&s, f->ex.posts, 0, 0, 0, f->ex.skipped, 2);
    free(err);
    free(db1);

    /* parse only: the same verdicts, nothing written */
    char *buf = NULL;
    size_t len = 0;
    FILE *ferr = open_memstream(&buf, &len);
    struct ingest_opts o = {.dirs = dirs, .n_dirs = 1, .jobs = 2, .err = ferr};
    assert_int_equal(ingest_check(&o, &s), 1);
    fclose(ferr);
    assert_string_equal(buf, expected);
    assert_stats(&s, f->ex.posts, 0, 0, 0, f->ex.skipped, 2);
    free(buf);
    free(expected);
}

static void test_strict_writes_nothing(void **state)
{
    struct fx *f = *state;
    struct ingest_stats s;
    char *expected, *err;
    assert_int_equal(run_dir(f, 0, 0, &s, NULL), 0);
    struct store_meta m1 = meta_of(f->db);
    char *h1 = hashes_of(f->db);

    /* a pending update, a pending delete and a broken file */
    const char *rel = plain_post(f);
    char *path = path_join(f->posts, rel);
    write_all(path, "\nMore.\n", 7, "ab");
    const char *gone_rel = f->ex.rels[f->ex.n_rels - 1];
    if (gone_rel == rel)
        gone_rel = f->ex.rels[f->ex.n_rels - 2];
    char *gone = path_join(f->posts, gone_rel);
    assert_int_equal(unlink(gone), 0);
    add_broken_files(f, &expected);

    assert_int_equal(run_dir(f, 1, 1, &s, &err), 1);
    assert_string_equal(err, expected);
    assert_int_equal(s.rejected, 2);
    assert_int_equal(s.added + s.updated + s.removed, 0);

    struct store_meta m2 = meta_of(f->db);
    assert_int_equal(m2.generation, m1.generation);
    assert_int_equal(m2.posts, m1.posts);
    assert_int_equal(m2.last_ingest, m1.last_ingest);
    char *h2 = hashes_of(f->db);
    assert_string_equal(h1, h2);

    /* without --strict the good changes land */
    free(err);
    assert_int_equal(run_dir(f, 1, 0, &s, &err), 1);
    assert_stats(&s, 0, 1, f->ex.posts - 2, 1, f->ex.skipped, 2);
    free(err);
    free(h1);
    free(h2);
    free(gone);
    free(path);
    free(expected);
}

static void test_strict_clean_run_commits(void **state)
{
    struct fx *f = *state;
    struct ingest_stats s;
    assert_int_equal(run_dir(f, 0, 1, &s, NULL), 0);
    assert_stats(&s, f->ex.posts, 0, 0, 0, f->ex.skipped, 0);
    assert_int_equal(meta_of(f->db).posts, f->ex.posts);
}

static void test_duplicate_ids(void **state)
{
    struct fx *f = *state;
    struct ingest_stats s;
    char *err, *want;
    const char *rel = plain_post(f);
    char *src = path_join(f->posts, rel);
    size_t len;
    char *data = read_all(src, &len);

    /* the same name again in a subfolder that sorts after the top-level files */
    char *sub = path_join(f->posts, "zz-copies");
    assert_int_equal(mkdir(sub, 0755), 0);
    char *copy = path_join(sub, rel);
    write_all(copy, data, len, "wb");
    char *id = id_of(rel);
    assert_true(asprintf(&want, "%s: duplicate post id \"%s\" (already read from %s)\n", copy, id,
                         src) > 0);
    assert_int_equal(run_dir(f, 0, 0, &s, &err), 1);
    assert_string_equal(err, want);
    assert_stats(&s, f->ex.posts, 0, 0, 0, f->ex.skipped, 1);
    free(err);
    free(want);
    assert_int_equal(unlink(copy), 0);
    free(copy);

    /* and in a second folder: the second folder's file is the one rejected */
    char *other = path_join(f->tmp, "other");
    assert_int_equal(mkdir(other, 0755), 0);
    copy = path_join(other, rel);
    write_all(copy, data, len, "wb");
    char *fresh = path_join(other, "2023-12-01-only-here.md");
    write_all(fresh, data, len, "wb");
    assert_true(asprintf(&want, "%s: duplicate post id \"%s\" (already read from %s)\n", copy, id,
                         src) > 0);
    const char *dirs[] = {f->posts, other};
    struct run_args a = {.dirs = dirs, .n_dirs = 2, .jobs = 2};
    assert_int_equal(run(f->db, &a, &s, &err), 1);
    assert_string_equal(err, want);
    assert_stats(&s, 1, 0, f->ex.posts, 0, f->ex.skipped, 1);
    assert_int_equal(get_rc(f->db, "2023-12-01-only-here", 1, NULL), 0);

    free(err);
    free(want);
    free(fresh);
    free(copy);
    free(other);
    free(id);
    free(sub);
    free(data);
    free(src);
}

/* The hash covers the parse options: another timezone or permalink re-ingests. */
static void test_options_change_reingests(void **state)
{
    struct fx *f = *state;
    struct ingest_stats s;
    const char *dirs[] = {f->posts};
    struct run_args a = {.dirs = dirs, .n_dirs = 1, .jobs = 2};
    assert_int_equal(run(f->db, &a, &s, NULL), 0);
    assert_int_equal(run(f->db, &a, &s, NULL), 0);
    assert_int_equal(s.unchanged, f->ex.posts);

    a.parse.tz_offset = 3600;
    assert_int_equal(run(f->db, &a, &s, NULL), 0);
    assert_stats(&s, 0, f->ex.posts, 0, 0, f->ex.skipped, 0);

    a.parse.permalink = "/:categories/:title/";
    assert_int_equal(run(f->db, &a, &s, NULL), 0);
    assert_stats(&s, 0, f->ex.posts, 0, 0, f->ex.skipped, 0);
    assert_int_equal(run(f->db, &a, &s, NULL), 0);
    assert_int_equal(s.unchanged, f->ex.posts);
}

/* The walk takes file types from readdir where it can: a link to a post file
 * is read as that file, a link to a folder and a dangling link are skipped. */
static void test_links(void **state)
{
    struct fx *f = *state;
    struct ingest_stats s;
    const char *rel = plain_post(f);
    char *target = path_join(f->posts, rel), *extra = path_join(f->tmp, "extra");
    char *link = path_join(f->posts, "2024-05-01-linked.md");
    char *dir_link = path_join(f->posts, "2024-05-02-folder.md");
    char *dangling = path_join(f->posts, "2024-05-03-dangling.md");
    assert_int_equal(mkdir(extra, 0755), 0);
    assert_int_equal(symlink(target, link), 0);
    assert_int_equal(symlink(extra, dir_link), 0);
    assert_int_equal(symlink("/nonexistent/2024-05-03-x.md", dangling), 0);
    assert_int_equal(run_dir(f, 0, 0, &s, NULL), 0);
    assert_stats(&s, f->ex.posts + 1, 0, 0, 0, f->ex.skipped + 2, 0);
    assert_int_equal(get_rc(f->db, "2024-05-01-linked", 1, NULL), 0);
    assert_int_equal(get_rc(f->db, "2024-05-02-folder", 1, NULL), ST_NOTFOUND);
    free(target);
    free(extra);
    free(link);
    free(dir_link);
    free(dangling);
}

/* Many posts change at once (new options), then half the files go: every
 * change lands, --prune removes exactly the missing ones, in any order. */
static void test_mass_change_and_prune(void **state)
{
    struct fx *f = *state;
    struct ingest_stats s;
    const char *dirs[] = {f->posts};
    struct run_args a = {.dirs = dirs, .n_dirs = 1, .jobs = 2};
    assert_int_equal(run(f->db, &a, &s, NULL), 0);
    a.parse.tz_offset = -7200;
    assert_int_equal(run(f->db, &a, &s, NULL), 0);
    assert_stats(&s, 0, f->ex.posts, 0, 0, f->ex.skipped, 0);

    long gone = 0;
    for (size_t k = 0; k < f->ex.n_rels; k += 2) {
        char *path = path_join(f->posts, f->ex.rels[k]);
        assert_int_equal(unlink(path), 0);
        free(path);
        gone++;
    }
    a.prune = 1;
    assert_int_equal(run(f->db, &a, &s, NULL), 0);
    assert_stats(&s, 0, 0, f->ex.posts - gone, gone, f->ex.skipped, 0);
    assert_int_equal(meta_of(f->db).posts, f->ex.posts - gone);
    for (size_t k = 0; k < f->ex.n_rels && k < 8; k++) {
        char *id = id_of(f->ex.rels[k]);
        assert_int_equal(get_rc(f->db, id, 1, NULL), k % 2 ? 0 : ST_NOTFOUND);
        free(id);
    }
    assert_int_equal(run(f->db, &a, &s, NULL), 0);
    assert_stats(&s, 0, 0, f->ex.posts - gone, 0, f->ex.skipped, 0);
}

static void test_missing_folder(void **state)
{
    struct fx *f = *state;
    struct ingest_stats s;
    char *missing = path_join(f->tmp, "nope"), *err, *want;
    const char *dirs[] = {f->posts, missing};
    struct run_args a = {.dirs = dirs, .n_dirs = 2, .jobs = 2};
    assert_int_equal(run(f->db, &a, &s, &err), ST_IO);
    assert_true(asprintf(&want, "%s: cannot open folder: No such file or directory\n", missing) >
                0);
    assert_string_equal(err, want);
    assert_int_equal(meta_of(f->db).posts, 0);
    free(want);
    free(err);
    free(missing);
}

static void test_stats_print(void **state)
{
    (void)state;
    struct ingest_stats s = {.added = 3,
                             .updated = 1,
                             .unchanged = 4,
                             .removed = 2,
                             .skipped = 5,
                             .rejected = 6,
                             .seconds = 0.5};
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ingest_stats_print(&s, f);
    fclose(f);
    assert_string_equal(buf, "added 3, updated 1, unchanged 4, removed 2, skipped 5, rejected 6 "
                             "in 0.50 s (16 posts/s)\n");
    free(buf);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s SAMPLES_DIR\n", argv[0]);
        return 2;
    }
    g_samples = argv[1];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_samples_ingest, setup, teardown),
        cmocka_unit_test_setup_teardown(test_samples_special_posts, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rerun_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(test_modify_one, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_and_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unpublish_removes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_broken_files_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strict_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_strict_clean_run_commits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_options_change_reingests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_links, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mass_change_and_prune, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_folder, setup, teardown),
        cmocka_unit_test(test_stats_print),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
