/* The post model: one Jekyll post as postd understands it, the value that flows
 * from the parser into storage and from storage into the API handlers.
 * Every string is a NUL-terminated UTF-8 heap string owned by the struct post it
 * sits in; post_clear() releases them all. NULL means "absent" (JSON null). */
#ifndef POSTD_POST_H
#define POSTD_POST_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct post_source {
    char *url;
    char *domain; /* normalized: lowercase, "www." stripped; NULL if the URL has no host */
};

struct post_carousel {
    char *domain;     /* as written in the file (not normalized) */
    char *link;
    char *title;      /* may be NULL (YAML null) */
    char *icon_path;
    char *image_path;
};

struct post_question {
    char *question;    /* heading text, inline markdown rendered to plain text */
    char *answer_html; /* section content rendered as HTML */
    char *answer_text; /* the same as plain text, whitespace collapsed */
};

struct post {
    char *id;     /* file name without extension: "2023-09-16-russia_nk_summit" */
    char *slug;   /* Jekyll slug from the file name: "russia_nk_summit" */
    char *url;    /* permalink, made by storage from the configured pattern */
    char *path;   /* source file relative to the posts folder */
    char *layout;
    char *title;  /* never NULL for a parsed post (Jekyll's slug fallback) */
    char *description;
    char *author;
    char *image;

    int64_t date_utc;   /* the instant, seconds since the epoch */
    int date_offset;    /* the UTC offset written in the file, seconds east of UTC */

    char **tags;        /* in file order, duplicates removed */
    size_t n_tags;
    char **categories;  /* folder categories first, then front matter ones */
    size_t n_categories;
    struct post_source *sources;
    size_t n_sources;
    struct post_carousel *carousel;
    size_t n_carousel;
    char **domains;     /* distinct normalized domains of sources + carousel, first-seen order */
    size_t n_domains;
    struct post_question *questions;
    size_t n_questions;

    char *summary_html; /* inside <details>, after the </summary> line; NULL if no block */
    char *summary_text;
    char *body_html;    /* whole body, CommonMark with raw HTML kept */
    char *body_text;    /* plain text of the body (for search); not part of the JSON shape */
    char *excerpt_html; /* first paragraph of the body as HTML (Jekyll's excerpt) */
    int word_count;
    int reading_minutes; /* ceil(word_count / 200), at least 1 when there are words */

    char *front_matter_json; /* every key as parsed, compact JSON object text */
    int64_t updated_at;      /* set by storage: when this post last changed in the db */
};

/* Zeroes *p. */
void post_init(struct post *p);
/* Frees every member and zeroes *p; NULL-safe, idempotent. */
void post_clear(struct post *p);

/* Formats an instant with an offset as RFC 3339 ("2023-09-16T01:55:02-04:00",
 * "...Z" when offset_sec is 0 and utc_z is non-zero). buf needs 32 bytes. */
void post_format_date(int64_t utc, int offset_sec, int utc_z, char buf[32]);

/* Normalizes a host name in place: lowercase, leading "www." removed, trailing dot
 * removed. Returns s. */
char *post_domain_normalize(char *s);

/* Extracts the normalized host of an absolute URL. Returns a new heap string
 * (caller frees) or NULL when the URL has no host. */
char *post_url_domain(const char *url);

/* Jekyll's text rules for slugs and titles, with Ruby's Unicode semantics
 * (letters, marks and digits by Unicode class; Unicode simple case mapping,
 * from the C library under C.UTF-8). Each returns a new heap string (caller
 * frees), or NULL when s is NULL or memory runs out. Thread-safe. */

/* Utils.slugify, default mode: every run of characters that are not letters
 * (\p{L}), marks (\p{M}) or decimal digits (\p{Nd}) becomes one "-", a "-" at
 * either end is dropped, then lowercased ("ÉCOLE-NEWS" → "école-news",
 * "it’s—new" → "it-s-new"). Invalid UTF-8 bytes count as separators. */
char *post_slugify(const char *s);

/* Utils.slugify(s, mode: "pretty", cased: true), what :title in a permalink
 * uses: as post_slugify, but ._~!$&'()+,;=@ are kept too and case is kept. */
char *post_slugify_pretty(const char *s);

/* Utils.titleize_slug: split on "-", each word capitalized (first character
 * title-cased, the rest lowercased), joined with spaces ("élan-vital" → "Élan Vital"). */
char *post_titleize(const char *slug);

/* Ruby's String#downcase (simple case mapping): "ÉCOLE" → "école". */
char *post_downcase(const char *s);

/* The full post as API.md §2 shapes it: every key present, in contract order
 * (dump with JSON_PRESERVE_ORDER), null where absent. "date" keeps date_offset,
 * "date_utc" and "updated_at" are UTC ("Z"); updated_at 0 gives null.
 * Returns a NEW object (caller json_decref) or NULL on out of memory. */
json_t *post_to_json(const struct post *p);

/* The card shape of list endpoints: id, slug, url, title, description, date,
 * date_utc, author, image, tags, domains, links {self: "/v1/posts/{id}"} with
 * the id percent-encoded. Returns a NEW object (caller json_decref) or NULL. */
json_t *post_card_to_json(const struct post *p);

#endif
