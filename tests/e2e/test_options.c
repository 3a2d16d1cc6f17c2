/*
 * The launcher's options for filters, formats and summaries, end to end:
 * each filter option sets its variable (see contracts in the man page) and
 * the traced run keeps exactly what the option says, compared with an
 * unfiltered run; --format jsonl round-trips hostile names through
 * Python's json; -c prints a summary; bad values, given as options or
 * inherited from iomon's environment, are usage errors; and
 * every long option of --help is in the man page.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codes.h"
#include "harness.h"

TestSuite(options, .fini = scratch_cleanup, .timeout = 120);

#define FILEOPS_BASIC LIST(prog_path("fileops"), scratch_dir(), "basic")

static void run_basic(struct run *r, const char *const *opts)
{
	run_traced(r, opts, FILEOPS_BASIC, NONE);
	expect_scenario_ran(r, "fileops", "basic");
}

/* Whether the record's path is under prefix, as the library decides. */
static bool under(const struct rec *rec, const char *prefix)
{
	size_t n = strlen(prefix);

	return rec->s1_len >= n && memcmp(rec->s1, prefix, n) == 0 &&
	       (rec->s1_len == n || rec->s1[n] == '/');
}

typedef bool keep_fn(const struct rec *rec, const char *arg);

static bool in_read_or_write(const struct rec *rec, const char *arg)
{
	(void)arg;
	return rec->domain == D(FILE_READ) || rec->domain == D(FILE_WRITE);
}

/* Paths of the program's own standard streams change from run to run; every
 * record of fileops basic but those names a file or nothing. */
static bool path_kept(const struct rec *rec, const char *prefix)
{
	return rec->s1_len == 0 || under(rec, prefix);
}

static bool path_not_excluded(const struct rec *rec, const char *prefix)
{
	return !under(rec, prefix);
}

static bool failed(const struct rec *rec, const char *arg)
{
	(void)arg;
	return rec->err != 0;
}

/* got holds exactly the records of all that keep keeps, in order, START and
 * STOP always; at least one record of all is left out. */
static void expect_filtered(const char *const *opts, keep_fn *keep, const char *arg)
{
	struct run all, got;
	size_t j = 0, left_out = 0;

	run_basic(&all, NONE);
	run_basic(&got, opts);
	for (size_t i = 0; i < all.nrecs; i++) {
		const struct rec *a = &all.recs[i];
		if (a->domain != D(START_STOP) && !keep(a, arg)) {
			left_out++;
			continue;
		}
		cr_assert_lt(j, got.nrecs, "%s %s: record %zu ('%s') is missing", opts[0],
			     opts[1] ? opts[1] : "", i, a->s1);
		const struct rec *g = &got.recs[j++];
		cr_assert(g->domain == a->domain && g->op == a->op && g->err == a->err &&
				  g->bytes == a->bytes &&
				  (a->domain == D(START_STOP) || strcmp(g->s1, a->s1) == 0),
			  "%s: record %zu is domain %u op %u '%s', not domain %u op %u '%s'",
			  opts[0], j - 1, g->domain, g->op, g->s1, a->domain, a->op, a->s1);
	}
	cr_assert_eq(j, got.nrecs, "%s: %zu records more than kept", opts[0], got.nrecs - j);
	cr_assert_gt(left_out, 0, "%s left nothing out: the test proves nothing", opts[0]);
	run_free(&all);
	run_free(&got);
}

Test(options, domains_keeps_the_domains_named)
{
	expect_filtered(LIST("-d", "file_read,FILE_WRITE"), in_read_or_write, NULL);
	expect_filtered(LIST("--domains=FILE_READ,file_write"), in_read_or_write, NULL);
}

Test(options, path_keeps_records_under_the_prefix_and_those_without_a_path)
{
	char prefix[4200];

	snprintf(prefix, sizeof(prefix), "%s", scratch_file("a.txt"));
	expect_filtered(LIST("-P", prefix), path_kept, prefix);
	/* "a" is not a prefix of "a.txt": a whole name only. */
	snprintf(prefix, sizeof(prefix), "%s", scratch_file("a"));
	expect_filtered(LIST("--path", prefix), path_kept, prefix);
}

