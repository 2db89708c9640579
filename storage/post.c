/* The post model's small helpers: initialising and releasing a struct post,
 * RFC 3339 formatting of an instant with its written offset, and host-name
 * extraction/normalisation for the `sources` and `carousel_sources` domains.
 * The JSON shapes of a post live in post_json.c. */
#include "post.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
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
