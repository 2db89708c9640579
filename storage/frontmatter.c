/* Front matter: finding the YAML block at the top of a post as Jekyll's regex does,
 * checking UTF-8, and turning the YAML into jansson values typed the way Jekyll 4.3
 * types them. On Debian, Jekyll reads front matter with Psych.safe_load (Psych 4,
 * libyaml underneath, Date and Time permitted, aliases allowed), so libyaml's event
 * parser does the syntax here and this file does what Psych adds on top: building
 * (anchors, aliases, "<<" merges, duplicate keys) and resolving plain scalars rule by
 * rule as Psych::ScalarScanner#tokenize does, quirks included ("1:20" is 4800).
 *
 * Where a Ruby value has no JSON twin: a Date is the string "YYYY-MM-DD"; a Time is an
 * RFC 3339 string keeping the written offset ("Z" when written as Z or with no zone,
 * whose instant Psych takes as UTC); +-Infinity and NaN are the strings ".inf", "-.inf"
 * and ".nan"; integers beyond int64 and timestamps with a negative year stay strings as
 * written; non-string keys are stringified as Ruby prints them (1 -> "1", nil -> ""),
 * Time keys in the RFC 3339 form above.
 * Errors where Psych raises too: a plain ":symbol", "0x_", ".e+3", a !!float that is no
 * number, Ruby class tags, !!set, unknown aliases. Errors where Psych quietly accepts:
 * a second document (Psych drops it), a list or mapping as a key, an alias inside its
 * own anchor (a cycle), !!binary, more than MAX_NODES nodes once aliases are expanded or
 * MAX_DEPTH levels. Aliased values are shared (incref), not copied, so treat a loaded
 * tree as read-only or json_deep_copy() it first. */
#include "frontmatter.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "civil.h"

/* Caps against alias bombs and runaway nesting; real front matter is far below. */
enum { MAX_NODES = 1000000, MAX_DEPTH = 256 };

/* ---------------------------------------------------------------- UTF-8 */

int fm_utf8_check(const char *buf, size_t len, long *bad_off)
{
    const unsigned char *s = (const unsigned char *)buf;
    size_t i = 0;

    while (i < len) {
        /* ASCII, most of a post, 8 bytes at a time */
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (w & 0x8080808080808080ull)
                break;
            i += 8;
        }
        if (i == len)
            break;
        unsigned c = s[i];
        size_t n, k;
        uint32_t cp, min;

        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1, cp = c & 0x1F, min = 0x80;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2, cp = c & 0x0F, min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3, cp = c & 0x07, min = 0x10000;
        } else {
            goto bad;
        }
        if (len - i <= n)
            goto bad;
        for (k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                goto bad;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        /* overlong forms, UTF-16 surrogates and code points past U+10FFFF */
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        i += n + 1;
    }
    return 0;
bad:
    if (bad_off)
        *bad_off = (long)i;
    return -1;
}

/* ---------------------------------------------------------------- split */

/* Ruby's \s: the regex Jekyll uses is made of it. */
static int is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Jekyll: /\A(---\s*\n.*?\n?)^((---|\.\.\.)\s*$\n?)/m. At a line start p, is there a
 * closing line? The greedy \s*$\n? also eats the blank lines after it, so *end is the
 * start of the first line that has something else (or the end of the buffer). */
static int closing_line(const char *buf, size_t len, size_t p, size_t *end)
{
    size_t q, last_nl = (size_t)-1;

    if (len - p < 3 || (memcmp(buf + p, "---", 3) != 0 && memcmp(buf + p, "...", 3) != 0))
        return 0;
    for (q = p + 3; q < len && is_space(buf[q]); q++)
        if (buf[q] == '\n')
            last_nl = q;
    if (q == len)
        *end = len;
    else if (last_nl != (size_t)-1)
        *end = last_nl + 1;
    else
        return 0;
    return 1;
}

void fm_split(const char *buf, size_t len, struct fm_span *out)
{
    size_t start = 0, p, end, i;

    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
        start = 3;
    out->has_front_matter = 0;
    out->yaml_off = start;
    out->yaml_len = 0;
    out->yaml_line = 0;
    out->body_off = start;
    out->body_line = 1;

    if (len - start < 4 || memcmp(buf + start, "---", 3) != 0)
        return;
    /* the opening line: "---", optional whitespace, a newline */
    for (p = start + 3; p < len && buf[p] != '\n' && is_space(buf[p]); p++)
        ;
    if (p == len || buf[p] != '\n')
        return;
    p++;
    out->yaml_off = p;

    /* the first closing line wins, as the lazy .*? makes it */
    while (!closing_line(buf, len, p, &end)) {
        const char *nl = memchr(buf + p, '\n', len - p);
        if (!nl) {
            out->yaml_off = start;
            return;
        }
        p = (size_t)(nl - buf) + 1;
    }
    out->has_front_matter = 1;
    out->yaml_len = p - out->yaml_off;
    out->yaml_line = 2;
    out->body_off = end;
    for (i = 0; i < end; i++)
        if (buf[i] == '\n')
            out->body_line++;
}

/* ---------------------------------------------------------------- scalars */

/* What Psych would make of a plain scalar. K_RAISE: Psych raises on it (the value is
 * then the text as written, which fm_resolve_plain returns and the loader rejects). */
enum kind {
    K_NULL,
    K_BOOL,
    K_INT,
    K_BIGINT, /* an Integer past int64: kept as written; approx holds its value */
    K_FLOAT,
    K_SPECIAL, /* +-Infinity, NaN */
    K_DATE,
    K_TIME,
    K_STR,
    K_RAISE,
};

struct res {
    enum kind kind;
    json_t *value; /* new reference; NULL after a decision means out of memory */
    double approx; /* K_BIGINT only */
};

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static int eq_ci(const char *s, size_t n, const char *word)
{
    size_t i;

    if (strlen(word) != n)
        return 0;
    for (i = 0; i < n; i++)
        if (lower(s[i]) != word[i])
            return 0;
    return 1;
}

static int in_words(const char *s, size_t n, const char *const *words)
{
    for (; *words; words++)
        if (eq_ci(s, n, *words))
            return 1;
    return 0;
}

static const char *const NULL_WORDS[] = {"null", NULL};
static const char *const TRUE_WORDS[] = {"yes", "true", "on", NULL};
static const char *const FALSE_WORDS[] = {"no", "false", "off", NULL};

