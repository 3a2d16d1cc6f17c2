/*
 * Robustness, end to end (tests/progs/stress.c): the library never changes
 * what the program it watches does, with threads, cancellation, signals
 * and fork, with hostile file names, and whatever the collector does
 * (missing, stalled, dying); and nothing is lost silently: every call made
 * is a record, or is counted in a DROPPED record.
 *
 * Runs through the launcher read the trace it wrote; runs with a collector
 * of the test's own (struct stub) preload the library directly.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codes.h"
#include "harness.h"

TestSuite(robust, .fini = scratch_cleanup, .timeout = 30);

/* What the DROPPED records say was dropped, in all. */
static uint64_t dropped_total(const struct run *r)
{
	uint64_t n = 0;

	for (size_t i = 0; i < r->nrecs; i++)
		if (r->recs[i].domain == D(START_STOP) && r->recs[i].op == O(DROPPED))
			n += r->recs[i].bytes;
	return n;
}

/* Records other than DROPPED ones. */
static size_t calls_recorded(const struct run *r)
{
	return r->nrecs - count_recs(r, D(START_STOP), O(DROPPED));
}

/* The output after the pid line; up to and including "ok\n" only when the
 * rest depends on timing. */
static char *output_body(const struct run *r, bool upto_ok)
{
	const char *body = strchr(r->out, '\n');
	const char *ok;

	body = body ? body + 1 : "";
	size_t n = strlen(body);
	if (upto_ok && (ok = strstr(body, "ok\n")) != NULL)
		n = (size_t)(ok + 3 - body);
	return strndup(body, n);
}

static void expect_same_output(const struct run *traced, const struct run *bare, bool upto_ok,
			       const char *what)
{
	char *t = output_body(traced, upto_ok), *b = output_body(bare, upto_ok);

	cr_assert_eq(traced->status, bare->status, "%s: status %d, without the library %d (%s)",
		     what, traced->status, bare->status, traced->err);
	cr_assert_str_eq(t, b, "%s: output differs from a run without the library", what);
	free(t);
	free(b);
}

/* The lines of an strace -o file that are calls of name. */
static size_t strace_calls(const char *path, const char *name)
{
	char line[4200], call[64];
	size_t n = 0;
	FILE *f = fopen(path, "r");

	cr_assert(f, "no strace output in %s", path);
	snprintf(call, sizeof(call), " %s(", name);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, call) != NULL;
	fclose(f);
	return n;
}

/* The argument vector of a stress run in the scratch directory. */
#define STRESS(...) LIST(prog_path("stress"), scratch_dir(), __VA_ARGS__)

/* How the library is to send. */
enum sending { LOSSLESS, DROP, UNBUFFERED };

/* Runs argv with the library preloaded, sending to port; no launcher. */
static void run_preloaded(struct run *r, int port, const char *const *argv, enum sending how)
{
	const char *preload = preload_env(library_path());
	char port_env[32];

	snprintf(port_env, sizeof(port_env), "IOMON_PORT=%d", port);
	run_command(r, argv,
		    LIST(preload, port_env, how == DROP ? "IOMON_DROP=1" : "IOMON_DROP",
			 how == UNBUFFERED ? "IOMON_UNBUFFERED=1" : "IOMON_UNBUFFERED",
			 "IOMON_TOKEN", "START_ON_OPEN", "FACILITY_ID"));
}

/* ---- 1. Threads ---- */

/*
 * The records of `stress threads`: for each thread, its file's OPEN, ITER
 * WRITEs and READs of 64 bytes, its CLOSE, every one with the file's path,
 * descriptor and the process's pid; nothing else names those descriptors.
 */
static void expect_thread_records(const struct run *r, int threads, long iter)
{
	int pid = printed_pid(r);
	const char *line = strchr(r->out, '\n');
	int fds[64];

	cr_assert_eq(r->bad_lines, 0, "%zu lines of the trace do not parse", r->bad_lines);
	for (int t = 0; t < threads; t++) {
		int id;
		cr_assert(line && sscanf(line + 1, "thread %d fd %d", &id, &fds[t]) == 2 && id == t,
			  "output: %s", r->out);
		line = strchr(line + 1, '\n');
	}
	for (int t = 0; t < threads; t++) {
		char name[16];
		size_t opens = 0, writes = 0, reads = 0, closes = 0;
		snprintf(name, sizeof(name), "t%02d", t);
		const char *path = scratch_file(name);
		for (size_t i = 0; i < r->nrecs; i++) {
			const struct rec *rec = &r->recs[i];
			bool on_fd = rec->fd == fds[t] &&
				     (rec->domain == D(FILE_WRITE) || rec->domain == D(FILE_READ) ||
				      rec->domain == D(FILE_OPEN_CLOSE));
			if (!s1_is(rec, path)) {
				cr_assert(!on_fd, "record %zu: fd %d of %s but s1 '%s'", i, fds[t],
					  name, rec->s1);
				continue;
			}
			cr_assert_eq(rec->pid, pid, "record %zu of %s: pid %d", i, name, rec->pid);
			cr_assert_eq(rec->fd, fds[t], "record %zu of %s: fd %d, not %d", i, name,
				     rec->fd, fds[t]);
			cr_assert_eq(rec->err, 0, "record %zu of %s: error %d", i, name, rec->err);
			if (rec->domain == D(FILE_WRITE) && rec->op == O(WRITE)) {
				cr_assert_eq(rec->bytes, 64, "record %zu: %llu bytes", i,
					     (unsigned long long)rec->bytes);
				writes++;
			} else if (rec->domain == D(FILE_READ) && rec->op == O(READ)) {
				cr_assert_eq(rec->bytes, 64, "record %zu: %llu bytes", i,
					     (unsigned long long)rec->bytes);
				reads++;
			} else if (rec->domain == D(FILE_OPEN_CLOSE) && rec->op == O(OPEN)) {
				opens++;
			} else if (rec->domain == D(FILE_OPEN_CLOSE) && rec->op == O(CLOSE)) {
				closes++;
			} else {
				cr_assert_fail("record %zu of %s: domain %u op %u", i, name,
					       rec->domain, rec->op);
			}
		}
		cr_assert_eq(writes, (size_t)iter, "%s: %zu writes recorded, %ld made", name,
			     writes, iter);
		cr_assert_eq(reads, (size_t)iter, "%s: %zu reads recorded, %ld made", name, reads,
			     iter);
		cr_assert_eq(opens, 1, "%s: %zu opens", name, opens);
		cr_assert_eq(closes, 1, "%s: %zu closes", name, closes);
	}
}

