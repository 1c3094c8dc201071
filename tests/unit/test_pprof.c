/* test_pprof.c - unit tests of the pprof and folded writers: decoded proto, go tool pprof, text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include "folded.h"
#include "intern.h"
#include "pprof.h"
#include "profile.pb-c.h"

#define GO_DEFAULT "/usr/local/go/bin/go"
#define MAX_OUT	   (64 * 1024)

/* Calls into sqlite from three Go frames, a second C function, and the first stack again. */
static const struct pprof_value_type types[] = { { "calls", "count" },
						 { "c_time", "nanoseconds" } };
static const struct pprof_frame step_frames[] = {
	{ "sqlite3_step", NULL, 0, 0x7f0000001000 },
	{ "main.(*Store).Get", "/src/store/store.go", 42, 0x401000 },
	{ "main.handle", "/src/store/main.go", 17, 0x402000 },
	{ "main.main", "/src/store/main.go", 9, 0x403000 },
};
static const struct pprof_frame exec_frames[] = {
	{ "sqlite3_exec", NULL, 0, 0x7f0000002000 },
	{ "main.handle", "/src/store/main.go", 21, 0x402100 },
	{ "main.main", "/src/store/main.go", 9, 0x403000 },
};
static const struct pprof_label labels[] = { { "pid", NULL, 42, NULL },
					     { "comm", "store", 0, NULL } };
static const __s64 v1[] = { 3, 3000 }, v2[] = { 1, 500 }, v3[] = { 2, 1500 };
static const struct pprof_sample samples[] = {
	{ step_frames, 4, v1, labels, 2 },
	{ exec_frames, 3, v2, labels, 2 },
	{ step_frames, 4, v3, labels, 2 },
};
static const struct pprof_mapping maps[] = { { "/usr/bin/store", 0x400000, 0x800000, 0, "b1d0" } };
static const char *const comments[] = { "cgoscope test" };
static const struct pprof_profile model = {
	.types = types,
	.n_types = 2,
	.samples = samples,
	.n_samples = 3,
	.mappings = maps,
	.n_mappings = 1,
	.time_ns = 1700000000000000000LL,
	.duration_ns = 10000000000LL,
	.period_type = { "c_time", "nanoseconds" },
	.period = 1,
	.default_type = "c_time",
	.comments = comments,
	.n_comments = 1,
};

/* Strings in first-use order: header, mapping, then frames and labels sample by sample. */
static const char *const want_strings[] = {
	"",
	"calls",
	"count",
	"c_time",
	"nanoseconds",
	"cgoscope test",
	"/usr/bin/store",
	"b1d0",
	"sqlite3_step",
	"main.(*Store).Get",
	"/src/store/store.go",
	"main.handle",
	"/src/store/main.go",
	"main.main",
	"pid",
	"comm",
	"store",
	"sqlite3_exec",
};

/* Per function id - 1: name and file (string indices). */
static const int64_t want_functions[][2] = {
	{ 8, 0 }, { 9, 10 }, { 11, 12 }, { 13, 12 }, { 17, 0 }
};

/* Per location id - 1: mapping, address, function, line. */
static const uint64_t want_locations[][4] = {
	{ 0, 0x7f0000001000, 1, 0 }, { 1, 0x401000, 2, 42 },	  { 1, 0x402000, 3, 17 },
	{ 1, 0x403000, 4, 9 },	     { 0, 0x7f0000002000, 5, 0 }, { 1, 0x402100, 3, 21 },
};

static const uint64_t want_stack1[] = { 1, 2, 3, 4 }, want_stack2[] = { 5, 6, 4 };

static Perftools__Profiles__Profile *decode(const struct pprof_profile *p)
{
	Perftools__Profiles__Profile *prof;
	void *buf;
	size_t len;

	assert_int_equal(pprof__encode(p, &buf, &len), 0);
	prof = perftools__profiles__profile__unpack(NULL, len, buf);
	free(buf);
	assert_non_null(prof);
	return prof;
}

