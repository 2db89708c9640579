/* The configuration layers and the checks on every value. One table describes each
 * key (type, range, default, flag, commands); the defaults go through the same
 * parsers as every other layer, so a default can never be a value a user could not
 * write. Values are parsed from text (environment, flags, and the file's scalars
 * once their YAML type was checked), and each error names the key and its source. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "frontmatter.h"
#include "parse.h"
#include "status.h"

enum key_type {
    T_STRING,
    T_INT,
    T_BOOL,
    T_SIZE,     /* bytes: 8192, "8 KiB", "8k" */
    T_DURATION, /* seconds: 30, "30s", "2m" */
    T_LISTEN,
    T_TZ,
    T_ORIGIN,
    T_HEADER, /* a header value: printable ASCII */
    T_PATH_PATTERN,
};

#define ALL_CMDS (CONFIG_CMD_INGEST | CONFIG_CMD_CHECK | CONFIG_CMD_SERVE)

struct key_def {
    const char *name;
    const char *flag;
    enum key_type type;
    size_t off;
    long min, max;
    const char *def;
    unsigned cmds;
    const char *help;
};

#define F(m) offsetof(struct config, m)

static const struct key_def keys[CONFIG_N_KEYS] = {
    [CONFIG_DB] = {"db", "db", T_STRING, F(db), 0, 0, "data/postd.db",
                   CONFIG_CMD_INGEST | CONFIG_CMD_SERVE, "SQLite database file"},
    [CONFIG_LISTEN] = {"listen", "listen", T_LISTEN, F(listen), 0, 0, "127.0.0.1:8080",
                       CONFIG_CMD_SERVE, "address to listen on: HOST:PORT or [IPV6]:PORT"},
    [CONFIG_THREADS] = {"threads", "threads", T_INT, F(threads), 1, 1024, "2", CONFIG_CMD_SERVE,
                        "worker threads (libmicrohttpd thread pool)"},
    [CONFIG_CONNECTION_LIMIT] = {"connection_limit", "connection-limit", T_INT, F(connection_limit),
                                 1, 1000000, "1024", CONFIG_CMD_SERVE,
                                 "most concurrent connections"},
    [CONFIG_CONNECTION_TIMEOUT] = {"connection_timeout", "connection-timeout", T_DURATION,
                                   F(connection_timeout), 0, 86400, "30", CONFIG_CMD_SERVE,
                                   "idle connection timeout in seconds (0: never)"},
    [CONFIG_MAX_REQUEST_HEADER] = {"max_request_header", "max-request-header", T_SIZE,
                                   F(max_request_header), 4096, 16 * 1024 * 1024, "16 KiB",
                                   CONFIG_CMD_SERVE,
                                   "memory per connection for the request line, headers and "
                                   "query parameters"},
    [CONFIG_ACCESS_LOG] = {"access_log", "access-log", T_BOOL, F(access_log), 0, 1, "true",
                           CONFIG_CMD_SERVE, "JSON access log lines on stdout"},
    [CONFIG_CORS_ORIGIN] = {"cors_origin", "cors-origin", T_ORIGIN, F(cors_origin), 0, 0, "*",
                            CONFIG_CMD_SERVE, "allowed CORS origin: * or https://host[:port]"},
    [CONFIG_CACHE_CONTROL] = {"cache_control", "cache-control", T_HEADER, F(cache_control), 0, 0,
                              "public, max-age=60", CONFIG_CMD_SERVE,
                              "Cache-Control of 200 responses"},
    [CONFIG_MAX_LIMIT] = {"max_limit", "max-limit", T_INT, F(max_limit), 1, 10000, "100",
                          CONFIG_CMD_SERVE, "largest accepted limit="},
    [CONFIG_DEFAULT_LIMIT] = {"default_limit", "default-limit", T_INT, F(default_limit), 1, 10000,
                              "20", CONFIG_CMD_SERVE, "limit when none is given"},
    [CONFIG_FUTURE] = {"future", "future", T_BOOL, F(future), 0, 1, "false", CONFIG_CMD_SERVE,
                       "serve posts dated in the future"},
    [CONFIG_TIMEZONE] = {"timezone", "timezone", T_TZ, F(timezone), 0, 0, "UTC",
                         CONFIG_CMD_INGEST | CONFIG_CMD_CHECK,
                         "site timezone for dates without offset: UTC or +HH:MM"},
    [CONFIG_PERMALINK] = {"permalink", "permalink", T_PATH_PATTERN, F(permalink), 0, 0,
                          "/:year/:month/:day/:slug.html", ALL_CMDS,
                          "Jekyll permalink: a /:pattern or a style (date, pretty, ...)"},
    [CONFIG_JOBS] = {"jobs", "jobs", T_INT, F(jobs), 0, 1024, "0",
                     CONFIG_CMD_INGEST | CONFIG_CMD_CHECK, "parser threads (0: one per CPU)"},
    [CONFIG_CACHE_SIZE] = {"cache_size", "cache-size", T_SIZE, F(cache_size), 0,
                           1024 * 1024 * 1024, "24 MiB", CONFIG_CMD_SERVE,
                           "memory for cached responses (0: no cache)"},
    [CONFIG_CHANGE_CHECK_US] = {"change_check_us", "change-check-us", T_INT, F(change_check_us), 0,
                                1000000, "1000", CONFIG_CMD_SERVE,
                                "microseconds one check for a re-ingest covers (0: every request)"},
};

