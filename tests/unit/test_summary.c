/*
 * Unit tests for launcher/summary.c: hand-made records in, every figure of
 * every map checked, then the printed table.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "summary.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static void add(struct summary *s, const char *line)
{
	static struct iomon_parsed rec;
	int status = iomon_record_parse(line, strlen(line), &rec);

	cr_assert_eq(status, IOMON_RECORD_OK, "%s: %s", line, iomon_record_strerror(status));
	summary_add(s, &rec);
}

/*
 * Three processes, two facilities.  Durations in microseconds (the CSV's
 * milliseconds): 10 runs /bin/prog, 11 has no START, 12 only reads and
 * writes.
 */
static const char *const trace[] = {
    "abcd,100,0.001000,10,16,47,0,-1,0,/bin/prog arg,1", /* START */
    "abcd,100,0.002000,10,13,0,0,3,0,/tmp/a,O_RDONLY",	 /* OPEN 2 */
    "abcd,101,0.010000,10,12,3,0,3,4096,/tmp/a,",	 /* READ 10 */
    "abcd,101,0.030000,10,12,3,0,3,100,/tmp/a,",	 /* READ 30 */
    "abcd,102,0.005000,11,12,3,9,3,0,/tmp/b,",		 /* READ 5, EBADF */
    "xy,102,0.020000,11,11,2,0,4,50,/tmp/b,",		 /* WRITE 20 */
    "abcd,103,0.000000,11,16,55,0,-1,7,,",		 /* DROPPED 7 */
    "abcd,103,5.000000,10,16,48,0,-1,0,,0",		 /* STOP, 5 ms */
    "abcd,103,0.001000,10,9,56,0,-1,0,/bin/true,",	 /* EXEC 1: no file */
    "abcd,103,0.003000,10,5,4,0,-1,0,,",		 /* SYNC 3: no file */
    "xy,104,0.040000,12,12,3,0,5,10,/tmp/a,",		 /* READ 40 */
    "abcd,104,0.025000,12,11,2,0,6,50,/tmp/0,",		 /* WRITE 25 */
};

static struct summary *s;

static void setup(void)
{
	s = summary_new();
	for (size_t i = 0; i < ARRAY_LEN(trace); i++)
		add(s, trace[i]);
}

static void teardown(void)
{
	summary_free(s);
}

TestSuite(summary, .init = setup, .fini = teardown);

Test(summary, totals)
{
	cr_assert_eq(s->records, 12);
	cr_assert_eq(s->calls, 9, "START, STOP and DROPPED are not calls");
	cr_assert_eq(s->errors, 1);
	cr_assert_eq(s->bytes, 4096 + 100 + 50 + 10 + 50);
	cr_assert_eq(s->time_ns, (2 + 10 + 30 + 5 + 20 + 1 + 3 + 40 + 25) * 1000);
	cr_assert_eq(s->starts, 1);
	cr_assert_eq(s->stops, 1);
	cr_assert_eq(s->dropped, 7);
	cr_assert_eq(s->first_ts, 100);
	cr_assert_eq(s->last_ts, 104);
	cr_assert_eq(s->op_count, 7, "per facility, domain and op");
	cr_assert_eq(s->file_count, 3);
	cr_assert_eq(s->process_count, 3);
}

struct op_want {
	const char *facility;
	unsigned domain, op;
	uint64_t calls, errors, bytes, total_us, max_us;
};

/* Key order: domain, op, facility. */
static const struct op_want ops_want[] = {
    {"abcd", IOMON_DOMAIN_SYNCS, IOMON_OP_SYNC, 1, 0, 0, 3, 3},
    {"abcd", IOMON_DOMAIN_PROCESSES, IOMON_OP_EXEC, 1, 0, 0, 1, 1},
    {"abcd", IOMON_DOMAIN_FILE_WRITE, IOMON_OP_WRITE, 1, 0, 50, 25, 25},
    {"xy", IOMON_DOMAIN_FILE_WRITE, IOMON_OP_WRITE, 1, 0, 50, 20, 20},
    {"abcd", IOMON_DOMAIN_FILE_READ, IOMON_OP_READ, 3, 1, 4196, 45, 30},
    {"xy", IOMON_DOMAIN_FILE_READ, IOMON_OP_READ, 1, 0, 10, 40, 40},
    {"abcd", IOMON_DOMAIN_FILE_OPEN_CLOSE, IOMON_OP_OPEN, 1, 0, 0, 2, 2},
};

