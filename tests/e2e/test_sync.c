/*
 * The sync domain, end to end: each scenario of tests/progs/sync_calls.c
 * runs under the real launcher, and its records are asserted call by call.
 * Only the sync domain's records are: the programs' opens, writes and
 * mappings belong to other domains, compiled in or not.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "codes.h"
#include "harness.h"


/* Runs a scenario, checks what every record shares and its START; then
 * keeps only the sync domain's records. */
static void run_scenario(struct run *r, const char *scenario)
{
	run_traced(r, NONE, LIST(prog_path("sync_calls"), scratch_dir(), scenario), NONE);
	expect_scenario_ran(r, "sync_calls", scenario);
	keep_domains(r, MASK(SYNCS));
}

/* fsync, fdatasync, syncfs, sync_file_range and sync; their failures on a
 * device that cannot be synced and on no descriptor at all. */
Test(sync, descriptors, .fini = scratch_cleanup)
{
	struct run r;
	char a[4200];

	snprintf(a, sizeof(a), "%s", scratch_file("a.txt"));
	run_scenario(&r, "descriptors");
	expect_rec(&r, 0, D(SYNCS), O(SYNC), 0, 3, 0, a, "");	/* fsync */
	expect_rec(&r, 1, D(SYNCS), O(SYNC), 0, 3, 0, a, "");	/* fdatasync */
	expect_rec(&r, 2, D(SYNCS), O(SYNC), 0, 3, 0, a, "");	/* syncfs */
	expect_rec(&r, 3, D(SYNCS), O(SYNC), 0, 3, 0, a, "4");	/* sync_file_range */
	expect_rec(&r, 4, D(SYNCS), O(SYNC), 0, 3, 0, a, "0");	/* to the end */
	expect_rec(&r, 5, D(SYNCS), O(SYNC), 0, -1, 0, "", "");	/* sync */
	expect_rec(&r, 6, D(SYNCS), O(SYNC), EINVAL, 3, 0, "/dev/null", "");
	expect_rec(&r, 7, D(SYNCS), O(SYNC), EINVAL, 3, 0, "/dev/null", "");
	expect_rec(&r, 8, D(SYNCS), O(SYNC), ESPIPE, 3, 0, "/dev/null", "1");
	expect_rec(&r, 9, D(SYNCS), O(SYNC), EBADF, -1, 0, "", "");	/* fsync */
	expect_rec(&r, 10, D(SYNCS), O(SYNC), EBADF, -1, 0, "", "");	/* syncfs */
	cr_assert_eq(r.nrecs, 11, "%zu records, expected 11", r.nrecs);
	run_free(&r);
}

/* msync names no file: s2 is the length of the range. */
Test(sync, mapped, .fini = scratch_cleanup)
{
	struct run r;
	char two_pages[24];

	snprintf(two_pages, sizeof(two_pages), "%ld", 2 * sysconf(_SC_PAGESIZE));
	run_scenario(&r, "mapped");
	expect_rec(&r, 0, D(SYNCS), O(SYNC), 0, -1, 0, "", two_pages);
	expect_rec(&r, 1, D(SYNCS), O(SYNC), 0, -1, 0, "", "6");
	expect_rec(&r, 2, D(SYNCS), O(SYNC), EINVAL, -1, 0, "", "6");	/* unaligned */
	cr_assert_eq(r.nrecs, 3, "%zu records, expected 3", r.nrecs);
	run_free(&r);
}

/* fflush under each of its names, of every stream, and into /dev/full. */
Test(sync, streams, .fini = scratch_cleanup)
{
	struct run r;
	char b[4200];

	snprintf(b, sizeof(b), "%s", scratch_file("b.txt"));
	run_scenario(&r, "streams");
	expect_rec(&r, 0, D(SYNCS), O(FLUSH), 0, 3, 0, b, "");	/* fflush */
	expect_rec(&r, 1, D(SYNCS), O(FLUSH), 0, 3, 0, b, "");	/* fflush_unlocked */
	expect_rec(&r, 2, D(SYNCS), O(FLUSH), 0, 3, 0, b, "");	/* _IO_fflush */
	expect_rec(&r, 3, D(SYNCS), O(FLUSH), 0, -1, 0, "", "");	/* fflush(NULL) */
	expect_rec(&r, 4, D(SYNCS), O(FLUSH), ENOSPC, 3, 0, "/dev/full", "");
	cr_assert_eq(r.nrecs, 5, "%zu records, expected 5", r.nrecs);
	run_free(&r);
}

/* fflush_unlocked and _IO_fflush into /dev/full. */
Test(sync, full, .fini = scratch_cleanup)
{
	struct run r;

	run_scenario(&r, "full");
	expect_rec(&r, 0, D(SYNCS), O(FLUSH), ENOSPC, 3, 0, "/dev/full", "");
	expect_rec(&r, 1, D(SYNCS), O(FLUSH), ENOSPC, 3, 0, "/dev/full", "");
	cr_assert_eq(r.nrecs, 2, "%zu records, expected 2", r.nrecs);
	run_free(&r);
}
