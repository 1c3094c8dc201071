/* webconfig.c - the Prometheus exporter-toolkit web config file (--web.config.file), libyaml. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "webconfig.h"

#define CONFIG_MAX (1024 * 1024)

static const char *const client_auth_names[] = {
	[HTTP_NO_CLIENT_CERT] = "NoClientCert",
	[HTTP_REQUEST_CLIENT_CERT] = "RequestClientCert",
	[HTTP_REQUIRE_ANY_CLIENT_CERT] = "RequireAnyClientCert",
	[HTTP_VERIFY_CLIENT_CERT_IF_GIVEN] = "VerifyClientCertIfGiven",
	[HTTP_REQUIRE_AND_VERIFY_CLIENT_CERT] = "RequireAndVerifyClientCert",
};

struct parse {
	yaml_document_t *doc;
	const char *dir;
	char *why;
	size_t whylen;
};

__attribute__((format(printf, 2, 3))) static int fail(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->why, p->whylen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* The scalar text of node n, or NULL when it is not a scalar. */
static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A file name from the config, relative to p->dir. Returns 0, -EINVAL or -ENOMEM. */
static int file_name(struct parse *p, const char *key, yaml_node_t *v, char **out)
{
	const char *s = scalar(v);

	if (!s)
		return fail(p, "tls_server_config.%s: expected a file name", key);
	if (!*s)
		return 0;
	free(*out);
	if (s[0] == '/' || !p->dir)
		*out = strdup(s);
	else if (asprintf(out, "%s/%s", p->dir, s) < 0)
		*out = NULL;
	return *out ? 0 : -ENOMEM;
}

static int tls_config(struct parse *p, yaml_node_t *m, struct webconfig *wc)
{
	yaml_node_pair_t *pair;
	int err = 0;

	if (m->type == YAML_SCALAR_NODE && !*scalar(m))
		return 0; /* "tls_server_config:" with nothing */
	if (m->type != YAML_MAPPING_NODE)
		return fail(p, "tls_server_config: expected a mapping");
	for (pair = m->data.mapping.pairs.start; !err && pair < m->data.mapping.pairs.top; pair++) {
		const char *k = scalar(yaml_document_get_node(p->doc, pair->key));
		yaml_node_t *v = yaml_document_get_node(p->doc, pair->value);
		const char *s = scalar(v);
		size_t i;

		if (!k)
			return fail(p, "tls_server_config: keys must be strings");
		if (!strcmp(k, "cert_file")) {
			err = file_name(p, k, v, &wc->cert_file);
		} else if (!strcmp(k, "key_file")) {
			err = file_name(p, k, v, &wc->key_file);
		} else if (!strcmp(k, "client_ca_file")) {
			err = file_name(p, k, v, &wc->client_ca_file);
		} else if (!strcmp(k, "client_auth_type")) {
			for (i = 0; s && i < sizeof(client_auth_names) / sizeof(*client_auth_names);
			     i++)
				if (!strcmp(s, client_auth_names[i]))
					break;
			if (!s || i == sizeof(client_auth_names) / sizeof(*client_auth_names))
				return fail(p, "tls_server_config.client_auth_type: unknown %s",
					    s ? s : "(not a string)");
			wc->client_auth = i;
		} else if (!strcmp(k, "min_version")) {
			if (!s || (strcmp(s, "TLS10") && strcmp(s, "TLS11") && strcmp(s, "TLS12") &&
				   strcmp(s, "TLS13")))
				return fail(p, "tls_server_config.min_version: expected TLS10, "
					       "TLS11, TLS12 or TLS13");
			free(wc->min_version);
			wc->min_version = strdup(s);
			err = wc->min_version ? 0 : -ENOMEM;
		} else if (strcmp(k, "max_version") && strcmp(k, "cipher_suites") &&
			   strcmp(k, "curve_preferences") &&
			   strcmp(k, "prefer_server_cipher_suites")) {
			return fail(p, "tls_server_config: unknown key %s", k);
		}
	}
	if (!err && !wc->cert_file != !wc->key_file)
		return fail(p, "tls_server_config: cert_file and key_file go together");
	if (!err && !wc->cert_file && (wc->client_ca_file || wc->client_auth))
		return fail(p,
			    "tls_server_config: client certificates need cert_file and key_file");
	if (!err && wc->client_auth >= HTTP_VERIFY_CLIENT_CERT_IF_GIVEN && !wc->client_ca_file)
		return fail(p, "tls_server_config: client_auth_type %s needs client_ca_file",
			    client_auth_names[wc->client_auth]);
	return err;
}

