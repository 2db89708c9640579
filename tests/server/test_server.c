/* Unit tests of the server module without a network: the configuration layers
 * (defaults < file < environment < flags), every kind of bad value and the message
 * that names it, the shipped config/postd.yaml, and the request-target decoder.
 * Fixture files are in tests/server/fixtures/config (CONFIG_DIR). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "http.h"
#include "status.h"

static char fixture[4096];

static const char *path_of(const char *name)
{
    snprintf(fixture, sizeof fixture, "%s/%s", CONFIG_DIR, name);
    return fixture;
}

/* Loads the file name (if any), then env, then flags {key, value} pairs. */
static int layers(struct config *c, const char *file, char **env, const char *const *flags,
                  struct config_error *err)
{
    int rc = config_init(c);
    if (rc == 0 && file)
        rc = config_load_file(c, path_of(file), err);
    if (rc == 0 && env)
        rc = config_load_env(c, env, NULL, err);
    for (size_t i = 0; rc == 0 && flags && flags[i]; i += 2) {
        char source[64];
        snprintf(source, sizeof source, "--%s", flags[i]);
        rc = config_set(c, config_key_find(flags[i]), flags[i + 1], source, err);
    }
    if (rc == 0)
        rc = config_finish(c, err);
    return rc;
}

static void test_defaults(void **state)
{
    struct config c;
    assert_int_equal(config_init(&c), 0);
    assert_string_equal(c.db, "data/postd.db");
    assert_string_equal(c.listen, "127.0.0.1:8080");
    assert_string_equal(c.listen_addr.host, "127.0.0.1");
    assert_int_equal(c.listen_addr.port, 8080);
    assert_int_equal(c.threads, 2);
    assert_int_equal(c.connection_limit, 1024);
    assert_int_equal(c.connection_timeout, 30);
    assert_int_equal(c.max_request_header, 16 * 1024);
    assert_true(c.access_log);
    assert_string_equal(c.cors_origin, "*");
    assert_string_equal(c.cache_control, "public, max-age=60");
    assert_int_equal(c.max_limit, 100);
    assert_int_equal(c.default_limit, 20);
    assert_false(c.future);
    assert_int_equal(c.tz_offset, 0);
    assert_string_equal(c.permalink, "/:year/:month/:day/:slug.html");
    assert_int_equal(c.jobs, 0);
    for (int k = 0; k < CONFIG_N_KEYS; k++)
        assert_string_equal(c.source[k], "default");
    config_clear(&c);
    config_clear(&c); /* idempotent */
    config_clear(NULL);
}

/* The shipped file documents the defaults: loading it must change no value. */
static void test_shipped_file_is_the_defaults(void **state)
{
    struct config d, f;
    struct config_error err = {{0}};
    assert_int_equal(config_init(&d), 0);
    assert_int_equal(config_init(&f), 0);
    int rc = config_load_file(&f, SHIPPED_CONFIG, &err);
    if (rc)
        fail_msg("%s", err.msg);
    for (int k = 0; k < CONFIG_N_KEYS; k++) {
        char a[1100], b[1100];
        config_value_format(&d, k, a, sizeof a);
        config_value_format(&f, k, b, sizeof b);
        if (strcmp(a, b) != 0)
            fail_msg("%s: default %s, config/postd.yaml %s", config_key_name(k), a, b);
        /* every key is written in the file */
        assert_ptr_not_equal(strstr(f.source[k], SHIPPED_CONFIG), NULL);
    }
    config_clear(&d);
    config_clear(&f);
}

