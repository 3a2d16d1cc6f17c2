/*
 * The file systems domain (FILE_SYSTEMS), end to end: each scenario of
 * tests/progs/mount_calls.c runs under the real launcher, and its records
 * are asserted call by call, once the records of other domains are
 * dropped.  Real mounts need the privilege to mount; without it that test
 * is skipped, and the failures still are tested.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codes.h"
#include "harness.h"

/* Runs prog from the scratch directory: its relative paths name files
 * there from the start, without a chdir() that only the dir domain
 * would tell the library of. */
static void run_from_scratch(struct run *r, const char *const *argv)
{
	cr_assert_eq(chdir(scratch_dir()), 0, "chdir %s: %s", scratch_dir(), strerror(errno));
	run_traced(r, NONE, argv, NONE);
}

/* Runs a scenario, checks what every record shares and its START; then
 * keeps only this domain's records. */
static void run_scenario(struct run *r, const char *scenario)
{
	run_from_scratch(r, LIST(prog_path("mount_calls"), scratch_dir(), scenario));
	expect_scenario_ran(r, "mount_calls", scenario);
	keep_domains(r, MASK(FILE_SYSTEMS));
}

#define MOUNT(i, err, target, source) \
	expect_rec(&r, i, D(FILE_SYSTEMS), O(MOUNT), err, -1, 0, target, source)
#define UMOUNT(i, err, target) \
	expect_rec(&r, i, D(FILE_SYSTEMS), O(UMOUNT), err, -1, 0, target, "")

Test(mount, real_mounts, .fini = scratch_cleanup)
{
	struct run r;
	const struct path mnt = in_scratch("mnt"), none = in_scratch("none");

	run_scenario(&r, "mounts");
	if (strstr(r.out, "unprivileged")) {
		cr_assert_eq(r.nrecs, 0, "%zu records, expected none", r.nrecs);
		run_free(&r);
		cr_skip_test("this user may not mount");
	}
	/* s2: the source as given; none for a change of propagation. */
	MOUNT(0, 0, "/", "");
	MOUNT(1, 0, mnt.s, "iomon-test");
	UMOUNT(2, 0, mnt.s);
	MOUNT(3, 0, mnt.s, "tmpfs");		/* mount point "mnt" */
	UMOUNT(4, 0, mnt.s);			/* umount2 */
	MOUNT(5, ENOENT, none.s, "none");
	MOUNT(6, ENODEV, mnt.s, "none");
	UMOUNT(7, EINVAL, mnt.s);
	UMOUNT(8, ENOENT, none.s);
	UMOUNT(9, EINVAL, mnt.s);			/* umount2 */
	cr_assert_eq(r.nrecs, 10, "%zu records, expected 10", r.nrecs);
	run_free(&r);
}

Test(mount, not_permitted, .fini = scratch_cleanup)
{
	struct run r;

	run_scenario(&r, "unprivileged");
	MOUNT(0, EPERM, "/tmp", "none");
	UMOUNT(1, EPERM, "/tmp");
	UMOUNT(2, EPERM, "/tmp");		/* umount2 */
	cr_assert_eq(r.nrecs, 3, "%zu records, expected 3", r.nrecs);
	run_free(&r);
}
