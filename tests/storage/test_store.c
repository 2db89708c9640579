/* Tests of the SQLite store (storage/store*.c) against real database files in
 * a temporary directory: migrations, the write path (put, replace, delete,
 * hashes, generation), every list filter alone and composed (checked against
 * a brute-force model of the rules in store.h), sorts and keyset walks, slugs,
 * terms, full-text search (and its index kept in step with every kind of
 * write), snapshots across connections and read-only mode.
 * Raw SQLite is used only to inspect or tamper with the files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store.h"
#include "store_internal.h" /* store_list_plan */

#define NOW 1700000000LL

static char tmpdir[256];

static const char *db_path(const char *name)
{
    static char buf[512];
    snprintf(buf, sizeof(buf), "%s/%s", tmpdir, name);
    return buf;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static int group_setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof(tmpdir), "%s/postd-store-XXXXXX", base ? base : "/tmp");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    return nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- building posts ------------------------------------------------------------ */

static char *xs(const char *s)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    assert_non_null(d);
    return d;
}

static void push(char ***v, size_t *n, const char *s)
{
    *v = realloc(*v, (*n + 1) * sizeof(**v));
    assert_non_null(*v);
    (*v)[(*n)++] = xs(s);
}

static struct post *mk(struct post *p, const char *id, int64_t date, const char *title)
{
    post_init(p);
    p->id = xs(id);
    p->slug = xs(strlen(id) > 11 ? id + 11 : id);
    char url[300];
    snprintf(url, sizeof(url), "/posts/%s.html", p->slug);
    p->url = xs(url);
    p->title = xs(title);
    p->date_utc = date;
    return p;
}

static void add_question(struct post *p, const char *q, const char *a)
{
    p->questions = realloc(p->questions, (p->n_questions + 1) * sizeof(*p->questions));
    assert_non_null(p->questions);
    struct post_question *x = &p->questions[p->n_questions++];
    char html[512];
    snprintf(html, sizeof(html), "<p>%s</p>", a);
    x->question = xs(q);
    x->answer_html = xs(html);
    x->answer_text = xs(a);
}

static void add_source(struct post *p, const char *url, const char *domain)
{
    p->sources = realloc(p->sources, (p->n_sources + 1) * sizeof(*p->sources));
    assert_non_null(p->sources);
    p->sources[p->n_sources].url = xs(url);
    p->sources[p->n_sources].domain = xs(domain);
    p->n_sources++;
}

static void add_carousel(struct post *p, const char *domain, const char *link, const char *title)
{
    p->carousel = realloc(p->carousel, (p->n_carousel + 1) * sizeof(*p->carousel));
    assert_non_null(p->carousel);
    struct post_carousel *c = &p->carousel[p->n_carousel++];
    c->domain = xs(domain);
    c->link = xs(link);
    c->title = xs(title);
    c->icon_path = xs("/assets/x/icon.jpg");
    c->image_path = xs("/assets/x/image.jpg");
}

static struct store *open_rw(const char *name)
{
    struct store *st = NULL;
    assert_int_equal(store_open(&st, db_path(name), STORE_READWRITE), 0);
    assert_non_null(st);
    return st;
}

static void put_one(struct store *st, struct post *p, int64_t now)
{
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_post_put(st, p, "h", now), 0);
    assert_int_equal(store_commit(st, now), 0);
}