static int users(struct parse *p, yaml_node_t *m, struct webconfig *wc)
{
	yaml_node_pair_t *pair;
	size_t n;

	if (m->type == YAML_SCALAR_NODE && !*scalar(m))
		return 0;
	if (m->type != YAML_MAPPING_NODE)
		return fail(p, "basic_auth_users: expected a mapping of user to bcrypt hash");
	n = m->data.mapping.pairs.top - m->data.mapping.pairs.start;
	wc->users = calloc(n ? n : 1, sizeof(*wc->users));
	if (!wc->users)
		return -ENOMEM;
	for (pair = m->data.mapping.pairs.start; pair < m->data.mapping.pairs.top; pair++) {
		const char *k = scalar(yaml_document_get_node(p->doc, pair->key));
		const char *v = scalar(yaml_document_get_node(p->doc, pair->value));
		struct http_user *u = &wc->users[wc->nusers];

		if (!k || !*k || strchr(k, ':'))
			return fail(p, "basic_auth_users: user names must be non-empty strings "
				       "without ':'");
		if (!v || !*v)
			return fail(p, "basic_auth_users.%s: expected a bcrypt hash", k);
		u->name = strdup(k);
		u->hash = strdup(v);
		wc->nusers++;
		if (!u->name || !u->hash)
			return -ENOMEM;
	}
	return 0;
}

static int root(struct parse *p, struct webconfig *wc)
{
	yaml_node_t *r = yaml_document_get_root_node(p->doc);
	yaml_node_pair_t *pair;
	int err = 0;

	if (!r || (r->type == YAML_SCALAR_NODE && !*scalar(r)))
		return 0;
	if (r->type != YAML_MAPPING_NODE)
		return fail(p, "expected a mapping at the top");
	for (pair = r->data.mapping.pairs.start; !err && pair < r->data.mapping.pairs.top; pair++) {
		const char *k = scalar(yaml_document_get_node(p->doc, pair->key));
		yaml_node_t *v = yaml_document_get_node(p->doc, pair->value);

		if (!k)
			return fail(p, "top-level keys must be strings");
		if (!strcmp(k, "tls_server_config"))
			err = tls_config(p, v, wc);
		else if (!strcmp(k, "basic_auth_users"))
			err = users(p, v, wc);
		else if (strcmp(k, "http_server_config"))
			return fail(p, "unknown key %s", k);
	}
	return err;
}

int webconfig__parse(const char *text, size_t len, const char *dir, struct webconfig *wc, char *why,
		     size_t whylen)
{
	struct parse p = { .dir = dir, .why = why, .whylen = whylen };
	yaml_parser_t parser;
	yaml_document_t doc;
	int err;

	memset(wc, 0, sizeof(*wc));
	snprintf(why, whylen, "out of memory");
	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(why, whylen, "YAML line %zu: %s", parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "syntax error");
		yaml_parser_delete(&parser);
		return -EINVAL;
	}
	p.doc = &doc;
	err = root(&p, wc);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (err)
		webconfig__free(wc);
	return err;
}

int webconfig__load(const char *path, struct webconfig *wc, char *why, size_t whylen)
{
	char *text = NULL, *dir = NULL, *slash;
	size_t len;
	FILE *f;
	int err;

	memset(wc, 0, sizeof(*wc));
	f = fopen(path, "re");
	if (!f) {
		err = -errno;
		snprintf(why, whylen, "%s: %s", path, strerror(-err));
		return err;
	}
	text = malloc(CONFIG_MAX + 1);
	len = text ? fread(text, 1, CONFIG_MAX + 1, f) : 0;
	err = !text ? -ENOMEM : ferror(f) ? -EIO : len > CONFIG_MAX ? -EFBIG : 0;
	fclose(f);
	dir = strdup(path);
	if (!err && !dir)
		err = -ENOMEM;
	if (err) {
		snprintf(why, whylen, "%s: %s", path, strerror(-err));
	} else {
		slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		err = webconfig__parse(text, len, slash ? dir : NULL, wc, why, whylen);
	}
	free(dir);
	free(text);
	return err;
}

void webconfig__apply(const struct webconfig *wc, struct http_opts *opts)
{
	opts->tls_cert = wc->cert_file;
	opts->tls_key = wc->key_file;
	opts->tls_client_ca = wc->client_ca_file;
	opts->client_auth = wc->client_auth;
	opts->tls_min_version = wc->min_version;
	opts->users = wc->users;
	opts->nusers = wc->nusers;
}

void webconfig__free(struct webconfig *wc)
{
	size_t i;

	for (i = 0; i < wc->nusers; i++) {
		free((char *)wc->users[i].name);
		free((char *)wc->users[i].hash);
	}
	free(wc->users);
	free(wc->cert_file);
	free(wc->key_file);
	free(wc->client_ca_file);
	free(wc->min_version);
	memset(wc, 0, sizeof(*wc));
}
