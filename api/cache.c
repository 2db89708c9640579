/* The response cache (see api_cache.h for the contract): refcounted bodies,
 * cache entries, normalized request keys, and the sharded table with its
 * epochs and CLOCK eviction.
 *
 * Locking: a hit takes its shard's rwlock for reading only; inserts, evictions
 * and flushes take one shard's lock for writing at a time (never two, so there
 * is no lock order to get wrong). view_mu serializes epoch changes; the epoch
 * itself is an atomic read by every request. */
#include "api_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "api_router.h"
#include "api_util.h"
#include "status.h"

#define N_SHARDS 16
#define SHARD_OF(h) ((size_t)((h) >> 60) & (N_SHARDS - 1))
#define MIN_BUCKETS 64
#define MAX_KEY 8192                  /* longer keys are not cached */
#define MAX_PARAMS 512                /* nor requests with more parameters */
#define MAX_ITEMS (API_MAX_VALUE + 1) /* comma items in a fields=/include= value */

/* ---- bodies ------------------------------------------------------------------ */

struct api_body *api_body_new(char *data, size_t len)
{
    struct api_body *b = malloc(sizeof(*b));
    if (!b)
        return NULL;
    atomic_init(&b->refs, 1);
    b->len = len;
    b->data = data;
    return b;
}

const void *api_body_data(const struct api_body *b)
{
    return b ? b->data : NULL;
}

size_t api_body_len(const struct api_body *b)
{
    return b ? b->len : 0;
}

struct api_body *api_body_ref(struct api_body *b)
{
    if (b)
        atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void api_body_unref(struct api_body *b)
{
    if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    free(b->data);
    free(b);
}

/* ---- entries ----------------------------------------------------------------- */

struct api_cache_entry *api_cache_entry_new(void)
{
    static atomic_uint_fast64_t serials;
    struct api_cache_entry *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    /* once per built response (a miss), not per hit */
    e->serial = atomic_fetch_add_explicit(&serials, 1, memory_order_relaxed) + 1;
    atomic_init(&e->refs, 1);
    atomic_init(&e->referenced, 0);
    return e;
}

void api_cache_entry_unref(struct api_cache_entry *e)
{
    if (!e || atomic_fetch_sub_explicit(&e->refs, 1, memory_order_acq_rel) != 1)
        return;
    api_body_unref(e->body);
    api_body_unref(e->gz);
    free(e->link);
    free(e->key);
    free(e);
}

/* ---- the table --------------------------------------------------------------- */

struct shard {
    pthread_rwlock_t lock;
    struct api_cache_entry **buckets;
    size_t mask; /* buckets - 1, a power of two minus one */
    size_t n;
    struct api_cache_entry *hand; /* CLOCK ring; NULL when empty */
};

struct api_cache {
    size_t max_bytes;
    atomic_size_t bytes, entries;
    atomic_uint_fast64_t epoch; /* current; entries of other epochs are dead */
    pthread_mutex_t view_mu;    /* guards view, has_view and epoch changes */
    struct api_cache_view view;
    int has_view;
    atomic_uint evict_from; /* where the next eviction starts */
    struct shard shards[N_SHARDS];
};

int api_cache_new(struct api_cache **out, size_t max_bytes)
{
    *out = NULL;
    struct api_cache *c = calloc(1, sizeof(*c));
    size_t i = 0;
    if (!c)
        return ST_NOMEM;
    c->max_bytes = max_bytes;
    atomic_init(&c->bytes, 0);
    atomic_init(&c->entries, 0);
    atomic_init(&c->epoch, 1);
    atomic_init(&c->evict_from, 0);
    if (pthread_mutex_init(&c->view_mu, NULL) != 0) {
        free(c);
        return ST_NOMEM;
    }
    for (; i < N_SHARDS; i++) {
        struct shard *s = &c->shards[i];
        s->buckets = calloc(MIN_BUCKETS, sizeof(*s->buckets));
        s->mask = MIN_BUCKETS - 1;
        if (!s->buckets || pthread_rwlock_init(&s->lock, NULL) != 0) {
            free(s->buckets);
            goto fail;
        }
    }
    *out = c;
    return 0;
fail:
    while (i-- > 0) {
        pthread_rwlock_destroy(&c->shards[i].lock);
        free(c->shards[i].buckets);
    }
    pthread_mutex_destroy(&c->view_mu);
    free(c);
    return ST_NOMEM;
}

/* Unlinks e from its shard (write lock held) and pushes it on *dead. */
static void unlink_entry(struct api_cache *c, struct shard *s, struct api_cache_entry *e,
                         struct api_cache_entry **dead)
{
    struct api_cache_entry **pp = &s->buckets[e->hash & s->mask];
    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    if (e->next == e) {
        s->hand = NULL;
    } else {
        e->prev->next = e->next;
        e->next->prev = e->prev;
        if (s->hand == e)
            s->hand = e->next;
    }
    s->n--;
    atomic_fetch_sub_explicit(&c->bytes, e->charge, memory_order_relaxed);
    atomic_fetch_sub_explicit(&c->entries, 1, memory_order_relaxed);
    e->hnext = *dead;
    *dead = e;
}

/* Drops the cache's references, after the shard lock is released. */
static void release_all(struct api_cache_entry *dead)
{
    while (dead) {
        struct api_cache_entry *next = dead->hnext;
        api_cache_entry_unref(dead);
        dead = next;
    }
}

static void shard_clear(struct api_cache *c, struct shard *s)
{
    struct api_cache_entry *dead = NULL;
    pthread_rwlock_wrlock(&s->lock);
    while (s->hand)
        unlink_entry(c, s, s->hand, &dead);
    pthread_rwlock_unlock(&s->lock);
    release_all(dead);
}

void api_cache_free(struct api_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < N_SHARDS; i++) {
        shard_clear(c, &c->shards[i]);
        pthread_rwlock_destroy(&c->shards[i].lock);
        free(c->shards[i].buckets);
    }
    pthread_mutex_destroy(&c->view_mu);
    free(c);
}