static void threads_case(int threads)
{
	struct run r;
	char n[8];

	snprintf(n, sizeof(n), "%d", threads);
	run_traced(&r, NONE, STRESS("threads", n, "2000"), NONE);
	cr_assert_eq(r.status, 0, "stress failed: %s", r.err);
	cr_assert(strstr(r.out, "\nok\n"), "output: %s", r.out);
	expect_thread_records(&r, threads, 2000);
	cr_assert_eq(count_recs(&r, D(START_STOP), O(DROPPED)), 0, "records were dropped");
	cr_assert_eq(count_recs(&r, D(START_STOP), O(START)), 1);
	cr_assert_eq(count_recs(&r, D(START_STOP), O(STOP)), 1);
	/* START, STOP and the threads' records: nothing more, nothing twice. */
	cr_assert_eq(r.nrecs, 2 + (size_t)threads * (2 * 2000 + 2), "%zu records", r.nrecs);
	run_free(&r);
}

Test(robust, one_thread_every_record)
{
	threads_case(1);
}

Test(robust, four_threads_every_record)
{
	threads_case(4);
}

Test(robust, sixteen_threads_every_record)
{
	threads_case(16);
}

/* ---- 2. Cancellation ---- */

Test(robust, threads_cancelled_in_read_leave_no_deadlock, .timeout = 20)
{
	struct run r;

	run_traced(&r, NONE, STRESS("cancel"), NONE);
	cr_assert_eq(r.status, 0, "stress failed: %s", r.err);
	cr_assert_str_eq(r.err, "");
	cr_assert_str_eq(strchr(r.out, '\n'), "\ncancelled 4\nok\n");
	cr_assert_eq(r.bad_lines, 0);
	/* The cancelled threads' writes before read(), and everything the
	 * others made afterwards. */
	cr_assert_eq(count_on(&r, D(FILE_WRITE), O(WRITE), scratch_file("victims")), 4);
	for (const char *const *f = LIST("s00", "s01", "main"); *f; f++) {
		size_t n = count_on(&r, D(FILE_WRITE), O(WRITE), scratch_file(*f));
		cr_assert_eq(n, 1000, "%s: %zu writes recorded, 1000 made", *f, n);
	}
	cr_assert_eq(count_recs(&r, D(START_STOP), O(DROPPED)), 0, "records were dropped");
	cr_assert_eq(count_recs(&r, D(START_STOP), O(STOP)), 1);
	run_free(&r);
}

/* ---- 3. Signals ---- */

/*
 * A handler's call that lands inside the library's own work on the main
 * thread can only be counted as dropped; the faster the timer fires, the
 * more of those narrow windows it finds.  (One trace per test: the
 * harness's reading of a second large trace in the same process is slow.)
 */
static void signals_case(const char *ms, const char *every)
{
	struct run r;
	long main_calls, handler_calls;

	run_traced(&r, NONE, STRESS("signals", ms, every), NONE);
	cr_assert_eq(r.status, 0, "stress failed: %s", r.err);
	cr_assert_str_eq(r.err, "");
	const char *ok = strstr(r.out, "\nok\n");
	cr_assert(ok && sscanf(ok + 4, "main %ld handler %ld", &main_calls, &handler_calls) == 2,
		  "output: %s", r.out);
	cr_assert_eq(r.bad_lines, 0);
	size_t main_recs = count_on(&r, D(FILE_WRITE), O(WRITE), scratch_file("main"));
	size_t handler_recs = count_on(&r, D(FILE_WRITE), O(WRITE), scratch_file("handler"));
	uint64_t dropped = dropped_total(&r);
	cr_assert_eq(main_recs, (size_t)main_calls, "main loop: %zu records of %ld writes",
		     main_recs, main_calls);
	cr_assert_gt(handler_calls, 0, "the handler never ran");
	cr_assert_eq(handler_recs + dropped, (uint64_t)handler_calls,
		     "handler: %zu records + %llu dropped, but %ld writes made", handler_recs,
		     (unsigned long long)dropped, handler_calls);
	run_free(&r);
}

/* SIGALRM every millisecond for a second. */
Test(robust, a_signal_handler_that_writes_loses_no_record)
{
	signals_case("1000", "1000");
}

/* SIGALRM every 100 microseconds for half a second. */
Test(robust, a_fast_signal_handler_that_writes_loses_no_record)
{
	signals_case("500", "100");
}

Test(robust, a_read_interrupted_without_sa_restart_fails_with_eintr)
{
	struct run r, bare;

	run_command(&bare, STRESS("eintr"), NONE);
	run_traced(&r, NONE, STRESS("eintr"), NONE);
	cr_assert_str_eq(r.err, "");
	expect_same_output(&r, &bare, false, "eintr");
	cr_assert_str_eq(strchr(r.out, '\n'), "\nread 3: -1 errno 4\nok\n");
	size_t reads = 0;
	for (size_t i = 0; i < r.nrecs; i++) {
		if (r.recs[i].domain != D(FILE_READ))
			continue;
		expect_rec(&r, i, D(FILE_READ), O(READ), EINTR, 3, 0, NULL, "");
		cr_assert(strncmp(r.recs[i].s1, "pipe:[", 6) == 0, "s1 %s", r.recs[i].s1);
		reads++;
	}
	cr_assert_eq(reads, 1, "%zu read records", reads);
	run_free(&r);
	run_free(&bare);
}

