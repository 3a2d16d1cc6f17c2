/* A summary of records: see summary.h. */
#include <err.h>
#include <inttypes.h>
#include <libutil.h>
#include <stdlib.h>
#include <string.h>
/* Only strnvisx is used, the same in both; this says which strnvis. */
#define LIBBSD_NETBSD_VIS
#include <vis.h>

#include "summary.h"
#include "xalloc.h"

/* ---- The maps ---- */

static int op_cmp(const struct summary_op *a, const struct summary_op *b)
{
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->op != b->op)
		return a->op < b->op ? -1 : 1;
	return strcmp(a->facility, b->facility);
}

static int bytes_cmp(const char *a, size_t a_len, const char *b, size_t b_len)
{
	int c = memcmp(a, b, a_len < b_len ? a_len : b_len);

	if (c)
		return c;
	return a_len < b_len ? -1 : a_len > b_len;
}

static int file_cmp(const struct summary_file *a, const struct summary_file *b)
{
	return bytes_cmp(a->path, a->path_len, b->path, b->path_len);
}

static int process_cmp(const struct summary_process *a, const struct summary_process *b)
{
	return a->pid < b->pid ? -1 : a->pid > b->pid;
}

RB_GENERATE(summary_ops, summary_op, entry, op_cmp)
RB_GENERATE(summary_files, summary_file, entry, file_cmp)
RB_GENERATE(summary_processes, summary_process, entry, process_cmp)

static char *xstrndup(const char *text, size_t len)
{
	char *p = strndup(text, len);

	if (!p)
		err(1, "summary");
	return p;
}

struct summary *summary_new(void)
{
	struct summary *s = xcalloc(1, sizeof(*s), "summary");

	RB_INIT(&s->ops);
	RB_INIT(&s->files);
	RB_INIT(&s->processes);
	s->top = SUMMARY_TOP_DEFAULT;
	s->files_max = SUMMARY_FILES_MAX;
	s->processes_max = SUMMARY_PROCESSES_MAX;
	s->other_files.path = "";
	s->other_processes.pid = -1;
	s->other_processes.ppid = -1;
	return s;
}

void summary_free(struct summary *s)
{
	struct summary_op *op, *op_next;
	struct summary_file *file, *file_next;
	struct summary_process *proc, *proc_next;

	if (!s)
		return;
	RB_FOREACH_SAFE(op, summary_ops, &s->ops, op_next)
	{
		RB_REMOVE(summary_ops, &s->ops, op);
		free(op);
	}
	RB_FOREACH_SAFE(file, summary_files, &s->files, file_next)
	{
		RB_REMOVE(summary_files, &s->files, file);
		free(file); /* its path is in the same block */
	}
	RB_FOREACH_SAFE(proc, summary_processes, &s->processes, proc_next)
	{
		RB_REMOVE(summary_processes, &s->processes, proc);
		free(proc->command);
		free(proc->exit_status);
		free(proc);
	}
	free(s);
}

/* ---- Adding a record ---- */

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void see_ts(uint64_t *first, uint64_t *last, uint64_t ts)
{
	if (*first == 0 || ts < *first)
		*first = ts;
	if (ts > *last)
		*last = ts;
}

static struct summary_op *op_of(struct summary *s, const struct iomon_parsed *rec)
{
	struct summary_op key, *op;
	size_t len = rec->facility_len < IOMON_FACILITY_MAX ? rec->facility_len
							    : IOMON_FACILITY_MAX;

	memcpy(key.facility, rec->facility, len);
	key.facility[len] = '\0';
	key.domain = rec->domain;
	key.op = rec->op;
	op = RB_FIND(summary_ops, &s->ops, &key);
	if (op)
		return op;
	if (s->op_count >= SUMMARY_OPS_MAX && key.facility[0] != '\0') {
		key.facility[0] = '\0';
		op = RB_FIND(summary_ops, &s->ops, &key);
		if (op)
			return op;
	}
	op = xcalloc(1, sizeof(*op), "summary");
	memcpy(op->facility, key.facility, sizeof(op->facility));
	op->domain = rec->domain;
	op->op = rec->op;
	histogram_init(&op->latency);
	RB_INSERT(summary_ops, &s->ops, op);
	s->op_count++;
	return op;
}

static struct summary_file *file_of(struct summary *s, const char *path, size_t len)
{
	struct summary_file key = {.path = path, .path_len = len}, *file;
	char *copy;