static void check_op(const struct summary_op *op, const struct op_want *w)
{
	cr_assert_str_eq(op->facility, w->facility);
	cr_assert_eq(op->domain, w->domain, "%s/%s", iomon_domain_name(op->domain),
		     iomon_op_name(op->op));
	cr_assert_eq(op->op, w->op);
	cr_assert_eq(op->calls, w->calls, "%s/%s calls", iomon_domain_name(op->domain),
		     iomon_op_name(op->op));
	cr_assert_eq(op->latency.count, w->calls);
	cr_assert_eq(op->errors, w->errors);
	cr_assert_eq(op->bytes, w->bytes);
	cr_assert_eq(op->latency.total, w->total_us * 1000);
	cr_assert_eq(op->latency.max, w->max_us * 1000);
}

static void collect_op(void *arg, const struct summary_op *op)
{
	size_t *i = arg;

	cr_assert_lt(*i, ARRAY_LEN(ops_want), "more ops than added");
	check_op(op, &ops_want[(*i)++]);
}

Test(summary, ops_per_facility_in_key_order)
{
	size_t i = 0;

	summary_foreach_op(s, collect_op, &i);
	cr_assert_eq(i, ARRAY_LEN(ops_want));
}

Test(summary, merged_ops_by_time)
{
	static const struct op_want want[] = {
	    {"", IOMON_DOMAIN_FILE_READ, IOMON_OP_READ, 4, 1, 4206, 85, 40},
	    {"", IOMON_DOMAIN_FILE_WRITE, IOMON_OP_WRITE, 2, 0, 100, 45, 25},
	    {"", IOMON_DOMAIN_SYNCS, IOMON_OP_SYNC, 1, 0, 0, 3, 3},
	    {"", IOMON_DOMAIN_FILE_OPEN_CLOSE, IOMON_OP_OPEN, 1, 0, 0, 2, 2},
	    {"", IOMON_DOMAIN_PROCESSES, IOMON_OP_EXEC, 1, 0, 0, 1, 1},
	};
	size_t n;
	struct summary_op *ops = summary_merged_ops(s, &n);

	cr_assert_eq(n, ARRAY_LEN(want));
	for (size_t i = 0; i < n; i++)
		check_op(&ops[i], &want[i]);
	/* READ's durations: 5 10 30 40 us. */
	/* Within the histogram's bound, 1/128, of the exact 10 and 40 us. */
	cr_assert_geq(histogram_percentile(&ops[0].latency, 50), 10000);
	cr_assert_leq(histogram_percentile(&ops[0].latency, 50), 10000 + 10000 / 128);
	cr_assert_eq(histogram_percentile(&ops[0].latency, 95), 40000, "the max, exact");
	cr_assert_eq(ops[0].latency.min, 5000);
	cr_assert_eq(histogram_mean(&ops[0].latency), 21250);
	free(ops);
}

Test(summary, merged_ops_tie_by_name)
{
	struct summary *t = summary_new();
	size_t n;
	struct summary_op *ops;

	add(t, "abcd,1,0.001000,1,12,3,0,3,0,/x,");
	add(t, "abcd,1,0.001000,1,11,2,0,3,0,/x,");
	add(t, "abcd,1,0.001000,1,2,26,0,-1,0,/d,0755");
	ops = summary_merged_ops(t, &n);
	cr_assert_eq(n, 3);
	cr_assert_eq(ops[0].domain, IOMON_DOMAIN_DIRS, "DIRS/MKDIR first by name");
	cr_assert_eq(ops[1].domain, IOMON_DOMAIN_FILE_READ);
	cr_assert_eq(ops[2].domain, IOMON_DOMAIN_FILE_WRITE);
	free(ops);
	summary_free(t);
}

Test(summary, files)
{
	const struct summary_file *f[4];

	cr_assert_eq(summary_sorted_files(s, SUMMARY_BY_KEY, f, 4), 3);
	cr_assert_str_eq(f[0]->path, "/tmp/0");
	cr_assert_str_eq(f[1]->path, "/tmp/a");
	cr_assert_str_eq(f[2]->path, "/tmp/b");
	/* /tmp/a: OPEN, two READs by 10 and one by 12 */
	cr_assert_eq(f[1]->calls, 4);
	cr_assert_eq(f[1]->bytes, 4206);
	cr_assert_eq(f[1]->time_ns, 82000);
	cr_assert_eq(f[1]->errors, 0);
	cr_assert_eq(f[1]->first_ts, 100);
	cr_assert_eq(f[1]->last_ts, 104);
	cr_assert_eq(f[2]->calls, 2);
	cr_assert_eq(f[2]->errors, 1);
	cr_assert_eq(f[2]->bytes, 50);
	cr_assert_eq(f[2]->time_ns, 25000);

	/* /tmp/0 and /tmp/b tie on bytes and on time: path order decides. */
	cr_assert_eq(summary_sorted_files(s, SUMMARY_BY_BYTES, f, 2), 2);
	cr_assert_str_eq(f[0]->path, "/tmp/a");
	cr_assert_str_eq(f[1]->path, "/tmp/0");
	cr_assert_eq(summary_sorted_files(s, SUMMARY_BY_TIME, f, 3), 3);
	cr_assert_str_eq(f[0]->path, "/tmp/a");
	cr_assert_str_eq(f[1]->path, "/tmp/0");
	cr_assert_str_eq(f[2]->path, "/tmp/b");
}

