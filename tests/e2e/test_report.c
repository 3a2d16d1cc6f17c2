/*
 * iomon report, end to end: a test program (tests/progs/report_calls.c)
 * runs under the real launcher and library, writing a trace; `iomon report`
 * summarizes it; every figure of the summary is checked against the
 * records, read back by the test, and against the calls the program made.
 * The same records written as JSON Lines (by this test, per contracts.md)
 * give the same summary; hostile files give a counted error, never a crash.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codes.h"
#include "harness.h"
#include "record.h"
#include "summary.h"

/* ---- What the records say, computed here ---- */

struct op_total {
	unsigned domain, op;
	uint64_t calls, errors, bytes, time, max;
	uint64_t *durations; /* sorted, for the percentiles */
};

struct file_total {
	const char *path;
	size_t path_len;
	uint64_t calls, errors, bytes, time;
};

struct proc_total {
	int pid;
	const char *ppid, *command, *exit_status; /* NULL when none */
	uint64_t calls, errors, bytes, time;
};

struct totals {
	struct op_total ops[IOMON_DOMAIN_COUNT * IOMON_OP_COUNT];
	size_t nops;
	struct file_total *files;
	size_t nfiles;
	struct proc_total procs[64];
	size_t nprocs;
	uint64_t calls, errors, bytes, time;
};

static bool is_life(const struct rec *r)
{
	return r->domain == IOMON_DOMAIN_START_STOP &&
	       (r->op == IOMON_OP_START || r->op == IOMON_OP_STOP || r->op == IOMON_OP_DROPPED);
}

static int u64_cmp(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return a < b ? -1 : a > b;
}

static struct proc_total *proc_of(struct totals *t, int pid)
{
	for (size_t i = 0; i < t->nprocs; i++)
		if (t->procs[i].pid == pid)
			return &t->procs[i];
	cr_assert_lt(t->nprocs, 64);
	t->procs[t->nprocs].pid = pid;
	return &t->procs[t->nprocs++];
}

static struct totals *compute(const struct run *r)
{
	struct totals *t = calloc(1, sizeof(*t));

	t->files = calloc(r->nrecs + 1, sizeof(*t->files));
	for (size_t i = 0; i < r->nrecs; i++) {
		const struct rec *rec = &r->recs[i];
		struct proc_total *p = proc_of(t, rec->pid);
		struct op_total *op = NULL;
		struct file_total *f = NULL;

		if (is_life(rec)) {
			if (rec->op == IOMON_OP_START) {
				p->command = rec->s1;
				p->ppid = rec->s2;
			} else if (rec->op == IOMON_OP_STOP) {
				p->exit_status = rec->s2;
			}
			cr_assert_neq(rec->op, IOMON_OP_DROPPED, "no record lost in this run");
			continue;
		}
		for (size_t j = 0; j < t->nops && !op; j++)
			if (t->ops[j].domain == rec->domain && t->ops[j].op == rec->op)
				op = &t->ops[j];
		if (!op) {
			op = &t->ops[t->nops++];
			op->domain = rec->domain;
			op->op = rec->op;
			op->durations = calloc(r->nrecs, sizeof(uint64_t));
		}
		op->durations[op->calls++] = rec->duration_ns;
		op->errors += rec->err != 0;
		op->bytes += rec->bytes;
		op->time += rec->duration_ns;
		if (rec->duration_ns > op->max)
			op->max = rec->duration_ns;
		p->calls++;
		p->errors += rec->err != 0;
		p->bytes += rec->bytes;
		p->time += rec->duration_ns;
		t->calls++;
		t->errors += rec->err != 0;
		t->bytes += rec->bytes;
		t->time += rec->duration_ns;
		if (rec->domain == IOMON_DOMAIN_PROCESSES || rec->s1_len == 0)
			continue;
		for (size_t j = 0; j < t->nfiles && !f; j++)
			if (t->files[j].path_len == rec->s1_len &&
			    memcmp(t->files[j].path, rec->s1, rec->s1_len) == 0)
				f = &t->files[j];
		if (!f) {
			f = &t->files[t->nfiles++];
			f->path = rec->s1;
			f->path_len = rec->s1_len;
		}
		f->calls++;
		f->errors += rec->err != 0;
		f->bytes += rec->bytes;
		f->time += rec->duration_ns;
	}
	for (size_t j = 0; j < t->nops; j++)
		qsort(t->ops[j].durations, t->ops[j].calls, sizeof(uint64_t), u64_cmp);
	return t;
}

