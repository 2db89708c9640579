/* Shared by the API fuzz targets: a small real database, made once per process
 * from the bundled samples (FUZZ_POSTS, set by CMake) in a temporary folder that
 * is removed at exit, the api_ctx serving it, and the LLVMFuzzerInitialize that
 * makes both before the first input. */
#ifndef POSTD_FUZZ_DB_H
#define POSTD_FUZZ_DB_H

#include "api.h"

/* The context (borrowed; lives until exit). Aborts when the database cannot be
 * made: a fuzzer without its database would only find the 503 path. */
struct api_ctx *fuzz_api(void);

/* libFuzzer's start-up hook, defined once in fuzz_db.c for every target linking
 * fuzz_db: it makes the database before the first input, so that its cost is not
 * charged to that input and a failure shows before fuzzing starts. */
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
