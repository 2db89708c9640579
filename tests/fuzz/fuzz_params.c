/* libFuzzer target: the query-parameter parser and everything behind it. The
 * input is a raw request target, optionally followed by lines giving the
 * Accept-Encoding, If-None-Match and Origin headers:
 *     /v1/posts?tag=a&limit=5\ngzip\n"etag"\nhttp://a
 * It is split and percent-decoded by the server's own http_target_parse, and the
 * api_request it yields goes to api_handle against a small real database
 * (fuzz_db.c), so params.c, cursor.c, the handlers, the SQL they bind and the
 * gzip/ETag/CORS paths all run on what the fuzzer makes. A 5xx answer to any
 * input is a finding: the API promises 4xx for bad input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "fuzz_db.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *buf = malloc(size + 1);
    const char *line[4] = {NULL, NULL, NULL, NULL};
    struct http_target t;
    struct api_request req = {0};
    struct api_response res = {0};

    if (!buf)
        return 0;
    memcpy(buf, data, size);
    buf[size] = '\0'; /* a NUL in the input ends it, as on the wire */
    char *p = buf;
    for (int i = 0; i < 4 && p; i++) {
        line[i] = p;
        p = strchr(p, '\n');
        if (p)
            *p++ = '\0';
    }
    if (http_target_parse(line[0], &t) != 0) {
        free(buf);
        return 0;
    }
    req.method = "GET";
    req.path = t.path;
    req.target = line[0];
    req.params = t.params;
    req.n_params = t.n_params;
    req.bad_encoding = t.bad_encoding;
    req.accept_encoding = line[1];
    req.if_none_match = line[2];
    req.origin = line[3];
    api_handle(fuzz_api(), &req, &res);
    if (res.status >= 500) {
        fprintf(stderr, "fuzz_params: %d for target \"%s\": %.*s\n", res.status, line[0],
                (int)res.body_len, res.body ? res.body : "");
        abort();
    }
    api_response_clear(&res);
    http_target_clear(&t);
    free(buf);
    return 0;
}
