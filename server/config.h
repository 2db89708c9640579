/* The process configuration: every key postd knows, its built-in default, and the
 * layers that override it, in order: defaults < YAML file < POSTD_* environment <
 * command-line flags. Each value is checked when it is set, so a bad one is reported
 * with its key and where it came from ("postd.yaml:3:10", "POSTD_THREADS",
 * "--threads"); config_finish() checks what spans several keys. The YAML file is read
 * with storage's fm_yaml_load (no <yaml.h> here). */
#ifndef POSTD_CONFIG_H
#define POSTD_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>

#include "api.h"

/* Which commands a key applies to (flags are only accepted there). */
enum config_cmd {
    CONFIG_CMD_INGEST = 1 << 0,
    CONFIG_CMD_CHECK = 1 << 1,
    CONFIG_CMD_SERVE = 1 << 2,
};

enum config_key {
    CONFIG_DB,
    CONFIG_LISTEN,
    CONFIG_THREADS,
    CONFIG_CONNECTION_LIMIT,
    CONFIG_CONNECTION_TIMEOUT,
    CONFIG_MAX_REQUEST_HEADER,
    CONFIG_ACCESS_LOG,
    CONFIG_CORS_ORIGIN,
    CONFIG_CACHE_CONTROL,
    CONFIG_MAX_LIMIT,
    CONFIG_DEFAULT_LIMIT,
    CONFIG_FUTURE,
    CONFIG_TIMEZONE,
    CONFIG_PERMALINK,
    CONFIG_JOBS,
    CONFIG_CACHE_SIZE,
    CONFIG_CHANGE_CHECK_US,
    CONFIG_N_KEYS
};

/* Where the listen address resolved to. */
struct config_listen {
    struct sockaddr_storage addr;
    socklen_t addr_len;
    int family;    /* AF_INET or AF_INET6 */
    char host[64]; /* numeric, without brackets */
    int port;      /* 0: the kernel picks one */
};

struct config {
    char *db;
    char *listen; /* as written; resolved into listen_addr */
    int threads;
    int connection_limit;
    int connection_timeout; /* seconds; 0: never */
    int max_request_header; /* bytes: MHD_OPTION_CONNECTION_MEMORY_LIMIT */
    int access_log;
    char *cors_origin;
    char *cache_control;
    int max_limit;
    int default_limit;
    int future;
    char *timezone; /* as written; resolved into tz_offset */
    int tz_offset;  /* seconds east of UTC */
    char *permalink;
    int jobs; /* 0: one per CPU */
    int cache_size;      /* bytes of the response cache; 0: off */
    int change_check_us; /* how long one data-change check covers all threads */

    struct config_listen listen_addr;
    char *file;                  /* the YAML file that was read, or NULL */
    char *source[CONFIG_N_KEYS]; /* where each value came from: "default", ... */
};

/* Longest message a config error carries. */
struct config_error {
    char msg[512];
};

/* Fills *c with the built-in defaults. Returns 0 or ST_NOMEM.
 * Release with config_clear() (also after a failure). */
int config_init(struct config *c);
void config_clear(struct config *c); /* NULL-safe, idempotent */

/* The key's name ("max_limit") and environment variable ("POSTD_MAX_LIMIT"),
 * its flag without dashes ("max-limit"), the commands it applies to, and a
 * one-line description. NULL/0 when key is out of range. */
const char *config_key_name(int key);
const char *config_key_flag(int key);
unsigned config_key_cmds(int key);
const char *config_key_help(int key);
int config_key_is_bool(int key);
/* Looks a key up by its name ("max_limit") or flag ("max-limit"); -1 if unknown. */
int config_key_find(const char *name);

/* Sets key from text as written in an environment variable or a flag; source
 * names where it came from for messages ("POSTD_THREADS", "--threads").
 * Returns 0, ST_INVALID (err says key, source and why) or ST_NOMEM. */
int config_set(struct config *c, int key, const char *value, const char *source,
               struct config_error *err);

/* Reads the YAML file at path (a mapping of known keys). Returns 0, ST_IO (cannot
 * read it), ST_INVALID (YAML error, unknown key, bad value; err says file:line:col)
 * or ST_NOMEM. */
int config_load_file(struct config *c, const char *path, struct config_error *err);

/* Applies every POSTD_<KEY> variable of envp (a NULL-terminated "NAME=value" array,
 * e.g. environ). POSTD_CONFIG is not a key and is skipped; another unknown POSTD_*
 * name is reported on warn (when non-NULL) and ignored. Returns as config_set. */
int config_load_env(struct config *c, char *const *envp, FILE *warn, struct config_error *err);

/* Which file to read: explicit (a --config flag) if non-NULL, else $POSTD_CONFIG from
 * envp if set, else "config/postd.yaml" if it exists in the working directory, else
 * "/etc/postd/postd.yaml" if it exists, else NULL (built-ins only). *explicit_out is
 * set to 1 when the file was asked for (it must then exist). */
const char *config_file_pick(const char *explicit_path, char *const *envp, int *explicit_out);

/* Checks what spans several keys (default_limit <= max_limit). 0 or ST_INVALID. */
int config_finish(struct config *c, struct config_error *err);

/* Writes the value of key as it would be written in the YAML file. */
void config_value_format(const struct config *c, int key, char *buf, size_t len);

/* Writes every key as "key: value  # source" lines to f. */
void config_print(const struct config *c, FILE *f);

/* The API's settings from c (borrowed strings: valid while c is). */
void config_api(const struct config *c, struct api_config *out);

#endif