static void totals_free(struct totals *t)
{
	for (size_t j = 0; j < t->nops; j++)
		free(t->ops[j].durations);
	free(t->files);
	free(t);
}

/* Nearest rank, as the man page says. */
static uint64_t exact_percentile(const struct op_total *op, double p)
{
	double want = p * (double)op->calls / 100.0;
	uint64_t rank = (uint64_t)want;

	if ((double)rank < want)
		rank++;
	return op->durations[(rank ? rank : 1) - 1];
}

/* ---- What the summary printed ---- */

static const char *fmt_bytes(uint64_t n)
{
	static char buf[4][SUMMARY_FIELD_MAX];
	static int next;
	char *b = buf[next++ % 4];

	summary_format_bytes(b, n);
	return b;
}

static const char *fmt_time(uint64_t ns)
{
	static char buf[4][SUMMARY_FIELD_MAX];
	static int next;
	char *b = buf[next++ % 4];

	summary_format_duration(b, ns);
	return b;
}

/* A printed duration back in nanoseconds, and half its last digit's worth. */
static uint64_t parse_time(const char *text, uint64_t *rounding)
{
	double v;
	char unit[8];

	cr_assert_eq(sscanf(text, "%lf%7s", &v, unit), 2, "duration '%s'", text);
	if (strcmp(unit, "ns") == 0)
		return *rounding = 0, (uint64_t)v;
	if (strcmp(unit, "us") == 0)
		return *rounding = 5, (uint64_t)(v * 1e3 + 0.5);
	if (strcmp(unit, "ms") == 0)
		return *rounding = 5000, (uint64_t)(v * 1e6 + 0.5);
	cr_assert_str_eq(unit, "s", "duration '%s'", text);
	return *rounding = 500000, (uint64_t)(v * 1e9 + 0.5);
}

/* Text as summary_print shows it (strvis with VIS_CSTYLE | VIS_NL | VIS_TAB |
 * VIS_OCTAL), for the bytes the test's names hold. */
static const char *visible(const char *s, size_t len)
{
	static char buf[4 * 4200];
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\n')
			n += (size_t)sprintf(buf + n, "\\n");
		else if (c == '\\')
			n += (size_t)sprintf(buf + n, "\\\\");
		else if (c >= 0x20 && c < 0x7f)
			buf[n++] = (char)c;
		else
			n += (size_t)sprintf(buf + n, "\\%03o", c);
	}
	buf[n] = '\0';
	return buf;
}

