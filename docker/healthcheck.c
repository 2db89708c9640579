/* postd-health: the container's HEALTHCHECK probe. The runtime image has no curl
 * and no shell is needed: this program makes one HTTP/1.0 GET to postd's
 * /healthz over loopback and exits 0 when the answer's status is 200, 1 when it
 * is anything else or nothing came in time, 2 on a usage error. Only libc.
 *
 *   postd-health [URL]        URL is http://HOST[:PORT][/PATH]
 *
 * Without URL the port comes from $POSTD_LISTEN (ADDR:PORT, as postd reads it; a
 * wildcard address is probed on loopback), else 8080, and the path is /healthz.
 * The whole probe is bounded by a deadline (3 s, or $POSTD_HEALTH_TIMEOUT seconds)
 * so that a wedged server makes the check fail rather than hang. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { EXIT_HEALTHY = 0, EXIT_UNHEALTHY = 1, EXIT_USAGE = 2 };

struct target {
    char host[256];
    char port[8];
    char path[1024];
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before deadline, never negative. */
static int left_ms(long long deadline)
{
    long long left = deadline - now_ms();

    return left > 0 ? (int)left : 0;
}

static int copy_str(char *dst, size_t cap, const char *src, size_t len)
{
    if (len == 0 || len >= cap)
        return -1;
    memcpy(dst, src, len);
    dst[len] = '\0';
    return 0;
}

static int port_ok(const char *p)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(p, &end, 10);
    return errno == 0 && *p && !*end && v > 0 && v <= 65535;
}

/* Parses http://HOST[:PORT][/PATH]; HOST may be [IPv6]. */
static int parse_url(const char *url, struct target *t)
{
    const char *p, *host, *host_end, *port = NULL, *port_end = NULL;

    if (strncmp(url, "http://", 7) != 0)
        return -1;
    p = url + 7;
    if (*p == '[') {
        host = p + 1;
        host_end = strchr(host, ']');
        if (!host_end)
            return -1;
        p = host_end + 1;
    } else {
        host = p;
        host_end = p + strcspn(p, ":/");
        p = host_end;
    }
    if (copy_str(t->host, sizeof t->host, host, (size_t)(host_end - host)) != 0)
        return -1;
    if (*p == ':') {
        port = p + 1;
        port_end = port + strcspn(port, "/");
        p = port_end;
    }
    if (port) {
        if (copy_str(t->port, sizeof t->port, port, (size_t)(port_end - port)) != 0)
            return -1;
    } else {
        strcpy(t->port, "80");
    }
    if (!port_ok(t->port))
        return -1;
    if (*p == '\0')
        p = "/";
    if (*p != '/' || copy_str(t->path, sizeof t->path, p, strlen(p)) != 0)
        return -1;
    return 0;
}

/* The default target: loopback, the port of $POSTD_LISTEN, /healthz. */
static int target_from_env(struct target *t)
{
    const char *listen = getenv("POSTD_LISTEN");
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    int v6 = listen && listen[0] == '[';

    strcpy(t->host, v6 ? "::1" : "127.0.0.1");
    strcpy(t->path, "/healthz");
    if (!colon) {
        strcpy(t->port, "8080");
        return 0;
    }
    if (copy_str(t->port, sizeof t->port, colon + 1, strlen(colon + 1)) != 0 || !port_ok(t->port))
        return -1;
    return 0;
}

/* Connects to one address before the deadline; returns the socket or -1. */
static int connect_one(const struct addrinfo *ai, long long deadline)
{
    struct pollfd pfd;
    int fd, err = 0;
    socklen_t len = sizeof err;

    fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0)
        return -1;
    if (fcntl(fd, F_SETFL, O_NONBLOCK) != 0)
        goto fail;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS)
            goto fail;
        pfd.fd = fd;
        pfd.events = POLLOUT;
        if (poll(&pfd, 1, left_ms(deadline)) != 1)
            goto fail;
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0)
            goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

