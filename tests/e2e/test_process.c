/*
 * The process domain, end to end (tests/progs/process_calls.c): fork,
 * vfork, posix_spawn, system, kill, the exec family's failures, exit, and
 * the START and STOP of every process of the tree.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "harness.h"


/* The value printed after "name " in the program's output. */
static int printed(const struct run *r, const char *name)
{
	char key[64];

	snprintf(key, sizeof(key), "\n%s ", name);
	const char *at = strstr(r->out, key);
	cr_assert(at, "no '%s' in the output:\n%s", name, r->out);
	return atoi(at + strlen(key));
}

/* The process records (PROCESSES, START_STOP) of one process, in their
 * order, in a run of their own. */
static void of_pid(const struct run *all, int pid, struct run *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < all->nrecs; i++) {
		unsigned domain = all->recs[i].domain;
		if (all->recs[i].pid != pid ||
		    (domain != D(PROCESSES) && domain != D(START_STOP)))
			continue;
		out->recs = realloc(out->recs, (out->nrecs + 1) * sizeof(*out->recs));
		out->room = out->nrecs + 1;
		out->recs[out->nrecs] = all->recs[i];
		out->recs[out->nrecs].s1 = strdup(all->recs[i].s1);
		out->recs[out->nrecs].s2 = strdup(all->recs[i].s2);
		out->nrecs++;
	}
}

static void expect_start_stop(const struct run *r, int pid, int parent, const char *cmdline,
			      const char *status)
{
	struct run p;
	char ppid[16];

	of_pid(r, pid, &p);
	snprintf(ppid, sizeof(ppid), "%d", parent);
	cr_assert_geq(p.nrecs, 2, "process %d made %zu records", pid, p.nrecs);
	expect_rec(&p, 0, D(START_STOP), O(START), 0, -1, 0, cmdline, ppid);
	expect_rec(&p, p.nrecs - 1, D(START_STOP), O(STOP), 0, -1, 0, "", status);
	run_free(&p);
}

Test(process, every_call, .fini = scratch_cleanup)
{
	struct run r, main_recs;
	char s[64];

	char cmdline[4400];
	snprintf(cmdline, sizeof(cmdline), "%s %s calls", prog_path("process_calls"), scratch_dir());
	run_traced(&r, NONE, LIST(prog_path("process_calls"), scratch_dir(), "calls"), NONE);
	cr_assert_eq(r.status, 6, "status %d: %s", r.status, r.err);
	int self = printed_pid(&r);

	of_pid(&r, self, &main_recs);
	size_t i = 0;
	expect_rec(&main_recs, i++, D(START_STOP), O(START), 0, -1, 0, cmdline, NULL);
	snprintf(s, sizeof(s), "%d", printed(&r, "fork"));
	expect_rec(&main_recs, i++, D(PROCESSES), O(FORK), 0, -1, 0, "", s);
	snprintf(s, sizeof(s), "%d", printed(&r, "vfork"));
	expect_rec(&main_recs, i++, D(PROCESSES), O(FORK), 0, -1, 0, "", s);
	snprintf(s, sizeof(s), "%d", printed(&r, "vfork_exit"));
	expect_rec(&main_recs, i++, D(PROCESSES), O(FORK), 0, -1, 0, "", s);
	snprintf(s, sizeof(s), "%d", printed(&r, "spawn"));
	expect_rec(&main_recs, i++, D(PROCESSES), O(SPAWN), 0, -1, 0, "/bin/true", s);
	snprintf(s, sizeof(s), "%d", printed(&r, "spawnp"));
	expect_rec(&main_recs, i++, D(PROCESSES), O(SPAWN), 0, -1, 0, "true", s);
	expect_rec(&main_recs, i++, D(PROCESSES), O(SPAWN), ENOENT, -1, 0, "/nonexistent/iomon", "");
	snprintf(s, sizeof(s), "%d", printed(&r, "system"));
	expect_rec(&main_recs, i++, D(PROCESSES), O(SPAWN), 0, -1, 0, "exit 5", s);
	snprintf(s, sizeof(s), "%d 0", self);
	expect_rec(&main_recs, i++, D(PROCESSES), O(KILL), 0, -1, 0, "", s);
	expect_rec(&main_recs, i++, D(PROCESSES), O(KILL), ESRCH, -1, 0, "", "2147483647 SIGTERM");
	/* execl, execle and execv reach execve; execlp, execvp and execvpe
	 * search PATH, so each makes one failed attempt per directory. */
	expect_rec(&main_recs, i++, D(PROCESSES), O(EXEC), ENOENT, -1, 0, "/nonexistent/iomon", "");
	while (i < main_recs.nrecs && main_recs.recs[i].op == O(EXEC) &&
	       strcmp(main_recs.recs[i].s1, "iomon-no-such-program") == 0)
		expect_rec(&main_recs, i++, D(PROCESSES), O(EXEC), ENOENT, -1, 0, NULL, "");
	expect_rec(&main_recs, i++, D(PROCESSES), O(EXEC), ENOENT, -1, 0, "/nonexistent/iomon", "");
	expect_rec(&main_recs, i++, D(PROCESSES), O(EXEC), ENOENT, -1, 0, "/nonexistent/iomon", "");
	size_t searched = 0;
	while (i < main_recs.nrecs && main_recs.recs[i].op == O(EXEC) &&
	       strcmp(main_recs.recs[i].s1, "iomon-no-such-program") == 0) {
		expect_rec(&main_recs, i++, D(PROCESSES), O(EXEC), ENOENT, -1, 0, NULL, "");
		searched++;
	}
	cr_assert_eq(searched, 2, "execvp and execvpe: %zu records", searched);
	expect_rec(&main_recs, i++, D(PROCESSES), O(EXEC), EINVAL, -1, 0, "", "");	/* fexecve */
	expect_rec(&main_recs, i++, D(PROCESSES), O(EXIT), 0, -1, 0, "", "6");
	expect_rec(&main_recs, i++, D(START_STOP), O(STOP), 0, -1, 0, "", "6");
	cr_assert_eq(main_recs.nrecs, i, "%zu records of the main process, expected %zu",
		     main_recs.nrecs, i);
	run_free(&main_recs);

	/* The fork child: START, _exit(3), STOP with its status. */
	struct run child;
	of_pid(&r, printed(&r, "fork"), &child);
	snprintf(s, sizeof(s), "%d", self);
	expect_rec(&child, 0, D(START_STOP), O(START), 0, -1, 0, cmdline, s);
	expect_rec(&child, 1, D(PROCESSES), O(EXIT), 0, -1, 0, "", "3");
	expect_rec(&child, 2, D(START_STOP), O(STOP), 0, -1, 0, "", "3");
	cr_assert_eq(child.nrecs, 3);
	run_free(&child);

	/* vfork's children recorded nothing while on our memory: the one that
	 * exec'd starts and stops as /bin/true, the one that _exit'ed is silent. */
	expect_start_stop(&r, printed(&r, "vfork"), self, "/bin/true", "0");
	of_pid(&r, printed(&r, "vfork_exit"), &child);
	cr_assert_eq(child.nrecs, 0, "the vfork child that _exit'ed made %zu records", child.nrecs);
	run_free(&child);
	expect_start_stop(&r, printed(&r, "spawn"), self, "/bin/true", "0");
	expect_start_stop(&r, printed(&r, "spawnp"), self, "/bin/true", "0");
	run_free(&r);
}

