/* Calendar arithmetic on the proleptic Gregorian calendar (H. Hinnant's
 * algorithms), for any int64 year: front matter dates, post dates, permalinks.
 * gmtime/timegm are not used: they stop at the limits of time_t and tm. */
#ifndef POSTD_CIVIL_H
#define POSTD_CIVIL_H

#include <stdint.h>

/* Days since 1970-01-01 of y-m-d (m 1..12; d may run past the month's end,
 * or be 0, and counts on from the 1st). */
int64_t civil_days_from(int64_t y, int m, int d);
/* The date of day z since 1970-01-01. */
void civil_from_days(int64_t z, int64_t *y, int *m, int *d);

#endif
