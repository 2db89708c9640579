/* Reading one post file into a struct post the way Jekyll 4.3 reads it
 * (Document#read, populate_title/categories/tags, Utils.parse_date, URL and
 * UrlDrop), and louder where Jekyll is silent: what Jekyll would drop or log
 * becomes a positioned parse error. The file-level decisions:
 *  - a post file without front matter (none, or no closing line) is a post
 *    with no data, as Jekyll 4.3's post reader makes it: title from the slug,
 *    date from the file name, the whole file as the body;
 *  - `date:` present but null, empty or false is an error (Jekyll raises
 *    InvalidDateError for it), not the file-name date;
 *  - `tag` beats `tags`; a `tags` string is split on whitespace, a `tag`
 *    string is one tag (as Jekyll); list items are kept (an empty string
 *    too), numbers, booleans, dates and timestamps written as Ruby's to_s
 *    writes them, null items dropped, nested lists flattened; a mapping, or a
 *    number/true where a list is expected, is an error; false/null mean none.
 *    Tags and categories are de-duplicated;
 *  - a YAML timestamp used as a string (title, tag...) is Ruby's Time#to_s:
 *    "2023-09-16 10:00:00 +0200", "... UTC" when written with Z, and in the
 *    site timezone when written without a zone (Psych makes a local Time);
 *    front_matter keeps the RFC 3339 form;
 *  - folder categories are the path segments before a `_posts` segment;
 *  - author may be a list (its first item is the author) or a mapping with a
 *    `name` (jekyll-seo-tag's forms); front_matter keeps the original;
 *  - url placeholders for dates use the instant in the site timezone, as
 *    Jekyll's `Time#localtime` does; :slug/:title are slugified as Jekyll's
 *    UrlDrop does, with Unicode classes and case mapping (post.h). */
#include "parse.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "civil.h"
#include "body.h"
#include "frontmatter.h"

/* The YAML text a front matter was loaded from, and the site timezone: what
 * Ruby's to_s of a timestamp needs beyond its front_matter value. */
struct yaml_src {
    const char *text;
    size_t len;
    int first_line; /* file line of text[0] */
    int tz;
};

#define DEFAULT_PERMALINK "/:year/:month/:day/:slug.html"

/* ---- errors ---- */

static void err_reset(struct parse_error *err)
{
    err->line = 0;
    err->col = 0;
    err->byte_offset = -1;
    err->msg[0] = '\0';
}

/* Fills err at the position of top-level key `key` (0:0 when unknown) and
 * returns ST_PARSE. */
__attribute__((format(printf, 4, 5))) static int fail_at(struct parse_error *err, const json_t *pos,
                                                         const char *key, const char *fmt, ...)
{
    va_list ap;
    err->line = 0;
    err->col = 0;
    err->byte_offset = -1;
    const json_t *lc = key && pos ? json_object_get(pos, key) : NULL;
    if (json_is_array(lc) && json_array_size(lc) >= 2) {
        err->line = (int)json_integer_value(json_array_get(lc, 0));
        err->col = (int)json_integer_value(json_array_get(lc, 1));
    }
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return ST_PARSE;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "a mapping";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* ---- scalars as Ruby's to_s writes them ---- */

/* Float#to_s: shortest round-trip digits ("d.ddd" times 10^exp10); fixed
 * notation when -4 <= exp10 < 15, or when exp10 is 15 and the digits run past
 * the point (1234567890123456.8); else "d.ddde+XX" (1.0e+15, 1.0e-05).
 * Checked against ruby 3.1 over random doubles of every magnitude. */
static void ruby_float(double x, char *out, size_t n)
{
    if (isnan(x)) {
        snprintf(out, n, "NaN");
        return;
    }
    if (isinf(x)) {
        snprintf(out, n, "%sInfinity", x < 0 ? "-" : "");
        return;
    }
    char e[40];
    for (int prec = 0; prec < 17; prec++) {
        snprintf(e, sizeof(e), "%.*e", prec, x);
        if (strtod(e, NULL) == x)
            break;
    }
    /* e is "-d.ddde+XX": collect the digits and the exponent */
    char digits[24];
    size_t nd = 0;
    const char *s = e;
    int neg = 0;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    for (; *s && *s != 'e'; s++)
        if (isdigit((unsigned char)*s) && nd < sizeof(digits) - 1)
            digits[nd++] = *s;
    digits[nd] = '\0';
    int exp10 = *s == 'e' ? atoi(s + 1) : 0;
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = '\0';
    char buf[64];
    size_t w = 0;
    if (neg)
        buf[w++] = '-';
    if (exp10 < -4 || (exp10 >= 15 && (size_t)exp10 + 1 >= nd)) {
        buf[w++] = digits[0];
        buf[w++] = '.';
        if (nd > 1) {
            memcpy(buf + w, digits + 1, nd - 1);
            w += nd - 1;
        } else {
            buf[w++] = '0';
        }
        w += (size_t)snprintf(buf + w, sizeof(buf) - w, "e%c%02d", exp10 < 0 ? '-' : '+',
                              exp10 < 0 ? -exp10 : exp10);
    } else if (exp10 < 0) {
        buf[w++] = '0';
        buf[w++] = '.';
        for (int i = -1; i > exp10; i--)
            buf[w++] = '0';
        memcpy(buf + w, digits, nd);
        w += nd;
    } else {
        for (int i = 0; i <= exp10; i++)
            buf[w++] = (size_t)i < nd ? digits[i] : '0';
        buf[w++] = '.';
        if ((size_t)exp10 + 1 < nd) {
            memcpy(buf + w, digits + exp10 + 1, nd - (size_t)exp10 - 1);
            w += nd - (size_t)exp10 - 1;
        } else {
            buf[w++] = '0';
        }
    }
    buf[w] = '\0';
    snprintf(out, n, "%s", buf);
}

/* Where a value sits in the YAML text: it is the value of top-level key `key`
 * (exact), or somewhere inside that value (an item of a list or mapping).
 * Resolved to byte offsets (locate) only for the rare value that needs it. */
struct place {
    const json_t *pos; /* fm_yaml_load's positions; NULL: unknown */
    const char *key;
    int exact;
};

static int ruby_time(const struct yaml_src *src, const struct place *at, const char *s, size_t n,
                     char **out);
static int time_kind(const json_t *v, const struct yaml_src *src, const struct place *at);

/* A scalar as a new string, as Ruby's to_s writes it (NULL for null); at says
 * where the value is in src. Returns 0, ST_NOMEM, or 1 when v is a list or mapping. */
static int scalar_dup(const json_t *v, const struct yaml_src *src, const struct place *at,
                      char **out)
{
    char num[64];
    *out = NULL;
    switch (json_typeof(v)) {
    case JSON_NULL:
        return 0;
    case JSON_STRING:
        if (ruby_time(src, at, json_string_value(v), json_string_length(v), out) == 0)
            break;
        *out = strndup(json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        *out = strdup(num);
        break;
    case JSON_REAL:
        ruby_float(json_real_value(v), num, sizeof(num));
        *out = strdup(num);
        break;
    case JSON_TRUE:
        *out = strdup("true");
        break;
    case JSON_FALSE:
        *out = strdup("false");
        break;
    default:
        return 1;
    }
    return *out ? 0 : ST_NOMEM;
}

/* ---- string lists ---- */

struct strv {
    char **v;
    size_t n, cap;
};

static int strv_has(const struct strv *l, const char *s)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i], s) == 0)
            return 1;
    return 0;
}