/* Raw access to a database file, for what the store API does not show. */
static int64_t raw_int(const char *name, const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open(db_path(name), &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return v;
}

static void raw_exec(const char *name, const char *sql)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(db_path(name), &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

/* ---- list helpers -------------------------------------------------------------- */

static struct store_list_req req_default(void)
{
    struct store_list_req r;
    memset(&r, 0, sizeof(r));
    r.limit = 1000;
    r.f.now = NOW;
    return r;
}

/* "id1,id2,..." of a list's items. */
static char *ids_of(const struct store_list *l)
{
    size_t n = 1;
    for (size_t i = 0; i < l->n; i++)
        n += strlen(l->items[i].id) + 1;
    char *s = calloc(1, n);
    assert_non_null(s);
    for (size_t i = 0; i < l->n; i++) {
        if (i)
            strcat(s, ",");
        strcat(s, l->items[i].id);
    }
    return s;
}

/* Runs req and checks the ids (comma-joined, in order) and the total. */
static void expect_list(struct store *st, const struct store_list_req *req, const char *ids,
                        int64_t total)
{
    struct store_list l;
    assert_int_equal(store_posts_list(st, req, &l), 0);
    char *got = ids_of(&l);
    assert_string_equal(got, ids);
    assert_int_equal(l.total, total);
    free(got);
    store_list_clear(&l);
}

/* expect_list for the search text q (kept in req). */
static void expect_search(struct store *st, struct store_list_req *req, const char *q,
                          const char *ids, int64_t total)
{
    req->f.q = q;
    expect_list(st, req, ids, total);
}

#define STRV(...)                                                                                  \
    ((struct store_strv){(const char *const[]){__VA_ARGS__},                                       \
                         sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *)})

/* ---- migrations and opening ------------------------------------------------------- */

static void test_migrations(void **state)
{
    (void)state;
    struct store *st = NULL;
    assert_int_equal(store_schema_version(), 3);

    /* fresh file → current version, WAL */
    st = open_rw("mig.db");
    struct post p;
    put_one(st, mk(&p, "2023-01-01-a", 100, "A"), NOW);
    post_clear(&p);
    store_close(st);
    assert_int_equal(raw_int("mig.db", "PRAGMA user_version"), store_schema_version());
    assert_int_equal(raw_int("mig.db", "SELECT count(*) FROM pragma_journal_mode "
                                       "WHERE journal_mode = 'wal'"),
                     1);
    /* v2 took the per-post search-index trigger out: the store flushes at commit */
    assert_int_equal(raw_int("mig.db", "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"),
                     0);

    /* reopening is a no-op that keeps the data */
    st = open_rw("mig.db");
    store_close(st);
    assert_int_equal(raw_int("mig.db", "PRAGMA user_version"), store_schema_version());
    assert_int_equal(raw_int("mig.db", "SELECT count(*) FROM posts"), 1);
    assert_int_equal(store_open(&st, db_path("mig.db"), STORE_READONLY), 0);
    store_close(st);

    /* a newer schema is refused in both modes, and left alone */
    raw_exec("mig.db", "PRAGMA user_version = 99");
    st = (struct store *)&st;
    assert_int_equal(store_open(&st, db_path("mig.db"), STORE_READWRITE), ST_SCHEMA);
    assert_null(st);
    assert_int_equal(store_open(&st, db_path("mig.db"), STORE_READONLY), ST_SCHEMA);
    assert_int_equal(raw_int("mig.db", "PRAGMA user_version"), 99);

    /* read-only: an empty file has no schema; a missing one cannot be opened */
    FILE *f = fopen(db_path("empty.db"), "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(store_open(&st, db_path("empty.db"), STORE_READONLY), ST_SCHEMA);
    assert_int_equal(store_open(&st, db_path("missing.db"), STORE_READONLY), ST_IO);
    assert_int_equal(access(db_path("missing.db"), F_OK), -1);
    assert_int_equal(store_open(&st, db_path("no/such/dir.db"), STORE_READWRITE), ST_IO);

    /* a file that is not a database */
    f = fopen(db_path("text.db"), "w");
    assert_non_null(f);
    fputs("this is not a database, just some text that is long enough to have a header\n", f);
    fclose(f);
    assert_int_equal(store_open(&st, db_path("text.db"), STORE_READWRITE), ST_IO);
    assert_int_equal(store_open(&st, db_path("text.db"), STORE_READONLY), ST_IO);

    /* a file we may not write cannot be opened for writing (unless we are root) */
    st = open_rw("ro.db");
    store_close(st);
    assert_int_equal(chmod(db_path("ro.db"), 0444), 0);
    if (geteuid() != 0)
        assert_int_equal(store_open(&st, db_path("ro.db"), STORE_READWRITE), ST_IO);
    assert_int_equal(store_open(&st, db_path("ro.db"), STORE_READONLY), 0);
    store_close(st);
    assert_int_equal(chmod(db_path("ro.db"), 0644), 0);

    /* an empty file opened read-write gets the schema */
    st = open_rw("empty.db");
    store_close(st);
    assert_int_equal(raw_int("empty.db", "PRAGMA user_version"), store_schema_version());
    store_close(NULL);
}

/* ---- round trip ------------------------------------------------------------------ */

static struct post *full_post(struct post *p)
{
    mk(p, "2023-09-16-russia_nk_summit", 1694843702, "How does the summit signal a shift?");
    p->path = xs("world/_posts/2023-09-16-russia_nk_summit.md");
    p->layout = xs("post");
    p->description = xs("Putin and Kim met.");
    p->author = xs("winston");
    p->image = xs("/assets/a/combined.jpg");
    p->date_offset = -4 * 3600;
    push(&p->tags, &p->n_tags, "world news");
    push(&p->tags, &p->n_tags, "Korea");
    push(&p->categories, &p->n_categories, "world");
    push(&p->categories, &p->n_categories, "Analysis");
    add_source(p, "https://www.nytimes.com/2023/09/13/x.html", "nytimes.com");
    add_source(p, "https://www.npr.org/2023/09/13/y", "npr.org");
    add_source(p, "mailto:someone", NULL);
    add_carousel(p, "www.npr.org", "https://www.npr.org/2023/09/13/y", "Kim vows : NPR");
    add_carousel(p, "www.nytimes.com", "https://www.nytimes.com/2023/09/13/x.html", NULL);
    push(&p->domains, &p->n_domains, "nytimes.com");
    push(&p->domains, &p->n_domains, "npr.org");
    add_question(p, "What does each leader need?", "Munitions & food <for> Kim.");
    add_question(p, "What implications?", "Tension over Ukraine.");
    p->summary_html = xs("<p>In summary</p>");
    p->summary_text = xs("In summary");
    p->body_html = xs("<h2>What does each leader need?</h2><p>Munitions</p>");
    p->body_text = xs("What does each leader need? Munitions. Intro sentence only here.");
    p->excerpt_html = xs("<p>Munitions</p>");
    p->word_count = 321;
    p->reading_minutes = 2;
    p->front_matter_json = xs("{\"layout\":\"post\",\"tags\":[\"world news\",\"Korea\"]}");
    p->updated_at = 12345; /* ignored by put */
    return p;
}

static void assert_str_eq_null(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void assert_posts_equal(const struct post *a, const struct post *b)
{
    assert_str_eq_null(a->id, b->id);
    assert_str_eq_null(a->slug, b->slug);
    assert_str_eq_null(a->url, b->url);
    assert_str_eq_null(a->path, b->path);
    assert_str_eq_null(a->layout, b->layout);
    assert_str_eq_null(a->title, b->title);
    assert_str_eq_null(a->description, b->description);
    assert_str_eq_null(a->author, b->author);
    assert_str_eq_null(a->image, b->image);
    assert_int_equal(a->date_utc, b->date_utc);
    assert_int_equal(a->date_offset, b->date_offset);
    assert_int_equal(a->n_tags, b->n_tags);
    for (size_t i = 0; i < a->n_tags; i++)
        assert_string_equal(a->tags[i], b->tags[i]);
    assert_int_equal(a->n_categories, b->n_categories);
    for (size_t i = 0; i < a->n_categories; i++)
        assert_string_equal(a->categories[i], b->categories[i]);
    assert_int_equal(a->n_sources, b->n_sources);
    for (size_t i = 0; i < a->n_sources; i++) {
        assert_str_eq_null(a->sources[i].url, b->sources[i].url);
        assert_str_eq_null(a->sources[i].domain, b->sources[i].domain);
    }
    assert_int_equal(a->n_carousel, b->n_carousel);
    for (size_t i = 0; i < a->n_carousel; i++) {
        assert_str_eq_null(a->carousel[i].domain, b->carousel[i].domain);
        assert_str_eq_null(a->carousel[i].link, b->carousel[i].link);
        assert_str_eq_null(a->carousel[i].title, b->carousel[i].title);
        assert_str_eq_null(a->carousel[i].icon_path, b->carousel[i].icon_path);
        assert_str_eq_null(a->carousel[i].image_path, b->carousel[i].image_path);
    }
    assert_int_equal(a->n_domains, b->n_domains);
    for (size_t i = 0; i < a->n_domains; i++)
        assert_string_equal(a->domains[i], b->domains[i]);
    assert_int_equal(a->n_questions, b->n_questions);
    for (size_t i = 0; i < a->n_questions; i++) {
        assert_str_eq_null(a->questions[i].question, b->questions[i].question);
        assert_str_eq_null(a->questions[i].answer_html, b->questions[i].answer_html);
        assert_str_eq_null(a->questions[i].answer_text, b->questions[i].answer_text);
    }
    assert_str_eq_null(a->summary_html, b->summary_html);
    assert_str_eq_null(a->summary_text, b->summary_text);
    assert_str_eq_null(a->body_html, b->body_html);
    assert_str_eq_null(a->body_text, b->body_text);
    assert_str_eq_null(a->excerpt_html, b->excerpt_html);
    assert_int_equal(a->word_count, b->word_count);
    assert_int_equal(a->reading_minutes, b->reading_minutes);
    assert_str_eq_null(a->front_matter_json, b->front_matter_json);
}

static void test_roundtrip(void **state)
{
    (void)state;
    struct store *st = open_rw("rt.db");
    struct post p, got;
    full_post(&p);
    put_one(st, &p, NOW - 5);
    /* a post with questions is searched by them: its body_text is not kept */
    free(p.body_text);
    p.body_text = NULL;

    assert_int_equal(store_post_get(st, p.id, NOW, 0, &got, NULL), 0);
    assert_posts_equal(&p, &got);
    assert_int_equal(got.updated_at, NOW - 5);
    post_clear(&got);

    /* by slug, and from a second, read-only connection */
    struct store *ro = NULL;
    assert_int_equal(store_open(&ro, db_path("rt.db"), STORE_READONLY), 0);
    assert_int_equal(store_post_get(ro, "russia_nk_summit", NOW, 0, &got, NULL), 0);
    assert_posts_equal(&p, &got);
    post_clear(&got);
    assert_int_equal(store_post_get(ro, "nope", NOW, 0, &got, NULL), ST_NOTFOUND);
    assert_null(got.id);

    /* a card carries no heavy parts unless asked */
    struct store_list_req r = req_default();
    struct store_list l;
    assert_int_equal(store_posts_list(ro, &r, &l), 0);
    assert_int_equal(l.n, 1);
    const struct post *c = &l.items[0];
    assert_string_equal(c->title, p.title);
    assert_string_equal(c->author, "winston");
    assert_int_equal(c->n_tags, 2);
    assert_string_equal(c->tags[1], "Korea");
    assert_int_equal(c->n_domains, 2);
    assert_int_equal(c->date_offset, -4 * 3600);
    assert_int_equal(c->updated_at, NOW - 5);
    assert_null(c->body_html);
    assert_null(c->summary_html);
    assert_null(c->front_matter_json);
    assert_null(c->body_text);
    assert_int_equal(c->n_questions, 0);
    assert_int_equal(c->n_sources, 0);
    assert_int_equal(c->n_carousel, 0);
    assert_null(l.scores);
    assert_null(l.snippets);
    store_list_clear(&l);

    /* ... and all of them with STORE_INC_ALL */
    r.include = STORE_INC_ALL;
    assert_int_equal(store_posts_list(ro, &r, &l), 0);
    c = &l.items[0];
    assert_string_equal(c->body_html, p.body_html);
    assert_string_equal(c->excerpt_html, p.excerpt_html);
    assert_string_equal(c->summary_html, p.summary_html);
    assert_string_equal(c->summary_text, p.summary_text);
    assert_string_equal(c->front_matter_json, p.front_matter_json);
    assert_int_equal(c->n_questions, 2);
    assert_string_equal(c->questions[1].answer_text, "Tension over Ukraine.");
    assert_int_equal(c->n_sources, 3);
    assert_null(c->sources[2].domain);
    assert_int_equal(c->n_carousel, 2);
    assert_null(c->carousel[1].title);
    store_list_clear(&l);
    store_list_clear(NULL);

    /* a post missing a required field is refused */
    struct post bad;
    mk(&bad, "2023-01-01-bad", 1, "Bad");
    free(bad.url);
    bad.url = NULL;
    assert_int_equal(store_post_put(st, &bad, "h", NOW), ST_INVALID);
    post_clear(&bad);

    store_close(ro);
    store_close(st);
    post_clear(&p);
}

/* Schema v3: a summary or an answer found in body_html byte for byte is kept
 * as its byte range there; read back, every piece is what was written. */
static void test_html_kept_once(void **state)
{
    (void)state;
    struct store *st = open_rw("once.db");
    struct post p, got;
    mk(&p, "2023-05-05-once", 1683244800, "Once");
    /* multi-byte text before each piece: the ranges are bytes, not characters */
    p.body_html =
        xs("<p>\xc3\x9c"
           "ber intro</p>\n<h2>One?</h2>\n<p>A1 \xc3\xbc</p>\n<h2>Two?</h2>\n"
           "<p>A2</p>\n<details><summary>Full summary</summary>\n<p>Sum \xe2\x9c\x93</p>\n"
           "<p>Same first sixteen, one</p>\n<p>Same first sixteen, two</p>\n</details>\n");
    p.summary_html = xs("<p>Sum \xe2\x9c\x93</p>");
    p.summary_text = xs("Sum \xe2\x9c\x93");
    add_question(&p, "One?", "A1 \xc3\xbc");
    add_question(&p, "Two?", "A2");
    add_question(&p, "Three?", "not in the body");
    add_question(&p, "One again?", "A1 \xc3\xbc"); /* found again before the last match */
    add_question(&p, "Empty?", "");
    free(p.questions[4].answer_html);
    p.questions[4].answer_html = xs("");
    /* its first 16 bytes are found first where the rest differs */
    add_question(&p, "Prefix?", "Same first sixteen, two");
    put_one(st, &p, NOW);

    assert_int_equal(raw_int("once.db",
                             "SELECT count(*) FROM post_bodies WHERE summary_html IS NULL"
                             " AND summary_len = 14"),
                     1);
    assert_int_equal(raw_int("once.db", "SELECT count(*) FROM post_questions WHERE answer_html IS"
                                        " NULL AND pos IN (0, 1, 3, 5)"),
                     4);
    assert_int_equal(raw_int("once.db",
                             "SELECT count(*) FROM post_questions WHERE answer_html ="
                             " '<p>not in the body</p>' AND answer_at IS NULL AND pos = 2"),
                     1);
    assert_int_equal(raw_int("once.db", "SELECT count(*) FROM post_questions WHERE answer_html = ''"
                                        " AND answer_at IS NULL AND pos = 4"),
                     1);
    /* the same text read as the views give it, for other SQLite tools */
    assert_int_equal(raw_int("once.db", "SELECT answer_html = '<p>A1 ' || char(252) || '</p>'"
                                        " FROM post_answers WHERE pos = 3"),
                     1);
    assert_int_equal(raw_int("once.db", "SELECT summary_html = '<p>Sum ' || char(10003) || '</p>'"
                                        " FROM post_summaries"),
                     1);

    assert_int_equal(store_post_get(st, p.id, NOW, 0, &got, NULL), 0);
    free(p.body_text);
    p.body_text = NULL;
    assert_posts_equal(&p, &got);
    post_clear(&got);

    /* written again with a summary that is not in the body: kept as text */
    free(p.summary_html);
    p.summary_html = xs("<p>Elsewhere</p>");
    put_one(st, &p, NOW + 1);
    assert_int_equal(raw_int("once.db", "SELECT count(*) FROM post_bodies WHERE summary_html ="
                                        " '<p>Elsewhere</p>' AND summary_at IS NULL"),
                     1);
    assert_int_equal(store_post_get(st, p.id, NOW, 0, &got, NULL), 0);
    assert_posts_equal(&p, &got);
    post_clear(&got);
    store_close(st);
    post_clear(&p);
}

/* A version 2 file keeps its HTML columns: migrated, it reads the same. */
static void test_html_from_v2(void **state)
{
    (void)state;
    raw_exec("v2.db", store_migrations[0]);
    raw_exec("v2.db", store_migrations[1]);
    raw_exec("v2.db",
             "PRAGMA user_version = 2;"
             "INSERT INTO posts (rid, id, slug, url, title, date_utc, updated_at)"
             " VALUES (1, '2023-02-02-old', 'old', '/old.html', 'Old', 1675296000, 1);"
             "INSERT INTO post_bodies (rid, summary_html, body_html)"
             " VALUES (1, '<p>S</p>', '<p>A</p><p>S</p>');"
             "INSERT INTO post_questions (post_rid, pos, question, answer_html, answer_text)"
             " VALUES (1, 0, 'Q?', '<p>A</p>', 'A');");
    struct store *st = open_rw("v2.db");
    assert_int_equal(raw_int("v2.db", "PRAGMA user_version"), store_schema_version());
    struct post got;
    assert_int_equal(store_post_get(st, "2023-02-02-old", NOW, 0, &got, NULL), 0);
    assert_string_equal(got.summary_html, "<p>S</p>");
    assert_int_equal(got.n_questions, 1);
    assert_string_equal(got.questions[0].answer_html, "<p>A</p>");
    post_clear(&got);
    store_close(st);
}

/* ---- replace, delete, hash, generation ---------------------------------------------- */

static int count_terms(struct store *st, enum store_term_kind kind)
{
    struct store_terms t;
    assert_int_equal(store_terms_list(st, kind, NULL, 1, 100, 0, NOW, 1, &t), 0);
    int n = (int)t.total;
    store_terms_clear(&t);
    return n;
}

static void test_update_and_delete(void **state)
{
    (void)state;
    struct store *st = open_rw("upd.db");
    struct post p, got;
    full_post(&p);
    put_one(st, &p, NOW);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM tags"), 2);

    /* the new version has other children: the old ones are gone */
    post_clear(&p);
    mk(&p, "2023-09-16-russia_nk_summit", 1694843702, "New title");
    push(&p.tags, &p.n_tags, "Science");
    push(&p.domains, &p.n_domains, "bbc.co.uk");
    add_question(&p, "Only question?", "Yes, only.");
    p.author = xs("Ada");
    put_one(st, &p, NOW + 1);
    assert_int_equal(store_post_get(st, p.id, NOW + 10, 0, &got, NULL), 0);
    assert_posts_equal(&p, &got);
    assert_int_equal(got.updated_at, NOW + 1);
    post_clear(&got);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM tags"), 1);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM domains"), 1);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM authors"), 1);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM categories"), 0);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM post_questions"), 1);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM post_sources"), 0);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM post_carousel"), 0);
    assert_int_equal(count_terms(st, STORE_TERM_TAG), 1);
    /* the index still matches the text it was built from */
    raw_exec("upd.db", "INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check')");
    assert_int_equal(store_term_exists(st, STORE_TERM_TAG, "Korea"), ST_NOTFOUND);
    assert_int_equal(store_term_exists(st, STORE_TERM_TAG, "science"), 0);

    /* the old text is not searchable any more, the new one is */
    struct store_list_req r = req_default();
    expect_search(st, &r, "munitions", "", 0);
    expect_search(st, &r, "only", p.id, 1);

    /* a second post shares a tag: deleting the first keeps it */
    struct post q;
    mk(&q, "2023-09-17-other", 1694900000, "Other");
    push(&q.tags, &q.n_tags, "SCIENCE");
    push(&q.domains, &q.n_domains, "npr.org");
    put_one(st, &q, NOW);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM tags"), 1);

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_post_delete(st, p.id), 0);
    assert_int_equal(store_post_delete(st, p.id), ST_NOTFOUND);
    assert_int_equal(store_commit(st, NOW + 2), 0);
    assert_int_equal(store_post_get(st, p.id, NOW + 10, 0, &got, NULL), ST_NOTFOUND);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM tags"), 1);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM domains"), 1);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM authors"), 0);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM post_questions"), 0);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM post_domains"), 1);
    raw_exec("upd.db", "INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check')");
    assert_int_equal(store_term_exists(st, STORE_TERM_DOMAIN, "bbc.co.uk"), ST_NOTFOUND);
    /* the remaining post shows its own spelling of the shared tag */
    assert_int_equal(store_post_get(st, q.id, NOW + 10, 0, &got, NULL), 0);
    assert_string_equal(got.tags[0], "SCIENCE");
    post_clear(&got);

    /* delete outside a transaction cleans up at once */
    assert_int_equal(store_post_delete(st, q.id), 0);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM tags"), 0);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM domains"), 0);
    assert_int_equal(raw_int("upd.db", "SELECT count(*) FROM post_bodies"), 0);
    raw_exec("upd.db", "INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check')");
    expect_search(st, &r, "science OR only OR other", "", 0);

    post_clear(&p);
    post_clear(&q);
    store_close(st);
}