static int decide(struct res *r, enum kind kind, json_t *value)
{
    r->kind = kind;
    r->value = value;
    return 1;
}

static int as_written(struct res *r, enum kind kind, const char *s, size_t n)
{
    return decide(r, kind, json_stringn(s, n));
}

static size_t digit_run(const char *s, size_t n, size_t i)
{
    size_t k = 0;

    while (i + k < n && is_digit(s[i + k]))
        k++;
    return k;
}

static int to_int(const char *s, size_t k)
{
    int v = 0;
    size_t i;

    for (i = 0; i < k; i++)
        v = v < 100000 ? v * 10 + (s[i] - '0') : v; /* saturates; callers range-check */
    return v;
}

/* The words Psych knows, for a one-line scalar: it only tries them on strings of at
 * most five characters that start like a word, which these all do. */
static int try_word(const char *s, size_t n, struct res *r)
{
    if (n > 5)
        return 0;
    if ((n == 1 && s[0] == '~') || in_words(s, n, NULL_WORDS))
        return decide(r, K_NULL, json_null());
    if (in_words(s, n, TRUE_WORDS))
        return decide(r, K_BOOL, json_true());
    if (in_words(s, n, FALSE_WORDS))
        return decide(r, K_BOOL, json_false());
    return 0;
}

static int any_line_in(const char *s, size_t n, const char *const *words)
{
    size_t i = 0;

    while (i <= n) {
        const char *nl = memchr(s + i, '\n', n - i);
        size_t e = nl ? (size_t)(nl - s) : n;
        if (in_words(s + i, e - i, words))
            return 1;
        i = e + 1;
    }
    return 0;
}

/* A plain scalar folded over a blank line holds a "\n". Psych's regexes then match
 * line by line (Ruby's ^ and $), so "on\n\nno" written in YAML loads as true. */
