/* Helpers for the end-to-end tests: child processes, temporary folders and an
 * HTTP client. Children are tracked in a table so that no path out of a test (a
 * normal end, exit(), the watchdog's SIGALRM) leaves a server running. */
#include "e2e_util.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int e2e_failures;
int e2e_checks;

#define MAX_CHILDREN 16
#define MAX_TMPDIRS 8

static volatile pid_t children[MAX_CHILDREN];
static char *tmpdirs[MAX_TMPDIRS];
static size_t n_tmpdirs;

static void child_add(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (children[i] == 0) {
            children[i] = pid;
            return;
        }
    }
}

static void child_forget(pid_t pid)
{
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] == pid)
            children[i] = 0;
}

static void kill_children(void)
{
    for (int i = 0; i < MAX_CHILDREN; i++) {
        if (children[i] > 0) {
            kill(children[i], SIGKILL);
            waitpid(children[i], NULL, 0);
            children[i] = 0;
        }
    }
}

static void on_alarm(int sig)
{
    static const char msg[] = "e2e: watchdog: the test ran too long; killing its children\n";
    (void)sig;
    (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
    for (int i = 0; i < MAX_CHILDREN; i++)
        if (children[i] > 0)
            kill(children[i], SIGKILL);
    _exit(1);
}

void e2e_watchdog(unsigned seconds)
{
    signal(SIGALRM, on_alarm);
    alarm(seconds);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

char *e2e_tmpdir(void)
{
    char tmpl[] = "/tmp/postd-e2e-XXXXXX";
    if (!mkdtemp(tmpl))
        return NULL;
    if (n_tmpdirs < MAX_TMPDIRS)
        tmpdirs[n_tmpdirs++] = strdup(tmpl);
    return strdup(tmpl);
}

void e2e_cleanup(void)
{
    kill_children();
    for (size_t i = 0; i < n_tmpdirs; i++) {
        if (!getenv("POSTD_E2E_KEEP") && strncmp(tmpdirs[i], "/tmp/postd-e2e-", 15) == 0) {
            const char *argv[] = {"/bin/rm", "-rf", tmpdirs[i], NULL};
            e2e_run(argv, NULL, NULL, NULL);
        } else {
            fprintf(stderr, "e2e: kept %s\n", tmpdirs[i]);
        }
        free(tmpdirs[i]);
    }
    n_tmpdirs = 0;
}

/* Spawns argv with stdout/stderr redirected; the pid is registered. The child
 * gets PR_SET_PDEATHSIG, so it dies with the test even when the test itself is
 * killed (a ctest timeout) or crashes. */
static pid_t spawn(const char *const *argv, const char *const *env, const char *out_file,
                   const char *err_file)
{
    char **envp = NULL;
    size_t n_env = 0, n_extra = 0;
    pid_t parent = getpid(), pid;

    while (environ[n_env])
        n_env++;
    while (env && env[n_extra])
        n_extra++;
    envp = calloc(n_env + n_extra + 1, sizeof *envp);
    if (!envp)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n_env; i++) {
        /* a POSTD_* setting of the developer's shell must not change the test */
        if (strncmp(environ[i], "POSTD_", 6) != 0)
            envp[k++] = environ[i];
    }
    for (size_t i = 0; i < n_extra; i++)
        envp[k++] = (char *)env[i];

    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        int in = open("/dev/null", O_RDONLY);
        int out = open(out_file ? out_file : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = open(err_file ? err_file : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent || in < 0 || out < 0 ||
            err < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 ||
            dup2(err, STDERR_FILENO) < 0)
            _exit(127);
        signal(SIGALRM, SIG_DFL);
        alarm(0);
        execve(argv[0], (char *const *)argv, envp);
        _exit(127);
    }
    free(envp);
    if (pid > 0)
        child_add(pid);
    return pid;
}

/* Waits for pid up to max_seconds; returns the raw wait status or -1 on timeout. */
static int wait_for(pid_t pid, double max_seconds)
{
    double t0 = now_s();
    int status;
    for (;;) {
        pid_t got = waitpid(pid, &status, WNOHANG);
        if (got == pid) {
            child_forget(pid);
            return status;
        }
        if (got < 0 && errno != EINTR)
            return -1;
        if (now_s() - t0 > max_seconds)
            return -1;
        nap_ms(10);
    }
}

int e2e_run(const char *const *argv, const char *const *env, const char *out_file,
            const char *err_file)
{
    pid_t pid = spawn(argv, env, out_file, err_file);
    if (pid < 0) {
        fprintf(stderr, "e2e: cannot run %s\n", argv[0]);
        return -1;
    }
    int status = wait_for(pid, 60);
    if (status == -1) {
        fprintf(stderr, "e2e: %s ran over 60 s; killed\n", argv[0]);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        child_forget(pid);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *e2e_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t n = 0, cap = 0;
    if (!f)
        return NULL;
    for (;;) {
        if (cap - n < 4096) {
            cap = cap ? cap * 2 : 8192;
            char *grown = realloc(buf, cap);
            if (!grown) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = grown;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0)
            break;
    }
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

int e2e_write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    int rc = fputs(text, f) < 0 ? -1 : 0;
    if (fclose(f) != 0)
        rc = -1;
    return rc;
}

/* ---- the server ------------------------------------------------------------ */

int e2e_server_start(struct e2e_server *s, const char *postd, const char *db, const char *dir,
                     const char *const *extra)
{
    char config[4096];
    const char *argv[40] = {postd, "serve",    "--config",    config,      "--db",
                            db,    "--listen", "127.0.0.1:0", "--threads", "2"};
    size_t n = 10;
    static int serial;

    memset(s, 0, sizeof *s);
    snprintf(config, sizeof config, "%s/empty.yaml", dir);
    e2e_write_file(config, "# built-in defaults\n");
    for (size_t i = 0; extra && extra[i] && n + 1 < sizeof argv / sizeof *argv; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    serial++;
    snprintf(s->out, sizeof s->out, "%s/serve%d.out", dir, serial);
    snprintf(s->err, sizeof s->err, "%s/serve%d.err", dir, serial);

    s->pid = spawn(argv, NULL, s->out, s->err);
    if (s->pid < 0)
        return -1;
    double t0 = now_s();
    while (now_s() - t0 < 10) {
        char *text = e2e_read_file(s->err, NULL);
        const char *at = text ? strstr(text, " on http://127.0.0.1:") : NULL;
        if (at)
            s->port = atoi(at + strlen(" on http://127.0.0.1:"));
        free(text);
        if (s->port > 0)
            break;
        if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
            child_forget(s->pid);
            s->pid = 0;
            text = e2e_read_file(s->err, NULL);
            fprintf(stderr, "e2e: postd serve exited early:\n%s\n", text ? text : "");
            free(text);
            return -1;
        }
        nap_ms(20);
    }
    if (s->port <= 0) {
        fprintf(stderr, "e2e: no startup line from postd serve in 10 s\n");
        return -1;
    }
    snprintf(s->base, sizeof s->base, "http://127.0.0.1:%d", s->port);
    while (now_s() - t0 < 10) {
        struct e2e_resp r;
        if (e2e_http(s->base, "GET", "/healthz", NULL, NULL, 0, &r) == 0 && r.status == 200) {
            e2e_resp_clear(&r);
            return 0;
        }
        e2e_resp_clear(&r);
        nap_ms(50);
    }
    fprintf(stderr, "e2e: /healthz did not answer 200 within 10 s\n");
    return -1;
}

int e2e_server_stop(struct e2e_server *s, int sig, double max_seconds)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, sig);
    int status = wait_for(s->pid, max_seconds);
    if (status == -1) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        child_forget(s->pid);
    }
    s->pid = 0;
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- HTTP ----------------------------------------------------------------- */

