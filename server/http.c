/* The libmicrohttpd side of postd. A request's life: the URI log callback sees
 * the raw target first and allocates our per-request state (libmicrohttpd then
 * promises the completion callback); the access handler is called once when the
 * headers are in, again for each piece of a body (drained: the API reads no
 * bodies), and a last time when the request is complete — the response is queued
 * only then, because queueing it on the first call makes libmicrohttpd 0.9.75
 * drop keep-alive (see PERF.md). The completion callback writes the access log
 * line and the metrics. The query string is decoded here from the raw target, not
 * taken from libmicrohttpd's argument list, which cuts values at a %00 and passes
 * bad escapes through silently. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "frontmatter.h"
#include "log.h"
#include "status.h"

/* A request body larger than this gets 413 (no endpoint reads one). */
#define MAX_BODY ((size_t)1 << 20)
/* The longest request line a NUL check trusts the layout for (see nul_in_target). */
#define MAX_LINE ((uintptr_t)16 << 20)
/* Response objects each worker thread keeps for reuse (see send_reused). */
#define REUSE_SLOTS 16

struct http_server {
    struct MHD_Daemon *daemon;
    struct api_ctx *api;
    FILE *access_log;
    int port;
    atomic_long in_flight;  /* requests between the URI callback and completion */
    atomic_long open_conns; /* connections libmicrohttpd holds */
    atomic_int stopping;    /* SIGTERM: every response closes its connection */
    pthread_key_t reuse;    /* a worker's struct reuse_slot[REUSE_SLOTS] */
};

/* A response object built for an api_response.reuse_key, kept by the one
 * worker thread that built it and queued again for the next request with the
 * same key. Only X-Request-Id changes between uses: it is swapped right before
 * the response is queued. That is safe because libmicrohttpd writes a
 * response's header block into the connection's buffer in the same call that
 * returns from the access handler (its "start reply" state never waits for the
 * socket), and only this thread's connections ever see the object. Building a
 * response costs ~25 allocations (each header is three); reusing one, none
 * (six when the new id's length differs). The API is asked first (slot_kept),
 * so a request sent from a slot does not build the headers it would drop. */
struct reuse_slot {
    uint64_t key;
    struct MHD_Response *mr; /* one reference, ours */
    size_t len;
    size_t rid_len;
    char rid[136]; /* the X-Request-Id it holds now */
    char *rid_at;  /* libmicrohttpd's copy of that value (see slot_take), or NULL */
};

/* What api_request.kept looks at: the calling worker's slots, and whether
 * this response asks the client to close (a kept response never does). */
struct kept_query {
    struct reuse_slot *slots; /* NULL: none (out of memory) */
    int closing;
};

/* The request headers postd looks at, from one pass over the list on the
 * first call (first occurrence of each, as MHD_lookup_connection_value gives;
 * pointers into libmicrohttpd's memory, valid until the request completes). */
struct req_headers {
    const char *content_length, *transfer_encoding;
    const char *if_none_match, *if_modified_since, *accept_encoding, *origin;
    const char *request_id, *acr_method, *acr_headers;
    int n_content_length;
    int space_in_name;
};

struct req {
    size_t target_len;
    char method[16];
    char remote[64];
    struct timespec start;
    int calls;
    size_t body_bytes;
    int queued;
    int status;
    size_t bytes;
    const char *route;
    char request_id[128];
    struct req_headers h;
    char target[]; /* raw, as received (up to a NUL byte: see nul_in_target) */
};

/* ---- request targets ------------------------------------------------------ */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes s in place. Returns 0, or -1 on a bad escape or a decoded NUL (s is
 * then still a string, decoded as far as possible). */
