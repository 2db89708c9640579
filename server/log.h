/* The access log: one JSON object per finished request, one line each, on a
 * stdio stream (stdout by default), so that log shippers can read it as is. */
#ifndef POSTD_LOG_H
#define POSTD_LOG_H

#include <stddef.h>
#include <stdio.h>

struct log_access_entry {
    const char *method; /* borrowed */
    const char *target; /* raw request target, borrowed */
    int status;
    size_t bytes; /* body bytes sent (0 for HEAD/304) */
    double duration_ms;
    const char *request_id; /* NULL: left out */
    const char *remote;     /* client address, NULL: left out */
    int aborted;            /* the connection ended before the response was sent */
};

/* Writes the current time as RFC 3339 in UTC with milliseconds
 * ("2024-01-02T03:04:05.678Z"). buf needs 32 bytes. */
void log_time_now(char buf[32]);

/* Writes e as one JSON line to f and flushes it: {"time", "method", "path",
 * "status", "bytes", "duration_ms", "request_id", "remote"}. Safe to call from
 * several threads (one fwrite per line under the stream's lock).
 * Returns 0, or -1 when out of memory or the write failed. */
int log_access_write(FILE *f, const struct log_access_entry *e);

#endif
