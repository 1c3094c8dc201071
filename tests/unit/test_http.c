/* test_http.c - unit tests of the agent HTTP server over real sockets: methods, limits, auth. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <crypt.h>
#include <cmocka.h>
#include "http.h"
#include "selfmetrics.h"

#define LOOPBACK	"127.0.0.1:0"
#define METRICS_BODY	"cgoscope_up 1\n"
#define METRICS_TYPE	"text/plain; version=0.0.4; charset=utf-8"
#define GET_METRICS	"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
#define GET_HEALTHZ	"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
#define RECV_TIMEOUT_MS 3000
#define BUF_LEN		(128 * 1024)
/* "alice:s3cret" */
#define GOOD_AUTH "Authorization: Basic YWxpY2U6czNjcmV0\r\n"
/* "alice:wrong" */
#define BAD_AUTH "Authorization: Basic YWxpY2U6d3Jvbmc=\r\n"

static int handler_calls;

/* /metrics: 200 text; /healthz: 200 "ok"; /fail: -EIO; anything else 404. */
static int fake_handler(const struct http_request *req, void *ctx, struct http_response *resp)
{
	const char *body = "not found\n", *path = req->path;

	handler_calls++;
	assert_ptr_equal(ctx, &handler_calls);
	if (!strcmp(path, "/fail")) {
		resp->body = strdup("half written"); /* must be freed by the server */
		return -EIO;
	}
	resp->status = 404;
	resp->content_type = NULL;
	if (!strcmp(path, "/metrics")) {
		resp->status = 200;
		resp->content_type = METRICS_TYPE;
		body = METRICS_BODY;
	} else if (!strcmp(path, "/healthz")) {
		resp->status = 200;
		body = "ok\n";
	}
	resp->body = strdup(body);
	resp->len = strlen(body);
	return resp->body ? 0 : -ENOMEM;
}

static struct http_server *start(struct http_opts *opts)
{
	struct http_server *srv = NULL;

	if (!opts->listen)
		opts->listen = LOOPBACK;
	assert_int_equal(http__start(opts, fake_handler, &handler_calls, &srv), 0);
	assert_non_null(srv);
	assert_true(http__port(srv) > 0);
	return srv;
}

static struct http_server *start_default(void)
{
	struct http_opts opts = { 0 };

	return start(&opts);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A connected TCP socket to the loopback address of family af, or -1. */
static int dial_af(int af, int port)
{
	struct timeval tv = { RECV_TIMEOUT_MS / 1000, (RECV_TIMEOUT_MS % 1000) * 1000 };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (af == AF_INET6) {
		sin6.sin6_addr = in6addr_loopback;
		ok = connect(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	} else {
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	}
	if (!ok) {
		close(fd);
		return -1;
	}
	return fd;
}

static int dial(int port)
{
	int fd = dial_af(AF_INET, port);

	if (fd < 0)
		fail_msg("connect to 127.0.0.1:%d: %s", port, strerror(errno));
	return fd;
}

/* Sends all of req (len bytes); false when the peer is gone. */
static bool send_all(int fd, const char *req, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, req, len, MSG_NOSIGNAL);
		if (n <= 0)
			return false;
		req += n;
		len -= n;
	}
	return true;
}

/* Whether the last recv_all() ended because the server closed (not a timeout). */
static bool closed_by_server;

/* Reads until EOF, error or timeout into buf (NUL-terminated). Returns the bytes read. */
static size_t recv_all(int fd, char *buf, size_t cap)
{
	size_t len = 0;
	ssize_t n = 0;

	while (len + 1 < cap && (n = recv(fd, buf + len, cap - 1 - len, 0)) > 0)
		len += n;
	buf[len] = '\0';
	closed_by_server = n == 0 || (n < 0 && errno == ECONNRESET);
	return len;
}

/* One request on a fresh connection; the response (until close) in buf. */
static size_t exchange_af(int af, int port, const char *req, size_t req_len, char *buf, size_t cap)
{
	int fd = af == AF_INET ? dial(port) : dial_af(af, port);
	size_t n = 0;

	assert_true(fd >= 0);
	if (send_all(fd, req, req_len))
		n = recv_all(fd, buf, cap);
	else
		buf[0] = '\0';
	close(fd);
	return n;
}

static size_t exchange(int port, const char *req, char *buf, size_t cap)
{
	return exchange_af(AF_INET, port, req, strlen(req), buf, cap);
}

/* The status code of an HTTP/1.x response, or -1. */
static int status_of(const char *resp)
{
	int status;

	if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	return status;
}

