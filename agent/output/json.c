/* json.c - JSON view of a snapshot with jansson (pure: snapshot -> json_t). */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "hist.h"
#include "json.h"

/* __u64 as a JSON integer, saturated at the largest json_int_t. */
static json_int_t ji(__u64 v)
{
	return v > LLONG_MAX ? LLONG_MAX : (json_int_t)v;
}

/* jansson refuses NaN and infinities as reals. */
static double fin(double v)
{
	return isfinite(v) ? v : 0;
}

/* A duration in ns (double) rounded to a JSON integer. */
static json_int_t jround(double ns)
{
	if (!(ns > 0))
		return 0;
	return ns >= (double)LLONG_MAX ? LLONG_MAX : llround(ns);
}

/*
 * A JSON string of at most maxlen bytes of s. jansson refuses invalid UTF-8
 * (paths and symbols may hold any bytes): those bytes become '?'.
 */
static json_t *jstr(const char *s, size_t maxlen)
{
	size_t i, n = strnlen(s, maxlen);
	json_t *j = json_stringn(s, n);
	char *copy;

	if (j)
		return j;
	copy = strndup(s, n);
	if (!copy)
		return NULL;
	for (i = 0; i < n; i++)
		if ((unsigned char)copy[i] >= 0x80)
			copy[i] = '?';
	j = json_stringn(copy, n);
	free(copy);
	return j;
}

#define JSTR(field) jstr(field, sizeof(field))