	file = RB_FIND(summary_files, &s->files, &key);
	if (file)
		return file;
	if (s->file_count >= s->files_max)
		return &s->other_files;
	file = xcalloc(1, sizeof(*file) + len + 1, "summary");
	copy = (char *)(file + 1);
	memcpy(copy, path, len);
	copy[len] = '\0';
	file->path = copy;
	file->path_len = len;
	RB_INSERT(summary_files, &s->files, file);
	s->file_count++;
	return file;
}

static struct summary_process *process_of(struct summary *s, int pid)
{
	struct summary_process key = {.pid = pid}, *proc;

	proc = RB_FIND(summary_processes, &s->processes, &key);
	if (proc)
		return proc;
	if (s->process_count >= s->processes_max)
		return &s->other_processes;
	proc = xcalloc(1, sizeof(*proc), "summary");
	proc->pid = pid;
	proc->ppid = -1;
	RB_INSERT(summary_processes, &s->processes, proc);
	s->process_count++;
	return proc;
}

static void replace_text(char **slot, const char *text, size_t len)
{
	free(*slot);
	*slot = xstrndup(text, len);
}

static int parse_pid(const char *text)
{
	const char *errstr;
	int pid = (int)strtonum(text, 0, INT32_MAX, &errstr);

	return errstr ? -1 : pid;
}

/* START, STOP and DROPPED: what a process says of itself.  The processes
 * past the limit share one entry: it keeps figures, no command line. */
static void add_life(struct summary *s, struct summary_process *proc,
		     const struct iomon_parsed *rec)
{
	bool other = proc == &s->other_processes;

	switch (rec->op) {
	case IOMON_OP_START:
		s->starts++;
		if (other)
			break;
		replace_text(&proc->command, rec->s1, rec->s1_len);
		proc->ppid = parse_pid(rec->s2);
		break;
	case IOMON_OP_STOP:
		s->stops++;
		if (other)
			break;
		replace_text(&proc->exit_status, rec->s2, rec->s2_len);
		proc->lifetime_ns = rec->duration_ns;
		break;
	case IOMON_OP_DROPPED:
		s->dropped = add_sat(s->dropped, rec->bytes);
		proc->dropped = add_sat(proc->dropped, rec->bytes);
		break;
	}
}

static bool is_life(const struct iomon_parsed *rec)
{
	return rec->domain == IOMON_DOMAIN_START_STOP &&
	       (rec->op == IOMON_OP_START || rec->op == IOMON_OP_STOP ||
		rec->op == IOMON_OP_DROPPED);
}

void summary_add(struct summary *s, const struct iomon_parsed *rec)
{
	struct summary_process *proc = process_of(s, rec->pid);
	uint64_t failed = rec->err != 0;
	struct summary_op *op;

	s->records++;
	see_ts(&s->first_ts, &s->last_ts, rec->ts);
	see_ts(&proc->first_ts, &proc->last_ts, rec->ts);
	if (is_life(rec)) {
		add_life(s, proc, rec);
		return;
	}

	op = op_of(s, rec);
	op->calls++;
	op->errors += failed;
	op->bytes = add_sat(op->bytes, rec->bytes);
	histogram_add(&op->latency, rec->duration_ns);

	s->calls++;
	s->errors += failed;
	s->bytes = add_sat(s->bytes, rec->bytes);
	s->time_ns = add_sat(s->time_ns, rec->duration_ns);

	proc->calls++;
	proc->errors += failed;
	proc->bytes = add_sat(proc->bytes, rec->bytes);
	proc->time_ns = add_sat(proc->time_ns, rec->duration_ns);

	if (rec->domain != IOMON_DOMAIN_PROCESSES && rec->s1_len > 0) {
		struct summary_file *file = file_of(s, rec->s1, rec->s1_len);

		file->calls++;
		file->errors += failed;
		file->bytes = add_sat(file->bytes, rec->bytes);
		file->time_ns = add_sat(file->time_ns, rec->duration_ns);
		see_ts(&file->first_ts, &file->last_ts, rec->ts);
	}
}

/* ---- Reading it ---- */

void summary_foreach_op(const struct summary *s,
			void (*fn)(void *arg, const struct summary_op *op), void *arg)
{
	struct summary_op *op;

	RB_FOREACH(op, summary_ops, (struct summary_ops *)&s->ops)
		fn(arg, op);
}

