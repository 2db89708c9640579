/* The numbers /metrics reports: requests by route and status, a latency
 * histogram per route, response cache hits, misses and size. Every thread
 * that records counts into its own block (found through a pthread key), so a
 * request takes no lock and writes no cache line another thread writes; a
 * render sums the blocks. A block outlives its thread: the next thread to
 * start recording takes it over, so no count is lost and there are never
 * more blocks than threads that record at once. The status codes of a route
 * share one table of slots (claimed with a compare-and-swap the first time a
 * code is seen), so the report lists them in the order they first occurred.
 * The route label is always one of the static route names. */
#include "api_metrics.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_router.h"
#include "store.h"

static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                 0.1,    0.25,  0.5,    1,     2.5,  5,     10};
#define N_BUCKETS (sizeof(buckets) / sizeof(buckets[0]))
#define MAX_STATUSES 24
#define FREE_SLOT INT_MIN

/* One thread's counts for one route. Written by that thread only, read by
 * renders: relaxed atomics, and an increment is a plain load and store. */
struct route_stats {
    atomic_uint_fast64_t status[MAX_STATUSES]; /* by slot of api_metrics.codes */
    /* not cumulative; the last counts what is over the largest bound, so the
     * sum of all is the request count and a render never sees +Inf below a
     * bucket */
    atomic_uint_fast64_t bucket[N_BUCKETS + 1];
    _Atomic double sum;
};

struct block {
    struct route_stats routes[API_R_COUNT];
    atomic_uint_fast64_t hits, misses;
    struct api_metrics *m;
    int in_use;         /* a thread records into it; under m->mu */
    struct block *next; /* m->blocks, under m->mu */
};

struct api_metrics {
    pthread_key_t key;  /* -> the calling thread's struct block */
    pthread_mutex_t mu; /* guards blocks and block.in_use */
    struct block *blocks;
    /* the code in each status slot of a route, FREE_SLOT while free */
    atomic_int codes[API_R_COUNT][MAX_STATUSES];
};

/* Thread exit: the block stays with its counts for the next thread. */
static void block_release(void *p)
{
    struct block *b = p;
    pthread_mutex_lock(&b->m->mu);
    b->in_use = 0;
    pthread_mutex_unlock(&b->m->mu);
}

struct api_metrics *api_metrics_new(void)
{
    struct api_metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        free(m);
        return NULL;
    }
    if (pthread_key_create(&m->key, block_release) != 0) {
        pthread_mutex_destroy(&m->mu);
        free(m);
        return NULL;
    }
    for (int r = 0; r < API_R_COUNT; r++)
        for (int i = 0; i < MAX_STATUSES; i++)
            atomic_init(&m->codes[r][i], FREE_SLOT);
    return m;
}

void api_metrics_free(struct api_metrics *m)
{
    if (!m)
        return;
    /* no destructor runs after the delete: the blocks are freed here */
    pthread_setspecific(m->key, NULL);
    pthread_key_delete(m->key);
    struct block *b = m->blocks;
    while (b) {
        struct block *next = b->next;
        free(b);
        b = next;
    }
    pthread_mutex_destroy(&m->mu);
    free(m);
}

/* The calling thread's block: its own, a released one, or a new one. NULL
 * on out of memory (the count is dropped). */
static struct block *my_block(struct api_metrics *m)
{
    struct block *b = pthread_getspecific(m->key);
    if (b)
        return b;
    pthread_mutex_lock(&m->mu);
    for (b = m->blocks; b && b->in_use; b = b->next)
        ;
    if (!b && (b = calloc(1, sizeof(*b)))) {
        for (int r = 0; r < API_R_COUNT; r++) {
            struct route_stats *s = &b->routes[r];
            for (size_t i = 0; i < MAX_STATUSES; i++)
                atomic_init(&s->status[i], 0);
            for (size_t k = 0; k <= N_BUCKETS; k++)
                atomic_init(&s->bucket[k], 0);
            atomic_init(&s->sum, 0.0);
        }
        atomic_init(&b->hits, 0);
        atomic_init(&b->misses, 0);
        b->m = m;
        b->next = m->blocks;
        m->blocks = b;
    }
    if (b && pthread_setspecific(m->key, b) == 0)
        b->in_use = 1;
    else
        b = NULL;
    pthread_mutex_unlock(&m->mu);
    return b;
}

/* Adds one to a counter only the calling thread writes. */
static void bump(atomic_uint_fast64_t *n)
{
    atomic_store_explicit(n, atomic_load_explicit(n, memory_order_relaxed) + 1,
                          memory_order_relaxed);
}

static int route_index(const char *route)
{
    if (!route)
        return API_R_NONE;
    for (int i = 1; i < API_R_COUNT; i++) {
        const char *name = api_route_name((enum api_route_id)i);
        if (route == name || strcmp(route, name) == 0)
            return i;
    }
    return API_R_NONE;
}

/* The slot of status in a route's table, claimed when new; -1 when the
 * table is full of other codes (the request still counts in the histogram). */
static int status_slot(atomic_int *codes, int status)
{
    for (int i = 0; i < MAX_STATUSES; i++) {
        int code = atomic_load_explicit(&codes[i], memory_order_relaxed);
        if (code == FREE_SLOT) {
            if (atomic_compare_exchange_strong_explicit(&codes[i], &code, status,
                                                        memory_order_relaxed, memory_order_relaxed))
                return i;
            /* another thread took the slot first (code is now its code) */
        }
        if (code == status)
            return i;
    }
    return -1;
}