static void test_hash_and_generation(void **state)
{
    (void)state;
    struct store *st = open_rw("gen.db");
    struct store_meta m;
    char hash[65];
    struct post p;
    mk(&p, "2023-02-01-hash", 1000, "Hash");

    assert_int_equal(store_meta_get(st, NOW, 0, &m), 0);
    assert_int_equal(m.posts, 0);
    assert_int_equal(m.generation, 0);
    assert_int_equal(m.last_ingest, 0);
    assert_int_equal(store_post_hash(st, p.id, hash), ST_NOTFOUND);

    /* a transaction with no change bumps nothing */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_commit(st, 500), 0);
    assert_int_equal(store_meta_get(st, NOW, 0, &m), 0);
    assert_int_equal(m.generation, 0);
    assert_int_equal(m.last_ingest, 0);

    const char *h64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_post_put(st, &p, h64, 1000), 0);
    assert_int_equal(store_post_hash(st, p.id, hash), 0);
    assert_string_equal(hash, h64);
    assert_int_equal(store_commit(st, 1001), 0);
    assert_int_equal(store_meta_get(st, NOW, 0, &m), 0);
    assert_int_equal(m.posts, 1);
    assert_int_equal(m.generation, 1);
    assert_int_equal(m.last_ingest, 1001);

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_commit(st, 2000), 0);
    assert_int_equal(store_meta_get(st, NOW, 0, &m), 0);
    assert_int_equal(m.generation, 1);
    assert_int_equal(m.last_ingest, 1001);

    /* a rolled-back put leaves nothing behind */
    struct post q;
    mk(&q, "2023-02-02-gone", 1000, "Gone");
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_post_put(st, &q, "x", 3000), 0);
    store_rollback(st);
    store_rollback(st); /* no transaction: harmless */
    assert_int_equal(store_post_hash(st, q.id, hash), ST_NOTFOUND);
    assert_int_equal(store_meta_get(st, NOW, 0, &m), 0);
    assert_int_equal(m.generation, 1);
    assert_int_equal(m.posts, 1);

    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_post_delete(st, p.id), 0);
    assert_int_equal(store_commit(st, 4000), 0);
    assert_int_equal(store_meta_get(st, NOW, 0, &m), 0);
    assert_int_equal(m.generation, 2);
    assert_int_equal(m.last_ingest, 4000);
    assert_int_equal(m.posts, 0);

    post_clear(&p);
    post_clear(&q);
    store_close(st);
}

static int collect_ids(const char *id, void *arg)
{
    char *s = arg;
    strcat(s, id);
    strcat(s, ";");
    return 0;
}

static int delete_each(const char *id, void *arg)
{
    return store_post_delete(arg, id);
}

static int stop_at_second(const char *id, void *arg)
{
    (void)id;
    return ++*(int *)arg == 2 ? 42 : 0;
}

static void test_post_ids(void **state)
{
    (void)state;
    struct store *st = open_rw("ids.db");
    struct post p;
    const char *ids[] = {"2023-01-02-b", "2023-01-01-a", "2023-01-03-c"};
    assert_int_equal(store_begin(st), 0);
    for (int i = 0; i < 3; i++) {
        mk(&p, ids[i], 10 * i, ids[i]);
        push(&p.tags, &p.n_tags, "t");
        assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
        post_clear(&p);
    }
    assert_int_equal(store_commit(st, NOW), 0);
    char buf[256] = "";
    assert_int_equal(store_post_ids(st, collect_ids, buf), 0);
    assert_string_equal(buf, "2023-01-01-a;2023-01-02-b;2023-01-03-c;");
    int calls = 0;
    assert_int_equal(store_post_ids(st, stop_at_second, &calls), 42);
    assert_int_equal(calls, 2);
    /* the callback may write (prune) */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_post_ids(st, delete_each, st), 0);
    assert_int_equal(store_commit(st, NOW), 0);
    assert_int_equal(raw_int("ids.db", "SELECT count(*) FROM posts"), 0);
    assert_int_equal(raw_int("ids.db", "SELECT count(*) FROM tags"), 0);
    store_close(st);
}

/* ---- filters against a model ------------------------------------------------------ */

#define NP 48

static const char *tag_pool[] = {"World News", "world-news", "world news", "Politics",
                                 "C++",        "c",          "Science",    "Été"};
static const char *domain_pool[] = {"nytimes.com",         "cooking.nytimes.com", "notnytimes.com",
                                    "bbc.co.uk",           "news.bbc.co.uk",      "npr.org",
                                    "nytimes.com.evil.org"};
static const char *author_pool[] = {"winston", "Ada", "WINSTON", NULL};
static const char *category_pool[] = {"news", "Tech", "misc"};
static const char *word_pool[] = {"korea", "summit", "market", "ukraine"};

struct model_post {
    char id[40];
    int64_t date;
    unsigned tags, domains, cats, words; /* bit sets over the pools */
    int author;
};

static struct model_post model[NP];

static unsigned rnd(unsigned *s)
{
    *s = *s * 1103515245u + 12345u;
    return (*s >> 16) & 0x7fff;
}

static int ascii_casecmp(const char *a, const char *b)
{
    for (;; a++, b++) {
        int x = (*a >= 'A' && *a <= 'Z') ? *a + 32 : (unsigned char)*a;
        int y = (*b >= 'A' && *b <= 'Z') ? *b + 32 : (unsigned char)*b;
        if (x != y || !x)
            return x - y;
    }
}

static void build_model_db(struct store *st)
{
    unsigned seed = 7;
    assert_int_equal(store_begin(st), 0);
    for (int i = 0; i < NP; i++) {
        struct model_post *m = &model[i];
        /* ids do not follow dates; some dates repeat; the last few are in the future */
        snprintf(m->id, sizeof(m->id), "2023-01-01-p%02d", (i * 17) % NP);
        m->date = NOW - 100000 + (int64_t)(i % 13) * 5000 + (i >= NP - 4 ? 200000 : 0);
        /* about one tag and domain in four each */
        m->tags = rnd(&seed) & rnd(&seed) & 0xff;
        m->domains = rnd(&seed) & rnd(&seed) & 0x7f;
        m->cats = rnd(&seed) & 0x7;
        m->words = rnd(&seed) & 0xf;
        m->author = (int)(rnd(&seed) % 4);
        struct post p;
        char title[128] = "Title";
        for (int w = 0; w < 4; w++)
            if (m->words & (1u << w)) {
                strcat(title, " ");
                strcat(title, word_pool[w]);
            }
        mk(&p, m->id, m->date, title);
        for (int t = 0; t < 8; t++)
            if (m->tags & (1u << t))
                push(&p.tags, &p.n_tags, tag_pool[t]);
        for (int d = 0; d < 7; d++)
            if (m->domains & (1u << d))
                push(&p.domains, &p.n_domains, domain_pool[d]);
        for (int c = 0; c < 3; c++)
            if (m->cats & (1u << c))
                push(&p.categories, &p.n_categories, category_pool[c]);
        p.author = xs(author_pool[m->author]);
        assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
        post_clear(&p);
    }
    assert_int_equal(store_commit(st, NOW), 0);
}

/* The rules of store.h, by brute force. */
static int model_tag_match(const char *tag, const char *v)
{
    if (ascii_casecmp(tag, v) == 0)
        return 1;
    char *a = store_slugify(tag), *b = store_slugify(v);
    int eq = a && b && b[0] && strcmp(a, b) == 0;
    free(a);
    free(b);
    return eq;
}

static int model_has_tag(const struct model_post *m, const char *v)
{
    for (int t = 0; t < 8; t++)
        if ((m->tags & (1u << t)) && model_tag_match(tag_pool[t], v))
            return 1;
    return 0;
}

static int model_has_domain(const struct model_post *m, const char *v)
{
    char host[128];
    snprintf(host, sizeof(host), "%s", v);
    post_domain_normalize(host);
    size_t hn = strlen(host);
    for (int d = 0; d < 7; d++) {
        if (!(m->domains & (1u << d)))
            continue;
        const char *x = domain_pool[d];
        size_t xn = strlen(x);
        if (strcmp(x, host) == 0 ||
            (xn > hn && x[xn - hn - 1] == '.' && strcmp(x + xn - hn, host) == 0))
            return 1;
    }
    return 0;
}

static int any_of(const struct store_strv *v, const struct model_post *m,
                  int (*has)(const struct model_post *, const char *))
{
    for (size_t i = 0; i < v->n; i++)
        if (has(m, v->v[i]))
            return 1;
    return 0;
}

static int model_has_author(const struct model_post *m, const char *v)
{
    return author_pool[m->author] && ascii_casecmp(author_pool[m->author], v) == 0;
}

static int model_has_category(const struct model_post *m, const char *v)
{
    for (int c = 0; c < 3; c++)
        if ((m->cats & (1u << c)) && ascii_casecmp(category_pool[c], v) == 0)
            return 1;
    return 0;
}

static int model_has_word(const struct model_post *m, const char *v)
{
    for (int w = 0; w < 4; w++)
        if ((m->words & (1u << w)) && strcmp(word_pool[w], v) == 0)
            return 1;
    return 0;
}

static int model_match(const struct model_post *m, const struct store_filter *f)
{
    if (!f->show_future && m->date > f->now)
        return 0;
    if (f->has_after && m->date < f->after)
        return 0;
    if (f->has_before && m->date >= f->before)
        return 0;
    if (f->q && !model_has_word(m, f->q))
        return 0;
    if (f->tag.n && !any_of(&f->tag, m, model_has_tag))
        return 0;
    for (size_t i = 0; i < f->tag_all.n; i++)
        if (!model_has_tag(m, f->tag_all.v[i]))
            return 0;
    if (any_of(&f->tag_not, m, model_has_tag))
        return 0;
    if (f->domain.n && !any_of(&f->domain, m, model_has_domain))
        return 0;
    if (any_of(&f->domain_not, m, model_has_domain))
        return 0;
    if (f->author.n && !any_of(&f->author, m, model_has_author))
        return 0;
    if (f->category.n && !any_of(&f->category, m, model_has_category))
        return 0;
    return 1;
}

static int cmp_date_desc(const void *a, const void *b)
{
    const struct model_post *x = *(const struct model_post *const *)a;
    const struct model_post *y = *(const struct model_post *const *)b;
    if (x->date != y->date)
        return x->date > y->date ? -1 : 1;
    return -strcmp(x->id, y->id);
}

/* Expected ids (newest first) and count for f. */
static char *model_list(const struct store_filter *f, int64_t *total)
{
    const struct model_post *v[NP];
    size_t n = 0;
    for (int i = 0; i < NP; i++)
        if (model_match(&model[i], f))
            v[n++] = &model[i];
    qsort(v, n, sizeof(v[0]), cmp_date_desc);
    char *s = calloc(1, NP * 40 + 1);
    assert_non_null(s);
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(s, ",");
        strcat(s, v[i]->id);
    }
    *total = (int64_t)n;
    return s;
}

