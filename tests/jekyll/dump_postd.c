/* What postd makes of a posts folder, as JSON lines for compare.rb: the postd
 * half of the Jekyll differential test (dump.rb is the Jekyll half). It walks
 * the folder with ingest.c's rules (names sorted bytewise; names starting with
 * '.', '#', '~' or '_' skipped except `_posts` folders; `.yml` files skipped;
 * links to folders not followed; only file names post_name_parse accepts) and
 * runs post_parse + post_to_json on every file, one line per file:
 *   {"path", "status": "ok"|"skip"|"error", "error", "duplicate_of", "id",
 *    "slug", "title", "date_utc" (seconds), "date_offset" (seconds east),
 *    "date", "tags", "categories", "url", "front_matter"}
 * Each file is parsed on its own: where ingest rejects a second file with an
 * id already seen, this only notes "duplicate_of", so the parse can still be
 * compared.
 * Usage: dump_postd POSTS_DIR [--tz-offset SECONDS] [--permalink STYLE]
 * Exit: 0 (whatever the files hold), 2 on bad usage or an unreadable folder. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "ingest.h"
#include "parse.h"
#include "post.h"
#include "status.h"

#define MAX_DEPTH 64

struct seen {
    char **ids;
    char **paths;
    size_t n, cap;
};

struct walk {
    const char *root;
    struct parse_opts opts;
    struct seen seen;
};

static int by_name(const struct dirent **a, const struct dirent **b)
{
    return strcmp((*a)->d_name, (*b)->d_name);
}

static char *join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    char *s = malloc(na + nb + 2);
    if (!s)
        return NULL;
    memcpy(s, a, na);
    s[na] = '/';
    memcpy(s + na + 1, b, nb + 1);
    return s;
}

static int read_all(const char *path, char **buf, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *b = NULL;
    size_t cap = 0, n = 0;
    int rc = ST_IO;
    if (!f)
        return ST_IO;
    for (;;) {
        if (cap - n < 4096) {
            char *nb = realloc(b, cap ? cap * 2 : 65536);
            if (!nb) {
                rc = ST_NOMEM;
                goto out;
            }
            b = nb;
            cap = cap ? cap * 2 : 65536;
        }
        size_t got = fread(b + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        goto out;
    b[n] = '\0';
    *buf = b;
    *len = n;
    b = NULL;
    rc = 0;
out:
    free(b);
    fclose(f);
    return rc;
}

/* Returns the path of the first file with this id, or NULL (and remembers it). */
static const char *seen_id(struct seen *s, const char *id, const char *path)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->ids[i], id) == 0)
            return s->paths[i];
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        char **ids = realloc(s->ids, cap * sizeof *ids);
        if (ids)
            s->ids = ids;
        char **paths = realloc(s->paths, cap * sizeof *paths);
        if (paths)
            s->paths = paths;
        if (!ids || !paths)
            return NULL;
        s->cap = cap;
    }
    s->ids[s->n] = strdup(id);
    s->paths[s->n] = strdup(path);
    if (s->ids[s->n] && s->paths[s->n])
        s->n++;
    return NULL;
}

static void seen_free(struct seen *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->ids[i]);
        free(s->paths[i]);
    }
    free(s->ids);
    free(s->paths);
}

/* Copies key from the full post JSON into row. */
static void copy_key(json_t *row, const json_t *full, const char *key)
{
    json_t *v = json_object_get(full, key);
    json_object_set(row, key, v ? v : json_null());
}