/* The line after the one that starts with prefix, and the lines after it. */
static const char *line_after(const char *text, const char *prefix)
{
	const char *p = text;

	while (p && *p) {
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			return strchr(p, '\n') + 1;
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	cr_assert_fail("no line starting '%s' in:\n%s", prefix, text);
	return NULL;
}

static const char *next_line(const char *p)
{
	return strchr(p, '\n') + 1;
}

static void check_ops(const char *out, const struct totals *t)
{
	const char *p = next_line(line_after(out, "% time"));
	uint64_t last_time = UINT64_MAX;
	size_t rows = 0;

	for (; strncmp(p, "------", 6) != 0; p = next_line(p), rows++) {
		char total[32], bytes[32], mean[32], pct[3][32], max[32], name[64];
		uint64_t calls, errors, rounding;
		double share;
		const struct op_total *op = NULL;
		static const double ps[3] = {50, 95, 99};

		cr_assert_eq(sscanf(p,
				    "%lf %31s %" SCNu64 " %" SCNu64 " %31s %31s %31s %31s %31s %31s "
				    "%63s",
				    &share, total, &calls, &errors, bytes, mean, pct[0], pct[1],
				    pct[2], max, name),
			     11, "op row: %.100s", p);
		for (size_t j = 0; j < t->nops && !op; j++) {
			char want[64];

			snprintf(want, sizeof(want), "%s/%s", iomon_domain_name(t->ops[j].domain),
				 iomon_op_name(t->ops[j].op));
			if (strcmp(want, name) == 0)
				op = &t->ops[j];
		}
		cr_assert_not_null(op, "%s is in no record", name);
		cr_assert_eq(calls, op->calls, "%s calls", name);
		cr_assert_eq(errors, op->errors, "%s errors", name);
		cr_assert_str_eq(bytes, fmt_bytes(op->bytes), "%s bytes", name);
		cr_assert_str_eq(total, fmt_time(op->time), "%s total time", name);
		cr_assert_str_eq(mean, fmt_time(op->time / op->calls), "%s mean", name);
		cr_assert_str_eq(max, fmt_time(op->max), "%s max", name);
		cr_assert(share >= 100.0 * (double)op->time / (double)t->time - 0.0051 &&
			      share <= 100.0 * (double)op->time / (double)t->time + 0.0051,
			  "%s %% time %.2f", name, share);
		for (int k = 0; k < 3; k++) {
			uint64_t exact = exact_percentile(op, ps[k]);
			uint64_t got = parse_time(pct[k], &rounding);
			uint64_t off = got > exact ? got - exact : exact - got;

			cr_assert_leq(off, exact / 128 + rounding + 1,
				      "%s p%g printed %s, exact %" PRIu64 " ns", name, ps[k],
				      pct[k], exact);
		}
		cr_assert_leq(op->time, last_time, "%s: rows by total time", name);
		last_time = op->time;
	}
	cr_assert_eq(rows, t->nops, "one row per domain and op");
	p = next_line(p);
	cr_assert(strstr(p, fmt_time(t->time)) && strstr(p, " total\n"), "total row: %.200s", p);
}

static int file_order(const struct file_total *a, const struct file_total *b, bool by_bytes)
{
	uint64_t x = by_bytes ? a->bytes : a->time, y = by_bytes ? b->bytes : b->time;
	size_t n = a->path_len < b->path_len ? a->path_len : b->path_len;
	int c = memcmp(a->path, b->path, n);

	if (x != y)
		return x > y ? -1 : 1;
	return c ? c : (a->path_len > b->path_len) - (a->path_len < b->path_len);
}

static bool by_bytes_now;

static int file_cmp(const void *a, const void *b)
{
	return file_order(a, b, by_bytes_now);
}

static void check_files(const char *out, struct totals *t, bool by_bytes, unsigned top)
{
	char head[64];
	const char *p;
	size_t shown = t->nfiles < top ? t->nfiles : top;

	snprintf(head, sizeof(head), "Top %zu of %zu files by %s:", shown, t->nfiles,
		 by_bytes ? "bytes" : "time");
	p = next_line(line_after(out, head));
	by_bytes_now = by_bytes;
	qsort(t->files, t->nfiles, sizeof(*t->files), file_cmp);
	for (size_t i = 0; i < shown; i++, p = next_line(p)) {
		const struct file_total *f = &t->files[i];
		char want[4 * 4200 + 100];

		snprintf(want, sizeof(want), "%6s %9s %9" PRIu64 " %7" PRIu64 "  %s\n",
			 fmt_bytes(f->bytes), fmt_time(f->time), f->calls, f->errors,
			 visible(f->path, f->path_len));
		cr_assert(strncmp(p, want, strlen(want)) == 0, "file row %zu: want\n%s\ngot\n%.300s", i,
			  want, p);
	}
}

static void check_processes(const char *out, struct totals *t)
{
	const char *p = line_after(out, "    pid    ppid");

	for (size_t i = 0; i < t->nprocs; i++, p = next_line(p)) {
		int pid;
		const struct proc_total *w = NULL;
		char want[8400];

		cr_assert_eq(sscanf(p, "%d", &pid), 1, "process row: %.100s", p);
		for (size_t j = 0; j < t->nprocs; j++)
			if (t->procs[j].pid == pid)
				w = &t->procs[j];
		cr_assert_not_null(w, "pid %d made no record", pid);
		snprintf(want, sizeof(want), "%7d %7s %6s %9s %9" PRIu64 " %7" PRIu64 " %6s  %s\n",
			 w->pid, w->ppid ? w->ppid : "?", fmt_bytes(w->bytes), fmt_time(w->time),
			 w->calls, w->errors, w->exit_status ? w->exit_status : "-",
			 w->command ? visible(w->command, strlen(w->command)) : "?");
		cr_assert(strncmp(p, want, strlen(want)) == 0, "process row: want\n%s\ngot\n%.300s",
			  want, p);
	}
}

/* Every figure of a summary against the records it was made from. */
static void check_summary(const char *out, const struct run *traced, unsigned top)
{
	struct totals *t = compute(traced);
	char head[256];

	snprintf(head, sizeof(head),
		 "iomon summary: %zu records, %" PRIu64 " calls, %" PRIu64
		 " errors, %s, %s in calls, %zu processes\n",
		 traced->nrecs, t->calls, t->errors, fmt_bytes(t->bytes), fmt_time(t->time),
		 t->nprocs);
	cr_assert(strncmp(out, head, strlen(head)) == 0, "want\n%s\ngot\n%.300s", head, out);
	cr_assert_null(strstr(out, "LOST"), "nothing was lost:\n%s", out);
	check_ops(out, t);
	check_files(out, t, true, top);
	check_files(out, t, false, top);
	check_processes(out, t);
	totals_free(t);
}

/* ---- Running things ---- */

static void run_report(struct run *r, const char *const *args)
{
	const char *argv[16] = {launcher_path(), "report"};
	size_t n = 2;

	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	run_command(r, argv, NONE);
	cr_assert_lt(r->status, 128, "report was killed by signal %d", r->status - 128);
}

static void trace_known(struct run *traced)
{
	run_traced(traced, NONE, LIST(prog_path("report_calls"), scratch_dir(), "known"), NONE);
	cr_assert_eq(traced->status, 0, "report_calls: %s", traced->err);
	cr_assert_eq(traced->bad_lines, 0);
}

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* ---- The figures ---- */

Test(report, csv_figures_match_records_and_calls, .fini = scratch_cleanup)
{
	struct run traced, rep;
	struct totals *t;
	const struct file_total *a = NULL, *missing = NULL, *b = NULL;
	char path[4200];

	trace_known(&traced);
	run_report(&rep, LIST(scratch_file("trace.csv")));
	cr_assert_eq(rep.status, 0, "%s", rep.err);
	cr_assert_str_eq(rep.err, "", "nothing malformed");
	check_summary(rep.out, &traced, SUMMARY_TOP_DEFAULT);

	/* And what the program did, which the records must reflect. */
	t = compute(&traced);
	for (size_t i = 0; i < t->nfiles; i++) {
		const struct file_total *f = &t->files[i];

		snprintf(path, sizeof(path), "%s/a", scratch_dir());
		if (strlen(path) == f->path_len && memcmp(path, f->path, f->path_len) == 0)
			a = f;
		snprintf(path, sizeof(path), "%s/missing", scratch_dir());
		if (strlen(path) == f->path_len && memcmp(path, f->path, f->path_len) == 0)
			missing = f;
		snprintf(path, sizeof(path), "%s/b", scratch_dir());
		if (strlen(path) == f->path_len && memcmp(path, f->path, f->path_len) == 0)
			b = f;
	}
	cr_assert(a && missing && b, "the program's files are in the summary");
	cr_assert_eq(a->bytes, 20000, "10 x 1000 written, 4096+4096+1808+0 read");
	cr_assert_eq(a->calls, 18, "2 opens, 10 writes, 4 reads, 2 closes");
	cr_assert_eq(a->errors, 0);
	cr_assert_eq(missing->calls, 3);
	cr_assert_eq(missing->errors, 3);
	cr_assert_eq(b->calls, 4, "the child's open, 2 writes, close");
	cr_assert_eq(b->bytes, 1000);
	cr_assert_eq(t->nprocs, 2, "the program and its child");
	for (size_t j = 0; j < t->nops; j++) {
		if (t->ops[j].domain == IOMON_DOMAIN_FILE_WRITE && t->ops[j].op == IOMON_OP_WRITE) {
			cr_assert_eq(t->ops[j].calls, 14, "10 + 2 + 1 + 1 writes");
			cr_assert_eq(t->ops[j].bytes, 11014);
		}
		if (t->ops[j].domain == IOMON_DOMAIN_FILE_READ && t->ops[j].op == IOMON_OP_READ)
			cr_assert_eq(t->ops[j].calls, 4);
	}
	cr_assert(strstr(rep.out, " 14       0    11K "), "WRITE row:\n%s", rep.out);
	totals_free(t);
	run_free(&rep);
	run_free(&traced);
}

Test(report, top_option, .fini = scratch_cleanup)
{
	struct run traced, rep;

	trace_known(&traced);
	struct run after;

	run_report(&rep, LIST("-n", "2", scratch_file("trace.csv")));
	cr_assert_eq(rep.status, 0, "%s", rep.err);
	check_summary(rep.out, &traced, 2);
	/* Options may follow FILE, as the synopsis writes them. */
	run_report(&after, LIST(scratch_file("trace.csv"), "--top", "2"));
	cr_assert_eq(after.status, 0, "%s", after.err);
	cr_assert_str_eq(after.out, rep.out);
	run_free(&after);
	run_free(&rep);
	run_report(&rep, LIST("--top", "0", scratch_file("trace.csv")));
	cr_assert_null(strstr(rep.out, "files by"), "%s", rep.out);
	run_free(&rep);
	run_free(&traced);
}

Test(report, standard_input, .fini = scratch_cleanup)
{
	struct run traced, rep, from_stdin;
	char cmd[8400];

	trace_known(&traced);
	run_report(&rep, LIST(scratch_file("trace.csv")));
	snprintf(cmd, sizeof(cmd), "exec \"$0\" report - < '%s'", scratch_file("trace.csv"));
	run_command(&from_stdin, LIST("/bin/sh", "-c", cmd, launcher_path()), NONE);
	cr_assert_eq(from_stdin.status, 0, "%s", from_stdin.err);
	cr_assert_str_eq(from_stdin.out, rep.out);
	run_free(&from_stdin);
	run_free(&rep);
	run_free(&traced);
}

/* ---- JSON Lines ---- */

/* A JSON string per contracts.md, written here independently of the
 * launcher's writer: valid UTF-8 as is, other bytes as \udcXX. */
static void json_string(FILE *f, const char *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
				  : (c & 0xf8) == 0xf0	   ? 4
							   : 0;
		bool valid = n > 0 && i + n <= len && !(n == 2 && c < 0xc2);

		for (size_t k = 1; valid && k < n; k++)
			valid = ((unsigned char)s[i + k] & 0xc0) == 0x80;
		if (!valid) {
			fprintf(f, "\\udc%02x", c);
			i++;
		} else if (c == '"' || c == '\\') {
			fprintf(f, "\\%c", c);
			i++;
		} else if (c == '\n') {
			fputs("\\n", f);
			i++;
		} else if (c < 0x20) {
			fprintf(f, "\\u%04x", c);
			i++;
		} else {
			fwrite(s + i, 1, n, f);
			i += n;
		}
	}
	fputc('"', f);
}

