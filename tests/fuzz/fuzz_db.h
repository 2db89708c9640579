/* Shared by the API fuzz targets: a small real database, made once per process
 * from the bundled samples (FUZZ_POSTS, set by CMake) in a temporary folder that
 * is removed at exit, and the api_ctx serving it. */
#ifndef POSTD_FUZZ_DB_H
#define POSTD_FUZZ_DB_H

#include "api.h"

/* The context (borrowed; lives until exit). Aborts when the database cannot be
 * made: a fuzzer without its database would only find the 503 path. */
struct api_ctx *fuzz_api(void);

#endif
