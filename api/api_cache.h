/* Private to api/: the response cache. Complete 200 responses (identity and
 * gzip bytes, both ETags, Last-Modified, X-Total-Count, Link) keyed by the
 * normalized request, so that a hot read does no SQL and builds no JSON.
 *
 * Validity: every entry belongs to an epoch, and an epoch to one "view" of the
 * data (generation, last ingest, and the time window in which no post comes
 * due). A thread asks api_cache_epoch for the epoch of the view it has just
 * checked (store_data_changed, its window); a view different from the cache's
 * drops every entry and starts a new epoch. Lookups only return entries of the
 * caller's epoch and inserts of another epoch are refused, so a thread that
 * read older data never fills a cache that moved on, and never serves from it.
 *
 * Thread-safe: 16 shards, each an rwlock over a hash table and a CLOCK ring; a
 * hit is a read-locked lookup, a reference count increment and a reference
 * bit. Memory is bounded by bytes (entries, keys, both bodies). */
#ifndef POSTD_API_CACHE_H
#define POSTD_API_CACHE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "api_params.h"

struct api_body {
    atomic_size_t refs;
    size_t len;
    char *data; /* owned (free()) */
};

/* Wraps data (heap, len bytes) in a body with one reference. On success the
 * body owns data; NULL on out of memory (data still the caller's). */
struct api_body *api_body_new(char *data, size_t len);

/* What the cache's validity is tied to (see the top of this file). */
struct api_cache_view {
    int64_t generation, last_ingest;
    int64_t lo, hi; /* valid for lo <= now < hi */
};

/* A thread's memo of its last api_cache_epoch answer (zero it at start). */
struct api_cache_memo {
    struct api_cache_view view;
    uint64_t epoch;
};

/* One cached response. The response part is immutable once built; entries
 * are refcounted (api_cache_get returns a new reference). */
struct api_cache_entry {
    struct api_body *body;     /* identity bytes (one reference) */
    struct api_body *gz;       /* gzip of body (one reference), or NULL */
    const char *content_type;  /* static */
    const char *cache_control; /* static or the ctx's: outlives the entry */
    char etag[48], etag_gz[48];
    int64_t last_modified; /* 0: no Last-Modified */
    char lm[32];           /* formatted, "" when none */
    int has_total;
    char total[24]; /* X-Total-Count */
    char *link;     /* Link header value (owned), or NULL */
    /* unique in the process, never 0 (api_response.reuse_key) */
    uint64_t serial;

    /* Bookkeeping, cache.c only. */
    atomic_uint refs;
    atomic_int referenced; /* CLOCK bit */
    uint64_t hash, epoch;
    char *key; /* owned; key_len bytes */
    size_t key_len, charge;
    struct api_cache_entry *hnext, *prev, *next;
};

/* A zeroed entry with one reference; NULL on out of memory. */
struct api_cache_entry *api_cache_entry_new(void);
void api_cache_entry_unref(struct api_cache_entry *e); /* NULL-safe */

struct api_cache; /* opaque */

/* A cache bounded by max_bytes (> 0). 0 or ST_NOMEM; release with api_cache_free
 * once no thread uses it (bodies handed out stay valid: they are refcounted). */
int api_cache_new(struct api_cache **out, size_t max_bytes);
void api_cache_free(struct api_cache *c); /* NULL-safe */

/* The epoch (never 0) to look up and insert with for a thread whose data view
 * is v. memo makes the common case lock-free. A view other than the cache's
 * drops every entry first. */
uint64_t api_cache_epoch(struct api_cache *c, const struct api_cache_view *v,
                         struct api_cache_memo *memo);

/* The normalized key of a request on route (enum api_route_id) with its path
 * argument (NULL when none), whose parameters are of set: route, argument and
 * the parameters sorted by name and value, fields=/include= items sorted, and
 * limit=<default_limit> and page=1 (without cursor) dropped where a list takes
 * them. Two requests with the same key get the same response bytes (the
 * parser sorts list values and links write fields/include as sets). Returns 0
 * with *key a heap string of *len bytes (not NUL-terminated text: it holds
 * NULs), or -1 (too long, or out of memory): then do not cache. */
int api_cache_key(const struct api_request *req, int route, const char *arg, enum api_param_set set,
                  int default_limit, char **key, size_t *len);
uint64_t api_cache_hash(const char *key, size_t len);

/* The entry for key in epoch, as a new reference, or NULL. */
struct api_cache_entry *api_cache_get(struct api_cache *c, uint64_t epoch, const char *key,
                                      size_t len, uint64_t hash);

/* Inserts e (its key, key_len and hash set; the cache takes its own
 * reference) unless the epoch is no longer current, the key is already there,
 * or e is larger than the bound; evicts down to the bound. Returns 1 when
 * inserted, else 0. */
int api_cache_put(struct api_cache *c, uint64_t epoch, struct api_cache_entry *e);

/* Current size, for the gauges. */
void api_cache_size(struct api_cache *c, size_t *bytes, size_t *entries);

#endif