/* ---- 4. fork in a threaded program ---- */

Test(robust, fork_while_threads_write)
{
	struct run r;
	long thread_writes[3];

	run_traced(&r, NONE, STRESS("fork"), NONE);
	cr_assert_eq(r.status, 0, "stress failed: %s", r.err);
	cr_assert_str_eq(r.err, "");
	const char *ok = strstr(r.out, "\nok\n");
	cr_assert(ok && sscanf(ok + 4, "w0 %ld\nw1 %ld\nw2 %ld", &thread_writes[0],
			       &thread_writes[1], &thread_writes[2]) == 3,
		  "output: %s", r.out);
	cr_assert_eq(r.bad_lines, 0);
	int parent = printed_pid(&r);

	/* The parent's records, each exactly once, all the parent's. */
	const char *const files[] = {"w00", "w01", "w02", "main"};
	for (int t = 0; t < 4; t++) {
		const char *name = files[t];
		const char *path = scratch_file(name);
		long made = t < 3 ? thread_writes[t] : 1000;
		size_t n = count_on(&r, D(FILE_WRITE), O(WRITE), path);
		cr_assert_eq(n, (size_t)made, "%s: %zu writes recorded, %ld made", name, n, made);
		for (size_t i = 0; i < r.nrecs; i++)
			if (s1_is(&r.recs[i], path))
				cr_assert_eq(r.recs[i].pid, parent, "a record of %s with pid %d",
					     name, r.recs[i].pid);
	}

	/* Each child: its fork record's pid, its own START naming the parent,
	 * its own records, and none of the parent's. */
	int children[5], k = 0;
	for (size_t i = 0; i < r.nrecs; i++)
		if (r.recs[i].domain == D(PROCESSES) && r.recs[i].op == O(FORK)) {
			cr_assert_lt(k, 5, "more than 5 fork records");
			cr_assert_eq(r.recs[i].pid, parent);
			children[k++] = atoi(r.recs[i].s2);
		}
	cr_assert_eq(k, 5, "%d fork records", k);
	for (k = 0; k < 5; k++) {
		char name[8], parent_text[16];
		snprintf(name, sizeof(name), "c%d", k);
		snprintf(parent_text, sizeof(parent_text), "%d", parent);
		const char *path = scratch_file(name);
		size_t starts = 0, stops = 0, writes = 0, mine = 0;
		cr_assert_neq(children[k], parent);
		for (size_t i = 0; i < r.nrecs; i++) {
			const struct rec *rec = &r.recs[i];
			if (s1_is(rec, path))
				cr_assert_eq(rec->pid, children[k],
					     "a record of %s with pid %d, not %d", name, rec->pid,
					     children[k]);
			if (rec->pid != children[k])
				continue;
			if (rec->domain == D(START_STOP) && rec->op == O(START)) {
				cr_assert_str_eq(rec->s2, parent_text, "child %d's START: s2 %s",
						 children[k], rec->s2);
				starts++;
			} else if (rec->domain == D(START_STOP) && rec->op == O(STOP)) {
				stops++;
			} else if (rec->domain == D(PROCESSES) && rec->op == O(EXIT)) {
				/* its _exit(0) */
			} else {
				cr_assert(
				    s1_is(rec, path),
				    "child %d made a record not its own: domain %u op %u s1 %s",
				    children[k], rec->domain, rec->op, rec->s1);
				writes += rec->op == O(WRITE);
			}
			mine++;
		}
		cr_assert_eq(starts, 1, "child %d: %zu STARTs", children[k], starts);
		cr_assert_eq(stops, 1, "child %d: %zu STOPs", children[k], stops);
		cr_assert_eq(writes, 200, "child %d: %zu writes of 200", children[k], writes);
		cr_assert_eq(mine, 1 + 1 + 200 + 1 + 1 + 1, "child %d: %zu records", children[k],
			     mine);
	}
	cr_assert_eq(count_recs(&r, D(START_STOP), O(DROPPED)), 0, "records were dropped");
	run_free(&r);
}

/* ---- 5. No collector ---- */

Test(robust, without_a_collector_every_mode_runs_as_without_the_library, .timeout = 40)
{
	const struct {
		const char *const *args;
		bool upto_ok;
	} modes[] = {
	    {LIST("threads", "4", "2000"), false},
	    {LIST("cancel"), false},
	    {LIST("signals", "300"), true},
	    {LIST("eintr"), false},
	    {LIST("fork"), true},
	    {LIST("names"), false},
	};
	int holder, port = unused_port(&holder);

	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		const char *argv[16] = {prog_path("stress"), scratch_dir()};
		size_t n = 2;
		for (const char *const *a = modes[m].args; *a; a++)
			argv[n++] = *a;
		struct run bare, traced;
		run_command(&bare, argv, NONE);
		cr_assert_eq(bare.status, 0, "%s: %s", argv[2], bare.err);
		run_preloaded(&traced, port, argv, LOSSLESS);
		cr_assert_str_eq(traced.err, "", "%s wrote to stderr: %s", argv[2], traced.err);
		expect_same_output(&traced, &bare, modes[m].upto_ok, argv[2]);
		run_free(&bare);
		run_free(&traced);
	}
	close(holder);
}