void api_metrics_record(struct api_metrics *m, const char *route, int status, double seconds)
{
    if (!m)
        return;
    struct block *b = my_block(m);
    if (!b)
        return;
    int r = route_index(route);
    if (!(seconds >= 0))
        seconds = 0;
    struct route_stats *s = &b->routes[r];
    int i = status != FREE_SLOT ? status_slot(m->codes[r], status) : -1;
    if (i >= 0)
        bump(&s->status[i]);
    size_t k = 0;
    while (k < N_BUCKETS && !(seconds <= buckets[k]))
        k++;
    bump(&s->bucket[k]);
    atomic_store_explicit(&s->sum, atomic_load_explicit(&s->sum, memory_order_relaxed) + seconds,
                          memory_order_relaxed);
}

void api_metrics_cache(struct api_metrics *m, int hit)
{
    if (!m)
        return;
    struct block *b = my_block(m);
    if (b)
        bump(hit ? &b->hits : &b->misses);
}

static uint64_t load(const atomic_uint_fast64_t *n)
{
    return atomic_load_explicit(n, memory_order_relaxed);
}

char *api_metrics_render(struct api_metrics *m, const struct store_meta *meta,
                         const struct api_metrics_cache_size *cache, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    /* The blocks' counts, summed: one snapshot for both families. */
    struct {
        uint64_t status[MAX_STATUSES];
        uint64_t bucket[N_BUCKETS + 1];
        double sum;
    } *tot = calloc(API_R_COUNT, sizeof(*tot));
    uint64_t hits = 0, misses = 0;
    if (!tot) {
        fclose(f);
        free(buf);
        return NULL;
    }
    pthread_mutex_lock(&m->mu);
    for (const struct block *b = m->blocks; b; b = b->next) {
        for (int r = 0; r < API_R_COUNT; r++) {
            const struct route_stats *s = &b->routes[r];
            for (size_t i = 0; i < MAX_STATUSES; i++)
                tot[r].status[i] += load(&s->status[i]);
            for (size_t k = 0; k <= N_BUCKETS; k++)
                tot[r].bucket[k] += load(&s->bucket[k]);
            tot[r].sum += atomic_load_explicit(&s->sum, memory_order_relaxed);
        }
        hits += load(&b->hits);
        misses += load(&b->misses);
    }
    pthread_mutex_unlock(&m->mu);

    fputs("# HELP postd_http_requests_total HTTP requests answered, by route and status.\n"
          "# TYPE postd_http_requests_total counter\n",
          f);
    for (int r = 0; r < API_R_COUNT; r++) {
        for (size_t i = 0; i < MAX_STATUSES; i++) {
            int code = atomic_load_explicit(&m->codes[r][i], memory_order_relaxed);
            if (code == FREE_SLOT)
                break;
            /* a slot claimed by a request still on its way to count */
            if (!tot[r].status[i])
                continue;
            fprintf(f, "postd_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                    api_route_name((enum api_route_id)r), code,
                    (unsigned long long)tot[r].status[i]);
        }
    }

    fputs("# HELP postd_http_request_duration_seconds Time from request to response, by route.\n"
          "# TYPE postd_http_request_duration_seconds histogram\n",
          f);
    for (int r = 0; r < API_R_COUNT; r++) {
        const char *name = api_route_name((enum api_route_id)r);
        uint64_t count = 0;
        for (size_t k = 0; k <= N_BUCKETS; k++)
            count += tot[r].bucket[k];
        if (!count)
            continue;
        uint64_t cum = 0;
        for (size_t k = 0; k < N_BUCKETS; k++) {
            cum += tot[r].bucket[k];
            fprintf(f, "postd_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                    name, buckets[k], (unsigned long long)cum);
        }
        fprintf(f, "postd_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
                name, (unsigned long long)count);
        fprintf(f, "postd_http_request_duration_seconds_sum{route=\"%s\"} %.9f\n", name,
                tot[r].sum);
        fprintf(f, "postd_http_request_duration_seconds_count{route=\"%s\"} %llu\n", name,
                (unsigned long long)count);
    }
    free(tot);

    fprintf(f,
            "# HELP postd_cache_hits_total Reads answered from the response cache (200 or 304).\n"
            "# TYPE postd_cache_hits_total counter\n"
            "postd_cache_hits_total %llu\n"
            "# HELP postd_cache_misses_total Cacheable reads that found no response in the "
            "cache.\n"
            "# TYPE postd_cache_misses_total counter\n"
            "postd_cache_misses_total %llu\n"
            "# HELP postd_cache_bytes Bytes held by the response cache.\n"
            "# TYPE postd_cache_bytes gauge\n"
            "postd_cache_bytes %zu\n"
            "# HELP postd_cache_entries Responses held by the response cache.\n"
            "# TYPE postd_cache_entries gauge\n"
            "postd_cache_entries %zu\n",
            (unsigned long long)hits, (unsigned long long)misses, cache ? cache->bytes : 0,
            cache ? cache->entries : 0);

    fprintf(f,
            "# HELP postd_up Whether the database is open with a schema (1) or not (0).\n"
            "# TYPE postd_up gauge\n"
            "postd_up %d\n",
            meta ? 1 : 0);
    if (meta)
        fprintf(f,
                "# HELP postd_posts Posts visible now.\n"
                "# TYPE postd_posts gauge\n"
                "postd_posts %lld\n"
                "# HELP postd_generation Database generation (bumped by each ingest that changed "
                "something).\n"
                "# TYPE postd_generation gauge\n"
                "postd_generation %lld\n"
                "# HELP postd_last_ingest_timestamp_seconds When the last changing ingest ran.\n"
                "# TYPE postd_last_ingest_timestamp_seconds gauge\n"
                "postd_last_ingest_timestamp_seconds %lld\n",
                (long long)meta->posts, (long long)meta->generation, (long long)meta->last_ingest);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}