/* One filter setting applied to a filter. */
struct atom {
    const char *name;
    void (*apply)(struct store_filter *f);
};

#define ATOM(fn, body)                                                                             \
    static void fn(struct store_filter *f)                                                         \
    {                                                                                              \
        body;                                                                                      \
    }
/* the values must outlive the call: static arrays, not compound literals */
#define ATOM_V(fn, field, ...)                                                                     \
    static void fn(struct store_filter *f)                                                         \
    {                                                                                              \
        static const char *const v[] = {__VA_ARGS__};                                              \
        f->field = (struct store_strv){v, sizeof(v) / sizeof(v[0])};                               \
    }
ATOM_V(a_tag_world, tag, "World News")
ATOM_V(a_tag_slug, tag, "WORLD-NEWS")
ATOM_V(a_tag_cpp, tag, "c++")
ATOM_V(a_tag_two, tag, "politics", "Science")
ATOM_V(a_tag_utf8, tag, "été")
ATOM_V(a_tag_none, tag, "nope")
ATOM_V(a_tag_all, tag_all, "politics", "science")
ATOM_V(a_tag_all1, tag_all, "world-news")
ATOM_V(a_tag_not, tag_not, "Politics")
ATOM_V(a_tag_not2, tag_not, "world news", "c")
ATOM_V(a_dom_nyt, domain, "nytimes.com")
ATOM_V(a_dom_www, domain, "WWW.NYTimes.com")
ATOM_V(a_dom_sub, domain, "cooking.nytimes.com")
ATOM_V(a_dom_two, domain, "bbc.co.uk", "npr.org")
ATOM_V(a_dom_uk, domain, "co.uk")
ATOM_V(a_dom_not, domain_not, "nytimes.com")
ATOM_V(a_dom_not2, domain_not, "news.bbc.co.uk", "npr.org")
ATOM_V(a_author, author, "Winston")
ATOM_V(a_author2, author, "ada", "nobody")
ATOM_V(a_cat, category, "tech")
ATOM_V(a_cat2, category, "NEWS", "misc")
ATOM(a_after, (f->has_after = 1, f->after = NOW - 100000 + 5 * 5000))
ATOM(a_before, (f->has_before = 1, f->before = NOW - 100000 + 7 * 5000))
ATOM(a_q, f->q = "korea")
ATOM(a_q2, f->q = "market")
ATOM(a_future, f->show_future = 1)

static const struct atom atoms[] = {
    {"tag", a_tag_world},
    {"tag slug", a_tag_slug},
    {"tag c++", a_tag_cpp},
    {"tag two", a_tag_two},
    {"tag utf8", a_tag_utf8},
    {"tag none", a_tag_none},
    {"tag_all", a_tag_all},
    {"tag_all1", a_tag_all1},
    {"tag_not", a_tag_not},
    {"tag_not2", a_tag_not2},
    {"domain", a_dom_nyt},
    {"domain www", a_dom_www},
    {"domain sub", a_dom_sub},
    {"domain two", a_dom_two},
    {"domain uk", a_dom_uk},
    {"domain_not", a_dom_not},
    {"domain_not2", a_dom_not2},
    {"author", a_author},
    {"author2", a_author2},
    {"category", a_cat},
    {"category2", a_cat2},
    {"after", a_after},
    {"before", a_before},
    {"q", a_q},
    {"q2", a_q2},
    {"future", a_future},
};
#define NATOMS (sizeof(atoms) / sizeof(atoms[0]))

static void check_filter(struct store *st, const struct store_filter *f, const char *what)
{
    struct store_list_req r = req_default();
    r.f = *f;
    int64_t total;
    char *want = model_list(f, &total);
    struct store_list l;
    assert_int_equal(store_posts_list(st, &r, &l), 0);
    char *got = ids_of(&l);
    if (strcmp(want, got) != 0 || l.total != total)
        fail_msg("%s: want %s (%lld), got %s (%lld)", what, want, (long long)total, got,
                 (long long)l.total);
    assert_int_equal(l.has_more, 0);
    free(got);
    store_list_clear(&l);
    /* the page mode agrees: first 3 and total */
    r.limit = 3;
    assert_int_equal(store_posts_list(st, &r, &l), 0);
    assert_int_equal(l.total, total);
    assert_int_equal(l.n, total < 3 ? (size_t)total : 3);
    assert_int_equal(l.has_more, total > 3);
    store_list_clear(&l);
    free(want);
}

static void test_filters(void **state)
{
    (void)state;
    struct store *st = open_rw("filters.db");
    build_model_db(st);
    struct store_filter f;
    int nonempty = 0;

    memset(&f, 0, sizeof(f));
    f.now = NOW;
    check_filter(st, &f, "none");
    for (size_t i = 0; i < NATOMS; i++) {
        memset(&f, 0, sizeof(f));
        f.now = NOW;
        atoms[i].apply(&f);
        check_filter(st, &f, atoms[i].name);
        int64_t total;
        free(model_list(&f, &total));
        nonempty += total > 0 && total < NP - 4;
        if (getenv("STORE_TEST_VERBOSE"))
            printf("%s: %lld\n", atoms[i].name, (long long)total);
    }
    /* the data make most filters select a real subset */
    assert_true(nonempty >= (int)NATOMS - 3);
    for (size_t i = 0; i < NATOMS; i++) {
        for (size_t j = i + 1; j < NATOMS; j++) {
            memset(&f, 0, sizeof(f));
            f.now = NOW;
            atoms[i].apply(&f);
            atoms[j].apply(&f);
            char what[128];
            snprintf(what, sizeof(what), "%s + %s", atoms[i].name, atoms[j].name);
            check_filter(st, &f, what);
        }
    }
    store_close(st);
}

/* ---- the tricky rules spelled out --------------------------------------------------- */

static void test_domain_rules(void **state)
{
    (void)state;
    struct store *st = open_rw("domains.db");
    /* d5 and d6 have rnames that start with "com.nytimes" but are other hosts */
    const char *doms[] = {"nytimes.com",          "cooking.nytimes.com", "notnytimes.com",
                          "nytimes.com.evil.org", "a.b.nytimes.com",     "nytimes-x.com",
                          "nytimesx.com"};
    char ids[7][32];
    assert_int_equal(store_begin(st), 0);
    for (int i = 0; i < 7; i++) {
        struct post p;
        snprintf(ids[i], sizeof(ids[i]), "2023-01-01-d%d", i);
        mk(&p, ids[i], 100 - i, "D");
        push(&p.domains, &p.n_domains, doms[i]);
        assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
        post_clear(&p);
    }
    assert_int_equal(store_commit(st, NOW), 0);
    struct store_list_req r = req_default();
    r.f.domain = STRV("nytimes.com");
    expect_list(st, &r, "2023-01-01-d0,2023-01-01-d1,2023-01-01-d4", 3);
    r.f.domain = STRV("www.nytimes.com");
    expect_list(st, &r, "2023-01-01-d0,2023-01-01-d1,2023-01-01-d4", 3);
    r.f.domain = STRV("NYTIMES.COM.");
    expect_list(st, &r, "2023-01-01-d0,2023-01-01-d1,2023-01-01-d4", 3);
    r.f.domain = STRV("cooking.nytimes.com");
    expect_list(st, &r, "2023-01-01-d1", 1);
    r.f.domain = STRV("times.com");
    expect_list(st, &r, "", 0);
    r.f.domain = STRV("b.nytimes.com");
    expect_list(st, &r, "2023-01-01-d4", 1);
    r.f.domain = STRV("org");
    expect_list(st, &r, "2023-01-01-d3", 1);
    r.f.domain = (struct store_strv){0};
    r.f.domain_not = STRV("www.nytimes.com");
    expect_list(st, &r, "2023-01-01-d2,2023-01-01-d3,2023-01-01-d5,2023-01-01-d6", 4);
    r.f.domain = STRV("com");
    expect_list(st, &r, "2023-01-01-d2,2023-01-01-d5,2023-01-01-d6", 3);

    assert_int_equal(store_term_exists(st, STORE_TERM_DOMAIN, "www.nytimes.com"), 0);
    assert_int_equal(store_term_exists(st, STORE_TERM_DOMAIN, "NYTimes.com"), 0);
    assert_int_equal(store_term_exists(st, STORE_TERM_DOMAIN, "b.nytimes.com"), 0);
    assert_int_equal(store_term_exists(st, STORE_TERM_DOMAIN, "times.com"), ST_NOTFOUND);
    assert_int_equal(store_term_exists(st, STORE_TERM_DOMAIN, "evil.com"), ST_NOTFOUND);
    store_close(st);
}

static void test_tag_rules(void **state)
{
    (void)state;
    struct store *st = open_rw("tags.db");
    const char *tags[] = {"World News", "world-news", "world news", "C++", "c", "!!!", "???"};
    char ids[7][32];
    assert_int_equal(store_begin(st), 0);
    for (int i = 0; i < 7; i++) {
        struct post p;
        snprintf(ids[i], sizeof(ids[i]), "2023-01-01-t%d", i);
        mk(&p, ids[i], 100 - i, "T");
        push(&p.tags, &p.n_tags, tags[i]);
        /* the same tag twice in other case: linked once */
        push(&p.tags, &p.n_tags, "dup");
        push(&p.tags, &p.n_tags, "DUP");
        assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
        post_clear(&p);
    }
    assert_int_equal(store_commit(st, NOW), 0);
    struct store_list_req r = req_default();
    /* name (any case) or slug */
    r.f.tag = STRV("world news");
    expect_list(st, &r, "2023-01-01-t0,2023-01-01-t1,2023-01-01-t2", 3);
    r.f.tag = STRV("WORLD-NEWS");
    expect_list(st, &r, "2023-01-01-t0,2023-01-01-t1,2023-01-01-t2", 3);
    r.f.tag = STRV("World  News!");
    expect_list(st, &r, "2023-01-01-t0,2023-01-01-t1,2023-01-01-t2", 3);
    r.f.tag = STRV("c++");
    expect_list(st, &r, "2023-01-01-t3,2023-01-01-t4", 2);
    /* an empty slug matches by name only */
    r.f.tag = STRV("!!!");
    expect_list(st, &r, "2023-01-01-t5", 1);
    r.f.tag = STRV("Dup");
    expect_list(st, &r,
                "2023-01-01-t0,2023-01-01-t1,2023-01-01-t2,2023-01-01-t3,2023-01-01-t4,"
                "2023-01-01-t5,2023-01-01-t6",
                7);

    /* "world news" is the same tag as "World News" (the first spelling) */
    struct store_terms t;
    assert_int_equal(store_terms_list(st, STORE_TERM_TAG, "wor", 1, 10, 0, NOW, 0, &t), 0);
    assert_int_equal(t.total, 2);
    assert_string_equal(t.items[0].name, "World News");
    assert_string_equal(t.items[0].slug, "world-news");
    assert_int_equal(t.items[0].count, 2);
    assert_string_equal(t.items[1].name, "world-news");
    assert_string_equal(t.items[1].slug, "world-news");
    assert_int_equal(t.items[1].count, 1);
    store_terms_clear(&t);
    assert_int_equal(store_terms_list(st, STORE_TERM_TAG, "dup", 1, 10, 0, NOW, 0, &t), 0);
    assert_int_equal(t.total, 1);
    assert_int_equal(t.items[0].count, 7);
    store_terms_clear(&t);
    struct post got;
    assert_int_equal(store_post_get(st, "2023-01-01-t2", NOW, 0, &got, NULL), 0);
    assert_int_equal(got.n_tags, 2);
    assert_string_equal(got.tags[0], "world news");
    assert_string_equal(got.tags[1], "dup");
    post_clear(&got);

    assert_int_equal(store_term_exists(st, STORE_TERM_TAG, "WORLD NEWS"), 0);
    assert_int_equal(store_term_exists(st, STORE_TERM_TAG, "world_news"), 0);
    assert_int_equal(store_term_exists(st, STORE_TERM_TAG, "?!?"), ST_NOTFOUND);
    assert_int_equal(store_term_exists(st, STORE_TERM_TAG, "world"), ST_NOTFOUND);
    store_close(st);
}