static void write_jsonl(const struct run *r, const char *path)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	for (size_t i = 0; i < r->nrecs; i++) {
		const struct rec *x = &r->recs[i];

		fprintf(f,
			"{\"facility\":\"%s\",\"ts\":%" PRIu64 ",\"duration\":%" PRIu64 ".%06" PRIu64
			",\"pid\":%d,\"domain\":%u,\"domain_name\":\"%s\",\"op\":%u,\"op_name\":\"%s\","
			"\"error\":%d,\"fd\":%d,\"bytes\":%" PRIu64 ",\"s1\":",
			x->facility, x->ts, x->duration_ns / 1000000, x->duration_ns % 1000000,
			x->pid, x->domain, iomon_domain_name(x->domain), x->op,
			iomon_op_name(x->op), x->err, x->fd, x->bytes);
		json_string(f, x->s1, x->s1_len);
		fputs(",\"s2\":", f);
		json_string(f, x->s2, strlen(x->s2));
		fputs("}\n", f);
	}
	cr_assert_eq(fclose(f), 0);
}

Test(report, jsonl_same_summary_as_csv, .fini = scratch_cleanup)
{
	struct run traced, csv, jsonl, forced;

	trace_known(&traced);
	write_jsonl(&traced, scratch_file("trace.jsonl"));
	run_report(&csv, LIST("-n", "100", scratch_file("trace.csv")));
	run_report(&jsonl, LIST("-n", "100", scratch_file("trace.jsonl")));
	cr_assert_eq(jsonl.status, 0, "%s", jsonl.err);
	cr_assert_str_eq(jsonl.err, "", "nothing malformed");
	cr_assert_str_eq(jsonl.out, csv.out, "JSONL:\n%s\nCSV:\n%s", jsonl.out, csv.out);
	/* The hostile names went through JSON escapes and came back. */
	cr_assert(strstr(jsonl.out, "/bad\\377\\376\n"), "%s", jsonl.out);
	cr_assert(strstr(jsonl.out, "/q\"u,o te\\nnl\n"), "%s", jsonl.out);
	run_report(&forced, LIST("--format", "jsonl", "-n", "100", scratch_file("trace.jsonl")));
	cr_assert_str_eq(forced.out, csv.out);
	run_free(&forced);
	run_free(&csv);
	run_free(&jsonl);
	run_free(&traced);
}

