/*
 * The library's filters, end to end (see ENVIRONMENT in the man page):
 * MONITOR_DOMAINS, IOMON_PATHS, IOMON_EXCLUDE, IOMON_ERRORS_ONLY,
 * IOMON_SLOWER_THAN, IOMON_START_AT and START_ON_ELAPSED, each set in the
 * launcher's environment, which the traced program inherits.
 *
 * A filtered run is compared with an unfiltered run of the same program
 * (whose calls are the same every time): it must hold exactly the
 * unfiltered records the filter keeps, in their order, START and STOP
 * always among them.  Which records a filter keeps is worked out here
 * again, from the records, by the rule the man page states.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "codes.h"
#include "harness.h"

typedef bool keep_fn(const struct rec *rec, const void *arg);

static void run_fileops(struct run *r, const char *scenario, const char *const *env)
{
	run_traced(r, NONE, LIST(prog_path("fileops"), scratch_dir(), scenario), env);
	expect_scenario_ran(r, "fileops", scenario);
	expect_rec(r, r->nrecs - 1, D(START_STOP), O(STOP), 0, -1, 0, "", "0");
}

static bool same_rec(const struct rec *a, const struct rec *b)
{
	return a->domain == b->domain && a->op == b->op && a->err == b->err && a->fd == b->fd &&
	       a->bytes == b->bytes && a->s1_len == b->s1_len &&
	       memcmp(a->s1, b->s1, a->s1_len) == 0 &&
	       /* START's s2 is the parent's pid, which changes from run to run */
	       (a->op == O(START) || strcmp(a->s2, b->s2) == 0);
}

/* The records of got are those of all that keep keeps, START and STOP
 * whatever it says.  Returns how many of all were left out. */
static size_t expect_kept(const struct run *all, const struct run *got, keep_fn *keep,
			  const void *arg, const char *what)
{
	size_t j = 0, left_out = 0;

	for (size_t i = 0; i < all->nrecs; i++) {
		const struct rec *rec = &all->recs[i];
		if (rec->domain != D(START_STOP) && !keep(rec, arg)) {
			left_out++;
			continue;
		}
		cr_assert_lt(j, got->nrecs, "%s: record %zu (domain %u, op %u, '%s') is missing",
			     what, i, rec->domain, rec->op, rec->s1);
		cr_assert(same_rec(rec, &got->recs[j]),
			  "%s: record %zu is domain %u, op %u, err %d, '%s', not domain %u, op %u, "
			  "err %d, '%s'",
			  what, j, got->recs[j].domain, got->recs[j].op, got->recs[j].err,
			  got->recs[j].s1, rec->domain, rec->op, rec->err, rec->s1);
		j++;
	}
	cr_assert_eq(j, got->nrecs, "%s: %zu records, %zu expected", what, got->nrecs, j);
	return left_out;
}

/* Runs the scenario bare and with env, and compares. */
static void check_filter(const char *scenario, const char *const *env, keep_fn *keep,
			 const void *arg, bool drops_some)
{
	struct run all, got;

	run_fileops(&all, scenario, NONE);
	run_fileops(&got, scenario, env);
	size_t left_out = expect_kept(&all, &got, keep, arg, env[0]);
	if (drops_some)
		cr_assert_gt(left_out, 0, "%s: the filter leaves something out", env[0]);
	run_free(&all);
	run_free(&got);
}

static bool keep_all(const struct rec *rec, const void *arg)
{
	(void)rec, (void)arg;
	return true;
}

/*
 * A value that is not valid: iomon refuses it (options::
 * bad_inherited_values_exit_2_naming_the_variable), but a program run with
 * the library and no iomon still reads it, and must record as if it were
 * unset.  Run so, sending to a collector of the test's own, the scenario
 * makes every record an unfiltered run through iomon makes.
 */
static void check_library_ignores(const char *scenario, const char *setting)
{
	struct run all, got;
	struct stub s;
	char port[32];

	run_fileops(&all, scenario, NONE);
	stub_start(&s, 0, 0);
	snprintf(port, sizeof(port), "IOMON_PORT=%d", s.port);
	run_command(&got, LIST(prog_path("fileops"), scratch_dir(), scenario),
		    LIST(preload_env(library_path()), port, setting));
	stub_finish(&s);
	parse_trace(&got, s.data, s.len);
	free(s.data);
	expect_scenario_ran(&got, "fileops", scenario);
	expect_kept(&all, &got, keep_all, NULL, setting);
	run_free(&all);
	run_free(&got);
}