static void test_dates_and_future(void **state)
{
    (void)state;
    struct store *st = open_rw("dates.db");
    struct post p;
    assert_int_equal(store_begin(st), 0);
    mk(&p, "2023-01-01-early", 1000, "Early");
    p.author = xs("Ann");
    push(&p.tags, &p.n_tags, "shared");
    assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
    post_clear(&p);
    mk(&p, "2023-01-02-late", 2000, "Late");
    push(&p.tags, &p.n_tags, "shared");
    assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
    post_clear(&p);
    mk(&p, "2030-01-01-future", NOW + 1, "Future");
    p.author = xs("Zed");
    push(&p.tags, &p.n_tags, "shared");
    push(&p.tags, &p.n_tags, "futuristic");
    assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
    post_clear(&p);
    assert_int_equal(store_commit(st, NOW), 0);

    struct store_list_req r = req_default();
    r.f.has_after = 1;
    r.f.after = 1000;
    expect_list(st, &r, "2023-01-02-late,2023-01-01-early", 2);
    r.f.after = 1001;
    expect_list(st, &r, "2023-01-02-late", 1);
    r.f.has_after = 0;
    r.f.has_before = 1;
    r.f.before = 2000;
    expect_list(st, &r, "2023-01-01-early", 1);
    r.f.before = 2001;
    expect_list(st, &r, "2023-01-02-late,2023-01-01-early", 2);
    r.f.has_after = 1;
    r.f.after = 2000;
    r.f.before = 2000;
    expect_list(st, &r, "", 0);

    /* the future post: hidden until its time, or with show_future */
    r = req_default();
    expect_list(st, &r, "2023-01-02-late,2023-01-01-early", 2);
    r.f.now = NOW + 1;
    expect_list(st, &r, "2030-01-01-future,2023-01-02-late,2023-01-01-early", 3);
    r.f.now = NOW;
    r.f.show_future = 1;
    expect_list(st, &r, "2030-01-01-future,2023-01-02-late,2023-01-01-early", 3);
    struct store_meta m;
    assert_int_equal(store_meta_get(st, NOW, 0, &m), 0);
    assert_int_equal(m.posts, 2);
    assert_int_equal(store_meta_get(st, NOW, 1, &m), 0);
    assert_int_equal(m.posts, 3);
    struct post got;
    assert_int_equal(store_post_get(st, "2030-01-01-future", NOW, 0, &got, NULL), ST_NOTFOUND);
    assert_int_equal(store_post_get(st, "future", NOW, 0, &got, NULL), ST_NOTFOUND);
    assert_int_equal(store_post_get(st, "future", NOW, 1, &got, NULL), 0);
    post_clear(&got);
    assert_int_equal(store_post_get(st, "2030-01-01-future", NOW + 1, 0, &got, NULL), 0);
    post_clear(&got);

    struct store_terms t;
    assert_int_equal(store_terms_list(st, STORE_TERM_TAG, NULL, 0, 10, 0, NOW, 0, &t), 0);
    assert_int_equal(t.total, 1);
    assert_string_equal(t.items[0].name, "shared");
    assert_int_equal(t.items[0].count, 2);
    assert_int_equal(t.items[0].latest, 2000);
    store_terms_clear(&t);
    assert_int_equal(store_terms_list(st, STORE_TERM_TAG, NULL, 0, 10, 0, NOW, 1, &t), 0);
    assert_int_equal(t.total, 2);
    assert_string_equal(t.items[0].name, "shared");
    assert_int_equal(t.items[0].count, 3);
    assert_int_equal(t.items[0].latest, NOW + 1);
    assert_string_equal(t.items[1].name, "futuristic");
    store_terms_clear(&t);
    assert_int_equal(store_terms_list(st, STORE_TERM_AUTHOR, NULL, 1, 10, 0, NOW, 0, &t), 0);
    assert_int_equal(t.total, 1);
    assert_string_equal(t.items[0].name, "Ann");
    assert_string_equal(t.items[0].slug, "ann");
    store_terms_clear(&t);
    store_close(st);
}

/* ---- sorts and keyset walks ------------------------------------------------------- */

struct sp {
    char id[40];
    char title[40];
    int64_t date, updated;
    double score;
    int seventh; /* tagged "seventh" (every 7th post): a filter below the walk threshold */
};

static enum store_sort cmp_sort;

static int title_cmp(const char *a, const char *b)
{
    return ascii_casecmp(a, b);
}

static int cmp_sp(const void *a, const void *b)
{
    const struct sp *x = a, *y = b;
    int c = 0;
    switch (cmp_sort) {
    case STORE_SORT_DATE_DESC:
        c = x->date != y->date ? (x->date > y->date ? -1 : 1) : -strcmp(x->id, y->id);
        break;
    case STORE_SORT_DATE_ASC:
        c = x->date != y->date ? (x->date < y->date ? -1 : 1) : strcmp(x->id, y->id);
        break;
    case STORE_SORT_TITLE_ASC:
        c = title_cmp(x->title, y->title);
        c = c ? c : strcmp(x->id, y->id);
        break;
    case STORE_SORT_TITLE_DESC:
        c = title_cmp(x->title, y->title);
        c = c ? -c : -strcmp(x->id, y->id);
        break;
    case STORE_SORT_UPDATED_DESC:
        c = x->updated != y->updated ? (x->updated > y->updated ? -1 : 1) : -strcmp(x->id, y->id);
        break;
    case STORE_SORT_RELEVANCE:
        c = x->score != y->score ? (x->score > y->score ? -1 : 1) : strcmp(x->id, y->id);
        break;
    }
    return c;
}

#define NK 1000

static struct sp kposts[NK];

static void build_keyset_db(struct store *st)
{
    static const char *titles[] = {"apple",      "Apple", "banana", "Cherry",
                                   "cherry pie", "Date",  "éclair"};
    unsigned seed = 99;
    for (int batch = 0; batch < 2; batch++) {
        assert_int_equal(store_begin(st), 0);
        for (int i = batch * NK / 2; i < (batch + 1) * NK / 2; i++) {
            struct sp *k = &kposts[i];
            snprintf(k->id, sizeof(k->id), "2023-05-05-k%04u", (unsigned)(i * 7919) % 10007);
            snprintf(k->title, sizeof(k->title), "%s", titles[rnd(&seed) % 7]);
            k->date = 1000000 + (int64_t)(rnd(&seed) % 100) * 60; /* ~10 posts per date */
            k->updated = NOW - 10 + batch;
            struct post p;
            mk(&p, k->id, k->date, k->title);
            push(&p.tags, &p.n_tags, "all");
            k->seventh = i % 7 == 0;
            if (k->seventh)
                push(&p.tags, &p.n_tags, "seventh");
            /* 1-3 "alpha"s: many posts tie on relevance */
            p.description = xs(i % 3 == 0   ? "alpha"
                               : i % 3 == 1 ? "alpha alpha beta"
                                            : "alpha x y");
            assert_int_equal(store_post_put(st, &p, "h", k->updated), 0);
            post_clear(&p);
        }
        assert_int_equal(store_commit(st, NOW), 0);
    }
}

/* Walks every page of req (limit per page), by cursor or by offset; returns
 * the ids joined with ",", checks has_more and total on the way. */
static char *walk(struct store *st, struct store_list_req req, int by_cursor, double *scores,
                  size_t want)
{
    size_t cap = NK * 20 + 1, seen = 0;
    char *s = calloc(1, cap);
    assert_non_null(s);
    struct store_list prev = {0}, l;
    for (int page = 0;; page++) {
        assert_true(page <= NK);
        if (by_cursor && page > 0) {
            req.after = prev.last;
        } else if (!by_cursor) {
            req.offset = (int64_t)page * req.limit;
        }
        assert_int_equal(store_posts_list(st, &req, &l), 0);
        store_list_clear(&prev);
        assert_int_equal(l.total, want);
        for (size_t i = 0; i < l.n; i++) {
            if (seen)
                strcat(s, ",");
            strcat(s, l.items[i].id);
            if (scores) {
                scores[seen] = l.scores[i];
                for (int j = 0; j < NK; j++)
                    if (strcmp(kposts[j].id, l.items[i].id) == 0)
                        kposts[j].score = l.scores[i];
            }
            seen++;
        }
        if (!l.has_more) {
            assert_int_equal(seen, want);
            store_list_clear(&l);
            break;
        }
        assert_int_equal(l.n, (size_t)req.limit);
        prev = l;
    }
    return s;
}

static char *expected_order(enum store_sort sort, int seventh)
{
    static struct sp v[NK];
    int n = 0;
    for (int i = 0; i < NK; i++)
        if (!seventh || kposts[i].seventh)
            v[n++] = kposts[i];
    cmp_sort = sort;
    qsort(v, (size_t)n, sizeof(v[0]), cmp_sp);
    char *s = calloc(1, NK * 20 + 1);
    assert_non_null(s);
    for (int i = 0; i < n; i++) {
        if (i)
            strcat(s, ",");
        strcat(s, v[i].id);
    }
    return s;
}

static void test_sorts_and_keyset(void **state)
{
    (void)state;
    struct store *st = open_rw("keyset.db");
    build_keyset_db(st);
    const enum store_sort sorts[] = {STORE_SORT_DATE_DESC, STORE_SORT_DATE_ASC,
                                     STORE_SORT_TITLE_ASC, STORE_SORT_TITLE_DESC,
                                     STORE_SORT_UPDATED_DESC};
    /* no filter; a tag on every post (pages walk the sort index, testing the
     * filter per row); a tag on every 7th (the tagged rows are sorted) */
    const char *tag_all[] = {"all"}, *tag_7th[] = {"seventh"};
    for (int filter = 0; filter < 3; filter++) {
        for (size_t i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++) {
            struct store_list_req r = req_default();
            r.sort = sorts[i];
            r.limit = 37;
            if (filter)
                r.f.tag = (struct store_strv){filter == 1 ? tag_all : tag_7th, 1};
            size_t n = filter == 2 ? (NK + 6) / 7 : NK;
            char *want = expected_order(sorts[i], filter == 2);
            char *by_cursor = walk(st, r, 1, NULL, n);
            char *by_offset = walk(st, r, 0, NULL, n);
            if (strcmp(want, by_cursor) != 0)
                fail_msg("sort %d, filter %d: cursor walk differs from the expected order",
                         (int)sorts[i], filter);
            assert_string_equal(by_offset, by_cursor);
            free(want);
            free(by_cursor);
            free(by_offset);
            /* the walk: the sort's index, no sorting */
            char *plan = NULL;
            r.after = (struct store_key){.set = 1, .num = 1, .text = "a", .id = "x"};
            assert_int_equal(store_list_plan(st, &r, &plan), 0);
            if (filter < 2 && strstr(plan, "TEMP B-TREE"))
                fail_msg("sort %d, filter %d: unexpected plan:\n%s", (int)sorts[i], filter, plan);
            free(plan);
        }
    }

    /* relevance: scores never increase, ties go by id, both walks agree */
    static double scores[NK];
    struct store_list_req r = req_default();
    r.sort = STORE_SORT_RELEVANCE;
    r.f.q = "alpha";
    r.limit = 41;
    char *by_cursor = walk(st, r, 1, scores, NK);
    char *by_offset = walk(st, r, 0, NULL, NK);
    assert_string_equal(by_offset, by_cursor);
    int distinct = 0;
    for (int i = 1; i < NK; i++) {
        assert_true(scores[i] <= scores[i - 1]);
        distinct += scores[i] != scores[i - 1];
    }
    assert_true(distinct >= 2); /* three kinds of text: three scores */
    char *want = expected_order(STORE_SORT_RELEVANCE, 0);
    assert_string_equal(want, by_cursor);
    free(want);
    free(by_cursor);
    free(by_offset);

    /* a cursor past the end: empty page, no more */
    struct store_list l;
    r = req_default();
    r.after = (struct store_key){.set = 1, .num = 0, .id = ""};
    assert_int_equal(store_posts_list(st, &r, &l), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.has_more, 0);
    assert_int_equal(l.total, NK);
    assert_int_equal(l.last.set, 0);
    store_list_clear(&l);
    /* a page past the end */
    r = req_default();
    r.limit = 10;
    r.offset = NK;
    assert_int_equal(store_posts_list(st, &r, &l), 0);
    assert_int_equal(l.n, 0);
    assert_int_equal(l.total, NK);
    store_list_clear(&l);

    /* bad requests */
    r = req_default();
    r.limit = 0;
    assert_int_equal(store_posts_list(st, &r, &l), ST_INVALID);
    r = req_default();
    r.sort = STORE_SORT_RELEVANCE;
    assert_int_equal(store_posts_list(st, &r, &l), ST_INVALID);
    r = req_default();
    r.sort = STORE_SORT_TITLE_ASC;
    r.after = (struct store_key){.set = 1, .id = "x"};
    assert_int_equal(store_posts_list(st, &r, &l), ST_INVALID);
    r = req_default();
    r.offset = -1;
    assert_int_equal(store_posts_list(st, &r, &l), ST_INVALID);
    store_close(st);
}