/* The launcher's own JSON Lines: the figures of the program's calls. */
Test(report, launcher_jsonl_trace, .fini = scratch_cleanup)
{
	struct run traced, rep;
	const char *trace = scratch_file("trace.jsonl");
	char row[4400];

	run_command(&traced,
		    LIST(launcher_path(), "--format", "jsonl", "-o", trace, "--",
			 prog_path("report_calls"), scratch_dir(), "known"),
		    NONE);
	cr_assert_eq(traced.status, 0, "%s", traced.err);
	run_report(&rep, LIST(trace));
	cr_assert_eq(rep.status, 0, "%s", rep.err);
	cr_assert_str_eq(rep.err, "", "every line of the launcher's JSONL is a record");
	cr_assert(strstr(rep.out, "2 processes (2 started, 2 stopped):\n"), "%s", rep.out);
	cr_assert(strstr(rep.out, "        14       0    11K "), "WRITE: 14 calls:\n%s", rep.out);
	cr_assert(strstr(rep.out, "         4       0   9.8K "), "READ: 4 calls:\n%s", rep.out);
	snprintf(row, sizeof(row), "        18       0  %s/a\n", scratch_dir());
	cr_assert(strstr(rep.out, row), "%s", rep.out);
	snprintf(row, sizeof(row), "         3       3  %s/missing\n", scratch_dir());
	cr_assert(strstr(rep.out, row), "%s", rep.out);
	snprintf(row, sizeof(row), "         4       0  %s/b\n", scratch_dir());
	cr_assert(strstr(rep.out, row), "%s", rep.out);
	snprintf(row, sizeof(row), "  %s/bad\\377\\376\n", scratch_dir());
	cr_assert(strstr(rep.out, row), "the non-UTF-8 name came back:\n%s", rep.out);
	run_free(&rep);
	run_free(&traced);
}