static int try_multiline(const char *s, size_t n, struct res *r)
{
    size_t i, chars = 0;

    if (!memchr(s, '\n', n))
        return 0;
    for (i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            chars++;
    if (chars > 5)
        return as_written(r, K_STR, s, n);
    for (i = 0; i < n; i++)
        if ((i == 0 || s[i - 1] == '\n') && !memchr("ytonfYTONF~", s[i], 11))
            return as_written(r, K_STR, s, n);
    if (any_line_in(s, n, NULL_WORDS))
        return decide(r, K_NULL, json_null());
    if (any_line_in(s, n, TRUE_WORDS))
        return decide(r, K_BOOL, json_true());
    if (any_line_in(s, n, FALSE_WORDS))
        return decide(r, K_BOOL, json_false());
    return as_written(r, K_STR, s, n);
}

/* Psych's TIME: -?YYYY-M-D([Tt]|\s+)H:MM:SS(.d*)?(\s*(Z|[-+]H{1,2}:?(MM)?))? */
static int match_time(const char *s, size_t n)
{
    size_t i = 0, k, w;

    if (i < n && s[i] == '-')
        i++;
    if (digit_run(s, n, i) != 4 || i + 4 >= n || s[i + 4] != '-')
        return 0;
    i += 5;
    k = digit_run(s, n, i);
    if (k < 1 || k > 2 || i + k >= n || s[i + k] != '-')
        return 0;
    i += k + 1;
    k = digit_run(s, n, i);
    if (k < 1 || k > 2 || i + k >= n)
        return 0;
    i += k;
    if (s[i] == 'T' || s[i] == 't') {
        i++;
    } else {
        for (w = i; i < n && is_space(s[i]); i++)
            ;
        if (i == w)
            return 0;
    }
    k = digit_run(s, n, i);
    if (k < 1 || k > 2 || i + k >= n || s[i + k] != ':')
        return 0;
    i += k + 1;
    if (digit_run(s, n, i) != 2 || i + 2 >= n || s[i + 2] != ':')
        return 0;
    i += 3;
    if (digit_run(s, n, i) != 2)
        return 0;
    i += 2;
    if (i < n && s[i] == '.')
        for (i++; i < n && is_digit(s[i]); i++)
            ;
    if (i == n)
        return 1;
    while (i < n && is_space(s[i]))
        i++;
    if (i < n && s[i] == 'Z')
        return i + 1 == n;
    if (i >= n || (s[i] != '+' && s[i] != '-'))
        return 0;
    i++;
    k = digit_run(s, n, i);
    if (k == 0)
        return 0;
    if (i + k < n && s[i + k] == ':') {
        if (k > 2)
            return 0;
        i += k + 1;
        k = digit_run(s, n, i);
        return (k == 0 || k == 2) && i + k == n;
    }
    return k <= 4 && i + k == n;
}

/* The leftmost \d+:\d+:\d+ in s[from..n): hours, minutes, seconds and the end. */
static int find_hms(const char *s, size_t n, size_t from, int *h, int *m, int *sec, size_t *end)
{
    size_t i, a, b, c;

    for (i = from; i < n; i++) {
        a = digit_run(s, n, i);
        if (a == 0 || i + a >= n || s[i + a] != ':')
            continue;
        b = digit_run(s, n, i + a + 1);
        if (b == 0 || i + a + 1 + b >= n || s[i + a + 1 + b] != ':')
            continue;
        c = digit_run(s, n, i + a + b + 2);
        if (c == 0)
            continue;
        *h = to_int(s + i, a);
        *m = to_int(s + i + a + 1, b);
        *sec = to_int(s + i + a + b + 2, c);
        *end = i + a + b + 2 + c;
        return 0;
    }
    return -1;
}

/* Psych#parse_time, including its quirks: the date and the time are split at the
 * first ' ', 't' or 'T'; Time.utc rolls Feb 30 over to March but refuses hour 25;
 * an offset written "-00:30" loses its sign. */
static int try_time(const char *s, size_t n, struct res *r)
{
    size_t sep, i, j, k, frac = 0, frac_len = 0;
    int mon, mday, hour, min, sec, off = 0, zone = 0, tzh, tzm = 0;
    long long year, secs;
    char *out;
    size_t cap;

    if (!match_time(s, n))
        return 0;
    if (s[0] == '-') /* RFC 3339 has no negative years */
        return as_written(r, K_STR, s, n);
    for (sep = 0; sep < n && s[sep] != ' ' && s[sep] != 't' && s[sep] != 'T'; sep++)
        ;
    if (sep == n) /* only tabs between date and time: Psych hits nil */
        return as_written(r, K_RAISE, s, n);
    year = to_int(s, 4);
    i = 5;
    k = digit_run(s, n, i);
    mon = to_int(s + i, k);
    i += k + 1;
    k = digit_run(s, n, i);
    mday = to_int(s + i, k);

    if (find_hms(s, n, sep + 1, &hour, &min, &sec, &j))
        return as_written(r, K_RAISE, s, n); /* Psych's md is nil */
    if (j < n && s[j] == '.') {
        frac = ++j;
        while (j < n && is_digit(s[j]))
            j++;
        frac_len = j - frac;
    }
    while (j < n && is_space(s[j]))
        j++;
    if (j < n && s[j] == 'Z') {
        zone = 'Z';
    } else if (j + 1 < n && (s[j] == '+' || s[j] == '-') && is_digit(s[j + 1])) {
        /* ([+-]?\d{1,2}):?(\d{1,2})? over what [-+]\d+(:\d\d)? took */
        int neg = s[j] == '-', colon;
        k = digit_run(s, n, j + 1);
        colon = j + 1 + k < n && s[j + 1 + k] == ':' && digit_run(s, n, j + 2 + k) >= 2;
        if (colon ? k > 2 : k > 4) /* the offset regex fails: Psych hits nil */
            return as_written(r, K_RAISE, s, n);
        tzh = to_int(s + j + 1, k <= 2 ? k : 2);
        if (colon)
            tzm = to_int(s + j + 2 + k, 2);
        else if (k > 2)
            tzm = to_int(s + j + 3, k - 2);
        off = (neg ? -tzh : tzh) * 3600;
        off += off < 0 ? -tzm * 60 : tzm * 60;
        zone = '+';
    }
    /* Time.utc / Time.new argument checks (ArgumentError -> the string) */
    if (mon < 1 || mon > 12 || mday < 1 || mday > 31 || hour > 24 || min > 59 || sec > 60 ||
        (hour == 24 && (min > 0 || sec > 0)) || off <= -86400 || off >= 86400)
        return as_written(r, K_STR, s, n);
    while (frac_len > 0 && s[frac + frac_len - 1] == '0')
        frac_len--;

    secs = civil_days_from(year, mon, 1) * 86400 + (long long)(mday - 1) * 86400 + hour * 3600 +
           min * 60 + sec;
    /* Ruby's Time.new quirk: "31" in a shorter month, with a negative offset that puts
     * the UTC instant on the next day, lands 32 days early (day 32 wraps to day 0 in
     * Ruby's 5-bit mday). A leap second or 24:00 counts as 23:59:59 for this. */
    if (zone == '+' && off < 0 && mday == 31 &&
        civil_days_from(year, mon, 31) != civil_days_from(year + (mon == 12), mon % 12 + 1, 0)) {
        long long tod = hour * 3600 + min * 60 + sec - (sec == 60 || hour == 24);
        if (tod - off >= 86400)
            secs -= 32 * 86400;
    }
    {
        long long days = secs / 86400, rem = secs % 86400;
        int64_t y;
        int m, d, pos, oh;
        if (rem < 0)
            rem += 86400, days--;
        civil_from_days(days, &y, &m, &d);
        cap = 48 + frac_len;
        out = malloc(cap);
        if (!out)
            return decide(r, K_TIME, NULL);
        pos = snprintf(out, cap, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, m, d,
                       (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
        if (frac_len > 0) {
            out[pos++] = '.';
            memcpy(out + pos, s + frac, frac_len);
            pos += (int)frac_len;
        }
        oh = off < 0 ? -off : off;
        if (zone == '+')
            snprintf(out + pos, cap - (size_t)pos, "%c%02d:%02d", off < 0 ? '-' : '+', oh / 3600,
                     oh / 60 % 60);
        else
            snprintf(out + pos, cap - (size_t)pos, "Z");
    }
    decide(r, K_TIME, json_string(out));
    free(out);
    return 1;
}

/* Date.strptime validity: Ruby's Date switches from the Julian calendar on 1582-10-15. */
static int date_valid(int y, int m, int d)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int julian = y < 1582 || (y == 1582 && (m < 10 || (m == 10 && d < 15)));
    int leap = julian ? y % 4 == 0 : (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));

    if (m < 1 || m > 12 || d < 1)
        return 0;
    if (y == 1582 && m == 10 && d > 4 && d < 15)
        return 0;
    return d <= mdays[m - 1] + (m == 2 && leap);
}

/* Psych: ^\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)$, then Date.strptime */
static int try_date(const char *s, size_t n, struct res *r)
{
    size_t mk, dk;
    int y, m, d;
    char buf[40];

    if (n < 8 || n > 10 || digit_run(s, n, 0) != 4 || s[4] != '-')
        return 0;
    mk = digit_run(s, n, 5);
    if (mk < 1 || mk > 2 || 5 + mk >= n || s[5 + mk] != '-')
        return 0;
    if (mk == 2 && !(s[5] == '0' || (s[5] == '1' && s[6] <= '2')))
        return 0;
    dk = digit_run(s, n, 6 + mk);
    if (dk < 1 || dk > 2 || 6 + mk + dk != n)
        return 0;
    if (dk == 2 && !(s[6 + mk] <= '2' || (s[6 + mk] == '3' && s[7 + mk] <= '1')))
        return 0;
    y = to_int(s, 4);
    m = to_int(s + 5, mk);
    d = to_int(s + 6 + mk, dk);
    if (!date_valid(y, m, d))
        return as_written(r, K_STR, s, n);
    snprintf(buf, sizeof buf, "%04d-%02d-%02d", y, m, d);
    return decide(r, K_DATE, json_string(buf));
}

static int try_special(const char *s, size_t n, struct res *r)
{
    if (eq_ci(s, n, ".inf") || (n == 5 && s[0] == '+' && eq_ci(s + 1, 4, ".inf")))
        return decide(r, K_SPECIAL, json_string(".inf"));
    if (n == 5 && s[0] == '-' && eq_ci(s + 1, 4, ".inf"))
        return decide(r, K_SPECIAL, json_string("-.inf"));
    if (eq_ci(s, n, ".nan"))
        return decide(r, K_SPECIAL, json_string(".nan"));
    return 0;
}

/* String#to_i: sign, digits with single underscores between them, stop at the rest. */
static int ruby_to_i(const char *s, size_t n, long long *out)
{
    size_t i = 0, start;
    long long v = 0;
    int neg = 0;

    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    for (start = i; i < n; i++) {
        if (is_digit(s[i])) {
            if (__builtin_mul_overflow(v, 10, &v) ||
                __builtin_add_overflow(v, neg ? -(s[i] - '0') : s[i] - '0', &v))
                return -1;
        } else if (!(s[i] == '_' && i > start && is_digit(s[i - 1]) && i + 1 < n &&
                     is_digit(s[i + 1]))) {
            break;
        }
    }
    *out = v;
    return 0;
}

/* String#to_f for the pieces of a base-60 float ("20.5", "1_0"). */
static double ruby_to_f(const char *s, size_t n)
{
    char buf[128];
    size_t i = 0, o = 0;
    int dot = 0;

    if (i < n && (s[i] == '+' || s[i] == '-'))
        buf[o++] = s[i++];
    for (; i < n && o + 2 < sizeof buf; i++) {
        if (is_digit(s[i]))
            buf[o++] = s[i];
        else if (s[i] == '_' && o > 0 && is_digit(s[i - 1]) && i + 1 < n && is_digit(s[i + 1]))
            continue;
        else if (s[i] == '.' && !dot && i + 1 < n && is_digit(s[i + 1]))
            buf[o++] = '.', dot = 1;
        else
            break;
    }
    buf[o] = '\0';
    return strtod(buf, NULL);
}

/* Psych: ^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}$ (and the same with \.[0-9_]*$ after it).
 * The parts weigh 60**|i-2|, so "1:20" is 1*3600 + 20*60; only the first part has a sign. */
static int try_base60(const char *s, size_t n, struct res *r)
{
    static const long long weight[2][3] = {{3600, 60, 0}, {3600, 60, 1}};
    size_t i = 0, starts[3], ends[3], k;
    int parts = 1, p, is_float = 0;

    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i >= n || !is_digit(s[i]))
        return 0;
    starts[0] = 0;
    while (i < n && (is_digit(s[i]) || s[i] == '_'))
        i++;
    ends[0] = i;
    while (i < n && s[i] == ':') {
        if (parts == 3)
            return 0;
        k = digit_run(s, n, i + 1);
        if (k < 1 || k > 2 || (k == 2 && s[i + 1] > '5'))
            return 0;
        starts[parts] = i + 1;
        i += k + 1;
        ends[parts++] = i;
    }
    if (parts == 1)
        return 0;
    if (i < n) {
        if (s[i] != '.')
            return 0;
        for (k = i + 1; k < n; k++)
            if (!is_digit(s[k]) && s[k] != '_')
                return 0;
        is_float = 1;
        ends[parts - 1] = n;
    }
    if (is_float) {
        double f = 0;
        for (p = 0; p < parts; p++)
            f += ruby_to_f(s + starts[p], ends[p] - starts[p]) * (double)weight[parts - 2][p];
        return decide(r, K_FLOAT, json_real(f));
    } else {
        long long v = 0, part, term;
        double approx = 0;
        int big = 0;
        for (p = 0; p < parts; p++) {
            if (ruby_to_i(s + starts[p], ends[p] - starts[p], &part) ||
                __builtin_mul_overflow(part, weight[parts - 2][p], &term) ||
                __builtin_add_overflow(v, term, &v))
                big = 1;
            approx += ruby_to_f(s + starts[p], ends[p] - starts[p]) * (double)weight[parts - 2][p];
        }
        if (big) {
            r->approx = approx;
            return as_written(r, K_BIGINT, s, n);
        }
        return decide(r, K_INT, json_integer(v));
    }
}