/*
 * Without a collector, the library tries again on the socket it made at
 * start-up: a new one would hold the lowest free descriptor for a moment,
 * the one the program's own open() in another thread may be getting then
 * (the test above saw a file opened on 5 rather than 4, once).  strace
 * counts the sockets made and the tries.
 */
Test(robust, without_a_collector_the_library_tries_again_on_its_first_socket,
     .fini = scratch_cleanup)
{
	struct path calls = in_scratch("sockets.strace");
	int holder, port = unused_port(&holder);
	char preload[8400], port_env[32];
	struct run r;

	snprintf(preload, sizeof(preload), "%s", preload_env(library_path()));
	snprintf(port_env, sizeof(port_env), "IOMON_PORT=%d", port);
	/* Half a second and more: several tries, 100 ms apart. */
	run_command(&r, LIST("/usr/bin/strace", "-f", "-e", "trace=socket,connect", "-o", calls.s,
			     "-E", preload, "-E", port_env, prog_path("stress"), scratch_dir(),
			     "threads", "1", "500", "1000"),
		    NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	size_t sockets = strace_calls(calls.s, "socket");
	size_t connects = strace_calls(calls.s, "connect");
	close(holder);
	cr_assert_geq(connects, 3, "%zu tries to connect: not enough to see", connects);
	cr_assert_eq(sockets, 1, "%zu sockets made for %zu tries", sockets, connects);
	run_free(&r);
}

/* ---- 6. A stalled collector ---- */

/* 16 threads making 24000 calls each: about 20 MB of records, well more
 * than the socket (a few MB) and the rings (16 x 256 KiB) can hold while
 * the collector does not read. */
#define FLOOD	    STRESS("threads", "16", "12000")
#define FLOOD_CALLS (2 + 16 * (2 * 12000 + 2))

Test(robust, a_stalled_collector_slows_the_program_and_loses_nothing)
{
	struct stub s;
	struct run bare, r;

	run_command(&bare, FLOOD, NONE);
	stub_start(&s, 2000, 0);
	uint64_t t0 = now_ms();
	run_preloaded(&r, s.port, FLOOD, LOSSLESS);
	uint64_t took = now_ms() - t0;
	stub_finish(&s);
	cr_assert_str_eq(r.err, "");
	expect_same_output(&r, &bare, false, "threads");
	parse_trace(&r, s.data, s.len);
	cr_assert_geq(took, 1500, "the program took %llu ms: the collector's stall was not felt",
		      (unsigned long long)took);
	expect_thread_records(&r, 16, 12000);
	cr_assert_eq(count_recs(&r, D(START_STOP), O(DROPPED)), 0, "records were dropped");
	cr_assert_eq(r.nrecs, FLOOD_CALLS, "%zu records of %d calls", r.nrecs, FLOOD_CALLS);
	free(s.data);
	run_free(&r);
	run_free(&bare);
}

/* A collector that is slow to start: the library keeps the records and
 * tries again, a few times over half a second, before it gives up. */
Test(robust, a_collector_that_starts_late_loses_nothing)
{
	/* About 0.4 s of calls, paced: the program is still running when
	 * the port opens, after two or three refused tries (the fifth in a
	 * row, at about 0.3 s, would end them). */
	const char *const *argv = STRESS("threads", "4", "200", "2000");
	struct stub s;
	struct run r;

	stub_start_late(&s, 150);
	run_preloaded(&r, s.port, argv, LOSSLESS);
	stub_finish(&s);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.err, "");
	parse_trace(&r, s.data, s.len);
	cr_assert_eq(count_recs(&r, D(START_STOP), O(DROPPED)), 0, "records were dropped");
	expect_thread_records(&r, 4, 200);
	free(s.data);
	run_free(&r);
}

/* A program that makes a record a millisecond is sent in batches: the
 * sender looks less often when it finds little (sender.c), rather than
 * make a send a millisecond.  strace counts the sends. */
Test(robust, a_slow_program_is_sent_in_batches, .fini = scratch_cleanup)
{
	struct path calls = in_scratch("sends.strace");
	struct stub s;
	struct run r;
	char port[16];

	stub_start(&s, 0, 0);
	snprintf(port, sizeof(port), "%d", s.port);
	run_command(&r,
		    LIST("/usr/bin/strace", "-f", "-e", "trace=sendmsg", "-o", calls.s,
			 launcher_path(), "-p", port, "--", prog_path("stress"), scratch_dir(),
			 "threads", "1", "500", "1000"),
		    NONE);
	stub_finish(&s);
	cr_assert_eq(r.status, 0, "%s", r.err);
	parse_trace(&r, s.data, s.len);
	expect_thread_records(&r, 1, 500);
	size_t sends = strace_calls(calls.s, "sendmsg");
	/* 1,002 records over at least half a second: a send a millisecond
	 * would be some 500; in batches, a few dozen. */
	cr_assert_gt(sends, 0, "no send seen");
	cr_assert_leq(sends, 100, "%zu sends for %zu records", sends, r.nrecs);
	free(s.data);
	run_free(&r);
}

Test(robust, a_stalled_collector_with_drop_counts_every_record_dropped)
{
	struct stub s;
	struct run bare, r;

	run_command(&bare, FLOOD, NONE);
	stub_start(&s, 2000, 0);
	run_preloaded(&r, s.port, FLOOD, DROP);
	stub_finish(&s);
	cr_assert_str_eq(r.err, "");
	expect_same_output(&r, &bare, false, "threads");
	parse_trace(&r, s.data, s.len);
	uint64_t dropped = dropped_total(&r);
	/* Every record that arrived arrived once, and every one that did not
	 * was counted, those of the process's last batch too: the collector
	 * is still not reading when the process exits. */
	cr_assert_eq(r.bad_lines, 0, "%zu lines of the trace do not parse", r.bad_lines);
	cr_assert_gt(dropped, 0, "a collector that did not read for 2 s dropped nothing");
	cr_assert_eq(calls_recorded(&r) + dropped, FLOOD_CALLS,
		     "%zu records + %llu dropped of %d calls (%zu lines cut)", calls_recorded(&r),
		     (unsigned long long)dropped, FLOOD_CALLS, s.cut_lines);
	free(s.data);
	run_free(&r);
	run_free(&bare);
}