/* The body after the blank line, or NULL. */
static const char *body_of(const char *resp)
{
	const char *p = strstr(resp, "\r\n\r\n");

	return p ? p + 4 : NULL;
}

/* Whether the header block of resp has the line "name: value" (name case-insensitive). */
static bool has_header(const char *resp, const char *name, const char *value)
{
	const char *end = strstr(resp, "\r\n\r\n"), *p = resp;
	size_t nlen = strlen(name), vlen = strlen(value);

	while (p && (p = strstr(p, "\r\n")) && p < end) {
		p += 2;
		if (!strncasecmp(p, name, nlen) && p[nlen] == ':' && p[nlen + 1] == ' ' &&
		    !strncmp(p + nlen + 2, value, vlen) && p[nlen + 2 + vlen] == '\r')
			return true;
	}
	return false;
}

static char *get(int port, const char *path, const char *extra)
{
	char *buf = malloc(BUF_LEN), req[512];

	assert_non_null(buf);
	snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n",
		 path, extra ? extra : "");
	exchange(port, req, buf, BUF_LEN);
	return buf;
}

/* GET path (with extra header lines) answers want. */
static void expect_status(int port, const char *path, const char *extra, int want)
{
	char *resp = get(port, path, extra);

	if (status_of(resp) != want)
		fail_msg("GET %s: want %d, got:\n%s", path, want, resp);
	free(resp);
}

static void expect_metrics(int port)
{
	char *resp = get(port, "/metrics", NULL);

	assert_int_equal(status_of(resp), 200);
	assert_string_equal(body_of(resp), METRICS_BODY);
	free(resp);
}

static void test_parse_listen(void **state)
{
	static const struct {
		const char *in;
		int af; /* 0: -EINVAL */
		const char *addr;
		int port;
	} cases[] = {
		{ ":10247", AF_INET6, "::", 10247 },
		{ "127.0.0.1:0", AF_INET, "127.0.0.1", 0 },
		{ "0.0.0.0:65535", AF_INET, "0.0.0.0", 65535 },
		{ "[::1]:80", AF_INET6, "::1", 80 },
		{ "[::]:9100", AF_INET6, "::", 9100 },
		{ "[::ffff:10.0.0.1]:1", AF_INET6, "::ffff:10.0.0.1", 1 },
		{ "localhost:1", AF_INET, "127.0.0.1", 1 }, /* the one name, never resolved */
		{ "LOCALHOST:1", 0, NULL, 0 }, /* other names are not resolved */
		{ "example.com:80", 0, NULL, 0 },
		{ "127.0.0.1:65536", 0, NULL, 0 }, /* bad ports */
		{ "127.0.0.1:-1", 0, NULL, 0 },
		{ "127.0.0.1:+80", 0, NULL, 0 },
		{ "127.0.0.1:8o", 0, NULL, 0 },
		{ "127.0.0.1: 80", 0, NULL, 0 },
		{ "127.0.0.1:000080", 0, NULL, 0 },
		{ "127.0.0.1:", 0, NULL, 0 }, /* missing port */
		{ ":", 0, NULL, 0 },
		{ "", 0, NULL, 0 }, /* empty */
		{ "10247", 0, NULL, 0 }, /* missing colon */
		{ "127.0.0.1", 0, NULL, 0 },
		{ "[::1]", 0, NULL, 0 }, /* brackets without port */
		{ "::1:80", 0, NULL, 0 }, /* IPv6 without brackets */
		{ "[::1:80", 0, NULL, 0 },
		{ "[]:80", 0, NULL, 0 },
		{ "[127.0.0.1]:80", 0, NULL, 0 },
		{ "[fe80::1%eth0]:80", 0, NULL, 0 }, /* zone ids need a lookup */
		{ "1.2.3:80", 0, NULL, 0 },
		{ "256.1.1.1:80", 0, NULL, 0 },
		{ " 127.0.0.1:80", 0, NULL, 0 },
	};
	struct sockaddr_storage ss;
	char addr[INET6_ADDRSTRLEN];
	socklen_t len;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err = http__parse_listen(cases[i].in, &ss, &len);

		if (!cases[i].af) {
			if (err != -EINVAL)
				fail_msg("\"%s\": want -EINVAL, got %d", cases[i].in, err);
			continue;
		}
		if (err)
			fail_msg("\"%s\": want 0, got %d", cases[i].in, err);
		assert_int_equal(ss.ss_family, cases[i].af);
		if (cases[i].af == AF_INET) {
			struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

			assert_int_equal(len, sizeof(*sin));
			assert_int_equal(ntohs(sin->sin_port), cases[i].port);
			inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
		} else {
			struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

			assert_int_equal(len, sizeof(*sin6));
			assert_int_equal(ntohs(sin6->sin6_port), cases[i].port);
			inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
		}
		assert_string_equal(addr, cases[i].addr);
	}
	assert_int_equal(http__parse_listen(NULL, &ss, &len), -EINVAL);
	assert_int_equal(http__parse_listen(":80", NULL, &len), -EINVAL);
	assert_int_equal(http__parse_listen(":80", &ss, NULL), -EINVAL);
}