/* Appends a copy of s[0..n) unless (dedupe) already present. */
static int strv_add(struct strv *l, const char *s, size_t n, int dedupe)
{
    char *c = strndup(s, n);
    if (!c)
        return ST_NOMEM;
    if (dedupe && strv_has(l, c)) {
        free(c);
        return 0;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 8;
        char **nv = realloc(l->v, cap * sizeof(*nv));
        if (!nv) {
            free(c);
            return ST_NOMEM;
        }
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = c;
    return 0;
}

static int strv_add_split(struct strv *l, const char *s, int dedupe)
{
    while (*s) {
        while (*s && isspace((unsigned char)*s))
            s++;
        size_t n = 0;
        while (s[n] && !isspace((unsigned char)s[n]))
            n++;
        int rc = n ? strv_add(l, s, n, dedupe) : 0;
        if (rc)
            return rc;
        s += n;
    }
    return 0;
}

static void strv_free(struct strv *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

/* Adds the items of a list value (flattening nested lists, dropping nulls,
 * keeping empty strings: Jekyll's pluralized_array_from_hash does flatten.compact). */
static int add_items(struct strv *l, const json_t *arr, const struct yaml_src *src,
                     const json_t *pos, const char *key, struct parse_error *err)
{
    struct place at = {pos, key, 0};
    size_t i;
    const json_t *item;
    json_array_foreach(arr, i, item)
    {
        int rc;
        if (json_is_array(item)) {
            rc = add_items(l, item, src, pos, key, err);
        } else if (json_is_object(item)) {
            rc = fail_at(err, pos, key, "%s: list item %zu is a mapping", key, i + 1);
        } else {
            char *s;
            rc = scalar_dup(item, src, &at, &s);
            if (rc == 0 && s)
                rc = strv_add(l, s, strlen(s), 1);
            free(s);
        }
        if (rc)
            return rc;
    }
    return 0;
}

/* The value of `tag`/`category` (singular: a string is one item) or
 * `tags`/`categories` (plural: a string is split on whitespace). */
static int add_taglike(struct strv *l, const json_t *v, int plural, const struct yaml_src *src,
                       const json_t *pos, const char *key, struct parse_error *err)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return 0;
    struct place at = {pos, key, 1};
    int kind = plural ? time_kind(v, src, &at) : 0;
    if (json_is_string(v) && plural && !kind)
        return strv_add_split(l, json_string_value(v), 1);
    if (json_is_array(v))
        return add_items(l, v, src, pos, key, err);
    if (!plural && (json_is_string(v) || json_is_number(v) || json_is_true(v))) {
        char *s;
        int rc = scalar_dup(v, src, &at, &s);
        if (rc == 0)
            rc = strv_add(l, s, strlen(s), 1);
        free(s);
        return rc;
    }
    return fail_at(err, pos, key, "%s: must be a list or a string, not %s", key,
                   kind ? (kind == 'D' ? "a date" : "a timestamp") : type_name(v));
}

/* Present and not null/false: Jekyll's `hash[key] || ...`. */
static int truthy(const json_t *v)
{
    return v && !json_is_null(v) && !json_is_false(v);
}

/* ---- file names and dates ---- */

static int digits(const char *s, int min, int max, int *val)
{
    int n = 0, v = 0;
    while (n < max && isdigit((unsigned char)s[n])) {
        v = v * 10 + (s[n] - '0');
        n++;
    }
    if (n < min)
        return 0;
    *val = v;
    return n;
}

int post_name_parse(const char *name, struct post_name *out)
{
    memset(out, 0, sizeof(*out));
    if (strchr(name, '/') || strchr(name, '\n'))
        return ST_SKIP;
    const char *s = name;
    int year_digits = digits(s, 2, 4, &out->year), n;
    if (!year_digits || s[year_digits] != '-')
        return ST_SKIP;
    s += year_digits + 1;
    if (!(n = digits(s, 1, 2, &out->month)) || s[n] != '-')
        return ST_SKIP;
    s += n + 1;
    if (!(n = digits(s, 1, 2, &out->day)) || s[n] != '-')
        return ST_SKIP;
    s += n + 1;
    const char *dot = strrchr(s, '.');
    if (!dot || dot[1] == '\0')
        return ST_SKIP; /* (\.[^.]+)$ : an extension is required */
    size_t id_len = (size_t)(dot - name);
    size_t slug_len = (size_t)(dot - s);
    while (slug_len > 0 && s[slug_len - 1] == '.')
        slug_len--;
    if (id_len >= sizeof(out->id) || slug_len >= sizeof(out->slug))
        return ST_SKIP;
    memcpy(out->id, name, id_len);
    out->id[id_len] = '\0';
    memcpy(out->slug, s, slug_len);
    out->slug[slug_len] = '\0';
    /* Date._parse reads a two-digit year as 19yy (69-99) or 20yy */
    if (year_digits == 2)
        out->year += out->year >= 69 ? 1900 : 2000;
    return 0;
}

/* Seconds since the epoch of a local time; day 29-31 past a month's end rolls
 * over as Ruby's Time.local does. */
static int64_t local_to_utc(int y, int mo, int d, int h, int mi, int s, int offset)
{
    int64_t days = civil_days_from(y, mo, 1) + d - 1;
    return days * 86400 + h * 3600 + mi * 60 + s - offset;
}

static const char *skip_ws(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* The date forms Jekyll meets in practice: "YYYY-MM-DD", optionally followed by
 * [T ]HH:MM[:SS[.frac]] and a zone (Z, UTC, GMT, ±HH, ±HHMM, ±HH:MM). Without a
 * zone the date is in the site timezone. Returns 0 or -1. */
static int parse_date_string(const char *str, int tz, int64_t *utc, int *offset)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, off = tz, n;
    const char *s = skip_ws(str);
    if (!(n = digits(s, 4, 4, &y)) || s[n] != '-')
        return -1;
    s += n + 1;
    if (!(n = digits(s, 1, 2, &mo)) || s[n] != '-')
        return -1;
    s += n + 1;
    if (!(n = digits(s, 1, 2, &d)))
        return -1;
    s += n;
    if (*s == 'T' || *s == 't' || *s == ' ' || *s == '\t') {
        const char *t = *s == 'T' || *s == 't' ? s + 1 : skip_ws(s);
        if ((n = digits(t, 1, 2, &h)) && t[n] == ':') {
            t += n + 1;
            if (!(n = digits(t, 2, 2, &mi)))
                return -1;
            t += n;
            if (*t == ':') {
                if (!(n = digits(t + 1, 2, 2, &sec)))
                    return -1;
                t += n + 1;
                if (*t == '.' || *t == ',') {
                    t++;
                    while (isdigit((unsigned char)*t))
                        t++;
                }
            }
            s = t;
        } else if (*s == 'T' || *s == 't') {
            return -1;
        }
    }
    s = skip_ws(s);
    if (*s == 'Z' || *s == 'z') {
        off = 0;
        s++;
    } else if (strncmp(s, "UTC", 3) == 0 || strncmp(s, "GMT", 3) == 0) {
        off = 0;
        s += 3;
    } else if (*s == '+' || *s == '-') {
        int sign = *s == '-' ? -1 : 1, oh, om = 0;
        s++;
        if (!(n = digits(s, 2, 2, &oh)))
            return -1;
        s += n;
        if (*s == ':')
            s++;
        if ((n = digits(s, 2, 2, &om)))
            s += n;
        if (oh > 23 || om > 59)
            return -1;
        off = sign * (oh * 3600 + om * 60);
    }
    s = skip_ws(s);
    if (*s != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    *utc = local_to_utc(y, mo, d, h, mi, sec, off);
    *offset = off;
    return 0;
}

/* ---- dates and timestamps as Ruby's to_s writes them ---- */

/* frontmatter.c writes a YAML date as "YYYY-MM-DD" and a timestamp as
 * YYYY-MM-DDTHH:MM:SS[.ddd](Z|+HH:MM). Returns 'D' or 'T' for those shapes
 * (*zone: where the zone starts), else 0. */
static int time_shape(const char *s, size_t n, size_t *zone)
{
    size_t i = 0;
    while (i < n && isdigit((unsigned char)s[i]))
        i++;
    if (i < 4)
        return 0;
    static const char tail[] = "-dd-ddTdd:dd:dd";
    for (const char *t = tail; *t; t++, i++) {
        if (*t == 'T' && i == n)
            return i == 10 ? 'D' : 0;
        if (i >= n || (*t == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != *t))
            return 0;
    }
    if (i < n && s[i] == '.')
        for (i++; i < n && isdigit((unsigned char)s[i]); i++)
            ;
    *zone = i;
    if (i + 1 == n && s[i] == 'Z')
        return 'T';
    if (i + 6 == n && (s[i] == '+' || s[i] == '-') && isdigit((unsigned char)s[i + 1]) &&
        isdigit((unsigned char)s[i + 2]) && s[i + 3] == ':' && isdigit((unsigned char)s[i + 4]) &&
        isdigit((unsigned char)s[i + 5]))
        return 'T';
    return 0;
}

static int token_edge(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '[' || c == '{' || c == ',';
}

/* Does the plain scalar starting at y[i] (if it is one) resolve to s[0..n)?
 * Returns 0 (no), 'Z' (yes, with a written zone) or 'L' (yes, no zone). */
static int plain_token_is(const char *y, size_t len, size_t i, const char *s, size_t n)
{
    if (i >= len || !isdigit((unsigned char)y[i]))
        return 0;
    size_t e = i;
    while (e < len && !strchr("\n\r,]}", y[e]) &&
           !(y[e] == '#' && (y[e - 1] == ' ' || y[e - 1] == '\t')))
        e++;
    while (e > i && (y[e - 1] == ' ' || y[e - 1] == '\t'))
        e--;
    json_t *v = fm_resolve_plain(y + i, e - i);
    int same =
        json_is_string(v) && json_string_length(v) == n && memcmp(json_string_value(v), s, n) == 0;
    json_decref(v);
    if (!same)
        return 0;
    return s[n - 1] == 'Z' && y[e - 1] != 'Z' ? 'L' : 'Z';
}

/* The first plain scalar (not quoted, not tagged) starting in y[from..to)
 * that resolves to s[0..n), as plain_token_is says. */
static int plain_scan(const char *y, size_t len, size_t from, size_t to, const char *s, size_t n)
{
    for (size_t i = from; i < to && i < len; i++) {
        if (!isdigit((unsigned char)y[i]) || (i > 0 && !token_edge(y[i - 1])))
            continue;
        /* a tag before it (!!str, !foo) makes it something else than plain */
        size_t w = i;
        while (w > 0 && (y[w - 1] == ' ' || y[w - 1] == '\t'))
            w--;
        size_t t = w;
        while (t > 0 && !token_edge(y[t - 1]))
            t--;
        if (t < w && y[t] == '!')
            continue;
        int r = plain_token_is(y, len, i, s, n);
        if (r)
            return r;
    }
    return 0;
}

/* The byte offset in src of file position [line, col] (col counts
 * characters, as libyaml's marks do), or -1. */
static long offset_of(const struct yaml_src *src, const json_t *lc)
{
    if (!json_is_array(lc))
        return -1;
    json_int_t line = json_integer_value(json_array_get(lc, 0)) - src->first_line;
    json_int_t col = json_integer_value(json_array_get(lc, 1)) - 1;
    size_t i = 0;
    for (; line > 0 && i < src->len; i++)
        if (src->text[i] == '\n')
            line--;
    for (; col > 0 && i < src->len; col--)
        for (i++; i < src->len && ((unsigned char)src->text[i] & 0xc0) == 0x80; i++)
            ;
    return line == 0 && col == 0 && i < src->len ? (long)i : -1;
}

/* The bytes [*from, *to) of src that hold the value of at's key (from the
 * positions fm_yaml_load gives): from its start to the line of the next
 * key's value. Returns 0 when unknown. */
static int locate(const struct yaml_src *src, const struct place *at, size_t *from, size_t *to)
{
    long f = at && at->pos ? offset_of(src, json_object_get(at->pos, at->key)) : -1;
    if (f < 0)
        return 0;
    long t = (long)src->len;
    const char *k;
    const json_t *lc;
    json_object_foreach((json_t *)at->pos, k, lc)
    {
        long o = offset_of(src, lc);
        if (o > f && o < t)
            t = o;
    }
    while (t > f && src->text[t - 1] != '\n')
        t--; /* back to the start of that line */
    if (t == f)
        t = (long)src->len; /* a flow mapping: no line to stop at */
    *from = (size_t)f;
    *to = (size_t)t;
    return 1;
}

/* Was s[0..n), a date- or timestamp-shaped string value of the front matter,
 * a YAML date or timestamp? Its JSON form cannot tell one from a quoted
 * string, nor "...Z" from a timestamp written without a zone, so the YAML text
 * is read again, with Psych's rules (fm_resolve_plain): the scalar at `at`
 * when it is exact (a top-level value), else the plain scalars of its region,
 * else (an alias to an anchor elsewhere) of the whole text. Returns 0 (a
 * string), 'Z' (written with a zone, or a date) or 'L' (no zone). */
static int time_origin(const struct yaml_src *src, const struct place *at, const char *s, size_t n)
{
    const char *y = src ? src->text : NULL;
    size_t len = src ? src->len : 0, from, to;
    if (!y)
        return 0;
    if (!locate(src, at, &from, &to))
        return plain_scan(y, len, 0, len, s, n);
    if (at->exact && y[from] != '*') {
        size_t i = from;
        if (y[i] == '&') /* an anchor: the value follows it */
            while (i < len && !token_edge(y[i]))
                i++;
        while (i < len && (y[i] == ' ' || y[i] == '\t'))
            i++;
        return plain_token_is(y, len, i, s, n);
    }
    int r = plain_scan(y, len, from, to, s, n);
    if (!r && memchr(y + from, '*', to - from)) /* an alias: its anchor may be anywhere */
        r = plain_scan(y, len, 0, len, s, n);
    return r;
}

/* 'D' when the string v was a YAML date, 'T' a timestamp, else 0. */
static int time_kind(const json_t *v, const struct yaml_src *src, const struct place *at)
{
    size_t zone = 0;
    if (!json_is_string(v))
        return 0;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    int shape = time_shape(s, n, &zone);
    return shape && time_origin(src, at, s, n) ? shape : 0;
}

/* If s was a YAML timestamp, *out = Time#to_s of it and 0: "2023-09-16
 * 10:00:00 +0200"; "... UTC" when written with Z; written without a zone,
 * Psych makes a local Time, shown at the site's offset. Else 1 (*out
 * untouched) or ST_NOMEM. A date's to_s is its front_matter form already. */
static int ruby_time(const struct yaml_src *src, const struct place *at, const char *s, size_t n,
                     char **out)
{
    size_t zone = 0;
    if (time_shape(s, n, &zone) != 'T')
        return 1;
    int origin = time_origin(src, at, s, n);
    if (!origin)
        return 1;
    char local[32], buf[64];
    const char *t = s;
    size_t sec_end = (size_t)(strchr(s, 'T') - s) + 9; /* YYYY-MM-DDTHH:MM:SS */
    if (origin == 'L') {
        int y, mo, d, h, mi, sec;
        if (sscanf(s, "%d-%d-%dT%d:%d:%d", &y, &mo, &d, &h, &mi, &sec) != 6)
            return 1;
        post_format_date(local_to_utc(y, mo, d, h, mi, sec, 0), src->tz, 0, local);
        t = local;
        sec_end = zone = (size_t)(strchr(local, 'T') - local) + 9;
    }
    if (sec_end > 32)
        return 1;
    if (t[zone] == 'Z')
        snprintf(buf, sizeof(buf), "%.*s UTC", (int)sec_end, t);
    else
        snprintf(buf, sizeof(buf), "%.*s %c%.2s%.2s", (int)sec_end, t, t[zone], t + zone + 1,
                 t + zone + 4);
    *strchr(buf, 'T') = ' ';
    *out = strdup(buf);
    return *out ? 0 : ST_NOMEM;
}

/* ---- permalink ---- */

struct url_ctx {
    const struct post *p;
    const char *slug_src; /* front matter `slug` or the file-name slug */
    const char *relpath;
    int tz;
};

static const char *const month_names[] = {"January",   "February", "March",    "April",
                                          "May",       "June",     "July",     "August",
                                          "September", "October",  "November", "December"};
static const char *const day_names[] = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                        "Thursday", "Friday", "Saturday"};

struct tm_lite {
    int64_t year;
    int mon, mday, hour, min, sec, wday, yday; /* mon 1-12, wday 0=Sunday, yday 1-366 */
};

static void split_time(int64_t local, struct tm_lite *t)
{
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int64_t secs = local - days * 86400;
    civil_from_days(days, &t->year, &t->mon, &t->mday);
    t->hour = (int)(secs / 3600);
    t->min = (int)(secs / 60 % 60);
    t->sec = (int)(secs % 60);
    t->wday = (int)(((days % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
    t->yday = (int)(days - civil_days_from(t->year, 1, 1)) + 1;
}

/* ISO 8601 week number and week-based year (strftime %V and %G). */
static void iso_week(const struct tm_lite *t, int *week, int64_t *wyear)
{
    int wd = t->wday == 0 ? 7 : t->wday; /* Monday = 1 */
    int w = (t->yday - wd + 10) / 7;
    int64_t y = t->year;
    if (w < 1) {
        y--;
        int64_t dec31 = civil_days_from(y, 12, 31);
        int jan1_wd = (int)(((civil_days_from(y, 1, 1) % 7) + 11) % 7);
        int yd = (int)(dec31 - civil_days_from(y, 1, 1)) + 1;
        int wd31 = (jan1_wd + yd - 1) % 7;
        wd31 = wd31 == 0 ? 7 : wd31;
        w = (yd - wd31 + 10) / 7;
    } else {
        int yd_total = (int)(civil_days_from(y + 1, 1, 1) - civil_days_from(y, 1, 1));
        if (w == 53 && (yd_total - t->yday) < 4 - wd) {
            w = 1;
            y++;
        }
    }
    *week = w;
    *wyear = y;
}

/* The value of one placeholder as a new string; 1 when the name is unknown. */
static int placeholder(const struct url_ctx *u, const char *name, size_t n, char **out)
{
    struct tm_lite t;
    char b[64];
    const struct post *p = u->p;
    split_time(p->date_utc + u->tz, &t);
    *out = NULL;
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(name, lit, n) == 0)
    if (IS("year"))
        snprintf(b, sizeof(b), "%04" PRId64, t.year);
    else if (IS("month"))
        snprintf(b, sizeof(b), "%02d", t.mon);
    else if (IS("day"))
        snprintf(b, sizeof(b), "%02d", t.mday);
    else if (IS("hour"))
        snprintf(b, sizeof(b), "%02d", t.hour);
    else if (IS("minute"))
        snprintf(b, sizeof(b), "%02d", t.min);
    else if (IS("second"))
        snprintf(b, sizeof(b), "%02d", t.sec);
    else if (IS("i_day"))
        snprintf(b, sizeof(b), "%d", t.mday);
    else if (IS("i_month"))
        snprintf(b, sizeof(b), "%d", t.mon);
    else if (IS("short_year"))
        snprintf(b, sizeof(b), "%02d", (int)(((t.year % 100) + 100) % 100));
    else if (IS("short_month")) /* strftime %b */
        snprintf(b, sizeof(b), "%.3s", month_names[t.mon - 1]);
    else if (IS("long_month"))
        snprintf(b, sizeof(b), "%s", month_names[t.mon - 1]);
    else if (IS("short_day")) /* strftime %a */
        snprintf(b, sizeof(b), "%.3s", day_names[t.wday]);
    else if (IS("long_day"))
        snprintf(b, sizeof(b), "%s", day_names[t.wday]);
    else if (IS("y_day"))
        snprintf(b, sizeof(b), "%03d", t.yday);
    else if (IS("w_day"))
        snprintf(b, sizeof(b), "%d", t.wday == 0 ? 7 : t.wday);
    else if (IS("week") || IS("w_year")) {
        int week;
        int64_t wy;
        iso_week(&t, &week, &wy);
        if (IS("week"))
            snprintf(b, sizeof(b), "%02d", week);
        else
            snprintf(b, sizeof(b), "%04" PRId64, wy);
    } else if (IS("title"))
        return (*out = post_slugify_pretty(u->slug_src)) ? 0 : ST_NOMEM;
    else if (IS("slug"))
        return (*out = post_slugify(u->slug_src)) ? 0 : ST_NOMEM;
    else if (IS("name"))
        return (*out = post_slugify(p->id)) ? 0 : ST_NOMEM;
    else if (IS("output_ext"))
        snprintf(b, sizeof(b), ".html");
    else if (IS("collection"))
        snprintf(b, sizeof(b), "posts");
    else if (IS("categories") || IS("slugified_categories")) {
        struct strv set = {0};
        size_t total = 1;
        int rc = 0;
        for (size_t i = 0; i < p->n_categories && !rc; i++) {
            /* UrlDrop: category.to_s.downcase, or Utils.slugify(category) */
            char *c =
                IS("categories") ? post_downcase(p->categories[i]) : post_slugify(p->categories[i]);
            if (!c) {
                rc = ST_NOMEM;
                break;
            }
            rc = strv_add(&set, c, strlen(c), 1);
            free(c);
        }
        for (size_t i = 0; i < set.n; i++)
            total += strlen(set.v[i]) + 1;
        char *j = rc ? NULL : calloc(1, total);
        for (size_t i = 0; j && i < set.n; i++) {
            if (i)
                strcat(j, "/");
            strcat(j, set.v[i]);
        }
        strv_free(&set);
        return (*out = j) ? 0 : ST_NOMEM;
    } else if (IS("path")) {
        /* cleaned_relative_path: no extension, the _posts folder removed */
        const char *rp = u->relpath;
        const char *dot = strrchr(rp, '.');
        size_t len = dot && !strchr(dot, '/') ? (size_t)(dot - rp) : strlen(rp);
        char *c = malloc(len + 2);
        if (!c)
            return ST_NOMEM;
        c[0] = '/';
        memcpy(c + 1, rp, len);
        c[len + 1] = '\0';
        char *posts = strstr(c, "_posts");
        if (posts)
            memmove(posts, posts + 6, strlen(posts + 6) + 1);
        *out = c;
        return 0;
    } else
        return 1;
#undef IS
    return (*out = strdup(b)) ? 0 : ST_NOMEM;
}

/* URL.escape_path: every byte outside RFC 3986 pchar and '/' percent-encoded. */
static void escape_path(const char *v, char **w, char *end)
{
    for (; *v && *w < end; v++) {
        unsigned char c = (unsigned char)*v;
        if (isalnum(c) || strchr("-._~!$&'()*+,;=:@/", c))
            *(*w)++ = (char)c;
        else if (*w + 3 <= end)
            *w += snprintf(*w, 4, "%%%02X", c);
    }
}

/* Jekyll::URL: placeholders replaced (`:([a-z_]+)`, one trailing '_' may be
 * literal), values percent-escaped, then "/" prepended, ".." → "/", "./"
 * removed, slashes squeezed. Unknown placeholder → 1 with *bad set. */
static int build_url(const struct url_ctx *u, const char *tpl, char **out, char *bad,
                     size_t bad_len)
{
    size_t cap = strlen(tpl) * 3 + 64;
    char *raw = NULL, *res = NULL;
    int rc = 0;
    size_t used = 0;
    raw = malloc(cap);
    if (!raw)
        return ST_NOMEM;
    for (const char *s = tpl; *s;) {
        if (*s == ':' && s[1] >= 'a' && s[1] <= 'z') {
            size_t n = 1;
            while ((s[n] >= 'a' && s[n] <= 'z') || s[n] == '_')
                n++;
            size_t name_len = n - 1;
            int keep_underscore = s[n - 1] == '_';
            if (keep_underscore)
                name_len--;
            char *val;
            rc = placeholder(u, s + 1, name_len, &val);
            if (rc == 1) {
                snprintf(bad, bad_len, ":%.*s", (int)(n - 1), s + 1);
                goto out;
            }
            if (rc)
                goto out;
            size_t need = used + strlen(val) * 3 + 2 + strlen(s);
            if (need > cap) {
                char *nr = realloc(raw, need * 2);
                if (!nr) {
                    free(val);
                    rc = ST_NOMEM;
                    goto out;
                }
                raw = nr;
                cap = need * 2;
            }
            char *w = raw + used;
            escape_path(val, &w, raw + cap - 2);
            used = (size_t)(w - raw);
            if (keep_underscore)
                raw[used++] = '_';
            free(val);
            s += n;
            continue;
        }
        if (used + 2 > cap) {
            char *nr = realloc(raw, cap * 2);
            if (!nr) {
                rc = ST_NOMEM;
                goto out;
            }
            raw = nr;
            cap *= 2;
        }
        raw[used++] = *s++;
    }
    raw[used] = '\0';
    /* sanitize_url */
    res = malloc(2 * used + 2);
    if (!res) {
        rc = ST_NOMEM;
        goto out;
    }
    size_t w = 0;
    res[w++] = '/';
    for (size_t i = 0; i < used; i++) {
        if (raw[i] == '.' && raw[i + 1] == '.') {
            res[w++] = '/';
            i++;
        } else {
            res[w++] = raw[i];
        }
    }
    res[w] = '\0';
    size_t r = 0;
    for (size_t i = 0; i < w; i++) {
        if (res[i] == '.' && res[i + 1] == '/') {
            i++;
            continue;
        }
        res[r++] = res[i];
    }
    res[r] = '\0';
    size_t q = 0;
    for (size_t i = 0; i < r; i++) {
        if (res[i] == '/' && q > 0 && res[q - 1] == '/')
            continue;
        res[q++] = res[i];
    }
    res[q] = '\0';
    *out = res;
    res = NULL;
out:
    free(raw);
    free(res);
    return rc;
}

/* Jekyll's named permalink styles (site config only). */
static const char *permalink_template(const char *p)
{
    if (!p || !*p)
        return DEFAULT_PERMALINK;
    if (strcmp(p, "date") == 0)
        return "/:categories/:year/:month/:day/:title:output_ext";
    if (strcmp(p, "pretty") == 0)
        return "/:categories/:year/:month/:day/:title/";
    if (strcmp(p, "ordinal") == 0)
        return "/:categories/:year/:y_day/:title:output_ext";
    if (strcmp(p, "weekdate") == 0)
        return "/:categories/:year/W:week/:short_day/:title:output_ext";
    if (strcmp(p, "none") == 0)
        return "/:categories/:title:output_ext";
    return p;
}

int post_permalink_check(const char *permalink, struct parse_error *err)
{
    struct post p;
    post_init(&p);
    p.id = "2000-01-01-x";
    struct url_ctx u = {.p = &p, .slug_src = "x", .relpath = "2000-01-01-x.md"};
    char bad[64] = "", *url = NULL;
    err_reset(err);
    int rc = build_url(&u, permalink_template(permalink), &url, bad, sizeof(bad));
    free(url);
    if (rc == 1)
        return fail_at(err, NULL, NULL, "permalink: unknown placeholder %s", bad);
    return rc;
}

/* ---- the fields ---- */

static int string_field(const json_t *fm, const json_t *pos, const struct yaml_src *src,
                        const char *key, char **out, struct parse_error *err)
{
    const json_t *v = json_object_get(fm, key);
    *out = NULL;
    if (!v)
        return 0;
    struct place at = {pos, key, 1};
    int rc = scalar_dup(v, src, &at, out);
    if (rc == 1)
        return fail_at(err, pos, key, "%s: must be a string, not %s", key, type_name(v));
    return rc;
}

static int author_field(const json_t *fm, const json_t *pos, const struct yaml_src *src, char **out,
                        struct parse_error *err)
{
    const json_t *v = json_object_get(fm, "author");
    *out = NULL;
    if (json_is_array(v)) {
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item)
        {
            if (json_is_null(item))
                continue;
            struct place at = {pos, "author", 0};
            int rc = scalar_dup(item, src, &at, out);
            if (rc == 1)
                return fail_at(err, pos, "author", "author: list item %zu is %s", i + 1,
                               type_name(item));
            return rc;
        }
        return 0;
    }
    if (json_is_object(v)) {
        const json_t *name = json_object_get(v, "name");
        struct place at = {pos, "author", 0};
        int rc = name ? scalar_dup(name, src, &at, out) : 1;
        if (rc == 1)
            return fail_at(err, pos, "author", "author: a mapping needs a string name");
        return rc;
    }
    return string_field(fm, pos, src, "author", out, err);
}

static int date_field(const json_t *fm, const json_t *pos, const struct post_name *name, int tz,
                      struct post *p, struct parse_error *err)
{
    const json_t *v = json_object_get(fm, "date");
    /* Jekyll parses data["date"].to_s whenever the key is there: "" (null),
     * "false" and "" fail with InvalidDateError, which stops the whole site */
    if (v && (json_is_null(v) || json_is_false(v)))
        return fail_at(err, pos, "date", "date: must be a date, not %s",
                       json_is_null(v) ? "null" : "false");
    if (json_is_string(v) && json_string_length(v) == 0)
        return fail_at(err, pos, "date", "date: must be a date, not an empty string");
    if (v) {
        if (json_is_string(v) &&
            parse_date_string(json_string_value(v), tz, &p->date_utc, &p->date_offset) == 0)
            return 0;
        char *text = json_is_string(v) ? strdup(json_string_value(v))
                                       : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        if (!text)
            return ST_NOMEM;
        int rc = fail_at(err, pos, "date", "date: cannot parse \"%.200s\"", text);
        free(text);
        return rc;
    }
    if (name->month < 1 || name->month > 12 || name->day < 1 || name->day > 31) {
        /* the date as written is the id's first three dash-separated fields */
        const char *e = name->id;
        for (int dashes = 0; *e && !(*e == '-' && ++dashes == 3); e++)
            ;
        return fail_at(err, NULL, NULL, "file name date %.*s is not a valid date",
                       (int)(e - name->id), name->id);
    }
    p->date_utc = local_to_utc(name->year, name->month, name->day, 0, 0, 0, tz);
    p->date_offset = tz;
    return 0;
}

static int title_field(const json_t *fm, const json_t *pos, const struct yaml_src *src,
                       const char *slug, struct post *p, struct parse_error *err)
{
    const json_t *v = json_object_get(fm, "title");
    if (truthy(v) && !(json_is_string(v) && json_string_length(v) == 0)) {
        struct place at = {pos, "title", 1};
        int rc = scalar_dup(v, src, &at, &p->title);
        if (rc == 1)
            return fail_at(err, pos, "title", "title: must be a string, not %s", type_name(v));
        return rc;
    }
    p->title = post_titleize(slug);
    return p->title ? 0 : ST_NOMEM;
}

static int categories_field(const char *relpath, const json_t *fm, const json_t *pos,
                            const struct yaml_src *src, struct strv *cats, struct parse_error *err)
{
    /* folders above a _posts folder, outermost first */
    const char *seg = relpath;
    int rc = 0;
    for (const char *s = relpath;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        if ((size_t)(s - seg) == 6 && memcmp(seg, "_posts", 6) == 0) {
            const char *f = relpath;
            for (const char *t = relpath; t < seg && !rc; t++) {
                if (*t != '/')
                    continue;
                rc = strv_add(cats, f, (size_t)(t - f), 1);
                f = t + 1;
            }
            break;
        }
        if (*s == '\0')
            break;
        seg = s + 1;
    }
    if (rc)
        return rc;
    rc = add_taglike(cats, json_object_get(fm, "categories"), 1, src, pos, "categories", err);
    if (rc)
        return rc;
    return add_taglike(cats, json_object_get(fm, "category"), 0, src, pos, "category", err);
}

static int tags_field(const json_t *fm, const json_t *pos, const struct yaml_src *src,
                      struct strv *tags, struct parse_error *err)
{
    const json_t *tag = json_object_get(fm, "tag");
    if (truthy(tag))
        return add_taglike(tags, tag, 0, src, pos, "tag", err);
    return add_taglike(tags, json_object_get(fm, "tags"), 1, src, pos, "tags", err);
}

static int sources_field(const json_t *fm, const json_t *pos, struct post *p,
                         struct parse_error *err)
{
    const json_t *v = json_object_get(fm, "sources");
    struct strv urls = {0};
    int rc = 0;
    if (!truthy(v))
        return 0;
    if (json_is_string(v)) {
        rc = strv_add_split(&urls, json_string_value(v), 0);
    } else if (json_is_array(v)) {
        size_t i;
        const json_t *item;
        json_array_foreach(v, i, item)
        {
            if (json_is_null(item))
                continue;
            if (!json_is_string(item)) {
                rc = fail_at(err, pos, "sources", "sources: list item %zu is %s, not a URL", i + 1,
                             type_name(item));
                break;
            }
            rc = strv_add_split(&urls, json_string_value(item), 0);
            if (rc)
                break;
        }
    } else {
        rc = fail_at(err, pos, "sources", "sources: must be a string of URLs or a list, not %s",
                     type_name(v));
    }
    if (rc)
        goto out;
    if (urls.n) {
        p->sources = calloc(urls.n, sizeof(*p->sources));
        if (!p->sources) {
            rc = ST_NOMEM;
            goto out;
        }
    }
    for (size_t i = 0; i < urls.n; i++) {
        p->sources[i].url = urls.v[i];
        urls.v[i] = NULL;
        p->sources[i].domain = post_url_domain(p->sources[i].url);
        p->n_sources++;
    }
out:
    strv_free(&urls);
    return rc;
}

static int carousel_field(const json_t *fm, const json_t *pos, const struct yaml_src *src,
                          struct post *p, struct parse_error *err)
{
    static const char *const keys[] = {"domain", "link", "title", "icon_path", "image_path"};
    const json_t *v = json_object_get(fm, "carousel_sources");
    if (!truthy(v))
        return 0;
    if (!json_is_array(v))
        return fail_at(err, pos, "carousel_sources",
                       "carousel_sources: must be a list of mappings, not %s", type_name(v));
    size_t n = json_array_size(v);
    if (n == 0)
        return 0;
    p->carousel = calloc(n, sizeof(*p->carousel));
    if (!p->carousel)
        return ST_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const json_t *item = json_array_get(v, i);
        if (!json_is_object(item))
            return fail_at(err, pos, "carousel_sources",
                           "carousel_sources: item %zu is %s, not a mapping", i + 1,
                           type_name(item));
        struct post_carousel *c = &p->carousel[p->n_carousel++];
        char **dst[] = {&c->domain, &c->link, &c->title, &c->icon_path, &c->image_path};
        for (size_t k = 0; k < 5; k++) {
            const json_t *f = json_object_get(item, keys[k]);
            struct place at = {pos, "carousel_sources", 0};
            int rc = f ? scalar_dup(f, src, &at, dst[k]) : 0;
            if (rc == 1)
                return fail_at(err, pos, "carousel_sources",
                               "carousel_sources: item %zu: %s must be a string, not %s", i + 1,
                               keys[k], type_name(f));
            if (rc)
                return rc;
        }
    }
    return 0;
}

static int domains_field(struct post *p)
{
    struct strv d = {0};
    int rc = 0;
    for (size_t i = 0; i < p->n_sources && !rc; i++)
        if (p->sources[i].domain)
            rc = strv_add(&d, p->sources[i].domain, strlen(p->sources[i].domain), 1);
    for (size_t i = 0; i < p->n_carousel && !rc; i++) {
        const struct post_carousel *c = &p->carousel[i];
        char *dom = c->domain && *c->domain ? strdup(c->domain) : post_url_domain(c->link);
        if (c->domain && *c->domain && !dom) {
            rc = ST_NOMEM;
            break;
        }
        if (dom) {
            post_domain_normalize(dom);
            rc = strv_add(&d, dom, strlen(dom), 1);
            free(dom);
        }
    }
    if (rc) {
        strv_free(&d);
        return rc;
    }
    p->domains = d.v;
    p->n_domains = d.n;
    return 0;
}

static void line_col(const char *buf, long off, int *line, int *col)
{
    int l = 1;
    long start = 0;
    for (long i = 0; i < off; i++) {
        if (buf[i] == '\n') {
            l++;
            start = i + 1;
        }
    }
    *line = l;
    *col = (int)(off - start) + 1;
}

int post_parse(const char *relpath, const char *buf, size_t len, const struct parse_opts *opts,
               struct post *out, struct parse_error *err)
{
    struct parse_opts defaults = {0};
    struct post_name name;
    struct fm_span span;
    struct strv tags = {0}, cats = {0};
    json_t *fm = NULL, *pos = NULL;
    long bad;
    int rc;

    if (!opts)
        opts = &defaults;
    post_init(out);
    err_reset(err);
    const char *base = strrchr(relpath, '/');
    base = base ? base + 1 : relpath;
    rc = post_name_parse(base, &name);
    if (rc)
        goto out;
    if (fm_utf8_check(buf, len, &bad) != 0) {
        line_col(buf, bad, &err->line, &err->col);
        err->byte_offset = bad;
        snprintf(err->msg, sizeof(err->msg), "invalid UTF-8 at byte %ld", bad);
        rc = ST_PARSE;
        goto out;
    }
    fm_split(buf, len, &span);
    if (span.has_front_matter) {
        rc = fm_yaml_load(buf + span.yaml_off, span.yaml_len, span.yaml_line, 1, &fm, &pos, err);
        if (rc)
            goto out;
    } else {
        /* Jekyll 4.3 publishes it all the same: no data, the whole file as body */
        fm = json_object();
        pos = json_object();
        if (!fm || !pos) {
            rc = ST_NOMEM;
            goto out;
        }
    }
    const struct yaml_src src = {
        .text = buf + span.yaml_off,
        .len = span.has_front_matter ? span.yaml_len : 0,
        .first_line = span.yaml_line,
        .tz = opts->tz_offset,
    };
    if (json_is_false(json_object_get(fm, "published"))) {
        rc = ST_SKIP;
        goto out;
    }

    rc = ST_NOMEM;
    out->id = strdup(name.id);
    out->slug = strdup(name.slug);
    out->path = strdup(relpath);
    if (!out->id || !out->slug || !out->path)
        goto out;
    if ((rc = date_field(fm, pos, &name, opts->tz_offset, out, err)) ||
        (rc = title_field(fm, pos, &src, name.slug, out, err)) ||
        (rc = string_field(fm, pos, &src, "layout", &out->layout, err)) ||
        (rc = string_field(fm, pos, &src, "description", &out->description, err)) ||
        (rc = string_field(fm, pos, &src, "image", &out->image, err)) ||
        (rc = author_field(fm, pos, &src, &out->author, err)) ||
        (rc = tags_field(fm, pos, &src, &tags, err)) ||
        (rc = categories_field(relpath, fm, pos, &src, &cats, err)) ||
        (rc = sources_field(fm, pos, out, err)) || (rc = carousel_field(fm, pos, &src, out, err)) ||
        (rc = domains_field(out)))
        goto out;
    out->tags = tags.v;
    out->n_tags = tags.n;
    out->categories = cats.v;
    out->n_categories = cats.n;
    memset(&tags, 0, sizeof(tags));
    memset(&cats, 0, sizeof(cats));

    out->front_matter_json = json_dumps(fm, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!out->front_matter_json) {
        rc = ST_NOMEM;
        goto out;
    }

    /* url: a front-matter permalink wins over the site pattern */
    const json_t *fm_link = json_object_get(fm, "permalink");
    const json_t *fm_slug = json_object_get(fm, "slug");
    int own = json_is_string(fm_link) && json_string_length(fm_link) > 0;
    struct url_ctx u = {
        .p = out,
        .slug_src = json_is_string(fm_slug) && json_string_length(fm_slug) > 0
                        ? json_string_value(fm_slug)
                        : name.slug,
        .relpath = relpath,
        .tz = opts->tz_offset,
    };
    char bad_ph[64] = "";
    rc = build_url(&u, own ? json_string_value(fm_link) : permalink_template(opts->permalink),
                   &out->url, bad_ph, sizeof(bad_ph));
    if (rc == 1) {
        rc = fail_at(err, pos, own ? "permalink" : NULL, "permalink: unknown placeholder %s",
                     bad_ph);
        goto out;
    }
    if (rc)
        goto out;

    rc = body_parse(buf + span.body_off, len - span.body_off, out);
out:
    strv_free(&tags);
    strv_free(&cats);
    json_decref(fm);
    json_decref(pos);
    if (rc)
        post_clear(out);
    return rc;
}
