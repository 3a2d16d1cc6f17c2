/*
 * Makes a known sequence of file metadata calls, one scenario per run:
 *   metadata_calls DIR SCENARIO
 * and prints its pid.
 * tests/e2e/test_metadata.c knows what each scenario does and asserts the
 * records iomon makes of it, call by call.  Every result is checked here
 * too, so a wrapper that changed one fails the run (exit 1).
 *
 * Built without _FILE_OFFSET_BITS, so that stat() is stat and the *64
 * names are called by name; the names older glibc headers made of stat()
 * (__xstat and its kind) are declared here, as those headers did.
 */
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>
#include <utime.h>

#include "check.h"

/* The version of struct stat that glibc before 2.33 passed as _STAT_VER. */
#if defined(__x86_64__)
#define STAT_VER 1
#elif defined(__i386__)
#define STAT_VER 3
#else
#define STAT_VER 0
#endif

int __xstat(int ver, const char *path, struct stat *buf);
int __xstat64(int ver, const char *path, struct stat64 *buf);
int __lxstat(int ver, const char *path, struct stat *buf);
int __lxstat64(int ver, const char *path, struct stat64 *buf);
int __fxstat(int ver, int fd, struct stat *buf);
int __fxstat64(int ver, int fd, struct stat64 *buf);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *buf, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *buf, int flags);

/* Descriptors the scenarios' records name: the tests expect 3 and 4. */
static int fd = -1, dfd = -1;

/* DIR/f holding 6 bytes, open as fd 3, and DIR open as fd 4: calls of the
 * file domain, which the tests leave out. */
static void setup(void)
{
	fd = open(in_dir("f"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd == 3);
	CHECK(write(fd, "hello\n", 6) == 6);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd == 4);
}

/* What the kernel says of fd, asked directly so that the check makes no
 * record. */
static struct statx kernel_statx(int desc)
{
	struct statx stx;

	CHECK(syscall(SYS_statx, desc, "", AT_EMPTY_PATH, STATX_MODE | STATX_MTIME, &stx) == 0);
	return stx;
}

static unsigned mode_of(int desc)
{
	return kernel_statx(desc).stx_mode & 07777;
}

static long long mtime_of(int desc)
{
	return kernel_statx(desc).stx_mtime.tv_sec;
}

static void stat_calls(void)
{
	struct stat st;
	struct stat64 st64;
	struct statx stx;

	CHECK(stat(in_dir("f"), &st) == 0 && st.st_size == 6);
	CHECK(stat64(in_dir("f"), &st64) == 0 && st64.st_size == 6);
	CHECK(lstat(in_dir("f"), &st) == 0 && S_ISREG(st.st_mode));
	CHECK(lstat64(dir, &st64) == 0 && S_ISDIR(st64.st_mode));
	CHECK(fstat(fd, &st) == 0 && st.st_size == 6);
	CHECK(fstat64(dfd, &st64) == 0 && S_ISDIR(st64.st_mode));
	CHECK(fstatat(dfd, "f", &st, 0) == 0 && st.st_size == 6);
	CHECK(fstatat64(dfd, "f", &st64, AT_SYMLINK_NOFOLLOW) == 0 && st64.st_size == 6);
	CHECK(fstatat(fd, "", &st, AT_EMPTY_PATH) == 0 && st.st_size == 6);
	CHECK(fstatat64(AT_FDCWD, "", &st64, AT_EMPTY_PATH) == 0 && S_ISDIR(st64.st_mode));
	CHECK(statx(dfd, "f", 0, STATX_SIZE, &stx) == 0 && stx.stx_size == 6);
	CHECK(statx(fd, "", AT_EMPTY_PATH, STATX_SIZE, &stx) == 0 && stx.stx_size == 6);
	CHECK(statx(AT_FDCWD, in_dir("f"), 0, STATX_MODE, &stx) == 0 && S_ISREG(stx.stx_mode));

	CHECK_FAILS(stat(in_dir("missing"), &st), ENOENT);
	CHECK_FAILS(stat64(in_dir("missing"), &st64), ENOENT);
	CHECK_FAILS(lstat(in_dir("f/x"), &st), ENOTDIR);
	CHECK_FAILS(lstat64(in_dir("missing"), &st64), ENOENT);
	CHECK_FAILS(fstat(99, &st), EBADF);
	CHECK_FAILS(fstat64(99, &st64), EBADF);
	CHECK_FAILS(fstatat(dfd, "missing", &st, 0), ENOENT);
	CHECK_FAILS(fstatat64(fd, "x", &st64, 0), ENOTDIR);
	CHECK_FAILS(statx(dfd, "missing", 0, STATX_SIZE, &stx), ENOENT);
}

