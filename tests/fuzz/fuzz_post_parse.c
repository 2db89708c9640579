/* libFuzzer target: one post file's bytes through post_parse (front matter split,
 * YAML, the field rules, markdown body, permalink) and, when it parses, through
 * the JSON shapes the API serves (post_to_json, post_card_to_json). The file name
 * is fixed so that the bytes, not the name, are what varies. */
#include <stddef.h>
#include <stdint.h>

#include "parse.h"
#include "post.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct parse_opts opts = {.tz_offset = 0, .permalink = NULL};
    struct post p;
    struct parse_error err;

    post_init(&p);
    if (post_parse("2023-09-16-fuzz.md", (const char *)data, size, &opts, &p, &err) == 0) {
        json_decref(post_to_json(&p));
        json_decref(post_card_to_json(&p));
    }
    post_clear(&p);
    return 0;
}
