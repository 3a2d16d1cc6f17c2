/*
 * The space domain's calls, one scenario per run:
 *   space_calls DIR SCENARIO
 * and prints its pid.  Every result is checked here too (exit 1 on a
 * mismatch), so a wrapper that changed one fails the run whatever the
 * records say.
 */
/* Both fallocate() and fallocate64() (and the other pairs) are called by
 * name: Meson's large-file define would turn the first into the second. */
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static off_t size_of(int fd)
{
	struct stat st;

	CHECK(fstat(fd, &st) == 0);
	return st.st_size;
}

/* Room allocated, each way. */
static void allocate(void)
{
	int fd = open(in_dir("f.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd == 3);
	CHECK(fallocate(fd, 0, 0, 4096) == 0 && size_of(fd) == 4096);
	CHECK(fallocate64(fd, FALLOC_FL_KEEP_SIZE, 4096, 8192) == 0 && size_of(fd) == 4096);
	/* posix_fallocate returns its error: errno is the caller's still. */
	errno = EDOM;
	CHECK(posix_fallocate(fd, 0, 5000) == 0 && size_of(fd) == 5000);
	CHECK(posix_fallocate64(fd, 1000, 6000) == 0 && size_of(fd) == 7000);
	CHECK(errno == EDOM);

	int ro = open(in_dir("f.bin"), O_RDONLY);
	CHECK(ro == 4);
	errno = 0;
	CHECK(fallocate(ro, 0, 0, 10) == -1 && errno == EBADF);
	CHECK(fallocate64(-1, 0, 0, 10) == -1 && errno == EBADF);
	errno = EDOM;
	CHECK(posix_fallocate(ro, 0, 10) == EBADF);
	CHECK(posix_fallocate64(fd, 0, 0) == EINVAL);
	CHECK(errno == EDOM);
	CHECK(close(ro) == 0 && close(fd) == 0);
}

/* Sizes set by path and by descriptor. */
static void truncate_calls(void)
{
	const char *path = in_dir("t.bin");
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd == 3);
	CHECK(ftruncate(fd, 10) == 0 && size_of(fd) == 10);
	CHECK(ftruncate64(fd, 20) == 0 && size_of(fd) == 20);
	CHECK(truncate(path, 30) == 0 && size_of(fd) == 30);
	CHECK(truncate64(path, 0) == 0 && size_of(fd) == 0);

	int ro = open(path, O_RDONLY);
	CHECK(ro == 4);
	errno = 0;
	CHECK(ftruncate(ro, 5) == -1 && errno == EINVAL);
	CHECK(ftruncate64(fd, -1) == -1 && errno == EINVAL);
	CHECK(truncate(in_dir("missing"), 0) == -1 && errno == ENOENT);
	CHECK(truncate64(path, -5) == -1 && errno == EINVAL);
	CHECK(close(ro) == 0 && close(fd) == 0);
}

static const struct scenario scenarios[] = {
	{ "allocate", allocate },
	{ "truncate", truncate_calls },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
