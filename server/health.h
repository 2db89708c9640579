/* The health probe behind `postd health`. */
#ifndef POSTD_HEALTH_H
#define POSTD_HEALTH_H

/* GETs http://host:port/path within `seconds`. Returns the HTTP status, or -1
 * when nothing answered in time (the reason goes to stderr once). host is a
 * numeric address or a name; borrowed. */
int health_probe(const char *host, int port, const char *path, int seconds);

#endif