static void expect_plan(struct store *st, const struct store_list_req *r, const char *index)
{
    char *plan = NULL;
    assert_int_equal(store_list_plan(st, r, &plan), 0);
    if (!strstr(plan, index) || strstr(plan, "TEMP B-TREE") || strstr(plan, "SCAN p "))
        fail_msg("sort %d: unexpected plan:\n%s", (int)r->sort, plan);
    free(plan);
}

static void test_query_plans(void **state)
{
    (void)state;
    struct store *st = open_rw("plans.db");
    struct post p;
    assert_int_equal(store_begin(st), 0);
    for (int i = 0; i < 50; i++) {
        char id[32];
        snprintf(id, sizeof(id), "2023-01-01-plan%02d", i);
        mk(&p, id, i / 5, i % 2 ? "odd" : "even");
        assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
        post_clear(&p);
    }
    assert_int_equal(store_commit(st, NOW), 0);
    struct store_list_req r = req_default();
    struct {
        enum store_sort sort;
        const char *index;
    } cases[] = {
        {STORE_SORT_DATE_DESC, "posts_date ((date_utc,id)<(?,?))"},
        {STORE_SORT_DATE_ASC, "posts_date ((date_utc,id)>(?,?)"},
        {STORE_SORT_TITLE_ASC, "posts_title ((title,id)>(?,?))"},
        {STORE_SORT_TITLE_DESC, "posts_title ((title,id)<(?,?))"},
        {STORE_SORT_UPDATED_DESC, "posts_updated ((updated_at,id)<(?,?))"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        for (int future = 0; future < 2; future++) {
            r = req_default();
            r.sort = cases[i].sort;
            r.f.show_future = future;
            r.limit = 20;
            r.after = (struct store_key){.set = 1, .num = 1000000, .text = "apple", .id = "x"};
            expect_plan(st, &r, cases[i].index);
        }
    }
    /* the first page of the default order walks the index too */
    r = req_default();
    r.limit = 20;
    expect_plan(st, &r, "posts_date");
    store_close(st);
}

/* ---- slugs, terms, search ------------------------------------------------------------ */

static void test_slug_ambiguity(void **state)
{
    (void)state;
    struct store *st = open_rw("slug.db");
    struct post p;
    const char *ids[] = {"2023-08-01-article_metadata", "2023-08-03-article_metadata",
                         "2023-08-02-article_metadata", "2031-01-01-article_metadata"};
    const int64_t dates[] = {1000, 3000, 2000, NOW + 100};
    assert_int_equal(store_begin(st), 0);
    for (int i = 0; i < 4; i++) {
        mk(&p, ids[i], dates[i], "Meta");
        assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
        post_clear(&p);
    }
    assert_int_equal(store_commit(st, NOW), 0);
    struct post got;
    struct store_ids c = {0};
    assert_int_equal(store_post_get(st, "article_metadata", NOW, 0, &got, &c), ST_AMBIGUOUS);
    assert_null(got.id);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.ids[0], "2023-08-03-article_metadata");
    assert_string_equal(c.ids[1], "2023-08-02-article_metadata");
    assert_string_equal(c.ids[2], "2023-08-01-article_metadata");
    store_ids_clear(&c);
    assert_int_equal(c.n, 0);
    store_ids_clear(NULL);
    assert_int_equal(store_post_get(st, "article_metadata", NOW, 1, &got, &c), ST_AMBIGUOUS);
    assert_int_equal(c.n, 4);
    assert_string_equal(c.ids[0], "2031-01-01-article_metadata");
    store_ids_clear(&c);
    assert_int_equal(store_post_get(st, "article_metadata", NOW, 0, &got, NULL), ST_AMBIGUOUS);
    /* ids still work */
    assert_int_equal(store_post_get(st, ids[2], NOW, 0, &got, &c), 0);
    assert_int_equal(got.date_utc, 2000);
    assert_int_equal(c.n, 0);
    post_clear(&got);

    /* once only one is visible, the slug finds it */
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_post_delete(st, ids[0]), 0);
    assert_int_equal(store_post_delete(st, ids[1]), 0);
    assert_int_equal(store_commit(st, NOW), 0);
    assert_int_equal(store_post_get(st, "article_metadata", NOW, 0, &got, &c), 0);
    assert_string_equal(got.id, ids[2]);
    assert_int_equal(c.n, 0);
    post_clear(&got);
    store_close(st);
}

static void test_terms(void **state)
{
    (void)state;
    struct store *st = open_rw("terms.db");
    /* tag counts: go 3, c 2, Rust 2, a_b 1, ab 1, "50%" 1 */
    struct {
        const char *id;
        int64_t date;
        const char *tags[4];
        const char *cats[2];
        const char *domain;
    } rows[] = {
        {"2023-01-01-a", 100, {"go", "Rust", "a_b"}, {"Dev", NULL}, "go.dev"},
        {"2023-01-02-b", 300, {"GO", "c", "50%"}, {"dev", "News"}, "blog.go.dev"},
        {"2023-01-03-c", 200, {"go", "rust", "ab"}, {NULL, NULL}, "rust-lang.org"},
        {"2023-01-04-d", 250, {"c", NULL}, {"News", NULL}, "www.rust-lang.org"},
    };
    assert_int_equal(store_begin(st), 0);
    for (size_t i = 0; i < 4; i++) {
        struct post p;
        mk(&p, rows[i].id, rows[i].date, "T");
        for (int t = 0; t < 4 && rows[i].tags[t]; t++)
            push(&p.tags, &p.n_tags, rows[i].tags[t]);
        for (int c = 0; c < 2 && rows[i].cats[c]; c++)
            push(&p.categories, &p.n_categories, rows[i].cats[c]);
        char host[64];
        snprintf(host, sizeof(host), "%s", rows[i].domain);
        push(&p.domains, &p.n_domains, post_domain_normalize(host));
        assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
        post_clear(&p);
    }
    assert_int_equal(store_commit(st, NOW), 0);

    struct store_terms t;
    /* by count, ties by name (case-insensitive) */
    assert_int_equal(store_terms_list(st, STORE_TERM_TAG, NULL, 0, 10, 0, NOW, 0, &t), 0);
    assert_int_equal(t.total, 6);
    assert_int_equal(t.n, 6);
    const char *by_count[] = {"go", "c", "Rust", "50%", "a_b", "ab"};
    const int64_t counts[] = {3, 2, 2, 1, 1, 1};
    const int64_t latest[] = {300, 300, 200, 300, 100, 200};
    for (int i = 0; i < 6; i++) {
        assert_string_equal(t.items[i].name, by_count[i]);
        assert_int_equal(t.items[i].count, counts[i]);
        assert_int_equal(t.items[i].latest, latest[i]);
    }
    assert_string_equal(t.items[3].slug, "50");
    assert_string_equal(t.items[4].slug, "a-b");
    store_terms_clear(&t);
    /* by name, paged */
    assert_int_equal(store_terms_list(st, STORE_TERM_TAG, NULL, 1, 2, 2, NOW, 0, &t), 0);
    assert_int_equal(t.total, 6);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.items[0].name, "ab");
    assert_string_equal(t.items[1].name, "c");
    store_terms_clear(&t);
    assert_int_equal(store_terms_list(st, STORE_TERM_TAG, NULL, 1, 2, 6, NOW, 0, &t), 0);
    assert_int_equal(t.total, 6);
    assert_int_equal(t.n, 0);
    store_terms_clear(&t);
    /* prefixes: case-insensitive, wildcards literal */
    assert_int_equal(store_terms_list(st, STORE_TERM_TAG, "A_", 1, 10, 0, NOW, 0, &t), 0);
    assert_int_equal(t.total, 1);
    assert_string_equal(t.items[0].name, "a_b");
    store_terms_clear(&t);
    assert_int_equal(store_terms_list(st, STORE_TERM_TAG, "5", 1, 10, 0, NOW, 0, &t), 0);
    assert_int_equal(t.total, 1);
    store_terms_clear(&t);
    assert_int_equal(store_terms_list(st, STORE_TERM_TAG, "%", 1, 10, 0, NOW, 0, &t), 0);
    assert_int_equal(t.total, 0);
    store_terms_clear(&t);
    assert_int_equal(store_terms_list(st, STORE_TERM_TAG, "RU", 1, 10, 0, NOW, 0, &t), 0);
    assert_int_equal(t.total, 1);
    assert_string_equal(t.items[0].name, "Rust");
    assert_string_equal(t.items[0].slug, "rust");
    store_terms_clear(&t);
    /* a time before some posts: counts shrink */
    assert_int_equal(store_terms_list(st, STORE_TERM_TAG, "go", 1, 10, 0, 150, 0, &t), 0);
    assert_int_equal(t.items[0].count, 1);
    assert_int_equal(t.items[0].latest, 100);
    store_terms_clear(&t);
    /* domains: normalized names, no slug, prefix ignores www. */
    assert_int_equal(store_terms_list(st, STORE_TERM_DOMAIN, NULL, 0, 10, 0, NOW, 0, &t), 0);
    assert_int_equal(t.total, 3);
    assert_string_equal(t.items[0].name, "rust-lang.org");
    assert_int_equal(t.items[0].count, 2);
    assert_null(t.items[0].slug);
    assert_string_equal(t.items[1].name, "blog.go.dev");
    assert_string_equal(t.items[2].name, "go.dev");
    store_terms_clear(&t);
    assert_int_equal(store_terms_list(st, STORE_TERM_DOMAIN, "www.RUST", 0, 10, 0, NOW, 0, &t), 0);
    assert_int_equal(t.total, 1);
    store_terms_clear(&t);
    /* categories */
    assert_int_equal(store_terms_list(st, STORE_TERM_CATEGORY, NULL, 1, 10, 0, NOW, 0, &t), 0);
    assert_int_equal(t.total, 2);
    assert_string_equal(t.items[0].name, "Dev");
    assert_int_equal(t.items[0].count, 2);
    assert_string_equal(t.items[1].name, "News");
    assert_int_equal(t.items[1].count, 2);
    store_terms_clear(&t);
    assert_int_equal(store_term_exists(st, STORE_TERM_CATEGORY, "DEV"), 0);
    assert_int_equal(store_term_exists(st, STORE_TERM_CATEGORY, "de"), ST_NOTFOUND);
    assert_int_equal(store_term_exists(st, STORE_TERM_AUTHOR, "anyone"), ST_NOTFOUND);
    assert_int_equal(store_terms_list(st, STORE_TERM_TAG, NULL, 1, 0, 0, NOW, 0, &t), ST_INVALID);
    store_close(st);
}

