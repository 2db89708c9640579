/* The postd command line. Each command's flags are the config keys that apply
 * to it (--db, --listen, --max-limit, ...; booleans also as --no-KEY) plus a few
 * of its own (--prune, --strict). Parsing happens in two passes: the flags are
 * collected first (so --config is known), then the layers are applied in order —
 * defaults, file, environment, flags — and every value is checked once before
 * anything runs. serve blocks SIGINT/SIGTERM before the server threads start and
 * waits for them with sigwait() in the main thread. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "config.h"
#include "health.h"
#include "http.h"
#include "ingest.h"
#include "status.h"
#include "store.h"

#ifndef POSTD_VERSION
#define POSTD_VERSION "0.0.0"
#endif

/* How long serve waits for requests under way after SIGTERM. */
#define SHUTDOWN_GRACE_SECONDS 10.0

enum cmd { CMD_INGEST, CMD_CHECK, CMD_SERVE, CMD_CONFIG, CMD_HEALTH, N_CMDS };

static const struct {
    const char *name;
    unsigned mask; /* which config keys are flags here */
    const char *args;
    const char *what;
} cmds[N_CMDS] = {
    [CMD_INGEST] = {"ingest", CONFIG_CMD_INGEST, "[--prune] [--strict] DIR...",
                    "load the posts of DIR... into the database"},
    [CMD_CHECK] = {"check", CONFIG_CMD_CHECK, "DIR...",
                   "parse DIR... and report bad files; writes nothing"},
    [CMD_SERVE] = {"serve", CONFIG_CMD_SERVE, "", "serve the database over HTTP"},
    [CMD_CONFIG] = {"config", CONFIG_CMD_INGEST | CONFIG_CMD_CHECK | CONFIG_CMD_SERVE, "",
                    "print the effective configuration and where each value comes from"},
    [CMD_HEALTH] = {"health", CONFIG_CMD_SERVE, "[PATH]",
                    "GET PATH (default /healthz) from the server at the listen address; "
                    "exit 0 on 200 (a container HEALTHCHECK)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: postd COMMAND [FLAGS] [ARGS]\n\ncommands:\n");
    for (int c = 0; c < N_CMDS; c++)
        fprintf(f, "  %-7s %s\n", cmds[c].name, cmds[c].what);
    fprintf(f, "  help    [COMMAND]: this text, or a command's flags\n\n"
               "  postd --version     print the version\n"
               "  postd COMMAND --help  the command's flags\n\n"
               "Settings: built-in defaults < YAML file < POSTD_* environment < flags.\n"
               "The file is --config FILE, else $POSTD_CONFIG, else ./config/postd.yaml,\n"
               "else /etc/postd/postd.yaml, whichever exists first.\n"
               "Exit status: 0 ok, 1 some posts rejected, 2 usage, config, I/O or db error.\n");
}

static void cmd_usage(int c, FILE *f)
{
    fprintf(f, "usage: postd %s [FLAGS]%s%s\n  %s\n\nflags:\n", cmds[c].name,
            *cmds[c].args ? " " : "", cmds[c].args, cmds[c].what);
    if (c == CMD_INGEST) {
        fprintf(f, "  --%-26s %s\n", "prune", "delete stored posts whose files are gone");
        fprintf(f, "  --%-26s %s\n", "strict", "any rejected file: write nothing (exit 1)");
    }
    for (int k = 0; k < CONFIG_N_KEYS; k++) {
        if (!(config_key_cmds(k) & cmds[c].mask))
            continue;
        char flag[64];
        if (config_key_is_bool(k))
            snprintf(flag, sizeof flag, "[no-]%s", config_key_flag(k));
        else
            snprintf(flag, sizeof flag, "%s VALUE", config_key_flag(k));
        fprintf(f, "  --%-26s %s (POSTD_", flag, config_key_help(k));
        for (const char *p = config_key_name(k); *p; p++)
            fputc(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p, f);
        fprintf(f, ")\n");
    }
    fprintf(f, "  --%-26s %s\n", "config FILE", "read settings from FILE (POSTD_CONFIG)");
    fprintf(f, "  --%-26s %s\n", "help", "this text");
}

/* ---- argument parsing -------------------------------------------------------- */

struct flag_value {
    int key;
    const char *value;
    char source[80]; /* "--threads" */
};

