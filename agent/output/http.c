/* http.c - the HTTP(S) server of `cgoscope agent`: libmicrohttpd, GET/HEAD only, bounded. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <strings.h>
#include <unistd.h>
#include <crypt.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include "http.h"
#include "httpconn.h"

#define PEM_MAX	  (1024 * 1024)
#define LOG_BURST 10 /* MHD messages printed per minute; the rest are counted */
#define LOG_LEN	  256
#define ALLOWED	  "GET, HEAD"
#define HEALTHZ	  "/healthz"
#define MAX_COUNTS 128 /* (handler, code) pairs counted; more fold into the last one */
#define AUTH_CACHE 16	/* credentials that passed, kept so bcrypt runs once per client */
/*
 * MHD's own limit is twice max_conns plus this: room to evict, and MHD splits its limit
 * between the HTTP_THREADS workers, so one busy worker must not refuse what our eviction
 * (over max_conns in all) would have made room for.
 */
#define CONN_HEADROOM 16
#define LOCALHOST "localhost"

/* The users who may log in (swapped whole on reload). */
struct auth {
	struct http_user *users; /* strings owned */
	size_t nusers;
	pthread_mutex_t cache_lock;
	struct auth_ok {
		size_t user;
		char *pass;
	} cache[AUTH_CACHE];
	size_t ncache, next;
};

/* TLS settings read from files (kept until the daemon using them stops). */
struct tls {
	char *cert, *key, *ca; /* PEM text; NULL without TLS / client CA */
	size_t key_len;
	enum http_client_auth client_auth;
	char prio[96];
};

struct req_count {
	const char *handler;
	int code;
	unsigned long long n;
};

struct http_server {
	struct MHD_Daemon *daemon;
	http_handler_fn fn;
	void *ctx;
	http_route_fn route;
	int port;
	struct sockaddr_storage ss;
	bool any;
	unsigned int max_conns, per_ip, timeout_s;
	struct httpconn_table *conns;
	pthread_rwlock_t auth_lock; /* guards the auth pointer and tls (swapped on reload) */
	struct auth *auth; /* NULL: no auth */
	struct tls tls;
	atomic_ullong requests, errors;
	pthread_mutex_t count_lock;
	struct req_count counts[MAX_COUNTS];
	size_t ncounts;
	/* MHD's messages: rate limited; while starting, kept for the failure message */
	pthread_mutex_t log_lock;
	time_t log_minute;
	unsigned int log_count;
	bool starting;
	char start_msg[LOG_LEN];
};

/* URI log callback results: the first on_request call of a request sees one of these. */
static char uri_ok, uri_long;

/* Port "0".."65535", digits only. Returns 0 or -EINVAL. */
static int parse_port(const char *s, unsigned short *port)
{
	unsigned long v = 0;
	size_t i;

	if (!*s || strlen(s) > 5)
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (s[i] - '0');
	}
	if (v > 65535)
		return -EINVAL;
	*port = (unsigned short)v;
	return 0;
}

int http__parse_listen(const char *listen, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon;
	unsigned short port;
	size_t hlen;

	if (!listen || !ss || !len)
		return -EINVAL;
	colon = strrchr(listen, ':');
	if (!colon || parse_port(colon + 1, &port))
		return -EINVAL;
	hlen = colon - listen;
	if (hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, listen, hlen);
	host[hlen] = '\0';
	memset(ss, 0, sizeof(*ss));
	if (!strcmp(host, LOCALHOST)) /* the one name: never resolved, never IPv6 only */
		strcpy(host, "127.0.0.1");
	if (hlen == 0) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	if (host[0] == '[') {
		if (hlen < 3 || host[hlen - 1] != ']')
			return -EINVAL;
		host[hlen - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &sin6->sin6_addr) != 1)
			return -EINVAL;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	/* inet_pton takes dotted quads only (no "1", no octal), and no IPv6 without brackets */
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1)
		return -EINVAL;
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	*len = sizeof(*sin);
	return 0;
}

/*
 * The server's messages (MHD's and ours) to stderr, one line each, at most
 * LOG_BURST a minute so that clients cannot flood the log. While starting
 * they are kept for the failure message instead.
 */
