/* The numbers /metrics reports: requests by route and status, a latency
 * histogram per route, response cache hits, misses and size. One mutex guards
 * the tables (a few dozen instructions per request, far below the cost of a
 * request); the cache counters are atomics, bumped inside api_handle on every
 * cached read. The route label is always one of the static route names. */
#include "api_metrics.h"

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

struct route_stats {
    struct {
        int code;
        uint64_t n;
    } status[MAX_STATUSES];
    size_t n_status;
    uint64_t bucket[N_BUCKETS]; /* not cumulative; summed when rendered */
    uint64_t count;
    double sum;
};

struct api_metrics {
    pthread_mutex_t mu;
    struct route_stats routes[API_R_COUNT];
    atomic_uint_fast64_t hits, misses;
};

struct api_metrics *api_metrics_new(void)
{
    struct api_metrics *m = calloc(1, sizeof(*m));
    if (!m)
        return NULL;
    if (pthread_mutex_init(&m->mu, NULL) != 0) {
        free(m);
        return NULL;
    }
    atomic_init(&m->hits, 0);
    atomic_init(&m->misses, 0);
    return m;
}

void api_metrics_free(struct api_metrics *m)
{
    if (!m)
        return;
    pthread_mutex_destroy(&m->mu);
    free(m);
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

void api_metrics_record(struct api_metrics *m, const char *route, int status, double seconds)
{
    if (!m)
        return;
    int r = route_index(route);
    if (!(seconds >= 0))
        seconds = 0;
    pthread_mutex_lock(&m->mu);
    struct route_stats *s = &m->routes[r];
    size_t i;
    for (i = 0; i < s->n_status; i++)
        if (s->status[i].code == status)
            break;
    if (i == s->n_status && s->n_status < MAX_STATUSES)
        s->status[s->n_status++].code = status;
    if (i < s->n_status)
        s->status[i].n++;
    for (size_t b = 0; b < N_BUCKETS; b++) {
        if (seconds <= buckets[b]) {
            s->bucket[b]++;
            break;
        }
    }
    s->count++;
    s->sum += seconds;
    pthread_mutex_unlock(&m->mu);
}

void api_metrics_cache(struct api_metrics *m, int hit)
{
    if (!m)
        return;
    atomic_fetch_add_explicit(hit ? &m->hits : &m->misses, 1, memory_order_relaxed);
}

char *api_metrics_render(struct api_metrics *m, const struct store_meta *meta,
                         const struct api_metrics_cache_size *cache, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    if (!f)
        return NULL;
    pthread_mutex_lock(&m->mu);

    fputs("# HELP postd_http_requests_total HTTP requests answered, by route and status.\n"
          "# TYPE postd_http_requests_total counter\n",
          f);
    for (int r = 0; r < API_R_COUNT; r++) {
        const struct route_stats *s = &m->routes[r];
        for (size_t i = 0; i < s->n_status; i++)
            fprintf(f, "postd_http_requests_total{route=\"%s\",status=\"%d\"} %llu\n",
                    api_route_name((enum api_route_id)r), s->status[i].code,
                    (unsigned long long)s->status[i].n);
    }

    fputs("# HELP postd_http_request_duration_seconds Time from request to response, by route.\n"
          "# TYPE postd_http_request_duration_seconds histogram\n",
          f);
    for (int r = 0; r < API_R_COUNT; r++) {
        const struct route_stats *s = &m->routes[r];
        const char *name = api_route_name((enum api_route_id)r);
        if (!s->count)
            continue;
        uint64_t cum = 0;
        for (size_t b = 0; b < N_BUCKETS; b++) {
            cum += s->bucket[b];
            fprintf(f, "postd_http_request_duration_seconds_bucket{route=\"%s\",le=\"%g\"} %llu\n",
                    name, buckets[b], (unsigned long long)cum);
        }
        fprintf(f, "postd_http_request_duration_seconds_bucket{route=\"%s\",le=\"+Inf\"} %llu\n",
                name, (unsigned long long)s->count);
        fprintf(f, "postd_http_request_duration_seconds_sum{route=\"%s\"} %.9f\n", name, s->sum);
        fprintf(f, "postd_http_request_duration_seconds_count{route=\"%s\"} %llu\n", name,
                (unsigned long long)s->count);
    }

    pthread_mutex_unlock(&m->mu);
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
            (unsigned long long)atomic_load_explicit(&m->hits, memory_order_relaxed),
            (unsigned long long)atomic_load_explicit(&m->misses, memory_order_relaxed),
            cache ? cache->bytes : 0, cache ? cache->entries : 0);

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
