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
#include <unistd.h>
#include <microhttpd.h>
#include "http.h"

#define PEM_MAX	  (1024 * 1024)
#define LOG_BURST 10 /* MHD messages printed per minute; the rest are counted */
#define LOG_LEN	  256
#define ALLOWED	  "GET, HEAD"
#define HEALTHZ	  "/healthz"

struct http_server {
	struct MHD_Daemon *daemon;
	http_handler_fn fn;
	void *ctx;
	int port;
	char *user, *pass; /* both NULL: no auth */
	char *cert, *key; /* PEM text, kept until stop */
	size_t key_len;
	atomic_ullong requests, errors;
	/* MHD's messages: rate limited; while starting, kept for the failure message */
	pthread_mutex_t log_lock;
	time_t log_minute;
	unsigned int log_count;
	bool starting;
	char start_msg[LOG_LEN];
};

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

/* Builds a response over body (freed by MHD with free(), or by us if that fails). */
static struct MHD_Response *make_response(const char *type, char *body, size_t len, bool owned)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(len, body,
					    owned ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		if (owned)
			free(body);
		return NULL;
	}
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type ? type : HTTP_TEXT) ==
		MHD_NO ||
	    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff") == MHD_NO ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store") == MHD_NO) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

/* Queues a response and counts it; status 401 asks for credentials. */
static enum MHD_Result reply(struct http_server *srv, struct MHD_Connection *conn, int status,
			     struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (!r) {
		atomic_fetch_add(&srv->errors, 1);
		return MHD_NO; /* MHD closes the connection */
	}
	if (status == MHD_HTTP_UNAUTHORIZED)
		ret = MHD_queue_basic_auth_fail_response(conn, HTTP_REALM, r);
	else
		ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	if (ret == MHD_NO || status >= 500)
		atomic_fetch_add(&srv->errors, 1);
	return ret;
}

/* A short static text body for the server's own answers. */
static enum MHD_Result reply_text(struct http_server *srv, struct MHD_Connection *conn, int status,
				  const char *text)
{
	struct MHD_Response *r = make_response(HTTP_TEXT, (char *)text, strlen(text), false);

	if (r && status == MHD_HTTP_METHOD_NOT_ALLOWED &&
	    MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, ALLOWED) == MHD_NO) {
		MHD_destroy_response(r);
		r = NULL;
	}
	return reply(srv, conn, status, r);
}

static bool authorized(struct http_server *srv, struct MHD_Connection *conn)
{
	char *pass = NULL, *user;
	bool ok;

	user = MHD_basic_auth_get_username_password(conn, &pass);
	ok = user && pass;
	/* both compared whatever the first gives, so the time says nothing about which failed */
	ok &= ct_equal(user ? user : "", srv->user);
	ok &= ct_equal(pass ? pass : "", srv->pass);
	MHD_free(user);
	MHD_free(pass);
	return ok;
}

static bool has_body(struct MHD_Connection *conn)
{
	const char *cl =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);

	if (MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return true;
	return cl && strspn(cl, "0") != strlen(cl);
}

/* Runs the handler and answers with its response, or 500. */
static enum MHD_Result serve(struct http_server *srv, struct MHD_Connection *conn, const char *url)
{
	struct http_response resp = { .status = MHD_HTTP_OK };
	int err;

	err = srv->fn(url, srv->ctx, &resp);
	if (!err && (resp.status < 200 || resp.status > 599 || (!resp.body && resp.len)))
		err = -EINVAL;
	if (err) {
		log_msg(srv, "%.100s: %s", url, err < 0 ? strerror(-err) : "bad handler return");
		free(resp.body);
		return reply_text(srv, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n");
	}
	return reply(srv, conn, resp.status,
		     make_response(resp.content_type, resp.body, resp.len, true));
}

/*
 * Called once when the headers are in (*con_cls NULL), then again when the
 * request is complete. Requests we refuse are answered on the first call:
 * their body, if any, is never read and MHD closes the connection after the
 * answer. Served requests are answered on the second call, which keeps
 * HTTP/1.1 connections alive.
 */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct http_server *srv = cls;