/*
 * Dropping is there so that a collector that lags never holds the program
 * up: not while it runs, and not when it exits either.  (Not timed: a
 * program held up until the collector reads runs into the test's timeout.)
 */
Test(robust, a_collector_that_never_reads_does_not_hold_a_dropping_program, .timeout = 10)
{
	struct stub s;
	struct run bare, r;

	run_command(&bare, FLOOD, NONE);
	stub_start(&s, NEVER, 0);
	run_preloaded(&r, s.port, FLOOD, DROP);
	stub_finish(&s);
	cr_assert_str_eq(r.err, "");
	expect_same_output(&r, &bare, false, "threads");
	free(s.data);
	run_free(&r);
	run_free(&bare);
}

/*
 * A send at exit that the collector does not take (a timeout, injected by
 * strace as EAGAIN): the records it held are counted as dropped, and the
 * count goes on a new connection, by the last flush.  No sender thread
 * (its clone() fails): the program's one thread sends START at once and
 * the rest at exit, so the send that fails is its second.
 */
static void run_chdir_sending_at_exit(struct run *r, int port, const char *fail_send)
{
	char preload[8400], port_env[32];

	snprintf(preload, sizeof(preload), "%s", preload_env(library_path()));
	snprintf(port_env, sizeof(port_env), "IOMON_PORT=%d", port);
	run_command(r,
		    LIST("/usr/bin/strace", "-f", "-qq", "-o", "/dev/null", "-e",
			 "trace=clone,sendmsg", "-e", "inject=clone:error=EAGAIN", "-e", fail_send,
			 "-E", preload, "-E", port_env, "-E", "IOMON_DROP=1", prog_path("stress"),
			 scratch_dir(), "chdir"),
		    LIST("IOMON_TOKEN", "IOMON_UNBUFFERED", "START_ON_OPEN", "FACILITY_ID"));
	cr_assert_eq(r->status, 0, "%s", r->err);
}

Test(robust, a_dropping_process_counts_what_its_last_send_could_not_take)
{
	struct stub s;
	struct run whole, cut;

	stub_start(&s, 0, 0);
	/* A thousandth send: none. */
	run_chdir_sending_at_exit(&whole, s.port, "inject=sendmsg:error=EAGAIN:when=1000");
	stub_finish(&s);
	parse_trace(&whole, s.data, s.len);
	free(s.data);
	cr_assert_eq(dropped_total(&whole), 0);
	cr_assert_gt(whole.nrecs, 2, "%zu records: START, and more at exit", whole.nrecs);

	stub_start(&s, 0, 0);
	run_chdir_sending_at_exit(&cut, s.port, "inject=sendmsg:error=EAGAIN:when=2");
	stub_finish(&s);
	parse_trace(&cut, s.data, s.len);
	cr_assert_eq(cut.bad_lines, 0);
	cr_assert_eq(calls_recorded(&cut), 1, "%zu records: only START went", calls_recorded(&cut));
	cr_assert_eq(calls_recorded(&cut) + dropped_total(&cut), whole.nrecs,
		     "%zu records + %llu dropped, of %zu", calls_recorded(&cut),
		     (unsigned long long)dropped_total(&cut), whole.nrecs);
	free(s.data);
	run_free(&cut);
	run_free(&whole);
}

/*
 * A collector that does not even take connections: its queue of them is
 * full, so the kernel lets a connect wait, up to two minutes.  Dropping,
 * the library waits no longer for a connect than for a send.
 */
