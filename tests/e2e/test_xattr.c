/*
 * The extended attributes domain (XATTRS), end to end:
 * tests/progs/xattr_calls.c runs under the real launcher on a file of the
 * scratch directory, and its records are asserted call by call, once the
 * records of other domains are dropped.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "harness.h"

#define GET(i, err, fd, bytes, s1, name) \
	expect_rec(&r, i, D(XATTRS), O(GETXATTR), err, fd, bytes, s1, name)
#define SET(i, err, fd, bytes, s1, name) \
	expect_rec(&r, i, D(XATTRS), O(SETXATTR), err, fd, bytes, s1, name)
#define LISTED(i, err, fd, bytes, s1) \
	expect_rec(&r, i, D(XATTRS), O(LISTXATTR), err, fd, bytes, s1, "")
#define REMOVE(i, err, fd, s1, name) \
	expect_rec(&r, i, D(XATTRS), O(REMOVEXATTR), err, fd, 0, s1, name)

Test(xattr, every_call, .fini = scratch_cleanup)
{
	struct run r;
	const struct path file = in_scratch("x.txt"), link = in_scratch("x.lnk");

	run_traced(&r, NONE, LIST(prog_path("xattr_calls"), scratch_dir(), "attributes"), NONE);
	cr_assert_eq(r.status, 0, "xattr_calls failed: %s", r.err);
	cr_assert_eq(r.bad_lines, 0, "%zu malformed lines in the trace", r.bad_lines);
	for (size_t i = 0; i < r.nrecs; i++)
		cr_assert_eq(r.recs[i].pid, printed_pid(&r), "record %zu has pid %d, not %d", i,
			     r.recs[i].pid, printed_pid(&r));
	expect_rec(&r, 0, D(START_STOP), O(START), 0, -1, 0, NULL, NULL);
	keep_domains(&r, MASK(XATTRS));
	if (strstr(r.out, "unsupported")) {
		SET(0, ENOTSUP, -1, 0, file.s, "user.color");
		cr_assert_eq(r.nrecs, 1, "%zu records, expected 1", r.nrecs);
		run_free(&r);
		cr_skip_test("the scratch directory's file system keeps no user.* attributes");
	}

	/* bytes: the size of the value written. */
	SET(0, 0, -1, 4, file.s, "user.color");
	SET(1, EEXIST, -1, 0, file.s, "user.color");
	SET(2, 0, -1, 2, file.s, "user.size");		/* lsetxattr */
	SET(3, 0, 3, 1, file.s, "user.mode");		/* fsetxattr */
	SET(4, ENODATA, 3, 0, file.s, "user.none");
	/* bytes: the size of the value read, or only asked for. */
	GET(5, 0, -1, 4, file.s, "user.color");
	GET(6, 0, -1, 4, file.s, "user.color");
	GET(7, ERANGE, -1, 0, file.s, "user.color");
	GET(8, ENODATA, -1, 0, file.s, "user.none");
	GET(9, 0, -1, 2, file.s, "user.size");		/* lgetxattr */
	GET(10, 0, 3, 1, file.s, "user.mode");		/* fgetxattr */
	GET(11, EBADF, 99, 0, "", "user.mode");
	/* bytes: the size of the list of names. */
	LISTED(12, 0, -1, 31, file.s);
	LISTED(13, 0, -1, 31, file.s);			/* llistxattr */
	LISTED(14, ERANGE, 3, 0, file.s);			/* flistxattr */
	LISTED(15, ENOENT, -1, 0, scratch_file("none"));
	/* The l* forms on the link itself; getxattr follows it. */
	SET(16, EPERM, -1, 0, link.s, "user.color");
	GET(17, ENODATA, -1, 0, link.s, "user.color");
	GET(18, 0, -1, 4, link.s, "user.color");
	LISTED(19, 0, -1, 0, link.s);
	REMOVE(20, 0, -1, file.s, "user.color");
	REMOVE(21, ENODATA, -1, file.s, "user.color");
	REMOVE(22, 0, -1, file.s, "user.size");		/* lremovexattr */
	REMOVE(23, EPERM, -1, link.s, "user.size");
	REMOVE(24, 0, 3, file.s, "user.mode");		/* fremovexattr */
	REMOVE(25, ENODATA, 3, file.s, "user.mode");
	LISTED(26, 0, 3, 0, file.s);
	cr_assert_eq(r.nrecs, 27, "%zu records, expected 27", r.nrecs);
	run_free(&r);
}

/* A path that does not exist: llistxattr and lgetxattr fail, whatever the
 * file system keeps. */
Test(xattr, missing, .fini = scratch_cleanup)
{
	struct run r;

	run_traced(&r, NONE, LIST(prog_path("xattr_calls"), scratch_dir(), "missing"), NONE);
	expect_scenario_ran(&r, "xattr_calls", "missing");
	keep_domains(&r, MASK(XATTRS));
	LISTED(0, ENOENT, -1, 0, scratch_file("none"));
	GET(1, ENOENT, -1, 0, scratch_file("none"), "user.color");
	cr_assert_eq(r.nrecs, 2, "%zu records, expected 2", r.nrecs);
	run_free(&r);
}
