/* commands.h - entry points of the cgoscope subcommands (argv[0] is the command name). */
#ifndef CGOSCOPE_COMMANDS_H
#define CGOSCOPE_COMMANDS_H

/* `cgoscope profile`: trace for a while, then report. Returns the process exit code. */
int cmd_profile(int argc, char **argv);

/* `cgoscope agent`: the daemon (discovery, /metrics, JSON API, alerts). Returns the exit code. */
int cmd_agent(int argc, char **argv);

/* `cgoscope top`: a live view refreshed every second. Returns the exit code. */
int cmd_top(int argc, char **argv);

#endif /* CGOSCOPE_COMMANDS_H */
