/* The post model's small helpers: initialising and releasing a struct post,
 * RFC 3339 formatting of an instant with its written offset, host-name
 * extraction/normalisation for the `sources` and `carousel_sources` domains,
 * and Jekyll's slug and title rules with Ruby's Unicode semantics (the one
 * slugify of postd: URLs, tag slugs). The Unicode classes and case mappings
 * come from the C library's C.UTF-8 locale, opened once (newlocale) and used
 * through the *_l functions, so no global locale is touched. What Ruby (Onigmo,
 * Unicode 13) and glibc 2.36 (Unicode 14) disagree on, measured over every code
 * point: glibc's alphanumeric class is Unicode's Alphabetic property, which
 * adds the letter numbers (Ⅻ, 〇) and the circled letters (Ⓐ) to \p{L}: those
 * few ranges are taken out below. Marks are not alphanumeric for glibc (U+0301
 * is "punct"), but glibc's "combining" class holds every Mn, Mc and Me (and
 * nothing else Unicode 13 assigns), so a mark is what that class says. Case
 * mapping is the simple one, plus the one character whose lowercase is two
 * ("İ" → "i̇"); Ruby's full title-case mappings of a word's first character
 * are not done ("ß".capitalize is "Ss" in Ruby, "ß" here).
 * The JSON shapes of a post live in post_json.c. */
#include "post.h"

#include <ctype.h>
#include <locale.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "civil.h"

void post_init(struct post *p)
{
    memset(p, 0, sizeof(*p));
}

static void free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void post_clear(struct post *p)
{
    if (!p)
        return;
    free(p->id);
    free(p->slug);
    free(p->url);
    free(p->path);
    free(p->layout);
    free(p->title);
    free(p->description);
    free(p->author);
    free(p->image);
    free_strv(p->tags, p->n_tags);
    free_strv(p->categories, p->n_categories);
    for (size_t i = 0; i < p->n_sources; i++) {
        free(p->sources[i].url);
        free(p->sources[i].domain);
    }
    free(p->sources);
    for (size_t i = 0; i < p->n_carousel; i++) {
        struct post_carousel *c = &p->carousel[i];
        free(c->domain);
        free(c->link);
        free(c->title);
        free(c->icon_path);
        free(c->image_path);
    }
    free(p->carousel);
    free_strv(p->domains, p->n_domains);
    for (size_t i = 0; i < p->n_questions; i++) {
        free(p->questions[i].question);
        free(p->questions[i].answer_html);
        free(p->questions[i].answer_text);
    }
    free(p->questions);
    free(p->summary_html);
    free(p->summary_text);
    free(p->body_html);
    free(p->body_text);
    free(p->excerpt_html);
    free(p->front_matter_json);
    post_init(p);
}

