/* libFuzzer target: arbitrary bytes as front-matter YAML through fm_yaml_load
 * (libyaml events turned into jansson values with Psych's scalar rules, anchors,
 * aliases, merge keys, key positions), through fm_split as a whole file, and
 * short inputs through fm_resolve_plain as one plain scalar. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "frontmatter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    json_t *out = NULL, *positions = NULL;
    struct parse_error err;
    struct fm_span span;

    /* the first byte picks the mode, so both stay reachable */
    int require_mapping = size > 0 && (data[0] & 1);
    if (fm_yaml_load(text, size, 2, require_mapping, &out, &positions, &err) == 0) {
        char *dump = json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY);
        free(dump);
    }
    json_decref(out);
    json_decref(positions);

    fm_split(text, size, &span);
    if (span.has_front_matter && span.yaml_off + span.yaml_len <= size) {
        out = NULL;
        if (fm_yaml_load(text + span.yaml_off, span.yaml_len, span.yaml_line, 1, &out, NULL,
                         &err) == 0)
            json_decref(out);
    }
    if (size < 256)
        json_decref(fm_resolve_plain(text, size));
    return 0;
}