	if (!*con_cls) {
		atomic_fetch_add(&srv->requests, 1);
		if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
			return reply_text(srv, conn, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "method not allowed\n");
		if (has_body(conn))
			return reply_text(srv, conn, MHD_HTTP_CONTENT_TOO_LARGE,
					  "request body not allowed\n");
		*con_cls = srv;
		return MHD_YES;
	}
	if (*upload_data_size) /* a body after all: refused above, so never here */
		return MHD_NO;
	if (srv->user && strcmp(url, HEALTHZ) && !authorized(srv, conn))
		return reply_text(srv, conn, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
	return serve(srv, conn, url);
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

static void free_server(struct http_server *srv)
{
	if (srv->key)
		explicit_bzero(srv->key, srv->key_len);
	free(srv->key);
	free(srv->cert);
	free(srv->user);
	free(srv->pass);
	pthread_mutex_destroy(&srv->log_lock);
	free(srv);
}

/* Checks opts and copies what outlives http__start() into srv. Returns 0 or -errno, *why set. */
static int configure(struct http_server *srv, const struct http_opts *opts, const char **why)
{
	size_t cert_len;
	int err;

	if (!opts->tls_cert != !opts->tls_key) {
		*why = "tls_cert and tls_key must be given together";
		return -EINVAL;
	}
	if (!opts->basic_user != !opts->basic_pass) {
		*why = "basic_user and basic_pass must be given together";
		return -EINVAL;
	}
	if (opts->basic_user) {
		if (!*opts->basic_user || strchr(opts->basic_user, ':')) {
			*why = "basic auth user must be non-empty and without ':'";
			return -EINVAL;
		}
		srv->user = strdup(opts->basic_user);
		srv->pass = strdup(opts->basic_pass);
		if (!srv->user || !srv->pass)
			return -ENOMEM;
	}
	if (!opts->tls_cert)
		return 0;
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		*why = "libmicrohttpd was built without TLS";
		return -ENOTSUP;
	}
	err = read_pem(opts->tls_cert, &srv->cert, &cert_len);
	if (err) {
		*why = opts->tls_cert;
		return err;
	}
	err = read_pem(opts->tls_key, &srv->key, &srv->key_len);
	if (err)
		*why = opts->tls_key;
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

/* MHD_start_daemon() on ss; errno tells why it failed. */
static struct MHD_Daemon *start_daemon(struct http_server *srv, const struct http_opts *opts,
				       const struct sockaddr_storage *ss, bool any)
{
	unsigned int flags = MHD_USE_ERROR_LOG;
	struct MHD_OptionItem items[] = {
		{ MHD_OPTION_CONNECTION_LIMIT, or_default(opts->max_conns, HTTP_DEFAULT_MAX_CONNS),
		  NULL },
		{ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
		  or_default(opts->per_ip_conns, HTTP_DEFAULT_PER_IP_CONNS), NULL },
		{ MHD_OPTION_CONNECTION_TIMEOUT,
		  or_default(opts->timeout_s, HTTP_DEFAULT_TIMEOUT_S), NULL },
		{ MHD_OPTION_CONNECTION_MEMORY_LIMIT, HTTP_CONN_MEMORY, NULL },
		{ MHD_OPTION_SOCK_ADDR, 0, (void *)ss },
		/* without TLS the list ends here */
		{ srv->key ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, srv->key },
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, srv->cert },
		{ MHD_OPTION_END, 0, NULL },
	};
	if (MHD_is_feature_supported(MHD_FEATURE_EPOLL) == MHD_YES)
		flags |= MHD_USE_EPOLL_INTERNAL_THREAD;
	else
		flags |= MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD;
	if (ss->ss_family == AF_INET6)
		flags |= any ? MHD_USE_DUAL_STACK : MHD_USE_IPv6;
	if (srv->key)
		flags |= MHD_USE_TLS;
	errno = 0;
	/* the logger first, so no message goes to MHD's default stderr logger */
	return MHD_start_daemon(flags, ss_port(ss), NULL, NULL, on_request, srv,
				MHD_OPTION_EXTERNAL_LOGGER, log_mhd, srv, MHD_OPTION_ARRAY, items,
				MHD_OPTION_END);
}

int http__start(const struct http_opts *opts, http_handler_fn fn, void *ctx,
		struct http_server **out)
{
	const char *listen = opts && opts->listen ? opts->listen : "(null)", *why = NULL;
	const union MHD_DaemonInfo *info;
	struct sockaddr_storage ss;
	struct http_server *srv;
	socklen_t len;
	bool any;
	int err;

	if (!opts || !fn || !out) {
		fprintf(stderr, "cgoscope: cannot listen on %s: %s\n", listen, strerror(EINVAL));
		return -EINVAL;
	}
	if (http__parse_listen(opts->listen, &ss, &len)) {
		fprintf(stderr,
			"cgoscope: cannot listen on %s: expected IPv4:port, [IPv6]:port or :port "
			"(numeric, port 0-65535)\n",
			listen);
		return -EINVAL;
	}
	*out = NULL;
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		fprintf(stderr, "cgoscope: cannot listen on %s: %s\n", listen, strerror(ENOMEM));
		return -ENOMEM;
	}
	pthread_mutex_init(&srv->log_lock, NULL);
	srv->fn = fn;
	srv->ctx = ctx;
	srv->starting = true;
	err = configure(srv, opts, &why);
	if (err) {
		if (why && err != -EINVAL && err != -ENOTSUP)
			fprintf(stderr, "cgoscope: cannot listen on %s: %s: %s\n", listen, why,
				strerror(-err));
		else
			fprintf(stderr, "cgoscope: cannot listen on %s: %s\n", listen,
				why ? why : strerror(-err));
		free_server(srv);
		return err;
	}
	any = listen[0] == ':';
	srv->daemon = start_daemon(srv, opts, &ss, any);
	if (!srv->daemon && any && errno == EAFNOSUPPORT) {
		/* no IPv6 on this host: every IPv4 address */
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		unsigned short port = ss_port(&ss);

		memset(&ss, 0, sizeof(ss));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = htons(port);
		srv->daemon = start_daemon(srv, opts, &ss, false);
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
	srv->port = info ? info->port : ss_port(&ss);
	*out = srv;
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

void http__stop(struct http_server *srv)
{
	if (!srv)
		return;
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	free_server(srv);
}
