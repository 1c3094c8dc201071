/* main.c - the cgoscope command: dispatches to its subcommands. */
#include <argp.h>
#include <stdio.h>
#include <string.h>
#include "commands.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *help;
} commands[] = {
	{ "profile", cmd_profile, "trace cgo calls of running Go processes for a while, then report" },
	{ "top", cmd_top, "live view of the traced processes, refreshed every second" },
	{ "agent", cmd_agent, "daemon: trace every Go+cgo process, serve /metrics and a JSON API" },
};

static void usage(FILE *out)
{
	fprintf(out, "Usage: cgoscope COMMAND [OPTION...]\n\n"
		     "Watches cgo calls inside running Go programs (eBPF, no change to the program).\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\n'cgoscope COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
	argp_err_exit_status = 2; /* bad usage, as documented (argp's default is 64) */
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("cgoscope %s\n", CGOSCOPE_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "cgoscope: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return 2;
}
