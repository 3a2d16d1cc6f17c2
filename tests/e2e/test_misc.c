/*
 * The miscellaneous domain (MISC), end to end: each scenario of
 * tests/progs/misc_calls.c runs under the real launcher, and its records
 * are asserted call by call, once the records of other domains are
 * dropped.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codes.h"
#include "harness.h"

/* The records of MISC that the process pid made, in their order, as a run
 * of their own. */
static void misc_of(const struct run *all, int pid, struct run *mine)
{
	memset(mine, 0, sizeof(*mine));
	mine->recs = calloc(all->nrecs + 1, sizeof(*mine->recs));
	mine->room = all->nrecs + 1;
	for (size_t i = 0; i < all->nrecs; i++) {
		if (all->recs[i].domain != D(MISC) || all->recs[i].pid != pid)
			continue;
		struct rec *rec = &mine->recs[mine->nrecs++];
		*rec = all->recs[i];
		rec->s1 = strdup(rec->s1);
		rec->s2 = strdup(rec->s2);
	}
}

/* Runs prog from the scratch directory: its relative paths name files
 * there from the start, without a chdir() that only the dir domain
 * would tell the library of. */
static void run_from_scratch(struct run *r, const char *const *argv)
{
	cr_assert_eq(chdir(scratch_dir()), 0, "chdir %s: %s", scratch_dir(), strerror(errno));
	run_traced(r, NONE, argv, NONE);
}

/* Runs a scenario of one process and checks what every record shares and
 * its START; r is then this domain's records. */
static void run_scenario(struct run *r, const char *scenario)
{
	struct run all;

	run_from_scratch(&all, LIST(prog_path("misc_calls"), scratch_dir(), scenario));
	expect_scenario_ran(&all, "misc_calls", scenario);
	misc_of(&all, printed_pid(&all), r);
	run_free(&all);
}

#define RENAME(i, err, from, to) expect_rec(&r, i, D(MISC), O(RENAME), err, -1, 0, from, to)

Test(misc, rename, .fini = scratch_cleanup)
{
	struct run r;
	const struct path a = in_scratch("a"), b = in_scratch("b"), c = in_scratch("c");
	const struct path d = in_scratch("d");

	run_scenario(&r, "rename");
	RENAME(0, 0, a.s, b.s);
	RENAME(1, ENOENT, a.s, c.s);
	RENAME(2, 0, b.s, c.s);				/* renameat */
	RENAME(3, ENOENT, b.s, c.s);
	RENAME(4, 0, c.s, d.s);				/* renameat2 */
	RENAME(5, EEXIST, d.s, scratch_file("e"));
	RENAME(6, 0, d.s, scratch_file("f"));		/* relative paths */
	cr_assert_eq(r.nrecs, 7, "%zu records, expected 7", r.nrecs);
	run_free(&r);
}

#define LOCK(i, err, fd, s1, what) expect_rec(&r, i, D(MISC), O(FLOCK), err, fd, 0, s1, what)

Test(misc, locks, .fini = scratch_cleanup)
{
	struct run r;
	const struct path l = in_scratch("l");

	run_scenario(&r, "locks");
	LOCK(0, 0, 3, l.s, "LOCK_EX");
	LOCK(1, EWOULDBLOCK, 4, l.s, "LOCK_SH|LOCK_NB");
	LOCK(2, 0, 3, l.s, "LOCK_UN");
	LOCK(3, 0, 4, l.s, "LOCK_SH");
	LOCK(4, EBADF, 99, "", "LOCK_EX");
	LOCK(5, EINVAL, 3, l.s, "64");			/* no such operation */
	LOCK(6, 0, 3, l.s, "F_LOCK");			/* lockf */
	LOCK(7, 0, 3, l.s, "F_TEST");
	LOCK(8, 0, 3, l.s, "F_TLOCK");			/* lockf64 */
	LOCK(9, 0, 3, l.s, "F_ULOCK");
	LOCK(10, EBADF, 4, l.s, "F_LOCK");
	LOCK(11, EINVAL, 3, l.s, "42");			/* lockf64 */
	cr_assert_eq(r.nrecs, 12, "%zu records, expected 12", r.nrecs);
	run_free(&r);
}

#define MKNOD(i, err, s1, mode) expect_rec(&r, i, D(MISC), O(MKNOD), err, -1, 0, s1, mode)

Test(misc, mknod, .fini = scratch_cleanup)
{
	struct run r;
	const struct path p1 = in_scratch("p1"), p2 = in_scratch("p2"), reg = in_scratch("r");

	run_scenario(&r, "mknod");
	/* s2: the mode, file type included, in octal. */
	MKNOD(0, 0, p1.s, "010640");
	MKNOD(1, EEXIST, p1.s, "010640");
	MKNOD(2, 0, p2.s, "010600");			/* mknodat */
	MKNOD(3, ENOENT, scratch_file("none/p"), "010600");
	MKNOD(4, 0, scratch_file("p3"), "010644");	/* __xmknod */
	MKNOD(5, EINVAL, scratch_file("p4"), "010644");	/* a version it does not know */
	MKNOD(6, 0, reg.s, "0100600");			/* __xmknodat */
	MKNOD(7, EEXIST, reg.s, "0100600");
	cr_assert_eq(r.nrecs, 8, "%zu records, expected 8", r.nrecs);
	run_free(&r);
}

Test(misc, chroot, .fini = scratch_cleanup)
{
	struct run all, r;

	run_from_scratch(&all, LIST(prog_path("misc_calls"), scratch_dir(), "chroot"));
	cr_assert_eq(all.status, 0, "misc_calls chroot failed: %s", all.err);
	cr_assert_eq(all.bad_lines, 0, "%zu malformed lines in the trace", all.bad_lines);
	const char *second = strchr(all.out, '\n');
	cr_assert(second, "no second line in the output: %s", all.out);
	bool privileged = strncmp(second + 1, "unprivileged", 12) != 0;
	int parent = printed_pid(&all), child = atoi(second + 1);
	for (size_t i = 0; i < all.nrecs; i++)
		cr_assert(all.recs[i].pid == parent || all.recs[i].pid == child,
			  "record %zu has pid %d, not %d or %d", i, all.recs[i].pid, parent, child);

	misc_of(&all, parent, &r);
	expect_rec(&r, 0, D(MISC), O(CHROOT), ENOENT, -1, 0, scratch_file("none"), "");
	expect_rec(&r, 1, D(MISC), O(CHROOT), ENOTDIR, -1, 0, scratch_file("x"), "");
	cr_assert_eq(r.nrecs, 2, "%zu records of the parent, expected 2", r.nrecs);
	run_free(&r);
	if (!privileged) {
		run_free(&all);
		cr_skip_test("this user may not change its root");
	}

	/* After chroot("."), the working directory is the root. */
	misc_of(&all, child, &r);
	expect_rec(&r, 0, D(MISC), O(CHROOT), 0, -1, 0, scratch_dir(), "");
	expect_rec(&r, 1, D(MISC), O(RENAME), 0, -1, 0, "/x", "/y");
	cr_assert_eq(r.nrecs, 2, "%zu records of the child, expected 2", r.nrecs);
	run_free(&r);
	run_free(&all);
}