Test(options, exclude_drops_records_under_the_prefix)
{
	char prefix[4200];

	snprintf(prefix, sizeof(prefix), "%s/", scratch_file("a.txt"));
	/* The trailing '/' is ignored. */
	expect_filtered(LIST("--exclude", prefix), path_not_excluded, scratch_file("a.txt"));
}

Test(options, errors_only_keeps_failed_calls)
{
	expect_filtered(LIST("--errors-only"), failed, NULL);
}

Test(options, slower_than_keeps_only_slow_calls)
{
	struct run r;

	/* cat's first read waits for sleep to end: the slow call. */
	run_traced(&r, LIST("--slower-than", "200"),
		   LIST("/bin/sh", "-c", "sleep 1 | /bin/cat"), NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	size_t slow_reads = 0;
	for (size_t i = 0; i < r.nrecs; i++) {
		if (r.recs[i].domain == D(START_STOP))
			continue;
		cr_assert_geq(r.recs[i].duration_ns, 200000000, "a call of %llu ns was kept",
			      (unsigned long long)r.recs[i].duration_ns);
		slow_reads += r.recs[i].op == O(READ);
	}
	cr_assert_geq(slow_reads, 1, "cat's slow read is missing");
	run_free(&r);
}

Test(options, start_after_records_nothing_before_the_time)
{
	struct run r;
	const char *early = scratch_file("early.txt"), *late = scratch_file("late.txt");
	char script[9000];

	/* Every process of the tree waits for the same instant: the first cat
	 * runs before it, the second after. */
	snprintf(script, sizeof(script),
		 ": > '%s'; : > '%s'; /bin/cat '%s'; sleep 3; /bin/cat '%s'", early, late, early,
		 late);
	run_traced(&r, LIST("-e", "1.5"), LIST("/bin/sh", "-c", script), NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	size_t on_early = 0, on_late = 0;
	for (size_t i = 0; i < r.nrecs; i++) {
		on_early += strcmp(r.recs[i].s1, early) == 0;
		on_late += strcmp(r.recs[i].s1, late) == 0 && r.recs[i].op == O(OPEN);
	}
	cr_assert_eq(on_early, 0, "%zu records of the early file", on_early);
	cr_assert_eq(on_late, 1, "%zu opens of the late file", on_late);
	run_free(&r);
}

Test(options, filter_options_set_the_library_variables)
{
	struct run r;
	char expected[9000], script[9000];

	snprintf(script, sizeof(script),
		 "cd '%s' && exec '%s' -d DIRS -P rel -P /abs/x/ --exclude ex --slower-than 2.5 "
		 "--errors-only -- /bin/sh -c 'printf \"%%s|\" \"$MONITOR_DOMAINS\" "
		 "\"$IOMON_PATHS\" \"$IOMON_EXCLUDE\" \"$IOMON_SLOWER_THAN\" "
		 "\"$IOMON_ERRORS_ONLY\"'",
		 scratch_dir(), launcher_path());
	run_command(&r, LIST("/bin/sh", "-c", script), NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(expected, sizeof(expected), "DIRS|%s/rel:/abs/x/|%s/ex|2.5|1|", scratch_dir(),
		 scratch_dir());
	cr_assert_str_eq(r.out, expected);
	run_free(&r);

	/* -e: an absolute time in nanoseconds, that far from now. */
	run_command(&r, LIST(launcher_path(), "-e", "100", "--", "/bin/sh", "-c",
			     "printf %s \"$IOMON_START_AT\""),
		    NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	unsigned long long at = strtoull(r.out, NULL, 10),
			   now_ns = (unsigned long long)now.tv_sec * 1000000000ull +
				    (unsigned long long)now.tv_nsec;
	cr_assert(at > now_ns + 50000000000ull && at <= now_ns + 100000000000ull,
		  "IOMON_START_AT=%s, now %llu", r.out, now_ns);
	run_free(&r);
}

Test(options, bad_values_exit_2_with_a_message)
{
	const char *const *cases[] = {
		LIST("-d", "FILE_READ,NOPE"), LIST("-d", ""), LIST("-d", "FILE_READ,"),
		LIST("-P", "a:b"), LIST("-P", ""), LIST("--exclude", "x:y"),
		LIST("-e", "soon"), LIST("-e", "-1"), LIST("-e", "1.5s"), LIST("-e", "1e3"),
		LIST("-e", "99999999999"), LIST("--slower-than", "fast"),
		LIST("--slower-than", "1."), LIST("--format", "xml"), LIST("-c", "-p", "8001"),
		LIST("--format", "jsonl", "-p", "8001"),
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[16] = { launcher_path() };
		size_t n = 1;
		for (const char *const *a = cases[i]; *a; a++)
			argv[n++] = *a;
		argv[n++] = "--";
		argv[n++] = "/bin/true";
		struct run r;
		run_command(&r, argv, NONE);
		cr_assert_eq(r.status, 2, "case %zu (%s %s): status %d", i, cases[i][0],
			     cases[i][1] ? cases[i][1] : "", r.status);
		cr_assert(strstr(r.err, "iomon: ") && strstr(r.err, "Try 'iomon --help'"),
			  "case %zu: no message: '%s'", i, r.err);
		run_free(&r);
	}
}

/* More path prefixes, or longer ones, than the library holds: it would
 * filter nothing, so iomon refuses them. */
Test(options, path_prefixes_beyond_what_the_library_holds_exit_2)
{
	const char *argv[2 * (IOMON_PREFIXES_MAX + 1) + 8] = { launcher_path() };
	char prefixes[IOMON_PREFIXES_MAX + 1][16], long_prefix[IOMON_PREFIXES_TEXT + 2];
	size_t n = 1;
	struct run r;

	for (int i = 0; i <= IOMON_PREFIXES_MAX; i++) {
		snprintf(prefixes[i], sizeof(prefixes[i]), "/p%d", i);
		argv[n++] = "-P";
		argv[n++] = prefixes[i];
	}
	argv[n++] = "--";
	argv[n++] = "/bin/true";
	run_command(&r, argv, NONE);
	cr_assert_eq(r.status, 2, "%d prefixes: status %d", IOMON_PREFIXES_MAX + 1, r.status);
	cr_assert(strstr(r.err, "--path") && strstr(r.err, "more than"), "%s", r.err);
	run_free(&r);

	/* As many as it holds is fine. */
	argv[n - 4] = "--";
	argv[n - 3] = "/bin/true";
	argv[n - 2] = NULL;
	run_command(&r, argv, NONE);
	cr_assert_eq(r.status, 0, "%d prefixes: %s", IOMON_PREFIXES_MAX, r.err);
	run_free(&r);

	memset(long_prefix, 'a', sizeof(long_prefix) - 1);
	long_prefix[0] = '/';
	long_prefix[sizeof(long_prefix) - 1] = '\0';
	run_command(&r, LIST(launcher_path(), "--exclude", long_prefix, "--", "/bin/true"), NONE);
	cr_assert_eq(r.status, 2, "a prefix of %zu bytes: status %d", strlen(long_prefix),
		     r.status);
	cr_assert(strstr(r.err, "--exclude") && strstr(r.err, "longer than"), "%s", r.err);
	run_free(&r);
}

/*
 * A variable iomon's command would inherit is checked as its option is:
 * the library takes a bad value for its default without a word
 * (MONITOR_DOMAINS=NOPE would record everything).  iomon exits 2 before
 * running the command, naming the variable; an option that sets the
 * variable wins over it; an empty value is unset; a value the library
 * reads as meant is not refused, though its option would be (".5").
 */
Test(options, bad_inherited_values_exit_2_naming_the_variable)
{
	static const char *const bad[] = {
		"FACILITY_ID=a,b", "FACILITY_ID=\xff", "MONITOR_DOMAINS=NOPE",
		"MONITOR_DOMAINS=FILE_READ,", "IOMON_PATHS=relative", "IOMON_PATHS=/a::b",
		"IOMON_EXCLUDE=/a:\nb", "START_ON_ELAPSED=later", "START_ON_ELAPSED=-1",
		"IOMON_START_AT=+5", "IOMON_START_AT=99999999999999999999", "IOMON_SLOWER_THAN=soon",
		"IOMON_SLOWER_THAN=1e3", "IOMON_ERRORS_ONLY=yes", "IOMON_UNBUFFERED=true",
		"IOMON_DROP=on", "MONITOR_DOMAINS=FILE_READ,\x1b[31mX",
	};
	const char *const command[] = { "/bin/sh", "-c", "echo ran" };
	struct run r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(bad[i], "="), bad[i]);
		run_command(&r,
			    LIST(launcher_path(), "-o", "/dev/null", "--", command[0], command[1],
				 command[2]),
			    LIST(bad[i]));
		cr_assert_eq(r.status, 2, "%s: status %d, %s", bad[i], r.status, r.err);
		cr_assert_str_eq(r.out, "", "%s: the command ran", bad[i]);
		/* Two lines, the value and what is wrong with it escaped. */
		size_t lines = 0;
		for (const char *c = r.err; *c; c++)
			lines += *c == '\n';
		cr_assert(strstr(r.err, name) && strstr(r.err, "in the environment") &&
			      strstr(r.err, "Try 'iomon --help'") && !strchr(r.err, '\xff') &&
			      !strchr(r.err, '\x1b') && lines == 2,
			  "%s: %s", bad[i], r.err);
		run_free(&r);
	}

	/* The token matters only with -p: without it, iomon makes its own. */
	run_command(&r, LIST(launcher_path(), "-p", "9", "--", "/bin/true"), LIST("IOMON_TOKEN=XY"));
	cr_assert_eq(r.status, 2, "IOMON_TOKEN=XY with -p: status %d", r.status);
	cr_assert(strstr(r.err, "IOMON_TOKEN"), "%s", r.err);
	run_free(&r);

	static const char *const fine[][3] = {
		{ "MONITOR_DOMAINS=NOPE", "-d", "ALL" },
		{ "IOMON_SLOWER_THAN=soon", "--slower-than", "0" },
		{ "IOMON_PATHS=relative", "-P", "/" },
		{ "FACILITY_ID=a,b", "-f", "ok" },
		{ "IOMON_TOKEN=XY", "-o", "/dev/null" },
		{ "MONITOR_DOMAINS=", "-o", "/dev/null" },
		{ "IOMON_DROP=0", "-o", "/dev/null" },
		/* Forms the options refuse but the library reads as meant. */
		{ "START_ON_ELAPSED=.5", "-o", "/dev/null" },
		{ "IOMON_SLOWER_THAN=5.", "-o", "/dev/null" },
		{ "MONITOR_DOMAINS=FILE_READ,all", "-o", "/dev/null" },
	};
	for (size_t i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		run_command(&r,
			    LIST(launcher_path(), "-o", "/dev/null", fine[i][1], fine[i][2], "--",
				 command[0], command[1], command[2]),
			    LIST(fine[i][0]));
		cr_assert_eq(r.status, 0, "%s with %s %s: status %d, %s", fine[i][0], fine[i][1],
			     fine[i][2], r.status, r.err);
		cr_assert_str_eq(r.out, "ran\n");
		run_free(&r);
	}
}

Test(options, jsonl_round_trips_hostile_names_through_python)
{
	struct run r;
	const char *trace = scratch_file("trace.jsonl");
	const char *const names[] = {
		"a,b", "a\"b", "a\nb", "a\rb", "\xff\xfe", "x,\"\n\r\xff\xfe\"\"y",
	};
	/* The names' paths, in hex, for Python's command line. */
	const char *argv[16] = { "/usr/bin/python3", "-c", NULL, trace };
	size_t argc = 4;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *path = scratch_file(names[i]);
		char *hex = malloc(2 * strlen(path) + 1);
		for (size_t k = 0; path[k]; k++)
			sprintf(hex + 2 * k, "%02x", (unsigned char)path[k]);
		argv[argc++] = hex;
	}
	run_command(&r, LIST(launcher_path(), "--format", "jsonl", "-o", trace, "--",
			     prog_path("stress"), scratch_dir(), "names"),
		    NONE);
	cr_assert_eq(r.status, 0, "stress: %s", r.err);
	run_free(&r);

	/* Each line is one object with the contract's keys in order; each
	 * name comes back as bytes, opened, written and closed once. */
	argv[2] = "import json,sys\n"
		  "keys=['facility','ts','duration','pid','domain','domain_name','op',"
		  "'op_name','error','fd','bytes','s1','s2']\n"
		  "recs=[]\n"
		  "for line in open(sys.argv[1],'rb'):\n"
		  "  assert line.endswith(b'\\n')\n"
		  "  r=json.loads(line)\n"
		  "  assert list(r)==keys, list(r)\n"
		  "  recs.append(r)\n"
		  "for h in sys.argv[2:]:\n"
		  "  p=bytes.fromhex(h)\n"
		  "  ops=sorted(r['op_name'] for r in recs if r['s1'].encode('utf-8','surrogateescape')==p)\n"
		  "  print(','.join(ops))\n";
	run_command(&r, argv, NONE);
	cr_assert_eq(r.status, 0, "python: %s", r.err);
	const char *line = r.out;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cr_assert(strncmp(line, "CLOSE,OPEN,WRITE\n", 17) == 0, "name %zu: %s", i, r.out);
		line += 17;
	}
	cr_assert_str_eq(line, "");
	run_free(&r);
	for (size_t i = 4; i < argc; i++)
		free((char *)argv[i]);
}