static int decode(char *s, int plus_is_space)
{
    /* Nothing moves before the first escape: only look at those bytes. */
    size_t plain = strcspn(s, plus_is_space ? "%+" : "%");
    char *w = s + plain;
    int rc = 0;
    unsigned char high = 0; /* the OR of the bytes: ASCII needs no UTF-8 check */
    for (size_t i = 0; i < plain; i++)
        high |= (unsigned char)s[i];
    for (const char *r = w; *r; r++) {
        if (*r == '%') {
            int hi = hexval((unsigned char)r[1]), lo = hi < 0 ? -1 : hexval((unsigned char)r[2]);
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                rc = -1;
                *w++ = *r;
                continue;
            }
            *w++ = (char)(hi * 16 + lo);
            r += 2;
        } else if (*r == '+' && plus_is_space) {
            *w++ = ' ';
        } else {
            *w++ = *r;
        }
        high |= (unsigned char)w[-1];
    }
    *w = '\0';
    long bad;
    if (rc == 0 && (high & 0x80) && fm_utf8_check(s, (size_t)(w - s), &bad) != 0)
        rc = -1;
    return rc;
}

int http_target_parse(const char *target, struct http_target *out)
{
    char *q, *p;
    size_t cap = 0;

    memset(out, 0, sizeof *out);
    out->buf = strdup(target ? target : "/");
    if (!out->buf)
        return ST_NOMEM;
    p = out->buf;
    /* absolute-form (GET http://host/path): keep the path */
    if ((*p == 'h' || *p == 'H') &&
        (strncasecmp(p, "http://", 7) == 0 || strncasecmp(p, "https://", 8) == 0)) {
        char *slash = strchr(strstr(p, "//") + 2, '/');
        if (slash) {
            p = slash;
        } else {
            char *query = strchr(p, '?');
            /* no path: "/" (the buffer has room: the scheme is longer) */
            memmove(p + 1, query ? query : "", query ? strlen(query) + 1 : 1);
            p[0] = '/';
        }
    }
    if ((q = strchr(p, '#')))
        *q = '\0';
    q = strchr(p, '?');
    if (q)
        *q++ = '\0';
    if (decode(p, 0) != 0)
        out->bad_encoding = 1;
    out->path = p;

    while (q && *q) {
        char *amp = strchr(q, '&');
        if (amp)
            *amp = '\0';
        if (*q) {
            char *eq = strchr(q, '=');
            char *value = q + strlen(q); /* "" inside buf, so decode may write it */
            if (eq) {
                *eq = '\0';
                value = eq + 1;
            }
            if (decode(q, 1) != 0 || decode(value, 1) != 0)
                out->bad_encoding = 1;
            if (out->n_params == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                struct api_param *grown = realloc(out->params, ncap * sizeof *grown);
                if (!grown) {
                    http_target_clear(out);
                    return ST_NOMEM;
                }
                out->params = grown;
                cap = ncap;
            }
            out->params[out->n_params].name = q;
            out->params[out->n_params].value = value;
            out->n_params++;
        }
        q = amp ? amp + 1 : NULL;
    }
    return 0;
}