static json_t *drops_json(const struct snapshot *snap)
{
	json_t *o = json_object();
	int i, err = 0;

	if (!o)
		return NULL;
	for (i = 0; i < CGOSCOPE_DROP__MAX; i++)
		err |= json_object_set_new(o, snapshot__drop_name(i), json_integer(ji(snap->drops[i])));
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Non-empty slots only, ascending. */
static json_t *hist_json(const __u64 buckets[CGOSCOPE_NBUCKETS])
{
	json_t *a = json_array();
	unsigned int i;
	int err = 0;

	if (!a)
		return NULL;
	for (i = 0; i < CGOSCOPE_NBUCKETS; i++) {
		if (!buckets[i])
			continue;
		err |= json_array_append_new(a, json_pack("{s:I, s:I, s:I}", "lo_ns",
							  ji(hist__lower_ns(i)), "hi_ns",
							  ji(hist__upper_ns(i)), "count",
							  ji(buckets[i])));
	}
	if (err) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static json_t *stack_ref(int stack);
static json_t *array_of(const void *elems, size_t n, size_t size, json_t *(*one)(const void *));

static json_t *caller_json_v(const void *v)
{
	const struct caller_snap *c = v;
	json_t *o = json_pack("{s:s, s:I, s:I, s:b, s:f, s:f}", "called_from",
			      c->caller ? c->caller : "", "calls", ji(c->calls), "total_ns",
			      ji(c->total_ns), "exact", (int)c->exact, "share", c->share, "time_share",
			      c->time_share);

	if (o && json_object_set_new(o, "stack", stack_ref(c->stack))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *func_json(const struct func_snap *f)
{
	double avg = f->traced_calls ? (double)f->traced_ns / (double)f->traced_calls : 0;
	json_t *o = json_object();
	char addr[24];
	int err = 0;

	if (!o)
		return NULL;
	snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)f->addr);
	err |= json_object_set_new(o, "name", JSTR(f->name));
	err |= json_object_update_new(
		o, json_pack("{s:s, s:I, s:b, s:b, s:I, s:I, s:b, s:I}", "addr", addr, "calls",
			     ji(f->calls), "estimated", (int)f->estimated, "calls_lower_bound",
			     (int)f->lower_bound, "traced_calls", ji(f->traced_calls), "total_ns",
			     ji(f->total_ns), "total_lower_bound", (int)f->total_lower_bound,
			     "traced_ns", ji(f->traced_ns)));
	err |= json_object_update_new(
		o, json_pack("{s:I, s:I, s:I, s:I, s:I}", "avg_ns", jround(avg), "p50_ns",
			     jround(hist__quantile(f->buckets, 0.50, f->max_ns)), "p99_ns",
			     jround(hist__quantile(f->buckets, 0.99, f->max_ns)), "max_ns",
			     ji(f->max_ns), "inflight", (json_int_t)f->inflight));
	err |= json_object_set_new(o, "histogram", hist_json(f->buckets));
	err |= json_object_set_new(o, "callers", array_of(f->callers, f->ncallers,
							  sizeof(*f->callers), caller_json_v));
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* A stack index of the top-level "stacks" table, or null. */
static json_t *stack_ref(int stack)
{
	return stack < 0 ? json_null() : json_integer(stack);
}

static json_t *blocked_json(const struct blocked_snap *b)
{
	json_t *o = json_pack("{s:I}", "tid", (json_int_t)b->tid);
	int err = 0;

	if (!o)
		return NULL;
	err |= json_object_set_new(o, "function", JSTR(b->func));
	err |= json_object_set_new(o, "elapsed_ns", json_integer(ji(b->elapsed_ns)));
	err |= json_object_set_new(o, "elapsed_lower_bound", json_boolean(b->elapsed_lower_bound));
	err |= json_object_set_new(o, "called_from", json_string(b->caller ? b->caller : ""));
	err |= json_object_set_new(o, "stack", stack_ref(b->stack));
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *threads_json(const struct threads_snap *t)
{
	json_t *o =
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "current", (json_int_t)t->current,
		      "peak", (json_int_t)t->peak, "created", ji(t->created), "created_by_c",
		      ji(t->created_c), "exited", ji(t->exited), "exited_by_c", ji(t->exited_c),
		      "growth_per_s", fin(t->growth_per_s));

	if (o && json_object_set_new(o, "go", t->go < 0 ? json_null() : json_integer(t->go))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *reasons_json(const struct proc_snap *p)
{
	json_t *a = json_array();
	size_t i;
	int err = 0;

	for (i = 0; a && i < p->nreasons && i < SNAP_REASONS; i++)
		err |= json_array_append_new(a, JSTR(p->reasons[i]));
	if (err) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* JSON array of n elements made by one(elems + i * size); NULL when anything failed. */
static json_t *array_of(const void *elems, size_t n, size_t size, json_t *(*one)(const void *))
{
	json_t *a = json_array();
	size_t i;
	int err = 0;

	for (i = 0; a && i < n; i++)
		err |= json_array_append_new(a, one((const char *)elems + i * size));
	if (err) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static json_t *func_json_v(const void *f)
{
	return func_json(f);
}

static json_t *blocked_json_v(const void *b)
{
	return blocked_json(b);
}

static json_t *ctime_json_v(const void *v)
{
	const struct ctime_snap *t = v;
	json_t *o = json_pack("{s:I, s:I, s:s}", "ns", ji(t->ns), "samples", ji(t->samples),
			      "called_from", t->caller ? t->caller : "");

	if (o && (json_object_set_new(o, "function", JSTR(t->func)) ||
		  json_object_set_new(o, "stack", stack_ref(t->stack)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The C-time profile of a process: thread-time in C per function and stack (census). */
static json_t *ctime_json(const struct proc_snap *p)
{
	json_t *o = json_pack("{s:I, s:I, s:b, s:I, s:{s:I, s:I, s:I, s:I}}", "census_ns",
			      ji(p->census_ns), "censuses", ji(p->censuses), "paced",
			      (int)p->census_paced, "other_ns", ji(p->ctime_other_ns), "threads",
			      "seen_in_c", ji(p->census_seen), "torn", ji(p->census_torn), "lost",
			      ji(p->census_lost), "stack_torn", ji(p->census_stack_torn));

	if (o && json_object_set_new(o, "entries", array_of(p->ctime, p->nctime, sizeof(*p->ctime),
							     ctime_json_v))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *frame_json_v(const void *v)
{
	const struct snap_frame *f = v;
	json_t *o = json_pack("{s:I, s:b}", "line", (json_int_t)f->line, "inlined", (int)f->inlined);

	if (o && (json_object_set_new(o, "function", jstr(f->func, SNAP_PATH_LEN)) ||
		  json_object_set_new(o, "file", jstr(f->file, SNAP_PATH_LEN)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *stack_json_v(const void *v)
{
	const struct snap_stack *s = v;
	json_t *o = json_pack("{s:b, s:s}", "truncated", (int)s->truncated, "called_from",
			      s->caller ? s->caller : "");

	if (o && json_object_set_new(o, "frames", array_of(s->frames, s->n, sizeof(*s->frames),
							    frame_json_v))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* The plain numbers, flags and static strings of a process. */
static json_t *proc_json_numbers(const struct proc_snap *p)
{
	return json_pack("{s:s, s:I, s:I, s:b, s:I, s:I, s:I, s:I, s:I}", "placement",
			 p->placement ? p->placement : "", "probe_cost_ns",
			 jround(p->probe_cost_ns), "span_floor_ns", jround(p->span_floor_ns),
			 "exited", (int)p->exited, "calls", ji(p->calls), "inflight",
			 (json_int_t)p->inflight, "inflight_peak", (json_int_t)p->inflight_peak,
			 "long_calls", ji(p->long_calls), "long_calls_unseen",
			 ji(p->long_calls_unseen));
}

static json_t *proc_json_limits(const struct proc_snap *p)
{
	return json_pack("{s:I, s:b, s:s, s:s, s:s}", "max_threads", (json_int_t)p->max_threads,
			 "max_threads_assumed", (int)p->max_threads_assumed, "verdict",
			 snapshot__verdict_name(p->verdict), "worst_verdict",
			 snapshot__verdict_name(p->worst_verdict), "worst_reason", p->worst_reason);
}

/* What names a process: pid, comm, exe; NULL when out of memory. */
static json_t *proc_identity(const struct proc_snap *p)
{
	json_t *o = json_pack("{s:I}", "pid", (json_int_t)p->pid);
	int err = 0;

	if (!o)
		return NULL;
	err |= json_object_set_new(o, "comm", JSTR(p->comm));
	err |= json_object_set_new(o, "exe", JSTR(p->exe));
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *proc_json(const struct proc_snap *p)
{
	json_t *o = proc_identity(p);
	int err = 0;

	if (!o)
		return NULL;
	err |= json_object_set_new(o, "nspid", json_integer((json_int_t)p->nspid));
	err |= json_object_set_new(o, "go_version", JSTR(p->go_version));
	err |= json_object_set_new(o, "container_id",
				   p->container_id[0] ? JSTR(p->container_id) : json_null());
	err |= json_object_update_new(o, proc_json_numbers(p));
	err |= json_object_set_new(o, "threads", threads_json(&p->threads));
	err |= json_object_set_new(o, "gomaxprocs",
				   p->gomaxprocs < 0 ? json_null() : json_integer(p->gomaxprocs));
	err |= json_object_set_new(o, "exact_calls",
				   p->exact_calls < 0 ? json_null() : json_integer(p->exact_calls));
	err |= json_object_set_new(o, "exact_calls_partial", json_boolean(p->exact_partial));
	err |= json_object_set_new(o, "probe_hits", json_integer(ji(p->probe_hits)));
	err |= json_object_set_new(o, "sampled", json_boolean(p->sampled));
	err |= json_object_set_new(o, "unattributed_calls", json_integer(ji(p->unattributed)));
	err |= json_object_set_new(o, "runtime_view", json_boolean(p->runtime_view));
	err |= json_object_set_new(o, "sampling_ratio", json_real(fin(p->sampling_ratio)));
	err |= json_object_set_new(o, "probe_overhead", json_real(fin(p->probe_overhead)));
	err |= json_object_update_new(o, proc_json_limits(p));
	err |= json_object_set_new(o, "reasons", reasons_json(p));
	err |= json_object_set_new(
		o, "blocked", array_of(p->blocked, p->nblocked, sizeof(*p->blocked), blocked_json_v));
	err |= json_object_set_new(o, "c_time", ctime_json(p));
	err |= json_object_set_new(o, "functions_folded", json_integer((json_int_t)p->folded));
	err |= json_object_set_new(
		o, "functions", array_of(p->funcs, p->nfuncs, sizeof(*p->funcs), func_json_v));
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *proc_json_v(const void *p)
{
	return proc_json(p);
}

json_t *json__snapshot(const struct snapshot *snap)
{
	json_t *root;
	int err = 0;

	if (!snap) {
		errno = EINVAL;
		return NULL;
	}
	root = json_pack("{s:s, s:f, s:f, s:I}", "cgoscope_version", CGOSCOPE_VERSION, "time",
			 fin(snap->wall_time), "duration_s", fin(snap->duration_s), "long_threshold_ns",
			 ji(snap->long_ns));
	if (!root)
		goto nomem;
	err |= json_object_set_new(root, "drops", drops_json(snap));
	err |= json_object_set_new(root, "processes", array_of(snap->procs, snap->nprocs,
							       sizeof(*snap->procs), proc_json_v));
	err |= json_object_set_new(root, "stacks", array_of(snap->stacks, snap->nstacks,
							    sizeof(*snap->stacks), stack_json_v));
	if (!err)
		return root;
	json_decref(root);
nomem:
	errno = ENOMEM;
	return NULL;
}

static int print_flags(FILE *out, const struct snapshot *snap, size_t flags)
{
	json_t *root;
	int err;

	if (!out || !snap)
		return -EINVAL;
	root = json__snapshot(snap);
	if (!root)
		return -errno;
	err = json_dumpf(root, out, flags | JSON_REAL_PRECISION(15));
	json_decref(root);
	if (err || fputc('\n', out) == EOF || fflush(out))
		return -EIO;
	return 0;
}

int json__print(FILE *out, const struct snapshot *snap)
{
	return print_flags(out, snap, JSON_INDENT(2));
}

int json__print_line(FILE *out, const struct snapshot *snap)
{
	return print_flags(out, snap, JSON_COMPACT);
}

/* A process's identity with its verdict and reasons; NULL when out of memory. */
static json_t *verdict_json(const struct proc_snap *p)
{
	json_t *o = proc_identity(p);
	int err = 0;

	if (!o)
		return NULL;
	err |= json_object_set_new(o, "verdict", json_string(snapshot__verdict_name(p->verdict)));
	err |= json_object_set_new(o, "reasons", reasons_json(p));
	if (err) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *json__alert(const struct proc_snap *p, enum verdict from, double time)
{
	json_t *o = verdict_json(p);

	if (o && (json_object_set_new(o, "time", json_real(fin(time))) ||
		  json_object_set_new(o, "event", json_string("verdict_change")) ||
		  json_object_set_new(o, "from", json_string(snapshot__verdict_name(from))))) {
		json_decref(o);
		o = NULL;
	}
	if (!o)
		errno = ENOMEM;
	return o;
}

json_t *json__alerts(const struct snapshot *snap)
{
	json_t *a = json_array();
	int err = !a;

	for (size_t i = 0; a && i < snap->nprocs; i++)
		if (snap->procs[i].verdict != VERDICT_OK)
			err |= json_array_append_new(a, verdict_json(&snap->procs[i]));
	if (err) {
		json_decref(a);
		errno = ENOMEM;
		return NULL;
	}
	return json_pack("{s:f, s:o}", "time", fin(snap->wall_time), "alerts", a);
}
