/*
 * Transparency: a program gets the same return value and the same errno
 * from every wrapped function with iomon as without it, success and
 * failure alike; and every row of every domain table has been seen to do
 * both.
 *
 * The programs are those with a call log (tests/progs/calllog.c; their
 * names in CALL_PROGS): each call they make of a wrapped function is
 * written down, with its result and errno after it, when IOMON_CALL_LOG
 * names a file.  Each scenario of each runs twice, bare and under the real
 * launcher, in fresh directories whose paths have the same length; the
 * exit status, the standard error, the output and the call logs must be
 * the same.
 *
 * Coverage is read from the records, not from the programs' word: under
 * iomon, each process's logged calls and its records are paired in order,
 * and must agree on domain and operation; a row counts as having
 * succeeded when one of its calls made a record with error 0, as having
 * failed when one made a record with an errno.  Every row of the catalog
 * must have both, but the few in `exempt` below, each with its reason.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog.h"
#include "codes.h"
#include "harness.h"

/* One scenario of one program. */
struct scenario_param {
	char prog[32];
	char name[32];
};

#define MAX_SCENARIOS 128

/* Every scenario of every program in CALL_PROGS, as each program lists
 * them (PROG --scenarios); n is set to how many. */
static struct scenario_param *list_scenarios(size_t *n)
{
	static struct scenario_param found[MAX_SCENARIOS];
	const char *progs = getenv("CALL_PROGS"), *dir = getenv("PROGS");

	*n = 0;
	if (!progs || !dir)
		return found;
	char *names = strdup(progs), *save = NULL;
	for (char *prog = strtok_r(names, ":", &save); prog; prog = strtok_r(NULL, ":", &save)) {
		char command[4400], line[32];
		snprintf(command, sizeof(command), "'%s/%s' --scenarios", dir, prog);
		FILE *p = popen(command, "r");
		while (p && fgets(line, sizeof(line), p) && *n < MAX_SCENARIOS) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(found[*n].prog, sizeof(found[0].prog), "%s", prog);
			snprintf(found[*n].name, sizeof(found[0].name), "%s", line);
			(*n)++;
		}
		if (p)
			pclose(p);
	}
	free(names);
	return found;
}

/* One line of a call log:  TAG PID NAME RESULT ERRNO */
struct call {
	char tag[32];
	int pid;
	char name[48];
	char result[24];
	int err;
};

struct call_log {
	struct call *calls;
	size_t n;
};

static void read_call_log(struct call_log *log, const char *path)
{
	char line[256];
	FILE *f = fopen(path, "r");

	memset(log, 0, sizeof(*log));
	cr_assert(f, "no call log at %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		struct call c;
		cr_assert_eq(sscanf(line, "%31s %d %47s %23s %d", c.tag, &c.pid, c.name, c.result,
				    &c.err),
			     5, "a malformed line in the call log: %s", line);
		log->calls = realloc(log->calls, (log->n + 1) * sizeof(*log->calls));
		log->calls[log->n++] = c;
	}
	fclose(f);
}

/* A vfork child: it runs on its parent's memory, so iomon records nothing
 * it does, and its pid is the kernel's choice. */
static bool in_vfork_child(const struct call *c)
{
	return strchr(c->tag, 'v') != NULL;
}

/* fork() and vfork() return the child's pid to the parent. */
static bool returns_a_pid(const struct call *c)
{
	return (strcmp(c->name, "fork") == 0 || strcmp(c->name, "vfork") == 0) &&
	       atoi(c->result) > 0;
}

/* The log in an order that does not depend on how processes were
 * scheduled (by process, each in its own order), one line per call
 * without the pid, and the children's pids as "pid". */