static json_t *float_value(double d, enum kind *kind)
{
    if (isinf(d)) {
        *kind = K_SPECIAL;
        return json_string(d < 0 ? "-.inf" : ".inf");
    }
    *kind = K_FLOAT;
    return json_real(d);
}

/* Psych's FLOAT: ^[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?$ -- a dot is required and
 * so is the exponent's sign ("1e3" and "1.5e3" stay strings). */
static int try_float(const char *s, size_t n, struct res *r)
{
    size_t i = 0, o = 0, dot, mant_end;
    int digits = 0;
    char buf[128];
    enum kind kind;
    json_t *v;

    if (i < n && (s[i] == '+' || s[i] == '-'))
        i++;
    if (i < n && is_digit(s[i]))
        while (i < n && (is_digit(s[i]) || s[i] == '_' || s[i] == ','))
            i++;
    if (i >= n || s[i] != '.')
        return 0;
    dot = i++;
    while (i < n && is_digit(s[i]))
        i++;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        if (i + 2 >= n || (s[i + 1] != '+' && s[i + 1] != '-') || !is_digit(s[i + 2]))
            return 0;
        for (i += 2; i < n && is_digit(s[i]); i++)
            ;
    }
    if (i != n)
        return 0;
    if (dot == n - 1 && dot <= 1 && (dot == 0 || s[0] == '+' || s[0] == '-'))
        return as_written(r, K_STR, s, n); /* "." "-." "+." */
    if (n >= sizeof buf)
        return as_written(r, K_STR, s, n);
    /* Psych's gsub(/[,_]|\.([Ee]|$)/, '\1') before Float() */
    mant_end = dot + 1 + digit_run(s, n, dot + 1);
    for (i = 0; i < n; i++) {
        if (s[i] == ',' || s[i] == '_')
            continue;
        if (i == dot && (i + 1 == n || s[i + 1] == 'e' || s[i + 1] == 'E'))
            continue;
        if (is_digit(s[i]) && i < mant_end)
            digits = 1;
        buf[o++] = s[i];
    }
    buf[o] = '\0';
    if (!digits) /* ".e+3": Float("e+3") raises */
        return as_written(r, K_RAISE, s, n);
    v = float_value(strtod(buf, NULL), &kind);
    return decide(r, kind, v);
}

/* Psych's INTEGER: 0b binary, 0 octal, decimal with ',' or '_' between digits, 0x hex;
 * then Integer() of it with every ',' and '_' removed. */