__attribute__((format(printf, 2, 0))) static void log_v(struct http_server *srv, const char *fmt,
							va_list ap)
{
	char msg[LOG_LEN];
	size_t n;
	time_t minute = time(NULL) / 60;
	unsigned int dropped = 0;
	bool print = false;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	pthread_mutex_lock(&srv->log_lock);
	if (srv->starting) {
		memcpy(srv->start_msg, msg, n + 1);
	} else {
		if (minute != srv->log_minute) {
			if (srv->log_count > LOG_BURST)
				dropped = srv->log_count - LOG_BURST;
			srv->log_minute = minute;
			srv->log_count = 0;
		}
		print = srv->log_count++ < LOG_BURST;
	}
	pthread_mutex_unlock(&srv->log_lock);
	if (dropped)
		fprintf(stderr, "cgoscope: http: %u messages suppressed\n", dropped);
	if (print)
		fprintf(stderr, "cgoscope: http: %s\n", msg);
}

__attribute__((format(printf, 2, 3))) static void log_msg(struct http_server *srv, const char *fmt,
							  ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(srv, fmt, ap);
	va_end(ap);
}

/* MHD_OPTION_EXTERNAL_LOGGER: MHD's messages go through log_v(), never to MHD's own stderr. */
__attribute__((format(printf, 2, 0))) static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	log_v(cls, fmt, ap);
}

/* Compares a (untrusted) with want in time that depends only on want's length. */
static bool ct_equal(const char *a, const char *want)
{
	size_t la = strlen(a), lw = strlen(want), i;
	volatile unsigned char diff = la != lw;

	for (i = 0; i < lw; i++)
		diff |= (unsigned char)(i < la ? a[i] : 0) ^ (unsigned char)want[i];
	return diff == 0;
}

/* Counts one answer of handler with code. */
static void count(struct http_server *srv, const char *handler, int code)
{
	size_t i;

	pthread_mutex_lock(&srv->count_lock);
	for (i = 0; i < srv->ncounts; i++)
		if (srv->counts[i].handler == handler && srv->counts[i].code == code)
			break;
	if (i == srv->ncounts) {
		if (i < MAX_COUNTS) {
			srv->counts[i] = (struct req_count){ handler, code, 0 };
			srv->ncounts++;
		} else {
			i = MAX_COUNTS - 1;
		}
	}
	srv->counts[i].n++;
	pthread_mutex_unlock(&srv->count_lock);
}

/* The MHD response of resp (its body released by MHD, or here if that fails). */
static struct MHD_Response *make_response(struct http_response *resp)
{
	const char *type = resp->content_type ? resp->content_type : HTTP_TEXT;
	struct MHD_Response *r;

	if (resp->release)
		r = MHD_create_response_from_buffer_with_free_callback_cls(
		    resp->len, resp->body, resp->release, resp->release_arg);
	else
		r = MHD_create_response_from_buffer(resp->len, resp->body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		if (resp->release)
			resp->release(resp->release_arg);
		else
			free(resp->body);
	}
	if (!r)
		return NULL;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) == MHD_NO ||
	    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") == MHD_NO ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_NO ||
	    (resp->content_encoding &&
	     MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
				     resp->content_encoding) == MHD_NO)) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

/* Queues a response and counts it; status 401 asks for credentials. */
static enum MHD_Result reply(struct http_server *srv, struct MHD_Connection *conn,
			     const char *handler, int status, struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r) {
		atomic_fetch_add(&srv->errors, 1);
		count(srv, handler, 500);
		return MHD_NO; /* MHD closes the connection */
	}
	/* counted before the client can see the answer */
	count(srv, handler, status);
	if (status >= 500)
		atomic_fetch_add(&srv->errors, 1);
	if (status == MHD_HTTP_UNAUTHORIZED)
		ret = MHD_queue_basic_auth_fail_response(conn, HTTP_REALM, r);
	else
		ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	if (ret == MHD_NO && status < 500)
		atomic_fetch_add(&srv->errors, 1);
	return ret;
}

/* A short static text body for the server's own answers. */
static enum MHD_Result reply_text(struct http_server *srv, struct MHD_Connection *conn,
				  const char *handler, int status, const char *text)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_PERSISTENT);

	if (r && (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, HTTP_TEXT) == MHD_NO ||
		  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") == MHD_NO ||
		  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") ==
		      MHD_NO ||
		  (status == MHD_HTTP_METHOD_NOT_ALLOWED &&
		   MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, ALLOWED) == MHD_NO))) {
		MHD_destroy_response(r);
		r = NULL;
	}
	return reply(srv, conn, handler, status, r);
}