#undef F

static int is_string_member(enum key_type t)
{
    return t == T_STRING || t == T_LISTEN || t == T_TZ || t == T_ORIGIN || t == T_HEADER ||
           t == T_PATH_PATTERN;
}

static char **str_member(struct config *c, int key)
{
    return (char **)((char *)c + keys[key].off);
}

static int *int_member(struct config *c, int key)
{
    return (int *)((char *)c + keys[key].off);
}

static const char *const *cstr_member(const struct config *c, int key)
{
    return (const char *const *)((const char *)c + keys[key].off);
}

static const int *cint_member(const struct config *c, int key)
{
    return (const int *)((const char *)c + keys[key].off);
}

static int fail(struct config_error *err, const char *source, int key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(struct config_error *err, const char *source, int key, const char *fmt, ...)
{
    if (err) {
        char why[384];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, sizeof why, fmt, ap);
        va_end(ap);
        if (key >= 0)
            snprintf(err->msg, sizeof err->msg, "%s: %s: %s", source, keys[key].name, why);
        else
            snprintf(err->msg, sizeof err->msg, "%s: %s", source, why);
    }
    return ST_INVALID;
}

const char *config_key_name(int key)
{
    return key >= 0 && key < CONFIG_N_KEYS ? keys[key].name : NULL;
}

const char *config_key_flag(int key)
{
    return key >= 0 && key < CONFIG_N_KEYS ? keys[key].flag : NULL;
}

unsigned config_key_cmds(int key)
{
    return key >= 0 && key < CONFIG_N_KEYS ? keys[key].cmds : 0;
}

const char *config_key_help(int key)
{
    return key >= 0 && key < CONFIG_N_KEYS ? keys[key].help : NULL;
}

int config_key_is_bool(int key)
{
    return key >= 0 && key < CONFIG_N_KEYS && keys[key].type == T_BOOL;
}

int config_key_find(const char *name)
{
    for (int k = 0; k < CONFIG_N_KEYS; k++)
        if (strcmp(name, keys[k].name) == 0 || strcmp(name, keys[k].flag) == 0)
            return k;
    return -1;
}

/* ---- value parsers: 0 and the value, or -1 with why filled ---------------- */

static int parse_long(const char *s, long *out)
{
    char *end;
    if (!*s || isspace((unsigned char)*s))
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *out = v;
    return 0;
}

static int parse_bool(const char *s, int *out)
{
    static const char *const yes[] = {"true", "yes", "on", "1"};
    static const char *const no[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0)
            return *out = 1, 0;
        if (strcasecmp(s, no[i]) == 0)
            return *out = 0, 0;
    }
    return -1;
}

/* "123" with an optional unit suffix from units[] (each with its multiplier). */
struct unit {
    const char *name;
    long mul;
};

static int parse_with_unit(const char *s, const struct unit *units, long *out)
{
    char *end;
    if (!isdigit((unsigned char)*s))
        return -1;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno)
        return -1;
    while (*end == ' ')
        end++;
    if (!*end)
        return *out = v, 0;
    for (const struct unit *u = units; u->name; u++) {
        if (strcasecmp(end, u->name) == 0) {
            if (v > LONG_MAX / u->mul)
                return -1;
            return *out = v * u->mul, 0;
        }
    }
    return -1;
}