/* The names binaries built against glibc before 2.33 call. */
static void old_stat_calls(void)
{
	struct stat st;
	struct stat64 st64;

	CHECK(__xstat(STAT_VER, in_dir("f"), &st) == 0 && st.st_size == 6);
	CHECK(__xstat64(STAT_VER, in_dir("f"), &st64) == 0 && st64.st_size == 6);
	CHECK(__lxstat(STAT_VER, in_dir("f"), &st) == 0 && st.st_size == 6);
	CHECK(__lxstat64(STAT_VER, dir, &st64) == 0 && S_ISDIR(st64.st_mode));
	CHECK(__fxstat(STAT_VER, fd, &st) == 0 && st.st_size == 6);
	CHECK(__fxstat64(STAT_VER, dfd, &st64) == 0 && S_ISDIR(st64.st_mode));
	CHECK(__fxstatat(STAT_VER, dfd, "f", &st, 0) == 0 && st.st_size == 6);
	CHECK(__fxstatat64(STAT_VER, fd, "", &st64, AT_EMPTY_PATH) == 0 && st64.st_size == 6);

	CHECK_FAILS(__xstat(STAT_VER, in_dir("missing"), &st), ENOENT);
	/* A version the C library does not know. */
	CHECK_FAILS(__xstat(99, in_dir("f"), &st), EINVAL);
	CHECK_FAILS(__xstat64(STAT_VER, in_dir("missing"), &st64), ENOENT);
	CHECK_FAILS(__lxstat(STAT_VER, in_dir("missing"), &st), ENOENT);
	CHECK_FAILS(__lxstat64(STAT_VER, in_dir("missing"), &st64), ENOENT);
	CHECK_FAILS(__fxstat(STAT_VER, 99, &st), EBADF);
	CHECK_FAILS(__fxstat64(STAT_VER, 99, &st64), EBADF);
	CHECK_FAILS(__fxstatat(STAT_VER, dfd, "missing", &st, 0), ENOENT);
	CHECK_FAILS(__fxstatat64(STAT_VER, dfd, "missing", &st64, 0), ENOENT);
}

/* f is 0644 and has no execute bit, which even root needs for X_OK. */
static void access_calls(void)
{
	CHECK(access(in_dir("f"), F_OK) == 0);
	CHECK(access(in_dir("f"), R_OK | W_OK) == 0);
	CHECK(faccessat(dfd, "f", R_OK, 0) == 0);
	CHECK(faccessat(fd, "", W_OK, AT_EMPTY_PATH) == 0);
	CHECK(euidaccess(in_dir("f"), R_OK) == 0);
	CHECK(eaccess(dir, X_OK) == 0);

	CHECK_FAILS(access(in_dir("missing"), F_OK), ENOENT);
	CHECK_FAILS(access(in_dir("f"), R_OK | W_OK | X_OK), EACCES);
	CHECK_FAILS(access(in_dir("f"), 8 | R_OK), EINVAL);
	CHECK_FAILS(faccessat(dfd, "f", X_OK, AT_EACCESS), EACCES);
	CHECK_FAILS(euidaccess(in_dir("missing"), W_OK), ENOENT);
	CHECK_FAILS(eaccess(in_dir("missing"), R_OK), ENOENT);
}

static void chmod_calls(void)
{
	CHECK(chmod(in_dir("f"), 0600) == 0 && mode_of(fd) == 0600);
	CHECK(fchmod(fd, 0640) == 0 && mode_of(fd) == 0640);
	CHECK(fchmodat(dfd, "f", 04755, 0) == 0 && mode_of(fd) == 04755);
	/* glibc makes the no-follow form work for a file that is no link. */
	CHECK(fchmodat(dfd, "f", 0644, AT_SYMLINK_NOFOLLOW) == 0 && mode_of(fd) == 0644);
	CHECK(lchmod(in_dir("f"), 0) == 0 && mode_of(fd) == 0);

	CHECK_FAILS(chmod(in_dir("missing"), 0644), ENOENT);
	CHECK_FAILS(fchmod(99, 0644), EBADF);
	CHECK_FAILS(fchmodat(dfd, "missing", 01777, 0), ENOENT);
	CHECK_FAILS(lchmod(in_dir("missing"), 0755), ENOENT);
}