static void test_get(void **state)
{
	struct http_server *srv = start_default();
	unsigned long long requests, errors;
	char *resp = get(http__port(srv), "/metrics?x=1", NULL);

	assert_int_equal(status_of(resp), 200);
	assert_string_equal(body_of(resp), METRICS_BODY);
	assert_true(has_header(resp, "Content-Type", METRICS_TYPE));
	assert_true(has_header(resp, "Content-Length", "14"));
	assert_true(has_header(resp, "X-Content-Type-Options", "nosniff"));
	assert_true(has_header(resp, "Cache-Control", "no-store"));
	free(resp);
	resp = get(http__port(srv), "/nope", NULL);
	assert_int_equal(status_of(resp), 404);
	assert_string_equal(body_of(resp), "not found\n");
	assert_true(has_header(resp, "Content-Type", HTTP_TEXT));
	assert_true(has_header(resp, "X-Content-Type-Options", "nosniff"));
	free(resp);
	http__stats(srv, &requests, &errors);
	assert_int_equal(requests, 2);
	assert_int_equal(errors, 0);
	http__stop(srv);
}

/* Two requests on one connection: the server keeps HTTP/1.1 connections alive. */
static void test_keep_alive(void **state)
{
	static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
				  "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct http_server *srv = start_default();
	char *buf = malloc(BUF_LEN);
	const char *second;

	assert_non_null(buf);
	exchange(http__port(srv), req, buf, BUF_LEN);
	assert_int_equal(status_of(buf), 200);
	second = strstr(buf, METRICS_BODY "HTTP/1.1 ");
	assert_non_null(second);
	second += strlen(METRICS_BODY);
	assert_int_equal(status_of(second), 200);
	assert_string_equal(body_of(second), "ok\n");
	free(buf);
	http__stop(srv);
}

static void test_head(void **state)
{
	struct http_server *srv = start_default();
	char buf[4096];

	exchange(http__port(srv), "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		 buf, sizeof(buf));
	assert_int_equal(status_of(buf), 200);
	assert_true(has_header(buf, "Content-Length", "14"));
	assert_non_null(body_of(buf));
	assert_string_equal(body_of(buf), "");
	http__stop(srv);
}

static void test_methods(void **state)
{
	static const char *const reqs[] = {
		"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: "
		"close\r\n\r\nabc",
		"POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"PUT /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: "
		"close\r\n\r\n",
		"DELETE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
	};
	struct http_server *srv = start_default();
	char buf[4096];
	size_t i;

	handler_calls = 0;
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		exchange(http__port(srv), reqs[i], buf, sizeof(buf));
		if (status_of(buf) != 405)
			fail_msg("request %zu: want 405, got:\n%s", i, buf);
		assert_true(has_header(buf, "Allow", "GET, HEAD"));
	}
	assert_int_equal(handler_calls, 0);
	expect_metrics(http__port(srv));
	http__stop(srv);
}

static void test_body_refused(void **state)
{
	static const char *const reqs[] = {
		"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
		"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
		"5\r\nhello\r\n0\r\n\r\n",
	};
	struct http_server *srv = start_default();
	char buf[4096];
	size_t i;

	handler_calls = 0;
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		/* no Connection: close: the server must close by itself after refusing */
		exchange(http__port(srv), reqs[i], buf, sizeof(buf));
		if (status_of(buf) != 413)
			fail_msg("request %zu: want 413, got:\n%s", i, buf);
	}
	assert_int_equal(handler_calls, 0);
	/* an empty body is no body */
	free(get(http__port(srv), "/metrics", "Content-Length: 0\r\n"));
	assert_int_equal(handler_calls, 1);
	http__stop(srv);
}

static void test_handler_error(void **state)
{
	struct http_server *srv = start_default();
	unsigned long long requests, errors;
	char *resp = get(http__port(srv), "/fail", NULL);

	assert_int_equal(status_of(resp), 500);
	assert_true(has_header(resp, "Cache-Control", "no-store"));
	assert_null(strstr(resp, "half written"));
	free(resp);
	http__stats(srv, &requests, &errors);
	assert_int_equal(requests, 1);
	assert_int_equal(errors, 1);
	expect_metrics(http__port(srv));
	http__stats(srv, &requests, NULL);
	http__stats(NULL, &requests, &errors);
	assert_int_equal(requests, 0);
	http__stop(srv);
}

