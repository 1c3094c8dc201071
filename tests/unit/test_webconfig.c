/* test_webconfig.c - unit tests of the exporter-toolkit web config parser (webconfig.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include "webconfig.h"

#define HASH "$2y$10$X0h1gDsPszWURQaxFN.lL.Qhx1spzLqQ.ZnVw.nYHvQkuadfj5uwG"

static int parse(const char *text, struct webconfig *wc, char *why)
{
	return webconfig__parse(text, strlen(text), "/etc/cgoscope", wc, why, 256);
}

static void test_full(void **state)
{
	static const char text[] = "tls_server_config:\n"
				   "  cert_file: server.crt\n"
				   "  key_file: /abs/server.key\n"
				   "  client_ca_file: ca.pem\n"
				   "  client_auth_type: RequireAndVerifyClientCert\n"
				   "  min_version: TLS13\n"
				   "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n"
				   "http_server_config:\n"
				   "  http2: false\n"
				   "basic_auth_users:\n"
				   "  alice: " HASH "\n"
				   "  bob: '" HASH "'\n";
	struct webconfig wc;
	struct http_opts opts = { 0 };
	char why[256];

	assert_int_equal(parse(text, &wc, why), 0);
	assert_string_equal(wc.cert_file, "/etc/cgoscope/server.crt");
	assert_string_equal(wc.key_file, "/abs/server.key");
	assert_string_equal(wc.client_ca_file, "/etc/cgoscope/ca.pem");
	assert_int_equal(wc.client_auth, HTTP_REQUIRE_AND_VERIFY_CLIENT_CERT);
	assert_string_equal(wc.min_version, "TLS13");
	assert_int_equal(wc.nusers, 2);
	assert_string_equal(wc.users[0].name, "alice");
	assert_string_equal(wc.users[1].name, "bob");
	assert_string_equal(wc.users[1].hash, HASH);
	assert_null(wc.users[0].plain);
	webconfig__apply(&wc, &opts);
	assert_ptr_equal(opts.tls_cert, wc.cert_file);
	assert_int_equal(opts.nusers, 2);
	webconfig__free(&wc);
}

static void test_empty(void **state)
{
	struct webconfig wc;
	char why[256];

	assert_int_equal(parse("", &wc, why), 0);
	assert_int_equal(wc.nusers, 0);
	assert_null(wc.cert_file);
	assert_int_equal(parse("basic_auth_users:\n", &wc, why), 0);
	assert_int_equal(wc.nusers, 0);
	webconfig__free(&wc);
}

static void test_errors(void **state)
{
	static const struct {
		const char *text, *why;
	} cases[] = {
		{ "bogus: 1\n", "unknown key bogus" },
		{ "tls_server_config:\n  cert_file: a\n", "go together" },
		{ "tls_server_config:\n  client_auth_type: Maybe\n", "unknown Maybe" },
		{ "tls_server_config:\n  cert_file: a\n  key_file: b\n"
		  "  client_auth_type: RequireAndVerifyClientCert\n",
		  "needs client_ca_file" },
		{ "tls_server_config:\n  client_auth_type: RequireAnyClientCert\n",
		  "need cert_file" },
		{ "tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: SSL3\n",
		  "min_version" },
		{ "tls_server_config:\n  keyfile: b\n", "unknown key keyfile" },
		{ "basic_auth_users:\n  - alice\n", "mapping" },
		{ "basic_auth_users:\n  'a:b': x\n", "without ':'" },
		{ "basic_auth_users:\n  alice:\n", "bcrypt hash" },
		{ "- 1\n", "mapping at the top" },
		{ "a: [\n", "YAML line" },
	};
	struct webconfig wc;
	char why[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (parse(cases[i].text, &wc, why) != -EINVAL)
			fail_msg("case %zu: accepted\n%s", i, cases[i].text);
		if (!strstr(why, cases[i].why))
			fail_msg("case %zu: why '%s', want '%s'", i, why, cases[i].why);
		assert_int_equal(wc.nusers, 0);
		assert_null(wc.cert_file);
	}
	assert_int_equal(webconfig__load("/nonexistent/web.yml", &wc, why, sizeof(why)), -ENOENT);
	assert_non_null(strstr(why, "/nonexistent/web.yml"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