struct buf {
    char *p;
    size_t n;
};

static size_t on_data(char *data, size_t size, size_t nmemb, void *arg)
{
    struct buf *b = arg;
    size_t len = size * nmemb;
    char *grown = realloc(b->p, b->n + len + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->n, data, len);
    b->n += len;
    grown[b->n] = '\0';
    b->p = grown;
    return len;
}

static CURL *shared_handle;

static void curl_done(void)
{
    curl_easy_cleanup(shared_handle);
    curl_global_cleanup();
}

int e2e_http(const char *base, const char *method, const char *path, const char *const *headers,
             const char *body, unsigned flags, struct e2e_resp *r)
{
    struct buf data = {0}, head = {0};
    struct curl_slist *hl = NULL;
    char url[8192];
    CURLcode cc;

    memset(r, 0, sizeof *r);
    if (!shared_handle) {
        curl_global_init(CURL_GLOBAL_DEFAULT);
        shared_handle = curl_easy_init();
        atexit(curl_done);
    }
    CURL *h = shared_handle;
    curl_easy_reset(h); /* keeps the connection cache */
    snprintf(url, sizeof url, "%s%s", base, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &data);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);
    if (flags & E2E_HEAD)
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    else if (strcmp(method, "GET") != 0 || body)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (flags & E2E_GZIP) {
        curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
    } else if (flags & E2E_GZIP_RAW) {
        hl = curl_slist_append(hl, "Accept-Encoding: gzip");
        curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L);
    }
    for (size_t i = 0; headers && headers[i]; i++)
        hl = curl_slist_append(hl, headers[i]);
    if (body && (flags & E2E_EXPECT))
        hl = curl_slist_append(hl, "Expect: 100-continue");
    else if (body)
        hl = curl_slist_append(hl, "Expect:"); /* no 100-continue round trip */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);

    cc = curl_easy_perform(h);
    curl_slist_free_all(hl);
    if (cc != CURLE_OK) {
        fprintf(stderr, "e2e: %s %s: %s\n", method, url, curl_easy_strerror(cc));
        free(data.p);
        free(head.p);
        return -1;
    }
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
    curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &r->connects);
    curl_easy_getinfo(h, CURLINFO_TOTAL_TIME, &r->seconds);
    r->body = data.p ? data.p : strdup("");
    r->len = data.n;
    r->headers = head.p ? head.p : strdup("");
    return 0;
}