static const struct unit size_units[] = {
    {"b", 1},           {"k", 1024},         {"kb", 1024},         {"kib", 1024},
    {"m", 1024 * 1024}, {"mb", 1024 * 1024}, {"mib", 1024 * 1024}, {NULL, 0},
};

static const struct unit duration_units[] = {
    {"s", 1}, {"m", 60}, {"min", 60}, {"h", 3600}, {NULL, 0},
};

static int has_ctl(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
            return 1;
    return 0;
}

static int parse_listen(const char *s, struct config_listen *out, char *why, size_t whylen)
{
    char host[256];
    const char *colon, *port_s;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':') {
            snprintf(why, whylen, "\"%s\" is not [IPV6]:PORT", s);
            return -1;
        }
        if ((size_t)(close - s - 1) >= sizeof host)
            goto bad_host;
        memcpy(host, s + 1, (size_t)(close - s - 1));
        host[close - s - 1] = '\0';
        port_s = close + 2;
    } else {
        colon = strrchr(s, ':');
        if (!colon) {
            snprintf(why, whylen, "\"%s\" has no port (HOST:PORT, e.g. 127.0.0.1:8080)", s);
            return -1;
        }
        if (memchr(s, ':', (size_t)(colon - s))) {
            snprintf(why, whylen, "\"%s\": write an IPv6 address in brackets: [::1]:8080", s);
            return -1;
        }
        if ((size_t)(colon - s) >= sizeof host)
            goto bad_host;
        memcpy(host, s, (size_t)(colon - s));
        host[colon - s] = '\0';
        port_s = colon + 1;
    }
    long port;
    if (parse_long(port_s, &port) != 0 || port < 0 || port > 65535 || *port_s == '+' ||
        *port_s == '-') {
        snprintf(why, whylen, "\"%s\": port must be 0..65535", s);
        return -1;
    }
    if (!host[0]) {
        snprintf(why, whylen, "\"%s\" has no host (use 0.0.0.0:%ld for every interface)", s, port);
        return -1;
    }

    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    int gai = getaddrinfo(host, NULL, &hints, &res);
    if (gai != 0 || !res) {
        snprintf(why, whylen, "\"%s\": cannot resolve host \"%s\" (%s)", s, host,
                 gai_strerror(gai));
        return -1;
    }
    memset(out, 0, sizeof *out);
    memcpy(&out->addr, res->ai_addr, res->ai_addrlen);
    out->addr_len = res->ai_addrlen;
    out->family = res->ai_family;
    out->port = (int)port;
    if (out->family == AF_INET6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&out->addr;
        a->sin6_port = htons((uint16_t)port);
        inet_ntop(AF_INET6, &a->sin6_addr, out->host, sizeof out->host);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&out->addr;
        a->sin_port = htons((uint16_t)port);
        inet_ntop(AF_INET, &a->sin_addr, out->host, sizeof out->host);
    }
    freeaddrinfo(res);
    return 0;
bad_host:
    snprintf(why, whylen, "host name too long");
    return -1;
}

/* UTC, Z, +HH:MM, +HHMM, +HH → seconds east of UTC. */
static int parse_tz(const char *s, int *out)
{
    if (strcasecmp(s, "UTC") == 0 || strcasecmp(s, "Z") == 0 || strcasecmp(s, "GMT") == 0)
        return *out = 0, 0;
    if (s[0] != '+' && s[0] != '-')
        return -1;
    const char *p = s + 1;
    int h, m = 0;
    if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]))
        return -1;
    h = (p[0] - '0') * 10 + (p[1] - '0');
    p += 2;
    if (*p == ':')
        p++;
    if (*p) {
        if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) || p[2])
            return -1;
        m = (p[0] - '0') * 10 + (p[1] - '0');
    } else if (p[-1] == ':') {
        return -1;
    }
    if (h > 18 || m > 59 || (h == 18 && m))
        return -1;
    *out = (s[0] == '-' ? -1 : 1) * (h * 3600 + m * 60);
    return 0;
}

static int valid_origin(const char *s)
{
    if (strcmp(s, "*") == 0)
        return 1;
    const char *host;
    if (strncmp(s, "http://", 7) == 0)
        host = s + 7;
    else if (strncmp(s, "https://", 8) == 0)
        host = s + 8;
    else
        return 0;
    if (!*host)
        return 0;
    for (const char *p = host; *p; p++)
        if (!(isalnum((unsigned char)*p) || strchr(".-:[]", *p)))
            return 0;
    return 1;
}

