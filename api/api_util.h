/* Private to api/: small helpers every handler shares — hashing, JSON strings
 * from untrusted bytes, percent-encoding, calendar arithmetic and HTTP dates. */
#ifndef POSTD_API_UTIL_H
#define POSTD_API_UTIL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define API_FNV64_BASIS 0xcbf29ce484222325ULL

/* FNV-1a 64 over n bytes, continuing from h (start with API_FNV64_BASIS). Not
 * security: it only has to notice that bytes changed. */
uint64_t api_fnv1a64(const void *data, size_t n, uint64_t h);

/* A JSON string of s with every invalid UTF-8 sequence replaced by U+FFFD, so
 * client bytes never make jansson fail. NULL s gives JSON null. NEW reference,
 * NULL only on out of memory. */
json_t *api_json_text(const char *s);

/* Writes s percent-encoded to f: everything outside RFC 3986 "unreserved" is
 * escaped, so the result is safe as one path segment or one query value. */
void api_pct_encode(FILE *f, const char *s);
/* The same for a query value, keeping ":", "/", "@" and "," readable (RFC 3986
 * allows them in a query; "&", "=", "+" and "#" are still escaped). */
void api_pct_encode_query(FILE *f, const char *s);

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
int64_t api_days_from_civil(int64_t y, int m, int d);
/* Days in month m (1..12) of year y. */
int api_days_in_month(int64_t y, int m);

/* Formats t as an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"). */
void api_http_date_format(int64_t t, char buf[32]);
/* Parses an HTTP-date in any of the three RFC 9110 forms. 0, or -1 when invalid. */
int api_http_date_parse(const char *s, int64_t *out);

/* Dumps a JSON value compactly, in insertion order. Heap string (free()) or NULL. */
char *api_json_dump(const json_t *v, size_t *len);

#endif