static void test_huge_headers(void **state)
{
	struct http_server *srv = start_default();
	size_t cap = 80 * 1024, len, i;
	char *req = malloc(cap), *buf = malloc(BUF_LEN);
	int status;

	assert_non_null(req);
	assert_non_null(buf);
	len = sprintf(req, "GET /metrics HTTP/1.1\r\nHost: x\r\n");
	for (i = 0; len < 64 * 1024; i++)
		len += sprintf(req + len, "X-Filler-%zu: %0990d\r\n", i, 0);
	len += sprintf(req + len, "Connection: close\r\n\r\n");
	exchange_af(AF_INET, http__port(srv), req, len, buf, BUF_LEN);
	status = status_of(buf);
	/* refused (431 or 413 by the MHD version) or dropped, never served */
	if (status != -1 && status != 431 && status != 413 && status != 400)
		fail_msg("64 KiB of headers: got %d", status);
	/* one header line longer than the whole connection memory */
	len = sprintf(req, "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Long: ");
	memset(req + len, 'a', 64 * 1024);
	len += 64 * 1024;
	len += sprintf(req + len, "\r\nConnection: close\r\n\r\n");
	exchange_af(AF_INET, http__port(srv), req, len, buf, BUF_LEN);
	status = status_of(buf);
	if (status != -1 && status != 431 && status != 413 && status != 400)
		fail_msg("64 KiB header line: got %d", status);
	expect_metrics(http__port(srv));
	free(req);
	free(buf);
	http__stop(srv);
}

/* Garbage gets a 400 or a close (at the latest when idle for timeout_s), and no crash. */
static void test_garbage(void **state)
{
	static const char garbage[] = "\x00\xff\r\n\r\n";
	struct http_opts opts = { .timeout_s = 1 };
	struct http_server *srv = start(&opts);
	char buf[4096];
	double t0 = now_s();
	int status;

	exchange_af(AF_INET, http__port(srv), garbage, sizeof(garbage) - 1, buf, sizeof(buf));
	status = status_of(buf);
	if (status != -1 && status != 400)
		fail_msg("garbage: got %d", status);
	if (!closed_by_server)
		fail_msg("garbage: connection still open after %.1fs", now_s() - t0);
	exchange(http__port(srv), "GARBAGE\r\n\r\n", buf, sizeof(buf));
	status = status_of(buf);
	if (status != -1 && status != 400 && status != 505)
		fail_msg("request line without URI: got %d", status);
	assert_true(closed_by_server);
	expect_metrics(http__port(srv));
	http__stop(srv);
}

/* Polls until the server has exactly want connections open; fails after 5 s. */
static void wait_open(struct http_server *srv, unsigned int want)
{
	struct http_conn_stats st;
	double t0 = now_s();

	do {
		http__conn_stats(srv, &st);
		if (st.open == want)
			return;
		usleep(10 * 1000);
	} while (now_s() - t0 < 5);
	fail_msg("%u connections open after 5 s, want %u", st.open, want);
}

/*
 * Polls until the server has evicted at least want connections for the
 * limit (connections still in the accept queue are not counted yet when the
 * open ones first reach the limit); fails after 5 s.
 */
static void wait_evicted(struct http_server *srv, unsigned long want)
{
	struct http_conn_stats st;
	double t0 = now_s();

	do {
		http__conn_stats(srv, &st);
		if (st.evicted_limit >= want)
			return;
		usleep(10 * 1000);
	} while (now_s() - t0 < 5);
	fail_msg("%lu connections evicted after 5 s, want %lu", (unsigned long)st.evicted_limit,
		 want);
}

/* Whether the server has closed fd, or does within 200 ms (an open one stays silent). */
static bool closed_soon(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	char c;

	if (poll(&p, 1, 200) <= 0)
		return false;
	return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

/* Whether the server closed fd (EOF or reset) within RECV_TIMEOUT_MS. */
static bool closed_by_peer(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, 0);

	return n == 0 || (n < 0 && errno == ECONNRESET);
}

/*
 * More idle connections than max_conns (all from one address): a newcomer
 * evicts the oldest idle one; a fresh GET is served at once, and the open
 * ones never exceed the limit for long.
 */
