/*
 * The iomon command, end to end: options, exit status, signals, the
 * embedded collector, START_ON_OPEN, and the library without a collector.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "codes.h"
#include "harness.h"


TestSuite(launcher, .fini = scratch_cleanup, .timeout = 60);

Test(launcher, exit_status_is_the_commands)
{
	struct run r;

	run_command(&r, LIST(launcher_path(), "--", "/bin/sh", "-c", "exit 3"), NONE);
	cr_assert_eq(r.status, 3, "status %d: %s", r.status, r.err);
	run_free(&r);
	run_command(&r, LIST(launcher_path(), "/bin/sh", "-c", "kill -KILL $$"), NONE);
	cr_assert_eq(r.status, 128 + 9, "status %d: %s", r.status, r.err);
	run_free(&r);
}

/* The scheduling policies of the command (a shell) and of iomon, its
 * parent, as /proc gives them (stat's 41st field), one a line. */
static void expect_policies(int command, int collector)
{
	struct run r;
	char want[32];

	run_command(&r, LIST(launcher_path(), "-o", "/dev/null", "--", "/bin/sh", "-c",
			     "cut -d' ' -f41 /proc/$$/stat /proc/$PPID/stat"),
		    NONE);
	cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
	snprintf(want, sizeof(want), "%d\n%d\n", command, collector);
	cr_assert_str_eq(r.out, want, "the command's policy, then iomon's: %s", r.out);
	run_free(&r);
}

/*
 * Once the command runs, iomon (its collector) is SCHED_BATCH, which the
 * scheduler does not let preempt the command when records wake it; the
 * command keeps the policy it was given, and a policy chosen for iomon
 * (here SCHED_IDLE) stays.
 */
Test(launcher, the_collector_yields_to_the_command)
{
	expect_policies(SCHED_OTHER, SCHED_BATCH);
	cr_assert_eq(sched_setscheduler(0, SCHED_IDLE, &(struct sched_param){.sched_priority = 0}),
		     0, "SCHED_IDLE: %s", strerror(errno));
	expect_policies(SCHED_IDLE, SCHED_IDLE);
}

Test(launcher, forwards_signals_to_the_command)
{
	struct run r;

	/* The shell signals its parent, iomon, which must pass SIGTERM on. */
	run_command(&r, LIST(launcher_path(), "--", "/bin/sh", "-c",
			     "trap 'echo got TERM; exit 7' TERM; kill -TERM $PPID; "
			     "i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; exit 1"),
		    NONE);
	cr_assert_eq(r.status, 7, "status %d: %s", r.status, r.err);
	cr_assert_str_eq(r.out, "got TERM\n");
	run_free(&r);
}

Test(launcher, bad_arguments_exit_2)
{
	const char *const *cases[] = {
		LIST("-f", "", "--", "/bin/true"),
		LIST("-f", "a,b", "--", "/bin/true"),
		LIST("-p", "0", "--", "/bin/true"),
		LIST("-p", "65536", "--", "/bin/true"),
		LIST("-p", "http", "--", "/bin/true"),
		LIST("-s", "", "--", "/bin/true"),
		LIST("--no-such-option", "/bin/true"),
		LIST("-f", "abcd"),
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[16] = { launcher_path() };
		size_t n = 1;
		for (const char *const *a = cases[i]; *a; a++)
			argv[n++] = *a;
		struct run r;
		run_command(&r, argv, NONE);
		cr_assert_eq(r.status, 2, "case %zu: status %d", i, r.status);
		cr_assert(strstr(r.err, "iomon"), "case %zu: no message: '%s'", i, r.err);
		run_free(&r);
	}
}

Test(launcher, help_and_version)
{
	struct run r;

	run_command(&r, LIST(launcher_path(), "--help"), NONE);
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "--start-on-open"), "help: %s", r.out);
	run_free(&r);
	run_command(&r, LIST(launcher_path(), "-V"), NONE);
	cr_assert_eq(r.status, 0);
	cr_assert(strncmp(r.out, "iomon ", 6) == 0, "version: %s", r.out);
	run_free(&r);
}

Test(launcher, facility_is_cut_to_four_with_a_warning)
{
	struct run r;

	run_traced(&r, LIST("-f", "abcdef"), LIST(prog_path("fileops"), scratch_dir(), "basic"),
		   NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "abcd"), "no warning: '%s'", r.err);
	cr_assert_eq(r.nrecs, 11, "START, 9 calls and STOP, not %zu records", r.nrecs);
	for (size_t i = 0; i < r.nrecs; i++)
		cr_assert_str_eq(r.recs[i].facility, "abcd");
	run_free(&r);
}

