/* The OpenAPI 3.1 description of postd's HTTP API, compiled into the binary.
 * The text is api/openapi.json, turned into a C array at build time by
 * cmake/embed.cmake (generated/openapi_json.c); GET /v1/openapi.json serves it.
 * Edit the JSON, never the generated file. */
#ifndef POSTD_OPENAPI_H
#define POSTD_OPENAPI_H

#include <stddef.h>

/* The document's bytes followed by a NUL (so it is also a C string); static,
 * never freed. api_openapi_json_len counts the bytes without that NUL. */
extern const char api_openapi_json[];
extern const size_t api_openapi_json_len;

#endif