static void test_conn_limit(void **state)
{
	struct http_opts opts = { .max_conns = 16, .per_ip_conns = 200, .timeout_s = 30 };
	struct http_server *srv = start(&opts);
	int idle[24], port = http__port(srv);
	struct http_conn_stats st;
	char *resp;
	size_t i;

	for (i = 0; i < 16; i++)
		idle[i] = dial(port);
	wait_open(srv, 16);
	for (; i < 24; i++) /* each evicts the oldest idle one */
		idle[i] = dial(port);
	wait_evicted(srv, 8);
	wait_open(srv, 16);
	resp = get(port, "/metrics", NULL);
	assert_int_equal(status_of(resp), 200);
	free(resp);
	/*
	 * Which ones went depends on the order the server's threads accepted
	 * them in: count them (the GET's connection took one more place).
	 */
	wait_evicted(srv, 9);
	http__conn_stats(srv, &st);
	assert_int_equal(st.refused, 0);
	size_t gone = 0;

	for (i = 0; i < 24; i++)
		gone += closed_soon(idle[i]);
	assert_int_equal(gone, st.evicted_limit);
	for (i = 0; i < 24; i++)
		close(idle[i]);
	http__stop(srv);
}

/* A lone client is not pushed out by a crowd from another address. */
static void test_conn_fair_share(void **state)
{
	struct http_opts opts = { .max_conns = 8, .per_ip_conns = 200, .timeout_s = 30 };
	struct http_server *srv = start(&opts);
	struct sockaddr_in from = { .sin_family = AF_INET }, to = { .sin_family = AF_INET };
	int crowd[16], port = http__port(srv), lone = socket(AF_INET, SOCK_STREAM, 0);
	struct http_conn_stats st;
	size_t i;

	/* the lone client from 127.0.0.2, the crowd from 127.0.0.1 */
	from.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.sin_port = htons(port);
	assert_true(lone >= 0);
	assert_int_equal(bind(lone, (struct sockaddr *)&from, sizeof(from)), 0);
	assert_int_equal(connect(lone, (struct sockaddr *)&to, sizeof(to)), 0);
	wait_open(srv, 1);
	for (i = 0; i < 16; i++) /* each evicts the crowd's own oldest, never the lone one */
		crowd[i] = dial(port);
	wait_evicted(srv, 9);
	wait_open(srv, 8);
	http__conn_stats(srv, &st);
	assert_int_equal(st.evicted_limit, 9);
	send_all(lone, GET_HEALTHZ, strlen(GET_HEALTHZ));
	{
		char buf[4096];

		recv_all(lone, buf, sizeof(buf));
		assert_int_equal(status_of(buf), 200);
	}
	close(lone);
	for (i = 0; i < 16; i++)
		close(crowd[i]);
	http__stop(srv);
}

/* A client that sends its request slower than timeout_s is closed at the deadline. */
static void test_read_deadline(void **state)
{
	struct http_opts opts = { .timeout_s = 1 };
	struct http_server *srv = start(&opts);
	int fd = dial(http__port(srv));
	struct http_conn_stats st;
	double t0 = now_s();
	bool open = true;

	send_all(fd, "GET /metrics HTTP/1.1\r\n", 23);
	/* one header line every 300 ms: never idle for timeout_s, never done */
	while (open && now_s() - t0 < 5) {
		usleep(300 * 1000);
		open = send_all(fd, "X-Slow: 1\r\n", 11);
		http__conn_stats(srv, &st);
		open &= st.evicted_read == 0;
	}
	assert_true(closed_by_peer(fd));
	if (now_s() - t0 > 2.5)
		fail_msg("slow request closed after %.1fs, deadline 1 s", now_s() - t0);
	http__conn_stats(srv, &st);
	assert_int_equal(st.evicted_read, 1);
	close(fd);
	expect_metrics(http__port(srv));
	http__stop(srv);
}

static void test_per_ip_limit(void **state)
{
	struct http_opts opts = { .per_ip_conns = 4 };
	struct http_server *srv = start(&opts);
	int idle[4], port = http__port(srv), fd;
	char buf[4096];
	size_t i;

	for (i = 0; i < 4; i++)
		idle[i] = dial(port);
	wait_open(srv, 4); /* the server holds all 4 before the 5th comes */
	fd = dial(port); /* the kernel accepts; the server closes it at once */
	send_all(fd, GET_METRICS, strlen(GET_METRICS));
	recv_all(fd, buf, sizeof(buf));
	close(fd);
	assert_int_equal(status_of(buf), -1);
	for (i = 0; i < 4; i++)
		close(idle[i]);
	wait_open(srv, 0);
	expect_metrics(port);
	http__stop(srv);
}

