/* Shared by the api tests: a real SQLite database filled with posts the test
 * constructs (and keeps as an in-memory model, the oracle every filter and
 * total is checked against), and requests made the way the server makes them
 * (target split into decoded path and parameters) through api_handle. */
#ifndef POSTD_API_TEST_H
#define POSTD_API_TEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "store.h"

#define FX_N 60     /* posts in the fixture */
#define FX_FUTURE 2 /* of which the last ones are dated in the future */

/* The model of one fixture post. */
struct fx_post {
    char id[64];
    char slug[32];
    char title[64];
    char author[16]; /* "" when none */
    int64_t date_utc;
    int offset;
    const char *tags[4];
    size_t n_tags;
    const char *categories[2];
    size_t n_categories;
    const char *urls[3];
    size_t n_urls;
    const char *domains[3]; /* normalized hosts of urls */
    size_t n_domains;
    int zebra; /* "zebra" is in its description */
    int future;
};

extern struct fx_post fx_posts[FX_N];

/* Creates dir/name.db (READWRITE), stores the fixture posts, commits at
 * ingest_time. Returns the malloc'd path. now: the clock used for "future". */
char *fx_build(const char *dir, int64_t now, int64_t ingest_time);
/* A fresh temporary directory (mkdtemp), malloc'd; removed by fx_rmdir. */
char *fx_tmpdir(void);
void fx_rmdir(const char *dir);
/* The samples folder a test was given as argv[1], or NULL when it is missing
 * (the test then exits 77: skipped). */
const char *fx_samples_arg(int argc, char **argv);
/* Ingests dir into a new database at db (cmocka asserts that it worked);
 * returns the number of posts stored. */
long fx_ingest(const char *db, const char *dir);

/* The usual group fixture (cmocka group setup and teardown): the fixture
 * database built in a fresh temporary folder, committed at ingest_time =
 * now - 100, and for fx_setup a context over it (fx_setup_db: ctx NULL). */
struct fx {
    char *dir, *db;
    struct api_ctx *ctx;
    int64_t now, ingest_time;
};
int fx_setup(void **state);
int fx_setup_db(void **state);
int fx_teardown(void **state);

/* Fills a struct post for fixture post i (caller post_clear). */
void fx_post_fill(int i, struct post *p);

/* A context over db with default config (show_future as given), the response
 * cache on at its default size. */
struct api_ctx *t_ctx(const char *db, int show_future);

/* Extra request headers for t_do. */
struct t_hdrs {
    const char *if_none_match, *if_modified_since, *accept_encoding, *origin, *request_id,
        *acr_method, *acr_headers;
};

/* Makes a request: target "/v1/posts?tag=a&limit=5" is split and decoded like
 * the server does ('+' is a space, %XX decoded; a bad escape sets bad_encoding). */
void t_do(struct api_ctx *ctx, const char *method, const char *target, const struct t_hdrs *h,
          struct api_response *res);
/* GET and parse the body as JSON (NULL when no body); asserts the status. */
json_t *t_get_json(struct api_ctx *ctx, const char *target, int status);
/* A response header by name (case-insensitive), or NULL. */
const char *t_header(const struct api_response *res, const char *name);
/* Parses res's body as JSON; asserts success. */
json_t *t_body(const struct api_response *res);
/* Asserts res is a 400 problem naming param in invalid_params. */
void t_assert_invalid(const struct api_response *res, const char *param);

#endif
