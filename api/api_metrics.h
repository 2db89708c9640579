/* Private to api/: request counters and latency histograms for /metrics. */
#ifndef POSTD_API_METRICS_H
#define POSTD_API_METRICS_H

#include <stddef.h>
#include <stdint.h>

struct api_metrics; /* opaque; thread-safe */
struct store_meta;

/* NULL on out of memory. */
struct api_metrics *api_metrics_new(void);
void api_metrics_free(struct api_metrics *m); /* NULL-safe */

/* Records one finished request. route is a route name (unknown names count
 * as "unmatched", so the label set stays bounded). Lock-free after a thread's
 * first call: each thread counts into its own block, summed when rendered. */
void api_metrics_record(struct api_metrics *m, const char *route, int status, double seconds);
/* A response cache lookup: found (hit, whether answered 200 or 304) or not.
 * Lock-free, so the hit path takes no shared lock for it. */
void api_metrics_cache(struct api_metrics *m, int hit);

/* The response cache's size for the gauges (zeros when it is disabled). */
struct api_metrics_cache_size {
    size_t bytes, entries;
};

/* Prometheus text format 0.0.4. meta NULL: the database is not open (postd_up 0).
 * cache may be NULL (reported as empty). Returns a heap string (free()) with
 * *len set, or NULL on out of memory. */
char *api_metrics_render(struct api_metrics *m, const struct store_meta *meta,
                         const struct api_metrics_cache_size *cache, size_t *len);

#endif