static void test_basic_auth(void **state)
{
	struct http_opts opts = { .basic_user = "alice", .basic_pass = "s3cret" };
	struct http_server *srv = start(&opts);
	int port = http__port(srv);
	char *resp;

	handler_calls = 0;
	resp = get(port, "/metrics", NULL);
	assert_int_equal(status_of(resp), 401);
	assert_true(has_header(resp, "WWW-Authenticate", "Basic realm=\"" HTTP_REALM "\""));
	assert_null(strstr(resp, METRICS_BODY));
	free(resp);
	resp = get(port, "/metrics", BAD_AUTH);
	assert_int_equal(status_of(resp), 401);
	free(resp);
	/* user "alicex", right password */
	resp = get(port, "/metrics", "Authorization: Basic YWxpY2V4OnMzY3JldA==\r\n");
	assert_int_equal(status_of(resp), 401);
	free(resp);
	resp = get(port, "/metrics", "Authorization: Bearer s3cret\r\n");
	assert_int_equal(status_of(resp), 401);
	free(resp);
	assert_int_equal(handler_calls, 0);
	resp = get(port, "/metrics", GOOD_AUTH);
	assert_int_equal(status_of(resp), 200);
	assert_string_equal(body_of(resp), METRICS_BODY);
	free(resp);
	resp = get(port, "/healthz", NULL);
	assert_int_equal(status_of(resp), 200);
	assert_string_equal(body_of(resp), "ok\n");
	free(resp);
	/* only the exact path is open */
	resp = get(port, "/healthz/../metrics", NULL);
	assert_int_equal(status_of(resp), 401);
	free(resp);
	http__stop(srv);
}

/* cert.pem and key.pem in dir with openssl; false when there is no openssl. */
static bool make_cert(const char *dir)
{
	char cmd[1024];

	if (system("command -v openssl >/dev/null 2>&1") != 0)
		return false;
	snprintf(cmd, sizeof(cmd),
		 "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
		 "-keyout %s/key.pem -out %s/cert.pem -days 1 -subj /CN=localhost "
		 ">/dev/null 2>&1",
		 dir, dir);
	assert_int_equal(system(cmd), 0);
	return true;
}

static void test_tls(void **state)
{
	char dir[] = "/tmp/cgoscope-http-XXXXXX", cert[64], key[64], cmd[512], buf[4096];
	struct http_opts opts = { 0 };
	struct http_server *srv;
	size_t n;
	FILE *p;

	assert_non_null(mkdtemp(dir));
	if (!make_cert(dir)) {
		rmdir(dir);
		fprintf(stderr, "test_http: SKIPPING test_tls: openssl not found, cannot make a "
				"certificate\n");
		skip();
	}
	snprintf(cert, sizeof(cert), "%s/cert.pem", dir);
	snprintf(key, sizeof(key), "%s/key.pem", dir);
	opts.tls_cert = cert;
	opts.tls_key = key;
	srv = start(&opts);
	/* plain HTTP to the TLS port is not served */
	exchange(http__port(srv), GET_METRICS, buf, sizeof(buf));
	assert_null(strstr(buf, METRICS_BODY));
	assert_true(status_of(buf) == -1 || status_of(buf) == 400);
	/* a real handshake with openssl s_client */
	snprintf(cmd, sizeof(cmd),
		 "printf 'GET /metrics HTTP/1.0\\r\\n\\r\\n' | timeout 5 openssl s_client -quiet "
		 "-connect 127.0.0.1:%d 2>/dev/null",
		 http__port(srv));
	p = popen(cmd, "r");
	assert_non_null(p);
	n = fread(buf, 1, sizeof(buf) - 1, p);
	buf[n] = '\0';
	pclose(p);
	assert_int_equal(status_of(buf), 200);
	assert_string_equal(body_of(buf), METRICS_BODY);
	http__stop(srv);
	/* the private key cannot be used as a certificate */
	opts.tls_cert = key;
	assert_int_not_equal(http__start(&opts, fake_handler, NULL, &srv), 0);
	assert_null(srv);
	unlink(cert);
	unlink(key);
	rmdir(dir);
}

