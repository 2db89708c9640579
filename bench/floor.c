/* What an ingest cannot go below: the CPU time of the libraries alone doing
 * the least work postd's output needs, one post at a time on one thread,
 * with every file already in memory. Per post:
 *   read   open, read and close the file (page cache warm)
 *   yaml   libyaml's events over the front matter, nothing built from them
 *   md4c   md_html of the body, once (postd renders the body, the excerpt and
 *          every question and answer; this counts the body only)
 *   fts    one FTS5 row with the five texts API.md section 5 searches, the
 *          tokenizer and term buffer postd uses, in one transaction
 *   rows   one plain row with the texts postd stores for a post (HTML,
 *          plain text, front matter JSON; the summary's and the answers'
 *          HTML as ranges of the body's) and one per question, in one
 *          transaction on a file with the journal off and no syncs
 *   links  a small row with the post's id and date, and one row per tag,
 *          category, author and domain, what the list filters of API.md
 *          section 3 look up, in one transaction
 *   index  the indexes a list needs, made once after the rows: a post by id,
 *          posts by date, a term's posts by date
 * store_us is fts + rows + links + index: what an ingest spends beyond its
 * parse, the part that one writer (and one search index) cannot share out.
 * The texts come from postd's own parser, outside the timed part. The sum is
 * CPU an ingest must spend per post, whatever its own code does; the cores
 * divided by it is the most posts/s an ingest could reach on this machine.
 * A measuring tool, not part of postd: it calls the libraries directly, which
 * postd's modules each keep to one file.
 *
 *   postd-floor posts-dir [max-posts] [tmp-dir]
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <md4c-html.h>
#include <sqlite3.h>
#include <yaml.h>

#include "frontmatter.h"
#include "parse.h"
#include "post.h"

struct item {
    char *path;
    char *buf;
    size_t len;
    struct fm_span span;
    struct post post;
    char *questions, *answers; /* the search texts, joined as storage joins them */
};

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "postd-floor: %s\n", what);
    exit(1);
}

static char *join(const struct post *p, int answers)
{
    size_t n = 1;
    for (size_t i = 0; i < p->n_questions; i++) {
        const char *s = answers ? p->questions[i].answer_text : p->questions[i].question;
        n += strlen(s ? s : "") + 1;
    }
    char *out = calloc(1, n), *w = out;
    if (!out)
        die("out of memory");
    for (size_t i = 0; i < p->n_questions; i++) {
        const char *s = answers ? p->questions[i].answer_text : p->questions[i].question;
        if (i)
            *w++ = '\n';
        w = stpcpy(w, s ? s : "");
    }
    return out;
}

static int load(const char *dir, size_t max, struct item **out)
{
    DIR *d = opendir(dir);
    if (!d)
        die("cannot open the posts folder");
    struct item *v = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    struct parse_opts po = {0};
    while ((de = readdir(d)) && n < max) {
        struct post_name pn;
        if (post_name_parse(de->d_name, &pn) != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            v = realloc(v, cap * sizeof *v);
            if (!v)
                die("out of memory");
        }
        struct item *it = &v[n];
        memset(it, 0, sizeof *it);
        if (asprintf(&it->path, "%s/%s", dir, de->d_name) < 0)
            die("out of memory");
        FILE *f = fopen(it->path, "rb");
        if (!f)
            continue;
        fseek(f, 0, SEEK_END);
        long sz = ftell(f);
        rewind(f);
        it->buf = malloc((size_t)sz + 1);
        if (!it->buf || fread(it->buf, 1, (size_t)sz, f) != (size_t)sz)
            die("cannot read a post");
        fclose(f);
        it->buf[sz] = '\0';
        it->len = (size_t)sz;
        struct parse_error pe;
        if (post_parse(de->d_name, it->buf, it->len, &po, &it->post, &pe) != 0) {
            free(it->buf);
            free(it->path);
            continue;
        }
        fm_split(it->buf, it->len, &it->span);
        it->questions = join(&it->post, 0);
        it->answers = it->post.n_questions ? join(&it->post, 1) : strdup(it->post.body_text);
        n++;
    }
    closedir(d);
    *out = v;
    return (int)n;
}