/* Whether pass is user u's password: plain compared in constant time, hashes with crypt_r(). */
static bool password_ok(const struct http_user *u, const char *pass)
{
	struct crypt_data *cd;
	const char *h;
	bool ok;

	if (u->plain)
		return ct_equal(pass, u->plain);
	cd = calloc(1, sizeof(*cd));
	if (!cd)
		return false;
	h = crypt_r(pass, u->hash, cd);
	ok = h && h[0] != '*' && ct_equal(h, u->hash);
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ok;
}

/* Whether (user, pass) passed before: bcrypt is slow by design, so run it once per client. */
static bool cached_ok(struct auth *a, size_t user, const char *pass, bool add)
{
	bool hit = false;
	size_t i;

	pthread_mutex_lock(&a->cache_lock);
	for (i = 0; i < a->ncache && !hit; i++)
		hit = a->cache[i].user == user && ct_equal(pass, a->cache[i].pass);
	if (!hit && add) {
		char *copy = strdup(pass);

		if (copy) {
			i = a->next++ % AUTH_CACHE;
			if (i < a->ncache) {
				explicit_bzero(a->cache[i].pass, strlen(a->cache[i].pass));
				free(a->cache[i].pass);
			} else {
				a->ncache++;
			}
			a->cache[i] = (struct auth_ok){ user, copy };
		}
	}
	pthread_mutex_unlock(&a->cache_lock);
	return hit;
}