static void test_start_errors(void **state)
{
	struct http_opts opts = { .listen = LOOPBACK };
	struct http_server *srv = start_default(), *other = (struct http_server *)&opts;
	char listen[32];

	snprintf(listen, sizeof(listen), "127.0.0.1:%d", http__port(srv));
	opts.listen = listen;
	assert_int_equal(http__start(&opts, fake_handler, NULL, &other), -EADDRINUSE);
	assert_null(other);
	http__stop(srv);
	opts.listen = "localhost:0"; /* the one name accepted */
	assert_int_equal(http__start(&opts, fake_handler, &handler_calls, &other), 0);
	expect_metrics(http__port(other));
	http__stop(other);
	opts.listen = "example.com:0";
	assert_int_equal(http__start(&opts, fake_handler, NULL, &other), -EINVAL);
	opts.listen = NULL;
	assert_int_equal(http__start(&opts, fake_handler, NULL, &other), -EINVAL);
	opts.listen = LOOPBACK;
	assert_int_equal(http__start(&opts, NULL, NULL, &other), -EINVAL);
	assert_int_equal(http__start(NULL, fake_handler, NULL, &other), -EINVAL);
	opts.tls_cert = "/nonexistent/cert.pem";
	assert_int_equal(http__start(&opts, fake_handler, NULL, &other), -EINVAL);
	opts.tls_key = "/nonexistent/key.pem";
	assert_int_equal(http__start(&opts, fake_handler, NULL, &other), -ENOENT);
	opts.tls_cert = opts.tls_key = NULL;
	opts.basic_user = "alice";
	assert_int_equal(http__start(&opts, fake_handler, NULL, &other), -EINVAL);
	opts.basic_pass = "x";
	opts.basic_user = "al:ice";
	assert_int_equal(http__start(&opts, fake_handler, NULL, &other), -EINVAL);
	assert_int_equal(http__port(NULL), -EINVAL);
	http__stop(NULL);
}

/* ":0" is every address, IPv4 and IPv6; "[::1]:0" IPv6 loopback only. */
static void test_ipv6(void **state)
{
	struct http_opts opts = { .listen = ":0" };
	struct http_server *srv = start(&opts);
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	char buf[4096];

	expect_metrics(http__port(srv));
	if (fd < 0) {
		http__stop(srv);
		fprintf(stderr, "test_http: SKIPPING the IPv6 part of test_ipv6: no IPv6\n");
		skip();
	}
	close(fd);
	exchange_af(AF_INET6, http__port(srv), GET_HEALTHZ, strlen(GET_HEALTHZ), buf, sizeof(buf));
	assert_int_equal(status_of(buf), 200);
	http__stop(srv);
	opts.listen = "[::1]:0";
	srv = start(&opts);
	exchange_af(AF_INET6, http__port(srv), GET_HEALTHZ, strlen(GET_HEALTHZ), buf, sizeof(buf));
	assert_int_equal(status_of(buf), 200);
	assert_int_equal(dial_af(AF_INET, http__port(srv)), -1);
	http__stop(srv);
}

static void test_accepts_gzip(void **state)
{
	static const struct {
		const char *ae;
		bool gzip;
	} cases[] = {
		{ NULL, false },
		{ "", false },
		{ "gzip", true },
		{ "GZIP", true },
		{ "deflate, gzip;q=1.0, *;q=0.5", true },
		{ "gzip;q=0", false },
		{ "gzip; q=0, *", false },
		{ "*", true },
		{ "*;q=0", false },
		{ "identity", false },
		{ "x-gzip", true },
		{ "gzipx", false },
		{ "br,gzip", true },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (http__accepts_gzip(cases[i].ae) != cases[i].gzip)
			fail_msg("Accept-Encoding %s: want %d", cases[i].ae ? cases[i].ae : "(none)",
				 cases[i].gzip);
}

/* RFC answers: HTTP/1.1 without Host 400 (HTTP/1.0 served), a target beyond HTTP_MAX_URI 414. */
static void test_bad_requests(void **state)
{
	struct http_server *srv = start_default();
	char buf[4096], *req, *resp;
	size_t len;

	handler_calls = 0;
	exchange(http__port(srv), "GET /metrics HTTP/1.1\r\nConnection: close\r\n\r\n", buf,
		 sizeof(buf));
	assert_int_equal(status_of(buf), 400);
	exchange(http__port(srv), "GET /metrics HTTP/1.0\r\n\r\n", buf, sizeof(buf));
	assert_int_equal(status_of(buf), 200);
	req = malloc(HTTP_MAX_URI + 100);
	assert_non_null(req);
	len = sprintf(req, "/metrics?x=");
	memset(req + len, 'a', HTTP_MAX_URI);
	req[len + HTTP_MAX_URI] = '\0';
	resp = malloc(BUF_LEN);
	assert_non_null(resp);
	snprintf(resp, BUF_LEN, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", req);
	exchange(http__port(srv), resp, buf, sizeof(buf));
	assert_int_equal(status_of(buf), 414);
	assert_int_equal(handler_calls, 1);
	free(req);
	free(resp);
	http__stop(srv);
}

/* A bcrypt hash of pass at the lowest cost (fast tests); static storage. */
static const char *bcrypt_of(const char *pass)
{
	static char hashes[2][CRYPT_OUTPUT_SIZE];
	static int next;
	char salt[64];
	struct crypt_data cd = { 0 };
	char *h = hashes[next++ % 2];

	assert_non_null(crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt)));
	assert_non_null(crypt_r(pass, salt, &cd));
	snprintf(h, CRYPT_OUTPUT_SIZE, "%s", cd.output);
	return h;
}

