/* The server's kept response objects, on the wire: the samples ingested into a
 * real SQLite file, postd's HTTP server started in this process (one worker
 * thread, so every connection shares its reuse slots), and raw HTTP/1.1 over
 * keep-alive loopback connections. The first response for each variant (200,
 * gzip, HEAD, 304 with either ETag, a list, another connection) is built from
 * scratch; every later one comes from a kept object (the API skips building
 * its headers) and must be the same bytes — status line, every header in
 * order, body — except Date and X-Request-Id, which must be the id that
 * request sent (of the same length as the last one, or not) or a fresh
 * generated one. Skipped (77) without the samples folder. */
#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "api.h"
#include "api_test.h"
#include "config.h"
#include "http.h"

static const char *g_samples;

struct reuse_fx {
    char *dir;
    char db[128];
    struct config cfg;
    struct api_ctx *api;
    struct http_server *srv;
    int port;
};

static int setup(void **state)
{
    struct reuse_fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->dir = fx_tmpdir();
    snprintf(f->db, sizeof(f->db), "%s/posts.db", f->dir);
    assert_true(fx_ingest(f->db, g_samples) > 10);

    struct config_error ce;
    assert_int_equal(config_init(&f->cfg), 0);
    assert_int_equal(config_set(&f->cfg, CONFIG_DB, f->db, "test", &ce), 0);
    assert_int_equal(config_set(&f->cfg, CONFIG_LISTEN, "127.0.0.1:0", "test", &ce), 0);
    assert_int_equal(config_set(&f->cfg, CONFIG_THREADS, "1", "test", &ce), 0);
    assert_int_equal(config_finish(&f->cfg, &ce), 0);
    struct api_config ac;
    config_api(&f->cfg, &ac);
    assert_true(ac.cache_bytes > 0);
    assert_int_equal(api_ctx_new(&f->api, &ac), 0);
    assert_int_equal(http_server_start(&f->srv, &f->cfg, f->api, NULL), 0);
    f->port = http_server_port(f->srv);
    assert_true(f->port > 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct reuse_fx *f = *state;
    http_server_stop(f->srv, 2);
    api_ctx_free(f->api);
    config_clear(&f->cfg);
    fx_rmdir(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* ---- a raw HTTP/1.1 client ---------------------------------------------------- */

static int conn_open(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct timeval tv = {5, 0}; /* every read is bounded */
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

struct reply {
    int status;
    char *head; /* status line and headers, through the blank line; NUL-terminated */
    size_t head_len;
    char *body;
    size_t body_len;
};

static void reply_clear(struct reply *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof(*r));
}

/* The value of header name in head (a static copy), or NULL. */
static const char *head_value(const char *head, const char *name)
{
    static char v[512];
    size_t nl = strlen(name);
    for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
        const char *line = p + 2;
        if (strncasecmp(line, name, nl) == 0 && line[nl] == ':') {
            const char *s = line + nl + 1;
            while (*s == ' ')
                s++;
            size_t n = (size_t)(strstr(s, "\r\n") - s);
            assert_true(n < sizeof(v));
            memcpy(v, s, n);
            v[n] = '\0';
            return v;
        }
    }
    return NULL;
}

/* Sends one request (extra: header lines, each ending in CRLF, or NULL) and
 * reads its whole response. */
static void exchange(int fd, const char *method, const char *target, const char *extra,
                     struct reply *r)
{
    char req[2048];
    int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n", method,
                     target, extra ? extra : "");
    assert_true(n > 0 && (size_t)n < sizeof(req));
    assert_int_equal(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);

    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    assert_non_null(buf);
    char *end = NULL;
    while (!end) {
        assert_true(len < cap);
        ssize_t got = recv(fd, buf + len, cap - len, 0);
        assert_true(got > 0);
        len += (size_t)got;
        buf[len] = '\0';
        end = strstr(buf, "\r\n\r\n");
    }
    memset(r, 0, sizeof(*r));
    r->head_len = (size_t)(end + 4 - buf);
    r->head = strndup(buf, r->head_len);
    assert_non_null(r->head);
    assert_int_equal(sscanf(r->head, "HTTP/1.1 %d ", &r->status), 1);
    const char *cl = head_value(r->head, "Content-Length");
    size_t want = 0;
    if (strcmp(method, "HEAD") != 0 && r->status != 304 && r->status != 204 && cl)
        want = (size_t)strtoull(cl, NULL, 10);
    size_t have = len - r->head_len;
    assert_true(have <= want); /* nothing else was asked for */
    if (want > cap - r->head_len) {
        char *grown = realloc(buf, r->head_len + want + 1);
        assert_non_null(grown);
        buf = grown;
    }
    while (have < want) {
        ssize_t got = recv(fd, buf + r->head_len + have, want - have, 0);
        assert_true(got > 0);
        have += (size_t)got;
    }
    r->body = malloc(want + 1);
    assert_non_null(r->body);
    memcpy(r->body, buf + r->head_len, want);
    r->body_len = want;
    free(buf);
}

/* head without its Date line, and with X-Request-Id's value taken out into
 * id (asserted to be there exactly once). Returns a heap string. */
static char *normalized(const char *head, char *id, size_t id_cap)
{
    char *out = malloc(strlen(head) + 16);
    assert_non_null(out);
    size_t o = 0;
    int ids = 0;
    for (const char *line = head; *line;) {
        const char *eol = strstr(line, "\r\n");
        assert_non_null(eol);
        size_t n = (size_t)(eol + 2 - line);
        if (strncasecmp(line, "Date:", 5) == 0) {
            /* the clock's, not the response object's */
        } else if (strncasecmp(line, "X-Request-Id: ", 14) == 0) {
            size_t vl = (size_t)(eol - line) - 14;
            assert_true(vl < id_cap);
            memcpy(id, line + 14, vl);
            id[vl] = '\0';
            ids++;
            memcpy(out + o, "X-Request-Id: *\r\n", 17);
            o += 17;
        } else {
            memcpy(out + o, line, n);
            o += n;
        }
        line += n;
    }
    out[o] = '\0';
    assert_int_equal(ids, 1);
    return out;
}

static int is_generated(const char *id)
{
    size_t n = 0;
    for (; id[n]; n++)
        if (!((id[n] >= '0' && id[n] <= '9') || (id[n] >= 'a' && id[n] <= 'f')))
            return 0;
    return n == 16;
}

/* ---- the test ------------------------------------------------------------------ */

#define N_VARIANTS 9

struct variant {
    const char *method;
    const char *target;
    char extra[256];
    int status;
    char *ref; /* normalized head of the first (built) response */
    struct reply first;
};

static void test_kept_responses(void **state)
{
    struct reuse_fx *f = *state;
    int fd = conn_open(f->port);

    /* A post's id from the list. */
    struct reply r;
    exchange(fd, "GET", "/v1/posts?limit=1&fields=id", NULL, &r);
    assert_int_equal(r.status, 200);
    json_t *list = json_loadb(r.body, r.body_len, 0, NULL);
    assert_non_null(list);
    char post[512];
    snprintf(
        post, sizeof(post), "/v1/posts/%s",
        json_string_value(json_object_get(json_array_get(json_object_get(list, "data"), 0), "id")));
    json_decref(list);
    reply_clear(&r);

    struct variant v[N_VARIANTS] = {
        {"GET", post, "", 200, NULL, {0}},
        {"GET", post, "Accept-Encoding: gzip\r\n", 200, NULL, {0}},
        {"HEAD", post, "", 200, NULL, {0}},
        {"GET", post, "", 304, NULL, {0}},  /* If-None-Match: the identity ETag */
        {"HEAD", post, "", 304, NULL, {0}}, /* the same, HEAD */
        {"GET", post, "", 304, NULL, {0}},  /* gzip, If-None-Match: the gzip ETag */
        {"GET", "/v1/posts?limit=3", "", 200, NULL, {0}},
        {"GET", "/v1/tags", "Accept-Encoding: gzip;q=0\r\n", 200, NULL, {0}},
        {"GET", "/v1/openapi.json", "Accept-Encoding: gzip\r\n", 200, NULL, {0}},
    };
    /* Each variant's first response: built, as nothing was sent for its key yet. */
    char id[160], want[160];
    for (int i = 0; i < N_VARIANTS; i++) {
        if (i == 3 || i == 4 || i == 5) {
            const char *etag = head_value(v[i == 5 ? 1 : 0].first.head, "ETag");
            assert_non_null(etag);
            snprintf(v[i].extra, sizeof(v[i].extra), "%sIf-None-Match: %s\r\n",
                     i == 5 ? "Accept-Encoding: gzip\r\n" : "", etag);
        }
        char extra[512];
        snprintf(extra, sizeof(extra), "%sX-Request-Id: first-%d\r\n", v[i].extra, i);
        exchange(fd, v[i].method, v[i].target, extra, &v[i].first);
        assert_int_equal(v[i].first.status, v[i].status);
        v[i].ref = normalized(v[i].first.head, id, sizeof(id));
        snprintf(want, sizeof(want), "first-%d", i);
        assert_string_equal(id, want);
    }
    assert_non_null(strstr(v[1].ref, "Content-Encoding: gzip\r\n"));
    assert_null(strstr(v[0].ref, "Content-Encoding"));

    /* Then from the kept objects, with ids of the same length as the one
     * before (written over), of other lengths, and none (generated). */
    static const char *const ids[] = {"same-01", "same-02", "a-much-longer-request-id-0003",
                                      NULL,      NULL,      "s",
                                      "same-07", NULL,      "bad id!"};
    char prev_generated[160] = "";
    int fd2 = conn_open(f->port);
    for (int round = 0; round < 3; round++) {
        for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
            for (int i = 0; i < N_VARIANTS; i++) {
                /* the second connection takes every other turn: the slots are
                 * the worker's, not the connection's */
                int c = (round == 1 && (k + (size_t)i) % 2) ? fd2 : fd;
                char extra[512];
                snprintf(extra, sizeof(extra), "%s%s%s%s", v[i].extra,
                         ids[k] ? "X-Request-Id: " : "", ids[k] ? ids[k] : "",
                         ids[k] ? "\r\n" : "");
                exchange(c, v[i].method, v[i].target, extra, &r);
                char *got = normalized(r.head, id, sizeof(id));
                if (strcmp(got, v[i].ref) != 0)
                    fail_msg("variant %d, id %s: head\n%s\nbuilt first as\n%s", i,
                             ids[k] ? ids[k] : "(none)", got, v[i].ref);
                if (ids[k] && strcmp(ids[k], "bad id!") != 0) {
                    assert_string_equal(id, ids[k]);
                } else {
                    if (!is_generated(id))
                        fail_msg("variant %d: generated id %s", i, id);
                    assert_string_not_equal(id, prev_generated);
                    snprintf(prev_generated, sizeof(prev_generated), "%s", id);
                }
                assert_int_equal(r.body_len, v[i].first.body_len);
                assert_memory_equal(r.body, v[i].first.body, r.body_len);
                free(got);
                reply_clear(&r);
            }
        }
    }
    for (int i = 0; i < N_VARIANTS; i++) {
        free(v[i].ref);
        reply_clear(&v[i].first);
    }
    close(fd2);
    close(fd);
}

int main(int argc, char **argv)
{
    if (!(g_samples = fx_samples_arg(argc, argv)))
        return 77;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kept_responses),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
