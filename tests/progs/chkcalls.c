/*
 * Calls glibc's checking entry points by name: what a program built with
 * -D_FORTIFY_SOURCE=2 calls in place of open(), read(), fprintf() and the
 * rest when the compiler cannot prove them safe (gcc does that routing;
 * clang does it for fewer).  Calling them directly makes the test the same
 * under both compilers.
 *   chkcalls DIR
 */
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

int main(int argc, char **argv)
{
	char path[4200], buf[16];

	if (argc != 2)
		return 2;
	snprintf(path, sizeof(path), "%s/f.txt", argv[1]);
	FILE *f = fopen(path, "w");
	CHECK(f && __fprintf_chk(f, 1, "%s\n", "fortified") == 10);
	CHECK(vprint(f, "%d", 42) == 2 && fclose(f) == 0);

	int fd = __open_2(path, O_RDONLY);
	CHECK(fd >= 0 && __read_chk(fd, buf, sizeof(buf), sizeof(buf)) == 12);
	CHECK(__pread_chk(fd, buf, 4, 1, sizeof(buf)) == 4 && memcmp(buf, "orti", 4) == 0);
	CHECK(__pread64_chk(fd, buf, 2, 10, sizeof(buf)) == 2 && close(fd) == 0);
	fd = __open64_2(path, O_RDONLY);
	CHECK(fd >= 0 && close(fd) == 0);
	int dfd = __open_2(argv[1], O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	fd = __openat_2(dfd, "f.txt", O_RDONLY);
	CHECK(fd >= 0 && close(fd) == 0);
	fd = __openat64_2(dfd, "f.txt", O_RDONLY);
	CHECK(fd >= 0 && close(fd) == 0 && close(dfd) == 0);

	f = fopen(path, "r");
	CHECK(f && __fread_chk(buf, sizeof(buf), 1, sizeof(buf), f) == 12 && fclose(f) == 0);
	return 0;
}