void http_target_clear(struct http_target *t)
{
    if (!t)
        return;
    free(t->params);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

/* ---- responses -------------------------------------------------------------- */

/* Copies src into dst (cap > 0 bytes), cut to fit, always terminated, as
 * snprintf(dst, cap, "%s", src) does, without its format machinery (several
 * copies per request). */
static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strnlen(src, cap - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static const char *header_value(const struct api_response *res, const char *name)
{
    for (size_t i = 0; i < res->n_headers; i++)
        if (res->headers[i].name && strcasecmp(res->headers[i].name, name) == 0)
            return res->headers[i].value;
    return NULL;
}

static void release_body(void *cls)
{
    api_body_unref(cls);
}

/* The calling worker's reuse slots, made on first use; NULL on out of memory. */
static struct reuse_slot *reuse_slots(struct http_server *s)
{
    struct reuse_slot *slots = pthread_getspecific(s->reuse);
    if (!slots && (slots = calloc(REUSE_SLOTS, sizeof *slots)) &&
        pthread_setspecific(s->reuse, slots) != 0) {
        free(slots);
        slots = NULL;
    }
    return slots;
}

/* Thread exit: libmicrohttpd has closed this worker's connections by then. */
static void reuse_free(void *p)
{
    struct reuse_slot *slots = p;
    for (size_t i = 0; i < REUSE_SLOTS; i++)
        if (slots[i].mr)
            MHD_destroy_response(slots[i].mr);
    free(slots);
}

/* The slot a key goes to. */
static struct reuse_slot *slot_of(struct reuse_slot *slots, uint64_t key)
{
    return &slots[(key * 0x9e3779b97f4a7c15ULL) >> 60 & (REUSE_SLOTS - 1)];
}

/* api_request.kept: will send_response find a response for key? It will,
 * unless the X-Request-Id swap runs out of memory: slot_take below, called
 * on this thread with the same closing flag and nothing in between. */
static int slot_kept(void *arg, uint64_t key)
{
    const struct kept_query *q = arg;
    if (!q->slots || q->closing)
        return 0;
    const struct reuse_slot *slot = slot_of(q->slots, key);
    return slot->mr && slot->key == key;
}

/* Records rid (rid_len bytes) as the X-Request-Id the slot's response holds,
 * and where libmicrohttpd keeps its copy of the value. */
static void slot_note_rid(struct reuse_slot *slot, const char *rid, size_t rid_len)
{
    memcpy(slot->rid, rid, rid_len + 1);
    slot->rid_len = rid_len;
    const char *v = MHD_get_response_header(slot->mr, "X-Request-Id");
    slot->rid_at = v && strcmp(v, rid) == 0 ? (char *)v : NULL;
}

/* The slot's response made ready to send with request id rid (rid_len bytes,
 * shorter than slot->rid), or NULL (the slot holds another key, or is emptied
 * because the swap failed).
 *
 * libmicrohttpd keeps each header value as its own heap copy, formats the
 * header block from it when the response is queued, and hands that copy out
 * (MHD_get_response_header). A new id as long as the old one (every generated
 * id is 16 characters) is written over it: a delete and an add of the header
 * cost six allocations and frees and walk the list twice. Ids of another
 * length take that way. tests/server/test_reuse.c checks every id on the wire. */
static struct MHD_Response *slot_take(struct reuse_slot *slot, uint64_t key, const char *rid,
                                      size_t rid_len)
{
    if (!slot->mr || slot->key != key)
        return NULL;
    if (rid_len == slot->rid_len && memcmp(slot->rid, rid, rid_len) == 0)
        return slot->mr;
    if (slot->rid_at && rid_len == slot->rid_len) {
        memcpy(slot->rid_at, rid, rid_len);
        memcpy(slot->rid, rid, rid_len + 1);
        return slot->mr;
    }
    if (MHD_del_response_header(slot->mr, "X-Request-Id", slot->rid) == MHD_YES &&
        MHD_add_response_header(slot->mr, "X-Request-Id", rid) == MHD_YES) {
        slot_note_rid(slot, rid, rid_len);
        return slot->mr;
    }
    MHD_destroy_response(slot->mr);
    slot->mr = NULL;
    slot->key = 0;
    slot->rid_at = NULL;
    return NULL;
}

/* Sends res; takes its body when libmicrohttpd accepts it. MHD_NO closes the
 * connection (only when out of memory). closing: ask the client to close.
 * logged: keep the request id for the access log. slots: the worker's reuse
 * slots (NULL: build every response). A kept res (see api.h) is sent from its
 * slot: slot_kept promised it is there. */
static enum MHD_Result send_response(struct MHD_Connection *conn, struct req *r,
                                     struct api_response *res, int is_head, int closing, int logged,
                                     struct reuse_slot *slots)
{
    struct MHD_Response *mr = NULL;
    size_t len = res->body ? res->body_len : 0;
    const char *rid = header_value(res, "X-Request-Id");
    size_t rid_len = rid ? strlen(rid) : 0;
    struct reuse_slot *slot = NULL;

    if (slots && res->reuse_key && !closing && rid && rid_len < sizeof slot->rid) {
        slot = slot_of(slots, res->reuse_key);
        if ((mr = slot_take(slot, res->reuse_key, rid, rid_len)))
            len = slot->len;
    }
    if (res->kept && !mr)
        return MHD_NO; /* the id swap ran out of memory: nothing else to send */
    if (mr) {
        /* sent from the slot: res's own reference to the bytes is not needed */
    } else if (res->shared_body) {
        /* A cached body: libmicrohttpd sends the cache's bytes, no copy, and
         * drops our reference when it is done with them. */
        struct api_body *b = res->shared_body;
        len = api_body_len(b);
        mr = MHD_create_response_from_buffer_with_free_callback_cls(len, (void *)api_body_data(b),
                                                                    &release_body, b);
        if (mr)
            res->shared_body = NULL;
    } else if (len) {
        mr = MHD_create_response_from_buffer(len, res->body, MHD_RESPMEM_MUST_FREE);
        if (mr)
            res->body = NULL; /* libmicrohttpd frees it now */
    } else {
        mr = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    if (!mr)
        return MHD_NO; /* the body is still ours: the caller clears res */

    if (!slot || mr != slot->mr) {
        if (res->content_type)
            MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, res->content_type);
        for (size_t i = 0; i < res->n_headers; i++)
            if (res->headers[i].name && res->headers[i].value &&
                MHD_add_response_header(mr, res->headers[i].name, res->headers[i].value) != MHD_YES)
                fprintf(stderr, "postd: dropped invalid response header %s\n",
                        res->headers[i].name);
        /* While stopping, a client must not send another request on this
         * connection: it would be cut off when the daemon stops. */
        if (closing && !header_value(res, "Connection"))
            MHD_add_response_header(mr, MHD_HTTP_HEADER_CONNECTION, "close");
        if (slot) {
            /* the slot keeps this reference (and the bytes) until replaced */
            if (slot->mr)
                MHD_destroy_response(slot->mr);
            slot->mr = mr;
            slot->key = res->reuse_key;
            slot->len = len;
            slot_note_rid(slot, rid, rid_len);
        }
    }

    enum MHD_Result ret = MHD_queue_response(conn, (unsigned int)res->status, mr);
    if (!slot)
        MHD_destroy_response(mr);
    if (ret == MHD_YES) {
        r->queued = 1;
        r->status = res->status;
        r->bytes = is_head || res->head_only ? 0 : len;
        r->route = res->route;
        if (logged && rid)
            copy_str(r->request_id, sizeof r->request_id, rid);
    }
    return ret;
}

/* A problem answered before the API sees the request (a body no endpoint wants,
 * a request whose framing cannot be trusted): the API is not called, so the
 * problem document is made here. The connection is closed after it: whatever
 * follows on it cannot be told apart from the body. */
static enum MHD_Result send_refusal(struct MHD_Connection *conn, struct req *r, int status,
                                    const char *title, const char *detail)
{
    struct api_response res = {0};
    const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
    char made[17];
    if (!rid || !*rid || strlen(rid) > 128) {
        /* every response carries an id; the API makes them, but it is not called here */
        unsigned long long v = 0;
        if (getrandom(&v, sizeof v, GRND_NONBLOCK) != (ssize_t)sizeof v)
            v = (unsigned long long)r->start.tv_nsec * 2654435761ULL ^ (uintptr_t)r;
        snprintf(made, sizeof made, "%016llx", v);
        rid = made;
    }
    json_t *o = json_pack("{s:s, s:s, s:i, s:s, s:s?}", "type", "about:blank", "title", title,
                          "status", status, "detail", detail, "instance", r->target);
    enum MHD_Result ret = MHD_NO;

    res.status = status;
    res.content_type = "application/problem+json";
    res.route = "other";
    res.body = o ? json_dumps(o, JSON_COMPACT) : NULL;
    res.body_len = res.body ? strlen(res.body) : 0;
    json_decref(o);
    if (api_response_header(&res, "Connection", "close") == 0 &&
        api_response_header(&res, "Cache-Control", "no-store") == 0 &&
        api_response_header(&res, "X-Request-Id", rid) == 0 &&
        api_response_header(&res, "Vary", "Accept-Encoding, Origin") == 0)
        ret = send_response(conn, r, &res, 0, 1, 1, NULL);
    api_response_clear(&res);
    return ret;
}

static int key_is(const char *key, size_t key_size, const char *name, size_t name_len)
{
    return key_size == name_len && strncasecmp(key, name, name_len) == 0;
}

#define KEY_IS(name) key_is(key, key_size, name, sizeof(name) - 1)

static void keep(const char **slot, const char *value)
{
    if (!*slot)
        *slot = value;
}

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                   size_t key_size, const char *value, size_t value_size)
{
    struct req_headers *h = cls;
    (void)kind;
    (void)value_size;
    if (!key)
        return MHD_YES;
    if (memchr(key, ' ', key_size) || memchr(key, '\t', key_size))
        h->space_in_name = 1;
    if (KEY_IS(MHD_HTTP_HEADER_CONTENT_LENGTH)) {
        h->n_content_length++;
        keep(&h->content_length, value);
    } else if (KEY_IS(MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
        keep(&h->transfer_encoding, value);
    } else if (KEY_IS(MHD_HTTP_HEADER_IF_NONE_MATCH)) {
        keep(&h->if_none_match, value);
    } else if (KEY_IS(MHD_HTTP_HEADER_IF_MODIFIED_SINCE)) {
        keep(&h->if_modified_since, value);
    } else if (KEY_IS(MHD_HTTP_HEADER_ACCEPT_ENCODING)) {
        keep(&h->accept_encoding, value);
    } else if (KEY_IS("Origin")) {
        keep(&h->origin, value);
    } else if (KEY_IS("X-Request-Id")) {
        keep(&h->request_id, value);
    } else if (KEY_IS("Access-Control-Request-Method")) {
        keep(&h->acr_method, value);
    } else if (KEY_IS("Access-Control-Request-Headers")) {
        keep(&h->acr_headers, value);
    }
    return MHD_YES;
}

/* Why the request's header block is refused, or NULL. Whitespace between a
 * field name and its colon must get 400 (RFC 9112 §5.1). No endpoint reads a
 * body; one on a GET or HEAD has no meaning (RFC 9110 §9.3.1) and is how requests
 * are smuggled past a proxy that frames it differently, and so are several
 * Content-Length headers and a Transfer-Encoding that is not chunked (RFC 9112
 * §6.1, §6.3: 400 and close). libmicrohttpd would read the first and ignore the
 * rest. */
static const char *bad_head(const struct req_headers *h, const char *method)
{
    const char *te = h->transfer_encoding, *cl = h->content_length;

    if (h->space_in_name)
        return "whitespace between a header name and its colon";
    if (h->n_content_length > 1)
        return "several Content-Length headers";
    if (te && strcasecmp(te, "chunked") != 0)
        return "a Transfer-Encoding other than chunked";
    if (te && cl)
        return "both Transfer-Encoding and Content-Length";
    if ((strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) &&
        (te || (cl && strtoull(cl, NULL, 10) > 0)))
        return "a body on a GET or HEAD request";
    return NULL;
}

/* libmicrohttpd hands the request target over as a C string, so a NUL byte in
 * the request line cuts the target short and the rest is dropped unseen. In the
 * line buffer the version follows the target ("<target>\0HTTP/1.1"); a gap
 * between the end of the target and the version is where a NUL was. Pointers
 * that are not laid out like that (another libmicrohttpd) skip the check. */
static int nul_in_target(const char *url, size_t target_len, const char *version)
{
    uintptr_t u = (uintptr_t)url, v = (uintptr_t)version;
    if (!url || !version || !*version || v <= u || v - u > MAX_LINE)
        return 0;
    return v - u != target_len + 1;
}

/* ---- libmicrohttpd callbacks ------------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct http_server *s = cls;
    const char *target = uri ? uri : "/";
    size_t len = strlen(target);
    /* one allocation for the state and the target (malloc and memset: glibc's
     * calloc skips the thread cache, and this is once per request) */
    struct req *r = malloc(sizeof *r + len + 1);
    if (!r)
        return NULL;
    memset(r, 0, sizeof *r);
    memcpy(r->target, target, len + 1);
    r->target_len = len;
    /* The query string is parsed from r->target (http_target_parse), never from
     * libmicrohttpd's argument list. libmicrohttpd would parse it right after this
     * callback into records of ~56 bytes each from the connection's memory pool,
     * and when a query of many short parameters ("a&a&a...") exhausts the pool it
     * fails to answer and holds the connection until it times out. Ending the
     * string it parses at the '?' skips that; uri points into libmicrohttpd's
     * writable request-line buffer, which it writes there itself next. */
    char *query = uri ? strchr((char *)uri, '?') : NULL;
    if (query && query[1])
        query[1] = '\0';
    clock_gettime(CLOCK_MONOTONIC, &r->start);
    /* the client address is for the access log only */
    const union MHD_ConnectionInfo *ci =
        s->access_log ? MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS) : NULL;
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->remote,
                      sizeof r->remote);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->remote,
                      sizeof r->remote);
    }
    atomic_fetch_add(&s->in_flight, 1);
    return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **req_cls)
{
    struct http_server *s = cls;
    struct req *r = *req_cls;
    struct http_target t;
    struct api_request req = {0};
    struct api_response res = {0};
    enum MHD_Result ret;

    if (!r)
        return MHD_NO; /* out of memory in on_uri */
    if (r->queued) {
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (r->calls++ == 0) {
        copy_str(r->method, sizeof r->method, method);
        MHD_get_connection_values_n(conn, MHD_HEADER_KIND, scan_header, &r->h);
        const char *cl = r->h.content_length;
        const char *head;
        if (nul_in_target(url, r->target_len, version))
            return send_refusal(conn, r, 400, "Bad Request",
                                "The request target contains a NUL byte.");
        if (cl && strtoull(cl, NULL, 10) > MAX_BODY)
            return send_refusal(conn, r, 413, "Content Too Large",
                                "request bodies are not accepted here");
        if ((head = bad_head(&r->h, method)))
            return send_refusal(conn, r, 400, "Bad Request", head);
        if (*upload_data_size == 0)
            return MHD_YES; /* answer on the next call: keeps the connection alive */
    }
    if (*upload_data_size) {
        r->body_bytes += *upload_data_size;
        *upload_data_size = 0;
        if (r->body_bytes > MAX_BODY)
            return send_refusal(conn, r, 413, "Content Too Large",
                                "request bodies are not accepted here");
        return MHD_YES;
    }

    if (http_target_parse(r->target, &t) != 0)
        return MHD_NO;
    req.method = method;
    req.path = t.path;
    req.target = r->target;
    req.params = t.params;
    req.n_params = t.n_params;
    req.bad_encoding = t.bad_encoding;
    req.if_none_match = r->h.if_none_match;
    req.if_modified_since = r->h.if_modified_since;
    req.accept_encoding = r->h.accept_encoding;
    req.origin = r->h.origin;
    req.request_id = r->h.request_id;
    req.acr_method = r->h.acr_method;
    req.acr_headers = r->h.acr_headers;

    /* read once: what slot_kept promised holds when send_response looks */
    struct kept_query kq = {reuse_slots(s),
                            atomic_load_explicit(&s->stopping, memory_order_relaxed)};
    req.accept_shared_body = 1;
    req.kept = slot_kept;
    req.kept_arg = &kq;
    api_handle(s->api, &req, &res);
    ret = send_response(conn, r, &res, strcmp(method, "HEAD") == 0, kq.closing,
                        s->access_log != NULL, kq.slots);
    if (ret == MHD_YES && s->access_log && !r->request_id[0] && req.request_id)
        copy_str(r->request_id, sizeof r->request_id, req.request_id);
    api_response_clear(&res);
    http_target_clear(&t);
    return ret;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
                          enum MHD_ConnectionNotificationCode toe)
{
    struct http_server *s = cls;
    atomic_fetch_add(&s->open_conns, toe == MHD_CONNECTION_NOTIFY_STARTED ? 1 : -1);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct http_server *s = cls;
    struct req *r = *req_cls;
    if (!r)
        return;
    double secs = seconds_since(&r->start);
    if (r->queued) {
        api_metrics_observe(s->api, r->route ? r->route : "other", r->status, secs);
        if (s->access_log) {
            struct log_access_entry e = {
                .method = r->method,
                .target = r->target,
                .status = r->status,
                .bytes = r->bytes,
                .duration_ms = secs * 1000,
                .request_id = r->request_id[0] ? r->request_id : NULL,
                .remote = r->remote[0] ? r->remote : NULL,
                .aborted = toe != MHD_REQUEST_TERMINATED_COMPLETED_OK,
            };
            log_access_write(s->access_log, &e);
        }
    }
    free(r);
    *req_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

/* ---- the daemon ----------------------------------------------------------- */

int http_server_start(struct http_server **out, const struct config *cfg, struct api_ctx *api,
                      FILE *access_log)
{
    struct http_server *s = calloc(1, sizeof *s);
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG | MHD_USE_ITC;

    if (!s)
        return ST_NOMEM;
    s->api = api;
    s->access_log = access_log;
    atomic_init(&s->in_flight, 0);
    atomic_init(&s->open_conns, 0);
    atomic_init(&s->stopping, 0);
    if (pthread_key_create(&s->reuse, reuse_free) != 0) {
        free(s);
        return ST_NOMEM;
    }
    flags |= MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES ? MHD_USE_EPOLL : MHD_USE_AUTO;
    if (cfg->listen_addr.family == AF_INET6)
        flags |= MHD_USE_IPv6;

    /* STRICT_FOR_CLIENT 1: an HTTP/1.1 request without Host and a space inside the
     * request target get 400, as RFC 9112 §3.2 and §3 require. */
    s->daemon = MHD_start_daemon(
        flags, 0, NULL, NULL, &on_request, s, MHD_OPTION_SOCK_ADDR,
        (const struct sockaddr *)&cfg->listen_addr.addr, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned int)cfg->threads, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)cfg->connection_limit, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)cfg->connection_timeout, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)cfg->max_request_header, MHD_OPTION_STRICT_FOR_CLIENT, 1,
        MHD_OPTION_URI_LOG_CALLBACK, &on_uri, s, MHD_OPTION_NOTIFY_COMPLETED, &on_completed, s,
        MHD_OPTION_NOTIFY_CONNECTION, &on_connection, s, MHD_OPTION_END);
    if (!s->daemon) {
        fprintf(stderr, "postd: cannot listen on %s\n", cfg->listen);
        pthread_key_delete(s->reuse);
        free(s);
        return ST_IO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di && di->port ? di->port : cfg->listen_addr.port;
    *out = s;
    return 0;
}

