/*
 * The file metadata domain, end to end: each scenario of
 * tests/progs/metadata_calls.c runs under the real launcher, and its
 * records of this domain are asserted call by call.  The program makes its
 * file and opens it (fd 3) and its directory (fd 4) first, with calls of
 * other domains: their records are left out, so that the test holds
 * whichever domains are compiled in.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codes.h"
#include "harness.h"

/* A path in the scratch directory; the harness keeps only the last few,
 * so each is asked for where it is used. */
#define P(name) scratch_file(name)

TestSuite(metadata, .fini = scratch_cleanup, .timeout = 60);

/* Runs a scenario and checks what every record shares; then keeps the
 * records of this domain, so that record i is the scenario's call i. */
static void run_scenario(struct run *r, const char *scenario)
{
	run_traced(r, NONE, LIST(prog_path("metadata_calls"), scratch_dir(), scenario), NONE);
	expect_scenario_ran(r, "metadata_calls", scenario);
	keep_domains(r, MASK(FILE_METADATA));
}

#define STAT(i, err, fd, s1) expect_rec(&r, i, D(FILE_METADATA), O(STAT), err, fd, 0, s1, "")

Test(metadata, stat)
{
	struct run r;
	char cwd[4096];

	cr_assert(getcwd(cwd, sizeof(cwd)));
	run_scenario(&r, "stat");
	STAT(0, 0, -1, P("f"));			/* stat */
	STAT(1, 0, -1, P("f"));			/* stat64 */
	STAT(2, 0, -1, P("f"));			/* lstat */
	STAT(3, 0, -1, scratch_dir());		/* lstat64 */
	STAT(4, 0, 3, P("f"));			/* fstat */
	STAT(5, 0, 4, scratch_dir());		/* fstat64 */
	STAT(6, 0, -1, P("f"));			/* fstatat, relative to the directory's fd */
	STAT(7, 0, -1, P("f"));			/* fstatat64 */
	/* An empty path with AT_EMPTY_PATH: the call is fstat of dirfd. */
	STAT(8, 0, 3, P("f"));			/* fstatat */
	STAT(9, 0, -1, cwd);			/* fstatat64 of AT_FDCWD */
	STAT(10, 0, -1, P("f"));		/* statx */
	STAT(11, 0, 3, P("f"));			/* statx, AT_EMPTY_PATH */
	STAT(12, 0, -1, P("f"));		/* statx, AT_FDCWD and an absolute path */
	STAT(13, ENOENT, -1, P("missing"));	/* stat */
	STAT(14, ENOENT, -1, P("missing"));	/* stat64 */
	STAT(15, ENOTDIR, -1, P("f/x"));	/* lstat */
	STAT(16, ENOENT, -1, P("missing"));	/* lstat64 */
	STAT(17, EBADF, 99, "");		/* fstat */
	STAT(18, EBADF, 99, "");		/* fstat64 */
	STAT(19, ENOENT, -1, P("missing"));	/* fstatat */
	STAT(20, ENOTDIR, -1, P("f/x"));	/* fstatat64, a file as dirfd */
	STAT(21, ENOENT, -1, P("missing"));	/* statx */
	cr_assert_eq(r.nrecs, 22, "%zu records, expected 22", r.nrecs);
	run_free(&r);
}

Test(metadata, stat_before_glibc_2_33)
{
	struct run r;

	run_scenario(&r, "old_stat");
	STAT(0, 0, -1, P("f"));			/* __xstat */
	STAT(1, 0, -1, P("f"));			/* __xstat64 */
	STAT(2, 0, -1, P("f"));			/* __lxstat */
	STAT(3, 0, -1, scratch_dir());		/* __lxstat64 */
	STAT(4, 0, 3, P("f"));			/* __fxstat */
	STAT(5, 0, 4, scratch_dir());		/* __fxstat64 */
	STAT(6, 0, -1, P("f"));			/* __fxstatat */
	STAT(7, 0, 3, P("f"));			/* __fxstatat64, AT_EMPTY_PATH */
	STAT(8, ENOENT, -1, P("missing"));	/* __xstat */
	STAT(9, EINVAL, -1, P("f"));		/* __xstat, an unknown version */
	STAT(10, ENOENT, -1, P("missing"));	/* __xstat64 */
	STAT(11, ENOENT, -1, P("missing"));	/* __lxstat */
	STAT(12, ENOENT, -1, P("missing"));	/* __lxstat64 */
	STAT(13, EBADF, 99, "");		/* __fxstat */
	STAT(14, EBADF, 99, "");		/* __fxstat64 */
	STAT(15, ENOENT, -1, P("missing"));	/* __fxstatat */
	STAT(16, ENOENT, -1, P("missing"));	/* __fxstatat64 */
	cr_assert_eq(r.nrecs, 17, "%zu records, expected 17", r.nrecs);
	run_free(&r);
}

#define ACCESS(i, err, fd, s1, s2) \
	expect_rec(&r, i, D(FILE_METADATA), O(ACCESS), err, fd, 0, s1, s2)

