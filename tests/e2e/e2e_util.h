/* Shared pieces of the end-to-end tests: running the real postd binary as a child
 * process (every child registered, and killed by PID at exit, on a failed check's
 * abort and when the watchdog fires), a libcurl client that keeps one connection,
 * and checks that count failures instead of stopping at the first. */
#ifndef POSTD_E2E_UTIL_H
#define POSTD_E2E_UTIL_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

extern int e2e_failures;
extern int e2e_checks; /* checks evaluated, to show the test did its work */

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        e2e_checks++;                                                                              \
        if (!(cond)) {                                                                             \
            e2e_failures++;                                                                        \
            fprintf(stderr, "%s:%d: FAIL: %s: ", __FILE__, __LINE__, #cond);                       \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
        }                                                                                          \
    } while (0)

/* Kills every child and exits 1 when the test runs longer than seconds. */
void e2e_watchdog(unsigned seconds);

/* A fresh temporary folder (owned: free; removed by e2e_cleanup unless
 * POSTD_E2E_KEEP is set). */
char *e2e_tmpdir(void);
/* Kills the children still running and removes the temporary folders. */
void e2e_cleanup(void);

/* Runs argv (argv[0] a path) to completion with stdout and stderr written to the
 * given files (NULL: /dev/null) and env entries ("NAME=value", NULL-terminated, may
 * be NULL) added to the environment. Returns the exit status, or -1 when it could
 * not run, was killed, or ran over 60 s. */
int e2e_run(const char *const *argv, const char *const *env, const char *out_file,
            const char *err_file);

/* Reads a whole file (owned: free), NULL when it cannot. *len may be NULL. */
char *e2e_read_file(const char *path, size_t *len);
int e2e_write_file(const char *path, const char *text);

struct e2e_server {
    pid_t pid;
    int port;
    char base[64];  /* "http://127.0.0.1:PORT" */
    char out[4096]; /* stdout file: the access log */
    char err[4096]; /* stderr file */
};

/* Starts `postd serve --listen 127.0.0.1:0 --db db` plus extra (NULL-terminated,
 * may be NULL) with an empty config file in dir, and waits (up to 10 s) for the
 * startup line naming the port and for /healthz. Returns 0 or -1. */
int e2e_server_start(struct e2e_server *s, const char *postd, const char *db, const char *dir,
                     const char *const *extra);
/* Sends sig and waits up to max_seconds. Returns the exit status, or -1 when the
 * process had to be killed (or died of a signal). */
int e2e_server_stop(struct e2e_server *s, int sig, double max_seconds);

struct e2e_resp {
    long status;
    char *body; /* NUL-terminated */
    size_t len;
    char *headers; /* raw header block, "Name: value\r\n"... */
    long connects; /* new connections this request needed */
    double seconds;
};

enum {
    E2E_HEAD = 1,     /* CURLOPT_NOBODY */
    E2E_GZIP_RAW = 2, /* Accept-Encoding: gzip, bytes as sent */
    E2E_GZIP = 4,     /* Accept-Encoding: gzip, curl decodes */
    E2E_EXPECT = 8,   /* with a body: send Expect: 100-continue and wait for the answer */
};

/* One request on a shared keep-alive connection to base + path. headers are
 * "Name: value" strings, NULL-terminated (may be NULL); body, when non-NULL, is sent
 * as the request body. Returns 0, or -1 on a transport error (printed). */
int e2e_http(const char *base, const char *method, const char *path, const char *const *headers,
             const char *body, unsigned flags, struct e2e_resp *r);
void e2e_resp_clear(struct e2e_resp *r);
/* The value of the first header called name (case-insensitive), or NULL.
 * Owned by a static buffer per call slot: copy it before the 4th next call. */
const char *e2e_header(const struct e2e_resp *r, const char *name);
/* The body parsed as JSON (new reference), or NULL with the reason printed. */
json_t *e2e_json(const struct e2e_resp *r);
/* GET base+path expecting 200 JSON; NULL (a failed check) otherwise. */
json_t *e2e_get_json(const char *base, const char *path);

/* Percent-encodes s for a query value (owned: free). */
char *e2e_escape(const char *s);

#endif
