/* Front matter: finding it in a post file and reading its YAML (libyaml) into a
 * jansson value with every scalar typed the way Ruby's Psych types it.
 * This module and store.c are the only ones that include <yaml.h>/<sqlite3.h>. */
#ifndef POSTD_FRONTMATTER_H
#define POSTD_FRONTMATTER_H

#include <stddef.h>
#include <jansson.h>
#include "status.h"

/* Where the parts of a file are. All offsets are into the buffer given. */
struct fm_span {
    int has_front_matter; /* 0: no "---" at byte 0 (after BOM) or no closing line */
    size_t yaml_off;      /* first byte of the YAML text (line after the opening ---) */
    size_t yaml_len;      /* up to, not including, the closing --- or ... line */
    int yaml_line;        /* file line number of yaml_off (2 when there is no BOM issue) */
    size_t body_off;      /* first byte of the body: after the closing line and any blank lines */
    int body_line;        /* file line number of body_off */
};

/* Returns 0 when buf is valid UTF-8, else -1 with *bad_off set to the first bad byte. */
int fm_utf8_check(const char *buf, size_t len, long *bad_off);

/* Finds the front matter as Jekyll does: "---" at byte 0 (after an optional UTF-8
 * BOM), ending at the first line that is exactly "---" or "..." (trailing spaces
 * allowed). Never fails; without front matter, body_off is 0 (or 3 after a BOM). */
void fm_split(const char *buf, size_t len, struct fm_span *out);

/* Parses YAML text as one document into *out (owned by the caller, json_decref).
 * Scalars resolve as Psych does (see INGEST.md): quoted → string; null/~/empty →
 * null; booleans in every case form; ints (decimal with "," separators, 0o/0 octal,
 * 0x hex, 0b binary, base 60); floats need a dot (also .inf/.nan); dates become
 * "YYYY-MM-DD" strings; timestamps become RFC 3339 strings keeping their offset
 * ("2023-09-16T01:55:02-04:00"; no zone → "Z"); invalid dates stay strings as written.
 * Anchors, aliases and merge keys work; a duplicate key: the last wins.
 * An empty document yields an empty object.
 * first_line is the file line of text[0], so error lines are file lines.
 * If positions is non-NULL, *positions is set to a new object mapping each
 * top-level key to [line, col] of its value (owned by the caller).
 * require_mapping: a document that is not a mapping is an error.
 * Returns 0, ST_PARSE (err filled: line, col, msg) or ST_NOMEM. */
int fm_yaml_load(const char *text, size_t len, int first_line, int require_mapping,
                 json_t **out, json_t **positions, struct parse_error *err);

/* Classifies one plain (unquoted) scalar as Psych would and returns a new jansson
 * value (caller owns). Exposed for tests and the fuzzer. */
json_t *fm_resolve_plain(const char *s, size_t len);

#endif