Test(robust, a_collector_that_takes_no_connections_does_not_hold_a_dropping_program, .timeout = 20)
{
	int listener, port = unused_port(&listener), queued[2];
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct run bare, r;

	cr_assert(listen(listener, 0) == 0);
	/* Never accepted: they fill the queue. */
	for (int i = 0; i < 2; i++) {
		queued[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		cr_assert(queued[i] >= 0);
		cr_assert(connect(queued[i], (struct sockaddr *)&a, sizeof(a)) == 0 ||
			  errno == EINPROGRESS);
	}
	run_command(&bare, STRESS("threads", "2", "100"), NONE);
	run_preloaded(&r, port, STRESS("threads", "2", "100"), DROP);
	cr_assert_str_eq(r.err, "");
	expect_same_output(&r, &bare, false, "threads");
	for (int i = 0; i < 2; i++)
		close(queued[i]);
	close(listener);
	run_free(&r);
	run_free(&bare);
}

/* ---- 7. A collector that dies ---- */

/* Batched, the sender thread sees the collector go; unbuffered, the
 * program's own threads do, as they send. */
Test(robust, a_collector_that_dies_mid_run_changes_nothing)
{
	/* About half a second of calls, paced. */
	const char *const *steady = STRESS("threads", "4", "2000", "200");
	const enum sending ways[] = {LOSSLESS, UNBUFFERED};
	struct run bare;

	run_command(&bare, steady, NONE);
	for (size_t k = 0; k < sizeof(ways) / sizeof(ways[0]); k++) {
		enum sending how = ways[k];
		const char *what = how == UNBUFFERED ? "unbuffered" : "batched";
		struct stub s;
		struct run r;
		stub_start(&s, 0, 20);
		run_preloaded(&r, s.port, steady, how);
		uint64_t finished = now_ms();
		stub_finish(&s);
		cr_assert(s.died, "%s: the collector did not get its 20 records (%zu)", what,
			  s.lines);
		cr_assert_lt(s.died_at, finished, "%s: the collector died after the program ended",
			     what);
		cr_assert_str_eq(r.err, "", "%s: stderr: %s", what, r.err);
		expect_same_output(&r, &bare, false, what);
		free(s.data);
		run_free(&r);
	}
	run_free(&bare);
}

Test(robust, a_collector_that_dies_while_the_program_waits_for_it_changes_nothing)
{
	struct stub s;
	struct run bare, r;

	/* Lossless: the threads are waiting for room when it goes. */
	run_command(&bare, FLOOD, NONE);
	stub_start(&s, 1000, 20);
	run_preloaded(&r, s.port, FLOOD, LOSSLESS);
	stub_finish(&s);
	cr_assert(s.died, "the collector did not get its 20 records (%zu)", s.lines);
	cr_assert_str_eq(r.err, "");
	expect_same_output(&r, &bare, false, "threads");
	free(s.data);
	run_free(&r);
	run_free(&bare);
}

/* ---- 8. Hostile file names ---- */

Test(robust, hostile_file_names_come_back_byte_for_byte)
{
	struct run r;
	const char *const names[] = {
	    "a,b", "a\"b", "a\nb", "a\rb", "\xff\xfe", "x,\"\n\r\xff\xfe\"\"y",
	};

	run_traced(&r, NONE, STRESS("names"), NONE);
	cr_assert_eq(r.status, 0, "stress failed: %s", r.err);
	cr_assert_eq(r.bad_lines, 0, "%zu lines of the trace do not parse", r.bad_lines);
	const char *long_line = strstr(r.out, "\nlong ");
	cr_assert(long_line, "output: %s", r.out);
	char *long_path = strndup(long_line + 6, strcspn(long_line + 6, "\n"));
	cr_assert_eq(strlen(long_path), 4095);

	const char *paths[8];
	size_t n = 0;
	for (; n < sizeof(names) / sizeof(names[0]); n++)
		paths[n] = strdup(scratch_file(names[n]));
	paths[n++] = long_path;
	for (size_t i = 0; i < n; i++) {
		size_t opens = count_on(&r, D(FILE_OPEN_CLOSE), O(OPEN), paths[i]);
		size_t writes = count_on(&r, D(FILE_WRITE), O(WRITE), paths[i]);
		size_t closes = count_on(&r, D(FILE_OPEN_CLOSE), O(CLOSE), paths[i]);
		cr_assert(opens == 1 && writes == 1 && closes == 1,
			  "path %zu (%zu bytes): %zu opens, %zu writes, %zu closes recorded", i,
			  strlen(paths[i]), opens, writes, closes);
		free((char *)paths[i]);
	}
	/* No other record names a file with three bytes written. */
	size_t writes = 0;
	for (size_t i = 0; i < r.nrecs; i++)
		writes += r.recs[i].domain == D(FILE_WRITE) && r.recs[i].bytes == 3;
	cr_assert_eq(writes, n, "%zu writes of 3 bytes, expected %zu", writes, n);
	run_free(&r);
}

Test(robust, a_relative_path_after_chdir_names_the_new_directory)
{
	struct run r;
	const char *path = scratch_file("rel.txt");

	run_traced(&r, NONE, STRESS("chdir"), NONE);
	cr_assert_eq(r.status, 0, "stress failed: %s", r.err);
	for (size_t i = 0; i < r.nrecs; i++)
		if (r.recs[i].domain == D(FILE_WRITE))
			cr_assert(s1_is(&r.recs[i], path), "the write to %s recorded as on '%s'",
				  path, r.recs[i].s1);
	cr_assert_eq(count_on(&r, D(FILE_OPEN_CLOSE), O(OPEN), path), 1);
	cr_assert_eq(count_on(&r, D(FILE_WRITE), O(WRITE), path), 1);
	cr_assert_eq(count_on(&r, D(FILE_OPEN_CLOSE), O(CLOSE), path), 1);
	run_free(&r);
}

/* ---- Many threads ---- */

Test(robust, a_thousand_threads_each_record_once)
{
	struct run r;
	size_t writes = 0;

	/* Each thread has a ring of its own; all are alive at once. */
	run_traced(&r, NONE, STRESS("many", "1000"), NONE);
	cr_assert_eq(r.status, 0, "stress many failed: %s", r.err);
	cr_assert_eq(r.bad_lines, 0);
	for (size_t i = 0; i < r.nrecs; i++)
		writes += r.recs[i].op == O(WRITE) && strcmp(r.recs[i].s1, "/dev/null") == 0;
	cr_assert_eq(writes, 1000, "%zu of the 1000 threads' writes recorded", writes);
	cr_assert_eq(count_recs(&r, D(START_STOP), O(DROPPED)), 0, "records were dropped");
	run_free(&r);
}

/*
 * A thread that has no room left for a ring (the address space limited
 * by the program) cannot keep its records: its 500 writes are each counted
 * as dropped, and the count reaches the collector.  The main thread's
 * writes, made with room to spare, are recorded as ever.
 */
Test(robust, a_thread_with_no_room_for_a_ring_has_its_calls_counted_as_dropped)
{
	struct run r;
	size_t writes = 0;

	run_traced(&r, NONE, STRESS("noroom", "500"), NONE);
	if (r.status == 77)
		cr_skip_test("stress was built with a sanitizer, which needs room of its own");
	cr_assert_eq(r.status, 0, "stress noroom failed: %s", r.err);
	cr_assert_eq(r.bad_lines, 0);
	for (size_t i = 0; i < r.nrecs; i++)
		writes += r.recs[i].op == O(WRITE) && strcmp(r.recs[i].s1, "/dev/null") == 0;
	cr_assert_eq(writes, 2, "%zu writes recorded, not the main thread's 2", writes);
	cr_assert_eq(dropped_total(&r), 500, "%llu calls counted as dropped, not 500",
		     (unsigned long long)dropped_total(&r));
	run_free(&r);
}

/*
 * A call's duration and bytes are kept in 32 bits in the library's buffer
 * when they fit; a read that waited 4.5 s (more than 2^32 ticks of the
 * clock) and an fwrite of 5 GiB are recorded with theirs whole.
 */
Test(robust, a_long_call_and_a_large_one_keep_their_duration_and_bytes)
{
	const struct rec *wait = NULL, *large = NULL;
	struct run r;

	run_traced(&r, NONE, STRESS("wide"), NONE);
	cr_assert_eq(r.status, 0, "stress wide failed: %s", r.err);
	cr_assert_eq(r.bad_lines, 0);
	for (size_t i = 0; i < r.nrecs; i++) {
		const struct rec *rec = &r.recs[i];
		if (rec->op == O(READ) && rec->bytes == 1 && strncmp(rec->s1, "pipe:", 5) == 0)
			wait = rec;
		if (rec->op == O(WRITE) && strcmp(rec->s1, "/dev/null") == 0)
			large = rec;
	}
	cr_assert(wait != NULL, "no record of the read of the pipe");
	/* The writer's 4.5 s start before the read does: a little less. */
	cr_assert(wait->duration_ns >= 4400000000u && wait->duration_ns < 60000000000u,
		  "the read that waited 4.5 s took %llu ns", (unsigned long long)wait->duration_ns);
	cr_assert(large != NULL, "no record of the fwrite to /dev/null");
	cr_assert_eq(large->bytes, (uint64_t)5 << 30, "the fwrite of 5 GiB wrote %llu bytes",
		     (unsigned long long)large->bytes);
	run_free(&r);
}

/*
 * A call made a few milliseconds after the program started is timed with
 * the TSC, at a rate measured over those milliseconds: its record takes
 * what the program itself measured around the call, no more (a rate too
 * high), and not a tenth less (too low; the margin is for a preemption
 * between the program's clock and the wrapper's).
 */
Test(robust, a_call_made_early_keeps_its_duration)
{
	const struct rec *wait = NULL;
	struct run r;

	run_traced(&r, NONE, STRESS("early"), NONE);
	cr_assert_eq(r.status, 0, "stress early failed: %s", r.err);
	cr_assert_eq(r.bad_lines, 0);
	const char *ok = strstr(r.out, "\nok\n");
	cr_assert(ok, "output: %s", r.out);
	unsigned long long took = strtoull(ok + 4, NULL, 10);
	/* The writer's 100 ms start before the read does. */
	cr_assert_geq(took, 50000000u, "the read waited %llu ns", took);
	for (size_t i = 0; i < r.nrecs; i++) {
		const struct rec *rec = &r.recs[i];
		if (rec->op == O(READ) && rec->bytes == 1 && strncmp(rec->s1, "pipe:", 5) == 0)
			wait = rec;
	}
	cr_assert(wait != NULL, "no record of the read of the pipe");
	cr_assert(wait->duration_ns <= took + 50000 && wait->duration_ns >= took / 10 * 9,
		  "the read took %llu ns by its record, %llu by the program",
		  (unsigned long long)wait->duration_ns, took);
	run_free(&r);
}

/*
 * Each thread's errno is its own, though the library reaches it from the
 * thread pointer (libiomon/iomon.h): four threads' failed opens are each
 * recorded with the errno its thread saw, ENOENT or ENOTDIR, and the
 * program checks that a write between two left its thread's errno alone.
 */
Test(robust, each_thread_keeps_its_own_errno)
{
	enum { THREADS = 4, ITER = 500 };
	size_t failed[THREADS] = { 0 };
	size_t dir_len = strlen(scratch_dir());
	char threads[16], iter[16];
	struct run r;

	snprintf(threads, sizeof(threads), "%d", THREADS);
	snprintf(iter, sizeof(iter), "%d", ITER);
	run_traced(&r, NONE, STRESS("errno", threads, iter), NONE);
	cr_assert_eq(r.status, 0, "stress errno failed: %s", r.err);
	cr_assert(strstr(r.out, "\nok\n"), "output: %s", r.out);
	cr_assert_eq(r.bad_lines, 0);
	for (size_t i = 0; i < r.nrecs; i++) {
		const struct rec *rec = &r.recs[i];
		if (rec->domain != D(FILE_OPEN_CLOSE) || rec->op != O(OPEN) || rec->fd >= 0)
			continue;
		/* The thread's number, from the name in the scratch directory:
		 * "absentNN" or "eNN/sub". */
		int t = -1;
		cr_assert(strncmp(rec->s1, scratch_dir(), dir_len) == 0 && rec->s1[dir_len] == '/',
			  "a failed open of %s", rec->s1);
		const char *name = rec->s1 + dir_len + 1;
		if (sscanf(name, "absent%d", &t) != 1)
			sscanf(name, "e%d/sub", &t);
		cr_assert(t >= 0 && t < THREADS, "a failed open of %s", rec->s1);
		cr_assert_eq(rec->err, t % 2 ? ENOTDIR : ENOENT, "thread %d's open of %s: error %d",
			     t, rec->s1, rec->err);
		failed[t]++;
	}
	for (int t = 0; t < THREADS; t++)
		cr_assert_eq(failed[t], (size_t)ITER, "thread %d: %zu failed opens recorded", t,
			     failed[t]);
	run_free(&r);
}

/*
 * Two threads take turns writing, a token handed between them: a call of
 * one happens before the other's next.  Each thread has a ring of its own,
 * and the records still come in the order of the calls, alternating.
 */
Test(robust, the_records_of_threads_that_take_turns_come_in_turn)
{
	const char *a = scratch_file("a"), *b = scratch_file("b");
	struct run r;
	size_t writes = 0;

	run_traced(&r, NONE, STRESS("turns", "3000"), NONE);
	cr_assert_eq(r.status, 0, "stress turns failed: %s", r.err);
	cr_assert_eq(r.bad_lines, 0);
	for (size_t i = 0; i < r.nrecs; i++) {
		if (r.recs[i].domain != D(FILE_WRITE))
			continue;
		const char *want = writes++ % 2 ? b : a;
		cr_assert(s1_is(&r.recs[i], want), "write %zu is on %s, not %s", writes,
			  r.recs[i].s1, want);
	}
	cr_assert_eq(writes, 6000, "%zu writes recorded", writes);
	run_free(&r);
}

/* ---- The main thread ends first ---- */

#define LASTTHREAD(scenario) LIST(prog_path("lastthread"), scratch_dir(), scenario)

/* Each of the files named was opened, written and closed, once; the
 * records end with STOP. */
static void expect_files_written(const struct run *r, const char *const *names, const char *what)
{
	for (; *names; names++) {
		const char *path = scratch_file(*names);
		cr_assert_eq(count_on(r, D(FILE_OPEN_CLOSE), O(OPEN), path), 1, "%s: open %s",
			     what, *names);
		cr_assert_eq(count_on(r, D(FILE_WRITE), O(WRITE), path), 1, "%s: write %s", what,
			     *names);
		cr_assert_eq(count_on(r, D(FILE_OPEN_CLOSE), O(CLOSE), path), 1, "%s: close %s",
			     what, *names);
	}
	cr_assert_gt(r->nrecs, 0, "%s: no records", what);
	cr_assert(r->recs[r->nrecs - 1].domain == D(START_STOP) &&
			  r->recs[r->nrecs - 1].op == O(STOP),
		  "%s: the last record is not STOP", what);
	cr_assert_eq(count_recs(r, D(START_STOP), O(DROPPED)), 0, "%s: records dropped", what);
}

/*
 * The C library ends the process when its last thread ends, here not the
 * main thread: the library's sender thread must not keep it alive.  The C
 * library does not count it, and runs the program's exit on the program's
 * last thread (a sender of the C library's, under ThreadSanitizer, ends
 * when idle, and the exit then runs on it): the atexit handler's calls and
 * the STOP are recorded, in order, and the program's output is flushed.
 */
Test(robust, a_main_thread_that_exits_first_ends_as_without_the_library)
{
	const char *const *modes[] = {NONE, LIST("-u"), LIST("--drop")};
	const char *scenarios[] = {"returns", "exits"};

	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		for (size_t k = 0; k < sizeof(scenarios) / sizeof(scenarios[0]); k++) {
			char what[64];
			struct run bare, r;
			snprintf(what, sizeof(what), "%s %s", scenarios[k],
				 modes[m][0] ? modes[m][0] : "");
			run_command(&bare, LASTTHREAD(scenarios[k]), NONE);
			cr_assert_eq(bare.status, 0, "%s without iomon: %s", what, bare.err);
			run_traced(&r, modes[m], LASTTHREAD(scenarios[k]), NONE);
			expect_scenario_ran(&r, "lastthread", scenarios[k]);
			cr_assert_str_eq(r.err, "", "%s: stderr: %s", what, r.err);
			expect_files_written(&r, LIST("t", "atexit"), what);
			run_free(&r);
			run_free(&bare);
		}
	}
}

