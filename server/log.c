/* Access log lines. jansson escapes every string, so a request target with
 * quotes, control characters or invalid UTF-8 cannot break a line (invalid UTF-8
 * is logged with its bad bytes replaced, since jansson refuses it). */
#include "log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void log_time_now(char buf[32])
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, 32 - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* A JSON string of s; bytes that are not valid UTF-8 become '?'. */
static json_t *text(const char *s)
{
    json_t *v = json_string(s);
    if (v)
        return v;
    char *copy = strdup(s);
    if (!copy)
        return NULL;
    for (unsigned char *p = (unsigned char *)copy; *p; p++)
        if (*p >= 0x80)
            *p = '?';
    v = json_string(copy);
    free(copy);
    return v;
}

int log_access_write(FILE *f, const struct log_access_entry *e)
{
    char now[32];
    json_t *o = json_object();
    char *line = NULL;
    int rc = -1;

    if (!o)
        return -1;
    log_time_now(now);
    /* The _new setters steal the value and fail cleanly on NULL. */
    if (json_object_set_new(o, "time", json_string(now)) ||
        json_object_set_new(o, "method", text(e->method ? e->method : "")) ||
        json_object_set_new(o, "path", text(e->target ? e->target : "")) ||
        json_object_set_new(o, "status", json_integer(e->status)) ||
        json_object_set_new(o, "bytes", json_integer((json_int_t)e->bytes)) ||
        json_object_set_new(o, "duration_ms", json_real(e->duration_ms)))
        goto out;
    if (e->request_id && json_object_set_new(o, "request_id", text(e->request_id)))
        goto out;
    if (e->remote && json_object_set_new(o, "remote", text(e->remote)))
        goto out;
    if (e->aborted && json_object_set_new(o, "aborted", json_true()))
        goto out;
    /* 4 significant digits: 0.258, 12.65, 1234 ms */
    line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
    if (!line)
        goto out;
    size_t n = strlen(line);
    line[n] = '\n'; /* replaces the NUL; written with an explicit length */
    flockfile(f);
    rc = fwrite(line, 1, n + 1, f) == n + 1 && fflush(f) == 0 ? 0 : -1;
    funlockfile(f);
out:
    free(line);
    json_decref(o);
    return rc;
}