Test(process, refused, .fini = scratch_cleanup)
{
	struct run r, main_recs, child;
	char cmdline[4400], s[64];

	snprintf(cmdline, sizeof(cmdline), "%s %s refused", prog_path("process_calls"),
		 scratch_dir());
	run_traced(&r, NONE, LIST(prog_path("process_calls"), scratch_dir(), "refused"), NONE);
	cr_assert_eq(r.status, 0, "status %d: %s", r.status, r.err);
	int self = printed_pid(&r);

	of_pid(&r, self, &main_recs);
	expect_rec(&main_recs, 0, D(START_STOP), O(START), 0, -1, 0, cmdline, NULL);
	expect_rec(&main_recs, 1, D(PROCESSES), O(FORK), 0, -1, 0, "", NULL);
	int pid = atoi(main_recs.recs[1].s2);
	/* SIGCHLD ignored: the shell was reaped before system() could wait. */
	expect_rec(&main_recs, 2, D(PROCESSES), O(SPAWN), ECHILD, -1, 0, "exit 0", "");
	expect_rec(&main_recs, 3, D(START_STOP), O(STOP), 0, -1, 0, "", "0");
	cr_assert_eq(main_recs.nrecs, 4, "%zu records of the main process", main_recs.nrecs);
	run_free(&main_recs);

	/* The child, with no process left to it: every way to make one fails. */
	of_pid(&r, pid, &child);
	snprintf(s, sizeof(s), "%d", self);
	expect_rec(&child, 0, D(START_STOP), O(START), 0, -1, 0, cmdline, s);
	expect_rec(&child, 1, D(PROCESSES), O(FORK), EAGAIN, -1, 0, "", "");
	expect_rec(&child, 2, D(PROCESSES), O(FORK), EAGAIN, -1, 0, "", "");	/* vfork */
	expect_rec(&child, 3, D(PROCESSES), O(SPAWN), EAGAIN, -1, 0, "/bin/true", "");
	expect_rec(&child, 4, D(PROCESSES), O(SPAWN), EAGAIN, -1, 0, "true", "");
	expect_rec(&child, 5, D(PROCESSES), O(EXEC), ENOENT, -1, 0, "/nonexistent/iomon", "");
	expect_rec(&child, 6, D(PROCESSES), O(EXIT), 0, -1, 0, "", "4");	/* _Exit */
	expect_rec(&child, 7, D(START_STOP), O(STOP), 0, -1, 0, "", "4");
	cr_assert_eq(child.nrecs, 8, "%zu records of the child", child.nrecs);
	run_free(&child);
	run_free(&r);
}
