/* selfmetrics.c - the agent's own metrics: process_* of this process and its HTTP server. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include "selfmetrics.h"

/* A family's HELP and TYPE lines. */
static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void gauge(FILE *f, const char *name, const char *help, double v)
{
	family(f, name, "gauge", help);
	fprintf(f, "%s %.17g\n", name, v);
}

static unsigned long open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned long n = 0;
	struct dirent *e;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n ? n - 1 : 0; /* the directory's own fd */
}

/* Start time (s since the epoch) and sizes from /proc/self/stat; 0 when unreadable. */
static void proc_stat(double *start, double *vsize, double *rss)
{
	unsigned long long starttime = 0, vs = 0;
	long long rsspages = 0;
	char buf[1024], *p;
	FILE *f = fopen("/proc/self/stat", "re");
	double boot = 0;
	size_t n;

	*start = *vsize = *rss = 0;
	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')'); /* comm may hold spaces */
	if (!p || sscanf(p + 2,
			 "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d "
			 "%*d %*d %llu %llu %lld",
			 &starttime, &vs, &rsspages) != 3)
		return;
	f = fopen("/proc/stat", "re");
	while (f && fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "btime %lf", &boot) == 1)
			break;
	if (f)
		fclose(f);
	*start = boot + (double)starttime / sysconf(_SC_CLK_TCK);
	*vsize = vs;
	*rss = (double)rsspages * sysconf(_SC_PAGESIZE);
}

struct count_ctx {
	FILE *f;
};

static void count_line(const char *handler, int code, unsigned long long n, void *arg)
{
	struct count_ctx *c = arg;

	fprintf(c->f, "cgoscope_http_requests_total{handler=\"%s\",code=\"%d\"} %llu\n", handler,
		code, n);
}

int selfmetrics__append(const struct selfmetrics_src *src, char **text, size_t *len)
{
	struct http_conn_stats cs = { 0 };
	struct count_ctx cc;
	struct rusage ru;
	struct rlimit rl;
	double start, vsize, rss;
	char *out = NULL, *joined;
	size_t olen = 0;
	FILE *f = open_memstream(&out, &olen);

	if (!f)
		return -ENOMEM;
	getrusage(RUSAGE_SELF, &ru);
	proc_stat(&start, &vsize, &rss);
	family(f, "process_cpu_seconds_total", "counter",
	       "Total user and system CPU time spent in seconds.");
	fprintf(f, "process_cpu_seconds_total %.6f\n",
		ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	gauge(f, "process_resident_memory_bytes", "Resident memory size in bytes.", rss);
	gauge(f, "process_virtual_memory_bytes", "Virtual memory size in bytes.", vsize);
	gauge(f, "process_open_fds", "Number of open file descriptors.", open_fds());
	if (!getrlimit(RLIMIT_NOFILE, &rl))
		gauge(f, "process_max_fds", "Maximum number of open file descriptors.",
		      rl.rlim_cur == RLIM_INFINITY ? -1 : (double)rl.rlim_cur);
	gauge(f, "process_start_time_seconds",
	      "Start time of the process since unix epoch in seconds.", start);
	family(f, "cgoscope_http_requests_total", "counter",
	       "HTTP requests answered by the agent, by handler and status code.");
	cc.f = f;
	http__foreach_count(src->srv, count_line, &cc);
	http__conn_stats(src->srv, &cs);
	gauge(f, "cgoscope_http_connections", "HTTP connections open now.", cs.open);
	family(f, "cgoscope_http_connections_closed_total", "counter",
	       "HTTP connections the agent closed: to make room at the connection limit, new "
	       "ones without room, or past the deadline for reading a request or sending a "
	       "response.");
	fprintf(f, "cgoscope_http_connections_closed_total{reason=\"limit\"} %llu\n",
		cs.evicted_limit);
	fprintf(f, "cgoscope_http_connections_closed_total{reason=\"refused\"} %llu\n", cs.refused);
	fprintf(f, "cgoscope_http_connections_closed_total{reason=\"read_deadline\"} %llu\n",
		cs.evicted_read);
	fprintf(f, "cgoscope_http_connections_closed_total{reason=\"write_deadline\"} %llu\n",
		cs.evicted_write);
	family(f, "cgoscope_http_renders_total", "counter",
	       "Renders of the metrics page (concurrent scrapes share one).");
	fprintf(f, "cgoscope_http_renders_total %llu\n", src->renders);
	gauge(f, "cgoscope_http_render_live_bytes",
	      "Bytes of rendered pages alive (cached or still being sent).",
	      (double)src->live_bytes);
	if (fclose(f)) {
		free(out);
		return -ENOMEM;
	}
	joined = realloc(*text, *len + olen + 1);
	if (!joined) {
		free(out);
		return -ENOMEM;
	}
	memcpy(joined + *len, out, olen + 1);
	free(out);
	*text = joined;
	*len += olen;
	return 0;
}