static int try_int(const char *s, size_t n, struct res *r)
{
    size_t i = 0, k;
    int neg = 0, base, any = 0;
    unsigned long long mag = 0, limit;
    double approx = 0;
    int big = 0;

    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    if (i >= n || !is_digit(s[i]))
        return 0;
    if (s[i] == '0' && i + 1 < n && (s[i + 1] == 'b' || s[i + 1] == 'x')) {
        base = s[i + 1] == 'b' ? 2 : 16;
        i += 2;
        if (i == n)
            return 0;
        for (k = i; k < n; k++) {
            char c = lower(s[k]);
            int ok = c == '_' || c == ',' ||
                     (base == 2 ? (c == '0' || c == '1') : (is_digit(c) || (c >= 'a' && c <= 'f')));
            if (!ok)
                return 0;
        }
    } else if (s[i] == '0' && i + 1 < n) {
        base = 8;
        for (k = ++i; k < n; k++)
            if (!((s[k] >= '0' && s[k] <= '7') || s[k] == '_' || s[k] == ','))
                return 0;
    } else {
        base = 10;
        for (k = i + 1; k < n; k++) {
            if (is_digit(s[k]))
                continue;
            if ((s[k] == ',' || s[k] == '_') && k + 1 < n && is_digit(s[k + 1])) {
                k++;
                continue;
            }
            return 0;
        }
    }
    limit = neg ? (unsigned long long)INT64_MAX + 1 : (unsigned long long)INT64_MAX;
    for (k = i; k < n; k++) {
        char c = lower(s[k]);
        unsigned d;
        if (c == '_' || c == ',')
            continue;
        d = is_digit(c) ? (unsigned)(c - '0') : (unsigned)(c - 'a' + 10);
        any = 1;
        approx = approx * base + d;
        if (mag > (limit - d) / (unsigned)base)
            big = 1;
        else
            mag = mag * (unsigned)base + d;
    }
    if (!any && base != 8) /* "0x_": Integer("0x") raises */
        return as_written(r, K_RAISE, s, n);
    if (big) {
        r->approx = neg ? -approx : approx;
        return as_written(r, K_BIGINT, s, n);
    }
    return decide(r, K_INT, json_integer(neg ? (json_int_t)(0 - mag) : (json_int_t)mag));
}

/* Psych::ScalarScanner#tokenize, in its order. */
static void resolve(const char *s, size_t n, struct res *r)
{
    r->approx = 0;
    if (n == 0) {
        decide(r, K_NULL, json_null());
        return;
    }
    if (try_multiline(s, n, r) || try_word(s, n, r) || try_time(s, n, r) || try_date(s, n, r) ||
        try_special(s, n, r))
        return;
    if (n >= 2 && s[0] == ':') { /* a Symbol: not permitted by safe_load */
        as_written(r, K_RAISE, s, n);
        return;
    }
    if (try_base60(s, n, r) || try_float(s, n, r) || try_int(s, n, r))
        return;
    as_written(r, K_STR, s, n);
}

json_t *fm_resolve_plain(const char *s, size_t len)
{
    struct res r;

    resolve(s, len, &r);
    return r.value;
}

/* Ruby's Float#to_s, for floats used as mapping keys: shortest round-trip digits,
 * fixed notation when -4 < decimal exponent < 16, else "1.0e+16". */