static bool authorized(struct http_server *srv, struct MHD_Connection *conn)
{
	char *pass = NULL, *user;
	bool ok = false;
	size_t i;

	user = MHD_basic_auth_get_username_password(conn, &pass);
	pthread_rwlock_rdlock(&srv->auth_lock);
	if (user && pass) {
		for (i = 0; i < srv->auth->nusers; i++)
			if (!strcmp(srv->auth->users[i].name, user))
				break;
		if (i < srv->auth->nusers)
			ok = cached_ok(srv->auth, i, pass, false) ||
			     (password_ok(&srv->auth->users[i], pass) &&
			      (cached_ok(srv->auth, i, pass, true), true));
		else /* the same work as a known user: the time does not tell which names exist */
			ok = password_ok(&srv->auth->users[0], pass) && false;
	}
	pthread_rwlock_unlock(&srv->auth_lock);
	if (pass)
		explicit_bzero(pass, strlen(pass));
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

/* Whether the client's certificate satisfies client_auth (always true without TLS). */
static bool client_cert_ok(struct http_server *srv, struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;
	enum http_client_auth ca;
	gnutls_session_t session;
	unsigned int status = 0, n = 0;
	bool tls;

	pthread_rwlock_rdlock(&srv->auth_lock);
	ca = srv->tls.client_auth;
	tls = srv->tls.cert;
	pthread_rwlock_unlock(&srv->auth_lock);
	if (!tls || ca <= HTTP_REQUEST_CLIENT_CERT)
		return true;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return false;
	session = (gnutls_session_t)ci->tls_session;
	if (!gnutls_certificate_get_peers(session, &n) || !n)
		return ca == HTTP_VERIFY_CLIENT_CERT_IF_GIVEN;
	if (ca == HTTP_REQUIRE_ANY_CLIENT_CERT)
		return true;
	return gnutls_certificate_verify_peers2(session, &status) == 0 && status == 0;
}

static bool has_body(struct MHD_Connection *conn)
{
	const char *cl =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return true;
	return cl && strspn(cl, "0") != strlen(cl);
}

bool http__accepts_gzip(const char *ae)
{
	bool gzip = false, star = false, gzip_seen = false;
	const char *p = ae;

	while (p && *p) {
		size_t n;
		const char *q, *end;
		double qv = 1;
		bool is_gzip, is_star;

		p += strspn(p, " \t,");
		n = strcspn(p, " \t;,");
		is_gzip = (n == 4 && !strncasecmp(p, "gzip", 4)) ||
			  (n == 6 && !strncasecmp(p, "x-gzip", 6));
		is_star = n == 1 && *p == '*';
		end = p + strcspn(p, ",");
		q = strstr(p, "q=");
		if (q && q < end)
			qv = strtod(q + 2, NULL);
		if (is_gzip) {
			gzip_seen = true;
			gzip = qv > 0;
		} else if (is_star) {
			star = qv > 0;
		}
		p = *end ? end + 1 : end;
	}
	return gzip || (!gzip_seen && star);
}

const char *http__arg(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

/* Runs the handler and answers with its response, or 500. */
static enum MHD_Result serve(struct http_server *srv, struct MHD_Connection *conn,
			     const char *handler, const char *url, const char *method)
{
	struct http_response resp = { .status = MHD_HTTP_OK };
	const char *ae =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	struct http_request req = {
		.path = url,
		.head = !strcmp(method, MHD_HTTP_METHOD_HEAD),
		.gzip = http__accepts_gzip(ae),
		.conn = conn,
	};
	struct MHD_Response *r;
	int err;

	err = srv->fn(&req, srv->ctx, &resp);
	if (!err && (resp.status < 200 || resp.status > 599 || (!resp.body && resp.len)))
		err = -EINVAL;
	if (err) {
		log_msg(srv, "%.100s: %s", url, err < 0 ? strerror(-err) : "bad handler return");
		if (resp.release)
			resp.release(resp.release_arg);
		else
			free(resp.body);
		return reply_text(srv, conn, handler, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "internal error\n");
	}
	r = make_response(&resp);
	if (r && MHD_add_response_header(r, MHD_HTTP_HEADER_VARY,
					 MHD_HTTP_HEADER_ACCEPT_ENCODING) == MHD_NO) {
		MHD_destroy_response(r);
		r = NULL;
	}
	return reply(srv, conn, handler, resp.status, r);
}

/* The httpconn of conn (its socket context), or NULL. */
static struct httpconn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/*
 * Called once when the headers are in (*con_cls set by log_uri()), then
 * again when the request is complete. Requests we refuse are answered on
 * the first call: their body, if any, is never read and MHD closes the
 * connection after the answer. Served requests are answered on the second
 * call, which keeps HTTP/1.1 connections alive.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;
	const char *handler = srv->route ? srv->route(url) : "other";

	if (*con_cls != srv) {
		bool too_long = *con_cls == &uri_long;

		atomic_fetch_add(&srv->requests, 1);
		httpconn__serving(srv->conns, conn_of(conn));
		if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
			return reply_text(srv, conn, handler, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "method not allowed\n");
		if (!strcmp(version, MHD_HTTP_VERSION_1_1) &&
		    !MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST))
			return reply_text(srv, conn, handler, MHD_HTTP_BAD_REQUEST,
					  "HTTP/1.1 request without Host\n");
		if (too_long)
			return reply_text(srv, conn, handler, MHD_HTTP_URI_TOO_LONG,
					  "request target too long\n");
		if (has_body(conn))
			return reply_text(srv, conn, handler, MHD_HTTP_CONTENT_TOO_LARGE,
					  "request body not allowed\n");
		*con_cls = srv;
		return MHD_YES;
	}
	if (*upload_data_size) /* a body after all: refused above, so never here */
		return MHD_NO;
	if (!client_cert_ok(srv, conn))
		return reply_text(srv, conn, handler, MHD_HTTP_FORBIDDEN,
				  "client certificate required\n");
	if (srv->auth && strcmp(url, HEALTHZ) && !authorized(srv, conn))
		return reply_text(srv, conn, handler, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
	return serve(srv, conn, handler, url, method);
}

/* MHD_OPTION_URI_LOG_CALLBACK: sees the whole request target first (query included). */
static void *log_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	return strlen(uri) > HTTP_MAX_URI ? &uri_long : &uri_ok;
}

/* MHD_OPTION_NOTIFY_CONNECTION: the connection table follows MHD's sockets. */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *srv = cls;
	const union MHD_ConnectionInfo *ci;
	struct sockaddr *sa;
	int fd;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		httpconn__closed(srv->conns, *socket_context);
		*socket_context = NULL;
		return;
	}
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return;
	fd = ci->connect_fd;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	sa = ci ? ci->client_addr : NULL;
	if (sa && sa->sa_family == AF_INET6)
		*socket_context =
		    httpconn__opened(srv->conns, fd, &((struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else if (sa && sa->sa_family == AF_INET)
		*socket_context =
		    httpconn__opened(srv->conns, fd, &((struct sockaddr_in *)sa)->sin_addr, 4);
	else
		*socket_context = httpconn__opened(srv->conns, fd, "", 0);
	if (!*socket_context)
		shutdown(fd, SHUT_RDWR);
}

/* MHD_OPTION_NOTIFY_COMPLETED: the response is sent; the next request's deadline starts. */
static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *srv = cls;

	httpconn__idle(srv->conns, conn_of(conn));
}

/* Reads a PEM file into a NUL-terminated malloc'd string. Returns 0 or -errno. */
static int read_pem(const char *path, char **text, size_t *len)
{
	struct stat st;
	size_t n = 0;
	ssize_t got = 0;
	char *buf = NULL;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		err = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size <= 0 || st.st_size > PEM_MAX) {
		err = -EINVAL;
		goto out;
	}
	buf = malloc(st.st_size + 1);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	while (n < (size_t)st.st_size && (got = read(fd, buf + n, st.st_size - n)) > 0)
		n += got;
	if (got < 0) {
		err = -errno;
		free(buf);
		goto out;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
out:
	close(fd);
	return err;
}

static void tls_free(struct tls *t)
{
	if (t->key)
		explicit_bzero(t->key, t->key_len);
	free(t->key);
	free(t->cert);
	free(t->ca);
	memset(t, 0, sizeof(*t));
}

static void auth_free(struct auth *a)
{
	size_t i;

	if (!a)
		return;
	for (i = 0; i < a->nusers; i++) {
		free((char *)a->users[i].name);
		free((char *)a->users[i].hash);
		if (a->users[i].plain)
			explicit_bzero((char *)a->users[i].plain, strlen(a->users[i].plain));
		free((char *)a->users[i].plain);
	}
	for (i = 0; i < a->ncache; i++) {
		explicit_bzero(a->cache[i].pass, strlen(a->cache[i].pass));
		free(a->cache[i].pass);
	}
	pthread_mutex_destroy(&a->cache_lock);
	free(a->users);
	free(a);
}

static void free_server(struct http_server *srv)
{
	httpconn__free(srv->conns);
	tls_free(&srv->tls);
	auth_free(srv->auth);
	pthread_rwlock_destroy(&srv->auth_lock);
	pthread_mutex_destroy(&srv->count_lock);
	pthread_mutex_destroy(&srv->log_lock);
	free(srv);
}

/* Copies one user into u (strings duplicated). Returns 0 or -errno, *why set. */
static int copy_user(struct http_user *u, const char *name, const char *hash, const char *plain,
		     const char **why)
{
	if (!name || !*name || strchr(name, ':')) {
		*why = "basic auth user must be non-empty and without ':'";
		return -EINVAL;
	}
	if (!hash == !plain) {
		*why = "a basic auth user needs a password hash (or, from the flags, a password)";
		return -EINVAL;
	}
	if (hash && crypt_checksalt(hash) != CRYPT_SALT_OK) {
		*why = "basic auth password hash: not a crypt(3) hash this host checks (bcrypt?)";
		return -EINVAL;
	}
	u->name = strdup(name);
	u->hash = hash ? strdup(hash) : NULL;
	u->plain = plain ? strdup(plain) : NULL;
	return u->name && (u->hash || u->plain) ? 0 : -ENOMEM;
}

/* The users of opts (NULL *out when there are none). Returns 0 or -errno, *why set. */
static int auth_new(const struct http_opts *opts, struct auth **out, const char **why)
{
	size_t n = opts->nusers + (opts->basic_user || opts->basic_pass), i;
	struct auth *a;
	int err = 0;

	*out = NULL;
	if (!n)
		return 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	pthread_mutex_init(&a->cache_lock, NULL);
	a->users = calloc(n, sizeof(*a->users));
	if (!a->users) {
		auth_free(a);
		return -ENOMEM;
	}
	for (i = 0; i < opts->nusers && !err; i++, a->nusers++)
		err = copy_user(&a->users[i], opts->users[i].name, opts->users[i].hash,
				opts->users[i].plain, why);
	if (!err && (opts->basic_user || opts->basic_pass)) {
		if (!opts->basic_user != !opts->basic_pass) {
			*why = "basic_user and basic_pass must be given together";
			err = -EINVAL;
		} else {
			err = copy_user(&a->users[a->nusers++], opts->basic_user, NULL,
					opts->basic_pass, why);
		}
	}
	if (err) {
		auth_free(a);
		return err;
	}
	*out = a;
	return 0;
}

/* GnuTLS priorities for a minimum version. Returns 0 or -EINVAL. */
static int tls_prio(const char *min, char *prio, size_t len)
{
	static const char *const names[] = { "TLS10", "TLS11", "TLS12", "TLS13" };
	static const char *const vers[] = { "+VERS-TLS1.0", "+VERS-TLS1.1", "+VERS-TLS1.2",
					    "+VERS-TLS1.3" };
	size_t i, from = 2;

	if (min) {
		for (from = 0; from < 4 && strcmp(min, names[from]); from++)
			;
		if (from == 4)
			return -EINVAL;
	}
	snprintf(prio, len, "NORMAL:-VERS-ALL");
	for (i = 3; i + 1 > from; i--)
		snprintf(prio + strlen(prio), len - strlen(prio), ":%s", vers[i]);
	return 0;
}

/* Reads the TLS files of opts into t. Returns 0 or -errno, *why set. */
static int tls_load(struct tls *t, const struct http_opts *opts, const char **why)
{
	size_t len;
	int err;

	memset(t, 0, sizeof(*t));
	if (!opts->tls_cert != !opts->tls_key) {
		*why = "tls_cert and tls_key must be given together";
		return -EINVAL;
	}
	if (!opts->tls_cert) {
		if (opts->tls_client_ca || opts->client_auth != HTTP_NO_CLIENT_CERT) {
			*why = "client certificates need TLS (a certificate and key)";
			return -EINVAL;
		}
		return 0;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		*why = "libmicrohttpd was built without TLS";
		return -ENOTSUP;
	}
	if (tls_prio(opts->tls_min_version, t->prio, sizeof(t->prio))) {
		*why = "min_version must be TLS10, TLS11, TLS12 or TLS13";
		return -EINVAL;
	}
	t->client_auth = opts->client_auth;
	if (t->client_auth >= HTTP_VERIFY_CLIENT_CERT_IF_GIVEN && !opts->tls_client_ca) {
		*why = "client_auth_type that verifies needs client_ca_file";
		return -EINVAL;
	}
	err = read_pem(opts->tls_cert, &t->cert, &len);
	if (err) {
		*why = opts->tls_cert;
		return err;
	}
	err = read_pem(opts->tls_key, &t->key, &t->key_len);
	if (err) {
		*why = opts->tls_key;
		tls_free(t);
		return err;
	}
	if (opts->tls_client_ca && t->client_auth != HTTP_NO_CLIENT_CERT) {
		err = read_pem(opts->tls_client_ca, &t->ca, &len);
		if (err) {
			*why = opts->tls_client_ca;
			tls_free(t);
		}
	}
	return err;
}

/* The port of an AF_INET or AF_INET6 address, host order. */
static unsigned short ss_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)ss)->sin_port);
}