void e2e_resp_clear(struct e2e_resp *r)
{
    free(r->body);
    free(r->headers);
    memset(r, 0, sizeof *r);
}

const char *e2e_header(const struct e2e_resp *r, const char *name)
{
    static char slots[4][8192];
    static int next;
    size_t n = strlen(name);
    const char *line = r->headers;
    while (line && *line) {
        const char *end = strstr(line, "\r\n");
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > n && strncasecmp(line, name, n) == 0 && line[n] == ':') {
            const char *v = line + n + 1;
            while (*v == ' ')
                v++;
            char *slot = slots[next++ % 4];
            size_t vlen = len - (size_t)(v - line);
            if (vlen >= sizeof slots[0])
                vlen = sizeof slots[0] - 1;
            memcpy(slot, v, vlen);
            slot[vlen] = '\0';
            return slot;
        }
        line = end ? end + 2 : NULL;
    }
    return NULL;
}

json_t *e2e_json(const struct e2e_resp *r)
{
    json_error_t err;
    json_t *v = json_loadb(r->body ? r->body : "", r->len, 0, &err);
    if (!v)
        fprintf(stderr, "e2e: not JSON (%s at %d:%d): %.200s\n", err.text, err.line, err.column,
                r->body ? r->body : "");
    return v;
}

json_t *e2e_get_json(const char *base, const char *path)
{
    struct e2e_resp r;
    json_t *v = NULL;
    if (e2e_http(base, "GET", path, NULL, NULL, 0, &r) != 0) {
        CHECK(0, "GET %s failed", path);
        return NULL;
    }
    CHECK(r.status == 200, "GET %s: status %ld: %.300s", path, r.status, r.body);
    if (r.status == 200)
        v = e2e_json(&r);
    CHECK(v != NULL, "GET %s: no JSON body", path);
    e2e_resp_clear(&r);
    return v;
}

char *e2e_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    char *out = malloc(strlen(s) * 3 + 1), *w = out;
    if (!out)
        return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p)) {
            *w++ = (char)*p;
        } else {
            *w++ = '%';
            *w++ = hex[*p >> 4];
            *w++ = hex[*p & 15];
        }
    }
    *w = '\0';
    return out;
}