static char *canonical(const struct call_log *log)
{
	size_t *order = calloc(log->n + 1, sizeof(*order)), len = 0;
	char *text = calloc(1, log->n * 128 + 1);

	for (size_t i = 0; i < log->n; i++) {
		size_t j = i;
		while (j > 0 && strcmp(log->calls[order[j - 1]].tag, log->calls[i].tag) > 0) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	for (size_t i = 0; i < log->n; i++) {
		const struct call *c = &log->calls[order[i]];
		len += (size_t)sprintf(text + len, "%s %s %s %d\n", c->tag, c->name,
				       returns_a_pid(c) ? "pid" : c->result, c->err);
	}
	free(order);
	return text;
}

/* The output with every number masked: the programs print pids, ports and
 * inodes, which the kernel chooses; what the calls returned is compared
 * exactly, in the call logs. */
static char *masked(const char *out)
{
	char *text = calloc(1, strlen(out) + 1), *p = text;

	for (const char *s = out; *s; s++) {
		if (isdigit((unsigned char)*s)) {
			while (isdigit((unsigned char)s[1]))
				s++;
			*p++ = '#';
		} else {
			*p++ = *s;
		}
	}
	return text;
}

/* Asserts a and b are the same text; else shows the first line where
 * they differ. */
static void assert_same_lines(const char *a, const char *b, const char *what,
			      const struct scenario_param *s)
{
	size_t i = 0, start = 0, line = 1;

	for (; a[i] && a[i] == b[i]; i++) {
		if (a[i] == '\n') {
			start = i + 1;
			line++;
		}
	}
	if (a[i] == b[i])
		return;
	cr_assert_fail("%s %s: the %s differ at line %zu:\nwithout iomon: %.*s\nwith iomon:    %.*s",
		       s->prog, s->name, what, line, (int)strcspn(a + start, "\n"), a + start,
		       (int)strcspn(b + start, "\n"), b + start);
}

/* A directory of its own for one run, its path as long as every other
 * run's, made the working directory (misc_calls and mount_calls name
 * files relative to it). */
static const char *run_dir(const char *name)
{
	const char *d = scratch_file(name);

	cr_assert(mkdir(d, 0755) == 0, "mkdir %s: %s", d, strerror(errno));
	cr_assert(chdir(d) == 0, "chdir %s: %s", d, strerror(errno));
	return d;
}

/* Runs one scenario, under iomon or not, with its call log. */
static void run_logged(struct run *r, struct call_log *log, const struct scenario_param *s,
		       const char *name, bool traced)
{
	char dir[4200], env[4300];

	snprintf(dir, sizeof(dir), "%s", run_dir(name));
	snprintf(env, sizeof(env), "IOMON_CALL_LOG=%s.log", dir);
	const char *const argv[] = { prog_path(s->prog), dir, s->name, NULL };
	if (traced)
		run_traced(r, NONE, argv, LIST(env));
	else
		run_command(r, argv, LIST(env));
	read_call_log(log, env + strlen("IOMON_CALL_LOG="));
}

ParameterizedTestParameters(transparency, same_results)
{
	size_t n;
	struct scenario_param *all = list_scenarios(&n);
	struct scenario_param *params = cr_malloc(n * sizeof(*params));

	memcpy(params, all, n * sizeof(*params));
	return cr_make_param_array(struct scenario_param, params, n);
}

ParameterizedTest(struct scenario_param *s, transparency, same_results, .fini = scratch_cleanup)
{
	struct run bare, traced;
	struct call_log bare_log, traced_log;

	run_logged(&bare, &bare_log, s, "a", false);
	run_logged(&traced, &traced_log, s, "b", true);
	/* Its own checks passed (a failed CHECK says so on standard error). */
	cr_assert_str_empty(bare.err, "%s %s failed without iomon: %s", s->prog, s->name, bare.err);
	cr_assert_eq(traced.status, bare.status, "%s %s: exit status %d with iomon, %d without",
		     s->prog, s->name, traced.status, bare.status);
	cr_assert_str_eq(traced.err, bare.err, "%s %s: standard error differs", s->prog, s->name);

	char *a = masked(bare.out), *b = masked(traced.out);
	assert_same_lines(a, b, "outputs", s);
	free(a), free(b);
	a = canonical(&bare_log), b = canonical(&traced_log);
	assert_same_lines(a, b, "call logs", s);
	free(a), free(b);
	free(bare_log.calls), free(traced_log.calls);
	run_free(&bare), run_free(&traced);
}

/*
 * The rows that cannot show both outcomes, and why.  Keep it short: a row
 * belongs here only if no program could make it succeed, or fail, with a
 * record to show for it.
 */
#define NEW_IMAGE "a success does not return: the new image's START record stands for it"

static const struct exemption {
	const char *name;
	bool can_fail;
	bool can_succeed;	/* with a record of it */
	const char *why;
} exempt[] = {
	{ "exit", false, true, "does not return, cannot fail" },
	{ "_exit", false, true, "does not return, cannot fail" },
	{ "_Exit", false, true, "does not return, cannot fail" },
	{ "sync", false, true, "returns nothing, cannot fail" },
	{ "rewind", false, true, "returns nothing, cannot fail" },
	{ "rewinddir", false, true, "returns nothing, cannot fail" },
	{ "seekdir", false, true, "returns nothing, cannot fail" },
	{ "closefrom", false, true, "returns nothing; glibc aborts where it would fail" },
	{ "telldir", false, true, "glibc's reads the stream's position, and has no failure" },
	{ "dirfd", false, true, "glibc's fails only for a stream without a descriptor, "
				"which no call makes" },
	{ "execve", true, false, NEW_IMAGE },
	{ "execv", true, false, NEW_IMAGE },
	{ "execvp", true, false, NEW_IMAGE },
	{ "execvpe", true, false, NEW_IMAGE },
	{ "fexecve", true, false, NEW_IMAGE },
	{ "execl", true, false, NEW_IMAGE },
	{ "execlp", true, false, NEW_IMAGE },
	{ "execle", true, false, NEW_IMAGE },
};

/* Rows that succeed only with a privilege (CAP_SYS_ADMIN, CAP_SYS_CHROOT):
 * where the programs say they lack it ("unprivileged"), only their
 * failures can be seen. */
static const char *const privileged[] = { "mount", "umount", "umount2", "chroot" };

static bool needs_privilege(const char *name)
{
	for (size_t i = 0; i < sizeof(privileged) / sizeof(privileged[0]); i++)
		if (strcmp(privileged[i], name) == 0)
			return true;
	return false;
}

static const struct exemption *exemption_of(const char *name)
{
	for (size_t i = 0; i < sizeof(exempt) / sizeof(exempt[0]); i++)
		if (strcmp(exempt[i].name, name) == 0)
			return &exempt[i];
	return NULL;
}

static size_t catalog_row(const char *name)
{
	for (size_t i = 0; i < iomon_catalog_size; i++)
		if (strcmp(iomon_catalog[i].name, name) == 0)
			return i;
	cr_assert_fail("the call log names %s, which no table has", name);
	return 0;
}

/* Whether the library makes a record of this logged call: not in a vfork
 * child (it runs on its parent's memory), and not for fork() in the child
 * (the parent's record, with the child's pid, stands for both). */
static bool makes_record(const struct call *c)
{
	return !in_vfork_child(c) && !(strcmp(c->name, "fork") == 0 && strcmp(c->result, "0") == 0);
}

/* The index of process pid's next record from at on, its START and STOP
 * left out; r->nrecs when there is none, or when the process has become
 * another program (a second START: an exec that succeeded). */
static size_t next_record(const struct run *r, int pid, size_t at, bool *started)
{
	for (; at < r->nrecs; at++) {
		const struct rec *rec = &r->recs[at];
		if (rec->pid != pid)
			continue;
		if (rec->domain != D(START_STOP))
			return at;
		if (rec->op == O(START)) {
			if (*started)
				return r->nrecs;
			*started = true;
		}
	}
	return at;
}

/* Pairs each process's logged calls with its records, in order, and notes
 * the outcome each record shows for its row in succeeded/failed. */
static void credit_rows(const struct scenario_param *s, const struct run *r,
			const struct call_log *log, bool *succeeded, bool *failed)
{
	for (size_t i = 0; i < log->n; i++) {
		int pid = log->calls[i].pid;
		bool first = true;
		for (size_t k = 0; k < i; k++)
			first = first && log->calls[k].pid != pid;
		if (!first)
			continue;
		/* This process's calls, from its first, and its records. */
		size_t rec = 0, calls = 0;
		bool started = false;
		for (size_t j = i; j < log->n; j++) {
			const struct call *c = &log->calls[j];
			if (c->pid != pid || !makes_record(c))
				continue;
			calls++;
			rec = next_record(r, pid, rec, &started);
			cr_assert_lt(rec, r->nrecs, "%s %s: process %s made no record of call %zu (%s)",
				     s->prog, s->name, c->tag, calls, c->name);
			const struct rec *made = &r->recs[rec++];
			size_t row = catalog_row(c->name);
			cr_assert(made->domain == iomon_catalog[row].domain &&
					  made->op == iomon_catalog[row].op,
				  "%s %s: process %s's call %zu is %s, but its record has "
				  "domain %u op %u (s1 %s)",
				  s->prog, s->name, c->tag, calls, c->name, made->domain, made->op,
				  made->s1);
			cr_assert(made->err == 0 || made->err == c->err || made->err == atoi(c->result),
				  "%s %s: %s's record has error %d; the call left errno %d",
				  s->prog, s->name, c->name, made->err, c->err);
			if (made->err)
				failed[row] = true;
			else
				succeeded[row] = true;
		}
		rec = next_record(r, pid, rec, &started);
		cr_assert_eq(rec, r->nrecs, "%s %s: process %s made a record of no logged call "
			     "(domain %u op %u, s1 %s)", s->prog, s->name, log->calls[i].tag,
			     r->recs[rec].domain, r->recs[rec].op, r->recs[rec].s1);
	}
}

Test(transparency, every_row_succeeds_and_fails, .fini = scratch_cleanup)
{
	size_t n;
	const struct scenario_param *all = list_scenarios(&n);
	bool *succeeded = calloc(iomon_catalog_size, sizeof(bool));
	bool *failed = calloc(iomon_catalog_size, sizeof(bool));

	bool unprivileged = false;
	cr_assert_gt(n, 0, "no scenario to run: CALL_PROGS is '%s'", getenv("CALL_PROGS"));
	cr_assert_lt(n, MAX_SCENARIOS, "%zu scenarios or more: raise MAX_SCENARIOS", n);
	for (size_t i = 0; i < n; i++) {
		struct run r;
		struct call_log log;
		char name[24];
		snprintf(name, sizeof(name), "%03zu", i);
		run_logged(&r, &log, &all[i], name, true);
		cr_assert_eq(r.bad_lines, 0, "%s %s: %zu malformed lines in the trace", all[i].prog,
			     all[i].name, r.bad_lines);
		credit_rows(&all[i], &r, &log, succeeded, failed);
		unprivileged = unprivileged || strstr(r.out, "unprivileged");
		free(log.calls);
		run_free(&r);
	}

	/* Each row missing an outcome, a line each on standard error: the
	 * assertion's message would be cut. */
	size_t count = 0;
	for (size_t i = 0; i < iomon_catalog_size; i++) {
		const char *row = iomon_catalog[i].name;
		const struct exemption *e = exemption_of(row);
		bool can_fail = !e || e->can_fail, can_succeed = !e || e->can_succeed;
		if (unprivileged && needs_privilege(row) && !succeeded[i]) {
			cr_log_warn("%s: not seen to succeed, for want of a privilege", row);
			can_succeed = false;
		}
		cr_assert(can_fail || !failed[i], "%s failed, yet is exempt (%s)", row,
			  e ? e->why : "");
		cr_assert(can_succeed || !succeeded[i], "%s succeeded, yet is exempt (%s)", row,
			  e ? e->why : "");
		if ((can_succeed && !succeeded[i]) || (can_fail && !failed[i])) {
			fprintf(stderr, "transparency: %s (%s) not seen to %s\n", row,
				iomon_catalog[i].table,
				can_succeed && !succeeded[i] ? (can_fail && !failed[i] ? "succeed or fail"
										 : "succeed")
							     : "fail");
			count++;
		}
	}
	cr_assert_eq(count, 0, "%zu of %zu rows not seen to succeed and fail (listed on stderr)",
		     count, iomon_catalog_size);
	free(succeeded), free(failed);
}

/* ---- The library's sender thread ---- */

#define SENDERVIEW(scenario) LIST(prog_path("senderview"), scratch_dir(), scenario)

/* prog's "single" scenario under iomon: one thread for the C library, two
 * for the kernel, the second the sender, which sent the write's record. */
static void expect_single_threaded_traced(const char *prog)
{
	struct run r;

	run_traced(&r, NONE, LIST(prog_path(prog), scratch_dir(), "single"), NONE);
	expect_scenario_ran(&r, prog, "single");
	cr_assert(strstr(r.out, "single_threaded=1 tasks=2\n"), "%s under iomon: %s", prog, r.out);
	cr_assert_eq(count_on(&r, D(FILE_WRITE), O(WRITE), scratch_file("f")), 1);
	run_free(&r);
}

/*
 * The sender is a thread of the kernel's, not of the C library's: the
 * program stays single-threaded in the C library's eyes, as without the
 * library (its cancellable calls, malloc and stdio then take no locks,
 * and its last thread's pthread_exit() ends the process at once).
 */
Test(transparency, the_program_stays_single_threaded_for_the_c_library,
     .fini = scratch_cleanup)
{
	struct run bare;

	run_command(&bare, SENDERVIEW("single"), NONE);
	cr_assert_eq(bare.status, 0, "senderview failed bare: %s", bare.err);
	cr_assert(strstr(bare.out, "single_threaded=1 tasks=1\n"), "bare: %s", bare.out);
	run_free(&bare);
	expect_single_threaded_traced("senderview");
}

/*
 * The C library gives a program's new credentials to its own threads
 * only: the sender thread that ran when the program dropped its
 * privileges must not live on with them, and the records made after go on.
 */
Test(transparency, the_sender_drops_the_privileges_the_program_drops,
     .fini = scratch_cleanup)
{
	struct run r;

	if (geteuid() != 0)
		cr_skip_test("changing credentials needs root");
	run_traced(&r, NONE, SENDERVIEW("setuid"), NONE);
	expect_scenario_ran(&r, "senderview", "setuid");
	cr_assert(strstr(r.out, "tasks=2 others=0\n"), "threads not nobody's: %s", r.out);
	cr_assert_eq(count_on(&r, D(FILE_WRITE), O(WRITE), "/dev/null"), 1,
		     "the record made after the change did not come");
	run_free(&r);
}

/*
 * The kernel lets a process enter a new user namespace only while it has
 * one thread, and another mount namespace only while no other thread
 * shares its working directory: with the library, the calls succeed (or
 * fail) as without it, and the records made after them come.
 */
Test(transparency, namespaces_are_entered_as_without_the_library, .fini = scratch_cleanup)
{
	struct run bare, r;

	run_command(&bare, SENDERVIEW("alone"), NONE);
	cr_assert_eq(bare.status, 0, "senderview failed bare: %s", bare.err);
	run_traced(&r, NONE, SENDERVIEW("alone"), NONE);
	expect_scenario_ran(&r, "senderview", "alone");
	const char *want = strchr(bare.out, '\n') + 1, *got = strchr(r.out, '\n') + 1;
	cr_assert_str_eq(got, want, "under iomon: %s; bare: %s", got, want);
	cr_assert_eq(count_on(&r, D(FILE_WRITE), O(WRITE), "/dev/null"), 2,
		     "the records made after the calls did not come");
	run_free(&bare);
	run_free(&r);
}

/*
 * In a busy program of one thread, the sender has a descriptor table of
 * its own that holds the socket alone: sharing the program's, it would
 * make the kernel take a reference on the file of every call the program
 * makes with a descriptor (BENCHMARKS.md).  (A process's first sender
 * shares it: it is replaced once the process has sent 4096 records.)
 * Bare, there is no other thread.
 */
Test(transparency, the_sender_of_a_single_threaded_program_has_a_table_of_its_own,
     .fini = scratch_cleanup)
{
	struct run bare, r;
	char mine[4096], sender[4096];

	run_command(&bare, SENDERVIEW("tables"), NONE);
	cr_assert_eq(bare.status, 0, "senderview failed bare: %s", bare.err);
	cr_assert(strstr(bare.out, " sender_fds=\n"), "bare: %s", bare.out);
	run_traced(&r, NONE, SENDERVIEW("tables"), NONE);
	expect_scenario_ran(&r, "senderview", "tables");
	const char *line = strchr(r.out, '\n') + 1;
	cr_assert_eq(sscanf(line, "fds=%4095s sender_fds=%4095s", mine, sender), 2, "%s", line);
	cr_assert(strchr(sender, ',') == NULL, "the sender's table holds more than one: %s", line);
	cr_assert_geq(atoi(sender), 900, "not the library's socket: %s", line);
	char own[32];
	snprintf(own, sizeof(own), ",%d", atoi(sender));
	cr_assert(strstr(mine, own), "not the program's socket too: %s", line);
	cr_assert_eq(count_on(&r, D(FILE_WRITE), O(WRITE), scratch_file("f")), 1);
	run_free(&bare);
	run_free(&r);
}

/*
 * While it is copied, that table holds the program's files: the program
 * waits until the sender has closed them.  Fork children, busy enough for
 * a sender with a table of its own, open a script, start a new sender
 * (setuid() to the same user renews it), write the script, close it and
 * run it at once (with 3000 more descriptors, the copy takes a while to
 * close): every one runs, none fails with ETXTBSY (a copy of its
 * descriptor still open for writing), as bare.
 */
Test(transparency, a_file_the_program_closed_is_closed_when_its_sender_starts,
     .fini = scratch_cleanup)
{
	struct run bare, r;

	run_command(&bare, SENDERVIEW("exec"), NONE);
	cr_assert_eq(bare.status, 0, "senderview failed bare: %s", bare.err);
	cr_assert(strstr(bare.out, "\nran=5\n"), "bare: %s%s", bare.out, bare.err);
	run_traced(&r, NONE, SENDERVIEW("exec"), NONE);
	cr_assert_eq(r.status, 0, "senderview failed under iomon: %s", r.err);
	cr_assert(strstr(r.out, "\nran=5\n"), "under iomon: %s%s", r.out, r.err);
	cr_assert_geq(count_recs(&r, D(FILE_WRITE), O(WRITE)), 5 * 2001, "the children's writes");
	run_free(&bare);
	run_free(&r);
}

/*
 * valgrind runs a program's threads itself and ends the process at a
 * clone() of a thread that does not share the descriptor table: under it,
 * the sender shares the program's, and the program runs and is recorded
 * call for call as without valgrind.
 */
Test(transparency, a_program_runs_under_valgrind_as_without_it, .timeout = 120,
     .fini = scratch_cleanup)
{
	const char *valgrind = getenv("VALGRIND");
	struct run plain, r;

	if (!valgrind)
		cr_skip_test("no valgrind, or a sanitized build");
	run_traced(&plain, NONE, LIST(prog_path("fileops"), scratch_dir(), "basic"), NONE);
	expect_scenario_ran(&plain, "fileops", "basic");
	run_traced(&r, NONE, LIST(valgrind, "-q", "--tool=none", prog_path("fileops"),
				  scratch_dir(), "basic"),
		   NONE);
	cr_assert_eq(r.status, 0, "under valgrind: %s", r.err);
	/* valgrind's own start (a script, then its launcher) is recorded
	 * first: fileops's records follow the last START. */
	size_t start = 0;
	for (size_t i = 0; i < r.nrecs; i++)
		if (r.recs[i].domain == D(START_STOP) && r.recs[i].op == O(START))
			start = i;
	cr_assert_eq(r.nrecs - start, plain.nrecs, "%zu records of fileops under valgrind, %zu without",
		     r.nrecs - start, plain.nrecs);
	for (size_t i = 1; i < plain.nrecs; i++) {
		const struct rec *got = &r.recs[start + i], *want = &plain.recs[i];
		cr_assert(got->domain == want->domain && got->op == want->op &&
				  strcmp(got->s1, want->s1) == 0,
			  "record %zu: domain %u op %u '%s' under valgrind, %u %u '%s' without", i,
			  got->domain, got->op, got->s1, want->domain, want->op, want->s1);
	}
	run_free(&plain);
	run_free(&r);
}

/*
 * A program built with AddressSanitizer runs under iomon as without it:
 * gcc's runtime, a shared library, would have it exit at once when the
 * preloaded library comes first, and the launcher tells it not to check.
 * (Built only where the build is not sanitized itself.)
 */
Test(transparency, a_program_built_with_addresssanitizer_runs_traced, .fini = scratch_cleanup)
{
	if (access(prog_path("senderview_asan"), X_OK) != 0)
		cr_skip_test("no senderview_asan in this build");
	expect_single_threaded_traced("senderview_asan");
}

/* ---- Unwinding ---- */

/* unwinder's line: its steps, those whose backtrace reached the caller. */
static void unwinder_counts(const struct run *r, const char *how, long *steps, long *reached)
{
	long at_jump;

	cr_assert_eq(r->status, 0, "unwinder %s: exit %d: %s", how, r->status, r->err);
	cr_assert_eq(sscanf(r->out, "steps=%ld reached=%ld at_jump=%ld", steps, reached, &at_jump),
		     3, "unwinder %s: %s", how, r->out);
	cr_assert_eq(*reached, *steps, "unwinder %s: %ld of %ld backtraces did not reach the caller",
		     how, *steps - *reached, *steps);
}

/*
 * A backtrace taken from any instruction of a wrapped call reaches its
 * caller, as the profilers that unwind from a signal and asynchronous
 * cancellation need: the program steps through its calls of lseek one
 * instruction at a time (the trap flag) and takes one at every step,
 * through the library's wrapper, its core, and the thunk it returns
 * through (libiomon/jump_return.c), whose unwind information is written
 * by hand.  Without it, the unwinder follows a wrong return address, and
 * the program crashes.
 */
Test(transparency, a_backtrace_from_any_instruction_of_a_call_reaches_its_caller,
     .fini = scratch_cleanup)
{
	struct run bare, r;
	long bare_steps, bare_reached, steps, reached;

	run_command(&bare, LIST(prog_path("unwinder"), scratch_dir(), "20"), NONE);
	unwinder_counts(&bare, "bare", &bare_steps, &bare_reached);
	run_traced(&r, NONE, LIST(prog_path("unwinder"), scratch_dir(), "20"), NONE);
	unwinder_counts(&r, "under iomon", &steps, &reached);
#if defined(__x86_64__)
	cr_assert_gt(steps, bare_steps, "the library's code was not stepped through: %ld steps, %ld bare",
		     steps, bare_steps);
#endif
	cr_assert_eq(count_recs(&r, D(SEEKS), O(SEEK)), 21);
	run_free(&bare);
	run_free(&r);
}