static unsigned int or_default(unsigned int v, unsigned int def)
{
	return v ? v : def;
}

/* MHD_start_daemon() on srv->ss (or on listen_fd when >= 0) with t; errno tells why it failed. */
static struct MHD_Daemon *start_daemon(struct http_server *srv, const struct tls *t,
				       int listen_fd)
{
	unsigned int flags = MHD_USE_ERROR_LOG | MHD_USE_ITC;
	struct MHD_OptionItem items[] = {
		{ MHD_OPTION_CONNECTION_LIMIT, 2 * srv->max_conns + CONN_HEADROOM, NULL },
		{ MHD_OPTION_PER_IP_CONNECTION_LIMIT, srv->per_ip, NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT, srv->timeout_s, NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONN_MEMORY, NULL },
		{ MHD_OPTION_THREAD_POOL_SIZE, HTTP_THREADS, NULL },
		{ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, srv },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv },
		{ MHD_OPTION_URI_LOG_CALLBACK, (intptr_t)log_uri, srv },
		{ listen_fd >= 0 ? MHD_OPTION_LISTEN_SOCKET : MHD_OPTION_SOCK_ADDR,
		  listen_fd, listen_fd >= 0 ? NULL : (void *)&srv->ss },
		/* without TLS the list ends here */
		{ t->key ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, t->key },
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, t->cert },
		{ MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)t->prio },
		{ t->ca ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, 0, t->ca },
		{ MHD_OPTION_END, 0, NULL },
	};
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
		flags |= MHD_USE_EPOLL_INTERNAL_THREAD;
	else
		flags |= MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD;
	if (srv->ss.ss_family == AF_INET6)
		flags |= srv->any ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	if (t->key)
		flags |= MHD_USE_TLS;
	errno = 0;
	/* the logger first, so no message goes to MHD's default stderr logger */
	return MHD_start_daemon(flags, ss_port(&srv->ss), NULL, NULL, on_request, srv,
				MHD_OPTION_EXTERNAL_LOGGER, log_mhd, srv, MHD_OPTION_ARRAY, items,
				MHD_OPTION_END);
}