Test(metadata, access)
{
	struct run r;

	run_scenario(&r, "access");
	ACCESS(0, 0, -1, P("f"), "F_OK");			/* access */
	ACCESS(1, 0, -1, P("f"), "R_OK|W_OK");			/* access */
	ACCESS(2, 0, -1, P("f"), "R_OK");			/* faccessat */
	ACCESS(3, 0, 3, P("f"), "W_OK");			/* faccessat, AT_EMPTY_PATH */
	ACCESS(4, 0, -1, P("f"), "R_OK");			/* euidaccess */
	ACCESS(5, 0, -1, scratch_dir(), "X_OK");		/* eaccess */
	ACCESS(6, ENOENT, -1, P("missing"), "F_OK");		/* access */
	ACCESS(7, EACCES, -1, P("f"), "R_OK|W_OK|X_OK");	/* access */
	ACCESS(8, EINVAL, -1, P("f"), "R_OK|0x8");		/* access, a bit it does not know */
	ACCESS(9, EACCES, -1, P("f"), "X_OK");			/* faccessat, AT_EACCESS */
	ACCESS(10, ENOENT, -1, P("missing"), "W_OK");		/* euidaccess */
	ACCESS(11, ENOENT, -1, P("missing"), "R_OK");		/* eaccess */
	cr_assert_eq(r.nrecs, 12, "%zu records, expected 12", r.nrecs);
	run_free(&r);
}

#define CHMOD(i, err, fd, s1, s2) \
	expect_rec(&r, i, D(FILE_METADATA), O(CHMOD), err, fd, 0, s1, s2)

Test(metadata, chmod)
{
	struct run r;

	run_scenario(&r, "chmod");
	CHMOD(0, 0, -1, P("f"), "0600");		/* chmod */
	CHMOD(1, 0, 3, P("f"), "0640");			/* fchmod */
	CHMOD(2, 0, -1, P("f"), "04755");		/* fchmodat */
	CHMOD(3, 0, -1, P("f"), "0644");		/* fchmodat, AT_SYMLINK_NOFOLLOW */
	CHMOD(4, 0, -1, P("f"), "0000");		/* lchmod */
	CHMOD(5, ENOENT, -1, P("missing"), "0644");	/* chmod */
	CHMOD(6, EBADF, 99, "", "0644");		/* fchmod */
	CHMOD(7, ENOENT, -1, P("missing"), "01777");	/* fchmodat */
	CHMOD(8, ENOENT, -1, P("missing"), "0755");	/* lchmod */
	cr_assert_eq(r.nrecs, 9, "%zu records, expected 9", r.nrecs);
	run_free(&r);
}

#define CHOWN(i, err, fd, s1, s2) \
	expect_rec(&r, i, D(FILE_METADATA), O(CHOWN), err, fd, 0, s1, s2)

Test(metadata, chown)
{
	struct run r;
	char both[32], uid_only[32], gid_only[32];

	/* The program gives f the owner it has: the test's own ids. */
	snprintf(both, sizeof(both), "%u:%u", (unsigned)geteuid(), (unsigned)getegid());
	snprintf(uid_only, sizeof(uid_only), "%u:-1", (unsigned)geteuid());
	snprintf(gid_only, sizeof(gid_only), "-1:%u", (unsigned)getegid());
	run_scenario(&r, "chown");
	CHOWN(0, 0, -1, P("f"), both);			/* chown */
	CHOWN(1, 0, 3, P("f"), "-1:-1");		/* fchown */
	CHOWN(2, 0, -1, P("f"), uid_only);		/* lchown */
	CHOWN(3, 0, -1, P("f"), gid_only);		/* fchownat */
	CHOWN(4, 0, 3, P("f"), both);			/* fchownat, AT_EMPTY_PATH */
	CHOWN(5, ENOENT, -1, P("missing"), both);	/* chown */
	CHOWN(6, EBADF, 99, "", both);			/* fchown */
	CHOWN(7, ENOENT, -1, P("missing"), gid_only);	/* lchown */
	CHOWN(8, ENOENT, -1, P("missing"), uid_only);	/* fchownat */
	cr_assert_eq(r.nrecs, 9, "%zu records, expected 9", r.nrecs);
	run_free(&r);
}

#define UTIME(i, err, fd, s1) expect_rec(&r, i, D(FILE_METADATA), O(UTIME), err, fd, 0, s1, "")

Test(metadata, utime)
{
	struct run r;

	run_scenario(&r, "utime");
	UTIME(0, 0, -1, P("f"));		/* utime */
	UTIME(1, 0, -1, P("f"));		/* utimes */
	UTIME(2, 0, -1, P("f"));		/* lutimes */
	UTIME(3, 0, 3, P("f"));			/* futimes */
	UTIME(4, 0, -1, P("f"));		/* futimesat */
	UTIME(5, 0, 3, P("f"));			/* futimesat, a NULL path: the fd itself */
	UTIME(6, 0, -1, P("f"));		/* utimensat */
	UTIME(7, 0, -1, P("f"));		/* utimensat, AT_FDCWD */
	UTIME(8, 0, 3, P("f"));			/* utimensat, AT_EMPTY_PATH */
	UTIME(9, 0, 3, P("f"));			/* futimens */
	UTIME(10, 0, -1, P("f"));		/* utime, NULL times */
	UTIME(11, ENOENT, -1, P("missing"));	/* utime */
	UTIME(12, ENOENT, -1, P("missing"));	/* utimes */
	UTIME(13, ENOENT, -1, P("missing"));	/* lutimes */
	UTIME(14, EBADF, 99, "");		/* futimes */
	UTIME(15, ENOENT, -1, P("missing"));	/* futimesat */
	UTIME(16, ENOENT, -1, P("missing"));	/* utimensat */
	UTIME(17, ENOENT, -1, "");		/* utimensat, "" without AT_EMPTY_PATH */
	UTIME(18, EBADF, 99, "");		/* futimens */
	cr_assert_eq(r.nrecs, 19, "%zu records, expected 19", r.nrecs);
	run_free(&r);
}