void post_format_date(int64_t utc, int offset_sec, int utc_z, char buf[32])
{
    int64_t local = utc + offset_sec;
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int64_t secs = local - days * 86400;
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    int n = snprintf(buf, 32, "%04lld-%02d-%02dT%02d:%02d:%02d", (long long)y, m, d,
                     (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
    if (n < 0 || n >= 32)
        return;
    if (offset_sec == 0 && utc_z) {
        snprintf(buf + n, 32 - (size_t)n, "Z");
        return;
    }
    int off = offset_sec < 0 ? -offset_sec : offset_sec;
    snprintf(buf + n, 32 - (size_t)n, "%c%02d:%02d", offset_sec < 0 ? '-' : '+', off / 3600,
             off / 60 % 60);
}

char *post_domain_normalize(char *s)
{
    if (!s)
        return s;
    for (char *c = s; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    if (strncmp(s, "www.", 4) == 0)
        memmove(s, s + 4, strlen(s + 4) + 1);
    size_t n = strlen(s);
    if (n > 0 && s[n - 1] == '.')
        s[n - 1] = '\0';
    return s;
}

char *post_url_domain(const char *url)
{
    if (!url)
        return NULL;
    const char *p = url;
    /* scheme "://" or a protocol-relative "//"; anything else has no host */
    const char *sep = strstr(p, "//");
    if (!sep)
        return NULL;
    if (sep != p) {
        if (sep[-1] != ':' || !isalpha((unsigned char)p[0]))
            return NULL;
        for (const char *c = p; c < sep - 1; c++)
            if (!isalnum((unsigned char)*c) && *c != '+' && *c != '-' && *c != '.')
                return NULL;
    }
    const char *host = sep + 2;
    size_t alen = strcspn(host, "/?#");
    /* userinfo ends at the last '@' of the authority */
    for (size_t i = alen; i > 0; i--) {
        if (host[i - 1] == '@') {
            alen -= i;
            host += i;
            break;
        }
    }
    size_t hlen;
    if (alen > 0 && host[0] == '[') {
        const char *close = memchr(host, ']', alen);
        if (!close)
            return NULL;
        host++;
        hlen = (size_t)(close - host);
    } else {
        const char *colon = memchr(host, ':', alen);
        hlen = colon ? (size_t)(colon - host) : alen;
    }
    if (hlen == 0)
        return NULL;
    char *out = strndup(host, hlen);
    if (!out)
        return NULL;
    post_domain_normalize(out);
    if (out[0] == '\0') {
        free(out);
        return NULL;
    }
    return out;
}

/* ---- Unicode text rules (Jekyll's Utils.slugify and titleize_slug) ---- */

struct utext {
    locale_t loc;    /* C.UTF-8 LC_CTYPE; (locale_t)0 when the C library has none */
    wctype_t mark;   /* glibc's "combining" class; 0 when unknown */
    wctrans_t title; /* glibc's "totitle" mapping; 0 when unknown */
};

static struct utext utext;
static pthread_once_t utext_once = PTHREAD_ONCE_INIT;

static void utext_init(void)
{
    /* created once per process and never freed */
    utext.loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    if (utext.loc) {
        utext.mark = wctype_l("combining", utext.loc);
        utext.title = wctrans_l("totitle", utext.loc);
    }
}

static const struct utext *utext_get(void)
{
    pthread_once(&utext_once, utext_init);
    return &utext;
}

/* Decodes one UTF-8 character of s[0..n); returns its length, or 0 when the
 * bytes are not one well-formed character (overlong, surrogate, truncated). */
static size_t utf8_get(const unsigned char *s, size_t n, wint_t *cp)
{
    unsigned c = s[0];
    size_t len;
    unsigned min;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2, min = 0x80, c &= 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3, min = 0x800, c &= 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4, min = 0x10000, c &= 0x07;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        c = c << 6 | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* Writes c as UTF-8 (at most 4 bytes); returns the length. */
static size_t utf8_put(wint_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xc0 | c >> 6);
        out[1] = (char)(0x80 | (c & 0x3f));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xe0 | c >> 12);
        out[1] = (char)(0x80 | (c >> 6 & 0x3f));
        out[2] = (char)(0x80 | (c & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | c >> 18);
    out[1] = (char)(0x80 | (c >> 12 & 0x3f));
    out[2] = (char)(0x80 | (c >> 6 & 0x3f));
    out[3] = (char)(0x80 | (c & 0x3f));
    return 4;
}

/* What glibc's alphanumeric class holds beyond \p{L} and \p{Nd}: the letter
 * numbers (\p{Nl}) and the circled and squared Latin letters (\p{So} with
 * Other_Alphabetic). Measured against Ruby 3.1 over every code point. */
static const wint_t alpha_not_letter[][2] = {
    {0x16ee, 0x16f0},   {0x2160, 0x2182},   {0x2185, 0x2188},   {0x24b6, 0x24e9},
    {0x3007, 0x3007},   {0x3021, 0x3029},   {0x3038, 0x303a},   {0xa6e6, 0xa6ef},
    {0x10140, 0x10174}, {0x10341, 0x10341}, {0x1034a, 0x1034a}, {0x103d1, 0x103d5},
    {0x12400, 0x1246e}, {0x1f130, 0x1f149}, {0x1f150, 0x1f169}, {0x1f170, 0x1f189},
};

/* [\p{M}\p{L}\p{Nd}]. Without Unicode tables every non-ASCII character counts. */
static int is_word(const struct utext *u, wint_t c)
{
    if (c < 0x80)
        return isalnum((int)c);
    if (!u->loc)
        return 1;
    if (u->mark && iswctype_l(c, u->mark, u->loc))
        return 1;
    if (!iswalnum_l(c, u->loc))
        return 0;
    for (size_t i = 0; i < sizeof(alpha_not_letter) / sizeof(alpha_not_letter[0]); i++)
        if (c >= alpha_not_letter[i][0] && c <= alpha_not_letter[i][1])
            return 0;
    return 1;
}

/* Writes the lowercase of c; returns its length. */
static size_t put_lower(const struct utext *u, wint_t c, char *out)
{
    if (c < 0x80)
        return utf8_put((wint_t)tolower((int)c), out);
    if (c == 0x130) { /* SpecialCasing: U+0130 → U+0069 U+0307 */
        memcpy(out, "i\xcc\x87", 3);
        return 3;
    }
    return utf8_put(u->loc ? towlower_l(c, u->loc) : c, out);
}

static wint_t to_title(const struct utext *u, wint_t c)
{
    if (c < 0x80)
        return (wint_t)toupper((int)c);
    if (u->title)
        return towctrans_l(c, u->title, u->loc);
    return u->loc ? towupper_l(c, u->loc) : c;
}

/* Case mapping can lengthen a character by one byte (U+023A → U+2C65), so
 * 3/2 of the input plus a character bounds every output here. */
static char *text_buf(size_t n)
{
    return malloc(n + n / 2 + 5);
}

static char *slugify(const char *s, int pretty, int cased)
{
    if (!s)
        return NULL;
    const struct utext *u = utext_get();
    size_t n = strlen(s), w = 0;
    char *out = text_buf(n);
    if (!out)
        return NULL;
    int sep = 0; /* a run of separators is pending */
    for (size_t i = 0; i < n;) {
        wint_t c;
        size_t len = utf8_get((const unsigned char *)s + i, n - i, &c);
        int keep = len > 0 && (is_word(u, c) || (pretty && c < 0x80 && c != '\0' &&
                                                 strchr("._~!$&'()+,;=@", (int)c)));
        i += len ? len : 1;
        if (!keep) {
            sep = 1;
            continue;
        }
        if (sep && w > 0)
            out[w++] = '-';
        sep = 0;
        w += cased ? utf8_put(c, out + w) : put_lower(u, c, out + w);
    }
    out[w] = '\0';
    return out;
}

char *post_slugify(const char *s)
{
    return slugify(s, 0, 0);
}

char *post_slugify_pretty(const char *s)
{
    return slugify(s, 1, 1);
}

/* Maps every character of s (title-case after a '-' or at the start when
 * titleize, else lowercase); bytes that are not UTF-8 are copied. */
static char *map_case(const char *s, int titleize)
{
    if (!s)
        return NULL;
    const struct utext *u = utext_get();
    size_t n = strlen(s), w = 0;
    if (titleize)
        while (n > 0 && s[n - 1] == '-') /* Ruby's split drops trailing empty fields */
            n--;
    char *out = text_buf(n);
    if (!out)
        return NULL;
    int start = 1;
    for (size_t i = 0; i < n;) {
        wint_t c;
        size_t len = utf8_get((const unsigned char *)s + i, n - i, &c);
        if (len == 0) {
            out[w++] = s[i++];
            start = 0;
            continue;
        }
        i += len;
        if (titleize && c == '-') {
            out[w++] = ' ';
            start = 1;
            continue;
        }
        w += titleize && start ? utf8_put(to_title(u, c), out + w) : put_lower(u, c, out + w);
        start = 0;
    }
    out[w] = '\0';
    return out;
}

char *post_titleize(const char *slug)
{
    return map_case(slug, 1);
}

char *post_downcase(const char *s)
{
    return map_case(s, 0);
}
