/* Hostile requests against the real server: the postd binary ingests the bundled
 * samples into a temporary database and serves it on a loopback port; then a table
 * of raw requests — malformed request lines, bad versions, huge and many headers,
 * bad percent-encoding, NUL bytes, invalid UTF-8, absurd parameter values, SQL and
 * FTS injection, path traversal, forged cursors, odd methods, bodies on GET,
 * pipelining, requests cut short — is written byte for byte on plain sockets (no
 * HTTP client library: one would normalize exactly what these cases break). Each
 * case names what it must get back: a 4xx (or an exact status), or a clean close
 * where HTTP says so; never a 5xx, a crash or a hang. After every case a GET
 * /healthz on a new connection must answer 200 and the process must be alive; at
 * the end /v1/posts must answer 200 with the same total as at the start, and the
 * server must stop cleanly on SIGTERM.
 *
 * Every 4xx that postd itself makes (it carries X-Request-Id) must be an
 * application/problem+json document whose "status" is the response status; every
 * 4xx body, whoever made it, must not name a file, the database or SQL. Answers
 * libmicrohttpd gives on its own (a request line or header block it cannot parse)
 * have its fixed HTML body: it has no hook to replace them (see SECURITY.md).
 *
 * Expectations, one comma-separated token per response on the connection, each
 * token a |-separated choice of: a status ("400"), a class ("4xx", "2xx"),
 * "empty" (200 with X-Total-Count: 0: an injection that widened the query would
 * list posts), "nodata" (200 with an empty "data" list), or "close" (the server
 * ends the connection without a response; as the last token: after the others).
 *
 * usage: hostile_requests POSTD SAMPLE_POSTS */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e_util.h"

#define RECV_TIMEOUT_S 5   /* one recv() */
#define CASE_DEADLINE_S 12 /* one case: longer is a hang */

struct hcase {
    char name[96];
    char *raw; /* owned */
    size_t len;
    char expect[96];
    unsigned head;  /* bit i: response i answers a HEAD, so it carries no body */
    int half_close; /* shutdown(SHUT_WR) after sending: the client gives up */
};

static struct hcase *cases;
static size_t n_cases, cap_cases;
static int port;
static pid_t server_pid;

/* ---- the case table ------------------------------------------------------- */

static void add(const char *name, const void *raw, size_t len, const char *expect)
{
    if (n_cases == cap_cases) {
        cap_cases = cap_cases ? cap_cases * 2 : 256;
        cases = realloc(cases, cap_cases * sizeof *cases);
        if (!cases) {
            perror("realloc");
            exit(1);
        }
    }
    struct hcase *c = &cases[n_cases++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->expect, sizeof c->expect, "%s", expect);
    c->raw = malloc(len ? len : 1);
    if (!c->raw) {
        perror("malloc");
        exit(1);
    }
    memcpy(c->raw, raw, len);
    c->len = len;
}

/* A literal with embedded NULs keeps its length. */
#define RAW(name, lit, expect) add(name, lit, sizeof(lit) - 1, expect)

/* GET target HTTP/1.1 with a Host and Connection: close. */
static void get(const char *name, const char *target, const char *expect)
{
    char *raw = NULL;
    int n =
        asprintf(&raw, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", target);
    if (n < 0) {
        perror("asprintf");
        exit(1);
    }
    add(name, raw, (size_t)n, expect);
    free(raw);
}

/* A request built from a format (no NULs). */
__attribute__((format(printf, 3, 4))) static void addf(const char *name, const char *expect,
                                                       const char *fmt, ...)
{
    char *raw = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&raw, fmt, ap);
    va_end(ap);
    if (n < 0) {
        perror("vasprintf");
        exit(1);
    }
    add(name, raw, (size_t)n, expect);
    free(raw);
}