static void ruby_float_str(double d, char *out, size_t cap)
{
    char tmp[40], digits[24], buf[64];
    int prec, exp10, decpt, nd = 0, b = 0, i;
    const char *p;

    if (d == 0) {
        snprintf(out, cap, "%s", signbit(d) ? "-0.0" : "0.0");
        return;
    }
    for (prec = 1; prec < 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
        if (strtod(tmp, NULL) == d)
            break;
    }
    snprintf(tmp, sizeof tmp, "%.*e", prec - 1, d);
    for (p = tmp; *p && *p != 'e'; p++)
        if (is_digit(*p))
            digits[nd++] = *p;
    exp10 = atoi(p + 1);
    decpt = exp10 + 1;
    if (d < 0)
        buf[b++] = '-';
    if (decpt > -4 && decpt < 16) {
        if (decpt <= 0) {
            buf[b++] = '0', buf[b++] = '.';
            for (i = decpt; i < 0; i++)
                buf[b++] = '0';
            for (i = 0; i < nd; i++)
                buf[b++] = digits[i];
        } else {
            for (i = 0; i < decpt || i < nd; i++) {
                if (i == decpt)
                    buf[b++] = '.';
                buf[b++] = i < nd ? digits[i] : '0';
            }
            if (decpt >= nd)
                buf[b++] = '.', buf[b++] = '0';
        }
        snprintf(out, cap, "%.*s", b, buf);
    } else {
        snprintf(out, cap, "%.*s%c.%.*se%c%02d", b, buf, digits[0], nd > 1 ? nd - 1 : 1,
                 nd > 1 ? digits + 1 : "0", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    }
}

/* ---------------------------------------------------------------- loader */

enum node_kind { NK_SCALAR, NK_SEQ, NK_MAP, NK_ALIAS };

struct frame {
    json_t *node; /* the object or array being filled (owned) */
    int is_map;
    int omap;            /* a !!omap sequence: becomes an object at its end */
    char *anchor;        /* owned; registered once the node is complete */
    size_t nodes_before; /* node count before this one, to size its anchor */
    yaml_mark_t mark;    /* where the node starts */
    char *key;           /* mappings: the pending key (owned), key_len bytes */
    size_t key_len;
    int have_key;
    int key_merge; /* the pending key is a "<<" merge key */
};

struct loader {
    int first_line;
    struct parse_error *err;
    struct frame *frames; /* cap_frames of them, grown as nesting goes deeper */
    size_t depth, cap_frames;
    json_t *anchors; /* name -> [value, node count] */
    size_t nodes;
    json_t *root;
    yaml_mark_t root_mark;
    json_t *positions; /* NULL when the caller did not ask */
};

__attribute__((format(printf, 3, 4))) static int fail_at(struct loader *L, yaml_mark_t mark,
                                                         const char *fmt, ...)
{
    va_list ap;

    L->err->line = L->first_line + (int)mark.line;
    L->err->col = (int)mark.column + 1;
    L->err->byte_offset = -1;
    va_start(ap, fmt);
    vsnprintf(L->err->msg, sizeof L->err->msg, fmt, ap);
    va_end(ap);
    return ST_PARSE;
}

/* At most 40 bytes of s, cut on a character boundary, for messages. */
static int clip(const char *s, size_t n)
{
    if (n <= 40)
        return (int)n;
    n = 40;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return (int)n;
}

/* "tag:yaml.org,2002:float" reads better as "!!float". */
static const char *short_tag(const char *tag, const char **prefix)
{
    static const char core[] = "tag:yaml.org,2002:";

    *prefix = "";
    if (strncmp(tag, core, sizeof core - 1) == 0) {
        *prefix = "!!";
        return tag + sizeof core - 1;
    }
    return tag;
}

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int is_tag(const char *tag, const char *name)
{
    const char *prefix, *rest = short_tag(tag, &prefix);

    return (*prefix && strcmp(rest, name) == 0) || (tag[0] == '!' && strcmp(tag + 1, name) == 0);
}

/* Tags Psych.safe_load refuses (Ruby classes) or that have no JSON form here. */
static int refused_tag(const char *tag, enum node_kind kind)
{
    if (starts_with(tag, "!ruby/"))
        return !(kind == NK_SCALAR && strcmp(tag, "!ruby/string") == 0);
    if (starts_with(tag, "!str:") || is_tag(tag, "binary") || is_tag(tag, "set"))
        return 1;
    if (kind == NK_SEQ)
        return starts_with(tag, "!seq:");
    if (kind == NK_MAP)
        return starts_with(tag, "!map:") || is_tag(tag, "omap") || is_tag(tag, "str");
    return 0;
}

static int fail_tag(struct loader *L, yaml_mark_t mark, const char *tag)
{
    const char *prefix, *rest = short_tag(tag, &prefix);

    return fail_at(L, mark, "invalid YAML: tag %s%.60s is not supported", prefix, rest);
}

static int set_position(struct loader *L, const char *key, size_t key_len, yaml_mark_t mark)
{
    json_t *pos = json_pack("[ii]", L->first_line + (int)mark.line, (int)mark.column + 1);

    if (!pos || json_object_setn_new(L->positions, key, key_len, pos))
        return ST_NOMEM;
    return 0;
}

static int count_nodes(struct loader *L, size_t n, yaml_mark_t mark)
{
    if (n > MAX_NODES - L->nodes)
        return fail_at(L, mark, "YAML too large: more than %d nodes once aliases are expanded",
                       MAX_NODES);
    L->nodes += n;
    return 0;
}

static int register_anchor(struct loader *L, const char *name, json_t *value, size_t nodes)
{
    json_t *entry = json_pack("[Oi]", value, (int)nodes);

    if (!entry || json_object_set_new(L->anchors, name, entry))
        return ST_NOMEM;
    return 0;
}

/* A mapping key as Ruby would print it (to_s) when the JSON needs a string. */
static int key_string(json_t *v, char **out, size_t *len)
{
    char buf[64];
    const char *s = buf;

    switch (json_typeof(v)) {
    case JSON_STRING:
        s = json_string_value(v);
        *len = json_string_length(v);
        break;
    case JSON_INTEGER:
        *len = (size_t)snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        ruby_float_str(json_real_value(v), buf, sizeof buf);
        *len = strlen(buf);
        break;
    case JSON_TRUE:
        s = "true", *len = 4;
        break;
    case JSON_FALSE:
        s = "false", *len = 5;
        break;
    default: /* nil.to_s */
        s = "", *len = 0;
        break;
    }
    *out = malloc(*len + 1);
    if (!*out)
        return ST_NOMEM;
    memcpy(*out, s, *len);
    (*out)[*len] = '\0';
    return 0;
}

/* Psych's revive_hash for "<<": a mapping (or an alias of one) is merged in; a sequence
 * of mappings is merged with the earlier ones winning; anything else is kept as an
 * ordinary "<<" key. Keys merged in overwrite the ones before and are overwritten by
 * the ones after, because Psych merges in document order. */
static int merge(struct loader *L, struct frame *f, json_t *v, enum node_kind nk, yaml_mark_t mark)
{
    json_t *src = NULL, *h = NULL, *val;
    const char *key;
    size_t i, key_len;
    int rc = ST_NOMEM;

    if ((nk == NK_MAP || nk == NK_ALIAS) && json_is_object(v)) {
        src = v;
    } else if (nk == NK_SEQ && json_is_array(v)) {
        for (i = 0; i < json_array_size(v); i++)
            if (!json_is_object(json_array_get(v, i)))
                break;
        if (i == json_array_size(v)) {
            if (!(h = json_object()))
                goto out;
            for (i = json_array_size(v); i-- > 0;)
                if (json_object_update(h, json_array_get(v, i)))
                    goto out;
            src = h;
        }
    }
    if (!src) {
        if (json_object_setn(f->node, f->key, f->key_len, v))
            goto out;
        if (L->depth == 1 && L->positions && set_position(L, f->key, f->key_len, mark))
            goto out;
        rc = 0;
        goto out;
    }
    if (json_object_update(f->node, src))
        goto out;
    if (L->depth == 1 && L->positions)
        json_object_keylen_foreach(src, key, key_len, val)
        {
            (void)val;
            if (set_position(L, key, key_len, mark))
                goto out;
        }
    rc = 0;
out:
    json_decref(h);
    json_decref(v);
    return rc;
}

/* Hands a finished value (stolen) to the open collection, or makes it the root. */
static int add_value(struct loader *L, json_t *v, enum node_kind nk, yaml_mark_t mark,
                     int str_tagged)
{
    struct frame *f;
    int rc = 0;

    if (L->depth == 0) {
        L->root = v;
        L->root_mark = mark;
        return 0;
    }
    f = &L->frames[L->depth - 1];
    if (!f->is_map)
        return json_array_append_new(f->node, v) ? ST_NOMEM : 0;
    if (!f->have_key) {
        if (json_is_object(v) || json_is_array(v)) {
            const char *what = json_is_array(v) ? "list" : "mapping";
            json_decref(v);
            return fail_at(L, mark, "invalid YAML: a mapping key must be a scalar, not a %s", what);
        }
        rc = key_string(v, &f->key, &f->key_len);
        f->key_merge =
            json_is_string(v) && f->key_len == 2 && memcmp(f->key, "<<", 2) == 0 && !str_tagged;
        f->have_key = 1;
        json_decref(v);
        return rc;
    }
    if (f->key_merge) {
        rc = merge(L, f, v, nk, mark);
    } else {
        rc = json_object_setn_new(f->node, f->key, f->key_len, v) ? ST_NOMEM : 0;
        if (!rc && L->depth == 1 && L->positions)
            rc = set_position(L, f->key, f->key_len, mark);
    }
    free(f->key);
    f->key = NULL;
    f->have_key = 0;
    return rc;
}

/* Ruby's Float() on a string: digits with single '_' between them, a dot needs a
 * digit after it, an optional exponent. (Hex floats are left out.) */
static int ruby_float(const char *s, size_t n, double *out)
{
    char buf[128];
    size_t i = 0, o = 0;
    int mant = 0, part;

    if (n >= sizeof buf)
        return -1;
    for (part = 0; part < 3; part++) {
        if (part == 1) {
            if (i >= n || s[i] != '.')
                continue;
            if (i + 1 >= n || !is_digit(s[i + 1]))
                return -1;
            buf[o++] = s[i++];
        } else if (part == 2) {
            if (i >= n || (s[i] != 'e' && s[i] != 'E'))
                break;
            if (!mant)
                return -1;
            buf[o++] = s[i++];
        }
        if (part != 1 && i < n && (s[i] == '+' || s[i] == '-'))
            buf[o++] = s[i++];
        if (part == 2 && (i >= n || !is_digit(s[i])))
            return -1;
        while (i < n && is_digit(s[i])) {
            buf[o++] = s[i++];
            mant |= part < 2;
            if (i + 1 < n && s[i] == '_' && is_digit(s[i + 1]))
                i++;
        }
    }
    if (i != n || !mant)
        return -1;
    buf[o] = '\0';
    *out = strtod(buf, NULL);
    return 0;
}

/* !!float: Psych does Float(tokenize(value)), so numbers convert and so does Ruby float
 * syntax left as a string ("1e3"); anything else raises. */
static int float_tagged(struct loader *L, const yaml_event_t *ev, struct res *r)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    double d;

    resolve(s, n, r);
    if (!r->value)
        return ST_NOMEM;
    if (r->kind == K_FLOAT || r->kind == K_SPECIAL)
        return 0;
    if (r->kind == K_INT)
        d = (double)json_integer_value(r->value);
    else if (r->kind == K_BIGINT)
        d = r->approx;
    else if (r->kind != K_STR || ruby_float(s, n, &d)) {
        json_decref(r->value);
        r->value = NULL;
        return fail_at(L, ev->start_mark, "invalid YAML: !!float value '%.*s' is not a number",
                       clip(s, n), s);
    }
    json_decref(r->value);
    r->value = float_value(d, &r->kind);
    return r->value ? 0 : ST_NOMEM;
}