static void test_search(void **state)
{
    (void)state;
    struct store *st = open_rw("fts.db");
    struct post p;
    assert_int_equal(store_begin(st), 0);
    mk(&p, "2023-01-01-title", 100, "North Korea summit");
    push(&p.tags, &p.n_tags, "asia");
    assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
    post_clear(&p);
    mk(&p, "2023-01-02-answer", 200, "Something else");
    add_question(&p, "Who met?", "The leaders of north korea and russia met <here> & there.");
    assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
    post_clear(&p);
    mk(&p, "2023-01-03-body", 300, "Body only");
    p.body_text = xs("An introduction about Korea without questions.");
    p.summary_text = xs("Summary mentions Pyongyang.");
    push(&p.tags, &p.n_tags, "asia");
    assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
    post_clear(&p);
    mk(&p, "2023-01-04-none", 400, "Unrelated");
    p.description = xs("Café in Zürich");
    assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
    post_clear(&p);
    assert_int_equal(store_commit(st, NOW), 0);

    struct store_list_req r = req_default();
    expect_search(st, &r, "korea", "2023-01-03-body,2023-01-02-answer,2023-01-01-title", 3);
    /* the body text of a post without questions is kept (and searched) */
    struct post got;
    assert_int_equal(store_post_get(st, "2023-01-03-body", NOW, 0, &got, NULL), 0);
    assert_string_equal(got.body_text, "An introduction about Korea without questions.");
    post_clear(&got);
    expect_search(st, &r, "north korea", "2023-01-02-answer,2023-01-01-title", 2);
    expect_search(st, &r, "\"korea and russia\"", "2023-01-02-answer", 1);
    expect_search(st, &r, "pyongyang", "2023-01-03-body", 1);
    expect_search(st, &r, "cafe zurich", "2023-01-04-none", 1); /* diacritics folded */
    r.f.q = "kore*";
    r.f.tag = STRV("asia");
    expect_list(st, &r, "2023-01-03-body,2023-01-01-title", 2);
    r.f.tag = (struct store_strv){0};

    /* relevance: the title match first; scores and snippets come along */
    r.f.q = "korea";
    r.sort = STORE_SORT_RELEVANCE;
    struct store_list l;
    assert_int_equal(store_posts_list(st, &r, &l), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.items[0].id, "2023-01-01-title");
    assert_non_null(l.scores);
    assert_true(l.scores[0] > l.scores[1] && l.scores[1] >= l.scores[2] && l.scores[2] > 0);
    assert_non_null(l.snippets);
    assert_non_null(strstr(l.snippets[0], "<mark>Korea</mark>"));
    char *s1 = NULL;
    for (size_t i = 0; i < l.n; i++)
        if (strcmp(l.items[i].id, "2023-01-02-answer") == 0)
            s1 = l.snippets[i];
    assert_non_null(s1);
    assert_non_null(strstr(s1, "<mark>korea</mark>"));
    assert_non_null(strstr(s1, "&lt;here&gt; &amp; there"));
    assert_int_equal(l.last.set, 1);
    assert_true(l.last.score == l.scores[2]);
    store_list_clear(&l);

    /* syntax errors are the client's: ST_INVALID, never ST_DB */
    const char *bad[] = {"kim's", "\"unbalanced", "nosuchcolumn: x", "AND", "(korea", "a OR"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (int sort = 0; sort < 2; sort++) {
            r = req_default();
            r.f.q = bad[i];
            r.sort = sort ? STORE_SORT_RELEVANCE : STORE_SORT_DATE_DESC;
            assert_int_equal(store_posts_list(st, &r, &l), ST_INVALID);
            assert_int_equal(l.n, 0);
            assert_null(l.items);
        }
    }
    store_close(st);
}

/* ---- connections ------------------------------------------------------------------- */

static void test_connections(void **state)
{
    (void)state;
    struct store *rw = open_rw("conn.db");
    struct store *ro = NULL;
    assert_int_equal(store_open(&ro, db_path("conn.db"), STORE_READONLY), 0);
    assert_int_equal(store_data_changed(ro), 0);

    struct post p;
    mk(&p, "2023-03-01-one", 100, "One");
    put_one(rw, &p, NOW);
    post_clear(&p);
    assert_int_equal(store_data_changed(ro), 1);
    assert_int_equal(store_data_changed(ro), 0);
    assert_int_equal(store_data_changed(rw), 0); /* its own commits do not count */

    /* a read snapshot does not see a commit made while it is open */
    struct store_meta m;
    assert_int_equal(store_read_begin(ro), 0);
    assert_int_equal(store_meta_get(ro, NOW, 0, &m), 0);
    assert_int_equal(m.posts, 1);
    mk(&p, "2023-03-02-two", 200, "Two");
    put_one(rw, &p, NOW);
    post_clear(&p);
    assert_int_equal(store_meta_get(ro, NOW, 0, &m), 0);
    assert_int_equal(m.posts, 1);
    assert_int_equal(m.generation, 1);
    store_read_end(ro);
    store_read_end(ro); /* no snapshot open: harmless */
    assert_int_equal(store_meta_get(ro, NOW, 0, &m), 0);
    assert_int_equal(m.posts, 2);
    assert_int_equal(m.generation, 2);
    assert_int_equal(store_data_changed(ro), 1);

    /* a writer's open transaction is invisible to readers */
    assert_int_equal(store_begin(rw), 0);
    mk(&p, "2023-03-03-three", 300, "Three");
    assert_int_equal(store_post_put(rw, &p, "h", NOW), 0);
    post_clear(&p);
    assert_int_equal(store_meta_get(ro, NOW, 0, &m), 0);
    assert_int_equal(m.posts, 2);
    store_rollback(rw);

    /* the read-only connection cannot write */
    mk(&p, "2023-03-04-ro", 400, "RO");
    int rc = store_begin(ro);
    if (rc == 0)
        rc = store_post_put(ro, &p, "h", NOW);
    assert_true(rc < 0);
    store_rollback(ro);
    assert_true(store_post_delete(ro, "2023-03-01-one") < 0);
    post_clear(&p);
    struct post got;
    assert_int_equal(store_post_get(rw, "2023-03-04-ro", NOW, 0, &got, NULL), ST_NOTFOUND);
    assert_int_equal(store_post_get(rw, "2023-03-01-one", NOW, 0, &got, NULL), 0);
    post_clear(&got);

    store_close(ro);
    store_close(rw);
}

/* ---- the search index kept in step ------------------------------------------------------ */

/* The index must have been fed exactly the text the view posts_search gives
 * (external content), the declared foreign keys must hold (the store writes
 * with enforcement off), and no row may be left behind. */
static void check_consistent(const char *name)
{
    raw_exec(name, "INSERT INTO posts_fts (posts_fts) VALUES ('integrity-check')");
    assert_int_equal(raw_int(name, "SELECT count(*) FROM pragma_foreign_key_check"), 0);
    assert_int_equal(raw_int(name, "SELECT count(*) FROM posts"),
                     raw_int(name, "SELECT count(*) FROM post_bodies"));
    assert_int_equal(raw_int(name, "SELECT count(*) FROM posts_fts_docsize"),
                     raw_int(name, "SELECT count(*) FROM posts"));
}

/* Posts of every shape the search text can take: questions with a NULL
 * heading, empty and NULL answers, a body without questions, no text. */
static void shaped(struct post *p, const char *id, int shape, const char *word)
{
    char buf[200];
    mk(p, id, 1000 + shape, "Shaped");
    snprintf(buf, sizeof(buf), "description %s", word);
    p->description = xs(buf);
    switch (shape % 5) {
    case 0:
        snprintf(buf, sizeof(buf), "answer about %s", word);
        add_question(p, "First?", buf);
        add_question(p, "Second?", "");
        free(p->questions[0].question);
        p->questions[0].question = NULL;
        break;
    case 1:
        add_question(p, "Only?", "x");
        free(p->questions[0].answer_text);
        p->questions[0].answer_text = NULL;
        p->body_text = xs("body that is not searched because there are questions");
        break;
    case 2:
        snprintf(buf, sizeof(buf), "body about %s", word);
        p->body_text = xs(buf);
        p->summary_text = xs("a summary");
        break;
    case 3:
        snprintf(buf, sizeof(buf), "summary %s", word);
        p->summary_text = xs(buf);
        break;
    default:
        break; /* title and description only */
    }
}

/* Begins a transaction and puts 20 posts of every shape (ids MONTH-DD-<tag>N,
 * N = 0..19, dated in that order) containing word. */
static void put_shaped(struct store *st, const char *month, const char *tag, const char *word)
{
    struct post p;
    char id[64];
    assert_int_equal(store_begin(st), 0);
    for (int i = 0; i < 20; i++) {
        snprintf(id, sizeof(id), "%s-%02d-%s%d", month, i + 1, tag, i);
        shaped(&p, id, i, word);
        assert_int_equal(store_post_put(st, &p, "h", NOW), 0);
        post_clear(&p);
    }
}

static int push_id(const char *id, void *arg)
{
    struct store_ids *ids = arg;
    ids->ids = realloc(ids->ids, (ids->n + 1) * sizeof(*ids->ids));
    assert_non_null(ids->ids);
    ids->ids[ids->n++] = xs(id);
    return 0;
}

static void test_search_index_in_step(void **state)
{
    (void)state;
    struct store *st = open_rw("step.db");
    struct post p;
    char id[32];
    struct store_list_req r = req_default();

    put_shaped(st, "2023-02", "p", "alpha");
    assert_int_equal(store_commit(st, NOW), 0);
    check_consistent("step.db");
    int64_t rid7 = raw_int("step.db", "SELECT rid FROM posts WHERE id = '2023-02-08-p7'");

    /* every post changes shape, in the opposite order to their rids, one
     * twice and one deleted after it changed, in one transaction */
    assert_int_equal(store_begin(st), 0);
    for (int i = 19; i >= 0; i--) {
        snprintf(id, sizeof(id), "2023-02-%02d-p%d", i + 1, i);
        shaped(&p, id, i + 1, "bravo");
        assert_int_equal(store_post_put(st, &p, "h", NOW + 1), 0);
        post_clear(&p);
    }
    shaped(&p, "2023-02-08-p7", 2, "charlie");
    assert_int_equal(store_post_put(st, &p, "h", NOW + 1), 0);
    post_clear(&p);
    assert_int_equal(store_post_delete(st, "2023-02-10-p9"), 0);
    /* a new post, put and deleted in the same transaction */
    shaped(&p, "2023-03-01-new", 0, "delta");
    assert_int_equal(store_post_put(st, &p, "h", NOW + 1), 0);
    post_clear(&p);
    assert_int_equal(store_post_delete(st, "2023-03-01-new"), 0);
    assert_int_equal(store_commit(st, NOW + 1), 0);
    check_consistent("step.db");

    /* a changed post keeps its row */
    assert_int_equal(raw_int("step.db", "SELECT rid FROM posts WHERE id = '2023-02-08-p7'"), rid7);
    assert_int_equal(raw_int("step.db", "SELECT count(*) FROM posts"), 19);
    /* the old words are gone, the new ones found where the shapes put them */
    expect_search(st, &r, "alpha", "", 0);
    expect_search(st, &r, "delta", "", 0);
    expect_search(st, &r, "charlie", "2023-02-08-p7", 1);
    r.f.q = "bravo";
    struct store_list l;
    assert_int_equal(store_posts_list(st, &r, &l), 0);
    assert_int_equal(l.total, 18); /* all but p7 (charlie) and p9 (deleted) */
    store_list_clear(&l);
    /* an answer is searched; a body is not when there are questions */
    r.f.q = "answer";
    assert_int_equal(store_posts_list(st, &r, &l), 0);
    assert_true(l.total >= 3);
    store_list_clear(&l);
    expect_search(st, &r, "searched", "", 0);

    /* everything deleted, one at a time outside a transaction, then again */
    struct store_ids all = {0};
    assert_int_equal(store_post_ids(st, push_id, &all), 0);
    assert_int_equal(all.n, 19);
    for (size_t i = 0; i < all.n; i++)
        assert_int_equal(store_post_delete(st, all.ids[i]), 0);
    store_ids_clear(&all);
    check_consistent("step.db");
    assert_int_equal(raw_int("step.db", "SELECT count(*) FROM posts_fts_docsize"), 0);
    assert_int_equal(raw_int("step.db", "SELECT count(*) FROM post_questions"), 0);
    assert_int_equal(raw_int("step.db", "SELECT count(*) FROM tags"), 0);
    store_close(st);
}