static int view_eq(const struct api_cache_view *a, const struct api_cache_view *b)
{
    return a->generation == b->generation && a->last_ingest == b->last_ingest && a->lo == b->lo &&
           a->hi == b->hi;
}

uint64_t api_cache_epoch(struct api_cache *c, const struct api_cache_view *v,
                         struct api_cache_memo *memo)
{
    uint64_t cur = atomic_load_explicit(&c->epoch, memory_order_acquire);
    if (memo->epoch == cur && view_eq(&memo->view, v))
        return cur;
    pthread_mutex_lock(&c->view_mu);
    if (!c->has_view || !view_eq(&c->view, v)) {
        /* Any other view wins, newer or not: a thread's view is checked at the
         * start of each of its requests, so an older one only comes from a
         * request racing the change, and the next request of any thread that
         * saw the change moves the cache back. Ordering views would instead
         * strand the cache if a database were replaced by one with a lower
         * generation. Publish the epoch first: inserts of the old one are
         * refused from here on, and what they already inserted goes below. */
        c->view = *v;
        c->has_view = 1;
        cur = atomic_load_explicit(&c->epoch, memory_order_relaxed) + 1;
        atomic_store_explicit(&c->epoch, cur, memory_order_release);
        for (size_t i = 0; i < N_SHARDS; i++)
            shard_clear(c, &c->shards[i]);
    } else {
        cur = atomic_load_explicit(&c->epoch, memory_order_relaxed);
    }
    pthread_mutex_unlock(&c->view_mu);
    memo->view = *v;
    memo->epoch = cur;
    return cur;
}

static struct api_cache_entry *find(const struct shard *s, const char *key, size_t len,
                                    uint64_t hash)
{
    for (struct api_cache_entry *e = s->buckets[hash & s->mask]; e; e = e->hnext)
        if (e->hash == hash && e->key_len == len && memcmp(e->key, key, len) == 0)
            return e;
    return NULL;
}

struct api_cache_entry *api_cache_get(struct api_cache *c, uint64_t epoch, const char *key,
                                      size_t len, uint64_t hash)
{
    struct shard *s = &c->shards[SHARD_OF(hash)];
    pthread_rwlock_rdlock(&s->lock);
    struct api_cache_entry *e = find(s, key, len, hash);
    if (e && e->epoch == epoch) {
        atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
        /* Read before writing: a hot entry's line is not dirtied on every hit. */
        if (!atomic_load_explicit(&e->referenced, memory_order_relaxed))
            atomic_store_explicit(&e->referenced, 1, memory_order_relaxed);
    } else {
        e = NULL;
    }
    pthread_rwlock_unlock(&s->lock);
    return e;
}

/* Doubles the bucket array (write lock held); stays as is when out of memory. */
static void grow(struct shard *s)
{
    size_t n = (s->mask + 1) * 2;
    struct api_cache_entry **b = calloc(n, sizeof(*b));
    if (!b)
        return;
    for (size_t i = 0; i <= s->mask; i++) {
        struct api_cache_entry *e = s->buckets[i];
        while (e) {
            struct api_cache_entry *next = e->hnext;
            e->hnext = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
            e = next;
        }
    }
    free(s->buckets);
    s->buckets = b;
    s->mask = n - 1;
}