static int on_scalar(struct loader *L, const yaml_event_t *ev)
{
    const char *s = (const char *)ev->data.scalar.value;
    size_t n = ev->data.scalar.length;
    const char *tag = (const char *)ev->data.scalar.tag;
    const char *anchor = (const char *)ev->data.scalar.anchor;
    struct res r = {K_STR, NULL, 0};
    int rc;

    if ((rc = count_nodes(L, 1, ev->start_mark)))
        return rc;
    /* Psych: quoted and block scalars are strings unless tagged; any tag makes the
     * value go through tokenize, except the string tags. */
    if (!tag) {
        if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
            resolve(s, n, &r);
        else
            r.value = json_stringn(s, n);
    } else if (is_tag(tag, "str") || strcmp(tag, "!ruby/string") == 0) {
        r.value = json_stringn(s, n);
    } else if (refused_tag(tag, NK_SCALAR)) {
        return fail_tag(L, ev->start_mark, tag);
    } else if (is_tag(tag, "float")) {
        if ((rc = float_tagged(L, ev, &r)))
            return rc;
    } else {
        resolve(s, n, &r);
    }
    if (!r.value)
        return ST_NOMEM;
    if (r.kind == K_RAISE) {
        json_decref(r.value);
        if (s[0] == ':')
            return fail_at(L, ev->start_mark,
                           "invalid YAML: '%.*s' would load as a Ruby symbol, which Jekyll "
                           "refuses; quote it",
                           clip(s, n), s);
        return fail_at(L, ev->start_mark,
                       "invalid YAML: '%.*s' makes Ruby's YAML loader fail; quote it", clip(s, n),
                       s);
    }
    if (anchor && (rc = register_anchor(L, anchor, r.value, 1))) {
        json_decref(r.value);
        return rc;
    }
    return add_value(L, r.value, NK_SCALAR, ev->start_mark,
                     tag && strcmp(tag, "tag:yaml.org,2002:str") == 0);
}

static int on_alias(struct loader *L, const yaml_event_t *ev)
{
    const char *name = (const char *)ev->data.alias.anchor;
    json_t *entry;
    size_t i;
    int rc;

    for (i = 0; i < L->depth; i++)
        if (L->frames[i].anchor && strcmp(L->frames[i].anchor, name) == 0)
            return fail_at(L, ev->start_mark,
                           "invalid YAML: alias *%.40s is inside the node it names", name);
    entry = json_object_get(L->anchors, name);
    if (!entry)
        return fail_at(L, ev->start_mark, "invalid YAML: unknown alias *%.40s", name);
    rc = count_nodes(L, (size_t)json_integer_value(json_array_get(entry, 1)), ev->start_mark);
    if (rc)
        return rc;
    return add_value(L, json_incref(json_array_get(entry, 0)), NK_ALIAS, ev->start_mark, 0);
}

static int on_start(struct loader *L, const yaml_event_t *ev, int is_map)
{
    const char *tag =
        (const char *)(is_map ? ev->data.mapping_start.tag : ev->data.sequence_start.tag);
    const char *anchor =
        (const char *)(is_map ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor);
    struct frame *f;
    int rc;

    if ((rc = count_nodes(L, 1, ev->start_mark)))
        return rc;
    if (L->depth == MAX_DEPTH)
        return fail_at(L, ev->start_mark, "YAML too deep: more than %d levels of nesting",
                       MAX_DEPTH);
    if (tag && refused_tag(tag, is_map ? NK_MAP : NK_SEQ))
        return fail_tag(L, ev->start_mark, tag);
    if (L->depth == L->cap_frames) {
        /* grown, not MAX_DEPTH up front: a front matter nests 2 or 3 deep,
         * and 12 KB zeroed per file was 3% of a parse */
        size_t cap = L->cap_frames ? L->cap_frames * 2 : 8;
        struct frame *v = realloc(L->frames, cap * sizeof *v);
        if (!v)
            return ST_NOMEM;
        L->frames = v;
        L->cap_frames = cap;
    }
    f = &L->frames[L->depth];
    memset(f, 0, sizeof *f);
    f->is_map = is_map;
    f->omap = !is_map && tag && is_tag(tag, "omap");
    f->nodes_before = L->nodes - 1;
    f->mark = ev->start_mark;
    f->node = is_map ? json_object() : json_array();
    if (anchor)
        f->anchor = strdup(anchor);
    if (!f->node || (anchor && !f->anchor)) {
        json_decref(f->node);
        free(f->anchor);
        return ST_NOMEM;
    }
    L->depth++;
    return 0;
}

