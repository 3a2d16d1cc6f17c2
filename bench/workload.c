/*
 * The benchmark's workload: a loop of I/O calls whose cost is measured
 * from inside, so that neither the process's start-up nor iomon's counts.
 *
 *   workload MODE N DIR
 *
 * MODE smallfiles: N times, in DIR, open a file (O_CREAT|O_WRONLY|O_TRUNC),
 * write 100 bytes, close it, open it again, read it, fstat it, close it,
 * unlink it.
 * MODE preadwrite: one 4 KiB file in DIR; N times pread then pwrite its
 * 4096 bytes.
 *
 * It prints, a "key value" line each: its pid; the loop's time in ns, wall
 * clock, CPU time of the process and of its own thread; the I/O calls made in the loop; and how many of all
 * the calls it made (loop, set-up and clean-up) went to a wrapper, which is
 * the number of records iomon must deliver for this pid.  Whether a call
 * is wrapped is asked of the dynamic linker (dladdr), not assumed: the
 * library's domains are chosen at build time, and a stat or unlink wrapper
 * may or may not be there.  Its own output goes through printf, which
 * calls no wrapped function.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <gnu/libc-version.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SMALL_FILE_BYTES 100
#define BLOCK_BYTES 4096

/* One function the workload calls: how often, and where it resolved. */
struct io_fn {
	const char *name;
	void *addr;
	uint64_t per_iteration;
	uint64_t outside_loop;	/* set-up and clean-up */
};

enum { FN_OPEN, FN_CLOSE, FN_READ, FN_WRITE, FN_FSTAT, FN_UNLINK, FN_PREAD, FN_PWRITE, FN_COUNT };

/* The addresses are those the program's own calls go to: with the
 * library preloaded, its wrappers.  The headers may rename a function
 * (open to open64 with large-file offsets); the address follows. */
static struct io_fn fns[FN_COUNT] = {
	[FN_OPEN] = { "open", (void *)open, 0, 0 },
	[FN_CLOSE] = { "close", (void *)close, 0, 0 },
	[FN_READ] = { "read", (void *)read, 0, 0 },
	[FN_WRITE] = { "write", (void *)write, 0, 0 },
	[FN_FSTAT] = { "fstat", (void *)fstat, 0, 0 },
	[FN_UNLINK] = { "unlink", (void *)unlink, 0, 0 },
	[FN_PREAD] = { "pread", (void *)pread, 0, 0 },
	[FN_PWRITE] = { "pwrite", (void *)pwrite, 0, 0 },
};

static char buf[BLOCK_BYTES];

static void fail(const char *what, const char *path)
{
	perror(what);
	fprintf(stderr, "workload: %s failed on %s\n", what, path);
	exit(1);
}

static uint64_t clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The loop's wall-clock time, the CPU time of all the process's threads
 * (the library's sender thread included) spent in it, and that of the
 * thread making the calls: on a loaded machine CPU time does not count the
 * time spent waiting for a CPU. */
struct span {
	uint64_t wall, cpu, thread_cpu;
};

static struct span span_begin(void)
{
	return (struct span){ clock_ns(CLOCK_MONOTONIC), clock_ns(CLOCK_PROCESS_CPUTIME_ID),
			      clock_ns(CLOCK_THREAD_CPUTIME_ID) };
}

static struct span span_end(struct span begin)
{
	uint64_t thread_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	uint64_t cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID);

	return (struct span){ clock_ns(CLOCK_MONOTONIC) - begin.wall, cpu - begin.cpu,
			      thread_cpu - begin.thread_cpu };
}

static struct span small_files(uint64_t n, const char *dir)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/small-%ld", dir, (long)getpid());
	fns[FN_OPEN].per_iteration = 2;
	fns[FN_CLOSE].per_iteration = 2;
	fns[FN_WRITE].per_iteration = 1;
	fns[FN_READ].per_iteration = 1;
	fns[FN_FSTAT].per_iteration = 1;
	fns[FN_UNLINK].per_iteration = 1;

	struct span t = span_begin();
	for (uint64_t i = 0; i < n; i++) {
		int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		if (fd < 0)
			fail("open", path);
		if (write(fd, buf, SMALL_FILE_BYTES) != SMALL_FILE_BYTES)
			fail("write", path);
		if (close(fd) != 0)
			fail("close", path);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			fail("open", path);
		if (read(fd, buf, sizeof(buf)) != SMALL_FILE_BYTES)
			fail("read", path);
		if (fstat(fd, &st) != 0 || st.st_size != SMALL_FILE_BYTES)
			fail("fstat", path);
		if (close(fd) != 0)
			fail("close", path);
		if (unlink(path) != 0)
			fail("unlink", path);
	}
	return span_end(t);
}