static void check_sample(const Perftools__Profiles__Sample *s, const uint64_t *stack, size_t n,
			 const __s64 *values)
{
	size_t i;

	assert_int_equal(s->n_location_id, n);
	for (i = 0; i < n; i++)
		assert_int_equal(s->location_id[i], stack[i]);
	assert_int_equal(s->n_value, 2);
	assert_int_equal(s->value[0], values[0]);
	assert_int_equal(s->value[1], values[1]);
	assert_int_equal(s->n_label, 2);
	assert_int_equal(s->label[0]->key, 14); /* pid=42 */
	assert_int_equal(s->label[0]->num, 42);
	assert_int_equal(s->label[0]->str, 0);
	assert_int_equal(s->label[1]->key, 15); /* comm=store */
	assert_int_equal(s->label[1]->str, 16);
}

static void check_header(const Perftools__Profiles__Profile *prof)
{
	const Perftools__Profiles__Mapping *m;

	assert_int_equal(prof->n_sample_type, 2);
	assert_int_equal(prof->sample_type[0]->type, 1);
	assert_int_equal(prof->sample_type[0]->unit, 2);
	assert_int_equal(prof->sample_type[1]->type, 3);
	assert_int_equal(prof->sample_type[1]->unit, 4);
	assert_int_equal(prof->default_sample_type, 3);
	assert_non_null(prof->period_type);
	assert_int_equal(prof->period_type->type, 3);
	assert_int_equal(prof->period_type->unit, 4);
	assert_int_equal(prof->period, 1);
	assert_int_equal(prof->time_nanos, model.time_ns);
	assert_int_equal(prof->duration_nanos, model.duration_ns);
	assert_int_equal(prof->n_comment, 1);
	assert_int_equal(prof->comment[0], 5);
	assert_int_equal(prof->n_mapping, 1);
	m = prof->mapping[0];
	assert_int_equal(m->id, 1);
	assert_int_equal(m->memory_start, 0x400000);
	assert_int_equal(m->memory_limit, 0x800000);
	assert_int_equal(m->file_offset, 0);
	assert_int_equal(m->filename, 6);
	assert_int_equal(m->build_id, 7);
	assert_true(m->has_functions && m->has_filenames && m->has_line_numbers);
	assert_false(m->has_inline_frames);
}

/* (a) The proto decoded by protobuf-c: every table exactly. */
static void test_decode(void **state)
{
	Perftools__Profiles__Profile *prof = decode(&model);
	const Perftools__Profiles__Location *l;
	size_t i, n = sizeof(want_strings) / sizeof(want_strings[0]);

	assert_int_equal(prof->n_string_table, n);
	for (i = 0; i < n; i++)
		assert_string_equal(prof->string_table[i], want_strings[i]);
	check_header(prof);
	assert_int_equal(prof->n_function, 5);
	for (i = 0; i < prof->n_function; i++) {
		assert_int_equal(prof->function[i]->id, i + 1);
		assert_int_equal(prof->function[i]->name, want_functions[i][0]);
		assert_int_equal(prof->function[i]->system_name, want_functions[i][0]);
		assert_int_equal(prof->function[i]->filename, want_functions[i][1]);
	}
	assert_int_equal(prof->n_location, 6);
	for (i = 0; i < prof->n_location; i++) {
		l = prof->location[i];
		assert_int_equal(l->id, i + 1);
		assert_int_equal(l->mapping_id, want_locations[i][0]);
		assert_int_equal(l->address, want_locations[i][1]);
		assert_int_equal(l->n_line, 1);
		assert_int_equal(l->line[0]->function_id, want_locations[i][2]);
		assert_int_equal(l->line[0]->line, want_locations[i][3]);
	}
	assert_int_equal(prof->n_sample, 3);
	check_sample(prof->sample[0], want_stack1, 4, v1);
	check_sample(prof->sample[1], want_stack2, 3, v2);
	check_sample(prof->sample[2], want_stack1, 4, v3);
	perftools__profiles__profile__free_unpacked(prof, NULL);
}

