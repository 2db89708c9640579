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

/* How body_parse renders the body and its pieces (excerpt, headings,
 * answers): BODY_RENDER_JOINED in one md4c call where that gives each piece
 * the same HTML as a call of its own (body.c says when), else one call each;
 * BODY_RENDER_EACH always one call each, what the tests compare with. */
enum body_render { BODY_RENDER_JOINED, BODY_RENDER_EACH };
int body_parse_with(const char *md, size_t len, struct post *p, enum body_render mode);

/* Renders markdown to HTML (CommonMark + tables/strikethrough, raw HTML kept).
 * Returns a new heap string (caller frees) or NULL on out of memory. */
char *body_render_html(const char *md, size_t len);

/* Plain text of an HTML fragment: tags dropped, entities decoded, whitespace
 * collapsed to single spaces, trimmed. Returns a new heap string or NULL. */
char *body_html_to_text(const char *html, size_t len);

#endif