Test(launcher, start_on_open_skips_everything_before_the_matching_open)
{
	struct run r;

	run_traced(&r, LIST("-s", "c.txt"), LIST(prog_path("fileops"), scratch_dir(), "stdio"),
		   NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* freopen(c.txt) is the first record, before even START; fclose and the
	 * failed fopen follow. */
	expect_rec(&r, 0, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, scratch_file("c.txt"), "w");
	expect_rec(&r, 1, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, scratch_file("c.txt"), "");
	expect_rec(&r, 2, D(FILE_OPEN_CLOSE), O(OPEN), ENOENT, -1, 0, NULL, "r");
	expect_rec(&r, 3, D(START_STOP), O(STOP), 0, -1, 0, "", "0");
	cr_assert_eq(r.nrecs, 4, "%zu records", r.nrecs);
	run_free(&r);
}

/* START_ON_OPEN matches its text anywhere in the path (the library's own
 * search, not memmem: core.c), the first open of c.txt for each of these;
 * a text no path holds starts nothing. */
Test(launcher, start_on_open_finds_its_text_anywhere_in_the_path)
{
	static const char *const found[] = { "c.txt", "c.tx", "/c.t", "c.", "/c.txt" };
	char whole[4200];
	struct run r;

	snprintf(whole, sizeof(whole), "%s", scratch_file("c.txt"));
	for (size_t i = 0; i < sizeof(found) / sizeof(found[0]) + 2; i++) {
		const char *text = i < sizeof(found) / sizeof(found[0]) ? found[i]
			: i == sizeof(found) / sizeof(found[0]) ? whole : "c.txtt";
		bool starts = strcmp(text, "c.txtt") != 0;
		run_traced(&r, LIST("-s", text), LIST(prog_path("fileops"), scratch_dir(), "stdio"),
			   NONE);
		cr_assert_eq(r.status, 0, "%s", r.err);
		if (!starts) {
			cr_assert_eq(r.nrecs, 0, "-s %s: %zu records", text, r.nrecs);
		} else {
			expect_rec(&r, 0, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, whole, "w");
			cr_assert_eq(r.nrecs, 4, "-s %s: %zu records", text, r.nrecs);
		}
		run_free(&r);
	}
}

/* A relative open is matched by the absolute path it names too: the
 * text is the scratch directory's last name and c.txt, which only the
 * absolute path holds; nothing the shell did before is recorded. */
Test(launcher, start_on_open_matches_the_absolute_path_of_a_relative_open)
{
	char text[4200], script[4400];
	struct run r;

	snprintf(text, sizeof(text), "%s/c.txt", strrchr(scratch_dir(), '/') + 1);
	snprintf(script, sizeof(script), "cd '%s' && echo hi > c.txt && cat c.txt", scratch_dir());
	run_traced(&r, LIST("-s", text), LIST("/bin/sh", "-c", script), NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "hi\n");
	cr_assert_gt(r.nrecs, 0, "-s %s: no record", text);
	cr_assert_eq(r.recs[0].domain, D(FILE_OPEN_CLOSE));
	cr_assert_eq(r.recs[0].op, O(OPEN));
	cr_assert(s1_is(&r.recs[0], scratch_file("c.txt")), "first record: '%s'", r.recs[0].s1);
	run_free(&r);
}

Test(launcher, records_go_to_stderr_by_default)
{
	struct run r;

	run_command(&r, LIST(launcher_path(), "--", prog_path("fileops"), scratch_dir(), "basic"),
		    NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	parse_trace(&r, r.err, strlen(r.err));
	cr_assert_eq(r.nrecs, 11, "stderr: %s", r.err);
	cr_assert_eq(r.bad_lines, 0);
	/* The program's own stdout is untouched: just its pid. */
	char expected[32];
	snprintf(expected, sizeof(expected), "%d\n", r.recs[0].pid);
	cr_assert_str_eq(r.out, expected);
	run_free(&r);
}

Test(launcher, appends_to_an_existing_ld_preload)
{
	struct run r;
	/* Another library, after what the test's LD_PRELOAD already holds
	 * (a sanitizer's runtime, in a sanitized build). */
	const char *other = preload_value("/lib/x86_64-linux-gnu/libm.so.6");
	char env[8500], expected[8500];

	snprintf(env, sizeof(env), "LD_PRELOAD=%s", other);
	run_command(&r, LIST(launcher_path(), "--", "/bin/sh", "-c", "printf %s \"$LD_PRELOAD\""),
		    LIST(env));
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(expected, sizeof(expected), "%s:%s", other, library_path());
	cr_assert_str_eq(r.out, expected);
	run_free(&r);
}

Test(launcher, drains_orphaned_descendants)
{
	struct run r;
	char script[4400];

	/* The shell exits at once; its background child records later. */
	snprintf(script, sizeof(script), "(sleep 0.5; exec '%s' '%s' basic) >/dev/null &",
		 prog_path("fileops"), scratch_dir());
	run_traced(&r, NONE, LIST("/bin/sh", "-c", script), NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	size_t on_a = 0;
	for (size_t i = 0; i < r.nrecs; i++)
		on_a += strcmp(r.recs[i].s1, scratch_file("a.txt")) == 0;
	cr_assert_eq(on_a, 7, "%zu records of a.txt, expected 7 (of %zu)", on_a, r.nrecs);
	run_free(&r);
}

Test(launcher, records_survive_exec_and__exit)
{
	struct run r;
	const char *l = scratch_file("l.txt");

	run_traced(&r, NONE, LIST(prog_path("fileops"), scratch_dir(), "lifecycle"), NONE);
	cr_assert_eq(r.status, 5, "status %d: %s", r.status, r.err);
	expect_rec(&r, 0, D(START_STOP), O(START), 0, -1, 0, NULL, NULL);
	expect_rec(&r, 1, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, l, NULL);
	expect_rec(&r, 2, D(FILE_WRITE), O(WRITE), 0, 3, 4, l, "");
	expect_rec(&r, 3, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, l, "");
	expect_rec(&r, 4, D(PROCESSES), O(EXEC), ENOENT, -1, 0, "/nonexistent/iomon-test", "");
	expect_rec(&r, 5, D(SYNCS), O(FLUSH), 0, 1, 0, NULL, "");
	expect_rec(&r, 6, D(PROCESSES), O(EXIT), 0, -1, 0, "", "5");
	expect_rec(&r, 7, D(START_STOP), O(STOP), 0, -1, 0, "", "5");
	cr_assert_eq(r.nrecs, 8, "%zu records", r.nrecs);
	run_free(&r);
}

Test(launcher, a_successful_exec_starts_the_new_image)
{
	struct run r;
	char script[4400];
	const char *x = scratch_file("x.txt");

	/* dash writes, then becomes cat; dash leaves by exec, cat by exit. */
	snprintf(script, sizeof(script), "echo hi > '%s'; exec /bin/cat '%s'", x, x);
	run_traced(&r, NONE, LIST("/bin/sh", "-c", script), NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "hi\n");
	size_t starts = 0, stops = 0, writes = 0, reads = 0;
	for (size_t i = 0; i < r.nrecs; i++) {
		const struct rec *rec = &r.recs[i];
		cr_assert_eq(rec->pid, r.recs[0].pid, "one process: exec keeps the pid");
		starts += rec->op == O(START);
		stops += rec->op == O(STOP);
		writes += rec->op == O(WRITE) && strcmp(rec->s1, x) == 0 ? rec->bytes : 0;
		reads += rec->op == O(READ) && strcmp(rec->s1, x) == 0 ? rec->bytes : 0;
	}
	cr_assert_eq(starts, 2, "START of sh and of cat: %zu", starts);
	cr_assert_eq(stops, 1, "one STOP, cat's: %zu", stops);
	cr_assert_eq(writes, 3, "sh wrote 3 bytes to x.txt: %zu", writes);
	cr_assert_eq(reads, 3, "cat read 3 bytes of x.txt: %zu", reads);
	cr_assert(strncmp(r.recs[0].s1, "/bin/sh -c echo hi > ", 21) == 0,
		  "START's s1 is sh's command line: %s", r.recs[0].s1);
	run_free(&r);
}

Test(launcher, runs_the_python_example)
{
	struct run r;

	run_traced(&r, LIST("-f", "abcd", "-s", "hello_world.txt"),
		   LIST("/usr/bin/python3", source_path("examples/hello_world.py")), NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.out, "read 3 lines"), "output: %s", r.out);
	cr_assert_gt(r.nrecs, 4);
	const struct rec *first = &r.recs[0];
	cr_assert_eq(first->domain, D(FILE_OPEN_CLOSE));
	cr_assert_eq(first->op, O(OPEN));
	size_t n = strlen(first->s1);
	cr_assert(n > 16 && strcmp(first->s1 + n - 16, "/hello_world.txt") == 0,
		  "first record: %s", first->s1);
	cr_assert(strstr(first->s2, "O_WRONLY|O_CREAT|O_TRUNC"), "flags: %s", first->s2);
	uint64_t written = 0, read = 0;
	for (size_t i = 0; i < r.nrecs; i++) {
		cr_assert_str_eq(r.recs[i].facility, "abcd");
		if (strcmp(r.recs[i].s1, first->s1) == 0) {
			written += r.recs[i].op == O(WRITE) ? r.recs[i].bytes : 0;
			read += r.recs[i].op == O(READ) ? r.recs[i].bytes : 0;
		}
	}
	cr_assert_eq(written, 39, "bytes written to hello_world.txt: %llu",
		     (unsigned long long)written);
	cr_assert_eq(read, 39, "bytes read from hello_world.txt: %llu", (unsigned long long)read);
	run_free(&r);
}

Test(launcher, without_a_collector_the_program_is_unchanged)
{
	struct run bare, traced;
	const char *preload = preload_env(library_path());
	char port[32];
	int holder;

	snprintf(port, sizeof(port), "IOMON_PORT=%d", unused_port(&holder));
	for (const char *const *scenario = LIST("basic", "stdio", "vectored"); *scenario;
	     scenario++) {
		run_command(&bare, LIST(prog_path("fileops"), scratch_dir(), *scenario), NONE);
		run_command(&traced, LIST(prog_path("fileops"), scratch_dir(), *scenario),
			    LIST(preload, port));
		cr_assert_eq(traced.status, bare.status, "%s: status %d, bare %d", *scenario,
			     traced.status, bare.status);
		cr_assert_str_eq(traced.err, "", "%s wrote to stderr: %s", *scenario, traced.err);
		/* Same output but the pid on the first line. */
		cr_assert_str_eq(strchr(traced.out, '\n'), strchr(bare.out, '\n'));
		run_free(&bare);
		run_free(&traced);
	}
	close(holder);
}

Test(launcher, sends_to_a_running_collector_with_port)
{
	struct stub s;
	char port[16];
	struct run r;

	stub_start(&s, 0, 0);
	snprintf(port, sizeof(port), "%d", s.port);
	run_command(&r, LIST(launcher_path(), "-f", "ext", "-p", port, "--", prog_path("fileops"),
			     scratch_dir(), "basic"),
		    NONE);
	stub_finish(&s);
	cr_assert_eq(r.status, 0, "%s", r.err);
	parse_trace(&r, s.data, s.len);
	cr_assert_eq(r.nrecs, 11, "received %zu records", r.nrecs);
	cr_assert_str_eq(r.recs[0].facility, "ext");
	free(s.data);
	run_free(&r);
}

Test(launcher, installed_iomon_finds_its_installed_library, .timeout = 120)
{
	struct run r;
	char bin[4200], lib[4200], man[4200];

	/* A real `meson install`, into a scratch DESTDIR. */
	run_command(&r, LIST("/usr/bin/env", "meson", "install", "-C", getenv("BUILDDIR"),
			     "--no-rebuild", "--quiet", "--destdir", scratch_dir()),
		    NONE);
	cr_assert_eq(r.status, 0, "meson install: %s%s", r.out, r.err);
	run_free(&r);
	snprintf(bin, sizeof(bin), "%s%s", scratch_dir(), getenv("INSTALLED_IOMON"));
	snprintf(lib, sizeof(lib), "%s%s", scratch_dir(), getenv("INSTALLED_LIB"));
	snprintf(man, sizeof(man), "%s%s", scratch_dir(), getenv("INSTALLED_MAN"));
	cr_assert(access(man, R_OK) == 0, "no man page at %s", man);

	run_command(&r, LIST(bin, "--", "/bin/sh", "-c", "printf %s \"$LD_PRELOAD\""), NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, preload_value(lib));
	run_free(&r);

	/* And that library records. */
	const char *trace = scratch_file("installed.csv");
	run_command(&r, LIST(bin, "-o", trace, "--", prog_path("fileops"), scratch_dir(), "basic"),
		    NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	read_trace(&r, trace);
	cr_assert_eq(r.nrecs, 11, "%zu records", r.nrecs);
	run_free(&r);
}

/* valgrind runs the launcher on its own loader: a stat() of /proc/self/exe
 * then sees valgrind's tool, where readlink() names the launcher. */
Test(launcher, finds_its_library_when_run_under_valgrind, .timeout = 120)
{
	const char *valgrind = getenv("VALGRIND");
	const char *trace = scratch_file("valgrind.csv");
	struct run r;

	if (!valgrind)
		cr_skip_test("no valgrind, or a sanitized build");
	run_command(&r, LIST(valgrind, "-q", "--tool=none", launcher_path(), "--", "/bin/sh", "-c",
			     "printf %s \"$LD_PRELOAD\""),
		    NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, preload_value(library_path()));
	run_free(&r);

	run_command(&r, LIST(valgrind, "-q", "--tool=none", launcher_path(), "-o", trace, "--",
			     prog_path("fileops"), scratch_dir(), "basic"),
		    NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	read_trace(&r, trace);
	cr_assert_eq(r.nrecs, 11, "%zu records", r.nrecs);
	run_free(&r);
}

Test(launcher, refuses_connections_without_the_session_token)
{
	struct run r;

	/* rogue runs without the library (LD_PRELOAD emptied for it alone). */
	run_traced(&r, NONE, LIST("/usr/bin/env", "LD_PRELOAD=", prog_path("rogue")), NONE);
	cr_assert_eq(r.status, 0, "rogue could not connect: %s", r.err);
	for (size_t i = 0; i < r.nrecs; i++)
		cr_assert_str_neq(r.recs[i].facility, "evil", "a forged record got in");
	cr_assert(strstr(r.err, "1 connection without the session token refused"),
		  "stderr: %s", r.err);
	/* env itself, preloaded, was admitted: its START is there. */
	cr_assert_geq(count_recs(&r, D(START_STOP), O(START)), 1);
	run_free(&r);
}

Test(launcher, unbuffered_sends_each_record_as_it_is_made)
{
	struct run r;
	const char *log = scratch_file("strace.log");

	/* strace counts the library's sends: one per record, and the session
	 * token's line. */
	run_traced(&r, LIST("-u"),
		   LIST("/usr/bin/strace", "-f", "-qq", "-e", "trace=sendmsg", "-o", log,
			prog_path("fileops"), scratch_dir(), "basic"),
		   NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* strace's child records a little before it becomes fileops: count
	 * from fileops' START on. */
	size_t fileops_records = 0;
	bool started = false;
	for (size_t i = 0; i < r.nrecs; i++) {
		if (r.recs[i].pid != printed_pid(&r))
			continue;
		started |= r.recs[i].op == O(START) &&
			   strncmp(r.recs[i].s1, prog_path("fileops"), strlen(prog_path("fileops"))) == 0;
		fileops_records += started;
	}
	FILE *f = fopen(log, "r");
	cr_assert(f, "no strace log");
	size_t sends = 0;
	char line[512];
	while (fgets(line, sizeof(line), f))
		sends += strstr(line, "sendmsg(") != NULL;
	fclose(f);
	cr_assert_eq(fileops_records, 11, "START, 9 calls and STOP: %zu", fileops_records);
	cr_assert_geq(sends, fileops_records, "%zu sends for %zu records", sends, fileops_records);
	run_free(&r);
}

Test(launcher, a_record_arrives_while_its_thread_blocks)
{
	struct stub s;
	char port[16];
	int in[2];

	/* blocker writes to /dev/null, then blocks in poll() until its input
	 * closes: the write's record must come while it is blocked, not at
	 * its exit. */
	stub_start(&s, 0, 0);
	snprintf(port, sizeof(port), "%d", s.port);
	cr_assert(pipe(in) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		closefrom(3);
		execl(launcher_path(), launcher_path(), "-p", port, "--", prog_path("blocker"),
		      (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	bool seen = false;
	for (int waited_ms = 0; !seen && waited_ms < 10000; waited_ms += 10) {
		usleep(10 * 1000);
		seen = stub_has(&s, "/dev/null");
	}
	close(in[1]);
	int status;
	waitpid(pid, &status, 0);
	stub_finish(&s);
	cr_assert(seen, "the write's record did not come while blocker was blocked");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "blocker failed");
	free(s.data);
}
