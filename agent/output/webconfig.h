/* webconfig.h - the Prometheus exporter-toolkit web config file (--web.config.file), libyaml. */
#ifndef CGOSCOPE_WEBCONFIG_H
#define CGOSCOPE_WEBCONFIG_H

#include <stddef.h>
#include "http.h"

/* One parsed file; every string is owned. */
struct webconfig {
	char *cert_file, *key_file, *client_ca_file, *min_version; /* NULL when absent */
	enum http_client_auth client_auth;
	struct http_user *users; /* name and bcrypt hash */
	size_t nusers;
};

/*
 * Parses the YAML text of a web config (pure): tls_server_config with
 * cert_file, key_file, client_ca_file, client_auth_type (NoClientCert,
 * RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven,
 * RequireAndVerifyClientCert), min_version (TLS10..TLS13) and, ignored,
 * max_version, cipher_suites, curve_preferences, prefer_server_cipher_suites;
 * basic_auth_users as a map of user to bcrypt hash; http_server_config
 * (ignored). Relative file names are taken from dir (NULL: as they are).
 * Unknown keys, wrong types and half-given key pairs are errors, as in the
 * toolkit. An empty document is a valid empty config. On failure why holds
 * one line. Returns 0, -EINVAL or -ENOMEM; wc is freed by webconfig__free().
 */
int webconfig__parse(const char *text, size_t len, const char *dir, struct webconfig *wc, char *why,
		     size_t whylen);

/* webconfig__parse() of the file at path (relative names from its folder). Returns 0 or -errno. */
int webconfig__load(const char *path, struct webconfig *wc, char *why, size_t whylen);

/* Points the TLS and user fields of opts at wc (which must outlive their use). */
void webconfig__apply(const struct webconfig *wc, struct http_opts *opts);

void webconfig__free(struct webconfig *wc);

#endif /* CGOSCOPE_WEBCONFIG_H */
