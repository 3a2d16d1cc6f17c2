/*
 * What a program can see of the descriptors open in it:
 *   ownfd DIR
 * as CPython's Lib/test/subprocessdata/fd_status.py does, lists every
 * descriptor from 0 to sysconf(_SC_OPEN_MAX) - 1 that fstat() does not
 * answer EBADF, and again with fcntl(F_GETFD); then makes the calls that
 * take a descriptor on each of 900 to 1023 (where the library puts its
 * socket), none of which the program opened, and prints every answer that
 * is not EBADF.  Its output is the same with the library as without: the
 * library's own descriptor is not open, as far as the program can tell.
 * Last, it writes "done" to DIR/done, the call whose record shows the
 * library's socket still works.  No pid: the output must not differ.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define RANGE_FIRST 900
#define RANGE_LAST 1023

static long calls;

/* Prints a list of the descriptors up to max for which open_fd says so. */
static void list_open(const char *how, long max, bool (*open_fd)(int))
{
	const char *sep = "";

	printf("%s:", how);
	for (long fd = 0; fd < max; fd++) {
		if (open_fd((int)fd)) {
			printf("%s%ld", sep, fd);
			sep = ",";
		}
	}
	printf("\n");
}

static bool fstat_open(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 || errno != EBADF;
}

static bool getfd_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1 || errno != EBADF;
}

/* A call's answer, unless it is the one for a descriptor that is not open:
 * -1 (or NULL) and EBADF, or EBADF itself for the posix_ calls. */
static void answer(const char *call, int fd, long ret, bool not_open)
{
	calls++;
	if (!not_open)
		printf("%s(%d): %ld, errno %d\n", call, fd, ret, errno);
}

#define TRY(call, fd, expr)                                            \
	do {                                                           \
		errno = 0;                                             \
		long ret_ = (long)(expr);                              \
		answer(call, fd, ret_, ret_ == -1 && errno == EBADF);  \
	} while (0)
#define TRY_PTR(call, fd, expr)                                        \
	do {                                                           \
		errno = 0;                                             \
		void *ret_ = (void *)(expr);                           \
		answer(call, fd, ret_ != NULL, !ret_ && errno == EBADF); \
	} while (0)
#define TRY_ERR(call, fd, expr)                                        \
	do {                                                           \
		long ret_ = (long)(expr);                              \
		answer(call, fd, ret_, ret_ == EBADF);                 \
	} while (0)

static void try_calls(int fd)
{
	char buf[16];
	struct stat st;
	struct statx stx;

	TRY("read", fd, read(fd, buf, sizeof(buf)));
	TRY("write", fd, write(fd, "x", 1));
	TRY("pread", fd, pread(fd, buf, sizeof(buf), 0));
	TRY("lseek", fd, lseek(fd, 0, SEEK_CUR));
	TRY("fsync", fd, fsync(fd));
	TRY("fdatasync", fd, fdatasync(fd));
	TRY("ftruncate", fd, ftruncate(fd, 0));
	TRY("fchmod", fd, fchmod(fd, 0600));
	TRY("fchdir", fd, fchdir(fd));
	TRY("flock", fd, flock(fd, LOCK_SH | LOCK_NB));
	TRY("dup", fd, dup(fd));
	TRY("dup2", fd, dup2(fd, fd));
	/* A copy of a descriptor that is not open fails, and leaves fd as it
	 * was. */
	TRY("dup2 onto", fd, dup2(RANGE_FIRST - 1, fd));
	TRY("fcntl F_DUPFD", fd, fcntl(fd, F_DUPFD, 0));
	TRY("fcntl F_GETFL", fd, fcntl(fd, F_GETFL));
	TRY("fcntl F_SETFD", fd, fcntl(fd, F_SETFD, 0));
	TRY("fstat", fd, fstat(fd, &st));
	TRY("fstatat empty", fd, fstatat(fd, "", &st, AT_EMPTY_PATH));
	TRY("fstatat relative", fd, fstatat(fd, "x", &st, 0));
	TRY("statx empty", fd, statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &stx));
	TRY("openat relative", fd, openat(fd, "x", O_RDONLY));
	TRY("mkdirat relative", fd, mkdirat(fd, "x", 0700));
	TRY("readlinkat empty", fd, readlinkat(fd, "", buf, sizeof(buf)));
	TRY("send", fd, send(fd, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT));
	TRY("recv", fd, recv(fd, buf, sizeof(buf), MSG_DONTWAIT));
	TRY("shutdown", fd, shutdown(fd, SHUT_RDWR));
	TRY("sendfile from", fd, sendfile(STDERR_FILENO, fd, NULL, 1));
	TRY_ERR("posix_fallocate", fd, posix_fallocate(fd, 0, 1));
	TRY_PTR("fdopen", fd, fdopen(fd, "r"));
	TRY_PTR("fdopendir", fd, fdopendir(fd));
	TRY("close", fd, close(fd));
	/* An absolute path does not look at dirfd: the call succeeds. */
	calls++;
	if (fstatat(fd, "/", &st, 0) != 0)
		printf("fstatat absolute(%d): errno %d\n", fd, errno);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ownfd DIR\n");
		return 2;
	}
	dir = argv[1];
	/* Where the library's socket showed, read() of it would wait for data
	 * that never comes: the alarm ends such a run, which then fails,
	 * rather than leaving it hanging. */
	alarm(60);
	long max = sysconf(_SC_OPEN_MAX);
	CHECK(max > RANGE_LAST);
	printf("descriptors: %ld\n", max);
	list_open("fstat", max, fstat_open);
	list_open("fcntl", max, getfd_open);
	fflush(stdout);
	for (int fd = RANGE_FIRST; fd <= RANGE_LAST; fd++)
		try_calls(fd);
	printf("calls: %ld\n", calls);
	list_open("after", max, fstat_open);
	fflush(stdout);
	int done = open(in_dir("done"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(done >= 0);
	CHECK(write(done, "done\n", 5) == 5);
	CHECK(close(done) == 0);
	return 0;
}