/* Users with bcrypt hashes (the web config's), swapped by http__reload(). */
static void test_bcrypt_users(void **state)
{
	struct http_user users[2] = { { .name = "bob", .hash = bcrypt_of("hunter2") },
				      { .name = "alice", .hash = bcrypt_of("s3cret") } };
	struct http_opts opts = { .users = users, .nusers = 2 };
	struct http_server *srv = start(&opts);
	int port = http__port(srv), i;

	for (i = 0; i < 2; i++) /* the second from the cache of passed credentials */
		expect_status(port, "/metrics", GOOD_AUTH, 200);
	expect_status(port, "/metrics", BAD_AUTH, 401);
	/* user "alicex": unknown */
	expect_status(port, "/metrics", "Authorization: Basic YWxpY2V4OnMzY3JldA==\r\n", 401);
	/* reloaded without alice: her cached login is gone too */
	opts.nusers = 1;
	assert_int_equal(http__reload(srv, &opts), 0);
	expect_status(port, "/metrics", GOOD_AUTH, 401);
	/* a bad hash: refused, the old users stay */
	users[1].hash = "not-a-hash";
	opts.nusers = 2;
	assert_int_equal(http__reload(srv, &opts), -EINVAL);
	expect_status(port, "/healthz", NULL, 200);
	/* bob:hunter2 */
	expect_status(port, "/metrics", "Authorization: Basic Ym9iOmh1bnRlcjI=\r\n", 200);
	http__stop(srv);
	assert_int_not_equal(http__start(&opts, fake_handler, NULL, &srv), 0);
}

/* The server's counters as the agent exports them (selfmetrics.c). */
static void test_self_metrics(void **state)
{
	struct http_server *srv = start_default();
	struct selfmetrics_src src = { .srv = srv, .renders = 3, .live_bytes = 42 };
	char *text = strdup("cgoscope_up 1\n");
	size_t len = strlen(text);

	expect_status(http__port(srv), "/metrics", NULL, 200);
	expect_status(http__port(srv), "/nope", NULL, 404);
	expect_status(http__port(srv), "/nope", NULL, 404);
	assert_int_equal(selfmetrics__append(&src, &text, &len), 0);
	assert_int_equal(strlen(text), len);
	assert_true(!strncmp(text, "cgoscope_up 1\n# HELP process_cpu_seconds_total ", 46));
	assert_non_null(strstr(text, "\ncgoscope_http_requests_total{handler=\"other\",code=\"200\"} 1\n"));
	assert_non_null(strstr(text, "\ncgoscope_http_requests_total{handler=\"other\",code=\"404\"} 2\n"));
	assert_non_null(strstr(text, "\n# TYPE process_resident_memory_bytes gauge\n"));
	assert_non_null(strstr(text, "\nprocess_open_fds "));
	assert_non_null(strstr(text, "\ncgoscope_http_renders_total 3\n"));
	assert_non_null(strstr(text, "\ncgoscope_http_render_live_bytes 42\n"));
	assert_non_null(strstr(text, "\ncgoscope_http_connections_closed_total{reason=\"limit\"} 0\n"));
	assert_null(strstr(text, "nan"));
	free(text);
	http__stop(srv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_listen),  cmocka_unit_test(test_get),
		cmocka_unit_test(test_keep_alive),    cmocka_unit_test(test_head),
		cmocka_unit_test(test_methods),	      cmocka_unit_test(test_body_refused),
		cmocka_unit_test(test_handler_error), cmocka_unit_test(test_huge_headers),
		cmocka_unit_test(test_garbage),	      cmocka_unit_test(test_conn_limit),
		cmocka_unit_test(test_per_ip_limit),  cmocka_unit_test(test_basic_auth),
		cmocka_unit_test(test_tls),	      cmocka_unit_test(test_start_errors),
		cmocka_unit_test(test_ipv6),	      cmocka_unit_test(test_read_deadline),
		cmocka_unit_test(test_accepts_gzip),  cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_bcrypt_users),  cmocka_unit_test(test_self_metrics),
		cmocka_unit_test(test_conn_fair_share),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