/* To the owner f already has, which any user may; -1 leaves an id be. */
static void chown_calls(void)
{
	uid_t uid = geteuid();
	gid_t gid = getegid();

	CHECK(chown(in_dir("f"), uid, gid) == 0);
	CHECK(fchown(fd, (uid_t)-1, (gid_t)-1) == 0);
	CHECK(lchown(in_dir("f"), uid, (gid_t)-1) == 0);
	CHECK(fchownat(dfd, "f", (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) == 0);
	CHECK(fchownat(fd, "", uid, gid, AT_EMPTY_PATH) == 0);

	CHECK_FAILS(chown(in_dir("missing"), uid, gid), ENOENT);
	CHECK_FAILS(fchown(99, uid, gid), EBADF);
	CHECK_FAILS(lchown(in_dir("missing"), (uid_t)-1, gid), ENOENT);
	CHECK_FAILS(fchownat(dfd, "missing", uid, (gid_t)-1, 0), ENOENT);
}

/* Each call sets the modification time to a second of its own, checked
 * without a call the tests would see. */
static void utime_calls(void)
{
	struct utimbuf ub = { .actime = 1000, .modtime = 1001 };
	struct timeval tv[2] = { { 1000, 0 }, { 1002, 0 } };
	struct timespec ts[2] = { { 1000, 0 }, { 1003, 0 } };

	CHECK(utime(in_dir("f"), &ub) == 0 && mtime_of(fd) == 1001);
	CHECK(utimes(in_dir("f"), tv) == 0 && mtime_of(fd) == 1002);
	tv[1].tv_sec++;
	CHECK(lutimes(in_dir("f"), tv) == 0 && mtime_of(fd) == 1003);
	tv[1].tv_sec++;
	CHECK(futimes(fd, tv) == 0 && mtime_of(fd) == 1004);
	tv[1].tv_sec++;
	CHECK(futimesat(dfd, "f", tv) == 0 && mtime_of(fd) == 1005);
	tv[1].tv_sec++;
	/* glibc's futimesat acts on the descriptor itself when path is NULL. */
	CHECK(futimesat(fd, NULL, tv) == 0 && mtime_of(fd) == 1006);
	ts[1].tv_sec = 1007;
	CHECK(utimensat(dfd, "f", ts, 0) == 0 && mtime_of(fd) == 1007);
	ts[1].tv_sec++;
	CHECK(utimensat(AT_FDCWD, in_dir("f"), ts, AT_SYMLINK_NOFOLLOW) == 0 &&
	      mtime_of(fd) == 1008);
	ts[1].tv_sec++;
	CHECK(utimensat(fd, "", ts, AT_EMPTY_PATH) == 0 && mtime_of(fd) == 1009);
	ts[1].tv_sec++;
	CHECK(futimens(fd, ts) == 0 && mtime_of(fd) == 1010);
	/* NULL: now. */
	CHECK(utime(in_dir("f"), NULL) == 0 && mtime_of(fd) > 1010);

	CHECK_FAILS(utime(in_dir("missing"), &ub), ENOENT);
	CHECK_FAILS(utimes(in_dir("missing"), tv), ENOENT);
	CHECK_FAILS(lutimes(in_dir("missing"), tv), ENOENT);
	CHECK_FAILS(futimes(99, tv), EBADF);
	CHECK_FAILS(futimesat(dfd, "missing", tv), ENOENT);
	CHECK_FAILS(utimensat(dfd, "missing", ts, 0), ENOENT);
	/* Without AT_EMPTY_PATH an empty path names nothing. */
	CHECK_FAILS(utimensat(fd, "", ts, 0), ENOENT);
	CHECK_FAILS(futimens(99, ts), EBADF);
}

static const struct scenario scenarios[] = {
	{ "stat", stat_calls },
	{ "old_stat", old_stat_calls },
	{ "access", access_calls },
	{ "chmod", chmod_calls },
	{ "chown", chown_calls },
	{ "utime", utime_calls },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), setup);
}