/* A string of n copies of unit (owned). */
static char *repeat(const char *unit, size_t n)
{
    size_t ul = strlen(unit);
    char *s = malloc(ul * n + 1);
    if (!s) {
        perror("malloc");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        memcpy(s + i * ul, unit, ul);
    s[ul * n] = '\0';
    return s;
}

static void cases_request_line(void)
{
    RAW("garbage line", "GARBAGE\r\n\r\n", "4xx|close");
    RAW("request line without target", "GET\r\nHost: localhost\r\n\r\n", "4xx|close");
    RAW("HTTP/0.9 style request", "GET /healthz\r\n\r\n", "4xx|close");
    RAW("three tokens and more", "GET /healthz HTTP/1.1 extra\r\nHost: localhost\r\n\r\n",
        "4xx|close");
    RAW("space inside target", "GET /v1/po sts HTTP/1.1\r\nHost: localhost\r\n\r\n", "4xx|close");
    RAW("tabs as separators", "GET\t/healthz\tHTTP/1.1\r\nHost: localhost\r\n\r\n", "4xx|close");
    RAW("target without slash",
        "GET healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", "4xx|close");
    RAW("asterisk target on GET", "GET * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "4xx|close");
    RAW("absolute-form with a bad limit",
        "GET http://evil.example/v1/posts?limit=0 HTTP/1.1\r\nHost: localhost\r\n"
        "Connection: close\r\n\r\n",
        "400");
    RAW("absolute-form to another scheme",
        "GET ftp://evil.example/etc/passwd HTTP/1.1\r\nHost: localhost\r\nConnection: "
        "close\r\n\r\n",
        "4xx|close");
    RAW("bare LF line endings",
        "GET /v1/posts?limit=0 HTTP/1.1\nHost: localhost\nConnection: close\n\n", "400");
    RAW("bare CR line endings", "GET /healthz HTTP/1.1\rHost: localhost\r\r\n\r\n", "4xx|close");
    RAW("control byte in target",
        "GET /v1/po\x01sts HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", "4xx|close");
    RAW("DEL byte in target",
        "GET /healthz\x7f HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", "4xx|close");
    RAW("escape sequence in target",
        "GET /\x1b[31mred HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", "4xx|close");
    RAW("empty lines then garbage", "\r\n\r\n\r\nGARBAGE\r\n\r\n", "4xx|close");
    RAW("binary junk", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", "4xx|close");
    RAW("TLS ClientHello on the plain port",
        "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\x00\x01\x02\x03\x04\x05\x06\x07",
        "4xx|close");
    char *method = repeat("A", 8000);
    addf("8000-byte method", "4xx|close",
         "%s /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", method);
    free(method);
    RAW("method with a slash",
        "GE/T /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", "4xx|close");
}

static void cases_versions(void)
{
    /* RFC 9110 §15.6.6: a major version the server does not support gets 505;
     * libmicrohttpd answers these itself. */
    RAW("HTTP/2.0 request line", "GET /healthz HTTP/2.0\r\nHost: localhost\r\n\r\n", "505|close");
    RAW("HTTP/2 connection preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "505|4xx|close");
    RAW("HTTP/0.9 version", "GET /healthz HTTP/0.9\r\nHost: localhost\r\n\r\n", "505|4xx|close");
    RAW("HTTP/3.0", "GET /healthz HTTP/3.0\r\nHost: localhost\r\n\r\n", "505|close");
    RAW("HTTP/1.x", "GET /healthz HTTP/1.x\r\nHost: localhost\r\n\r\n", "4xx|close");
    RAW("lowercase http/1.1", "GET /healthz http/1.1\r\nHost: localhost\r\n\r\n", "4xx|close");
    RAW("HTTP/01.1", "GET /healthz HTTP/01.1\r\nHost: localhost\r\n\r\n", "4xx|close");
    RAW("HTTP/ without numbers", "GET /healthz HTTP/\r\nHost: localhost\r\n\r\n", "4xx|close");
    RAW("HTTP/-1.1", "GET /healthz HTTP/-1.1\r\nHost: localhost\r\n\r\n", "4xx|close");
    RAW("version with NUL", "GET /healthz HTTP/1.1\x00\r\nHost: localhost\r\n\r\n", "4xx|close");
    RAW("FTP/1.1", "GET /healthz FTP/1.1\r\nHost: localhost\r\n\r\n", "4xx|close");
    /* a higher minor version is read as 1.1 (RFC 9110 §2.5); the request is still bad */
    RAW("HTTP/1.9 with a bad limit",
        "GET /v1/posts?limit=abc HTTP/1.9\r\nHost: localhost\r\nConnection: close\r\n\r\n", "400");
    RAW("HTTP/1.1 without Host", "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n", "400");
}

static void cases_headers(void)
{
    char *big = repeat("a", 100 * 1024);
    addf("100 KiB header value", "431|4xx|close",
         "GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Big: %s\r\n\r\n", big);
    addf("100 KiB header name", "431|4xx|close",
         "GET /healthz HTTP/1.1\r\nHost: localhost\r\n%s: x\r\n\r\n", big);
    free(big);
    big = repeat("X-H: v\r\n", 5000);
    addf("5000 headers", "431|4xx|close", "GET /healthz HTTP/1.1\r\nHost: localhost\r\n%s\r\n",
         big);
    free(big);
    big = repeat("X-Many: v\r\n", 100);
    addf("100 headers on a bad request", "400",
         "GET /v1/posts?limit=0 HTTP/1.1\r\nHost: localhost\r\n%sConnection: close\r\n\r\n", big);
    free(big);
    RAW("header line without colon",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nNoColonHere\r\n\r\n", "4xx|close");
    RAW("header name with space before colon",
        "GET /v1/nope HTTP/1.1\r\nHost: localhost\r\nX-Bad : v\r\nConnection: close\r\n\r\n",
        "400");
    RAW("empty header name",
        "GET /v1/nope HTTP/1.1\r\nHost: localhost\r\n: v\r\nConnection: close\r\n\r\n",
        "4xx|close");
    RAW("obs-fold continuation",
        "GET /v1/nope HTTP/1.1\r\nHost: localhost\r\nX-Fold: a\r\n b\r\nConnection: close\r\n\r\n",
        "4xx|close");
    RAW("header block starts with a fold",
        "GET /healthz HTTP/1.1\r\n folded\r\nHost: localhost\r\n\r\n", "4xx|close");
    /* libmicrohttpd 0.9.75 cuts a header line at a NUL and keeps what came
     * before it (RFC 9110 §5.5 wants the message refused or the NUL replaced);
     * no callback sees the line whole, so postd cannot refuse it. What must hold:
     * the request is still answered as what it is. */
    RAW("NUL in a header name",
        "GET /v1/nope HTTP/1.1\r\nHost: localhost\r\nX-\x00Evil: v\r\nConnection: close\r\n\r\n",
        "404");
    RAW("NUL in a header value",
        "GET /v1/nope HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: a\x00"
        "b\r\nConnection: close\r\n\r\n",
        "404");
    RAW("two Host headers on a bad request",
        "GET /v1/posts?limit=-5 HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n",
        "400");
    big = repeat("x", 10000);
    addf(
        "10 KB X-Request-Id", "4xx|close",
        "GET /v1/nope HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: %s\r\nConnection: close\r\n\r\n",
        big);
    addf("10 KB If-None-Match", "4xx|close",
         "GET /v1/nope HTTP/1.1\r\nHost: localhost\r\nIf-None-Match: \"%s\"\r\nConnection: "
         "close\r\n\r\n",
         big);
    addf("10 KB Origin", "4xx|close",
         "GET /v1/nope HTTP/1.1\r\nHost: localhost\r\nOrigin: http://%s\r\nConnection: "
         "close\r\n\r\n",
         big);
    free(big);
    RAW("X-Request-Id with control bytes",
        "GET /v1/nope HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: a\x01\x02\x1b[0m\r\n"
        "Connection: close\r\n\r\n",
        "404");
    RAW("absurd Accept-Encoding",
        "GET /v1/posts?limit=0 HTTP/1.1\r\nHost: localhost\r\nAccept-Encoding: gzip;q=abc, "
        "*;q=-1, deflate;q=999999999999\r\nConnection: close\r\n\r\n",
        "400");
    RAW("If-Modified-Since garbage",
        "GET /v1/posts?page=0 HTTP/1.1\r\nHost: localhost\r\nIf-Modified-Since: Sun, 99 Foo 99999 "
        "99:99:99 GMT\r\nConnection: close\r\n\r\n",
        "400");
    RAW("Range header on a bad request",
        "GET /v1/posts?limit=x HTTP/1.1\r\nHost: localhost\r\nRange: bytes=-1-999999999999999\r\n"
        "Connection: close\r\n\r\n",
        "400");
    RAW("preflight with absurd request headers",
        "OPTIONS /v1/nope HTTP/1.1\r\nHost: localhost\r\nOrigin: http://a\r\n"
        "Access-Control-Request-Method: DELETE\r\nAccess-Control-Request-Headers: \x01\x02\r\n"
        "Connection: close\r\n\r\n",
        "4xx|204");
}

static void cases_encoding(void)
{
    get("%00 in the path", "/v1/posts%00", "400");
    get("%00 in a parameter value", "/v1/posts?tag=a%00b", "400");
    get("%00 in a parameter name", "/v1/posts?ta%00g=a", "400");
    get("%zz escape", "/v1/posts?tag=%zz", "400");
    get("truncated escape at the end", "/v1/posts?tag=abc%", "400");
    get("one-digit escape", "/v1/posts?tag=%4", "400");
    get("double percent", "/v1/posts?tag=%%41", "400");
    get("escape in the path", "/v1/po%zzsts", "400");
    get("overlong UTF-8 slash %C0%AF", "/v1/posts/%C0%AF", "400");
    get("invalid UTF-8 %FF in a value", "/v1/posts?author=%FF%FE", "400");
    get("UTF-16 surrogate %ED%A0%80", "/v1/posts?q=%ED%A0%80", "400");
    get("truncated UTF-8 sequence", "/v1/posts?tag=%E2%82", "400");
    get("invalid UTF-8 in a name", "/v1/posts?%FF=1", "400");
    RAW("raw invalid UTF-8 in the path",
        "GET /v1/posts/\xff\xfe HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "4xx|close");
    RAW("raw invalid UTF-8 in a value",
        "GET /v1/posts?tag=\xc0\xaf HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "4xx|close");
    RAW("raw NUL in the path",
        "GET /healthz\x00junk HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "4xx|close");
    RAW("raw NUL in a value",
        "GET /v1/posts?tag=a\x00"
        "b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "4xx|close");
    RAW("raw NUL in the method",
        "GE\x00T /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", "4xx|close");
    get("percent-encoded CRLF in a value", "/v1/posts?tag=%0d%0aSet-Cookie:%20x=1", "empty|4xx");
}

static void cases_params(void)
{
    static const struct {
        const char *name, *target, *expect;
    } t[] = {
        {"limit=-1", "/v1/posts?limit=-1", "400"},
        {"limit=0", "/v1/posts?limit=0", "400"},
        {"limit=101", "/v1/posts?limit=101", "400"},
        {"limit=2^64", "/v1/posts?limit=18446744073709551616", "400"},
        {"limit=1e2", "/v1/posts?limit=1e2", "400"},
        {"limit=0x10", "/v1/posts?limit=0x10", "400"},
        {"limit=+5", "/v1/posts?limit=%2B5", "400"},
        {"limit= 5", "/v1/posts?limit=%205", "400"},
        {"limit=1.5", "/v1/posts?limit=1.5", "400"},
        {"limit=abc", "/v1/posts?limit=abc", "400"},
        {"limit=", "/v1/posts?limit=", "400"},
        {"limit without =", "/v1/posts?limit", "400"},
        {"limit repeated", "/v1/posts?limit=1&limit=2", "400"},
        {"limit=007", "/v1/posts?limit=007", "400"},
        {"page=0", "/v1/posts?page=0", "400"},
        {"page=-1", "/v1/posts?page=-1", "400"},
        {"page=1000001", "/v1/posts?page=1000001", "400"},
        {"page=10^30", "/v1/posts?page=1000000000000000000000000000000", "400"},
        {"page=abc", "/v1/posts?page=abc", "400"},
        {"page=", "/v1/posts?page=", "400"},
        {"page repeated", "/v1/posts?page=1&page=1", "400"},
        {"sort=bogus", "/v1/posts?sort=bogus", "400"},
        {"sort=", "/v1/posts?sort=", "400"},
        {"sort=relevance without q", "/v1/posts?sort=relevance", "400"},
        {"sort repeated", "/v1/posts?sort=date&sort=date", "400"},
        {"after=bogus", "/v1/posts?after=bogus", "400"},
        {"after=2023-13-45", "/v1/posts?after=2023-13-45", "400"},
        {"after=huge year", "/v1/posts?after=99999999999-01-01", "400"},
        {"after=epoch seconds", "/v1/posts?after=1700000000", "400"},
        {"before=", "/v1/posts?before=", "400"},
        {"before=T25:61:61", "/v1/posts?before=2023-01-01T25:61:61Z", "400"},
        {"after repeated", "/v1/posts?after=2023-01-01&after=2023-01-02", "400"},
        {"q=", "/v1/posts?q=", "400"},
        {"q of punctuation only", "/v1/posts?q=%2A%22%28%29%5E", "400"},
        {"q repeated", "/v1/posts?q=a&q=b", "400"},
        {"fields=bogus", "/v1/posts?fields=bogus", "400"},
        {"fields=", "/v1/posts?fields=", "400"},
        {"fields=,,,", "/v1/posts?fields=,,,", "400"},
        {"include=bogus", "/v1/posts?include=bogus", "400"},
        {"include=../../etc/passwd", "/v1/posts?include=..%2F..%2Fetc%2Fpasswd", "400"},
        {"unknown parameter", "/v1/posts?x=1", "400"},
        {"typo of limit", "/v1/posts?limt=5", "400"},
        {"empty name", "/v1/posts?=1", "400"},
        {"only ampersands and =", "/v1/posts?&&&=&&", "400"},
        {"tag=", "/v1/posts?tag=", "400"},
        {"page and cursor", "/v1/posts?page=2&cursor=AAAA", "400"},
        {"cursor=garbage", "/v1/posts?cursor=garbage!!", "400"},
        {"cursor=", "/v1/posts?cursor=", "400"},
        {"cursor with padding", "/v1/posts?cursor=AQ%3D%3D", "400"},
        {"cursor of one char", "/v1/posts?cursor=A", "400"},
        {"cursor of zero bytes",
         "/v1/posts?cursor=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "400"},
        {"cursor repeated", "/v1/posts?cursor=AAAA&cursor=AAAA", "400"},
        {"terms sort=bogus", "/v1/tags?sort=bogus", "400"},
        {"terms limit=-1", "/v1/tags?limit=-1", "400"},
        {"terms page=0", "/v1/domains?page=0", "400"},
        {"terms unknown parameter", "/v1/authors?tag=x", "400"},
        {"fixed filter repeated on its route", "/v1/tags/culture/posts?tag=x", "400"},
        {"limit over the cap on a tag route", "/v1/tags/culture/posts?limit=1000", "400"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        get(t[i].name, t[i].target, t[i].expect);

    char *s = repeat("a", 300);
    char *target = NULL;
    if (asprintf(&target, "/v1/posts?tag=%s", s) < 0)
        exit(1);
    get("300-byte tag value", target, "400");
    free(target);
    if (asprintf(&target, "/v1/posts?q=%s", s) < 0)
        exit(1);
    get("300-byte q", target, "400");
    free(target);
    free(s);
    s = repeat("&tag=t", 51);
    if (asprintf(&target, "/v1/posts?limit=1%s", s) < 0)
        exit(1);
    get("tag repeated 51 times", target, "400");
    free(target);
    free(s);
    s = repeat("&x=1", 700);
    if (asprintf(&target, "/v1/posts?limit=1%s", s) < 0)
        exit(1);
    get("700 unknown parameters", target, "400");
    free(target);
    free(s);
    s = repeat("&a", 3000);
    if (asprintf(&target, "/v1/posts?limit=1%s", s) < 0)
        exit(1);
    get("3000 empty parameters", target, "4xx");
    free(target);
    free(s);
    s = repeat("c", 5000);
    if (asprintf(&target, "/v1/posts?cursor=%s", s) < 0)
        exit(1);
    get("5000-char cursor", target, "400");
    free(target);
    free(s);
    s = repeat("/a", 20000);
    get("40 KB path", s, "4xx|close");
    free(s);
    s = repeat("a", 100 * 1024);
    if (asprintf(&target, "/%s", s) < 0)
        exit(1);
    get("100 KiB target", target, "414|4xx|close");
    free(target);
    free(s);
}

static void cases_injection(void)
{
    /* Injection in a filter value must not widen the query: an "OR 1=1" that
     * worked would list every post, so these must be empty (or refused). */
    static const struct {
        const char *name, *target, *expect;
    } t[] = {
        {"SQL in tag", "/v1/posts?tag=x%27%20OR%20%271%27%3D%271", "empty|4xx"},
        {"SQL in tag with comment", "/v1/posts?tag=x%27)%20OR%201%3D1--", "empty|4xx"},
        {"SQL in author", "/v1/posts?author=%22%3B%20DROP%20TABLE%20posts%3B--", "empty|4xx"},
        {"SQL UNION in category",
         "/v1/posts?category=x%27%20UNION%20SELECT%20sql%20FROM%20sqlite_master--", "empty|4xx"},
        {"SQL in domain", "/v1/posts?domain=x%27%20OR%20%27%27%3D%27", "empty|4xx"},
        {"LIKE wildcards in domain", "/v1/posts?domain=%25", "empty|4xx"},
        {"LIKE wildcard in tag", "/v1/posts?tag=%25", "empty|4xx"},
        {"underscore wildcard in author", "/v1/posts?author=_", "empty|4xx"},
        {"SQL in tag_not does not drop the rest", "/v1/posts?tag=zzqx&tag_not=x%27%20OR%201%3D1--",
         "empty|4xx"},
        {"FTS column filter", "/v1/posts?q=title%3Azzqx", "empty|4xx"},
        {"FTS NEAR", "/v1/posts?q=NEAR(zzqx%20zzqy%2C%201)", "empty|4xx"},
        {"FTS OR injection", "/v1/posts?q=zzqx%22%20OR%20%22", "empty|4xx"},
        {"FTS unbalanced quote", "/v1/posts?q=%22zzqx", "empty|4xx"},
        {"FTS parenthesis", "/v1/posts?q=zzqx)%20OR%20(1", "empty|4xx"},
        {"FTS NOT", "/v1/posts?q=zzqx%20NOT%20zzqy", "empty|4xx"},
        {"FTS caret and star", "/v1/posts?q=%5Ezzqx*", "empty|4xx"},
        {"FTS braces column set", "/v1/posts?q=%7Btitle%20body%7D%3A%20zzqx", "empty|4xx"},
        {"FTS lone operators", "/v1/posts?q=AND%20OR%20NOT", "empty|4xx"},
        {"SQL in q", "/v1/posts?q=zzqx%27%3B%20DELETE%20FROM%20posts%3B--", "empty|4xx"},
        {"LIKE wildcard as a terms prefix", "/v1/tags?q=%25", "nodata|4xx"},
        {"underscore as a terms prefix", "/v1/authors?q=_", "nodata|4xx"},
        {"SQL in post key", "/v1/posts/x%27%20OR%20%271%27%3D%271", "404"},
        {"SQL in tag route", "/v1/tags/x%27%20OR%201%3D1--/posts", "404"},
        {"SQL in author route", "/v1/authors/%22%3B%20DROP%20TABLE%20posts%3B--/posts", "404"},
        {"SQL in domain route", "/v1/domains/x%27%20UNION%20SELECT%201--/posts", "404"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        get(t[i].name, t[i].target, t[i].expect);
}

static void cases_traversal(void)
{
    static const struct {
        const char *name, *target, *expect;
    } t[] = {
        {"dot-dot to /etc/passwd", "/../../../../etc/passwd", "4xx"},
        {"dot-dot after /v1", "/v1/../../etc/passwd", "4xx"},
        {"encoded dot-dot", "/%2e%2e/%2e%2e/etc/passwd", "4xx"},
        {"encoded slashes in a post key", "/v1/posts/..%2F..%2F..%2Fetc%2Fpasswd", "4xx"},
        {"dot-dot as a post key", "/v1/posts/..", "4xx"},
        {"double-dot-slash games", "/v1/posts/....//....//etc/passwd", "4xx"},
        {"backslashes", "/v1/posts/..\\..\\..\\etc\\passwd", "4xx"},
        {"past openapi.json", "/v1/openapi.json/../../../etc/passwd", "4xx"},
        {"the database file by name", "/data/postd.db", "4xx"},
        {"absolute path as a key", "/v1/posts/%2Fetc%2Fpasswd", "4xx"},
        {"overlong-encoded dots", "/%c0%ae%c0%ae/etc/passwd", "4xx"},
        {"tag route traversal", "/v1/tags/..%2F..%2Fetc/posts", "4xx"},
    };
    for (size_t i = 0; i < sizeof t / sizeof *t; i++)
        get(t[i].name, t[i].target, t[i].expect);
}

static void cases_methods(void)
{
    static const char *const methods[] = {"DELETE",   "PUT", "PATCH", "TRACE",
                                          "PROPFIND", "FOO", "get"};
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        char name[64];
        snprintf(name, sizeof name, "method %s", methods[i]);
        addf(name, "405|4xx",
             "%s /v1/posts HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", methods[i]);
    }
    RAW("POST with a body",
        "POST /v1/posts HTTP/1.1\r\nHost: localhost\r\nContent-Length: 7\r\nConnection: "
        "close\r\n\r\n"
        "{\"a\":1}",
        "405");
    RAW("CONNECT authority-form",
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\nConnection: close\r\n\r\n",
        "4xx|close");
    RAW("OPTIONS on an unknown path",
        "OPTIONS /v1/nope HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", "4xx");
    RAW("HEAD with a bad parameter",
        "HEAD /v1/posts?limit=-1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", "400");
    cases[n_cases - 1].head = 1;
}

static void cases_bodies(void)
{
    RAW("GET with a Content-Length body",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 9\r\nConnection: close\r\n\r\n"
        "some=body",
        "400");
    RAW("GET with a chunked body",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
        "Connection: close\r\n\r\n4\r\nbody\r\n0\r\n\r\n",
        "400");
    RAW("HEAD with a body",
        "HEAD /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nConnection: "
        "close\r\n\r\n"
        "body",
        "400");
    cases[n_cases - 1].head = 1;
    RAW("GET with a body and Expect: 100-continue",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nExpect: 100-continue\r\n"
        "Connection: close\r\n\r\n",
        "4xx|close");
    RAW("GET announcing 2 GiB and sending none",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2147483648\r\n\r\n",
        "413|4xx");
    RAW("Content-Length over 2^64",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
        "99999999999999999999999\r\n\r\n",
        "4xx|close");
    RAW("negative Content-Length",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\nabc", "4xx|close");
    RAW("non-numeric Content-Length",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n", "4xx|close");
    RAW("two different Content-Lengths",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nContent-Length: "
        "30\r\n\r\n"
        "abc",
        "4xx|close");
    RAW("Transfer-Encoding and Content-Length (smuggling)",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: "
        "chunked\r\n"
        "\r\n0\r\n\r\nGET /v1/posts?limit=0 HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "4xx|close");
    RAW("malformed chunk size",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "4xx|close");
    RAW("huge chunk size",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
        "fffffffffffffffffffffff\r\n",
        "4xx|close");
    RAW("unknown Transfer-Encoding",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: gzip, zstd\r\n\r\n",
        "4xx|close");
    RAW("DELETE with a 1 MiB+ Content-Length",
        "DELETE /v1/posts HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1048577\r\n\r\n",
        "413|4xx");
}

static void cases_pipelined(void)
{
    RAW("pipelined: good then bad",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
        "GET /v1/posts?limit=-1 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "200,400,close");
    RAW("pipelined: bad then good",
        "GET /v1/posts?limit=-1 HTTP/1.1\r\nHost: localhost\r\n\r\n"
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "400,200,close");
    RAW("pipelined: good then garbage",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\nGARBAGE\r\n\r\n", "200,4xx|close");
    RAW("pipelined: garbage then good",
        "GARBAGE\r\n\r\nGET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n", "4xx|close");
    RAW("pipelined: body smuggles a second request",
        "GET /v1/nope HTTP/1.1\r\nHost: localhost\r\nContent-Length: 44\r\n\r\n"
        "GET /v1/posts?limit=-1 HTTP/1.1\r\nHost: x\r\n\r\n",
        "4xx|close");
    RAW("pipelined: HEAD then bad GET",
        "HEAD /v1/posts?limit=0 HTTP/1.1\r\nHost: localhost\r\n\r\n"
        "GET /v1/posts?limit=0 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        "400,400,close");
    cases[n_cases - 1].head = 1;
    char *many = repeat("GET /v1/nope HTTP/1.1\r\nHost: localhost\r\n\r\n", 20);
    char *exp = repeat("404,", 20);
    exp[strlen(exp) - 1] = '\0';
    add("pipelined: 20 requests", many, strlen(many), exp);
    free(many);
    free(exp);
}

static void cases_cut_short(void)
{
    static const char *const partial[] = {
        "GET /heal",
        "GET /healthz HTTP/1.1\r\nHost: loc",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\n",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabc",
        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
    };
    for (size_t i = 0; i < sizeof partial / sizeof *partial; i++) {
        char name[64];
        snprintf(name, sizeof name, "client gives up after %zu bytes", strlen(partial[i]));
        add(name, partial[i], strlen(partial[i]), "4xx|close");
        cases[n_cases - 1].half_close = 1;
    }
    add("connection opened and closed at once", "", 0, "close");
    cases[n_cases - 1].half_close = 1;
}

/* Cursors need a server: one real cursor, then damaged copies of it. */
static void cases_cursors(const char *cursor)
{
    size_t n = strlen(cursor);
    char *c = NULL, *target = NULL;

    if (asprintf(&target, "/v1/posts?limit=1&cursor=%s", cursor) < 0)
        exit(1);
    get("the real cursor (control)", target, "200");
    free(target);

    c = strndup(cursor, n > 5 ? n - 5 : 1);
    if (asprintf(&target, "/v1/posts?limit=1&cursor=%s", c) < 0)
        exit(1);
    get("truncated cursor", target, "400");
    free(target);
    free(c);

    c = strdup(cursor);
    c[n / 2] = c[n / 2] == 'A' ? 'B' : 'A';
    if (asprintf(&target, "/v1/posts?limit=1&cursor=%s", c) < 0)
        exit(1);
    get("cursor with one character changed", target, "400");
    free(target);
    free(c);

    c = strdup(cursor);
    c[n - 1] = c[n - 1] == 'A' ? 'B' : 'A';
    if (asprintf(&target, "/v1/posts?limit=1&cursor=%s", c) < 0)
        exit(1);
    get("cursor with its last character changed", target, "400");
    free(target);
    free(c);

    if (asprintf(&target, "/v1/posts?limit=1&cursor=%sAAAA", cursor) < 0)
        exit(1);
    get("cursor with bytes appended", target, "400");
    free(target);

    if (asprintf(&target, "/v1/posts?limit=1&tag=culture&cursor=%s", cursor) < 0)
        exit(1);
    get("cursor reused with another filter", target, "400");
    free(target);

    if (asprintf(&target, "/v1/posts?limit=1&sort=title&cursor=%s", cursor) < 0)
        exit(1);
    get("cursor reused with another sort", target, "400");
    free(target);

    if (asprintf(&target, "/v1/posts?limit=1&page=3&cursor=%s", cursor) < 0)
        exit(1);
    get("cursor with page", target, "400");
    free(target);

    c = strdup(cursor);
    for (char *p = c; *p; p++)
        *p = *p == '-' ? '+' : *p == '_' ? '/' : *p;
    if (asprintf(&target, "/v1/posts?limit=1&cursor=%s%%3D", c) < 0)
        exit(1);
    get("cursor in standard base64 with padding", target, "400");
    free(target);
    free(c);

    if (asprintf(&target, "/v1/tags?cursor=%s", cursor) < 0)
        exit(1);
    get("cursor on a terms list", target, "400");
    free(target);
}

/* ---- sockets -------------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    struct timeval tv = {RECV_TIMEOUT_S, 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Sends everything it can; the server may close early (a 431 before the end of
 * a huge header), which is not an error here. */
static void send_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        p += n;
        len -= (size_t)n;
    }
}

struct conn {
    int fd;
    char *buf;
    size_t len, cap;
    int eof;   /* the server closed (FIN) */
    int reset; /* ECONNRESET */
    int timed_out;
};

/* Reads more bytes. Returns 1 when some came, 0 at EOF/reset, -1 on a timeout. */
static int fill(struct conn *c, double deadline)
{
    if (c->eof || c->reset)
        return 0;
    if (now_s() > deadline) {
        c->timed_out = 1;
        return -1;
    }
    if (c->cap - c->len < 65536) {
        c->cap = c->cap ? c->cap * 2 : 131072;
        c->buf = realloc(c->buf, c->cap + 1);
        if (!c->buf) {
            perror("realloc");
            exit(1);
        }
    }
    for (;;) {
        ssize_t n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
        if (n > 0) {
            c->len += (size_t)n;
            c->buf[c->len] = '\0';
            return 1;
        }
        if (n == 0) {
            c->eof = 1;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == ECONNRESET) {
            c->reset = 1;
            return 0;
        }
        if ((errno == EAGAIN || errno == EWOULDBLOCK) && now_s() < deadline)
            continue; /* SO_RCVTIMEO ran out; the case deadline has not */
        c->timed_out = 1;
        return -1;
    }
}

struct resp {
    int status;
    char *head; /* status line and headers, NUL-terminated (owned) */
    char *body; /* NUL-terminated (owned) */
    size_t body_len;
};

static void resp_clear(struct resp *r)
{
    free(r->head);
    free(r->body);
    memset(r, 0, sizeof *r);
}

/* The value of header name in r, or NULL (e2e_header: a static copy, valid
 * for the next 3 calls). The status line matches no header name. */
static const char *resp_header(const struct resp *r, const char *name)
{
    struct e2e_resp e = {.headers = r->head};
    return e2e_header(&e, name);
}

/* Takes one response off the front of c. Returns 1, 0 when the connection ended
 * before any byte of it, or -1 (timeout, or a broken response: *why says). */
static int read_response(struct conn *c, int head, double deadline, struct resp *r,
                         const char **why)
{
    char *end;
    memset(r, 0, sizeof *r);
    while (!(end = c->buf ? strstr(c->buf, "\r\n\r\n") : NULL)) {
        int rc = fill(c, deadline);
        if (rc == 0 && c->len == 0)
            return 0;
        if (rc <= 0) {
            *why = rc < 0 ? "timed out waiting for a response (hang)"
                          : "connection ended inside a response head";
            return -1;
        }
    }
    size_t head_len = (size_t)(end - c->buf) + 4;
    if (strncmp(c->buf, "HTTP/1.", 7) != 0 || head_len < 13) {
        *why = "not an HTTP/1.x response";
        return -1;
    }
    r->status = atoi(c->buf + 9);
    if (r->status >= 100 && r->status < 200) {
        /* an interim response (100 Continue): the final one follows */
        memmove(c->buf, c->buf + head_len, c->len - head_len + 1);
        c->len -= head_len;
        return read_response(c, head, deadline, r, why);
    }
    r->head = strndup(c->buf, head_len - 2);
    const char *cl = resp_header(r, "Content-Length");
    size_t body_len =
        cl && !head && r->status != 204 && r->status != 304 ? strtoul(cl, NULL, 10) : 0;
    if (!cl && !head && r->status >= 200 && r->status != 204 && r->status != 304) {
        *why = "response without Content-Length";
        return -1;
    }
    while (c->len < head_len + body_len) {
        if (fill(c, deadline) <= 0) {
            *why = "response body cut short";
            return -1;
        }
    }
    r->body = strndup(c->buf + head_len, body_len);
    r->body_len = body_len;
    memmove(c->buf, c->buf + head_len + body_len, c->len - head_len - body_len);
    c->len -= head_len + body_len;
    c->buf[c->len] = '\0';
    return 1;
}

/* ---- checks --------------------------------------------------------------- */

/* Text a 4xx body must never contain: paths, the database, SQL, a passwd file. */
static const char *const forbidden[] = {"/work", ".db",  "SELECT",  "sqlite", "syntax error",
                                        "/tmp/", "fts5", "root:x:", "/etc/",  "SQL logic"};

/* A copy of s without its "quoted" parts (owned). */
static char *unquote(const char *s)
{
    char *copy = strdup(s), *q;
    while ((q = strchr(copy, '"'))) {
        char *q2 = strchr(q + 1, '"');
        if (!q2)
            break;
        memmove(q, q2 + 1, strlen(q2 + 1) + 1);
    }
    return copy;
}

/* Removes from a problem document what echoes the request: "instance" (the raw
 * target), the names in invalid_params, and "quoted" text in the detail and the
 * reasons (the value that was not found or not understood). */
static char *strip_echoes(const char *body)
{
    json_t *v = json_loads(body, 0, NULL);
    if (!json_is_object(v)) {
        json_decref(v);
        return strdup(body);
    }
    json_object_del(v, "instance");
    const char *detail = json_string_value(json_object_get(v, "detail"));
    if (detail) {
        char *d = unquote(detail);
        json_object_set_new(v, "detail", json_string(d));
        free(d);
    }
    json_t *inv = json_object_get(v, "invalid_params");
    size_t i;
    json_t *item;
    json_array_foreach(inv, i, item)
    {
        json_object_del(item, "name");
        const char *reason = json_string_value(json_object_get(item, "reason"));
        if (reason) {
            char *r = unquote(reason);
            json_object_set_new(item, "reason", json_string(r));
            free(r);
        }
    }
    char *out = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    return out ? out : strdup("");
}

/* Checks one response against one alternative of an expectation token. */
static int status_matches(const char *alt, size_t alt_len, const struct resp *r)
{
    char a[16];
    if (alt_len >= sizeof a)
        return 0;
    memcpy(a, alt, alt_len);
    a[alt_len] = '\0';
    if (strcmp(a, "2xx") == 0)
        return r->status >= 200 && r->status < 300;
    if (strcmp(a, "4xx") == 0)
        return r->status >= 400 && r->status < 500;
    if (strcmp(a, "nodata") == 0) {
        json_t *v = r->status == 200 ? json_loads(r->body, 0, NULL) : NULL;
        json_t *data = json_object_get(v, "data");
        int ok = json_is_array(data) && json_array_size(data) == 0;
        json_decref(v);
        return ok;
    }
    if (strcmp(a, "empty") == 0) {
        const char *total = resp_header(r, "X-Total-Count");
        return r->status == 200 && total && strcmp(total, "0") == 0;
    }
    return atoi(a) == r->status && strlen(a) == 3;
}

static int token_has(const char *tok, size_t len, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = tok; p < tok + len;) {
        const char *bar = memchr(p, '|', (size_t)(tok + len - p));
        size_t al = bar ? (size_t)(bar - p) : (size_t)(tok + len - p);
        if (al == wl && memcmp(p, word, wl) == 0)
            return 1;
        p += al + 1;
    }
    return 0;
}

static int token_matches(const char *tok, size_t len, const struct resp *r)
{
    for (const char *p = tok; p < tok + len;) {
        const char *bar = memchr(p, '|', (size_t)(tok + len - p));
        size_t al = bar ? (size_t)(bar - p) : (size_t)(tok + len - p);
        if (status_matches(p, al, r))
            return 1;
        p += al + 1;
    }
    return 0;
}

/* What is wrong with a response regardless of the expectation, or NULL. A 5xx is
 * wrong unless the expectation names it (505: RFC 9110 §15.6.6 for a major
 * version other than 1, which libmicrohttpd answers itself). */
static const char *check_response(const struct resp *r, const char *tok, size_t tl, char *why,
                                  size_t why_len)
{
    char code[8];
    snprintf(code, sizeof code, "%d", r->status);
    if (r->status >= 500 && !token_has(tok, tl, code)) {
        snprintf(why, why_len, "server error %d", r->status);
        return why;
    }
    if (r->status < 400)
        return NULL;
    const char *ct = resp_header(r, "Content-Type");
    int ours = resp_header(r, "X-Request-Id") != NULL;
    if (ours) {
        if (!ct || strncmp(ct, "application/problem+json", 24) != 0) {
            snprintf(why, why_len, "%d with Content-Type %s, not application/problem+json",
                     r->status, ct ? ct : "(none)");
            return why;
        }
        if (r->body_len) { /* a HEAD answer has the headers only */
            json_t *v = json_loads(r->body, 0, NULL);
            json_int_t st = json_integer_value(json_object_get(v, "status"));
            int titled = json_is_string(json_object_get(v, "title"));
            json_decref(v);
            if (st != r->status || !titled) {
                snprintf(why, why_len, "problem document without matching status/title: %.200s",
                         r->body);
                return why;
            }
        }
        if (r->status == 405 && !resp_header(r, "Allow")) {
            snprintf(why, why_len, "405 without Allow");
            return why;
        }
    }
    char *scan = strip_echoes(r->body ? r->body : "");
    for (size_t i = 0; i < sizeof forbidden / sizeof *forbidden; i++) {
        if (strcasestr(scan, forbidden[i])) {
            snprintf(why, why_len, "body gives away \"%s\": %.300s", forbidden[i], r->body);
            free(scan);
            return why;
        }
    }
    free(scan);
    return NULL;
}

/* Runs one case. Returns NULL when it passed, else why (in why). *seen gets a
 * short summary of what came back ("400 400 close"). */
static const char *run_case(const struct hcase *hc, char *seen, size_t seen_len, char *why,
                            size_t why_len)
{
    struct conn c = {.fd = dial()};
    const char *fail = NULL;
    double deadline = now_s() + CASE_DEADLINE_S;
    size_t used = 0;

    seen[0] = '\0';
    if (c.fd < 0) {
        snprintf(why, why_len, "cannot connect: %s", strerror(errno));
        return why;
    }
    send_all(c.fd, hc->raw, hc->len);
    if (hc->half_close)
        shutdown(c.fd, SHUT_WR);

    const char *tok = hc->expect;
    unsigned n_resp = 0;
    while (*tok && !fail) {
        const char *comma = strchr(tok, ',');
        size_t tl = comma ? (size_t)(comma - tok) : strlen(tok);
        struct resp r;
        const char *rwhy = NULL;
        int rc;

        if (tl == 5 && memcmp(tok, "close", 5) == 0) {
            /* the server must end the connection now, with nothing more */
            while ((rc = fill(&c, deadline)) > 0)
                ;
            if (c.len) {
                snprintf(why, why_len, "expected a close, got more bytes: %.80s", c.buf);
                fail = why;
            } else if (rc < 0) {
                snprintf(why, why_len, "connection left open (hang)");
                fail = why;
            }
            used += (size_t)snprintf(seen + used, seen_len - used, "%sclose", used ? " " : "");
            break;
        }
        rc = read_response(&c, (hc->head >> n_resp) & 1, deadline, &r, &rwhy);
        n_resp++;
        if (rc == 0) {
            used += (size_t)snprintf(seen + used, seen_len - used, "%s%s", used ? " " : "",
                                     c.reset ? "reset" : "close");
            if (!token_has(tok, tl, "close")) {
                snprintf(why, why_len, "connection %s without a response, expected %.*s",
                         c.reset ? "reset" : "closed", (int)tl, tok);
                fail = why;
            }
            break;
        }
        if (rc < 0) {
            snprintf(why, why_len, "%s", rwhy);
            fail = why;
            break;
        }
        used += (size_t)snprintf(seen + used, seen_len - used, "%s%d", used ? " " : "", r.status);
        if (used >= seen_len)
            used = seen_len - 1;
        if (!token_matches(tok, tl, &r)) {
            snprintf(why, why_len, "status %d, expected %.*s: %.200s", r.status, (int)tl, tok,
                     r.body ? r.body : "");
            fail = why;
        } else {
            fail = check_response(&r, tok, tl, why, why_len);
        }
        resp_clear(&r);
        tok = comma ? comma + 1 : tok + tl;
    }
    close(c.fd);
    free(c.buf);
    return fail;
}

/* ---- the server ----------------------------------------------------------- */

/* One GET on a new connection, read to the end. Returns the status (0 when
 * there was none); *body gets the body (owned) when non-NULL. */
static int simple_get(const char *target, char **body, char **head_out)
{
    char req[4096];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", target);
    struct conn c = {.fd = dial()};
    struct resp r;
    const char *why = NULL;
    int status = 0;
    if (c.fd < 0)
        return 0;
    send_all(c.fd, req, (size_t)n);
    if (read_response(&c, 0, now_s() + CASE_DEADLINE_S, &r, &why) == 1) {
        status = r.status;
        if (body) {
            *body = r.body;
            r.body = NULL;
        }
        if (head_out) {
            *head_out = r.head;
            r.head = NULL;
        }
        resp_clear(&r);
    }
    close(c.fd);
    free(c.buf);
    return status;
}

static int server_alive(void)
{
    return waitpid(server_pid, NULL, WNOHANG) == 0;
}

/* The Total header of a response head, or -1. */
static long head_total(const char *head)
{
    const char *t = head ? strcasestr(head, "\r\nX-Total-Count:") : NULL;
    return t ? strtol(t + 16, NULL, 10) : -1;
}

int main(int argc, char **argv)
{
    struct e2e_server srv;
    int failed = 0, passed = 0;

    if (argc < 3) {
        fprintf(stderr, "usage: %s POSTD SAMPLE_POSTS\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    /* under valgrind or sanitizers everything is slower */
    e2e_watchdog(getenv("HOSTILE_WATCHDOG") ? (unsigned)atoi(getenv("HOSTILE_WATCHDOG")) : 240);

    char *dir = e2e_tmpdir(), *db = NULL, *config = NULL;
    if (!dir || asprintf(&db, "%s/postd.db", dir) < 0 ||
        asprintf(&config, "%s/empty.yaml", dir) < 0)
        return 1;
    e2e_write_file(config, "# built-in defaults\n");
    const char *ingest[] = {argv[1], "ingest", "--config", config, "--db", db, argv[2], NULL};
    char ingest_err[4200];
    snprintf(ingest_err, sizeof ingest_err, "%s/ingest.err", dir);
    int rc = e2e_run(ingest, NULL, NULL, ingest_err);
    if (rc != 0 && rc != 1) { /* 1: some sample files are rejected on purpose */
        char *text = e2e_read_file(ingest_err, NULL);
        fprintf(stderr, "hostile: postd ingest exited %d:\n%s\n", rc, text ? text : "");
        free(text);
        e2e_cleanup();
        return 1;
    }
    /* A short idle timeout: libmicrohttpd 0.9.75 does not close a connection
     * whose client half-closed it mid-request; it waits for connection_timeout
     * (default 30 s), which the "client gives up" cases then wait out. */
    const char *extra[] = {"--connection-timeout", "3", NULL};
    if (e2e_server_start(&srv, argv[1], db, dir, extra) != 0) {
        e2e_cleanup();
        return 1;
    }
    port = srv.port;
    server_pid = srv.pid;
    printf("hostile: postd pid %d on 127.0.0.1:%d\n", (int)server_pid, port);

    /* a real cursor and the total, for the forged-cursor cases and the end check */
    char *body = NULL, *head = NULL;
    int st = simple_get("/v1/posts?limit=1", &body, &head);
    json_t *v = st == 200 ? json_loads(body, 0, NULL) : NULL;
    const char *cursor =
        json_string_value(json_object_get(json_object_get(v, "meta"), "next_cursor"));
    long total0 = head_total(head);
    if (!cursor || total0 <= 1) {
        fprintf(stderr, "hostile: GET /v1/posts?limit=1 gave %d without a cursor: %.300s\n", st,
                body ? body : "");
        e2e_cleanup();
        return 1;
    }
    cases_request_line();
    cases_versions();
    cases_headers();
    cases_encoding();
    cases_params();
    cases_injection();
    cases_traversal();
    cases_methods();
    cases_bodies();
    cases_pipelined();
    cases_cut_short();
    cases_cursors(cursor);
    json_decref(v);
    free(body);
    free(head);

    for (size_t i = 0; i < n_cases; i++) {
        char seen[256], why[1024], hwhy[128] = "";
        double t0 = now_s();
        const char *fail = run_case(&cases[i], seen, sizeof seen, why, sizeof why);
        double secs = now_s() - t0;
        /* the server must still serve a new connection, and still be there */
        int hs = simple_get("/healthz", NULL, NULL);
        if (!fail && hs != 200) {
            snprintf(hwhy, sizeof hwhy, "GET /healthz afterwards gave %d", hs);
            fail = hwhy;
        }
        if (!server_alive()) {
            snprintf(hwhy, sizeof hwhy, "the server process died");
            fail = hwhy;
        }
        printf("%-4s %3zu %-48s expect %-18s got %-16s %.2fs%s%s\n", fail ? "FAIL" : "ok", i + 1,
               cases[i].name, cases[i].expect, seen, secs, fail ? "  " : "", fail ? fail : "");
        if (fail)
            failed++;
        else
            passed++;
        if (!server_alive())
            break;
    }

    /* the end: still alive, still serving the same data */
    head = NULL;
    st = server_alive() ? simple_get("/v1/posts", NULL, &head) : 0;
    long total1 = head_total(head);
    free(head);
    int end_ok = st == 200 && total1 == total0;
    printf("%-4s final GET /v1/posts: %d, X-Total-Count %ld (was %ld)\n", end_ok ? "ok" : "FAIL",
           st, total1, total0);
    /* nothing is under way any more: the stop must not wait out its grace period */
    double t_stop = now_s();
    int stop = server_alive() ? e2e_server_stop(&srv, SIGTERM, 20) : -1;
    t_stop = now_s() - t_stop;
    if (stop == 0 && t_stop > 5)
        stop = -2;
    printf("%-4s SIGTERM: exit status %d after %.2fs\n", stop == 0 ? "ok" : "FAIL", stop, t_stop);
    char *err_text = e2e_read_file(srv.err, NULL);
    int sanitizer =
        err_text && (strstr(err_text, "runtime error") || strstr(err_text, "Sanitizer"));
    if (sanitizer)
        printf("FAIL sanitizer report in the server's stderr:\n%s\n", err_text);
    free(err_text);
    failed += !end_ok + (stop != 0) + sanitizer;

    printf("%d passed, %d failed (%zu cases)\n", passed, failed, n_cases);
    for (size_t i = 0; i < n_cases; i++)
        free(cases[i].raw);
    free(cases);
    free(db);
    free(config);
    free(dir);
    e2e_cleanup();
    return failed ? 1 : 0;
}
