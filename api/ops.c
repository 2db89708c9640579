/* Operations endpoints: /healthz (the process answers), /readyz (the database
 * is open with a schema; 503 otherwise, retried on every call), /metrics
 * (Prometheus text 0.0.4) and /v1/openapi.json (the embedded document).
 * Probes and metrics are never cached (Cache-Control: no-store) and ignore
 * query parameters, so a load balancer's cache-buster cannot fail them;
 * /v1/openapi.json is a /v1 resource and strict like the others. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_call.h"
#include "api_params.h"
#include "openapi.h"
#include "status.h"

void api_ops_healthz(struct api_call *c)
{
    api_call_ok(c, json_pack("{s:s}", "status", "ok"));
    c->cache_control = "no-store";
}

void api_ops_readyz(struct api_call *c)
{
    int st_rc = 0;
    struct store *st = api_call_store(c, 1, &st_rc);
    if (!st) {
        char detail[160];
        snprintf(detail, sizeof(detail), "The database is not open yet (%s).", st_strerror(st_rc));
        api_call_problem(c, 503, detail);
        api_response_header(c->res, "Retry-After", "1");
        return;
    }
    const struct store_meta *m = api_call_meta(c);
    char last[32];
    if (m->last_ingest > 0)
        post_format_date(m->last_ingest, 0, 1, last);
    api_call_ok(c, json_pack("{s:s, s:I, s:I, s:o}", "status", "ready", "posts",
                             (json_int_t)m->posts, "generation", (json_int_t)m->generation,
                             "last_ingest", m->last_ingest > 0 ? json_string(last) : json_null()));
    c->cache_control = "no-store";
    c->last_modified = 0;
}

void api_ops_metrics(struct api_call *c)
{
    struct store *st = api_call_store(c, 1, NULL);
    struct api_metrics_cache_size cs;
    size_t len = 0;
    api_cache_size(c->ctx->cache, &cs.bytes, &cs.entries);
    char *text = api_metrics_render(c->ctx->metrics, st ? api_call_meta(c) : NULL, &cs, &len);
    if (!text) {
        api_call_fail(c, ST_NOMEM, "metrics");
        return;
    }
    c->status = 200;
    c->raw = text;
    c->raw_len = len;
    c->raw_type = "text/plain; version=0.0.4; charset=utf-8";
    c->cache_control = "no-store";
    c->last_modified = 0;
}

void api_ops_openapi(struct api_call *c)
{
    struct api_query q;
    int bad = api_call_query(c, &q, API_PARAMS_NONE, NULL);
    api_query_clear(&q);
    if (bad)
        return;
    c->raw = malloc(api_openapi_json_len + 1);
    if (!c->raw) {
        api_call_fail(c, ST_NOMEM, "openapi");
        return;
    }
    memcpy(c->raw, api_openapi_json, api_openapi_json_len + 1);
    c->raw_len = api_openapi_json_len;
    c->raw_type = "application/json; charset=utf-8";
    c->status = 200;
    c->cacheable = 1;
    c->last_modified = 0; /* the document is the build's, not the data's */
}
