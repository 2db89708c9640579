/* HTTP semantics around a handler's result: the body bytes, the strong ETag
 * and conditional requests (RFC 9110 §13: If-None-Match with weak comparison
 * and "*", If-Modified-Since only without it), gzip content coding (zlib, only
 * when Accept-Encoding allows it and the body is over 1 KiB), caching headers
 * (RFC 9111), CORS, Vary, X-Request-Id and HEAD. A cacheable 200 becomes a
 * response cache entry first and is sent from it, exactly as a hit is; the
 * per-request parts (304, gzip or not, CORS, X-Request-Id, HEAD, a copy or a
 * shared reference of the bytes) are applied to the entry on every request.
 *
 * The ETag is "<16 hex FNV-1a 64><8 hex CRC-32>" of the identity body; the gzip
 * variant of the same bytes is the same tag with "-gz" inside the quotes, so
 * the two representations never share a strong validator (RFC 9110 §8.8.3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "api_cache.h"
#include "api_call.h"
#include "api_util.h"
#include "status.h"

#define GZIP_MIN 1024
#define ALLOW "GET, HEAD, OPTIONS"
#define EXPOSE "ETag, Link, X-Total-Count, Last-Modified, X-Request-Id"

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Parses a qvalue in [p, e) (RFC 9110 §12.4.2) as thousandths; -1 when malformed. */
static int qvalue(const char *p, const char *e)
{
    if (p >= e || (*p != '0' && *p != '1'))
        return -1;
    int v = (*p++ - '0') * 1000;
    if (p < e && *p == '.') {
        p++;
        for (int scale = 100; p < e && scale > 0 && *p >= '0' && *p <= '9'; scale /= 10)
            v += (*p++ - '0') * scale;
    }
    return p == e && v <= 1000 ? v : -1;
}

/* Does Accept-Encoding allow gzip? A listed gzip (or x-gzip) decides by its
 * q-value; otherwise "*" does; q=0 (or a malformed q) refuses. */
static int accepts_gzip(const char *ae)
{
    if (!ae)
        return 0;
    int gzip_q = -1, star_q = -1;
    const char *p = ae;
    while (*p) {
        const char *e = strchr(p, ',');
        if (!e)
            e = p + strlen(p);
        while (p < e && is_ows(*p))
            p++;
        const char *tok = p;
        while (p < e && *p != ';' && !is_ows(*p))
            p++;
        size_t tl = (size_t)(p - tok);
        int q = 1000;
        while (p < e) {
            if (*p != ';') {
                p++;
                continue;
            }
            p++;
            while (p < e && is_ows(*p))
                p++;
            const char *pe = p;
            while (pe < e && *pe != ';')
                pe++;
            const char *ve = pe;
            while (ve > p && is_ows(ve[-1]))
                ve--;
            if (ve - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
                int v = qvalue(p + 2, ve);
                q = v < 0 ? 0 : v;
            }
            p = pe;
        }
        if ((tl == 4 && strncasecmp(tok, "gzip", 4) == 0) ||
            (tl == 6 && strncasecmp(tok, "x-gzip", 6) == 0))
            gzip_q = gzip_q < 0 || q < gzip_q ? q : gzip_q;
        else if (tl == 1 && tok[0] == '*')
            star_q = q;
        p = *e ? e + 1 : e;
    }
    if (gzip_q >= 0)
        return gzip_q > 0;
    return star_q > 0;
}

/* RFC 9110 §13.1.2: weak comparison against any listed entity-tag, or "*". */
static int none_match(const char *inm, const char *etag)
{
    const char *p = inm;
    size_t el = strlen(etag);
    while (*p) {
        while (*p == ',' || is_ows(*p))
            p++;
        if (!*p)
            return 0;
        if (*p == '*')
            return 1;
        if (p[0] == 'W' && p[1] == '/')
            p += 2;
        if (*p != '"')
            return 0; /* malformed: no match, send the full response */
        const char *q = strchr(p + 1, '"');
        if (!q)
            return 0;
        size_t tl = (size_t)(q + 1 - p);
        if (tl == el && memcmp(p, etag, el) == 0)
            return 1;
        p = q + 1;
    }
    return 0;
}