/*
 * The last thread runs the exit, whose atexit handler lasts longer than
 * an idle sender thread: a sender of the C library's started then would
 * end the process a second time, cutting the handler short.
 */
Test(robust, an_exit_run_by_the_last_thread_runs_to_its_end)
{
	struct run r;

	run_traced(&r, NONE, LASTTHREAD("slow-exit"), NONE);
	expect_scenario_ran(&r, "lastthread", "slow-exit");
	cr_assert_str_eq(r.err, "", "stderr: %s", r.err);
	expect_files_written(&r, LIST("t", "atexit", "late"), "slow-exit");
	run_free(&r);
}

/*
 * The thread writes, sleeps long enough for the sender thread to end
 * idle, writes again and blocks until the test closes its input: the
 * second write's record must come meanwhile (the next record starts the
 * sender again), not at the exit.
 */
Test(robust, a_record_made_after_the_sender_ended_arrives_while_its_thread_blocks)
{
	struct stub s;
	char port[16];
	int in[2];
	int status;
	struct run r = {0};

	stub_start(&s, 0, 0);
	snprintf(port, sizeof(port), "%d", s.port);
	/* Made before the fork: the child's would be a directory of its own. */
	const char *const *argv = LIST(launcher_path(), "-p", port, "--", prog_path("lastthread"),
				       scratch_dir(), "blocks");
	cr_assert(pipe(in) == 0);
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(in[0], 0);
		dup2(null, 1);
		closefrom(3);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	bool seen = false;
	for (int waited_ms = 0; !seen && waited_ms < 20000; waited_ms += 10) {
		usleep(10 * 1000);
		seen = stub_has(&s, scratch_file("second"));
	}
	close(in[1]);
	cr_assert(waitpid(pid, &status, 0) == pid);
	stub_finish(&s);
	cr_assert(seen, "the second write's record did not come while the thread was blocked");
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "lastthread blocks failed");
	parse_trace(&r, s.data, s.len);
	cr_assert_eq(r.bad_lines, 0);
	expect_files_written(&r, LIST("first", "second", "atexit"), "blocks");
	free(s.data);
	run_free(&r);
}