static double time_read(struct item *v, int n)
{
    static char buf[1 << 20];
    double t = cpu_s();
    for (int i = 0; i < n; i++) {
        int fd = open(v[i].path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || read(fd, buf, sizeof buf) < 0)
            die("cannot read a post");
        close(fd);
    }
    return cpu_s() - t;
}

static double time_yaml(struct item *v, int n)
{
    double t = cpu_s();
    for (int i = 0; i < n; i++) {
        if (!v[i].span.has_front_matter)
            continue;
        yaml_parser_t p;
        yaml_event_t ev;
        if (!yaml_parser_initialize(&p))
            die("out of memory");
        yaml_parser_set_input_string(&p, (const unsigned char *)v[i].buf + v[i].span.yaml_off,
                                     v[i].span.yaml_len);
        for (int done = 0; !done;) {
            if (!yaml_parser_parse(&p, &ev))
                break;
            done = ev.type == YAML_STREAM_END_EVENT;
            yaml_event_delete(&ev);
        }
        yaml_parser_delete(&p);
    }
    return cpu_s() - t;
}

struct sink {
    char *p;
    size_t n, cap;
};

static void sink_add(const MD_CHAR *s, MD_SIZE n, void *arg)
{
    struct sink *k = arg;
    if (k->n + n > k->cap) {
        k->cap = (k->n + n) * 2;
        k->p = realloc(k->p, k->cap);
        if (!k->p)
            die("out of memory");
    }
    memcpy(k->p + k->n, s, n);
    k->n += n;
}

static double time_md4c(struct item *v, int n)
{
    struct sink k = {0};
    double t = cpu_s();
    for (int i = 0; i < n; i++) {
        size_t off = v[i].span.has_front_matter ? v[i].span.body_off : 0;
        k.n = 0;
        md_html(v[i].buf + off, (MD_SIZE)(v[i].len - off), sink_add, &k, MD_DIALECT_GITHUB,
                MD_HTML_FLAG_SKIP_UTF8_BOM);
    }
    double s = cpu_s() - t;
    free(k.p);
    return s;
}

static void exec(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
        fprintf(stderr, "postd-floor: %s: %s\n", sql, err ? err : "?");
        exit(1);
    }
}

static sqlite3 *open_db(const char *tmp, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    unlink(path);
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("cannot open a database");
    exec(db, "PRAGMA page_size=16384; PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
             " PRAGMA locking_mode=EXCLUSIVE; PRAGMA cache_size=-16384");
    return db;
}

static void close_db(sqlite3 *db, const char *tmp, const char *name)
{
    char path[4096];
    sqlite3_close(db);
    snprintf(path, sizeof path, "%s/%s", tmp, name);
    unlink(path);
}

static void bind(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(s, i);
}

static void step(sqlite3_stmt *s)
{
    if (sqlite3_step(s) != SQLITE_DONE)
        die("insert failed");
    sqlite3_reset(s);
}

/* Times one transaction that writes every post with put (s: its statements). */
typedef void put_fn(sqlite3_stmt *const *s, const struct item *it, int64_t rowid);

static double timed_puts(sqlite3 *db, sqlite3_stmt *const *s, const struct item *v, int n,
                         put_fn *put)
{
    double t = cpu_s();
    exec(db, "BEGIN");
    for (int i = 0; i < n; i++)
        put(s, &v[i], i + 1);
    exec(db, "COMMIT");
    return cpu_s() - t;
}