Test(summary, processes)
{
	const struct summary_process *p[3];

	cr_assert_eq(summary_sorted_processes(s, SUMMARY_BY_TIME, p, 3), 3);
	cr_assert_eq(p[0]->pid, 12);
	cr_assert_eq(p[1]->pid, 10);
	cr_assert_eq(p[2]->pid, 11);

	cr_assert_str_eq(p[1]->command, "/bin/prog arg");
	cr_assert_eq(p[1]->ppid, 1);
	cr_assert_str_eq(p[1]->exit_status, "0");
	cr_assert_eq(p[1]->lifetime_ns, 5000000);
	cr_assert_eq(p[1]->calls, 5);
	cr_assert_eq(p[1]->bytes, 4196);
	cr_assert_eq(p[1]->time_ns, 46000);
	cr_assert_eq(p[1]->errors, 0);
	cr_assert_eq(p[1]->dropped, 0);

	cr_assert_null(p[2]->command, "no START");
	cr_assert_eq(p[2]->ppid, -1);
	cr_assert_null(p[2]->exit_status, "no STOP");
	cr_assert_eq(p[2]->calls, 2);
	cr_assert_eq(p[2]->errors, 1);
	cr_assert_eq(p[2]->bytes, 50);
	cr_assert_eq(p[2]->time_ns, 25000);
	cr_assert_eq(p[2]->dropped, 7);

	cr_assert_eq(p[0]->calls, 2);
	cr_assert_eq(p[0]->bytes, 60);
	cr_assert_eq(p[0]->time_ns, 65000);
}

Test(summary, exec_replaces_command)
{
	add(s, "abcd,105,0.001000,10,16,47,0,-1,0,/bin/next,1");
	const struct summary_process *p[3];

	summary_sorted_processes(s, SUMMARY_BY_KEY, p, 3);
	cr_assert_eq(p[0]->pid, 10);
	cr_assert_str_eq(p[0]->command, "/bin/next");
	cr_assert_eq(s->starts, 2);
}

static char *printed(const struct summary *sum)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	cr_assert_not_null(out);
	summary_print(sum, out);
	cr_assert_eq(fclose(out), 0);
	return text;
}

static size_t occurrences(const char *text, const char *what)
{
	size_t n = 0;

	for (const char *p = text; (p = strstr(p, what)); p++)
		n++;
	return n;
}

Test(summary, print)
{
	char *text = printed(s);
	const char *read_row, *write_row, *sync_row;

	cr_assert(strstr(text, "iomon summary: 12 records, 9 calls, 1 errors, 4.2K, 136.00us in "
			       "calls, 3 processes\n"),
		  "%s", text);
	cr_assert_eq(occurrences(text, "*** 7 records LOST"), 2, "first and last:\n%s", text);
	/* READ: 85 of 136 us; 4 calls, 1 error, 4206 bytes; mean 21.25, p50 10
	 * (10.05: the middle of its bucket), p95 = p99 = max = 40 */
	read_row = strstr(text, " 62.50   85.00us         4       1   4.1K  21.25us  10.05us  "
				"40.00us  40.00us  40.00us  FILE_READ/READ\n");
	write_row = strstr(text, "FILE_WRITE/WRITE\n");
	sync_row = strstr(text, "SYNCS/SYNC\n");
	cr_assert(read_row && write_row && sync_row, "%s", text);
	cr_assert(read_row < write_row && write_row < sync_row, "by total time:\n%s", text);
	cr_assert(strstr(text, "100.00  136.00us         9       1   4.2K "), "totals:\n%s", text);
	cr_assert(strstr(text, "Top 3 of 3 files by bytes:\n"), "%s", text);
	cr_assert(strstr(text, "  4.1K   82.00us         4       0  /tmp/a\n"), "%s", text);
	cr_assert(strstr(text, "     10       1   4.1K   46.00us         5       0      0  "
			       "/bin/prog arg\n"),
		  "%s", text);
	cr_assert(strstr(text, "     11       ?    50B   25.00us         2       1      -  ?  "
			       "(7 records lost)\n"),
		  "%s", text);
	free(text);
}