int http_server_port(const struct http_server *s)
{
    return s ? s->port : 0;
}

void http_server_stop(struct http_server *s, double max_seconds)
{
    if (!s)
        return;
    struct timespec t0, idle0, nap = {0, 10 * 1000 * 1000};
    atomic_store(&s->stopping, 1);
    MHD_socket listen_fd = MHD_quiesce_daemon(s->daemon);
    /* The socket must stay open until the stop (a worker may still hold it), but
     * shutting it down makes the kernel refuse new connections at once instead
     * of queueing them where nobody will accept them. */
    if (listen_fd != MHD_INVALID_SOCKET)
        shutdown(listen_fd, SHUT_RDWR);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    idle0 = t0;
    /* Requests under way finish, and their responses ask clients to close. Wait
     * until every connection closed, or nothing was under way for a moment (an
     * idle keep-alive client that sends nothing is not waited for), or the grace
     * period is over. */
    while (atomic_load(&s->open_conns) > 0 && seconds_since(&t0) < max_seconds) {
        if (atomic_load(&s->in_flight) > 0)
            clock_gettime(CLOCK_MONOTONIC, &idle0);
        else if (seconds_since(&idle0) > 0.25)
            break;
        nanosleep(&nap, NULL);
    }
    MHD_stop_daemon(s->daemon);
    if (listen_fd != MHD_INVALID_SOCKET)
        close(listen_fd);
    /* the workers have exited: their slots went with them (reuse_free) */
    pthread_key_delete(s->reuse);
    free(s);
}
