/* End-to-end on the real corpus (../shared/corpus/real, when present; else exit 77
 * = skipped): postd ingests it with no rejected file, serves it, and the number of
 * posts per tag and per author that /v1/tags and /v1/authors report equals what
 * counting the files' front matter gives. The counting goes through post_parse
 * alone, independent of SQL and HTTP.
 *
 * usage: e2e_corpus POSTD CORPUS_DIR */
#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "e2e_util.h"
#include "parse.h"

static char *lower(const char *s)
{
    char *c = strdup(s);
    for (char *p = c; p && *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return c;
}

static void bump(json_t *counts, const char *name)
{
    char *k = lower(name);
    json_t *v = json_object_get(counts, k);
    json_object_set_new(counts, k, json_integer(v ? json_integer_value(v) + 1 : 1));
    free(k);
}

/* Counts tags and authors of every post file directly in dir (the corpus is flat). */
static long count_files(const char *dir, json_t *tags, json_t *authors)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    long posts = 0;
    struct parse_opts opts = {0};
    if (!d)
        return -1;
    while ((e = readdir(d))) {
        struct post_name pn;
        if (strchr("._#~", e->d_name[0]) || post_name_parse(e->d_name, &pn) != 0)
            continue;
        char path[4096];
        size_t len = 0;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *buf = e2e_read_file(path, &len);
        struct post p;
        struct parse_error err = {0};
        post_init(&p);
        int rc = buf ? post_parse(e->d_name, buf, len, &opts, &p, &err) : -1;
        CHECK(rc == 0 || rc == ST_SKIP, "%s:%d:%d: %s", e->d_name, err.line, err.col, err.msg);
        if (rc == 0) {
            posts++;
            for (size_t i = 0; i < p.n_tags; i++)
                bump(tags, p.tags[i]);
            if (p.author)
                bump(authors, p.author);
        }
        post_clear(&p);
        free(buf);
    }
    closedir(d);
    return posts;
}

/* Every term of /v1/<what> (all pages) as lowercased name → count. */
static json_t *fetch_terms(const char *base, const char *what)
{
    json_t *out = json_object();
    for (int page = 1; page < 1000; page++) {
        char path[128];
        snprintf(path, sizeof path, "/v1/%s?limit=100&page=%d", what, page);
        json_t *v = e2e_get_json(base, path);
        json_t *data = json_object_get(v, "data"), *t;
        size_t i, n = json_array_size(data);
        json_array_foreach(data, i, t)
        {
            const char *name = json_string_value(json_object_get(t, "name"));
            CHECK(name != NULL, "%s: a term without name", path);
            if (!name)
                continue;
            char *k = lower(name);
            CHECK(json_object_get(out, k) == NULL, "%s: %s listed twice", path, name);
            json_object_set(out, k, json_object_get(t, "count"));
            free(k);
        }
        json_decref(v);
        if (n < 100)
            break;
    }
    return out;
}

static void compare(const char *what, json_t *expected, json_t *got)
{
    const char *k;
    json_t *v;
    json_object_foreach(expected, k, v)
    {
        json_t *g = json_object_get(got, k);
        CHECK(g && json_integer_value(g) == json_integer_value(v),
              "%s \"%s\": the files say %lld, the API %lld", what, k,
              (long long)json_integer_value(v), g ? (long long)json_integer_value(g) : -1LL);
    }
    json_object_foreach(got, k, v)
    {
        CHECK(json_object_get(expected, k) != NULL, "%s \"%s\" is in the API but in no file", what,
              k);
    }
    fprintf(stderr, "e2e_corpus: %zu %s compared\n", json_object_size(expected), what);
}

int main(int argc, char **argv)
{
    struct stat st;
    if (argc < 3) {
        fprintf(stderr, "usage: e2e_corpus POSTD CORPUS_DIR\n");
        return 2;
    }
    if (stat(argv[2], &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "e2e_corpus: %s is absent; skipped\n", argv[2]);
        return 77;
    }
    const char *postd = argv[1], *corpus = argv[2];
    e2e_watchdog(110);
    char *dir = e2e_tmpdir(), db[4096], config[4096], out[4096], err[4096];
    if (!dir)
        return 1;
    snprintf(db, sizeof db, "%s/corpus.db", dir);
    snprintf(config, sizeof config, "%s/empty.yaml", dir);
    snprintf(out, sizeof out, "%s/ingest.out", dir);
    snprintf(err, sizeof err, "%s/ingest.err", dir);
    e2e_write_file(config, "");

    json_t *tags = json_object(), *authors = json_object();
    long n_posts = count_files(corpus, tags, authors);
    CHECK(n_posts > 400, "only %ld posts parsed in %s", n_posts, corpus);

    const char *ing[] = {postd, "ingest", "--config", config, "--db", db, corpus, NULL};
    int rc = e2e_run(ing, NULL, out, err);
    if (rc != 0) {
        char *text = e2e_read_file(err, NULL);
        fprintf(stderr, "e2e_corpus: ingest exited %d:\n%s\n", rc, text ? text : "");
        free(text);
    }
    CHECK(rc == 0, "every real post must ingest");

    struct e2e_server srv;
    if (rc >= 0 && rc <= 1 && e2e_server_start(&srv, postd, db, dir, NULL) == 0) {
        json_t *ready = e2e_get_json(srv.base, "/readyz");
        CHECK(json_integer_value(json_object_get(ready, "posts")) == n_posts,
              "readyz says %lld posts, the files %ld",
              (long long)json_integer_value(json_object_get(ready, "posts")), n_posts);
        json_decref(ready);
        json_t *api_tags = fetch_terms(srv.base, "tags");
        json_t *api_authors = fetch_terms(srv.base, "authors");
        compare("tags", tags, api_tags);
        compare("authors", authors, api_authors);
        json_decref(api_tags);
        json_decref(api_authors);
        CHECK(e2e_server_stop(&srv, SIGTERM, 5) == 0, "SIGTERM: not a clean exit");
    } else {
        CHECK(0, "no server to ask");
    }
    json_decref(tags);
    json_decref(authors);
    e2e_cleanup();
    free(dir);
    fprintf(stderr, "e2e_corpus: %d of %d checks failed\n", e2e_failures, e2e_checks);
    return e2e_failures ? 1 : 0;
}