static void put_fts(sqlite3_stmt *const *s, const struct item *it, int64_t rowid)
{
    sqlite3_bind_int64(s[0], 1, rowid);
    bind(s[0], 2, it->post.title);
    bind(s[0], 3, it->post.description);
    bind(s[0], 4, it->questions);
    bind(s[0], 5, it->answers);
    bind(s[0], 6, it->post.summary_text);
    step(s[0]);
}

static double time_fts(struct item *v, int n, const char *tmp)
{
    sqlite3 *db = open_db(tmp, "floor-fts.db");
    sqlite3_stmt *s;
    exec(db, "CREATE VIRTUAL TABLE f USING fts5(title, description, questions, answers, summary,"
             " content='', tokenize='unicode61 remove_diacritics 2');"
             "INSERT INTO f (f, rank) VALUES ('hashsize', 67108864)");
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO f (rowid, title, description, questions, answers,"
                           " summary) VALUES (?,?,?,?,?,?)",
                           -1, &s, NULL) != SQLITE_OK)
        die("prepare failed");
    double sec = timed_puts(db, &s, v, n, put_fts);
    sqlite3_finalize(s);
    close_db(db, tmp, "floor-fts.db");
    return sec;
}

/* s[0]: the post's row, s[1]: a question's */
static void put_rows(sqlite3_stmt *const *s, const struct item *it, int64_t rowid)
{
    const struct post *p = &it->post;
    sqlite3_bind_int64(s[0], 1, rowid);
    bind(s[0], 2, p->id);
    bind(s[0], 3, p->title);
    bind(s[0], 4, p->description);
    sqlite3_bind_int64(s[0], 5, 0); /* the summary's range in body_html */
    sqlite3_bind_int64(s[0], 6, p->summary_html ? (sqlite3_int64)strlen(p->summary_html) : 0);
    bind(s[0], 7, p->summary_text);
    bind(s[0], 8, p->excerpt_html);
    bind(s[0], 9, p->front_matter_json);
    bind(s[0], 10, p->body_html);
    step(s[0]);
    for (size_t k = 0; k < p->n_questions; k++) {
        const struct post_question *q = &p->questions[k];
        sqlite3_bind_int64(s[1], 1, rowid);
        bind(s[1], 2, q->question);
        sqlite3_bind_int64(s[1], 3, 0); /* the answer's range in body_html */
        sqlite3_bind_int64(s[1], 4, q->answer_html ? (sqlite3_int64)strlen(q->answer_html) : 0);
        bind(s[1], 5, q->answer_text);
        step(s[1]);
    }
}

/* s[0]: the post's keys (id, date: a small row, so that its indexes do not read
 * the texts), s[1]: a term's link row (tag, category, author or domain, each
 * kind with its own prefix): the least the list filters of API.md section 3 need */
static void put_links(sqlite3_stmt *const *s, const struct item *it, int64_t rowid)
{
    const struct post *p = &it->post;
    char term[512];
    sqlite3_bind_int64(s[0], 1, rowid);
    bind(s[0], 2, p->id);
    sqlite3_bind_int64(s[0], 3, p->date_utc);
    step(s[0]);
    struct {
        char kind;
        char *const *v;
        size_t n;
    } kinds[] = {
        {'t', p->tags, p->n_tags},
        {'c', p->categories, p->n_categories},
        {'a', &p->author, p->author ? 1 : 0},
        {'d', p->domains, p->n_domains},
    };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (size_t i = 0; i < kinds[k].n; i++) {
            snprintf(term, sizeof term, "%c:%s", kinds[k].kind, kinds[k].v[i]);
            sqlite3_bind_text(s[1], 1, term, -1, SQLITE_TRANSIENT);
            sqlite3_bind_int64(s[1], 2, rowid);
            sqlite3_bind_int64(s[1], 3, p->date_utc);
            step(s[1]);
        }
}

/* The rows, then the filters' link rows, then the indexes a list needs (a post
 * by id, posts by date, a term's posts by date), each timed: out[0..2]. */
