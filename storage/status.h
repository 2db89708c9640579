/* Status codes shared by every storage function: 0 is success, negative is an
 * error, positive values are non-error outcomes a caller must tell apart. */
#ifndef POSTD_STATUS_H
#define POSTD_STATUS_H

enum st_status {
    ST_OK = 0,
    ST_SKIP = 1,         /* not an error: the file is not a post, or published: false */
    ST_NOMEM = -1,
    ST_IO = -2,          /* a file or directory could not be read or written */
    ST_DB = -3,          /* SQLite failed; the message went to stderr once */
    ST_PARSE = -4,       /* a post is malformed; details in a struct parse_error */
    ST_NOTFOUND = -5,
    ST_AMBIGUOUS = -6,   /* a slug names several posts */
    ST_INVALID = -7,     /* an argument is out of its range */
    ST_SCHEMA = -8,      /* the database has no schema, or a newer one than we know */
    ST_EXISTS = -9,      /* a file that must not exist yet does */
};

/* Where a post file is wrong. line and col are 1-based file positions; 0 when
 * the error has no position (then byte_offset may be set, else -1). */
struct parse_error {
    int line;
    int col;
    long byte_offset;
    char msg[256];
};

/* A static English name for a status ("out of memory"). */
const char *st_strerror(int st);

#endif