/* CLOCK over one shard until the cache fits or the shard is empty: a referenced
 * entry loses its bit and is passed over once, so two turns are enough. */
static void evict_shard(struct api_cache *c, struct shard *s)
{
    struct api_cache_entry *dead = NULL;
    pthread_rwlock_wrlock(&s->lock);
    size_t budget = 2 * s->n + 1;
    while (s->hand && budget-- > 0 &&
           atomic_load_explicit(&c->bytes, memory_order_relaxed) > c->max_bytes) {
        struct api_cache_entry *e = s->hand;
        if (atomic_exchange_explicit(&e->referenced, 0, memory_order_relaxed)) {
            s->hand = e->next;
            continue;
        }
        unlink_entry(c, s, e, &dead);
    }
    pthread_rwlock_unlock(&s->lock);
    release_all(dead);
}

static void evict(struct api_cache *c)
{
    unsigned start = atomic_fetch_add_explicit(&c->evict_from, 1, memory_order_relaxed);
    for (unsigned i = 0; i < N_SHARDS; i++) {
        if (atomic_load_explicit(&c->bytes, memory_order_relaxed) <= c->max_bytes)
            return;
        evict_shard(c, &c->shards[(start + i) % N_SHARDS]);
    }
}

int api_cache_put(struct api_cache *c, uint64_t epoch, struct api_cache_entry *e)
{
    e->charge = sizeof(*e) + e->key_len + sizeof(struct api_body) + e->body->len +
                (e->gz ? sizeof(struct api_body) + e->gz->len : 0) +
                (e->link ? strlen(e->link) + 1 : 0);
    if (e->charge > c->max_bytes)
        return 0;
    struct shard *s = &c->shards[SHARD_OF(e->hash)];
    struct api_cache_entry *dead = NULL;
    int inserted = 0;
    pthread_rwlock_wrlock(&s->lock);
    /* Checked under the shard lock: a flush publishes the new epoch before it
     * takes this lock, so an entry of an old epoch is refused or flushed. */
    if (atomic_load_explicit(&c->epoch, memory_order_acquire) != epoch)
        goto out;
    struct api_cache_entry *old = find(s, e->key, e->key_len, e->hash);
    if (old && old->epoch == epoch)
        goto out; /* another thread missed at the same time and was first */
    if (old)
        unlink_entry(c, s, old, &dead);
    if (s->n >= s->mask + 1)
        grow(s);
    e->epoch = epoch;
    atomic_fetch_add_explicit(&e->refs, 1, memory_order_relaxed);
    atomic_store_explicit(&e->referenced, 0, memory_order_relaxed);
    struct api_cache_entry **b = &s->buckets[e->hash & s->mask];
    e->hnext = *b;
    *b = e;
    /* Behind the hand: the newest entry is the last the CLOCK looks at. */
    if (!s->hand) {
        e->prev = e->next = e;
        s->hand = e;
    } else {
        e->next = s->hand;
        e->prev = s->hand->prev;
        s->hand->prev->next = e;
        s->hand->prev = e;
    }
    s->n++;
    atomic_fetch_add_explicit(&c->bytes, e->charge, memory_order_relaxed);
    atomic_fetch_add_explicit(&c->entries, 1, memory_order_relaxed);
    inserted = 1;
out:
    pthread_rwlock_unlock(&s->lock);
    release_all(dead);
    if (inserted)
        evict(c);
    return inserted;
}

void api_cache_size(struct api_cache *c, size_t *bytes, size_t *entries)
{
    *bytes = c ? atomic_load_explicit(&c->bytes, memory_order_relaxed) : 0;
    *entries = c ? atomic_load_explicit(&c->entries, memory_order_relaxed) : 0;
}

/* ---- keys -------------------------------------------------------------------- */

struct kv {
    const char *name, *value;
    size_t nl, vl;
    int sorted_items; /* a fields=/include= value written as a sorted set */
};

static int kv_cmp(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    int r = strcmp(x->name, y->name);
    return r ? r : strcmp(x->value, y->value);
}

struct span {
    const char *p;
    size_t n;
};

static int span_cmp(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    size_t n = x->n < y->n ? x->n : y->n;
    int r = memcmp(x->p, y->p, n);
    return r ? r : (x->n > y->n) - (x->n < y->n);
}