void summary_foreach_file(const struct summary *s,
			  void (*fn)(void *arg, const struct summary_file *file), void *arg)
{
	struct summary_file *file;

	RB_FOREACH(file, summary_files, (struct summary_files *)&s->files)
		fn(arg, file);
}

void summary_foreach_process(const struct summary *s,
			     void (*fn)(void *arg, const struct summary_process *proc),
			     void *arg)
{
	struct summary_process *proc;

	RB_FOREACH(proc, summary_processes, (struct summary_processes *)&s->processes)
		fn(arg, proc);
}

static int name_cmp(const struct summary_op *a, const struct summary_op *b)
{
	int c = strcmp(iomon_domain_name(a->domain), iomon_domain_name(b->domain));

	return c ? c : strcmp(iomon_op_name(a->op), iomon_op_name(b->op));
}

static int desc_cmp(uint64_t a, uint64_t b)
{
	return a > b ? -1 : a < b;
}

static int merged_cmp(const void *pa, const void *pb)
{
	const struct summary_op *a = pa, *b = pb;
	int c = desc_cmp(a->latency.total, b->latency.total);

	return c ? c : name_cmp(a, b);
}

struct summary_op *summary_merged_ops(const struct summary *s, size_t *n)
{
	struct summary_op *merged = NULL, *op, *last = NULL;

	*n = 0;
	if (s->op_count == 0)
		return NULL;
	merged = xcalloc(s->op_count, sizeof(*merged), "summary");
	/* Key order puts the facilities of one domain and op together. */
	RB_FOREACH(op, summary_ops, (struct summary_ops *)&s->ops)
	{
		if (!last || last->domain != op->domain || last->op != op->op) {
			last = &merged[(*n)++];
			last->domain = op->domain;
			last->op = op->op;
			histogram_init(&last->latency);
		}
		last->calls += op->calls;
		last->errors += op->errors;
		last->bytes = add_sat(last->bytes, op->bytes);
		histogram_merge(&last->latency, &op->latency);
	}
	qsort(merged, *n, sizeof(*merged), merged_cmp);
	return merged;
}

/* Bytes or time descending; 0 for SUMMARY_BY_KEY, leaving it to the key. */
static int figure_cmp(enum summary_order order, uint64_t a_bytes, uint64_t a_time,
		      uint64_t b_bytes, uint64_t b_time)
{
	if (order == SUMMARY_BY_BYTES)
		return desc_cmp(a_bytes, b_bytes);
	if (order == SUMMARY_BY_TIME)
		return desc_cmp(a_time, b_time);
	return 0;
}

static int file_order(const void *pa, const void *pb, void *order)
{
	const struct summary_file *a = *(const struct summary_file *const *)pa;
	const struct summary_file *b = *(const struct summary_file *const *)pb;
	int c = figure_cmp(*(enum summary_order *)order, a->bytes, a->time_ns, b->bytes,
			   b->time_ns);

	return c ? c : file_cmp(a, b);
}

static int process_order(const void *pa, const void *pb, void *order)
{
	const struct summary_process *a = *(const struct summary_process *const *)pa;
	const struct summary_process *b = *(const struct summary_process *const *)pb;
	int c = figure_cmp(*(enum summary_order *)order, a->bytes, a->time_ns, b->bytes,
			   b->time_ns);

	return c ? c : process_cmp(a, b);
}

/* Every entry of a map, sorted, then the first max into out. */
#define SORTED(type, map, head, cmp)                                                    \
	do {                                                                            \
		const struct type **all = xcalloc(count, sizeof(*all), "summary");      \
		struct type *e;                                                         \
		size_t i = 0;                                                           \
		RB_FOREACH(e, map, (struct map *)(head))                                \
			all[i++] = e;                                                   \
		qsort_r(all, count, sizeof(*all), cmp, &order);                         \
		if (max > count)                                                        \
			max = count;                                                    \
		memcpy(out, all, max * sizeof(*all));                                   \
		free(all);                                                              \
	} while (0)

size_t summary_sorted_files(const struct summary *s, enum summary_order order,
			    const struct summary_file **out, size_t max)
{
	size_t count = s->file_count;

	SORTED(summary_file, summary_files, &s->files, file_order);
	return max;
}