/* Prints why listening failed. */
static void start_failed(const char *listen, int err, const char *why)
{
	if (why && err != -EINVAL && err != -ENOTSUP)
		fprintf(stderr, "cgoscope: cannot listen on %s: %s: %s\n", listen, why,
			strerror(-err));
	else
		fprintf(stderr, "cgoscope: cannot listen on %s: %s\n", listen,
			why ? why : strerror(-err));
}

int http__start(const struct http_opts *opts, http_handler_fn fn, void *ctx,
		struct http_server **out)
{
	const char *listen = opts && opts->listen ? opts->listen : "(null)", *why = NULL;
	const union MHD_DaemonInfo *info;
	struct http_server *srv;
	socklen_t len;
	int err;

	if (!opts || !fn || !out) {
		fprintf(stderr, "cgoscope: cannot listen on %s: %s\n", listen, strerror(EINVAL));
		return -EINVAL;
	}
	*out = NULL;
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		fprintf(stderr, "cgoscope: cannot listen on %s: %s\n", listen, strerror(ENOMEM));
		return -ENOMEM;
	}
	if (http__parse_listen(opts->listen, &srv->ss, &len)) {
		fprintf(stderr,
			"cgoscope: cannot listen on %s: expected IPv4:port, [IPv6]:port, "
			"localhost:port or :port (numeric, port 0-65535)\n",
			listen);
		free(srv);
		return -EINVAL;
	}
	pthread_mutex_init(&srv->log_lock, NULL);
	pthread_mutex_init(&srv->count_lock, NULL);
	pthread_rwlock_init(&srv->auth_lock, NULL);
	srv->fn = fn;
	srv->ctx = ctx;
	srv->route = opts->route;
	srv->starting = true;
	srv->max_conns = or_default(opts->max_conns, HTTP_DEFAULT_MAX_CONNS);
	srv->per_ip = or_default(opts->per_ip_conns, HTTP_DEFAULT_PER_IP_CONNS);
	srv->timeout_s = or_default(opts->timeout_s, HTTP_DEFAULT_TIMEOUT_S);
	err = auth_new(opts, &srv->auth, &why);
	if (!err)
		err = tls_load(&srv->tls, opts, &why);
	if (!err)
		err = httpconn__new(&(struct httpconn_opts){
			.max_conns = srv->max_conns, .read_s = srv->timeout_s,
			.write_s = or_default(opts->write_s, HTTP_WRITE_DEADLINE_S) }, &srv->conns);
	if (err) {
		start_failed(listen, err, why);
		free_server(srv);
		return err;
	}
	srv->any = listen[0] == ':';
	srv->daemon = start_daemon(srv, &srv->tls, -1);
	if (!srv->daemon && srv->any && errno == EAFNOSUPPORT) {
		/* no IPv6 on this host: every IPv4 address */
		struct sockaddr_in *sin = (struct sockaddr_in *)&srv->ss;
		unsigned short port = ss_port(&srv->ss);

		memset(&srv->ss, 0, sizeof(srv->ss));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = htons(port);
		srv->any = false;
		srv->daemon = start_daemon(srv, &srv->tls, -1);
	}
	if (!srv->daemon) {
		err = errno ? -errno : -EIO;
		fprintf(stderr, "cgoscope: cannot listen on %s: %s\n", listen,
			errno || !srv->start_msg[0] ? strerror(-err) : srv->start_msg);
		free_server(srv);
		return err;
	}
	pthread_mutex_lock(&srv->log_lock);
	srv->starting = false;
	pthread_mutex_unlock(&srv->log_lock);
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info ? info->port : ss_port(&srv->ss);
	*out = srv;
	return 0;
}

