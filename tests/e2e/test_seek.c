/*
 * The seek domain, end to end: each scenario of tests/progs/seek_calls.c
 * runs under the real launcher, and its records are asserted call by call.
 * Only the seek domain's records are: the programs' opens and writes belong
 * to other domains, compiled in or not.  domains/seek.def says what s2
 * holds.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "harness.h"


/* Runs a scenario, checks what every record shares and its START; then
 * keeps only the seek domain's records. */
static void run_scenario(struct run *r, const char *scenario)
{
	run_traced(r, NONE, LIST(prog_path("seek_calls"), scratch_dir(), scenario), NONE);
	expect_scenario_ran(r, "seek_calls", scenario);
	keep_domains(r, MASK(SEEKS));
}

/* lseek, lseek64, __lseek: s2 is the position reached, or the one asked
 * for when it is refused. */
Test(seek, descriptors, .fini = scratch_cleanup)
{
	struct run r;
	char s[4200];

	snprintf(s, sizeof(s), "%s", scratch_file("s.bin"));
	run_scenario(&r, "descriptors");
	expect_rec(&r, 0, D(SEEKS), O(SEEK), 0, 3, 0, s, "2");	/* lseek, SEEK_SET */
	expect_rec(&r, 1, D(SEEKS), O(SEEK), 0, 3, 0, s, "5");	/* lseek64, SEEK_CUR */
	expect_rec(&r, 2, D(SEEKS), O(SEEK), 0, 3, 0, s, "6");	/* __lseek, SEEK_END */
	expect_rec(&r, 3, D(SEEKS), O(SEEK), 0, 3, 0, s, "0");	/* SEEK_DATA */
	expect_rec(&r, 4, D(SEEKS), O(SEEK), 0, 3, 0, s, "10");	/* SEEK_HOLE */
	expect_rec(&r, 5, D(SEEKS), O(SEEK), EINVAL, 3, 0, s, "-1");
	expect_rec(&r, 6, D(SEEKS), O(SEEK), EINVAL, 3, 0, s, "SEEK_CUR-20");
	expect_rec(&r, 7, D(SEEKS), O(SEEK), EINVAL, 3, 0, s, "99+0");	/* no such whence */
	expect_rec(&r, 8, D(SEEKS), O(SEEK), EBADF, -1, 0, "", "SEEK_END+0");
	cr_assert_eq(r.nrecs, 9, "%zu records, expected 9", r.nrecs);
	run_free(&r);
}

/* The stdio calls: s2 is the position asked for (fseek, fsetpos, rewind)
 * or reported (ftell, fgetpos). */
Test(seek, streams, .fini = scratch_cleanup)
{
	struct run r;
	char t[4200];

	snprintf(t, sizeof(t), "%s", scratch_file("t.txt"));
	run_scenario(&r, "streams");
	expect_rec(&r, 0, D(SEEKS), O(SEEK), 0, 3, 0, t, "2");		/* fseek */
	expect_rec(&r, 1, D(SEEKS), O(SEEK), 0, 3, 0, t, "2");		/* ftell */
	expect_rec(&r, 2, D(SEEKS), O(SEEK), 0, 3, 0, t, "SEEK_CUR+3");	/* fseeko */
	expect_rec(&r, 3, D(SEEKS), O(SEEK), 0, 3, 0, t, "5");		/* ftello */
	expect_rec(&r, 4, D(SEEKS), O(SEEK), 0, 3, 0, t, "SEEK_END-1");	/* fseeko64 */
	expect_rec(&r, 5, D(SEEKS), O(SEEK), 0, 3, 0, t, "9");		/* ftello64 */
	expect_rec(&r, 6, D(SEEKS), O(SEEK), 0, 3, 0, t, "9");		/* fgetpos */
	expect_rec(&r, 7, D(SEEKS), O(SEEK), 0, 3, 0, t, "0");		/* rewind */
	expect_rec(&r, 8, D(SEEKS), O(SEEK), 0, 3, 0, t, "0");		/* fgetpos64 */
	expect_rec(&r, 9, D(SEEKS), O(SEEK), 0, 3, 0, t, "9");		/* fsetpos */
	expect_rec(&r, 10, D(SEEKS), O(SEEK), 0, 3, 0, t, "9");		/* ftell */
	expect_rec(&r, 11, D(SEEKS), O(SEEK), 0, 3, 0, t, "4");		/* fseek */
	expect_rec(&r, 12, D(SEEKS), O(SEEK), 0, 3, 0, t, "0");		/* fsetpos64 */
	expect_rec(&r, 13, D(SEEKS), O(SEEK), EINVAL, 3, 0, t, "-1");	/* fseek */
	expect_rec(&r, 14, D(SEEKS), O(SEEK), EINVAL, 3, 0, t, "SEEK_CUR-100");	/* fseeko */
	expect_rec(&r, 15, D(SEEKS), O(SEEK), EINVAL, 3, 0, t, "99+0");	/* fseeko64 */
	cr_assert_eq(r.nrecs, 16, "%zu records, expected 16", r.nrecs);
	run_free(&r);
}

/* A pipe has no position: every call fails, and the calls that only
 * report one record none. */
Test(seek, pipes, .fini = scratch_cleanup)
{
	struct run r;
	char pipe_name[4200];

	run_scenario(&r, "pipes");
	output_line(&r, 1, pipe_name);
	cr_assert(strncmp(pipe_name, "pipe:[", 6) == 0, "a pipe: '%s'", pipe_name);
	expect_rec(&r, 0, D(SEEKS), O(SEEK), ESPIPE, 3, 0, pipe_name, "SEEK_CUR+0");	/* lseek */
	expect_rec(&r, 1, D(SEEKS), O(SEEK), ESPIPE, 3, 0, pipe_name, "");	/* ftell */
	expect_rec(&r, 2, D(SEEKS), O(SEEK), ESPIPE, 3, 0, pipe_name, "");	/* ftello */
	expect_rec(&r, 3, D(SEEKS), O(SEEK), ESPIPE, 3, 0, pipe_name, "");	/* ftello64 */
	expect_rec(&r, 4, D(SEEKS), O(SEEK), ESPIPE, 3, 0, pipe_name, "");	/* fgetpos */
	expect_rec(&r, 5, D(SEEKS), O(SEEK), ESPIPE, 3, 0, pipe_name, "");	/* fgetpos64 */
	expect_rec(&r, 6, D(SEEKS), O(SEEK), ESPIPE, 3, 0, pipe_name, "0");	/* fseek */
	expect_rec(&r, 7, D(SEEKS), O(SEEK), ESPIPE, 3, 0, pipe_name, "0");	/* fsetpos */
	expect_rec(&r, 8, D(SEEKS), O(SEEK), ESPIPE, 3, 0, pipe_name, "0");	/* fsetpos64 */
	cr_assert_eq(r.nrecs, 9, "%zu records, expected 9", r.nrecs);
	run_free(&r);
}