static void test_file_values(void **state)
{
    struct config c;
    struct config_error err = {{0}};
    int rc = layers(&c, "good.yaml", NULL, NULL, &err);
    if (rc)
        fail_msg("%s", err.msg);
    assert_string_equal(c.db, "/tmp/postd-test-from-file.db");
    assert_int_equal(c.listen_addr.family, AF_INET6);
    assert_string_equal(c.listen_addr.host, "::1");
    assert_int_equal(c.listen_addr.port, 9090);
    assert_int_equal(c.threads, 3);
    assert_int_equal(c.connection_limit, 10);
    assert_int_equal(c.connection_timeout, 120);
    assert_int_equal(c.max_request_header, 8192);
    assert_false(c.access_log);
    assert_string_equal(c.cors_origin, "https://example.com");
    assert_string_equal(c.cache_control, "no-cache");
    assert_int_equal(c.max_limit, 50);
    assert_int_equal(c.default_limit, 10);
    assert_true(c.future);
    assert_int_equal(c.tz_offset, -4 * 3600);
    assert_string_equal(c.permalink, "/blog/:slug/");
    assert_int_equal(c.jobs, 4);
    assert_string_equal(c.file, path_of("good.yaml"));
    /* the source is file:line:col of the value */
    char want[4200];
    snprintf(want, sizeof want, "%s:4:", path_of("good.yaml"));
    assert_memory_equal(c.source[CONFIG_THREADS], want, strlen(want));
    config_clear(&c);
}

static void test_precedence(void **state)
{
    struct config c;
    struct config_error err = {{0}};
    char env_threads[] = "POSTD_THREADS=7";
    char env_limit[] = "POSTD_MAX_LIMIT=60";
    char other[] = "HOME=/nowhere";
    char *env[] = {other, env_threads, env_limit, NULL};
    const char *flags[] = {"threads", "9", NULL};

    /* file only */
    assert_int_equal(layers(&c, "good.yaml", NULL, NULL, &err), 0);
    assert_int_equal(c.threads, 3);
    config_clear(&c);
    /* env over file; keys the env does not name keep the file's value */
    assert_int_equal(layers(&c, "good.yaml", env, NULL, &err), 0);
    assert_int_equal(c.threads, 7);
    assert_int_equal(c.max_limit, 60);
    assert_int_equal(c.connection_limit, 10);
    assert_string_equal(c.source[CONFIG_THREADS], "POSTD_THREADS");
    config_clear(&c);
    /* flags over env */
    assert_int_equal(layers(&c, "good.yaml", env, flags, &err), 0);
    assert_int_equal(c.threads, 9);
    assert_int_equal(c.max_limit, 60);
    assert_string_equal(c.source[CONFIG_THREADS], "--threads");
    config_clear(&c);
    /* flags over defaults, without a file */
    assert_int_equal(layers(&c, NULL, NULL, flags, &err), 0);
    assert_int_equal(c.threads, 9);
    assert_string_equal(c.source[CONFIG_MAX_LIMIT], "default");
    config_clear(&c);
}

/* Each bad value fails with ST_INVALID and a message holding every fragment. */
static void expect_error(const char *file, char **env, const char *const *flags,
                         const char *const *fragments)
{
    struct config c;
    struct config_error err = {{0}};
    int rc = layers(&c, file, env, flags, &err);
    if (rc != ST_INVALID)
        fail_msg("%s: expected ST_INVALID, got %d", file ? file : "(no file)", rc);
    for (size_t i = 0; fragments[i]; i++)
        if (!strstr(err.msg, fragments[i]))
            fail_msg("message \"%s\" lacks \"%s\"", err.msg, fragments[i]);
    config_clear(&c);
}