/* Writes the comma items of v (vl bytes) sorted; the same length as v. */
static char *put_items(char *w, const char *v, size_t vl)
{
    struct span items[MAX_ITEMS];
    size_t n = 0;
    const char *p = v, *end = v + vl;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *e = comma ? comma : end;
        items[n].p = p;
        items[n].n = (size_t)(e - p);
        n++;
        if (!comma)
            break;
        p = comma + 1;
    }
    qsort(items, n, sizeof(items[0]), span_cmp);
    for (size_t i = 0; i < n; i++) {
        if (i)
            *w++ = ',';
        memcpy(w, items[i].p, items[i].n);
        w += items[i].n;
    }
    return w;
}

/* n in decimal as "%d" writes it, into buf (24 bytes); snprintf alone would
 * cost more than the rest of a key. */
static void int_text(char *buf, int n)
{
    char tmp[24];
    size_t i = 0, o = 0;
    unsigned long long u = n < 0 ? 0ULL - (unsigned long long)n : (unsigned long long)n;
    do {
        tmp[i++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (n < 0)
        buf[o++] = '-';
    while (i)
        buf[o++] = tmp[--i];
    buf[o] = '\0';
}

int api_cache_key(const struct api_request *req, int route, const char *arg, enum api_param_set set,
                  int default_limit, char **key, size_t *len)
{
    struct kv small[16];
    struct kv *kv = small;
    size_t n = req->n_params, k = 0;
    int rc = -1;
    *key = NULL;
    *len = 0;
    if (n > MAX_PARAMS)
        return -1;
    if (n > sizeof(small) / sizeof(small[0])) {
        kv = malloc(n * sizeof(*kv));
        if (!kv)
            return -1;
    }
    char dl[24];
    int_text(dl, default_limit);
    size_t n_limit = 0, n_page = 0, n_cursor = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = req->params[i].name ? req->params[i].name : "";
        n_limit += strcmp(name, "limit") == 0;
        n_page += strcmp(name, "page") == 0;
        n_cursor += strcmp(name, "cursor") == 0;
    }
    size_t total = 2 + (arg ? strlen(arg) : 0);
    for (size_t i = 0; i < n; i++) {
        const char *name = req->params[i].name ? req->params[i].name : "";
        const char *value = req->params[i].value ? req->params[i].value : "";
        /* Defaults the list routes fill in anyway: the response is the same
         * bytes. Only a lone occurrence, so an invalid repeat stays distinct. */
        if (set != API_PARAMS_NONE &&
            ((n_limit == 1 && strcmp(name, "limit") == 0 && strcmp(value, dl) == 0) ||
             (n_page == 1 && n_cursor == 0 && strcmp(name, "page") == 0 &&
              strcmp(value, "1") == 0)))
            continue;
        struct kv *x = &kv[k++];
        x->name = name;
        x->value = value;
        x->nl = strlen(name);
        x->vl = strlen(value);
        x->sorted_items = set == API_PARAMS_POSTS && x->vl <= API_MAX_VALUE &&
                          (strcmp(name, "fields") == 0 || strcmp(name, "include") == 0);
        total += x->nl + x->vl + 2;
        if (total > MAX_KEY)
            goto out;
    }
    if (k > 1)
        qsort(kv, k, sizeof(*kv), kv_cmp);

    /* route byte, arg, NUL, then name NUL value NUL: NUL cannot occur in a
     * decoded name or value (the server refuses it), so this is unambiguous. */
    char *buf = malloc(total);
    if (!buf)
        goto out;
    char *w = buf;
    *w++ = (char)('A' + route);
    if (arg) {
        size_t al = strlen(arg);
        memcpy(w, arg, al);
        w += al;
    }
    *w++ = '\0';
    for (size_t i = 0; i < k; i++) {
        memcpy(w, kv[i].name, kv[i].nl + 1);
        w += kv[i].nl + 1;
        if (kv[i].sorted_items) {
            w = put_items(w, kv[i].value, kv[i].vl);
        } else {
            memcpy(w, kv[i].value, kv[i].vl);
            w += kv[i].vl;
        }
        *w++ = '\0';
    }
    *key = buf;
    *len = (size_t)(w - buf);
    rc = 0;
out:
    if (kv != small)
        free(kv);
    return rc;
}

uint64_t api_cache_hash(const char *key, size_t len)
{
    uint64_t h = api_fnv1a64(key, len, API_FNV64_BASIS);
    /* FNV-1a's high bits (the shard) mix poorly on short keys: fold. */
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h;
}