static void time_store(struct item *v, int n, const char *tmp, double out[3])
{
    sqlite3 *db = open_db(tmp, "floor-rows.db");
    sqlite3_stmt *s[2];
    exec(db, "CREATE TABLE p (rid INTEGER PRIMARY KEY, id TEXT, title TEXT, description TEXT,"
             " summary_at INTEGER, summary_len INTEGER, summary_text TEXT, excerpt_html TEXT,"
             " front_matter TEXT, body_html TEXT);"
             "CREATE TABLE q (rid INTEGER PRIMARY KEY, post INTEGER, question TEXT,"
             " answer_at INTEGER, answer_len INTEGER, answer_text TEXT);"
             "CREATE TABLE k (rid INTEGER PRIMARY KEY, id TEXT, date INTEGER);"
             "CREATE TABLE l (term TEXT, post INTEGER, date INTEGER)");
    if (sqlite3_prepare_v2(db, "INSERT INTO p VALUES (?,?,?,?,?,?,?,?,?,?)", -1, &s[0], NULL) ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO q (post, question, answer_at, answer_len, answer_text)"
                           " VALUES (?,?,?,?,?)",
                           -1, &s[1], NULL))
        die("prepare failed");
    out[0] = timed_puts(db, s, v, n, put_rows);
    sqlite3_finalize(s[0]);
    sqlite3_finalize(s[1]);
    if (sqlite3_prepare_v2(db, "INSERT INTO k VALUES (?,?,?)", -1, &s[0], NULL) ||
        sqlite3_prepare_v2(db, "INSERT INTO l VALUES (?,?,?)", -1, &s[1], NULL))
        die("prepare failed");
    out[1] = timed_puts(db, s, v, n, put_links);
    sqlite3_finalize(s[0]);
    sqlite3_finalize(s[1]);
    double t = cpu_s();
    exec(db, "CREATE UNIQUE INDEX k_id ON k(id); CREATE INDEX k_date ON k(date, id);"
             " CREATE INDEX l_term ON l(term, date, post)");
    out[2] = cpu_s() - t;
    close_db(db, tmp, "floor-rows.db");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: postd-floor posts-dir [max-posts] [tmp-dir]\n");
        return 2;
    }
    size_t max = argc > 2 ? strtoul(argv[2], NULL, 10) : 20000;
    const char *tmp = argc > 3 ? argv[3] : "/tmp";
    struct item *v;
    int n = load(argv[1], max, &v);
    if (n == 0)
        die("no posts");
    /* timed one after the other (an initializer's calls have no order) */
    double t_read = time_read(v, n), t_yaml = time_yaml(v, n), t_md4c = time_md4c(v, n);
    double t_fts = time_fts(v, n, tmp), st[3];
    time_store(v, n, tmp, st);
    struct {
        const char *name;
        double s;
        int store; /* written by the ingest's store side, not by its parsers */
    } part[] = {
        {"read", t_read, 0}, {"yaml", t_yaml, 0}, {"md4c", t_md4c, 0}, {"fts", t_fts, 1},
        {"rows", st[0], 1},  {"links", st[1], 1}, {"index", st[2], 1},
    };
    double sum = 0, store = 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    printf("posts\t%d\n", n);
    for (size_t i = 0; i < sizeof part / sizeof part[0]; i++) {
        printf("%s_us\t%.1f\n", part[i].name, part[i].s * 1e6 / n);
        sum += part[i].s;
        store += part[i].store ? part[i].s : 0;
    }
    printf("store_us\t%.1f\nfloor_us\t%.1f\ncores\t%ld\nmax_posts_per_s\t%.0f\n", store * 1e6 / n,
           sum * 1e6 / n, cores, (double)cores * n / sum);
    for (int i = 0; i < n; i++) {
        post_clear(&v[i].post);
        free(v[i].buf);
        free(v[i].path);
        free(v[i].questions);
        free(v[i].answers);
    }
    free(v);
    return 0;
}