Test(summary, print_escapes_names)
{
	char *text;

	add(s, "abcd,1,0.001000,1,12,3,0,3,1,\"/tmp/new\nline\",");
	add(s, "abcd,1,0.001000,1,12,3,0,3,1,/tmp/\x80\tx,");
	text = printed(s);
	cr_assert(strstr(text, "/tmp/new\\nline\n"), "%s", text);
	cr_assert(strstr(text, "/tmp/\\200\\tx\n"), "%s", text);
	free(text);
}

Test(summary, print_empty)
{
	struct summary *t = summary_new();
	char *text = printed(t);

	cr_assert(strstr(text, "iomon summary: 0 records, 0 calls"), "%s", text);
	cr_assert_null(strstr(text, "LOST"));
	free(text);
	summary_free(t);
}

Test(summary, top_zero_prints_no_files)
{
	char *text;

	s->top = 0;
	text = printed(s);
	cr_assert_null(strstr(text, "files by"), "%s", text);
	free(text);
}

Test(summary, formats)
{
	char buf[SUMMARY_FIELD_MAX];

	summary_format_duration(buf, 812);
	cr_assert_str_eq(buf, "812ns");
	summary_format_duration(buf, 1250);
	cr_assert_str_eq(buf, "1.25us");
	summary_format_duration(buf, 3400000);
	cr_assert_str_eq(buf, "3.40ms");
	summary_format_duration(buf, 2500000000u);
	cr_assert_str_eq(buf, "2.500s");
	summary_format_bytes(buf, 512);
	cr_assert_str_eq(buf, "512B");
	summary_format_bytes(buf, 99999);
	cr_assert_str_eq(buf, "98K");
	summary_format_bytes(buf, 15 * 1024 * 1024 / 10);
	cr_assert_str_eq(buf, "1.5M");
	summary_format_bytes(buf, UINT64_MAX);
	cr_assert_str_eq(buf, "8.0E");
}

Test(summary, limits_sum_the_rest)
{
	struct summary *t = summary_new();
	const struct summary_file *f[3];
	char *text;

	t->files_max = 2;
	t->processes_max = 2;
	for (size_t i = 0; i < ARRAY_LEN(trace); i++)
		add(t, trace[i]);
	/* /tmp/a and /tmp/b came first; /tmp/0 (pid 12's write) is past the
	 * limit, and so is pid 12. */
	cr_assert_eq(t->file_count, 2);
	cr_assert_eq(summary_sorted_files(t, SUMMARY_BY_KEY, f, 3), 2);
	cr_assert_str_eq(f[0]->path, "/tmp/a");
	cr_assert_str_eq(f[1]->path, "/tmp/b");
	cr_assert_eq(t->other_files.calls, 1);
	cr_assert_eq(t->other_files.bytes, 50);
	cr_assert_eq(t->other_files.time_ns, 25000);
	cr_assert_eq(t->process_count, 2);
	cr_assert_eq(t->other_processes.calls, 2);
	cr_assert_eq(t->other_processes.bytes, 60);
	cr_assert_eq(t->other_processes.time_ns, 65000);
	cr_assert_null(t->other_processes.command);
	/* Nothing left out of the totals. */
	cr_assert_eq(t->calls, 9);
	cr_assert_eq(t->bytes, 4306);

	text = printed(t);
	cr_assert(strstr(text, "   50B   25.00us         1       0  (the files past the first 2, "
			       "not kept one by one)\n"),
		  "%s", text);
	cr_assert(strstr(text, " others       ?    60B   65.00us         2       0      -  (the "
			       "processes past the first 2, not kept one by one)\n"),
		  "%s", text);
	free(text);
	summary_free(t);
}

/* A sender that makes up a facility per record: past SUMMARY_OPS_MAX
 * entries the calls share one entry per op, none is lost. */
Test(summary_limits, made_up_facilities)
{
	struct summary *t = summary_new();
	char line[128];
	size_t n_ops;
	struct summary_op *ops;

	for (unsigned i = 0; i < 3 * SUMMARY_OPS_MAX; i++) {
		snprintf(line, sizeof(line), "%c%c%c,1,0.001000,10,12,3,0,3,1,/tmp/a,",
			 'a' + i % 26, 'a' + i / 26 % 26, 'a' + i / 676 % 26);
		add(t, line);
	}
	cr_assert_eq(t->op_count, SUMMARY_OPS_MAX + 1, "%zu entries", t->op_count);
	ops = summary_merged_ops(t, &n_ops);
	cr_assert_eq(n_ops, 1);
	cr_assert_eq(ops[0].calls, 3 * SUMMARY_OPS_MAX);
	cr_assert_eq(ops[0].bytes, 3 * SUMMARY_OPS_MAX);
	free(ops);
	summary_free(t);
}