static int gzip_body(const char *in, size_t n, char **out, size_t *out_n)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    /* 15 window bits + 16: a gzip wrapper (mtime 0, so the bytes are stable). */
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        return ST_NOMEM;
    size_t cap = deflateBound(&zs, (uLong)n);
    char *buf = malloc(cap);
    if (!buf) {
        deflateEnd(&zs);
        return ST_NOMEM;
    }
    zs.next_in = (Bytef *)in;
    zs.avail_in = (uInt)n;
    zs.next_out = (Bytef *)buf;
    zs.avail_out = (uInt)cap;
    int zrc = deflate(&zs, Z_FINISH);
    size_t written = cap - zs.avail_out;
    deflateEnd(&zs);
    if (zrc != Z_STREAM_END) {
        free(buf);
        return ST_NOMEM;
    }
    /* The bound is about the input's size and JSON shrinks to a third or less:
     * give the rest back, or a cache entry would hold it unaccounted (measured:
     * ~10 KB per cached list page, 15 MiB of RSS with a full 24 MiB cache). */
    char *fit = realloc(buf, written ? written : 1);
    if (fit)
        buf = fit;
    *out = buf;
    *out_n = written;
    return 0;
}

static void hdr(struct api_call *c, const char *name, const char *value)
{
    if (api_response_header(c->res, name, value) != 0)
        fprintf(stderr, "postd: api: response header %s dropped\n", name);
}

/* Is the request's Origin one of the configured ones (comma-separated)? */
static int origin_allowed(const char *cfg, const char *origin)
{
    size_t ol = strlen(origin);
    const char *p = cfg;
    while (*p) {
        while (*p == ',' || is_ows(*p))
            p++;
        const char *e = p;
        while (*e && *e != ',' && !is_ows(*e))
            e++;
        if ((size_t)(e - p) == ol && strncasecmp(p, origin, ol) == 0)
            return 1;
        p = e;
    }
    return 0;
}

static void common_headers(struct api_call *c)
{
    const char *cfg = c->ctx->cfg.cors_origin;
    hdr(c, "Vary", "Accept-Encoding, Origin");
    if (strcmp(cfg, "*") == 0)
        hdr(c, "Access-Control-Allow-Origin", "*");
    else if (c->req->origin && origin_allowed(cfg, c->req->origin))
        hdr(c, "Access-Control-Allow-Origin", c->req->origin);
    hdr(c, "Access-Control-Expose-Headers", EXPOSE);
    hdr(c, "X-Request-Id", c->request_id);
}