static int set_string(struct config *c, int key, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return ST_NOMEM;
    free(*str_member(c, key));
    *str_member(c, key) = copy;
    return 0;
}

static int set_source(struct config *c, int key, const char *source)
{
    char *copy = strdup(source);
    if (!copy)
        return ST_NOMEM;
    free(c->source[key]);
    c->source[key] = copy;
    return 0;
}

int config_set(struct config *c, int key, const char *value, const char *source,
               struct config_error *err)
{
    const struct key_def *k;
    char why[320];
    long n;
    int b;

    if (key < 0 || key >= CONFIG_N_KEYS)
        return fail(err, source, -1, "unknown key");
    k = &keys[key];
    if (!value)
        value = "";

    switch (k->type) {
    case T_INT:
        if (parse_long(value, &n) != 0)
            return fail(err, source, key, "\"%s\" is not an integer", value);
        goto range;
    case T_SIZE:
        if (parse_with_unit(value, size_units, &n) != 0)
            return fail(err, source, key, "\"%s\" is not a size (bytes, or with KiB/MiB)", value);
        goto range;
    case T_DURATION:
        if (parse_with_unit(value, duration_units, &n) != 0)
            return fail(err, source, key, "\"%s\" is not a duration (seconds, or with s/m/h)",
                        value);
    range:
        if (n < k->min || n > k->max)
            return fail(err, source, key, "%s is out of range %ld..%ld", value, k->min, k->max);
        *int_member(c, key) = (int)n;
        break;
    case T_BOOL:
        if (parse_bool(value, &b) != 0)
            return fail(err, source, key, "\"%s\" is not a boolean (true or false)", value);
        *int_member(c, key) = b;
        break;
    case T_STRING:
        if (!*value)
            return fail(err, source, key, "must not be empty");
        break;
    case T_LISTEN: {
        struct config_listen la;
        if (parse_listen(value, &la, why, sizeof why) != 0)
            return fail(err, source, key, "%s", why);
        c->listen_addr = la;
        break;
    }
    case T_TZ:
        if (parse_tz(value, &b) != 0)
            return fail(err, source, key,
                        "\"%s\" is not a fixed offset (UTC, +HH:MM or -HH:MM up to 18 hours)",
                        value);
        c->tz_offset = b;
        break;
    case T_ORIGIN:
        if (!valid_origin(value))
            return fail(err, source, key, "\"%s\" is not * or an origin like https://host:port",
                        value);
        break;
    case T_HEADER:
        if (!*value || has_ctl(value))
            return fail(err, source, key,
                        "must be a non-empty header value without control "
                        "characters");
        break;
    case T_PATH_PATTERN: {
        static const char *const styles[] = {"date", "pretty", "ordinal", "weekdate", "none"};
        int style = 0;
        for (size_t i = 0; i < sizeof styles / sizeof *styles; i++)
            style |= strcmp(value, styles[i]) == 0;
        if ((!style && value[0] != '/') || has_ctl(value) || strpbrk(value, " \t"))
            return fail(err, source, key,
                        "\"%s\" must be a style (date, pretty, ordinal, weekdate, none) or a "
                        "pattern starting with / without spaces",
                        value);
        /* the placeholders are storage's to know */
        struct parse_error perr = {0};
        int rc = post_permalink_check(value, &perr);
        if (rc == ST_NOMEM)
            return rc;
        if (rc != 0) {
            const char *reason = perr.msg;
            if (strncmp(reason, "permalink: ", 11) == 0)
                reason += 11;
            return fail(err, source, key, "\"%s\": %s", value, reason);
        }
        break;
    }
    }
    if (is_string_member(k->type) && set_string(c, key, value) != 0)
        return ST_NOMEM;
    return set_source(c, key, source);
}

int config_init(struct config *c)
{
    struct config_error err;
    memset(c, 0, sizeof *c);
    for (int k = 0; k < CONFIG_N_KEYS; k++) {
        int rc = config_set(c, k, keys[k].def, "default", &err);
        if (rc != 0) /* only out of memory: every default is valid */
            return rc;
    }
    return 0;
}

