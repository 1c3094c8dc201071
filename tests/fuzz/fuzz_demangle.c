/* fuzz_demangle.c - libFuzzer harness: cnames__demangle() and gobin__parse_release() on strings. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cnames.h"
#include "gobin.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), out[64], tiny[1];
	size_t n, sizes[] = { sizeof(out), 8, 1 };
	int major = -1, minor = -1, r;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		r = cnames__demangle(s, out, sizes[i]);
		n = strnlen(out, sizes[i]);
		if ((r != 0 && r != 1) || n == sizes[i] || n > strlen(s))
			__builtin_trap();
		/* Demangled: a non-empty suffix of the input; else the input, truncated. */
		if (r == 1 && ((!n && sizes[i] > 1) || !strstr(s, out)))
			__builtin_trap();
		if (r == 0 && strncmp(out, s, n))
			__builtin_trap();
	}
	cnames__demangle(s, tiny, sizeof(tiny));
	if (tiny[0])
		__builtin_trap();
	r = gobin__parse_release(s, &major, &minor);
	if (r != 0 && r != -ENOENT)
		__builtin_trap();
	if (!r && (major < 0 || minor < 0 || !strstr(s, "go")))
		__builtin_trap();
	free(s);
	return 0;
}
