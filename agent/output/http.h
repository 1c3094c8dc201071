/* http.h - the HTTP(S) server of `cgoscope agent`: libmicrohttpd, GET/HEAD only, bounded. */
#ifndef CGOSCOPE_HTTP_H
#define CGOSCOPE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#define HTTP_DEFAULT_MAX_CONNS	  64
#define HTTP_DEFAULT_PER_IP_CONNS 16
#define HTTP_DEFAULT_TIMEOUT_S	  10
#define HTTP_WRITE_DEADLINE_S	  60 /* a response must be sent within this */
#define HTTP_THREADS		  4  /* MHD's thread pool: a render blocks one of them */
#define HTTP_CONN_MEMORY	  (32 * 1024) /* per connection; larger request headers get 431 */
#define HTTP_MAX_URI		  2048 /* longer request targets get 414 */
#define HTTP_TEXT		  "text/plain; charset=utf-8"
#define HTTP_REALM		  "cgoscope"

/* One request as the handler sees it. */
struct http_request {
	const char *path; /* decoded, without the query string */
	bool head;	  /* HEAD: the body is not sent (the handler may skip making it) */
	bool gzip;	  /* the client accepts Content-Encoding: gzip */
	void *conn;	  /* for http__arg() */
};

/*
 * One response. body is malloc'd by the handler and freed by the server
 * with free(), or, when release is set, with release(release_arg) once the
 * last byte is sent (a body shared by several responses).
 */
struct http_response {
	int status; /* 200, 404, ... */
	const char *content_type; /* static string; NULL: HTTP_TEXT */
	const char *content_encoding; /* static string ("gzip"); NULL: identity */
	char *body; /* NULL when len is 0 */
	size_t len;
	void (*release)(void *arg);
	void *release_arg;
};

/*
 * Called for every complete GET/HEAD request on one of the server's
 * threads (HTTP_THREADS of them, so it must be thread-safe). Must fill
 * resp. Returns 0, or -errno for a 500 (a body set before failing is
 * released by the server). For HEAD the server sends the headers of the
 * response without its body.
 */
typedef int (*http_handler_fn)(const struct http_request *req, void *ctx,
			       struct http_response *resp);

/* The handler label of path for the request counters: a static string, e.g. "/metrics". */
typedef const char *(*http_route_fn)(const char *path);

/* A basic-auth user: hash is a crypt(3) hash (bcrypt "$2y$..."), or plain a password. */
struct http_user {
	const char *name;
	const char *hash;
	const char *plain;
};

enum http_client_auth {
	HTTP_NO_CLIENT_CERT,		  /* NoClientCert */
	HTTP_REQUEST_CLIENT_CERT,	  /* RequestClientCert */
	HTTP_REQUIRE_ANY_CLIENT_CERT,	  /* RequireAnyClientCert */
	HTTP_VERIFY_CLIENT_CERT_IF_GIVEN, /* VerifyClientCertIfGiven */
	HTTP_REQUIRE_AND_VERIFY_CLIENT_CERT, /* RequireAndVerifyClientCert */
};

struct http_opts {
	const char *listen; /* "host:port", ":port", "[::1]:port", "localhost:port"; port 0 = ephemeral */
	unsigned int max_conns; /* connection limit (default 64 when 0) */
	unsigned int per_ip_conns; /* per-IP limit (default 16 when 0) */
	unsigned int timeout_s; /* idle timeout and request read deadline (default 10 when 0) */
	unsigned int write_s; /* response send deadline (default HTTP_WRITE_DEADLINE_S when 0) */
	const char *tls_cert; /* PEM file paths; both set = HTTPS */
	const char *tls_key;
	const char *tls_client_ca; /* PEM file of CAs for client certificates */
	enum http_client_auth client_auth;
	const char *tls_min_version; /* "TLS10".."TLS13"; NULL: TLS12 */
	/* any user set = HTTP basic auth required on every path except /healthz */
	const struct http_user *users;
	size_t nusers;
	const char *basic_user; /* one more user with a plain password (legacy flags) */
	const char *basic_pass;
	http_route_fn route; /* NULL: every request counted under "other" */
};

struct http_server;

/*
 * Starts serving opts->listen with HTTP_THREADS epoll threads. Only GET and
 * HEAD reach fn: other methods get 405 (with Allow), requests with a body
 * 413, HTTP/1.1 without Host 400, targets beyond HTTP_MAX_URI 414, headers
 * beyond HTTP_CONN_MEMORY 431, bad credentials 401 (with WWW-Authenticate),
 * a missing or bad client certificate (client_auth) 403. A request must be
 * read whole within timeout_s and its response sent within write_s; beyond
 * max_conns a new connection evicts the one waiting longest for its request. Every response carries X-Content-Type-Options: nosniff
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

/* Calls fn once per (handler label, status code) answered so far, with its count. */
void http__foreach_count(const struct http_server *srv,
			 void (*fn)(const char *handler, int code, unsigned long long n, void *arg),
			 void *arg);

/* Connections open now, and those the server closed because of a deadline or the limit. */
struct http_conn_stats {
	unsigned int open;
	unsigned long long evicted_limit, evicted_read, evicted_write, refused;
};
void http__conn_stats(const struct http_server *srv, struct http_conn_stats *st);

/* The value of query argument name of req, or NULL. */
const char *http__arg(const struct http_request *req, const char *name);

/*
 * Whether an Accept-Encoding value accepts gzip (pure): "gzip" or "*" with
 * a q-value above 0, "gzip;q=0" refusing it even when "*" is there.
 */
bool http__accepts_gzip(const char *accept_encoding);

/*
 * Applies new TLS and user settings to a running server (SIGHUP): the users
 * are swapped at once; changed TLS settings restart the daemon on the same
 * listening socket (connections in progress are closed). Other fields of
 * opts are ignored. On failure the old settings stay. Returns 0 or -errno
 * (printing why).
 */
int http__reload(struct http_server *srv, const struct http_opts *opts);

/* Stops the thread, closes every socket and frees srv. NULL ok. */
void http__stop(struct http_server *srv);

/*
 * Parses a listen address into *ss and *len (pure). Accepted: "A.B.C.D:port",
 * "[IPv6]:port", and ":port" (every address: IPv6 any, which http__start()
 * opens dual-stack, falling back to IPv4 any without IPv6). Hosts must be
 * numeric: other names are not resolved (-EINVAL), and neither are
 * IPv6 zone ids; "localhost" is the one name accepted (127.0.0.1). port is
 * decimal 0..65535 (0: the kernel picks one).
 * Returns 0 or -EINVAL (NULL arguments, empty, missing colon or port, bad host).
 */
int http__parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len);

#endif /* CGOSCOPE_HTTP_H */