static int dump_file(struct walk *w, const char *rel, const char *id)
{
    char *path = join(w->root, rel), *buf = NULL;
    size_t len = 0;
    struct post p;
    struct parse_error err;
    json_t *row = json_object(), *full = NULL;
    int rc = ST_NOMEM;

    post_init(&p);
    if (!path || !row)
        goto out;
    json_object_set_new(row, "path", json_string(rel));
    const char *first = seen_id(&w->seen, id, rel);
    if (first)
        json_object_set_new(row, "duplicate_of", json_string(first));
    rc = read_all(path, &buf, &len);
    if (rc == ST_IO) {
        json_object_set_new(row, "status", json_string("error"));
        json_object_set_new(row, "error", json_sprintf("cannot read: %s", strerror(errno)));
    } else if (rc == 0) {
        rc = post_parse(rel, buf, len, &w->opts, &p, &err);
        if (rc == ST_SKIP) {
            json_object_set_new(row, "status", json_string("skip"));
        } else if (rc == ST_PARSE) {
            json_object_set_new(row, "status", json_string("error"));
            json_object_set_new(row, "error",
                                json_sprintf("%d:%d: %s", err.line, err.col, err.msg));
        } else if (rc == 0 && (full = post_to_json(&p)) != NULL) {
            static const char *const keys[] = {"id",         "slug", "title", "date",
                                               "categories", "tags", "url",   "front_matter"};
            json_object_set_new(row, "status", json_string("ok"));
            json_object_set_new(row, "date_utc", json_integer(p.date_utc));
            json_object_set_new(row, "date_offset", json_integer(p.date_offset));
            for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
                copy_key(row, full, keys[k]);
        } else {
            rc = rc ? rc : ST_NOMEM;
            goto out;
        }
    } else {
        goto out;
    }
    char *line = json_dumps(row, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!line) {
        rc = ST_NOMEM;
        goto out;
    }
    puts(line);
    free(line);
    rc = 0;
out:
    json_decref(full);
    json_decref(row);
    post_clear(&p);
    free(buf);
    free(path);
    return rc;
}

/* Walks root/rel (rel "" at the top) as ingest.c's walk does. */
static int walk(struct walk *w, const char *rel, int depth)
{
    char *dir = rel[0] ? join(w->root, rel) : strdup(w->root);
    struct dirent **ents = NULL;
    int n = -1, rc = ST_NOMEM;
    if (!dir)
        return ST_NOMEM;
    n = scandir(dir, &ents, NULL, by_name);
    if (n < 0) {
        fprintf(stderr, "dump_postd: %s: %s\n", dir, strerror(errno));
        rc = ST_IO;
        goto out;
    }
    rc = 0;
    for (int k = 0; k < n && rc == 0; k++) {
        const char *name = ents[k]->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
            continue;
        char *child_rel = rel[0] ? join(rel, name) : strdup(name);
        char *child = child_rel ? join(w->root, child_rel) : NULL;
        struct stat sb;
        int is_dir = 0, is_file = 0, is_link = 0;
        struct post_name pn;
        if (!child) {
            free(child_rel);
            rc = ST_NOMEM;
            break;
        }
        if (lstat(child, &sb) == 0) {
            is_link = S_ISLNK(sb.st_mode);
            if (is_link && stat(child, &sb) != 0)
                memset(&sb, 0, sizeof sb);
            is_dir = S_ISDIR(sb.st_mode);
            is_file = S_ISREG(sb.st_mode);
        }
        if (ingest_skipped_name(name, is_dir) || (is_dir && is_link) || (!is_dir && !is_file))
            ; /* ingest counts these as skipped; Jekyll should not see them either */
        else if (is_dir)
            rc = depth < MAX_DEPTH ? walk(w, child_rel, depth + 1) : ST_IO;
        else if (post_name_parse(name, &pn) == 0)
            rc = dump_file(w, child_rel, pn.id);
        free(child);
        free(child_rel);
    }
out:
    for (int k = 0; k < n; k++)
        free(ents[k]);
    free(ents);
    free(dir);
    return rc;
}

int main(int argc, char **argv)
{
    struct walk w;
    memset(&w, 0, sizeof w);
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tz-offset") == 0 && i + 1 < argc) {
            w.opts.tz_offset = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--permalink") == 0 && i + 1 < argc) {
            w.opts.permalink = argv[++i];
        } else if (argv[i][0] != '-' && !w.root) {
            w.root = argv[i];
        } else {
            w.root = NULL;
            break;
        }
    }
    if (!w.root) {
        fprintf(stderr, "usage: dump_postd POSTS_DIR [--tz-offset SECONDS] [--permalink STYLE]\n");
        return 2;
    }
    int rc = walk(&w, "", 0);
    seen_free(&w.seen);
    if (rc != 0) {
        fprintf(stderr, "dump_postd: %s\n", st_strerror(rc));
        return 2;
    }
    return fflush(stdout) == 0 ? 0 : 2;
}