/* ---- Bad input ---- */

/* Runs report on data; returns its stderr's malformed count (-1: none). */
static long report_on(struct run *rep, const void *data, size_t len, const char *name)
{
	const char *path = scratch_file(name);
	const char *count;

	write_file(path, data, len);
	run_report(rep, LIST(path));
	count = strstr(rep->err, ": ");
	if (!strstr(rep->err, "malformed lines skipped"))
		return -1;
	while (count && !(count[2] >= '0' && count[2] <= '9'))
		count = strstr(count + 1, ": ");
	return count ? strtol(count + 2, NULL, 10) : -1;
}

static const char good_csv[] = "abcd,100,0.002000,10,13,0,0,3,0,/tmp/a,O_RDONLY\n"
			       "abcd,101,0.010000,10,12,3,0,3,4096,/tmp/a,\n";
static const char good_jsonl[] =
    "{\"facility\":\"abcd\",\"ts\":100,\"duration\":0.002000,\"pid\":10,\"domain\":13,"
    "\"domain_name\":\"FILE_OPEN_CLOSE\",\"op\":0,\"op_name\":\"OPEN\",\"error\":0,\"fd\":3,"
    "\"bytes\":0,\"s1\":\"/tmp/a\",\"s2\":\"O_RDONLY\"}\n";

Test(report, binary_garbage, .fini = scratch_cleanup)
{
	struct run rep;
	char data[65536];
	uint64_t x = 88172645463325252u;

	for (size_t i = 0; i < sizeof(data); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		data[i] = (char)x;
	}
	cr_assert_gt(report_on(&rep, data, sizeof(data), "garbage"), 0, "%s", rep.err);
	cr_assert_eq(rep.status, 1, "no record in it: %s", rep.err);
	cr_assert(strstr(rep.err, "no record"), "%s", rep.err);
	run_free(&rep);
	data[0] = '{';
	cr_assert_gt(report_on(&rep, data, sizeof(data), "garbage.jsonl"), 0, "%s", rep.err);
	cr_assert_eq(rep.status, 1);
	run_free(&rep);
}

Test(report, truncated_last_line, .fini = scratch_cleanup)
{
	struct run rep;

	cr_assert_eq(report_on(&rep, good_csv, sizeof(good_csv) - 10, "cut.csv"), 1, "%s",
		     rep.err);
	cr_assert_eq(rep.status, 0, "one record was read");
	cr_assert(strstr(rep.out, "iomon summary: 1 records,"), "%s", rep.out);
	run_free(&rep);
	cr_assert_eq(report_on(&rep, good_jsonl, sizeof(good_jsonl) - 10, "cut.jsonl"), 1,
		     "%s", rep.err);
	cr_assert_eq(rep.status, 1, "nothing but a cut line");
	run_free(&rep);
}

