/* http.h - the HTTP(S) server of `cgoscope agent`: libmicrohttpd, GET/HEAD only, bounded. */
#ifndef CGOSCOPE_HTTP_H
#define CGOSCOPE_HTTP_H

#include <stddef.h>
#include <sys/socket.h>

#define HTTP_DEFAULT_MAX_CONNS	  64
#define HTTP_DEFAULT_PER_IP_CONNS 16
#define HTTP_DEFAULT_TIMEOUT_S	  10
#define HTTP_CONN_MEMORY	  (32 * 1024) /* per connection; larger request headers get 431 */
#define HTTP_TEXT		  "text/plain; charset=utf-8"
#define HTTP_REALM		  "cgoscope"

/* One response: body is malloc'd by the handler and freed by the server. */
struct http_response {
	int status; /* 200, 404, ... */
	const char *content_type; /* static string; NULL: HTTP_TEXT */
	char *body; /* NULL when len is 0 */
	size_t len;
};

/*
 * Called for every complete GET/HEAD request on the server's thread (one
 * thread serves every connection: keep it short); path is the decoded path
 * without the query string. Must fill resp. Returns 0, or -errno for a 500
 * (a body set before failing is freed by the server). For HEAD the server
 * sends the headers of the same response without its body.
 */
typedef int (*http_handler_fn)(const char *path, void *ctx, struct http_response *resp);

struct http_opts {
	const char *listen; /* "host:port", ":port", "[::1]:port"; port 0 = ephemeral */
	unsigned int max_conns; /* connection limit (default 64 when 0) */
	unsigned int per_ip_conns; /* per-IP limit (default 16 when 0) */
	unsigned int timeout_s; /* idle connection timeout (default 10 when 0) */
	const char *tls_cert; /* PEM file paths; both set = HTTPS */
	const char *tls_key;
	/* both set = HTTP basic auth required on every path except /healthz */
	const char *basic_user;
	const char *basic_pass;
};

struct http_server;

/*
 * Starts serving opts->listen with one internal epoll thread. Only GET and
 * HEAD reach fn: other methods get 405 (with Allow), requests with a body
 * 413, headers beyond HTTP_CONN_MEMORY 431, bad credentials 401 (with
 * WWW-Authenticate). Every response carries X-Content-Type-Options: nosniff
 * and Cache-Control: no-store. Copies what it needs from opts (the PEM files
 * are read here). On success *out owns the server (http__stop() frees it).
 * Returns 0 or -errno (-EINVAL for a bad listen address or a half-given
 * TLS/auth pair, -ENOTSUP without TLS support, the errno of reading the PEM
 * files or of bind()), after printing "cgoscope: cannot listen on %s: %s".
 */
int http__start(const struct http_opts *opts, http_handler_fn fn, void *ctx,
		struct http_server **out);

/* The bound port (useful with port 0), or -EINVAL for a NULL srv. */
int http__port(const struct http_server *srv);

/*
 * Requests handled since start (every request that reached the server's
 * checks, whatever its status) and errors among them (answered 5xx, or not
 * answered because a response could not be built). Either pointer may be NULL.
 */
void http__stats(const struct http_server *srv, unsigned long long *requests,
		 unsigned long long *errors);

/* Stops the thread, closes every socket and frees srv. NULL ok. */
void http__stop(struct http_server *srv);

/*
 * Parses a listen address into *ss and *len (pure). Accepted: "A.B.C.D:port",
 * "[IPv6]:port", and ":port" (every address: IPv6 any, which http__start()
 * opens dual-stack, falling back to IPv4 any without IPv6). Hosts must be
 * numeric: names such as "localhost" are not resolved (-EINVAL), and so are
 * IPv6 zone ids. port is decimal 0..65535 (0: the kernel picks one).
 * Returns 0 or -EINVAL (NULL arguments, empty, missing colon or port, bad host).
 */
int http__parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len);

#endif /* CGOSCOPE_HTTP_H */
