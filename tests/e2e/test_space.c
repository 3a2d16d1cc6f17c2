/*
 * The space domain, end to end: each scenario of tests/progs/space_calls.c
 * runs under the real launcher, and its records are asserted call by call.
 * Only the space domain's records are: the programs' opens and fstats
 * belong to other domains, compiled in or not.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "codes.h"
#include "harness.h"


/* Runs a scenario, checks what every record shares and its START; then
 * keeps only the space domain's records. */
static void run_scenario(struct run *r, const char *scenario)
{
	run_traced(r, NONE, LIST(prog_path("space_calls"), scratch_dir(), scenario), NONE);
	expect_scenario_ran(r, "space_calls", scenario);
	keep_domains(r, MASK(FILE_SPACE));
}

/* fallocate and posix_fallocate: s2 is the length of the range; the
 * error of posix_fallocate is its result, not errno. */
Test(space, allocate, .fini = scratch_cleanup)
{
	struct run r;
	char f[4200];

	snprintf(f, sizeof(f), "%s", scratch_file("f.bin"));
	run_scenario(&r, "allocate");
	/* fallocate, fallocate64, posix_fallocate, posix_fallocate64. */
	expect_rec(&r, 0, D(FILE_SPACE), O(ALLOCATE), 0, 3, 0, f, "4096");
	expect_rec(&r, 1, D(FILE_SPACE), O(ALLOCATE), 0, 3, 0, f, "8192");
	expect_rec(&r, 2, D(FILE_SPACE), O(ALLOCATE), 0, 3, 0, f, "5000");
	expect_rec(&r, 3, D(FILE_SPACE), O(ALLOCATE), 0, 3, 0, f, "6000");
	/* The same, refused: a read-only descriptor, none, the same again, an
	 * empty range. */
	expect_rec(&r, 4, D(FILE_SPACE), O(ALLOCATE), EBADF, 4, 0, f, "10");
	expect_rec(&r, 5, D(FILE_SPACE), O(ALLOCATE), EBADF, -1, 0, "", "10");
	expect_rec(&r, 6, D(FILE_SPACE), O(ALLOCATE), EBADF, 4, 0, f, "10");
	expect_rec(&r, 7, D(FILE_SPACE), O(ALLOCATE), EINVAL, 3, 0, f, "0");
	cr_assert_eq(r.nrecs, 8, "%zu records, expected 8", r.nrecs);
	run_free(&r);
}

/* truncate and ftruncate: s2 is the new size. */
Test(space, truncate, .fini = scratch_cleanup)
{
	struct run r;
	char t[4200], missing[4200];

	snprintf(t, sizeof(t), "%s", scratch_file("t.bin"));
	snprintf(missing, sizeof(missing), "%s", scratch_file("missing"));
	run_scenario(&r, "truncate");
	/* ftruncate, ftruncate64, truncate, truncate64. */
	expect_rec(&r, 0, D(FILE_SPACE), O(TRUNCATE), 0, 3, 0, t, "10");
	expect_rec(&r, 1, D(FILE_SPACE), O(TRUNCATE), 0, 3, 0, t, "20");
	expect_rec(&r, 2, D(FILE_SPACE), O(TRUNCATE), 0, -1, 0, t, "30");
	expect_rec(&r, 3, D(FILE_SPACE), O(TRUNCATE), 0, -1, 0, t, "0");
	/* The same, refused: a read-only descriptor, a negative size, a
	 * missing file, a negative size. */
	expect_rec(&r, 4, D(FILE_SPACE), O(TRUNCATE), EINVAL, 4, 0, t, "5");
	expect_rec(&r, 5, D(FILE_SPACE), O(TRUNCATE), EINVAL, 3, 0, t, "-1");
	expect_rec(&r, 6, D(FILE_SPACE), O(TRUNCATE), ENOENT, -1, 0, missing, "0");
	expect_rec(&r, 7, D(FILE_SPACE), O(TRUNCATE), EINVAL, -1, 0, t, "-5");
	cr_assert_eq(r.nrecs, 8, "%zu records, expected 8", r.nrecs);
	run_free(&r);
}