/* good, a line of 1 MiB of fill, good again: into data; its length. */
static size_t around_a_megabyte(char *data, const char *good, char fill)
{
	size_t big = 1 << 20, len = strlen(good);

	memcpy(data, good, len);
	memset(data + len, fill, big);
	len += big;
	data[len++] = '\n';
	memcpy(data + len, good, strlen(good));
	return len + strlen(good);
}

Test(report, megabyte_lines, .fini = scratch_cleanup)
{
	char *data = malloc((1 << 20) + 4096);
	struct run rep;
	size_t len;

	len = around_a_megabyte(data, good_csv, 'x');
	cr_assert_eq(report_on(&rep, data, len, "big.csv"), 1, "%s", rep.err);
	cr_assert_eq(rep.status, 0);
	cr_assert(strstr(rep.out, "iomon summary: 4 records,"), "%s", rep.out);
	run_free(&rep);

	len = around_a_megabyte(data, good_jsonl, '{');
	cr_assert_eq(report_on(&rep, data, len, "big.jsonl"), 1, "%s", rep.err);
	cr_assert_eq(rep.status, 0);
	cr_assert(strstr(rep.out, "iomon summary: 2 records,"), "%s", rep.out);
	run_free(&rep);
	free(data);
}

/* A JSON line up to s1, as the launcher writes it. */
#define JSON_HEAD                                                                                  \
	"{\"facility\":\"abcd\",\"ts\":100,\"duration\":0.002000,\"pid\":10,\"domain\":13,"      \
	"\"domain_name\":\"FILE_OPEN_CLOSE\",\"op\":0,\"op_name\":\"OPEN\",\"error\":0,"        \
	"\"fd\":3,\"bytes\":0,"

/* Each line is wrong in one way; only the good line between them counts. */
Test(report, malformed_json_lines, .fini = scratch_cleanup)
{
	static const char *const bad[] = {
	    "{}",
	    "{\"facility\":\"abcd\"}",
	    /* a space */
	    "{\"facility\": \"abcd\",\"ts\":100,\"duration\":0.002000,\"pid\":10,\"domain\":13,"
	    "\"domain_name\":\"FILE_OPEN_CLOSE\",\"op\":0,\"op_name\":\"OPEN\",\"error\":0,"
	    "\"fd\":3,\"bytes\":0,\"s1\":\"/tmp/a\",\"s2\":\"\"}",
	    /* domain_name that is not domain's */
	    "{\"facility\":\"abcd\",\"ts\":100,\"duration\":0.002000,\"pid\":10,\"domain\":13,"
	    "\"domain_name\":\"FILE_READ\",\"op\":0,\"op_name\":\"OPEN\",\"error\":0,"
	    "\"fd\":3,\"bytes\":0,\"s1\":\"/tmp/a\",\"s2\":\"\"}",
	    /* a lone low surrogate below \udc80 */
	    JSON_HEAD "\"s1\":\"/tmp/\\udc41\",\"s2\":\"\"}",
	    /* a bad escape */
	    JSON_HEAD "\"s1\":\"/tmp/\\x\",\"s2\":\"\"}",
	    /* raw bytes that are not UTF-8 */
	    JSON_HEAD "\"s1\":\"/tmp/\xff\",\"s2\":\"\"}",
	    /* a NUL, by escape */
	    JSON_HEAD "\"s1\":\"/tmp/\\u0000\",\"s2\":\"\"}",
	    /* a negative pid */
	    "{\"facility\":\"abcd\",\"ts\":100,\"duration\":0.002000,\"pid\":-10,\"domain\":13,"
	    "\"domain_name\":\"FILE_OPEN_CLOSE\",\"op\":0,\"op_name\":\"OPEN\",\"error\":0,"
	    "\"fd\":3,\"bytes\":0,\"s1\":\"/tmp/a\",\"s2\":\"\"}",
	    /* a duration without its six decimals */
	    "{\"facility\":\"abcd\",\"ts\":100,\"duration\":2,\"pid\":10,\"domain\":13,"
	    "\"domain_name\":\"FILE_OPEN_CLOSE\",\"op\":0,\"op_name\":\"OPEN\",\"error\":0,"
	    "\"fd\":3,\"bytes\":0,\"s1\":\"/tmp/a\",\"s2\":\"\"}",
	    /* something after the object */
	    JSON_HEAD "\"s1\":\"/tmp/a\",\"s2\":\"\"}x",
	    /* an unterminated string */
	    JSON_HEAD "\"s1\":\"/tmp/a,\"s2\":\"}",
	};
	char data[16384];
	size_t len = 0;
	struct run rep;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len += (size_t)snprintf(data + len, sizeof(data) - len, "%s\n", bad[i]);
		if (i == 3)
			len += (size_t)snprintf(data + len, sizeof(data) - len, "%s", good_jsonl);
	}
	cr_assert_eq(report_on(&rep, data, len, "bad.jsonl"), (long)(sizeof(bad) / sizeof(bad[0])),
		     "%s", rep.err);
	cr_assert_eq(rep.status, 0);
	cr_assert(strstr(rep.out, "iomon summary: 1 records, 1 calls"), "%s", rep.out);
	cr_assert(strstr(rep.err, "line 1:"), "the first bad line is named: %s", rep.err);
	run_free(&rep);
}

