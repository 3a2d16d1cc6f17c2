/*
 * The sync domain's calls, one scenario per run:
 *   sync_calls DIR SCENARIO
 * and prints its pid.  Every result is checked here too (exit 1 on a
 * mismatch), so a wrapper that changed one fails the run whatever the
 * records say.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdio_ext.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

/* The old name glibc still exports for fflush; no header declares it. */
int _IO_fflush(FILE *stream);

/* A descriptor's data and metadata onto the storage; then the same calls
 * on a descriptor that cannot be synced, and on none. */
static void descriptors(void)
{
	int fd = open(in_dir("a.txt"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd == 3);
	CHECK(write(fd, "data", 4) == 4);
	CHECK(fsync(fd) == 0);
	CHECK(fdatasync(fd) == 0);
	CHECK(syncfs(fd) == 0);
	CHECK(sync_file_range(fd, 0, 4, SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER) == 0);
	CHECK(sync_file_range(fd, 2, 0, SYNC_FILE_RANGE_WRITE) == 0);
	sync();
	CHECK(close(fd) == 0);

	int null = open("/dev/null", O_WRONLY);
	CHECK(null == 3);
	errno = 0;
	CHECK(fsync(null) == -1 && errno == EINVAL);
	CHECK(fdatasync(null) == -1 && errno == EINVAL);
	CHECK(sync_file_range(null, 0, 1, SYNC_FILE_RANGE_WRITE) == -1 && errno == ESPIPE);
	CHECK(close(null) == 0);
	CHECK(fsync(-1) == -1 && errno == EBADF);
	CHECK(syncfs(-1) == -1 && errno == EBADF);
}

/* A file mapped into memory, written there, and synced. */
static void mapped(void)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd = open(in_dir("m.bin"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd == 3);
	CHECK(pwrite(fd, "", 1, 2 * page - 1) == 1);
	char *map = mmap(NULL, (size_t)(2 * page), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	memcpy(map, "mapped", 6);
	CHECK(msync(map, (size_t)(2 * page), MS_SYNC) == 0);
	CHECK(msync(map, 6, MS_ASYNC) == 0);
	errno = 0;
	CHECK(msync(map + 1, 6, MS_SYNC) == -1 && errno == EINVAL);
	CHECK(munmap(map, (size_t)(2 * page)) == 0);
	CHECK(close(fd) == 0);
}

/* Streams: their buffers flushed one by one, all at once, and into a
 * device that refuses them. */
static void streams(void)
{
	FILE *f = fopen(in_dir("b.txt"), "w");
	CHECK(f && fileno(f) == 3);
	CHECK(fwrite("abc", 1, 3, f) == 3);
	CHECK(fflush(f) == 0);
	CHECK(fwrite("def", 1, 3, f) == 3);
	CHECK(fflush_unlocked(f) == 0);
	CHECK(fwrite("ghi", 1, 3, f) == 3);
	CHECK(_IO_fflush(f) == 0);
	CHECK(fflush(NULL) == 0);
	CHECK(fclose(f) == 0);

	FILE *full = fopen("/dev/full", "w");
	CHECK(full && fileno(full) == 3);
	CHECK(fwrite("x", 1, 1, full) == 1);
	errno = 0;
	CHECK(fflush(full) == EOF && errno == ENOSPC);
	/* What could not be written is dropped, or closing would fail too. */
	__fpurge(full);
	CHECK(fclose(full) == 0);
}

/* Each way of flushing a stream, into a device that refuses the bytes. */
static void full(void)
{
	FILE *full = fopen("/dev/full", "w");
	CHECK(full && fileno(full) == 3);
	CHECK(fwrite("x", 1, 1, full) == 1);
	errno = 0;
	CHECK(fflush_unlocked(full) == EOF && errno == ENOSPC);
	CHECK(fwrite("y", 1, 1, full) == 1);
	errno = 0;
	CHECK(_IO_fflush(full) == EOF && errno == ENOSPC);
	__fpurge(full);
	CHECK(fclose(full) == 0);
}

static const struct scenario scenarios[] = {
	{ "descriptors", descriptors },
	{ "mapped", mapped },
	{ "streams", streams },
	{ "full", full },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