size_t summary_sorted_processes(const struct summary *s, enum summary_order order,
				const struct summary_process **out, size_t max)
{
	size_t count = s->process_count;

	SORTED(summary_process, summary_processes, &s->processes, process_order);
	return max;
}

/* ---- Printing ---- */

void summary_format_duration(char buf[SUMMARY_FIELD_MAX], uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, SUMMARY_FIELD_MAX, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, SUMMARY_FIELD_MAX, "%.2fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, SUMMARY_FIELD_MAX, "%.2fms", (double)ns / 1e6);
	else
		snprintf(buf, SUMMARY_FIELD_MAX, "%.3fs", (double)ns / 1e9);
}

void summary_format_bytes(char buf[SUMMARY_FIELD_MAX], uint64_t bytes)
{
	int64_t n = bytes > INT64_MAX ? INT64_MAX : (int64_t)bytes;

	/* As ls -h: 4 characters, "512B", "4.2K", "98K", "1.5M". */
	if (humanize_number(buf, 5, n, "", HN_AUTOSCALE, HN_B | HN_NOSPACE | HN_DECIMAL) < 0)
		snprintf(buf, SUMMARY_FIELD_MAX, "%" PRIu64, bytes);
}

/* Text as it can be shown on one line of a terminal: strvis(3) escapes
 * (\n, \t, \\, \ooo for other bytes) for anything not printable. */
static void print_visible(FILE *out, const char *text, size_t len)
{
	char *vis = xcalloc(4 * len + 1, 1, "summary");

	strnvisx(vis, 4 * len + 1, text, len, VIS_CSTYLE | VIS_NL | VIS_TAB | VIS_OCTAL);
	fputs(vis, out);
	free(vis);
}

static void print_lost(const struct summary *s, FILE *out)
{
	if (s->dropped)
		fprintf(out, "*** %" PRIu64 " records LOST (reported by DROPPED records): "
			     "the figures below miss them ***\n",
			s->dropped);
}

static void print_ops(const struct summary *s, FILE *out)
{
	size_t n;
	struct summary_op *ops = summary_merged_ops(s, &n);
	char total[SUMMARY_FIELD_MAX], mean[SUMMARY_FIELD_MAX], p50[SUMMARY_FIELD_MAX],
	    p95[SUMMARY_FIELD_MAX], p99[SUMMARY_FIELD_MAX], max[SUMMARY_FIELD_MAX],
	    bytes[SUMMARY_FIELD_MAX];

	fprintf(out, "%6s %9s %9s %7s %6s %8s %8s %8s %8s %8s  %s\n", "% time", "total", "calls",
		"errors", "bytes", "mean", "p50", "p95", "p99", "max", "domain/op");
	fprintf(out, "------ --------- --------- ------- ------ -------- -------- -------- "
		     "-------- --------  ----------------\n");
	for (size_t i = 0; i < n; i++) {
		const struct summary_op *op = &ops[i];

		summary_format_duration(total, op->latency.total);
		summary_format_duration(mean, histogram_mean(&op->latency));
		summary_format_duration(p50, histogram_percentile(&op->latency, 50));
		summary_format_duration(p95, histogram_percentile(&op->latency, 95));
		summary_format_duration(p99, histogram_percentile(&op->latency, 99));
		summary_format_duration(max, op->latency.max);
		summary_format_bytes(bytes, op->bytes);
		fprintf(out, "%6.2f %9s %9" PRIu64 " %7" PRIu64 " %6s %8s %8s %8s %8s %8s  %s/%s\n",
			s->time_ns ? 100.0 * (double)op->latency.total / (double)s->time_ns : 0.0,
			total, op->calls, op->errors, bytes, mean, p50, p95, p99, max,
			iomon_domain_name(op->domain), iomon_op_name(op->op));
	}
	free(ops);
	summary_format_duration(total, s->time_ns);
	summary_format_bytes(bytes, s->bytes);
	fprintf(out, "------ --------- --------- ------- ------ -------- -------- -------- "
		     "-------- --------  ----------------\n");
	fprintf(out, "%6s %9s %9" PRIu64 " %7" PRIu64 " %6s %44s  total\n", "100.00", total,
		s->calls, s->errors, bytes, "");
}

