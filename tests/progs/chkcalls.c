/*
 * Calls glibc's checking entry points by name: what a program built with
 * -D_FORTIFY_SOURCE=2 calls in place of open(), read(), fprintf() and the
 * rest when the compiler cannot prove them safe (gcc does that routing;
 * clang does it for fewer).  Calling them directly makes the test the same
 * under both compilers.
 *   chkcalls DIR SCENARIO
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
ssize_t __read_chk(int fd, void *buf, size_t count, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t count, off_t offset, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t count, off_t offset, size_t buflen);
size_t __fread_chk(void *ptr, size_t ptrlen, size_t size, size_t n, FILE *stream);
int __fprintf_chk(FILE *stream, int flag, const char *format, ...);
int __vfprintf_chk(FILE *stream, int flag, const char *format, va_list ap);

static int vprint(FILE *f, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	int n = __vfprintf_chk(f, 1, format, ap);
	va_end(ap);
	return n;
}

static void fortified(void)
{
	char buf[16];
	const char *path = in_dir("f.txt");

	FILE *f = fopen(path, "w");
	CHECK(f && __fprintf_chk(f, 1, "%s\n", "fortified") == 10);
	CHECK(vprint(f, "%d", 42) == 2 && fclose(f) == 0);

	int fd = __open_2(path, O_RDONLY);
	CHECK(fd >= 0 && __read_chk(fd, buf, sizeof(buf), sizeof(buf)) == 12);
	CHECK(__pread_chk(fd, buf, 4, 1, sizeof(buf)) == 4 && memcmp(buf, "orti", 4) == 0);
	CHECK(__pread64_chk(fd, buf, 2, 10, sizeof(buf)) == 2 && close(fd) == 0);
	fd = __open64_2(path, O_RDONLY);
	CHECK(fd >= 0 && close(fd) == 0);
	int dfd = __open_2(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	fd = __openat_2(dfd, "f.txt", O_RDONLY);
	CHECK(fd >= 0 && close(fd) == 0);
	fd = __openat64_2(dfd, "f.txt", O_RDONLY);
	CHECK(fd >= 0 && close(fd) == 0 && close(dfd) == 0);

	f = fopen(path, "r");
	CHECK(f && __fread_chk(buf, sizeof(buf), 1, sizeof(buf), f) == 12 && fclose(f) == 0);
}

/* Each failing: a path that does not exist, a descriptor that is not
 * open, a stream open on a directory, one open for reading only. */
static void fortified_failures(void)
{
	char buf[16];

	int dfd = __open_2(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd == 3);
	CHECK_FAILS(__open_2(in_dir("none"), O_RDONLY), ENOENT);
	CHECK_FAILS(__open64_2(in_dir("none"), O_RDONLY), ENOENT);
	CHECK_FAILS(__openat_2(dfd, "none", O_RDONLY), ENOENT);
	CHECK_FAILS(__openat64_2(dfd, "none", O_RDONLY), ENOENT);
	CHECK_FAILS(__read_chk(-1, buf, sizeof(buf), sizeof(buf)), EBADF);
	CHECK_FAILS(__pread_chk(-1, buf, sizeof(buf), 0, sizeof(buf)), EBADF);
	CHECK_FAILS(__pread64_chk(-1, buf, sizeof(buf), 0, sizeof(buf)), EBADF);
	CHECK(close(dfd) == 0);

	FILE *d = fopen(dir, "r");
	CHECK(d);
	errno = 0;
	CHECK(__fread_chk(buf, sizeof(buf), 1, sizeof(buf), d) == 0 && errno == EISDIR);
	CHECK(fclose(d) == 0);
	FILE *r = fopen(in_dir("r.txt"), "w+");
	CHECK(r && freopen(NULL, "r", r) == r);
	errno = 0;
	CHECK(__fprintf_chk(r, 1, "%s\n", "fortified") == -1 && errno == EBADF);
	clearerr(r);
	errno = 0;
	CHECK(vprint(r, "%d", 42) == -1 && errno == EBADF);
	CHECK(fclose(r) == 0);
}

static const struct scenario scenarios[] = {
	{ "fortified", fortified },
	{ "fortified_failures", fortified_failures },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