Test(options, summary_goes_to_stderr_after_the_records)
{
	struct run r;
	const char *trace = scratch_file("trace.csv");

	run_command(&r, LIST(launcher_path(), "-c", "-o", trace, "--", prog_path("fileops"),
			     scratch_dir(), "basic"),
		    NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* The program's stdout is its own: its pid only. */
	cr_assert_eq(strchr(r.out, '\n') - r.out + 1, (long)strlen(r.out), "stdout: %s", r.out);
	cr_assert(strstr(r.err, "11 records, 9 calls, 2 errors"), "stderr: %s", r.err);
	cr_assert(strstr(r.err, scratch_file("a.txt")), "no top file: %s", r.err);
	run_free(&r);
}

/* Every --long option that a help text names is documented in the man page
 * (as roff writes it: \-\-name). */
static void expect_documented(const char *help, const char *man, const char *which)
{
	for (const char *p = help; (p = strstr(p, "--"));) {
		p += 2;
		size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyz-");
		if (n == 0)
			continue;
		char roff[128] = "\\-\\-";
		size_t len = 4;
		for (size_t i = 0; i < n && len + 3 < sizeof(roff); i++) {
			if (p[i] == '-')
				roff[len++] = '\\';
			roff[len++] = p[i];
		}
		roff[len] = '\0';
		cr_assert(strstr(man, roff), "%s: --%.*s is not in the man page", which, (int)n, p);
	}
}

Test(options, every_long_option_of_help_is_in_the_man_page)
{
	FILE *f = fopen(source_path("man/iomon.1.in"), "r");
	static char man[1 << 20];
	struct run r;

	cr_assert(f);
	man[fread(man, 1, sizeof(man) - 1, f)] = '\0';
	fclose(f);
	const char *const *helps[] = {
		LIST(launcher_path(), "--help"),
		LIST(launcher_path(), "listen", "--help"),
		LIST(launcher_path(), "report", "--help"),
	};
	for (size_t i = 0; i < sizeof(helps) / sizeof(helps[0]); i++) {
		run_command(&r, helps[i], NONE);
		cr_assert_eq(r.status, 0, "%s", r.err);
		cr_assert(strstr(r.out, "--"), "help: %s", r.out);
		expect_documented(r.out, man, helps[i][1]);
		run_free(&r);
	}
}