/* Whether two TLS settings serve the same. */
static bool tls_same(const struct tls *a, const struct tls *b)
{
#define SAME_STR(x, y) ((!(x) && !(y)) || ((x) && (y) && !strcmp((x), (y))))
	return SAME_STR(a->cert, b->cert) && SAME_STR(a->key, b->key) &&
	       SAME_STR(a->ca, b->ca) && a->client_auth == b->client_auth &&
	       !strcmp(a->prio, b->prio);
#undef SAME_STR
}

int http__reload(struct http_server *srv, const struct http_opts *opts)
{
	struct MHD_Daemon *old, *fresh;
	const char *why = NULL;
	struct auth *a, *old_auth;
	struct tls t, prev;
	int err, fd;

	err = auth_new(opts, &a, &why);
	if (!err) {
		err = tls_load(&t, opts, &why);
		if (err)
			auth_free(a);
	}
	if (err) {
		fprintf(stderr, "cgoscope: web config not reloaded: %s%s%s\n",
			why ? why : strerror(-err), why && err != -EINVAL ? ": " : "",
			why && err != -EINVAL ? strerror(-err) : "");
		return err;
	}
	if (!tls_same(&t, &srv->tls)) {
		/* the listening socket moves to a daemon with the new settings */
		if (!srv->tls.cert != !t.cert) {
			fprintf(stderr, "cgoscope: web config not reloaded: switching between "
					"HTTP and HTTPS needs a restart\n");
			tls_free(&t);
			auth_free(a);
			return -EINVAL;
		}
		old = srv->daemon;
		fd = MHD_quiesce_daemon(old);
		if (fd < 0) {
			fprintf(stderr, "cgoscope: web config not reloaded: cannot hand the "
					"listening socket over\n");
			tls_free(&t);
			auth_free(a);
			return -EIO;
		}
		/* the new policy first: no request on the new daemon is checked by the old one */
		pthread_rwlock_wrlock(&srv->auth_lock);
		prev = srv->tls;
		srv->tls = t;
		pthread_rwlock_unlock(&srv->auth_lock);
		fresh = start_daemon(srv, &srv->tls, fd);
		if (!fresh) {
			err = errno ? -errno : -EIO;
			fprintf(stderr, "cgoscope: web config not reloaded: %s\n",
				srv->start_msg[0] ? srv->start_msg : strerror(-err));
			pthread_rwlock_wrlock(&srv->auth_lock);
			srv->tls = prev;
			pthread_rwlock_unlock(&srv->auth_lock);
			tls_free(&t);
			auth_free(a);
			/* serve the old way on a new daemon (the old one accepts no more) */
			fresh = start_daemon(srv, &srv->tls, fd);
			if (fresh) {
				srv->daemon = fresh;
				MHD_stop_daemon(old);
			} else {
				fprintf(stderr, "cgoscope: http: cannot accept connections any more\n");
			}
			return err;
		}
		srv->daemon = fresh;
		MHD_stop_daemon(old);
		tls_free(&prev);
	} else {
		tls_free(&t);
	}
	pthread_rwlock_wrlock(&srv->auth_lock);
	old_auth = srv->auth;
	srv->auth = a;
	pthread_rwlock_unlock(&srv->auth_lock);
	auth_free(old_auth);
	return 0;
}

