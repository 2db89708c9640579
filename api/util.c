/* Small helpers shared by the api/ handlers: FNV-1a hashing, turning untrusted
 * bytes into valid JSON strings, percent-encoding for links, civil-date
 * arithmetic (no timegm: it is not C11 and depends on TZ handling) and the
 * HTTP-date formats of RFC 9110 §5.6.7. */
#include "api_util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

uint64_t api_fnv1a64(const void *data, size_t n, uint64_t h)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 when invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    unsigned cp = c & (0x3f >> (len - 1));
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

json_t *api_json_text(const char *s)
{
    if (!s)
        return json_null();
    size_t n = strlen(s);
    /* Fast path: most input is valid. */
    size_t i = 0;
    while (i < n) {
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        if (!k)
            break;
        i += k;
    }
    if (i == n)
        return json_stringn(s, n);
    char *buf = malloc(n * 3 + 1);
    if (!buf)
        return NULL;
    size_t w = 0;
    for (i = 0; i < n;) {
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        if (k) {
            memcpy(buf + w, s + i, k);
            w += k;
            i += k;
        } else {
            memcpy(buf + w, "\xef\xbf\xbd", 3);
            w += 3;
            i++;
        }
    }
    json_t *v = json_stringn(buf, w);
    free(buf);
    return v;
}

static void pct_encode(FILE *f, const char *s, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned c = *p;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || (keep && strchr(keep, (int)c))) {
            fputc((int)c, f);
        } else {
            fputc('%', f);
            fputc(hex[c >> 4], f);
            fputc(hex[c & 15], f);
        }
    }
}

void api_pct_encode(FILE *f, const char *s)
{
    pct_encode(f, s, NULL);
}

void api_pct_encode_query(FILE *f, const char *s)
{
    pct_encode(f, s, ":/@,");
}

/* Howard Hinnant's days_from_civil. */
int64_t api_days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

int api_days_in_month(int64_t y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void api_http_date_format(int64_t t, char buf[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm)) {
        snprintf(buf, 32, "Thu, 01 Jan 1970 00:00:00 GMT");
        return;
    }
    snprintf(buf, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[tm.tm_wday], tm.tm_mday,
             months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static int month_index(const char *m)
{
    for (int i = 0; i < 12; i++)
        if (strcasecmp(m, months[i]) == 0)
            return i + 1;
    return 0;
}

int api_http_date_parse(const char *s, int64_t *out)
{
    char wd[16], mon[4], tz[4];
    int d, y, h, mi, sec, n = -1;
    size_t len = strlen(s);
    if (len > 64)
        return -1;
    /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
    if (sscanf(s, "%15[A-Za-z], %2d %3[A-Za-z] %4d %2d:%2d:%2d %3[A-Z]%n", wd, &d, mon, &y, &h, &mi,
               &sec, tz, &n) == 8 &&
        (size_t)n == len && strcmp(tz, "GMT") == 0) {
        /* accepted */
    } else if (n = -1, sscanf(s, "%15[A-Za-z], %2d-%3[A-Za-z]-%2d %2d:%2d:%2d %3[A-Z]%n", wd, &d,
                              mon, &y, &h, &mi, &sec, tz, &n) == 8 &&
                           (size_t)n == len && strcmp(tz, "GMT") == 0) {
        /* RFC 850: a two-digit year; RFC 9110 says pick the century that is not
         * more than 50 years in the future, which for us means 19xx from 70. */
        y += y >= 70 ? 1900 : 2000;
    } else if (n = -1, sscanf(s, "%15[A-Za-z] %3[A-Za-z] %2d %2d:%2d:%2d %4d%n", wd, mon, &d, &h,
                              &mi, &sec, &y, &n) == 7 &&
                           (size_t)n == len) {
        /* asctime */
    } else {
        return -1;
    }
    int m = month_index(mon);
    if (!m || y < 1970 || y > 9999 || d < 1 || d > api_days_in_month(y, m) || h < 0 || h > 23 ||
        mi < 0 || mi > 59 || sec < 0 || sec > 60)
        return -1;
    *out = api_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec;
    return 0;
}

char *api_json_dump(const json_t *v, size_t *len)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (s && len)
        *len = strlen(s);
    return s;
}