/* !!omap: a list of one-pair mappings becomes one mapping (Psych keeps each
 * mapping's first key with its last value). */
static int omap_to_object(struct loader *L, struct frame *f, json_t **node)
{
    json_t *obj = json_object(), *item;
    size_t i;

    if (!obj)
        return ST_NOMEM;
    json_array_foreach(*node, i, item)
    {
        void *first = json_object_iter(item), *it, *last = first;
        if (!json_is_object(item) || !first) {
            json_decref(obj);
            return fail_at(L, f->mark, "invalid YAML: !!omap entries must be mappings");
        }
        for (it = first; it; it = json_object_iter_next(item, it))
            last = it;
        if (json_object_setn(obj, json_object_iter_key(first), json_object_iter_key_len(first),
                             json_object_iter_value(last))) {
            json_decref(obj);
            return ST_NOMEM;
        }
    }
    json_decref(*node);
    *node = obj;
    return 0;
}

static int on_end(struct loader *L)
{
    struct frame *f = &L->frames[--L->depth];
    json_t *node = f->node;
    enum node_kind nk = f->is_map ? NK_MAP : NK_SEQ;
    int rc = 0;

    f->node = NULL;
    if (f->omap)
        rc = omap_to_object(L, f, &node);
    if (!rc && f->anchor)
        rc = register_anchor(L, f->anchor, node, L->nodes - f->nodes_before);
    free(f->anchor);
    f->anchor = NULL;
    if (rc) {
        json_decref(node);
        return rc;
    }
    return add_value(L, node, nk, f->mark, 0);
}

static int parser_error(struct loader *L, const yaml_parser_t *p, const char *text, size_t len)
{
    const char *problem = p->problem ? p->problem : "syntax error";

    if (p->error == YAML_MEMORY_ERROR)
        return ST_NOMEM;
    if (p->error == YAML_READER_ERROR) {
        /* the reader gives a byte offset, not a mark */
        yaml_mark_t mark = {0, 0, 0};
        size_t i;
        for (i = 0; i < p->problem_offset && i < len; i++) {
            if (text[i] == '\n')
                mark.line++, mark.column = 0;
            else if (((unsigned char)text[i] & 0xC0) != 0x80)
                mark.column++;
        }
        return fail_at(L, mark, "invalid YAML: %s", problem);
    }
    /* With a context, its mark is where the trouble began (the opening quote or
     * bracket, the key missing its ':'), which is also the place Psych names.
     * Where libyaml stopped can be lines further on (the stray text after a
     * quoted value, 20 keys below the start of their mapping): that place is
     * named too, so the message leads to the line to fix. */
    if (p->context) {
        char stopped[48] = "";
        if (p->problem_mark.line != p->context_mark.line)
            snprintf(stopped, sizeof stopped, " at %d:%d",
                     L->first_line + (int)p->problem_mark.line, (int)p->problem_mark.column + 1);
        return fail_at(L, p->context_mark, "invalid YAML: %s%s (%s)", problem, stopped, p->context);
    }
    return fail_at(L, p->problem_mark, "invalid YAML: %s", problem);
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_ARRAY:
        return "list";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "number";
    default:
        return "boolean";
    }
}

int fm_yaml_load(const char *text, size_t len, int first_line, int require_mapping, json_t **out,
                 json_t **positions, struct parse_error *err)
{
    yaml_parser_t parser;
    yaml_event_t ev;
    struct parse_error scratch;
    struct loader L;
    int rc = ST_NOMEM, docs = 0, done = 0;
    size_t i;

    *out = NULL;
    if (positions)
        *positions = NULL;
    if (!err)
        err = &scratch;
    err->line = err->col = 0;
    err->byte_offset = -1;
    err->msg[0] = '\0';
    memset(&L, 0, sizeof L);
    L.first_line = first_line;
    L.err = err;
    if (!yaml_parser_initialize(&parser))
        return ST_NOMEM;
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    L.anchors = json_object();
    L.positions = positions ? json_object() : NULL;
    if (!L.anchors || (positions && !L.positions))
        goto out;

    while (!done) {
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = parser_error(&L, &parser, text, len);
            goto out;
        }
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            rc = 0;
            break;
        case YAML_DOCUMENT_START_EVENT:
            /* Psych would read the first and drop the rest; we say so instead */
            rc = ++docs > 1 ? fail_at(&L, ev.start_mark,
                                      "invalid YAML: front matter must be one document, "
                                      "found a second one")
                            : 0;
            break;
        case YAML_SCALAR_EVENT:
            rc = on_scalar(&L, &ev);
            break;
        case YAML_ALIAS_EVENT:
            rc = on_alias(&L, &ev);
            break;
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            rc = on_start(&L, &ev, ev.type == YAML_MAPPING_START_EVENT);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            rc = on_end(&L);
            break;
        default:
            rc = 0;
            break;
        }
        yaml_event_delete(&ev);
        if (rc)
            goto out;
    }

    if (!L.root || (require_mapping && json_is_null(L.root))) {
        /* an empty document (or a lone null): no data, as Jekyll has it */
        json_decref(L.root);
        if (!(L.root = json_object())) {
            rc = ST_NOMEM;
            goto out;
        }
    } else if (require_mapping && !json_is_object(L.root)) {
        rc =
            fail_at(&L, L.root_mark, "front matter must be a mapping, not a %s", type_name(L.root));
        goto out;
    }
    *out = L.root;
    L.root = NULL;
    if (positions) {
        *positions = L.positions;
        L.positions = NULL;
    }
out:
    for (i = 0; i < L.depth; i++) {
        json_decref(L.frames[i].node);
        free(L.frames[i].anchor);
        free(L.frames[i].key);
    }
    free(L.frames);
    json_decref(L.anchors);
    json_decref(L.root);
    json_decref(L.positions);
    yaml_parser_delete(&parser);
    return rc;
}