/* ---- a first ingest's database (STORE_NEW) --------------------------------------------- */

static int exists(const char *name)
{
    struct stat sb;
    return stat(db_path(name), &sb) == 0;
}

static void write_junk(const char *name)
{
    FILE *f = fopen(db_path(name), "w");
    assert_non_null(f);
    fputs("junk left by a crash", f);
    fclose(f);
}

/* Leaves at name the WAL of another database, with committed frames that a
 * checkpoint would copy into whatever file then sits at its path. */
static void stale_wal(const char *name)
{
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(db_path("other.db"), &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "PRAGMA page_size=16384; PRAGMA journal_mode=WAL;"
                                  " PRAGMA wal_autocheckpoint=0; CREATE TABLE other(x);"
                                  " INSERT INTO other VALUES (zeroblob(100000));",
                                  NULL, NULL, NULL),
                     SQLITE_OK);
    char from[512], cmd[1200];
    snprintf(from, sizeof(from), "%s", db_path("other.db-wal")); /* db_path: one buffer */
    snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, db_path(name));
    assert_int_equal(system(cmd), 0);
    sqlite3_close(db);
}

/* Opens database a with database b attached as "b", runs setup (SQL text,
 * may be NULL), then query, and returns its first row's first column (and
 * the second in *second when not NULL). */
static int64_t with_attached(const char *a, const char *b, const char *setup, const char *query,
                             int64_t *second)
{
    char attach[600];
    snprintf(attach, sizeof(attach), "ATTACH '%s' AS b", db_path(b));
    sqlite3 *db = NULL;
    sqlite3_stmt *s = NULL;
    assert_int_equal(sqlite3_open(db_path(a), &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, attach, NULL, NULL, NULL), SQLITE_OK);
    if (setup)
        assert_int_equal(sqlite3_exec(db, setup, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, query, -1, &s, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(s), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(s, 0);
    if (second)
        *second = sqlite3_column_int64(s, 1);
    sqlite3_finalize(s);
    sqlite3_close(db);
    return n;
}

/* Schema entries (type, name, table, SQL) of a that b lacks or has
 * differently, and the other way round. */
static int64_t schema_diff(const char *a, const char *b)
{
    return with_attached(a, b, NULL,
                         "SELECT count(*) FROM (SELECT * FROM (SELECT type, name, tbl_name, sql"
                         " FROM main.sqlite_schema EXCEPT SELECT type, name, tbl_name, sql"
                         " FROM b.sqlite_schema) UNION ALL SELECT * FROM (SELECT type, name,"
                         " tbl_name, sql FROM b.sqlite_schema EXCEPT SELECT type, name,"
                         " tbl_name, sql FROM main.sqlite_schema))",
                         NULL);
}

/* The search indexes of databases a and b hold the same (term, post,
 * column, offset) instances: the number that differ, both ways (*n_a: how
 * many a has). */
static int64_t fts_instances_diff(const char *a, const char *b, int64_t *n_a)
{
    return with_attached(
        a, b,
        "CREATE VIRTUAL TABLE temp.va USING fts5vocab(main, posts_fts, 'instance');"
        "CREATE VIRTUAL TABLE temp.vb USING fts5vocab(b, posts_fts, 'instance');",
        "SELECT (SELECT count(*) FROM (SELECT * FROM va EXCEPT SELECT * FROM vb))"
        " + (SELECT count(*) FROM (SELECT * FROM vb EXCEPT SELECT * FROM va)),"
        " (SELECT count(*) FROM va)",
        n_a);
}

/* 20 shaped posts, one of them written again with other text and one
 * deleted, in the open transaction: the search index is fed inserts and
 * 'delete's. */
static void put_changed(struct store *st)
{
    struct post p;
    put_shaped(st, "2023-04", "n", "echo");
    shaped(&p, "2023-04-03-n2", 7, "foxtrot");
    assert_int_equal(store_post_put(st, &p, "h2", NOW), 0);
    post_clear(&p);
    assert_int_equal(store_post_delete(st, "2023-04-05-n4"), 0);
}

static void test_new_database(void **state)
{
    (void)state;
    /* what a killed builder and a deleted database leave behind */
    write_junk("new.db-new");
    write_junk("new.db-new-wal");
    write_junk("new.db-fts");
    stale_wal("new.db-wal");
    write_junk("new.db-shm");
    struct store *st = NULL;
    assert_int_equal(store_open(&st, db_path("new.db"), STORE_NEW), 0);
    assert_false(exists("new.db-new-wal"));
    struct post p;
    put_changed(st);
    /* nothing at the path until the commit; the search index is built apart */
    assert_false(exists("new.db"));
    assert_true(exists("new.db-new"));
    assert_true(exists("new.db-fts"));
    assert_int_equal(store_commit(st, NOW), 0);
    assert_true(exists("new.db"));
    assert_false(exists("new.db-new"));
    assert_false(exists("new.db-new-wal"));
    assert_false(exists("new.db-fts"));
    assert_int_equal(raw_int("new.db", "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    assert_int_equal(raw_int("new.db", "PRAGMA page_size"), 16384);
    assert_int_equal(raw_int("new.db", "SELECT count(*) FROM pragma_integrity_check"
                                       " WHERE integrity_check != 'ok'"),
                     0);
    assert_int_equal(raw_int("new.db", "SELECT value FROM meta WHERE key = 'generation'"), 1);
    check_consistent("new.db");
    /* the search index built apart holds what one written in place holds */
    struct store *plain = open_rw("plain.db");
    put_changed(plain);
    assert_int_equal(store_commit(plain, NOW), 0);
    store_close(plain);
    int64_t instances = 0;
    assert_int_equal(fts_instances_diff("new.db", "plain.db", &instances), 0);
    assert_true(instances > 50);
    /* the indexes dropped while it filled are all back, as the schema has them */
    assert_true(raw_int("new.db", "SELECT count(*) FROM sqlite_schema WHERE type = 'index'") > 10);
    assert_int_equal(schema_diff("new.db", "plain.db"), 0);
    /* and the search index's buffer is the schema's again, not the build's */
    assert_int_equal(raw_int("new.db", "SELECT v FROM posts_fts_config WHERE k = 'hashsize'"),
                     raw_int("plain.db", "SELECT v FROM posts_fts_config WHERE k = 'hashsize'"));
    assert_int_equal(raw_int("new.db", "SELECT count(*) FROM posts INDEXED BY posts_date"
                                       " WHERE date_utc > 0"),
                     19);

    /* from then on an ordinary read-write store, seen by readers at once */
    struct store *ro = NULL;
    assert_int_equal(store_open(&ro, db_path("new.db"), STORE_READONLY), 0);
    struct store_list_req r = req_default();
    r.limit = 1;
    expect_search(ro, &r, "echo", "2023-04-20-n19", 18);
    expect_search(ro, &r, "foxtrot", "2023-04-03-n2", 1);
    put_one(st, mk(&p, "2023-05-01-later", 5000, "Later echo"), NOW + 1);
    post_clear(&p);
    assert_int_equal(store_data_changed(ro), 1);
    expect_search(ro, &r, "echo", "2023-05-01-later", 19);
    store_close(ro);
    store_close(st);
    check_consistent("new.db");

    /* a second first ingest is refused and touches nothing */
    assert_int_equal(store_open(&st, db_path("new.db"), STORE_NEW), ST_EXISTS);
    assert_null(st);
    assert_false(exists("new.db-new"));
}

static void test_new_database_discarded(void **state)
{
    (void)state;
    struct store *st = NULL;
    struct post p;
    assert_int_equal(store_open(&st, db_path("gone.db"), STORE_NEW), 0);
    assert_int_equal(store_begin(st), 0);
    assert_int_equal(store_post_put(st, mk(&p, "2023-01-01-a", 10, "A"), "h", NOW), 0);
    post_clear(&p);
    store_rollback(st);
    store_close(st);
    assert_false(exists("gone.db"));
    assert_false(exists("gone.db-new"));
    assert_false(exists("gone.db-fts"));
    assert_int_equal(store_open(&st, db_path("gone.db"), STORE_NEW), 0);
    store_close(st);
    assert_false(exists("gone.db"));
    assert_false(exists("gone.db-new"));
}

/* Two first ingests of one path: the second waits for the first's commit and
 * is then told the database exists (it would open it STORE_READWRITE). */
static void test_new_database_builders_take_turns(void **state)
{
    (void)state;
    struct post p;
    mk(&p, "2023-01-01-first", 10, "First");
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        struct store *st = NULL;
        int ok = store_open(&st, db_path("turns.db"), STORE_NEW) == 0 &&
                 write(fds[1], "r", 1) == 1 && usleep(300 * 1000) == 0 && store_begin(st) == 0 &&
                 store_post_put(st, &p, "h", NOW) == 0 && store_commit(st, NOW) == 0;
        store_close(st);
        _exit(ok ? 0 : 1);
    }
    close(fds[1]);
    char c = 0;
    assert_int_equal(read(fds[0], &c, 1), 1);
    close(fds[0]);
    struct store *st = NULL;
    assert_int_equal(store_open(&st, db_path("turns.db"), STORE_NEW), ST_EXISTS);
    /* it waited: the first builder had not committed when the second asked */
    assert_true(exists("turns.db"));
    int status = -1;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    assert_false(exists("turns.db-new"));
    assert_int_equal(raw_int("turns.db", "SELECT count(*) FROM posts"), 1);
    post_clear(&p);
}

/* ---- slugify ------------------------------------------------------------------------- */

static void test_slugify(void **state)
{
    (void)state;
    const char *cases[][2] = {
        {"World News", "world-news"},
        {"  --Hello, World!--  ", "hello-world"},
        {"C++", "c"},
        {"a_b.c", "a-b-c"},
        {"russia_nk_summit", "russia-nk-summit"},
        {"2023 Review", "2023-review"},
        {"Été à Paris", "été-à-paris"},
        {"ÉTÉ", "été"},
        {"Putin\xe2\x80\x93Kim \xe2\x80\x9csummit\xe2\x80\x9d", "putin-kim-summit"},
        {"Kim\xe2\x80\x99s", "kim-s"},
        {"日本語 ニュース", "日本語-ニュース"},
        {"cafe\xcc\x81", "cafe\xcc\x81"},
        {"emoji \xf0\x9f\x98\x80 here", "emoji-here"},
        {"bad \xff\xfe utf8", "bad-utf8"},
        {"!!!", ""},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *s = store_slugify(cases[i][0]);
        assert_non_null(s);
        assert_string_equal(s, cases[i][1]);
        free(s);
    }
    assert_null(store_slugify(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_migrations),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_html_kept_once),
        cmocka_unit_test(test_html_from_v2),
        cmocka_unit_test(test_update_and_delete),
        cmocka_unit_test(test_hash_and_generation),
        cmocka_unit_test(test_post_ids),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_domain_rules),
        cmocka_unit_test(test_tag_rules),
        cmocka_unit_test(test_dates_and_future),
        cmocka_unit_test(test_sorts_and_keyset),
        cmocka_unit_test(test_query_plans),
        cmocka_unit_test(test_slug_ambiguity),
        cmocka_unit_test(test_terms),
        cmocka_unit_test(test_search),
        cmocka_unit_test(test_search_index_in_step),
        cmocka_unit_test(test_new_database),
        cmocka_unit_test(test_new_database_discarded),
        cmocka_unit_test(test_new_database_builders_take_turns),
        cmocka_unit_test(test_connections),
        cmocka_unit_test(test_slugify),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