static bool in_domains(const struct rec *rec, const void *arg)
{
	return *(const uint32_t *)arg >> rec->domain & 1;
}

Test(filters, monitor_domains_keeps_only_those_named, .fini = scratch_cleanup)
{
	uint32_t mask = MASK(FILE_READ) | MASK(FILE_WRITE);

	check_filter("basic", LIST("MONITOR_DOMAINS=FILE_READ,file_write"), in_domains, &mask,
		     true);
}

Test(filters, monitor_domains_one, .fini = scratch_cleanup)
{
	uint32_t mask = MASK(FILE_OPEN_CLOSE);

	check_filter("stdio", LIST("MONITOR_DOMAINS=FILE_OPEN_CLOSE"), in_domains, &mask, true);
}

Test(filters, monitor_domains_start_stop_only, .fini = scratch_cleanup)
{
	uint32_t mask = 0;

	check_filter("basic", LIST("MONITOR_DOMAINS=START_STOP"), in_domains, &mask, true);
}

Test(filters, monitor_domains_all_or_bad_keeps_everything, .fini = scratch_cleanup)
{
	check_filter("basic", LIST("MONITOR_DOMAINS=all"), keep_all, NULL, false);
	check_library_ignores("basic", "MONITOR_DOMAINS=FILE_READ,NO_SUCH_DOMAIN");
}

/* The rule: a record whose s1 is an absolute path is kept when the path
 * is the prefix or below it (prefix, then '/'). */
static bool under(const struct rec *rec, const char *prefix)
{
	size_t n = strlen(prefix);

	while (n > 0 && prefix[n - 1] == '/')
		n--;
	return rec->s1_len >= n && memcmp(rec->s1, prefix, n) == 0 &&
	       (rec->s1_len == n || rec->s1[n] == '/');
}

static bool has_path(const struct rec *rec)
{
	return rec->s1_len > 0 && rec->s1[0] == '/';
}

struct paths {
	const char *keep;	/* NULL: every path */
	const char *drop;	/* NULL: none */
};

static bool paths_keep(const struct rec *rec, const void *arg)
{
	const struct paths *p = arg;

	if (!has_path(rec))
		return true;
	return (!p->keep || under(rec, p->keep)) && !(p->drop && under(rec, p->drop));
}

static const char *env_var(const char *name, const char *value)
{
	static char buf[4][9100];
	static int next;
	char *p = buf[next++ % 4];

	snprintf(p, sizeof(buf[0]), "%s=%s", name, value);
	return p;
}

struct scenario {
	char name[16];
};

ParameterizedTestParameters(filters, paths)
{
	static struct scenario scenarios[] = { { "basic" }, { "stdio" } };
	return cr_make_param_array(struct scenario, scenarios, 2);
}

/* One file of the scenario's: its own records (opens, reads and writes of
 * its descriptor, close), and those without a path. */
ParameterizedTest(struct scenario *s, filters, paths, .fini = scratch_cleanup)
{
	const char *file = strcmp(s->name, "basic") == 0 ? "a.txt" : "b.txt";
	struct paths p = { .keep = scratch_file(file) };

	check_filter(s->name, LIST(env_var("IOMON_PATHS", p.keep)), paths_keep, &p, true);
}

Test(filters, paths_prefix_is_a_whole_name, .fini = scratch_cleanup)
{
	/* "DIR/a" is not a prefix of "DIR/a.txt"; "DIR/" and "/" are. */
	struct paths a = { .keep = scratch_file("a") };
	check_filter("basic", LIST(env_var("IOMON_PATHS", a.keep)), paths_keep, &a, true);

	char dir_slash[4200];
	snprintf(dir_slash, sizeof(dir_slash), "%s/", scratch_dir());
	struct paths dir = { .keep = dir_slash };
	check_filter("basic", LIST(env_var("IOMON_PATHS", dir_slash)), paths_keep, &dir, false);
	check_filter("basic", LIST("IOMON_PATHS=/"), keep_all, NULL, false);
	/* Not absolute: the library keeps every path. */
	check_library_ignores("basic", "IOMON_PATHS=a.txt");
}

/* A relative path is filtered by the absolute path it names: opened from
 * DIR/in, x is DIR/in/x and kept; opened from DIR/out, y is left out. */