/* A mapping with a location lacking file and line does not claim them: pprof may symbolize. */
static void test_mapping_flags(void **state)
{
	static const struct pprof_frame bare[] = { { "f", NULL, 0, 0x401000 } };
	static const struct pprof_sample one[] = { { bare, 1, v1, NULL, 0 } };
	struct pprof_profile p = model;
	Perftools__Profiles__Profile *prof;

	p.samples = one;
	p.n_samples = 1;
	prof = decode(&p);
	assert_true(prof->mapping[0]->has_functions);
	assert_false(prof->mapping[0]->has_filenames);
	assert_false(prof->mapping[0]->has_line_numbers);
	perftools__profiles__profile__free_unpacked(prof, NULL);
}

static char *tmpdir(void)
{
	char *dir = strdup("/tmp/cgoscope-pprof-XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static char *join(const char *dir, const char *name)
{
	char *path;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	return path;
}

static size_t dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* The file is gzip of pprof__encode(), mode 0644, and nothing else is left in the directory. */
static void test_write(void **state)
{
	char *dir = tmpdir(), *path = join(dir, "cgo.pb.gz"), got[4096];
	void *want;
	size_t len;
	struct stat st;
	gzFile gz;
	int n;

	assert_int_equal(pprof__write(&model, path), 0);
	assert_int_equal(pprof__write(&model, path), 0); /* replaces */
	assert_int_equal(pprof__encode(&model, &want, &len), 0);
	gz = gzopen(path, "rb");
	assert_non_null(gz);
	assert_int_equal(gzdirect(gz), 0);
	n = gzread(gz, got, sizeof(got));
	gzclose(gz);
	assert_int_equal(n, len);
	assert_memory_equal(got, want, len);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(dir_entries(dir), 1);
	free(want);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

static void test_write_errors(void **state)
{
	char *dir = tmpdir(), *path = join(dir, "missing/cgo.pb.gz");
	struct pprof_profile bad = model;

	assert_int_equal(pprof__write(&model, path), -ENOENT);
	assert_int_equal(pprof__write(&model, dir), -EISDIR); /* rename over a directory */
	assert_int_equal(dir_entries(dir), 0); /* no temporary file left */
	assert_int_equal(pprof__write(&model, NULL), -EINVAL);
	assert_int_equal(pprof__write(&model, ""), -EINVAL);
	assert_int_equal(pprof__write(NULL, path), -EINVAL);
	bad.default_type = "cpu";
	assert_int_equal(pprof__write(&bad, dir), -EINVAL);
	rmdir(dir);
	free(path);
	free(dir);
}

static void test_encode_errors(void **state)
{
	static const struct pprof_sample no_values[] = { { step_frames, 4, NULL, NULL, 0 } };
	static const struct pprof_label no_key[] = { { NULL, "x", 0, NULL } };
	static const struct pprof_sample bad_label[] = { { step_frames, 4, v1, no_key, 1 } };
	struct pprof_profile p = model;
	void *buf = (void *)1;
	size_t len;

	assert_int_equal(pprof__encode(NULL, &buf, &len), -EINVAL);
	assert_null(buf);
	assert_int_equal(pprof__encode(&model, NULL, &len), -EINVAL);
	assert_int_equal(pprof__encode(&model, &buf, NULL), -EINVAL);
	p.n_types = 0;
	assert_int_equal(pprof__encode(&p, &buf, &len), -EINVAL);
	p = model;
	p.samples = no_values;
	p.n_samples = 1;
	assert_int_equal(pprof__encode(&p, &buf, &len), -EINVAL);
	p.samples = bad_label;
	assert_int_equal(pprof__encode(&p, &buf, &len), -EINVAL);
	p = model;
	p.default_type = "cpu";
	assert_int_equal(pprof__encode(&p, &buf, &len), -EINVAL);
	assert_null(buf);
}

/* The go binary: $GO, `go` on PATH, or the usual install; NULL if none. */
static char *find_go(void)
{
	const char *env = getenv("GO");
	char *path = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	if (env && !access(env, X_OK))
		return strdup(env);
	f = popen("command -v go 2>/dev/null", "r");
	if (f && (n = getline(&path, &cap, f)) > 1)
		path[n - 1] = '\0';
	else if (!access(GO_DEFAULT, X_OK))
		path = strdup(GO_DEFAULT);
	if (f)
		pclose(f);
	if (path && access(path, X_OK)) {
		free(path);
		path = NULL;
	}
	return path;
}

/* What `go tool pprof ARGS FILE` prints; fails the test when it does not exit 0. */
static char *run_pprof(const char *go, const char *args, const char *file)
{
	char *cmd, *out = calloc(1, MAX_OUT);
	size_t n;
	FILE *f;

	assert_non_null(out);
	/* go tool builds pprof on first use, into its cache: give it one without $HOME */
	if (!getenv("GOCACHE") && !getenv("HOME") && !getenv("XDG_CACHE_HOME"))
		setenv("GOCACHE", "/tmp/cgoscope-test-gocache", 0);
	assert_true(
	    asprintf(&cmd, "GOTOOLCHAIN=local '%s' tool pprof %s '%s' 2>&1", go, args, file) > 0);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, MAX_OUT - 1, f);
	out[n] = '\0';
	if (pclose(f))
		fail_msg("%s failed:\n%s", cmd, out);
	free(cmd);
	return out;
}

static void assert_contains(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("missing \"%s\" in:\n%s", want, text);
}

/* (b) What go tool pprof reads from the file: values per sample type, functions, files:lines. */
static void test_go_pprof(void **state)
{
	char *go = find_go(), *dir, *path, *out;

	if (!go) {
		fprintf(stderr, "test_pprof: SKIPPING test_go_pprof: no go on PATH, $GO or "
				"" GO_DEFAULT "\n");
		skip();
	}
	dir = tmpdir();
	path = join(dir, "cgo.pb.gz");
	assert_int_equal(pprof__write(&model, path), 0);
	out = run_pprof(go, "-top -sample_index=calls", path);
	assert_contains(out, "Type: calls\n");
	assert_contains(out, "Build ID: b1d0\n");
	assert_contains(out, "cgoscope test\n");
	assert_contains(out, "Showing nodes accounting for 6, 100% of 6 total\n");
	assert_contains(out, "         5 83.33% 83.33%          5 83.33%  sqlite3_step\n");
	assert_contains(out, "         1 16.67%   100%          1 16.67%  sqlite3_exec\n");
	assert_contains(out, "         0     0%   100%          5 83.33%  main.(*Store).Get\n");
	free(out);
	out = run_pprof(go, "-top", path); /* the default type: c_time */
	assert_contains(out, "Type: c_time\n");
	assert_contains(out, "    4500ns 90.00% 90.00%     4500ns 90.00%  sqlite3_step\n");
	assert_contains(out, "     500ns 10.00%   100%      500ns 10.00%  sqlite3_exec\n");
	assert_contains(out, "         0     0%   100%     5000ns   100%  main.main\n");
	free(out);
	out = run_pprof(go, "-traces -lines -sample_index=calls", path);
	assert_contains(out, "      comm:  store\n"
			     "       pid:  42\n"
			     "         3   sqlite3_step\n"
			     "             main.(*Store).Get /src/store/store.go:42\n"
			     "             main.handle /src/store/main.go:17\n"
			     "             main.main /src/store/main.go:9\n");
	assert_contains(out, "         1   sqlite3_exec\n"
			     "             main.handle /src/store/main.go:21\n"
			     "             main.main /src/store/main.go:9\n");
	free(out);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
	free(go);
}

/* folded__write() into a string. */
static char *folded(const struct pprof_profile *p, unsigned int value, unsigned int flags)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	assert_non_null(f);
	assert_int_equal(folded__write(f, p, value, flags), 0);
	fclose(f);
	return text;
}

static void assert_folded(const struct pprof_profile *p, unsigned int value, unsigned int flags,
			  const char *want)
{
	char *got = folded(p, value, flags);

	assert_string_equal(got, want);
	free(got);
}

/* (c) Folded stacks byte for byte: root first, the repeated stack summed, per value. */
static void test_folded(void **state)
{
	assert_folded(&model, 0, 0,
		      "main.main;main.handle;main.(*Store).Get;sqlite3_step 5\n"
		      "main.main;main.handle;sqlite3_exec 1\n");
	assert_folded(&model, 1, 0,
		      "main.main;main.handle;main.(*Store).Get;sqlite3_step 4500\n"
		      "main.main;main.handle;sqlite3_exec 500\n");
	assert_folded(&model, 0, FOLDED_LINES,
		      "main.main@/src/store/main.go:9;main.handle@/src/store/main.go:17;"
		      "main.(*Store).Get@/src/store/store.go:42;sqlite3_step 5\n"
		      "main.main@/src/store/main.go:9;main.handle@/src/store/main.go:21;"
		      "sqlite3_exec 1\n");
}

/* Names that would break the format, unknown frames, empty stacks, zero sums. */
static void test_folded_escape(void **state)
{
	static const struct pprof_frame odd[] = {
		{ "a;b c\nd\te", "my dir/x;y.go", 3, 0 },
		{ NULL, NULL, 0, 0 },
		{ "", "f.go", 0, 0 },
	};
	static const __s64 one[] = { 1 }, zero[] = { 0 }, neg[] = { -4 };
	static const struct pprof_sample s[] = {
		{ odd, 3, one, NULL, 0 },
		{ NULL, 0, one, NULL, 0 },
		{ step_frames, 4, zero, NULL, 0 },
		{ exec_frames, 3, neg, NULL, 0 },
	};
	struct pprof_profile p = { .types = types, .n_types = 1, .samples = s, .n_samples = 4 };

	assert_folded(&p, 0, 0, "[unknown];[unknown];a:b_c_d_e 1\n[unknown] 1\n");
	assert_folded(&p, 0, FOLDED_LINES,
		      "[unknown]@f.go;[unknown];a:b_c_d_e@my_dir/x:y.go:3 1\n[unknown] 1\n");
}

static void test_folded_errors(void **state)
{
	static const __s64 big[] = { INT64_MAX };
	static const struct pprof_sample s[] = { { step_frames, 4, big, NULL, 0 },
						 { step_frames, 4, big, NULL, 0 } };
	struct pprof_profile p = { .types = types, .n_types = 1, .samples = s, .n_samples = 2 };
	FILE *full = fopen("/dev/full", "w");

	assert_int_equal(folded__write(NULL, &model, 0, 0), -EINVAL);
	assert_int_equal(folded__write(stdout, NULL, 0, 0), -EINVAL);
	assert_int_equal(folded__write(stdout, &model, 2, 0), -EINVAL);
	assert_int_equal(folded__write(stdout, &p, 0, 0), -EOVERFLOW);
	assert_non_null(full);
	assert_int_equal(folded__write(full, &model, 0, 0), -EIO);
	fclose(full);
}

/* Ids in first-seen order, keys kept through growth, binary keys with NULs. */
static void test_intern(void **state)
{
	struct intern t;
	char key[32];
	size_t i, id, len;
	int added;

	intern__init(&t);
	for (i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "k%zu", i);
		assert_int_equal(intern__str(&t, key, &id, &added), 0);
		assert_int_equal(id, i);
		assert_true(added);
	}
	for (i = 0; i < 5000; i += 7) {
		snprintf(key, sizeof(key), "k%zu", i);
		assert_int_equal(intern__str(&t, key, &id, &added), 0);
		assert_int_equal(id, i);
		assert_false(added);
		assert_string_equal(intern__key(&t, i, &len), key);
		assert_int_equal(len, strlen(key));
	}
	assert_int_equal(intern__id(&t, "a\0b", 3, &id, NULL), 0);
	assert_int_equal(id, 5000);
	assert_int_equal(intern__id(&t, "a\0c", 3, &id, NULL), 0);
	assert_int_equal(id, 5001);
	assert_int_equal(intern__id(&t, NULL, 0, &id, NULL), 0);
	assert_int_equal(intern__str(&t, "", &id, NULL), 0);
	assert_int_equal(id, 5002);
	assert_null(intern__key(&t, 5003, NULL));
	assert_int_equal(intern__id(&t, NULL, 1, &id, NULL), -EINVAL);
	intern__free(&t);
	assert_int_equal(t.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),	      cmocka_unit_test(test_mapping_flags),
		cmocka_unit_test(test_write),	      cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_encode_errors), cmocka_unit_test(test_go_pprof),
		cmocka_unit_test(test_folded),	      cmocka_unit_test(test_folded_escape),
		cmocka_unit_test(test_folded_errors), cmocka_unit_test(test_intern),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