static void test_file_errors(void **state)
{
    expect_error("unknown-key.yaml", NULL, NULL,
                 (const char *[]){"unknown-key.yaml:2:", "unknown key \"thread\"", NULL});
    expect_error("wrong-type.yaml", NULL, NULL,
                 (const char *[]){"wrong-type.yaml:2:", "threads", "expected an integer", NULL});
    expect_error("out-of-range.yaml", NULL, NULL,
                 (const char *[]){"out-of-range.yaml:1:", "threads", "1..1024", NULL});
    expect_error("bad-listen.yaml", NULL, NULL,
                 (const char *[]){"bad-listen.yaml:1:", "listen", "port", NULL});
    expect_error("syntax.yaml", NULL, NULL, (const char *[]){"syntax.yaml:", NULL});
    expect_error("list.yaml", NULL, NULL, (const char *[]){"list.yaml:", NULL});
    expect_error("limits.yaml", NULL, NULL,
                 (const char *[]){"default_limit", "max_limit", "limits.yaml:2:", NULL});
    expect_error("bad-bool.yaml", NULL, NULL,
                 (const char *[]){"bad-bool.yaml:1:", "access_log", "true or false", NULL});
    expect_error("bad-timezone.yaml", NULL, NULL,
                 (const char *[]){"bad-timezone.yaml:1:", "timezone", NULL});

    struct config c;
    struct config_error err = {{0}};
    assert_int_equal(config_init(&c), 0);
    assert_int_equal(config_load_file(&c, path_of("does-not-exist.yaml"), &err), ST_IO);
    assert_non_null(strstr(err.msg, "does-not-exist.yaml"));
    config_clear(&c);
}