Test(filters, paths_filter_relative_paths_by_what_they_name, .fini = scratch_cleanup)
{
	struct path in = in_scratch("in"), out = in_scratch("out"), x = in_scratch("in/x"),
		    y = in_scratch("out/y");
	char script[9000];
	struct run r;
	size_t kept = 0;

	cr_assert(mkdir(in.s, 0755) == 0 && mkdir(out.s, 0755) == 0);
	snprintf(script, sizeof(script), "cd '%s' && echo a > x && cd '%s' && echo b > y", in.s,
		 out.s);
	run_traced(&r, NONE, LIST("/bin/sh", "-c", script), LIST(env_var("IOMON_PATHS", in.s)));
	cr_assert_eq(r.status, 0, "%s", r.err);
	for (size_t i = 0; i < r.nrecs; i++) {
		cr_assert(strcmp(r.recs[i].s1, y.s) != 0, "record %zu names %s", i, y.s);
		kept += strcmp(r.recs[i].s1, x.s) == 0;
	}
	/* x's open, its write and its close, at least. */
	cr_assert_geq(kept, 3, "%zu records name %s", kept, x.s);
	run_free(&r);
}

Test(filters, paths_several_prefixes, .fini = scratch_cleanup)
{
	char list[9000];

	snprintf(list, sizeof(list), "/nonexistent:%s::%s", scratch_file("c.txt"),
		 scratch_file("b.txt"));
	struct run all, got;
	run_fileops(&all, "stdio", NONE);
	run_fileops(&got, "stdio", LIST(env_var("IOMON_PATHS", list)));
	/* Kept: what has no path, b.txt's and c.txt's records. */
	size_t j = 0;
	for (size_t i = 0; i < all.nrecs; i++) {
		const struct rec *rec = &all.recs[i];
		if (rec->domain == D(START_STOP) || !has_path(rec) ||
		    under(rec, scratch_file("b.txt")) || under(rec, scratch_file("c.txt"))) {
			cr_assert_lt(j, got.nrecs);
			cr_assert(same_rec(rec, &got.recs[j]), "record %zu", j);
			j++;
		}
	}
	cr_assert_eq(j, got.nrecs);
	cr_assert_lt(j, all.nrecs, "missing.txt's open is left out");
	run_free(&all);
	run_free(&got);
}

Test(filters, exclude_drops_what_is_under_it, .fini = scratch_cleanup)
{
	struct paths p = { .drop = scratch_file("a.txt") };
	check_filter("basic", LIST(env_var("IOMON_EXCLUDE", p.drop)), paths_keep, &p, true);
}

/* IOMON_EXCLUDE applies after IOMON_PATHS. */
Test(filters, exclude_within_paths, .fini = scratch_cleanup)
{
	struct paths p = { .keep = scratch_dir(), .drop = scratch_file("b.txt") };
	check_filter("stdio",
		     LIST(env_var("IOMON_PATHS", p.keep), env_var("IOMON_EXCLUDE", p.drop)),
		     paths_keep, &p, true);
}

static bool failed(const struct rec *rec, const void *arg)
{
	(void)arg;
	return rec->err != 0;
}

Test(filters, errors_only_keeps_failed_calls, .fini = scratch_cleanup)
{
	struct run r;

	check_filter("basic", LIST("IOMON_ERRORS_ONLY=1"), failed, NULL, true);
	/* basic has two failures: the open of a missing file, a close of a
	 * closed descriptor. */
	run_fileops(&r, "basic", LIST("IOMON_ERRORS_ONLY=1"));
	cr_assert_eq(r.nrecs, 4, "START, two failures, STOP: %zu records", r.nrecs);
	expect_rec(&r, 1, D(FILE_OPEN_CLOSE), O(OPEN), ENOENT, -1, 0,
		   scratch_file("missing.txt"), "O_RDONLY");
	expect_rec(&r, 2, D(FILE_OPEN_CLOSE), O(CLOSE), EBADF, 3, 0, NULL, NULL);
	run_free(&r);
	check_library_ignores("basic", "IOMON_ERRORS_ONLY=yes");
}

static bool keep_none(const struct rec *rec, const void *arg)
{
	(void)rec, (void)arg;
	return false;
}

/* No call of fileops takes 100 s; every call takes at least a nanosecond. */
Test(filters, slower_than_bounds, .fini = scratch_cleanup)
{
	check_filter("basic", LIST("IOMON_SLOWER_THAN=100000"), keep_none, NULL, true);
	check_filter("basic", LIST("IOMON_SLOWER_THAN=0.000001"), keep_all, NULL, false);
	check_library_ignores("basic", "IOMON_SLOWER_THAN=soon");
}

