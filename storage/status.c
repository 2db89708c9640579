/* Names for the storage status codes. */
#include "status.h"

const char *st_strerror(int st)
{
    switch (st) {
    case ST_OK: return "ok";
    case ST_SKIP: return "skipped";
    case ST_NOMEM: return "out of memory";
    case ST_IO: return "input/output error";
    case ST_DB: return "database error";
    case ST_PARSE: return "parse error";
    case ST_NOTFOUND: return "not found";
    case ST_AMBIGUOUS: return "ambiguous";
    case ST_INVALID: return "invalid argument";
    case ST_SCHEMA: return "database schema missing or too new";
    case ST_EXISTS: return "the file already exists";
    default: return "unknown error";
    }
}
