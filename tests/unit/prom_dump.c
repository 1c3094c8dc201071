/* prom_dump.c - prints the sample snapshot as Prometheus text (golden file, promtool check). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "prom.h"
#include "sample_snapshot.h"

int main(void)
{
	struct prom_opts opts = sample_snapshot__prom_opts();
	struct snapshot snap;
	char *text = NULL;
	size_t len = 0;
	int err;

	err = sample_snapshot__fill(&snap);
	if (!err)
		err = prom__render(&snap, &opts, &text, &len);
	if (err) {
		fprintf(stderr, "prom_dump: %s\n", strerror(-err));
		return 1;
	}
	fwrite(text, 1, len, stdout);
	free(text);
	snapshot__free(&snap);
	return fflush(stdout) ? 1 : 0;
}
