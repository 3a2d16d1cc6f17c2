/*
 * The seek domain's calls, one scenario per run:
 *   seek_calls DIR SCENARIO
 * Prints its pid, then the kernel's name of the pipe it makes (the test
 * cannot know it in advance).  Every result is checked here too (exit 1 on
 * a mismatch), so a wrapper that changed one fails the run whatever the
 * records say.
 */
/* Both lseek() and lseek64() (and the other pairs) are called by name:
 * Meson's large-file define would turn the first into the second. */
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

/* The old name glibc still exports for lseek; no header declares it. */
off_t __lseek(int fd, off_t offset, int whence);

/* The name the kernel gives fd ("pipe:[1234]"), on a line of its own.  A
 * raw system call, so that no wrapper records it. */
static void print_fd_name(int fd)
{
	char link[64], name[4096];

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	long n = syscall(SYS_readlinkat, AT_FDCWD, link, name, sizeof(name) - 1);
	CHECK(n > 0);
	name[n] = '\0';
	printf("%s\n", name);
}

/* A descriptor's position, set from each origin, then refused. */
static void descriptors(void)
{
	int fd = open(in_dir("s.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd == 3);
	CHECK(write(fd, "0123456789", 10) == 10);
	CHECK(lseek(fd, 2, SEEK_SET) == 2);
	CHECK(lseek64(fd, 3, SEEK_CUR) == 5);
	CHECK(__lseek(fd, -4, SEEK_END) == 6);
	CHECK(lseek(fd, 0, SEEK_DATA) == 0);
	CHECK(lseek64(fd, 0, SEEK_HOLE) == 10);
	errno = 0;
	CHECK(lseek(fd, -1, SEEK_SET) == -1 && errno == EINVAL);
	CHECK(lseek64(fd, -20, SEEK_CUR) == -1 && errno == EINVAL);
	CHECK(__lseek(fd, 0, 99) == -1 && errno == EINVAL);
	CHECK(lseek(-1, 0, SEEK_END) == -1 && errno == EBADF);
	CHECK(close(fd) == 0);
}

/* A stream's position under every name, then refused. */
static void streams(void)
{
	fpos_t pos;
	fpos64_t pos64;

	FILE *f = fopen(in_dir("t.txt"), "w+");
	CHECK(f && fileno(f) == 3);
	CHECK(fwrite("0123456789", 1, 10, f) == 10);
	CHECK(fseek(f, 2, SEEK_SET) == 0);
	CHECK(ftell(f) == 2);
	CHECK(fseeko(f, 3, SEEK_CUR) == 0);
	CHECK(ftello(f) == 5);
	CHECK(fseeko64(f, -1, SEEK_END) == 0);
	CHECK(ftello64(f) == 9);
	CHECK(fgetpos(f, &pos) == 0);
	rewind(f);
	CHECK(fgetpos64(f, &pos64) == 0);
	CHECK(fsetpos(f, &pos) == 0 && ftell(f) == 9);
	CHECK(fseek(f, 4, SEEK_SET) == 0);
	CHECK(fsetpos64(f, &pos64) == 0);
	errno = 0;
	CHECK(fseek(f, -1, SEEK_SET) == -1 && errno == EINVAL);
	CHECK(fseeko(f, -100, SEEK_CUR) == -1 && errno == EINVAL);
	CHECK(fseeko64(f, 0, 99) == -1 && errno == EINVAL);
	CHECK(fclose(f) == 0);
}

/* Positions of a pipe, which has none. */
static void pipes(void)
{
	int p[2];
	fpos_t pos;
	fpos64_t pos64;

	CHECK(pipe(p) == 0 && p[0] == 3);
	print_fd_name(p[0]);
	FILE *f = fdopen(p[0], "r");
	CHECK(f);
	errno = 0;
	CHECK(lseek(p[0], 0, SEEK_CUR) == -1 && errno == ESPIPE);
	CHECK(ftell(f) == -1 && errno == ESPIPE);
	CHECK(ftello(f) == -1 && errno == ESPIPE);
	CHECK(ftello64(f) == -1 && errno == ESPIPE);
	CHECK(fgetpos(f, &pos) == -1 && errno == ESPIPE);
	CHECK(fgetpos64(f, &pos64) == -1 && errno == ESPIPE);
	CHECK(fseek(f, 0, SEEK_SET) == -1 && errno == ESPIPE);
	/* The start of a file, as a zeroed fpos_t is. */
	memset(&pos, 0, sizeof(pos));
	memset(&pos64, 0, sizeof(pos64));
	CHECK(fsetpos(f, &pos) == -1 && errno == ESPIPE);
	CHECK(fsetpos64(f, &pos64) == -1 && errno == ESPIPE);
	CHECK(fclose(f) == 0 && close(p[1]) == 0);
}

static const struct scenario scenarios[] = {
	{ "descriptors", descriptors },
	{ "streams", streams },
	{ "pipes", pipes },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