static void print_files(const struct summary *s, FILE *out, enum summary_order order)
{
	const struct summary_file **top;
	char bytes[SUMMARY_FIELD_MAX], time[SUMMARY_FIELD_MAX];
	size_t n;

	if (s->top == 0 || s->file_count == 0)
		return;
	top = xcalloc(s->top, sizeof(*top), "summary");
	n = summary_sorted_files(s, order, top, s->top);
	fprintf(out, "\nTop %zu of %zu files by %s:\n", n, s->file_count,
		order == SUMMARY_BY_BYTES ? "bytes" : "time");
	fprintf(out, "%6s %9s %9s %7s  %s\n", "bytes", "time", "calls", "errors", "file");
	for (size_t i = 0; i < n; i++) {
		summary_format_bytes(bytes, top[i]->bytes);
		summary_format_duration(time, top[i]->time_ns);
		fprintf(out, "%6s %9s %9" PRIu64 " %7" PRIu64 "  ", bytes, time, top[i]->calls,
			top[i]->errors);
		print_visible(out, top[i]->path, top[i]->path_len);
		fputc('\n', out);
	}
	free(top);
	if (s->other_files.calls) {
		const struct summary_file *o = &s->other_files;

		summary_format_bytes(bytes, o->bytes);
		summary_format_duration(time, o->time_ns);
		fprintf(out,
			"%6s %9s %9" PRIu64 " %7" PRIu64
			"  (the files past the first %zu, not kept one by one)\n",
			bytes, time, o->calls, o->errors, s->files_max);
	}
}

/* The columns of a process's row before its command line. */
static void print_process_figures(FILE *out, const struct summary_process *p, const char *pid)
{
	char bytes[SUMMARY_FIELD_MAX], time[SUMMARY_FIELD_MAX];

	summary_format_bytes(bytes, p->bytes);
	summary_format_duration(time, p->time_ns);
	fprintf(out, "%7s ", pid);
	if (p->ppid >= 0)
		fprintf(out, "%7d ", p->ppid);
	else
		fprintf(out, "%7s ", "?");
	fprintf(out, "%6s %9s %9" PRIu64 " %7" PRIu64 " %6s  ", bytes, time, p->calls, p->errors,
		p->exit_status ? p->exit_status : "-");
}

static void print_processes(const struct summary *s, FILE *out)
{
	const struct summary_process **procs;
	char pid[16];
	size_t n;

	if (s->process_count == 0)
		return;
	procs = xcalloc(s->process_count, sizeof(*procs), "summary");
	n = summary_sorted_processes(s, SUMMARY_BY_TIME, procs, s->process_count);
	fprintf(out, "\n%zu processes (%" PRIu64 " started, %" PRIu64 " stopped):\n", n,
		s->starts, s->stops);
	fprintf(out, "%7s %7s %6s %9s %9s %7s %6s  %s\n", "pid", "ppid", "bytes", "time", "calls",
		"errors", "exit", "command");
	for (size_t i = 0; i < n; i++) {
		const struct summary_process *p = procs[i];

		snprintf(pid, sizeof(pid), "%d", p->pid);
		print_process_figures(out, p, pid);
		if (p->command)
			print_visible(out, p->command, strlen(p->command));
		else
			fputs("?", out);
		if (p->dropped)
			fprintf(out, "  (%" PRIu64 " records lost)", p->dropped);
		fputc('\n', out);
	}
	free(procs);
	if (s->other_processes.calls || s->other_processes.dropped) {
		print_process_figures(out, &s->other_processes, "others");
		fprintf(out, "(the processes past the first %zu, not kept one by one)",
			s->processes_max);
		if (s->other_processes.dropped)
			fprintf(out, "  (%" PRIu64 " records lost)", s->other_processes.dropped);
		fputc('\n', out);
	}
}

void summary_print(const struct summary *s, FILE *out)
{
	char bytes[SUMMARY_FIELD_MAX], time[SUMMARY_FIELD_MAX];

	summary_format_bytes(bytes, s->bytes);
	summary_format_duration(time, s->time_ns);
	fprintf(out,
		"iomon summary: %" PRIu64 " records, %" PRIu64 " calls, %" PRIu64
		" errors, %s, %s in calls, %zu processes\n",
		s->records, s->calls, s->errors, bytes, time, s->process_count);
	print_lost(s, out);
	fputc('\n', out);
	print_ops(s, out);
	print_files(s, out, SUMMARY_BY_BYTES);
	print_files(s, out, SUMMARY_BY_TIME);
	print_processes(s, out);
	if (s->dropped) {
		fputc('\n', out);
		print_lost(s, out);
	}
}
