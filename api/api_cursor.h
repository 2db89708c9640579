/* Private to api/: opaque keyset cursors for /v1/posts. */
#ifndef POSTD_API_CURSOR_H
#define POSTD_API_CURSOR_H

#include <stdint.h>

#include "store.h"

struct api_cursor {
    int sort;             /* enum store_sort it was made for */
    struct store_key key; /* set = 1; text and id owned */
};

/* Encodes the position after key (as store_list returned it) for sort under
 * the filter hash fh. Returns 0 with *out a heap string (base64url, no
 * padding), ST_INVALID when the key is not set or too long, or ST_NOMEM. */
int api_cursor_encode(const struct store_key *key, int sort, uint64_t fh, char **out);

/* Decodes s and checks it was made for sort and fh. Returns 0 (*out filled,
 * release with api_cursor_clear), ST_INVALID with *why a static reason, or
 * ST_NOMEM. */
int api_cursor_decode(const char *s, int sort, uint64_t fh, struct api_cursor *out,
                      const char **why);
void api_cursor_clear(struct api_cursor *c); /* NULL-safe */

#endif