/* Waits until fd is ready for events, or the deadline passes (-1). */
static int wait_fd(int fd, short events, long long deadline)
{
    struct pollfd pfd = {.fd = fd, .events = events};
    int n;

    do {
        n = poll(&pfd, 1, left_ms(deadline));
    } while (n < 0 && errno == EINTR);
    return n == 1 ? 0 : -1;
}

/* Sends the request and reads the status line. Returns the status or -1. */
static int http_status(int fd, const struct target *t, long long deadline)
{
    char req[1400], buf[256];
    size_t got = 0, sent = 0, req_len;
    int n, status;
    ssize_t w, r;

    n = snprintf(req, sizeof req,
                 "GET %s HTTP/1.0\r\nHost: %s:%s\r\nUser-Agent: postd-health\r\n"
                 "Connection: close\r\n\r\n",
                 t->path, t->host, t->port);
    if (n < 0 || (size_t)n >= sizeof req)
        return -1;
    req_len = (size_t)n;
    while (sent < req_len) {
        if (wait_fd(fd, POLLOUT, deadline) != 0)
            return -1;
        w = send(fd, req + sent, req_len - sent, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (w > 0)
            sent += (size_t)w;
    }
    /* "HTTP/1.1 200 OK\r\n": the first line is all that is needed. */
    while (got < sizeof buf - 1 && !memchr(buf, '\n', got)) {
        if (wait_fd(fd, POLLIN, deadline) != 0)
            return -1;
        r = recv(fd, buf + got, sizeof buf - 1 - got, 0);
        if (r == 0)
            break;
        if (r < 0 && errno != EAGAIN && errno != EINTR)
            return -1;
        if (r > 0)
            got += (size_t)r;
    }
    buf[got] = '\0';
    if (sscanf(buf, "HTTP/1.%*[01] %3d", &status) != 1)
        return -1;
    return status;
}

int main(int argc, char **argv)
{
    struct target t;
    struct addrinfo hints = {0}, *res = NULL, *ai;
    const char *tmo = getenv("POSTD_HEALTH_TIMEOUT");
    long long deadline;
    int fd = -1, status = -1, rc, seconds = 3;

    if (argc > 2 || (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")))) {
        fprintf(stderr,
                "usage: %s [http://HOST[:PORT][/PATH]]\n"
                "exits 0 when GET answers 200 (default: loopback, the port of "
                "$POSTD_LISTEN, /healthz)\n",
                argv[0]);
        return EXIT_USAGE;
    }
    if (tmo && atoi(tmo) > 0)
        seconds = atoi(tmo);
    if (argc == 2 ? parse_url(argv[1], &t) : target_from_env(&t)) {
        fprintf(stderr, "postd-health: bad %s\n", argc == 2 ? "URL" : "POSTD_LISTEN");
        return EXIT_USAGE;
    }
    deadline = now_ms() + seconds * 1000LL;

    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    rc = getaddrinfo(t.host, t.port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "postd-health: %s: %s\n", t.host, gai_strerror(rc));
        return EXIT_UNHEALTHY;
    }
    for (ai = res; ai && fd < 0 && left_ms(deadline) > 0; ai = ai->ai_next)
        fd = connect_one(ai, deadline);
    freeaddrinfo(res);
    if (fd < 0) {
        fprintf(stderr, "postd-health: cannot connect to %s port %s\n", t.host, t.port);
        return EXIT_UNHEALTHY;
    }
    status = http_status(fd, &t, deadline);
    close(fd);
    if (status != 200) {
        if (status < 0)
            fprintf(stderr, "postd-health: no HTTP answer from %s port %s in %d s\n", t.host,
                    t.port, seconds);
        else
            fprintf(stderr, "postd-health: %s answered %d\n", t.path, status);
        return EXIT_UNHEALTHY;
    }
    return EXIT_HEALTHY;
}