/* cat's read of the pipe waits for sleep to end, 2 s; everything kept took
 * at least the 100 ms asked for, and START and STOP of the three processes
 * (sh, sleep, cat; the children of fork have a START each before their
 * exec too) are all there. */
Test(filters, slower_than_keeps_a_slow_read)
{
	struct run r;
	size_t slow_reads = 0;

	run_traced(&r, NONE, LIST("/bin/sh", "-c", "sleep 2 | cat"),
		   LIST("IOMON_SLOWER_THAN=100"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(r.bad_lines, 0);
	for (size_t i = 0; i < r.nrecs; i++) {
		const struct rec *rec = &r.recs[i];
		if (rec->domain == D(START_STOP))
			continue;
		cr_assert_geq(rec->duration_ns, 100000000u, "record %zu (op %u) took %llu ns", i,
			      rec->op, (unsigned long long)rec->duration_ns);
		slow_reads += rec->domain == D(FILE_READ) && rec->fd == 0 && rec->bytes == 0;
	}
	cr_assert_eq(slow_reads, 1, "cat's read of the pipe");
	cr_assert_eq(count_recs(&r, D(START_STOP), O(STOP)), 3, "STOP of sh, sleep and cat");
	cr_assert_geq(count_recs(&r, D(START_STOP), O(START)), 3, "START of sh, sleep and cat");
	run_free(&r);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * A call made the moment IOMON_START_AT comes is recorded.  The library
 * reads a coarse clock while the time is far, which here runs up to two
 * ticks (8 ms) behind: near the time it must read the precise one.  The
 * program waits for the time by CLOCK_REALTIME, 200 ms on (its start-up
 * comes first), then opens at once; five runs.
 */
Test(filters, start_at_records_a_call_made_the_moment_it_comes, .fini = scratch_cleanup)
{
	for (int i = 0; i < 5; i++) {
		char at[64];
		struct run r;

		snprintf(at, sizeof(at), "IOMON_START_AT=%llu",
			 (unsigned long long)(now_ns() + 200 * UINT64_C(1000000)));
		run_traced(&r, NONE, LIST(prog_path("fileops"), scratch_dir(), "at_start"),
			   LIST(at));
		expect_scenario_ran(&r, "fileops", "at_start");
		cr_assert_eq(count_on(&r, D(FILE_OPEN_CLOSE), O(OPEN), scratch_file("at.txt")), 1,
			     "run %d: the open made at IOMON_START_AT is not recorded", i);
		cr_assert_eq(count_recs(&r, D(FILE_OPEN_CLOSE), O(CLOSE)), 1, "run %d", i);
		run_free(&r);
	}
}

Test(filters, start_at_in_the_future_records_only_start_and_stop, .fini = scratch_cleanup)
{
	char at[64];

	snprintf(at, sizeof(at), "IOMON_START_AT=%llu",
		 (unsigned long long)(now_ns() + 3600 * UINT64_C(1000000000)));
	check_filter("basic", LIST(at), keep_none, NULL, true);
	/* IOMON_START_AT wins over START_ON_ELAPSED. */
	check_filter("basic", LIST(at, "START_ON_ELAPSED=0"), keep_none, NULL, true);
	check_filter("basic", LIST("START_ON_ELAPSED=3600"), keep_none, NULL, true);
}

Test(filters, start_in_the_past_records_everything, .fini = scratch_cleanup)
{
	char at[64];

	snprintf(at, sizeof(at), "IOMON_START_AT=%llu", (unsigned long long)now_ns());
	check_filter("basic", LIST(at), keep_all, NULL, false);
	check_filter("basic", LIST("IOMON_START_AT=1", "START_ON_ELAPSED=3600"), keep_all, NULL,
		     false);
	check_filter("basic", LIST("START_ON_ELAPSED=0"), keep_all, NULL, false);
	check_library_ignores("basic", "START_ON_ELAPSED=later");
}

/*
 * START_ON_ELAPSED counts from the start of each program: one shell opens
 * a.txt at once, b.txt after 2 s (a sleep of its child's); with 1 s, only
 * b.txt's open is recorded.  The sleep program is a new program, which
 * counts from its own start: nothing of it but START and STOP.
 */
Test(filters, start_on_elapsed_starts_the_recording_later, .fini = scratch_cleanup)
{
	struct run r;
	char script[9000];

	snprintf(script, sizeof(script), ": > '%s'; : > '%s'; read x < '%s'; sleep 2; read y < '%s'",
		 scratch_file("a.txt"), scratch_file("b.txt"), scratch_file("a.txt"),
		 scratch_file("b.txt"));
	run_traced(&r, NONE, LIST("/bin/sh", "-c", script), LIST("START_ON_ELAPSED=1"));
	cr_assert_eq(r.status, 1, "read at the end of an empty file fails: %s", r.err);
	cr_assert_eq(r.bad_lines, 0);
	size_t opens_a = 0, opens_b = 0;
	for (size_t i = 0; i < r.nrecs; i++) {
		opens_a += r.recs[i].op == O(OPEN) && under(&r.recs[i], scratch_file("a.txt"));
		opens_b += r.recs[i].op == O(OPEN) && under(&r.recs[i], scratch_file("b.txt"));
	}
	cr_assert_eq(opens_a, 0, "a.txt was opened before the first second");
	cr_assert_eq(opens_b, 1, "b.txt was opened after 2 s");
	cr_assert_eq(count_recs(&r, D(START_STOP), O(STOP)), 2, "STOP of sh and sleep");
	cr_assert_geq(count_recs(&r, D(START_STOP), O(START)), 2, "START of sh and sleep");
	run_free(&r);
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/*
 * The same after the library has calibrated the TSC (a millisecond after
 * a program starts) and times calls with it: the shell's records after its
 * first 0.3 s calibrate it, and the child it forks for the pipeline
 * inherits the rate.  Its read waits a second for the echo.  No call can
 * have taken longer than the whole run: a duration wrongly scaled from
 * TSC ticks would.
 */
Test(filters, slower_than_with_the_tsc)
{
	struct run r;
	size_t slow_reads = 0;

	uint64_t t0 = monotonic_ns();
	run_traced(&r, NONE, LIST("/bin/sh", "-c", "sleep 0.3; : > /dev/null; (sleep 1; echo) | read x"),
		   LIST("IOMON_SLOWER_THAN=500"));
	uint64_t run_ns = monotonic_ns() - t0;
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(r.bad_lines, 0);
	for (size_t i = 0; i < r.nrecs; i++) {
		const struct rec *rec = &r.recs[i];
		if (rec->domain == D(START_STOP))
			continue;
		cr_assert_geq(rec->duration_ns, 500000000u, "record %zu (op %u) took %llu ns", i,
			      rec->op, (unsigned long long)rec->duration_ns);
		cr_assert_leq(rec->duration_ns, run_ns,
			      "record %zu (op %u) took %llu ns, in a run of %llu ns", i, rec->op,
			      (unsigned long long)rec->duration_ns, (unsigned long long)run_ns);
		slow_reads += rec->domain == D(FILE_READ) && rec->fd == 0;
	}
	cr_assert_eq(slow_reads, 1, "the subshell's first read of the pipe");
	run_free(&r);
}

/* START_ON_OPEN with a start time: recording starts when both have come.
 * A time an hour away: nothing at all (START_ON_OPEN holds back START). */
Test(filters, start_on_open_and_a_time_to_come, .fini = scratch_cleanup)
{
	struct run r;
	char at[64];

	snprintf(at, sizeof(at), "IOMON_START_AT=%llu",
		 (unsigned long long)(now_ns() + 3600 * UINT64_C(1000000000)));
	run_traced(&r, NONE, LIST(prog_path("fileops"), scratch_dir(), "stdio"),
		   LIST("START_ON_OPEN=c.txt", at));
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(r.nrecs, 0, "%zu records", r.nrecs);
	run_free(&r);
}

/* A time gone by changes nothing: the matching open is the first record. */
Test(filters, start_on_open_and_a_time_gone_by, .fini = scratch_cleanup)
{
	struct run r;

	run_traced(&r, NONE, LIST(prog_path("fileops"), scratch_dir(), "stdio"),
		   LIST("START_ON_OPEN=c.txt", "IOMON_START_AT=1"));
	cr_assert_eq(r.status, 0, "%s", r.err);
	expect_rec(&r, 0, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, scratch_file("c.txt"), "w");
	expect_rec(&r, r.nrecs - 1, D(START_STOP), O(STOP), 0, -1, 0, "", "0");
	run_free(&r);
}
