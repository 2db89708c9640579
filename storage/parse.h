/* Reading one post file into a struct post: the file name rules, the front
 * matter fields as Jekyll 4.3 reads them, and the body. Writes nothing. */
#ifndef POSTD_PARSE_H
#define POSTD_PARSE_H

#include <stddef.h>
#include "post.h"
#include "status.h"

struct parse_opts {
    int tz_offset;           /* site timezone as seconds east of UTC (dates without offset) */
    const char *permalink;   /* Jekyll permalink pattern; NULL → "/:year/:month/:day/:slug.html" */
};

/* What a file name says. Strings point into a caller buffer (see post_name_parse). */
struct post_name {
    char id[256];   /* name without the last extension */
    char slug[256]; /* rest after the date, trailing dots removed */
    int year, month, day; /* as written; may be out of range (rolled over later) */
};

/* Checks a bare file name (no directories) against YYYY-MM-DD-slug.ext.
 * Returns 0 when it names a post, ST_SKIP otherwise (not an error). */
int post_name_parse(const char *name, struct post_name *out);

/* Parses one file's bytes. relpath is the path relative to the posts folder
 * (used for id, slug, path and folder categories: "tech/_posts/x.md" → "tech").
 * On 0 *out is filled (caller owns, post_clear). ST_SKIP: published: false.
 * ST_PARSE: err says where and what. ST_NOMEM. On any non-zero *out is cleared. */
int post_parse(const char *relpath, const char *buf, size_t len, const struct parse_opts *opts,
               struct post *out, struct parse_error *err);

/* Checks a permalink pattern (a Jekyll style name or a template) for unknown
 * placeholders, so a bad configuration is refused at start. Returns 0 or
 * ST_PARSE (err->msg names the placeholder; no position) or ST_NOMEM. */
int post_permalink_check(const char *permalink, struct parse_error *err);

#endif