int http__port(const struct http_server *srv)
{
	return srv ? srv->port : -EINVAL;
}

void http__stats(const struct http_server *srv, unsigned long long *requests,
		 unsigned long long *errors)
{
	if (requests)
		*requests = srv ? atomic_load(&((struct http_server *)srv)->requests) : 0;
	if (errors)
		*errors = srv ? atomic_load(&((struct http_server *)srv)->errors) : 0;
}

void http__foreach_count(const struct http_server *srv,
			 void (*fn)(const char *handler, int code, unsigned long long n, void *arg),
			 void *arg)
{
	struct http_server *s = (struct http_server *)srv;
	struct req_count copy[MAX_COUNTS];
	size_t n, i;

	if (!s)
		return;
	pthread_mutex_lock(&s->count_lock);
	n = s->ncounts;
	memcpy(copy, s->counts, n * sizeof(*copy));
	pthread_mutex_unlock(&s->count_lock);
	for (i = 0; i < n; i++)
		fn(copy[i].handler, copy[i].code, copy[i].n, arg);
}

void http__conn_stats(const struct http_server *srv, struct http_conn_stats *st)
{
	struct httpconn_stats hs = { 0 };

	if (srv)
		httpconn__stats(srv->conns, &hs);
	st->open = hs.open;
	st->evicted_limit = hs.evicted_limit;
	st->evicted_read = hs.evicted_read;
	st->evicted_write = hs.evicted_write;
	st->refused = hs.refused;
}

void http__stop(struct http_server *srv)
{
	if (!srv)
		return;
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	free_server(srv);
}
