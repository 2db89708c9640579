/* RFC 9457 problem documents: the body of every 4xx/5xx (and the 300 for an
 * ambiguous slug). "type" is always about:blank, so "title" is the status
 * phrase (RFC 9457 §4.2.1); "detail" says what went wrong in words and
 * "invalid_params" names each bad query parameter. Client text (the request
 * target, parameter names) goes through api_json_text, so it never breaks the
 * JSON whatever bytes it holds. */
#include "api_problem.h"

#include <stdlib.h>
#include <string.h>

#include "api_call.h"
#include "api_params.h"
#include "api_util.h"
#include "status.h"

int api_invalid_add(json_t **arr, const char *name, const char *reason)
{
    if (!*arr) {
        *arr = json_array();
        if (!*arr)
            return ST_NOMEM;
    }
    if (json_array_size(*arr) >= API_MAX_INVALID)
        return 0;
    json_t *nm = api_json_text(name);
    if (!nm)
        return ST_NOMEM;
    size_t i;
    json_t *it;
    json_array_foreach(*arr, i, it)
    {
        if (json_equal(json_object_get(it, "name"), nm)) {
            json_decref(nm);
            return 0;
        }
    }
    json_t *o = json_object();
    if (!o || json_object_set_new(o, "name", nm) ||
        json_object_set_new(o, "reason", api_json_text(reason)) || json_array_append_new(*arr, o))
        return ST_NOMEM;
    return 0;
}

const char *api_status_title(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 204:
        return "No Content";
    case 300:
        return "Multiple Choices";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

json_t *api_problem_new(int status, const char *detail, const char *instance)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    if (json_object_set_new(o, "type", json_string("about:blank")) ||
        json_object_set_new(o, "title", json_string(api_status_title(status))) ||
        json_object_set_new(o, "status", json_integer(status)) ||
        (detail && json_object_set_new(o, "detail", api_json_text(detail))) ||
        (instance && json_object_set_new(o, "instance", api_json_text(instance)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

void api_call_problem_json(struct api_call *c, int status, json_t *problem)
{
    json_decref(c->json);
    free(c->raw);
    c->raw = NULL;
    c->status = status;
    c->json = problem;
    c->problem = 1;
    c->cacheable = 0;
}

void api_call_problem(struct api_call *c, int status, const char *detail)
{
    api_call_problem_json(c, status, api_problem_new(status, detail, api_call_instance(c)));
}

void api_call_invalid(struct api_call *c, json_t *invalid)
{
    json_t *p =
        api_problem_new(400, "One or more query parameters are invalid.", api_call_instance(c));
    if (p && json_object_set_new(p, "invalid_params", invalid) != 0) {
        json_decref(p);
        p = NULL;
    } else if (!p) {
        json_decref(invalid);
    }
    api_call_problem_json(c, 400, p);
}

void api_call_invalid_one(struct api_call *c, const char *name, const char *reason)
{
    json_t *inv = NULL;
    if (api_invalid_add(&inv, name, reason) == 0)
        api_call_invalid(c, inv);
    else
        api_call_fail(c, ST_NOMEM, name);
}

int api_call_query(struct api_call *c, struct api_query *q, enum api_param_set set,
                   const char *fixed)
{
    json_t *inv = NULL;
    int rc = api_query_parse(q, c->req, set, fixed, &c->ctx->cfg, &inv);
    if (rc == ST_INVALID)
        api_call_invalid(c, inv);
    else if (rc)
        api_call_fail(c, rc, "parameters");
    return rc ? -1 : 0;
}