void config_clear(struct config *c)
{
    if (!c)
        return;
    for (int k = 0; k < CONFIG_N_KEYS; k++) {
        if (is_string_member(keys[k].type))
            free(*str_member(c, k));
        free(c->source[k]);
    }
    free(c->file);
    memset(c, 0, sizeof *c);
}

/* ---- the file ------------------------------------------------------------ */

static int read_all(const char *path, char **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    int rc = ST_IO;
    if (!f)
        return ST_IO;
    for (;;) {
        if (n == cap) {
            if (cap >= (size_t)1 << 20) {
                errno = EFBIG; /* a config file is small; this is the wrong file */
                goto out;
            }
            cap = cap ? cap * 2 : 4096;
            char *grown = realloc(buf, cap + 1);
            if (!grown) {
                rc = ST_NOMEM;
                goto out;
            }
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f))
        goto out;
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
    rc = 0;
out:
    free(buf);
    fclose(f);
    return rc;
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "a mapping";
    case JSON_ARRAY:
        return "a list";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
        return "an integer";
    case JSON_REAL:
        return "a float";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

/* Turns a typed YAML value into the text config_set parses, after checking its
 * type is one the key accepts. */
static int file_value_text(int key, const json_t *v, const char *source, char *buf, size_t len,
                           struct config_error *err)
{
    enum key_type t = keys[key].type;
    if (t == T_BOOL) {
        if (!json_is_boolean(v))
            return fail(err, source, key, "expected true or false, got %s", json_kind(v));
        snprintf(buf, len, "%s", json_is_true(v) ? "true" : "false");
        return 0;
    }
    if (t == T_INT || t == T_SIZE || t == T_DURATION) {
        if (json_is_integer(v)) {
            snprintf(buf, len, "%lld", (long long)json_integer_value(v));
            return 0;
        }
        if (t != T_INT && json_is_string(v)) {
            snprintf(buf, len, "%s", json_string_value(v));
            return 0;
        }
        return fail(err, source, key, "expected an integer, got %s", json_kind(v));
    }
    if (!json_is_string(v)) {
        if (t == T_TZ)
            return fail(err, source, key, "expected a quoted string like \"+05:30\", got %s",
                        json_kind(v));
        return fail(err, source, key, "expected a string, got %s", json_kind(v));
    }
    if (strlen(json_string_value(v)) >= len)
        return fail(err, source, key, "value too long");
    snprintf(buf, len, "%s", json_string_value(v));
    return 0;
}

int config_load_file(struct config *c, const char *path, struct config_error *err)
{
    char *text = NULL;
    size_t len = 0;
    json_t *doc = NULL, *pos = NULL;
    struct parse_error perr = {0};
    int rc;

    errno = 0;
    rc = read_all(path, &text, &len);
    if (rc != 0) {
        if (rc == ST_IO && err)
            snprintf(err->msg, sizeof err->msg, "%s: cannot read: %s", path, strerror(errno));
        return rc;
    }
    rc = fm_yaml_load(text, len, 1, 1, &doc, &pos, &perr);
    if (rc == ST_PARSE) {
        if (err)
            snprintf(err->msg, sizeof err->msg, "%s:%d:%d: %s", path, perr.line, perr.col,
                     perr.msg);
        rc = ST_INVALID;
        goto out;
    }
    if (rc != 0)
        goto out;

    const char *name;
    json_t *value;
    json_object_foreach(doc, name, value)
    {
        char source[384], text_value[1024];
        json_t *at = pos ? json_object_get(pos, name) : NULL;
        long line = 0, col = 0;
        if (json_is_array(at)) {
            line = (long)json_integer_value(json_array_get(at, 0));
            col = (long)json_integer_value(json_array_get(at, 1));
        }
        snprintf(source, sizeof source, "%s:%ld:%ld", path, line, col);
        int key = config_key_find(name);
        if (key < 0 || strcmp(keys[key].name, name) != 0) {
            rc = fail(err, source, -1, "unknown key \"%s\"", name);
            goto out;
        }
        rc = file_value_text(key, value, source, text_value, sizeof text_value, err);
        if (rc == 0)
            rc = config_set(c, key, text_value, source, err);
        if (rc != 0)
            goto out;
    }
    free(c->file);
    c->file = strdup(path);
    rc = c->file ? 0 : ST_NOMEM;
out:
    json_decref(doc);
    json_decref(pos);
    free(text);
    return rc;
}

/* ---- the environment ---------------------------------------------------- */

static const char *env_get(char *const *envp, const char *name)
{
    size_t n = strlen(name);
    for (char *const *e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

int config_load_env(struct config *c, char *const *envp, FILE *warn, struct config_error *err)
{
    /* In key order, not environment order, so the first error is deterministic. */
    for (int k = 0; k < CONFIG_N_KEYS; k++) {
        char var[64];
        size_t i = 0;
        i = (size_t)snprintf(var, sizeof var, "POSTD_");
        for (const char *p = keys[k].name; *p && i + 1 < sizeof var; p++)
            var[i++] = (char)toupper((unsigned char)*p);
        var[i] = '\0';
        const char *v = env_get(envp, var);
        if (!v)
            continue;
        int rc = config_set(c, k, v, var, err);
        if (rc != 0)
            return rc;
    }
    if (warn) {
        for (char *const *e = envp; e && *e; e++) {
            if (strncmp(*e, "POSTD_", 6) != 0)
                continue;
            const char *eq = strchr(*e, '=');
            size_t n = eq ? (size_t)(eq - *e) : strlen(*e);
            char lower[64];
            if (n - 6 >= sizeof lower)
                goto unknown;
            for (size_t j = 6; j < n; j++)
                lower[j - 6] = (char)tolower((unsigned char)(*e)[j]);
            lower[n - 6] = '\0';
            if (strcmp(lower, "config") == 0)
                continue;
            int k = config_key_find(lower);
            if (k >= 0 && strcmp(keys[k].name, lower) == 0)
                continue;
        unknown:
            fprintf(warn, "postd: warning: ignoring unknown environment variable %.*s\n", (int)n,
                    *e);
        }
    }
    return 0;
}

const char *config_file_pick(const char *explicit_path, char *const *envp, int *explicit_out)
{
    const char *env = env_get(envp, "POSTD_CONFIG");
    *explicit_out = 1;
    if (explicit_path)
        return explicit_path;
    if (env && *env)
        return env;
    *explicit_out = 0;
    if (access("config/postd.yaml", F_OK) == 0)
        return "config/postd.yaml";
    if (access("/etc/postd/postd.yaml", F_OK) == 0)
        return "/etc/postd/postd.yaml";
    return NULL;
}

int config_finish(struct config *c, struct config_error *err)
{
    if (c->default_limit > c->max_limit) {
        if (err)
            snprintf(err->msg, sizeof err->msg,
                     "%s: default_limit: %d is larger than max_limit %d (from %s)",
                     c->source[CONFIG_DEFAULT_LIMIT], c->default_limit, c->max_limit,
                     c->source[CONFIG_MAX_LIMIT]);
        return ST_INVALID;
    }
    return 0;
}

void config_value_format(const struct config *c, int key, char *buf, size_t len)
{
    if (key < 0 || key >= CONFIG_N_KEYS) {
        snprintf(buf, len, "~");
        return;
    }
    if (is_string_member(keys[key].type)) {
        json_t *s = json_string(*cstr_member(c, key) ? *cstr_member(c, key) : "");
        char *q = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
        snprintf(buf, len, "%s", q ? q : "\"\"");
        free(q);
        json_decref(s);
    } else if (keys[key].type == T_BOOL) {
        snprintf(buf, len, "%s", *cint_member(c, key) ? "true" : "false");
    } else {
        snprintf(buf, len, "%d", *cint_member(c, key));
    }
}

void config_print(const struct config *c, FILE *f)
{
    for (int k = 0; k < CONFIG_N_KEYS; k++) {
        char value[1100];
        config_value_format(c, k, value, sizeof value);
        fprintf(f, "%s: %s  # %s\n", keys[k].name, value, c->source[k] ? c->source[k] : "?");
    }
}

void config_api(const struct config *c, struct api_config *out)
{
    *out = (struct api_config){
        .db_path = c->db,
        .cors_origin = c->cors_origin,
        .cache_control = c->cache_control,
        .max_limit = c->max_limit,
        .default_limit = c->default_limit,
        .show_future = c->future,
        .permalink = c->permalink,
        .cache_bytes = (size_t)c->cache_size,
        .change_check_us = (unsigned)c->change_check_us,
    };
}