static void test_env_and_flag_errors(void **state)
{
    char bad_limit[] = "POSTD_MAX_LIMIT=abc";
    char *env1[] = {bad_limit, NULL};
    expect_error(NULL, env1, NULL,
                 (const char *[]){"POSTD_MAX_LIMIT: max_limit:", "not an integer", NULL});
    char bad_db[] = "POSTD_DB=";
    char *env2[] = {bad_db, NULL};
    expect_error(NULL, env2, NULL, (const char *[]){"POSTD_DB: db:", "empty", NULL});

    struct {
        const char *key, *value, *fragment;
    } bad[] = {
        {"threads", "0", "out of range"},
        {"threads", "two", "not an integer"},
        {"threads", "2x", "not an integer"},
        {"connection-limit", "0", "out of range"},
        {"connection-timeout", "-1", "duration"},
        {"connection-timeout", "5 fortnights", "duration"},
        {"max-request-header", "100", "out of range"},
        {"max-request-header", "8 parsecs", "size"},
        {"access-log", "maybe", "boolean"},
        {"listen", "127.0.0.1", "no port"},
        {"listen", "127.0.0.1:65536", "port"},
        {"listen", "::1:80", "brackets"},
        {"listen", "[::1]", "[IPV6]:PORT"},
        {"listen", ":8080", "no host"},
        {"listen", "no-such-host.invalid:80", "resolve"},
        {"cors-origin", "example.com", "origin"},
        {"cors-origin", "https://example.com/path", "origin"},
        {"cache-control", "", "header"},
        {"cache-control", "a\r\nX-Injected: 1", "header"},
        {"max-limit", "0", "out of range"},
        {"default-limit", "10001", "out of range"},
        {"timezone", "+25:00", "fixed offset"},
        {"timezone", "Europe/Paris", "fixed offset"},
        {"timezone", "+5", "fixed offset"},
        {"permalink", "year/slug", "starting with /"},
        {"permalink", "/:year/:nope/:slug/", "unknown placeholder :nope"},
        {"permalink", "/a b/", "without spaces"},
        {"jobs", "-1", "out of range"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *flags[] = {bad[i].key, bad[i].value, NULL};
        char source[64];
        snprintf(source, sizeof source, "--%s: %s:", bad[i].key,
                 config_key_name(config_key_find(bad[i].key)));
        expect_error(NULL, NULL, flags, (const char *[]){source, bad[i].fragment, NULL});
    }

    /* cross-key: the message names both keys and both sources */
    const char *flags[] = {"max-limit", "10", NULL};
    expect_error(NULL, NULL, flags,
                 (const char *[]){"default: default_limit", "max_limit", "--max-limit", NULL});
}

static void test_good_values(void **state)
{
    struct config c;
    struct config_error err = {{0}};
    assert_int_equal(config_init(&c), 0);
    assert_int_equal(config_set(&c, CONFIG_TIMEZONE, "+05:30", "t", &err), 0);
    assert_int_equal(c.tz_offset, 5 * 3600 + 1800);
    assert_int_equal(config_set(&c, CONFIG_TIMEZONE, "-0800", "t", &err), 0);
    assert_int_equal(c.tz_offset, -8 * 3600);
    assert_int_equal(config_set(&c, CONFIG_TIMEZONE, "utc", "t", &err), 0);
    assert_int_equal(c.tz_offset, 0);
    assert_int_equal(config_set(&c, CONFIG_MAX_REQUEST_HEADER, "1 MiB", "t", &err), 0);
    assert_int_equal(c.max_request_header, 1 << 20);
    assert_int_equal(config_set(&c, CONFIG_MAX_REQUEST_HEADER, "64k", "t", &err), 0);
    assert_int_equal(c.max_request_header, 65536);
    assert_int_equal(config_set(&c, CONFIG_CONNECTION_TIMEOUT, "45s", "t", &err), 0);
    assert_int_equal(c.connection_timeout, 45);
    assert_int_equal(config_set(&c, CONFIG_CONNECTION_TIMEOUT, "0", "t", &err), 0);
    assert_int_equal(c.connection_timeout, 0);
    assert_int_equal(config_set(&c, CONFIG_ACCESS_LOG, "OFF", "t", &err), 0);
    assert_false(c.access_log);
    assert_int_equal(config_set(&c, CONFIG_ACCESS_LOG, "yes", "t", &err), 0);
    assert_true(c.access_log);
    assert_int_equal(config_set(&c, CONFIG_LISTEN, "0.0.0.0:0", "t", &err), 0);
    assert_int_equal(c.listen_addr.port, 0);
    assert_int_equal(c.listen_addr.family, AF_INET);
    assert_int_equal(config_set(&c, CONFIG_LISTEN, "[::]:8080", "t", &err), 0);
    assert_int_equal(c.listen_addr.family, AF_INET6);
    assert_int_equal(config_set(&c, CONFIG_LISTEN, "localhost:8081", "t", &err), 0);
    assert_int_equal(c.listen_addr.port, 8081);
    assert_int_equal(config_set(&c, CONFIG_CORS_ORIGIN, "http://localhost:3000", "t", &err), 0);
    assert_int_equal(config_set(&c, CONFIG_PERMALINK, "pretty", "t", &err), 0);
    assert_string_equal(c.permalink, "pretty");
    assert_int_equal(
        config_set(&c, CONFIG_PERMALINK, "/:categories/:year/:title:output_ext", "t", &err), 0);
    config_clear(&c);
}

static void test_env_scan(void **state)
{
    char a[] = "POSTD_THREADS=4", b[] = "POSTD_CONFIG=/x.yaml", u[] = "POSTD_THREAD=5",
         d[] = "POSTD_DEFAULT_LIMIT=7";
    char *env[] = {a, b, u, d, NULL};
    struct config c;
    struct config_error err = {{0}};
    char *text = NULL;
    size_t len = 0;
    FILE *warn = open_memstream(&text, &len);
    assert_int_equal(config_init(&c), 0);
    assert_int_equal(config_load_env(&c, env, warn, &err), 0);
    fclose(warn);
    assert_int_equal(c.threads, 4);
    assert_int_equal(c.default_limit, 7);
    /* the typo is reported, POSTD_CONFIG is not */
    assert_non_null(strstr(text, "POSTD_THREAD\n"));
    assert_null(strstr(text, "POSTD_CONFIG"));
    free(text);
    config_clear(&c);

    int explicit_file = 0;
    assert_string_equal(config_file_pick("/a.yaml", env, &explicit_file), "/a.yaml");
    assert_true(explicit_file);
    assert_string_equal(config_file_pick(NULL, env, &explicit_file), "/x.yaml");
    assert_true(explicit_file);
    char *none[] = {NULL};
    /* from a folder without config/postd.yaml, and then with one */
    char cwd[4096], tmp[] = "/tmp/postd-test-server-XXXXXX";
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_non_null(mkdtemp(tmp));
    assert_int_equal(chdir(tmp), 0);
    const char *picked = config_file_pick(NULL, none, &explicit_file);
    assert_false(explicit_file);
    if (access("/etc/postd/postd.yaml", F_OK) != 0)
        assert_null(picked);
    assert_int_equal(mkdir("config", 0700), 0);
    FILE *f = fopen("config/postd.yaml", "w");
    assert_non_null(f);
    fclose(f);
    assert_string_equal(config_file_pick(NULL, none, &explicit_file), "config/postd.yaml");
    assert_false(explicit_file);
    remove("config/postd.yaml");
    rmdir("config");
    assert_int_equal(chdir(cwd), 0);
    rmdir(tmp);
}

static void test_key_table(void **state)
{
    for (int k = 0; k < CONFIG_N_KEYS; k++) {
        assert_non_null(config_key_name(k));
        assert_int_equal(config_key_find(config_key_name(k)), k);
        assert_int_equal(config_key_find(config_key_flag(k)), k);
        assert_non_null(config_key_help(k));
        assert_int_not_equal(config_key_cmds(k), 0);
    }
    assert_int_equal(config_key_find("nope"), -1);
    assert_null(config_key_name(CONFIG_N_KEYS));
}

/* ---- request targets ------------------------------------------------------ */

static void test_target_params(void **state)
{
    struct http_target t;
    assert_int_equal(http_target_parse("/v1/posts?tag=a%20b&tag=c+d&x&=v&&y=&q=%E2%9C%93", &t), 0);
    assert_false(t.bad_encoding);
    assert_string_equal(t.path, "/v1/posts");
    assert_int_equal(t.n_params, 6);
    const char *want[][2] = {{"tag", "a b"}, {"tag", "c d"}, {"x", ""},
                             {"", "v"},      {"y", ""},      {"q", "\xe2\x9c\x93"}};
    for (size_t i = 0; i < 6; i++) {
        assert_string_equal(t.params[i].name, want[i][0]);
        assert_string_equal(t.params[i].value, want[i][1]);
    }
    http_target_clear(&t);
    http_target_clear(&t);
    http_target_clear(NULL);
}

static void test_target_path(void **state)
{
    struct {
        const char *target, *path;
        int bad;
        size_t n_params;
    } cases[] = {
        {"/v1/posts/caf%C3%A9", "/v1/posts/caf\xc3\xa9", 0, 0},
        {"/a+b", "/a+b", 0, 0},
        {"/a%2Bb?x=%2B", "/a+b", 0, 1},
        {"/p#frag", "/p", 0, 0},
        {"/", "/", 0, 0},
        {"/v1/posts?", "/v1/posts", 0, 0},
        {"http://example.com/p?q=1", "/p", 0, 1},
        {"http://example.com?q=1", "/", 0, 1},
        {"/bad%zz", "/bad%zz", 1, 0},
        {"/bad%2", "/bad%2", 1, 0},
        {"/nul%00x", "/nul%00x", 1, 0},
        {"/latin1%E9", "/latin1\xe9", 1, 0},
        {"/ok?tag=%zz", "/ok", 1, 1},
        {"/ok?tag=a%00b", "/ok", 1, 1},
        {"/ok?%FF=1", "/ok", 1, 1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct http_target t;
        assert_int_equal(http_target_parse(cases[i].target, &t), 0);
        if (strcmp(t.path, cases[i].path) != 0 || t.bad_encoding != cases[i].bad ||
            t.n_params != cases[i].n_params)
            fail_msg("%s: path \"%s\" bad %d params %zu", cases[i].target, t.path, t.bad_encoding,
                     t.n_params);
        http_target_clear(&t);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),    cmocka_unit_test(test_shipped_file_is_the_defaults),
        cmocka_unit_test(test_file_values), cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_file_errors), cmocka_unit_test(test_env_and_flag_errors),
        cmocka_unit_test(test_good_values), cmocka_unit_test(test_env_scan),
        cmocka_unit_test(test_key_table),   cmocka_unit_test(test_target_params),
        cmocka_unit_test(test_target_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