static struct span pread_pwrite(uint64_t n, const char *dir)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/block-%ld", dir, (long)getpid());
	fns[FN_OPEN].outside_loop = 1;
	fns[FN_PWRITE].outside_loop = 1;
	fns[FN_CLOSE].outside_loop = 1;
	fns[FN_UNLINK].outside_loop = 1;
	fns[FN_PREAD].per_iteration = 1;
	fns[FN_PWRITE].per_iteration = 1;

	int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
	if (fd < 0)
		fail("open", path);
	if (pwrite(fd, buf, BLOCK_BYTES, 0) != BLOCK_BYTES)
		fail("pwrite", path);

	struct span t = span_begin();
	for (uint64_t i = 0; i < n; i++) {
		if (pread(fd, buf, BLOCK_BYTES, 0) != BLOCK_BYTES)
			fail("pread", path);
		if (pwrite(fd, buf, BLOCK_BYTES, 0) != BLOCK_BYTES)
			fail("pwrite", path);
	}
	t = span_end(t);

	if (close(fd) != 0)
		fail("close", path);
	if (unlink(path) != 0)
		fail("unlink", path);
	return t;
}

/* The object a function's address lies in: the C library's, or another
 * (the preload library) whose wrapper it is. */
static const char *object_of(void *addr)
{
	Dl_info info;

	if (!dladdr(addr, &info) || !info.dli_fname)
		return "?";
	const char *base = strrchr(info.dli_fname, '/');
	return base ? base + 1 : info.dli_fname;
}

static int is_wrapped(void *addr)
{
	Dl_info mine, libc;

	if (!dladdr(addr, &mine) || !dladdr((void *)gnu_get_libc_version, &libc))
		return 0;
	return mine.dli_fbase != libc.dli_fbase;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: workload smallfiles|preadwrite N DIR\n");
		return 2;
	}
	char *end;
	uint64_t n = strtoull(argv[2], &end, 10);
	if (*end || !n) {
		fprintf(stderr, "workload: N must be a positive integer: %s\n", argv[2]);
		return 2;
	}

	struct span elapsed;
	if (strcmp(argv[1], "smallfiles") == 0) {
		elapsed = small_files(n, argv[3]);
	} else if (strcmp(argv[1], "preadwrite") == 0) {
		elapsed = pread_pwrite(n, argv[3]);
	} else {
		fprintf(stderr, "workload: unknown mode %s\n", argv[1]);
		return 2;
	}

	uint64_t loop_calls = 0, loop_wrapped = 0, wrapped = 0;
	printf("pid %ld\n", (long)getpid());
	printf("mode %s\n", argv[1]);
	printf("iterations %" PRIu64 "\n", n);
	printf("loop_ns %" PRIu64 "\n", elapsed.wall);
	printf("loop_cpu_ns %" PRIu64 "\n", elapsed.cpu);
	printf("loop_thread_cpu_ns %" PRIu64 "\n", elapsed.thread_cpu);
	for (int i = 0; i < FN_COUNT; i++) {
		const struct io_fn *f = &fns[i];
		uint64_t in_loop = f->per_iteration * n;
		uint64_t all = in_loop + f->outside_loop;
		if (!all)
			continue;
		loop_calls += in_loop;
		if (is_wrapped(f->addr)) {
			loop_wrapped += in_loop;
			wrapped += all;
		}
		printf("function %s %" PRIu64 " %" PRIu64 " %s\n", f->name, all, in_loop,
		       object_of(f->addr));
	}
	printf("loop_calls %" PRIu64 "\n", loop_calls);
	printf("loop_wrapped_calls %" PRIu64 "\n", loop_wrapped);
	printf("wrapped_calls %" PRIu64 "\n", wrapped);
	return 0;
}
