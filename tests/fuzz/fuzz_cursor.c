/* libFuzzer target: the cursor decoder, reached the way a client reaches it: the
 * input bytes are the value of the cursor parameter of GET /v1/posts (the first
 * byte picks the sort and filters the cursor is checked against), handed to
 * api_handle against a small real database (fuzz_db.c). Values that are not
 * valid UTF-8 are marked bad_encoding, as the server marks them. A 5xx answer
 * is a finding: a damaged or forged cursor must get 400. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "frontmatter.h"
#include "fuzz_db.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The parameters a cursor is made for: its sort and filter hash must match them. */
static const struct {
    const char *name, *value;
} variants[][2] = {
    {{NULL, NULL}, {NULL, NULL}},
    {{"sort", "title"}, {NULL, NULL}},
    {{"sort", "date"}, {"author", "basil"}},
    {{"tag", "culture"}, {NULL, NULL}},
    {{"sort", "-updated"}, {NULL, NULL}},
    {{"q", "the"}, {"sort", "relevance"}},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct api_param params[3];
    struct api_request req = {0};
    struct api_response res = {0};
    size_t n = 0, v = size ? data[0] % (sizeof variants / sizeof *variants) : 0;
    char *cursor;
    long bad;

    if (size == 0)
        return 0;
    cursor = strndup((const char *)data + 1, size - 1);
    if (!cursor)
        return 0;
    for (size_t i = 0; i < 2; i++) {
        if (variants[v][i].name) {
            params[n].name = variants[v][i].name;
            params[n].value = variants[v][i].value;
            n++;
        }
    }
    params[n].name = "cursor";
    params[n].value = cursor;
    n++;
    req.method = "GET";
    req.path = "/v1/posts";
    req.target = "/v1/posts?cursor=fuzz";
    req.params = params;
    req.n_params = n;
    req.bad_encoding = fm_utf8_check(cursor, strlen(cursor), &bad) != 0;
    api_handle(fuzz_api(), &req, &res);
    if (res.status >= 500) {
        fprintf(stderr, "fuzz_cursor: %d for cursor \"%s\": %.*s\n", res.status, cursor,
                (int)res.body_len, res.body ? res.body : "");
        abort();
    }
    api_response_clear(&res);
    free(cursor);
    return 0;
}
