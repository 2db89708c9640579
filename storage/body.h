/* The post body: markdown rendered with md4c (CommonMark, raw HTML kept), the
 * "## Question?" sections, the <details><summary> block, plain text and counts. */
#ifndef POSTD_BODY_H
#define POSTD_BODY_H

#include <stddef.h>
#include "post.h"

/* Fills p->questions, summary_html, summary_text, body_html, body_text,
 * excerpt_html, word_count and reading_minutes from the markdown body.
 * Members already set are freed first. Returns 0 or ST_NOMEM. */
int body_parse(const char *md, size_t len, struct post *p);

/* Renders markdown to HTML (CommonMark + tables/strikethrough, raw HTML kept).
 * Returns a new heap string (caller frees) or NULL on out of memory. */
char *body_render_html(const char *md, size_t len);

/* Plain text of an HTML fragment: tags dropped, entities decoded, whitespace
 * collapsed to single spaces, trimmed. Returns a new heap string or NULL. */
char *body_html_to_text(const char *html, size_t len);

#endif
