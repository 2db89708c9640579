/* Private to api/: RFC 9457 problem details. */
#ifndef POSTD_API_PROBLEM_H
#define POSTD_API_PROBLEM_H

#include <jansson.h>

#define API_MAX_INVALID 50 /* invalid_params entries kept in one problem */

/* Appends {"name", "reason"} to *arr (created on first use), once per name and
 * at most API_MAX_INVALID entries. Returns 0 or ST_NOMEM. */
int api_invalid_add(json_t **arr, const char *name, const char *reason);

/* The reason phrase of an HTTP status ("Not Found"); "Error" when unknown. */
const char *api_status_title(int status);

/* A NEW problem object {"type": "about:blank", "title", "status", "detail",
 * "instance"}; detail and instance may be NULL (left out). NULL on OOM. */
json_t *api_problem_new(int status, const char *detail, const char *instance);

#endif