/* Length of s when it is a sane request id to echo (1..128 of [A-Za-z0-9._-]), else 0. */
static size_t request_id_sane(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char ch = s[n];
        if (n >= 128 || !((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                          (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
            return 0;
    }
    return n;
}

/* Ids are handed out to each thread in blocks, so that the shared counter is
 * touched once per RID_BLOCK requests instead of on every one (an atomic on a
 * line both workers write). */
#define RID_BLOCK 4096

struct rid_state {
    const struct api_ctx *ctx; /* the ctx the block was taken from */
    uint64_t next, end;
};

static _Thread_local struct rid_state rid_tls;

void api_http_request_id(struct api_call *c)
{
    const char *rid = c->req->request_id;
    size_t n = rid ? request_id_sane(rid) : 0;
    if (n) {
        memcpy(c->request_id, rid, n + 1);
        return;
    }
    struct rid_state *t = &rid_tls;
    if (t->ctx != c->ctx || t->next == t->end) {
        t->ctx = c->ctx;
        t->next = atomic_fetch_add(&c->ctx->rid_counter, RID_BLOCK) + 1;
        t->end = t->next + RID_BLOCK;
    }
    /* splitmix64 of a per-process random seed and a counter: a bijection of
     * the counter, so unique per process, and unpredictable enough for log
     * correlation. */
    uint64_t x = c->ctx->rid_seed + 0x9e3779b97f4a7c15ULL * t->next++;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    static const char hex[] = "0123456789abcdef";
    for (int i = 15; i >= 0; i--, x >>= 4)
        c->request_id[i] = hex[x & 15];
    c->request_id[16] = '\0';
}

/* Header values must not carry CR/LF; Access-Control-Request-Headers is echoed
 * only when it is a plain list of header names. */
static int token_list(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        unsigned char ch = (unsigned char)s[n];
        if (n >= 1024 ||
            !(ch == ',' || ch == ' ' || ch == '\t' || ch == '-' || ch == '_' || ch == '.' ||
              (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')))
            return 0;
    }
    return n > 0;
}

void api_http_options(struct api_call *c)
{
    const struct api_request *req = c->req;
    c->status = 204;
    if (req->origin && req->acr_method) {
        hdr(c, "Access-Control-Allow-Methods", ALLOW);
        if (req->acr_headers && token_list(req->acr_headers))
            hdr(c, "Access-Control-Allow-Headers", req->acr_headers);
        hdr(c, "Access-Control-Max-Age", "86400");
    } else {
        hdr(c, "Allow", ALLOW);
    }
}

static void set_body(struct api_response *res, char *body, size_t len, const char *type)
{
    free(res->body);
    res->body = body;
    res->body_len = len;
    res->content_type = body ? type : NULL;
}

/* Turns the handler's cacheable 200 into an entry: body (taken, even on
 * failure), both ETags, Last-Modified, X-Total-Count, Link (taken from c), and
 * the gzip bytes when compress. NULL on out of memory. */
static struct api_cache_entry *entry_build(struct api_call *c, char *body, size_t len,
                                           const char *type, int compress)
{
    struct api_cache_entry *e = api_cache_entry_new();
    if (!e || !(e->body = api_body_new(body, len))) {
        free(body);
        api_cache_entry_unref(e);
        return NULL;
    }
    uint64_t h = api_fnv1a64(body, len, API_FNV64_BASIS);
    uint32_t crc = (uint32_t)crc32(0L, (const Bytef *)body, (uInt)len);
    snprintf(e->etag, sizeof(e->etag), "\"%016llx%08x\"", (unsigned long long)h, crc);
    snprintf(e->etag_gz, sizeof(e->etag_gz), "\"%016llx%08x-gz\"", (unsigned long long)h, crc);
    e->content_type = type;
    e->cache_control = c->cache_control ? c->cache_control : c->ctx->cfg.cache_control;
    e->last_modified = c->last_modified > 0 ? c->last_modified : 0;
    if (e->last_modified)
        api_http_date_format(e->last_modified, e->lm);
    if (c->has_total) {
        e->has_total = 1;
        snprintf(e->total, sizeof(e->total), "%lld", (long long)c->total);
    }
    if (c->link && c->link[0]) {
        e->link = c->link;
        c->link = NULL;
    }
    char *z = NULL;
    size_t zn = 0;
    /* Without gzip bytes the entry is still good: sent as identity. */
    if (compress && len > GZIP_MIN && gzip_body(body, len, &z, &zn) == 0 &&
        !(e->gz = api_body_new(z, zn)))
        free(z);
    return e;
}

/* The response's reuse_key (see api.h): the entry, 304 or not, the encoding
 * and HEAD decide everything but X-Request-Id, unless CORS echoes the
 * request's Origin. An exclusive entry is never seen again: no key. */
static uint64_t reuse_key(const struct api_call *c, const struct api_cache_entry *e, int exclusive,
                          int not_modified, int gz, int head)
{
    if (exclusive || !e->serial || (e->serial >> 60) || strcmp(c->ctx->cfg.cors_origin, "*") != 0)
        return 0;
    return e->serial << 3 | (uint64_t)not_modified | (uint64_t)gz << 1 | (uint64_t)head << 2;
}

void api_http_serve(struct api_call *c, struct api_cache_entry *e, int exclusive)
{
    struct api_response *res = c->res;
    const struct api_request *req = c->req;
    /* e->gz exists only for bodies over GZIP_MIN. */
    int gz = e->gz && accepts_gzip(req->accept_encoding);
    const char *etag = gz ? e->etag_gz : e->etag;

    int not_modified = 0;
    if (req->if_none_match) {
        not_modified = none_match(req->if_none_match, etag);
    } else if (req->if_modified_since && e->lm[0]) {
        int64_t ims;
        if (api_http_date_parse(req->if_modified_since, &ims) == 0 && e->last_modified <= ims)
            not_modified = 1;
    }
    int head = req->method && strcmp(req->method, "HEAD") == 0;
    /* A response object the server kept for this key makes everything below
     * except X-Request-Id redundant: ask before building it. Only 304s and
     * shared-body 200s get a key. */
    uint64_t key = not_modified || req->accept_shared_body
                       ? reuse_key(c, e, exclusive, not_modified, gz, head)
                       : 0;
    if (key && req->kept && req->kept(req->kept_arg, key)) {
        res->status = not_modified ? 304 : 200;
        set_body(res, NULL, 0, NULL);
        res->head_only = !not_modified && head;
        res->reuse_key = key;
        res->kept = 1;
        hdr(c, "X-Request-Id", c->request_id);
        return;
    }
    if (not_modified) {
        res->status = 304;
        set_body(res, NULL, 0, NULL);
        hdr(c, "ETag", etag);
        hdr(c, "Cache-Control", e->cache_control);
        if (e->lm[0])
            hdr(c, "Last-Modified", e->lm);
        common_headers(c);
        res->reuse_key = key;
        return;
    }

    struct api_body *b = gz ? e->gz : e->body;
    res->status = 200;
    set_body(res, NULL, 0, NULL);
    if (req->accept_shared_body) {
        res->shared_body = api_body_ref(b);
        res->reuse_key = key;
    } else if (exclusive) {
        /* Nobody else can see this entry: hand its bytes over. */
        res->body = b->data;
        b->data = NULL;
    } else {
        res->body = malloc(b->len + 1);
        if (!res->body) {
            res->status = 500;
            hdr(c, "Cache-Control", "no-store");
            common_headers(c);
            return;
        }
        memcpy(res->body, b->data, b->len);
    }
    res->body_len = b->len;
    res->content_type = e->content_type;
    if (gz)
        hdr(c, "Content-Encoding", "gzip");
    hdr(c, "ETag", etag);
    if (e->lm[0])
        hdr(c, "Last-Modified", e->lm);
    hdr(c, "Cache-Control", e->cache_control);
    if (e->has_total)
        hdr(c, "X-Total-Count", e->total);
    if (e->link)
        hdr(c, "Link", e->link);
    common_headers(c);
    res->head_only = head;
}

void api_http_finish(struct api_call *c)
{
    struct api_response *res = c->res;
    const struct api_request *req = c->req;
    const char *type = NULL;
    char *body = NULL;
    size_t len = 0;

    if (c->json) {
        body = api_json_dump(c->json, &len);
        type = c->problem ? "application/problem+json" : "application/json; charset=utf-8";
        if (!body) {
            c->status = 500;
            c->cacheable = 0;
        }
    } else if (c->raw) {
        body = c->raw;
        len = c->raw_len;
        type = c->raw_type;
        c->raw = NULL;
    }

    if (c->status == 200 && body && c->cacheable) {
        /* Every cacheable 200 takes the path a cache hit takes, so a hit and
         * the miss that filled it send the same bytes and headers. A lookup
         * left an epoch in c: the entry goes into the cache (gzip made now,
         * once); otherwise it only serves this request (gzip only if asked). */
        int insert = c->cache_epoch && !c->cache_control;
        struct api_cache_entry *e =
            entry_build(c, body, len, type, insert || accepts_gzip(req->accept_encoding));
        if (!e) {
            api_call_problem(c, 500, "out of memory");
            body = api_json_dump(c->json, &len);
            type = "application/problem+json";
        } else {
            if (insert) {
                e->key = c->cache_key;
                e->key_len = c->cache_key_len;
                e->hash = c->cache_hash;
                c->cache_key = NULL;
                insert = api_cache_put(c->ctx->cache, c->cache_epoch, e);
            }
            api_http_serve(c, e, !insert);
            api_cache_entry_unref(e);
            return;
        }
    }
    res->status = c->status;

    if (body && len > GZIP_MIN && accepts_gzip(req->accept_encoding)) {
        char *z = NULL;
        size_t zn = 0;
        if (gzip_body(body, len, &z, &zn) == 0) {
            free(body);
            body = z;
            len = zn;
            hdr(c, "Content-Encoding", "gzip");
        }
    }
    set_body(res, body, len, type);

    if (c->status == 200 && c->cache_control)
        hdr(c, "Cache-Control", c->cache_control);
    else if (c->status >= 400)
        hdr(c, "Cache-Control", "no-store");
    if (c->status == 200 && c->has_total) {
        char buf[24];
        snprintf(buf, sizeof(buf), "%lld", (long long)c->total);
        hdr(c, "X-Total-Count", buf);
    }
    if (c->status == 200 && c->link && c->link[0])
        hdr(c, "Link", c->link);
    common_headers(c);
    if (req->method && strcmp(req->method, "HEAD") == 0)
        res->head_only = 1;
}
