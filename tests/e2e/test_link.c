/*
 * The links domain, end to end: each scenario of tests/progs/link_calls.c
 * runs under the real launcher, and its records of this domain are
 * asserted call by call.  The program makes its file and opens it (fd 3)
 * and its directory (fd 4) first, with calls of other domains: their
 * records are left out, so that the test holds whichever domains are
 * compiled in.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "harness.h"

/* A path in the scratch directory; the harness keeps only the last few,
 * so each is asked for where it is used. */
#define P(name) scratch_file(name)

TestSuite(link, .fini = scratch_cleanup, .timeout = 60);

/* Runs a scenario and checks what every record shares; then keeps the
 * records of this domain, so that record i is the scenario's call i. */
static void run_scenario(struct run *r, const char *scenario)
{
	run_traced(r, NONE, LIST(prog_path("link_calls"), scratch_dir(), scenario), NONE);
	expect_scenario_ran(r, "link_calls", scenario);
	keep_domains(r, MASK(LINKS));
}

#define LINK(i, err, fd, s1, s2) expect_rec(&r, i, D(LINKS), O(LINK), err, fd, 0, s1, s2)

Test(link, link)
{
	struct run r;

	run_scenario(&r, "link");
	/* The program's second line: how its linkat of a descriptor ended. */
	const char *line2 = strchr(r.out, '\n');
	cr_assert(line2, "no second line in: %s", r.out);
	int empty_path_err = atoi(line2 + 1);

	/* s1 the new name, s2 what it refers to. */
	LINK(0, 0, -1, P("b"), P("a"));			/* link */
	LINK(1, 0, -1, P("c"), P("a"));			/* linkat, both relative */
	LINK(2, 0, -1, P("d"), P("a"));			/* linkat, AT_FDCWD */
	LINK(3, empty_path_err, 3, P("e"), P("a"));	/* linkat, AT_EMPTY_PATH */
	/* A symbolic link's target as given: it is not relative to the
	 * working directory. */
	LINK(4, 0, -1, P("sl"), "a");			/* symlink */
	LINK(5, 0, -1, P("sl2"), "../elsewhere/t");	/* symlinkat */
	LINK(6, EEXIST, -1, P("b"), P("a"));		/* link */
	LINK(7, ENOENT, -1, P("x"), P("missing"));	/* linkat */
	LINK(8, EEXIST, -1, P("sl"), "a");		/* symlink */
	LINK(9, ENOENT, -1, P("nodir/sl3"), "a");	/* symlinkat */
	cr_assert_eq(r.nrecs, 10, "%zu records, expected 10", r.nrecs);
	run_free(&r);
}

#define READLINK(i, err, fd, bytes, s1) \
	expect_rec(&r, i, D(LINKS), O(READLINK), err, fd, bytes, s1, "")

Test(link, readlink)
{
	struct run r;

	run_scenario(&r, "readlink");
	LINK(0, 0, -1, P("sl"), "a");
	LINK(1, 0, -1, P("sl2"), "../elsewhere/t");
	/* bytes: what was read. */
	READLINK(2, 0, -1, 1, P("sl"));			/* readlink */
	READLINK(3, 0, -1, 4, P("sl2"));		/* readlink, cut to the buffer */
	READLINK(4, 0, -1, 14, P("sl2"));		/* readlinkat */
	READLINK(5, 0, 5, 1, P("sl"));			/* readlinkat, the link of an O_PATH fd */
	READLINK(6, 0, -1, 1, P("sl"));			/* __readlink_chk */
	READLINK(7, 0, -1, 14, P("sl2"));		/* __readlinkat_chk */
	READLINK(8, EINVAL, -1, 0, P("a"));		/* readlink, not a link */
	READLINK(9, ENOENT, -1, 0, P("missing"));	/* readlinkat */
	READLINK(10, ENOENT, -1, 0, P("missing"));	/* __readlink_chk */
	READLINK(11, EINVAL, -1, 0, P("a"));		/* __readlinkat_chk */
	cr_assert_eq(r.nrecs, 12, "%zu records, expected 12", r.nrecs);
	run_free(&r);
}

#define UNLINK(i, err, s1, s2) expect_rec(&r, i, D(LINKS), O(UNLINK), err, -1, 0, s1, s2)

Test(link, unlink)
{
	struct run r;

	run_scenario(&r, "unlink");
	LINK(0, 0, -1, P("b"), P("a"));
	UNLINK(1, 0, P("b"), "");			/* unlink */
	UNLINK(2, 0, P("a"), "");			/* unlinkat */
	/* Removing a directory is still UNLINK, told apart by s2. */
	UNLINK(3, 0, P("sub"), "AT_REMOVEDIR");		/* unlinkat */
	UNLINK(4, ENOENT, P("b"), "");			/* unlink */
	UNLINK(5, EISDIR, scratch_dir(), "");		/* unlink */
	UNLINK(6, ENOENT, P("missing"), "");		/* unlinkat */
	UNLINK(7, ENOENT, P("sub"), "AT_REMOVEDIR");	/* unlinkat */
	cr_assert_eq(r.nrecs, 8, "%zu records, expected 8", r.nrecs);
	run_free(&r);
}