struct args {
    int cmd;
    const char *config_file;
    int prune, strict, help;
    struct flag_value *flags;
    size_t n_flags;
    const char **dirs;
    size_t n_dirs;
};

static int bad_usage(int cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int bad_usage(int cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "postd: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    if (cmd >= 0)
        cmd_usage(cmd, stderr);
    else
        usage(stderr);
    return CLI_EXIT_ERROR;
}

/* Reads argv[2..] of command cmd into a. Returns 0 or an exit status. */
static int parse_args(int cmd, int argc, char **argv, struct args *a)
{
    int only_positional = 0;
    a->cmd = cmd;
    a->flags = calloc((size_t)argc, sizeof *a->flags);
    a->dirs = calloc((size_t)argc, sizeof *a->dirs);
    if (!a->flags || !a->dirs) {
        fprintf(stderr, "postd: out of memory\n");
        return CLI_EXIT_ERROR;
    }
    for (int i = 2; i < argc; i++) {
        char *arg = argv[i];
        if (only_positional || arg[0] != '-' || strcmp(arg, "-") == 0) {
            a->dirs[a->n_dirs++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = 1;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            a->help = 1;
            continue;
        }
        if (strcmp(arg, "-j") == 0) /* the make habit */
            arg = "--jobs";
        if (strncmp(arg, "--", 2) != 0)
            return bad_usage(cmd, "unknown flag %s", arg);

        char name[64];
        const char *value = NULL;
        const char *eq = strchr(arg + 2, '=');
        size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (n >= sizeof name)
            return bad_usage(cmd, "unknown flag %s", arg);
        memcpy(name, arg + 2, n);
        name[n] = '\0';
        if (eq)
            value = eq + 1;

        if (cmd == CMD_INGEST && (strcmp(name, "prune") == 0 || strcmp(name, "strict") == 0)) {
            if (value)
                return bad_usage(cmd, "%s takes no value", arg);
            *(strcmp(name, "prune") == 0 ? &a->prune : &a->strict) = 1;
            continue;
        }
        if (strcmp(name, "config") == 0) {
            if (!value && i + 1 >= argc)
                return bad_usage(cmd, "%s needs a value", arg);
            a->config_file = value ? value : argv[++i];
            continue;
        }

        int negated = 0;
        int key = config_key_find(name);
        if (key < 0 && strncmp(name, "no-", 3) == 0) {
            key = config_key_find(name + 3);
            negated = 1;
            if (!config_key_is_bool(key))
                key = -1;
        }
        /* flags are spelled with '-'; the snake_case key name is accepted too */
        if (key < 0 || !(config_key_cmds(key) & cmds[cmd].mask))
            return bad_usage(cmd, "unknown flag %s", arg);

        struct flag_value *f = &a->flags[a->n_flags++];
        f->key = key;
        snprintf(f->source, sizeof f->source, "--%s", name);
        if (config_key_is_bool(key)) {
            if (negated && value)
                return bad_usage(cmd, "%s takes no value", arg);
            f->value = value ? value : negated ? "false" : "true";
        } else {
            if (!value && i + 1 >= argc)
                return bad_usage(cmd, "%s needs a value", arg);
            f->value = value ? value : argv[++i];
        }
    }
    return 0;
}

static void args_clear(struct args *a)
{
    free(a->flags);
    free(a->dirs);
}

/* The configuration layers, in order. Returns 0 or an exit status. */
static int load_config(const struct args *a, char **envp, struct config *cfg)
{
    struct config_error err = {{0}};
    int explicit_file = 0;
    const char *file;

    if (config_init(cfg) != 0) {
        fprintf(stderr, "postd: out of memory\n");
        return CLI_EXIT_ERROR;
    }
    file = config_file_pick(a->config_file, envp, &explicit_file);
    if (file) {
        int rc = config_load_file(cfg, file, &err);
        if (rc != 0) {
            fprintf(stderr, "postd: %s\n", rc == ST_NOMEM ? "out of memory" : err.msg);
            return CLI_EXIT_ERROR;
        }
    }
    if (config_load_env(cfg, envp, stderr, &err) != 0) {
        fprintf(stderr, "postd: %s\n", err.msg);
        return CLI_EXIT_ERROR;
    }
    for (size_t i = 0; i < a->n_flags; i++) {
        if (config_set(cfg, a->flags[i].key, a->flags[i].value, a->flags[i].source, &err) != 0) {
            fprintf(stderr, "postd: %s\n", err.msg);
            return CLI_EXIT_ERROR;
        }
    }
    if (config_finish(cfg, &err) != 0) {
        fprintf(stderr, "postd: %s\n", err.msg);
        return CLI_EXIT_ERROR;
    }
    return 0;
}

/* ---- commands ----------------------------------------------------------- */

static int check_dirs(const struct args *a)
{
    if (a->n_dirs == 0)
        return bad_usage(a->cmd, "%s needs at least one DIR", cmds[a->cmd].name);
    for (size_t i = 0; i < a->n_dirs; i++) {
        struct stat st;
        if (stat(a->dirs[i], &st) != 0) {
            fprintf(stderr, "postd: %s: %s\n", a->dirs[i], strerror(errno));
            return CLI_EXIT_ERROR;
        }
        if (!S_ISDIR(st.st_mode)) {
            fprintf(stderr, "postd: %s: not a directory\n", a->dirs[i]);
            return CLI_EXIT_ERROR;
        }
    }
    return 0;
}

/* mkdir -p of the folder that will hold path. */
static int make_parent_dirs(const char *path)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return -1;
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = '\0';
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    return 0;
}

static void ingest_opts_fill(const struct args *a, const struct config *cfg, struct ingest_opts *o)
{
    memset(o, 0, sizeof *o);
    o->dirs = a->dirs;
    o->n_dirs = a->n_dirs;
    o->prune = a->prune;
    o->strict = a->strict;
    o->jobs = cfg->jobs;
    o->progress = isatty(STDERR_FILENO);
    o->parse.tz_offset = cfg->tz_offset;
    o->parse.permalink = cfg->permalink;
    o->err = stderr;
}

static int exit_for(int rc)
{
    if (rc == 0)
        return CLI_EXIT_OK;
    if (rc == 1)
        return CLI_EXIT_REJECTED;
    return CLI_EXIT_ERROR;
}

static int cmd_ingest(const struct args *a, const struct config *cfg)
{
    struct ingest_opts o;
    struct ingest_stats stats = {0};
    struct store *st = NULL;
    int rc = check_dirs(a);
    if (rc != 0)
        return rc;
    if (make_parent_dirs(cfg->db) != 0) {
        fprintf(stderr, "postd: cannot create the folder of %s: %s\n", cfg->db, strerror(errno));
        return CLI_EXIT_ERROR;
    }
    /* a first ingest builds the file beside its path (store.h, STORE_NEW) */
    rc = store_open(&st, cfg->db, STORE_NEW);
    if (rc == ST_EXISTS)
        rc = store_open(&st, cfg->db, STORE_READWRITE);
    if (rc != 0) {
        fprintf(stderr, "postd: cannot open database %s: %s\n", cfg->db, st_strerror(rc));
        return CLI_EXIT_ERROR;
    }
    ingest_opts_fill(a, cfg, &o);
    rc = ingest_run(st, &o, &stats);
    store_close(st);
    if (rc < 0) {
        fprintf(stderr, "postd: ingest failed, nothing was written: %s\n", st_strerror(rc));
        return CLI_EXIT_ERROR;
    }
    ingest_stats_print(&stats, stdout);
    return exit_for(rc);
}

static int cmd_check(const struct args *a, const struct config *cfg)
{
    struct ingest_opts o;
    struct ingest_stats stats = {0};
    int rc = check_dirs(a);
    if (rc != 0)
        return rc;
    ingest_opts_fill(a, cfg, &o);
    rc = ingest_check(&o, &stats);
    if (rc < 0) {
        fprintf(stderr, "postd: check failed: %s\n", st_strerror(rc));
        return CLI_EXIT_ERROR;
    }
    ingest_stats_print(&stats, stdout);
    return exit_for(rc);
}

/* The probe a container HEALTHCHECK runs: a wildcard listen address is probed
 * on loopback of the same family. */
static int cmd_health(const struct args *a, const struct config *cfg)
{
    const struct config_listen *l = &cfg->listen_addr;
    const char *host = l->host, *path = a->n_dirs ? a->dirs[0] : "/healthz";

    if (path[0] != '/')
        return bad_usage(CMD_HEALTH, "PATH must start with /: %s", path);
    if (strcmp(host, "0.0.0.0") == 0 || host[0] == '\0')
        host = "127.0.0.1";
    else if (strcmp(host, "::") == 0)
        host = "::1";
    return health_probe(host, l->port ? l->port : 8080, path, 3) == 200 ? CLI_EXIT_OK
                                                                         : CLI_EXIT_REJECTED;
}

static int cmd_serve(const struct config *cfg)
{
    struct api_config ac;
    config_api(cfg, &ac);
    struct api_ctx *api = NULL;
    struct http_server *srv = NULL;
    sigset_t set;
    int sig = 0, rc;

    /* Before any thread exists, so that every thread inherits the mask and only
     * sigwait() below receives these. */
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (access(cfg->db, R_OK) != 0)
        fprintf(stderr, "postd: warning: %s: %s; /readyz answers 503 until an ingest creates it\n",
                cfg->db, strerror(errno));
    rc = api_ctx_new(&api, &ac);
    if (rc != 0) {
        fprintf(stderr, "postd: cannot start the API: %s\n", st_strerror(rc));
        return CLI_EXIT_ERROR;
    }
    rc = http_server_start(&srv, cfg, api, cfg->access_log ? stdout : NULL);
    if (rc != 0) {
        api_ctx_free(api);
        return CLI_EXIT_ERROR;
    }
    if (cfg->listen_addr.family == AF_INET6)
        fprintf(stderr, "postd: serving %s on http://[%s]:%d (%d threads)\n", cfg->db,
                cfg->listen_addr.host, http_server_port(srv), cfg->threads);
    else
        fprintf(stderr, "postd: serving %s on http://%s:%d (%d threads)\n", cfg->db,
                cfg->listen_addr.host, http_server_port(srv), cfg->threads);

    while (sigwait(&set, &sig) != 0)
        ;
    fprintf(stderr, "postd: %s received, finishing requests under way\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    http_server_stop(srv, SHUTDOWN_GRACE_SECONDS);
    api_ctx_free(api);
    fprintf(stderr, "postd: stopped\n");
    return CLI_EXIT_OK;
}

int cli_main(int argc, char **argv, char **envp)
{
    struct args a = {0};
    struct config cfg;
    int cmd = -1, rc;

    if (argc < 2)
        return bad_usage(-1, "%s", "missing command");
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0 ||
        strcmp(argv[1], "version") == 0) {
        printf("postd %s\n", POSTD_VERSION);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        if (argc > 2) {
            for (int c = 0; c < N_CMDS; c++) {
                if (strcmp(argv[2], cmds[c].name) == 0) {
                    cmd_usage(c, stdout);
                    return CLI_EXIT_OK;
                }
            }
            return bad_usage(-1, "unknown command %s", argv[2]);
        }
        usage(stdout);
        return CLI_EXIT_OK;
    }
    for (int c = 0; c < N_CMDS; c++)
        if (strcmp(argv[1], cmds[c].name) == 0)
            cmd = c;
    if (cmd < 0)
        return bad_usage(-1, argv[1][0] == '-' ? "unknown flag %s" : "unknown command %s", argv[1]);

    rc = parse_args(cmd, argc, argv, &a);
    if (rc != 0)
        goto out;
    if (a.help) {
        cmd_usage(cmd, stdout);
        goto out;
    }
    if ((cmd == CMD_SERVE || cmd == CMD_CONFIG || (cmd == CMD_HEALTH && a.n_dirs > 1)) &&
        a.n_dirs) {
        rc = bad_usage(cmd, "unexpected argument %s", a.dirs[0]);
        goto out;
    }
    rc = load_config(&a, envp, &cfg);
    if (rc == 0) {
        switch (cmd) {
        case CMD_INGEST:
            rc = cmd_ingest(&a, &cfg);
            break;
        case CMD_CHECK:
            rc = cmd_check(&a, &cfg);
            break;
        case CMD_SERVE:
            rc = cmd_serve(&cfg);
            break;
        case CMD_HEALTH:
            rc = cmd_health(&a, &cfg);
            break;
        case CMD_CONFIG:
            if (cfg.file)
                printf("# file: %s\n", cfg.file);
            config_print(&cfg, stdout);
            break;
        }
    }
    config_clear(&cfg);
out:
    args_clear(&a);
    return rc;
}