Test(report, json_escapes_decoded, .fini = scratch_cleanup)
{
	/* \u00e9 (2 bytes), \ud83d\ude00 (4 bytes), \udcff (the byte 0xff),
	 * \" and \/ in s1. */
	static const char line[] =
	    JSON_HEAD "\"s1\":\"\\/t\\u00e9\\ud83d\\ude00\\udcff\\\"\",\"s2\":\"\"}\n";
	struct run rep;

	cr_assert_eq(report_on(&rep, line, strlen(line), "esc.jsonl"), -1, "%s", rep.err);
	cr_assert_eq(rep.status, 0);
	cr_assert(strstr(rep.out, "  /t\\303\\251\\360\\237\\230\\200\\377\"\n"), "%s",
		  rep.out);
	run_free(&rep);
}

Test(report, empty_and_blank_files, .fini = scratch_cleanup)
{
	struct run rep;

	cr_assert_eq(report_on(&rep, "", 0, "empty"), -1);
	cr_assert_eq(rep.status, 0, "an empty trace is a trace of nothing");
	cr_assert(strstr(rep.out, "iomon summary: 0 records"), "%s", rep.out);
	run_free(&rep);
	cr_assert_eq(report_on(&rep, "\n\n  \n", 5, "blank"), -1);
	cr_assert_eq(rep.status, 0);
	run_free(&rep);
}

/* Blank lines before the first record do not hide that the trace is JSON
 * Lines (the format was once judged from the wrong byte). */
Test(report, jsonl_after_blank_lines, .fini = scratch_cleanup)
{
	char data[1024];
	int len = snprintf(data, sizeof(data), "\n \n\n%s", good_jsonl);
	struct run rep;

	cr_assert_eq(report_on(&rep, data, (size_t)len, "blank-first.jsonl"), -1, "%s", rep.err);
	cr_assert_eq(rep.status, 0);
	cr_assert(strstr(rep.out, "iomon summary: 1 records, 1 calls"), "%s", rep.out);
	run_free(&rep);
}

Test(report, errors_of_use, .fini = scratch_cleanup)
{
	struct run rep;

	run_report(&rep, LIST(scratch_file("no-such-trace")));
	cr_assert_eq(rep.status, 1);
	cr_assert(strstr(rep.err, "no-such-trace: No such file or directory"), "%s", rep.err);
	run_free(&rep);
	run_report(&rep, NONE);
	cr_assert_eq(rep.status, 2, "no FILE");
	run_free(&rep);
	run_report(&rep, LIST("--format", "xml", "x"));
	cr_assert_eq(rep.status, 2);
	cr_assert(strstr(rep.err, "csv or jsonl"), "%s", rep.err);
	run_free(&rep);
	run_report(&rep, LIST("-n", "-1", "x"));
	cr_assert_eq(rep.status, 2);
	run_free(&rep);
	run_report(&rep, LIST("a", "b"));
	cr_assert_eq(rep.status, 2, "one FILE only");
	run_free(&rep);
	run_report(&rep, LIST(scratch_dir()));
	cr_assert_eq(rep.status, 1, "a directory cannot be read: %s", rep.err);
	run_free(&rep);
	run_report(&rep, LIST("--help"));
	cr_assert_eq(rep.status, 0);
	cr_assert(strstr(rep.out, "Usage: iomon report"), "%s", rep.out);
	run_free(&rep);
}
