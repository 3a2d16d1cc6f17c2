/*
 * The benchmark's workload: a loop of I/O calls whose cost is measured
 * from inside, so that neither the process's start-up nor iomon's counts.
 *
 *   workload MODE N DIR [ab]
 *
 * MODE smallfiles: N times, in DIR, open a file (O_CREAT|O_WRONLY|O_TRUNC),
 * write 100 bytes, close it, open it again, read it, fstat it, close it,
 * unlink it.
 * MODE preadwrite: one 4 KiB file in DIR; N times pread then pwrite its
 * 4096 bytes.
 * MODE openclose: one empty file in DIR; N times open it (O_RDONLY) and
 * close it: the two calls that keep the fd table, alone.
 * MODE nullcall: N times getppid(), as a system call (syscall(), which no
 * wrapper sees); DIR unused.  What entering and leaving the kernel costs
 * here, the floor every call pays: it tells one machine from another.
 *
 * It prints, a "key value" line each: its pid; the loop's time in ns, wall
 * clock, CPU time of the process and of its own thread; the page faults
 * its thread took in the loop (not with "ab"); the I/O calls made
 * in the loop; and how many of all the calls it made (loop, set-up and
 * clean-up) went to a wrapper, which is the number of records iomon must
 * deliver for this pid.  Whether a call is wrapped is asked of the dynamic
 * linker (dladdr), not assumed: the library's domains are chosen at build
 * time, and a stat or unlink wrapper may or may not be there.  Its own
 * output goes through printf, which calls no wrapped function.
 *
 * With "ab", the loop is timed against itself, within the one process:
 * blocks of AB_BLOCK iterations through the program's own calls (the
 * wrappers, if a library is preloaded) alternate with blocks of as many
 * iterations through the C library's functions called directly, which no
 * wrapper sees, N of each in all.  What each block pair differs by, per
 * call, shares the machine's state of the moment (its slow spells, its
 * other load), which two separate runs do not: the median of the pairs
 * pins what a wrapper adds to the calling thread within a few ns.  It
 * prints the sum of each kind's blocks, and that median with its 95%
 * confidence interval.  Run bare, both kinds are the same calls: the
 * median is then the method's own error.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <gnu/lib-names.h>
#include <gnu/libc-version.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SMALL_FILE_BYTES 100
#define BLOCK_BYTES 4096
#define AB_BLOCK 100

/* One function the workload calls: how often, and where it resolved. */
struct io_fn {
	const char *name;
	void *addr;
	uint64_t per_iteration;
	uint64_t outside_loop;	/* set-up and clean-up */
};

enum {
	FN_OPEN, FN_CLOSE, FN_READ, FN_WRITE, FN_FSTAT, FN_UNLINK, FN_PREAD, FN_PWRITE, FN_SYSCALL,
	FN_COUNT
};

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
	[FN_SYSCALL] = { "syscall", (void *)syscall, 0, 0 },
};

static char buf[BLOCK_BYTES];

/* The I/O calls of the loops: the program's own (own, which the compiler
 * makes direct calls of, the same as naming the functions), or the C
 * library's, looked up in it (direct; the "ab" loop). */
struct io_calls {
	int (*open)(const char *, int, ...);
	ssize_t (*write)(int, const void *, size_t);
	int (*close)(int);
	ssize_t (*read)(int, void *, size_t);
	int (*fstat)(int, struct stat *);
	int (*unlink)(const char *);
	ssize_t (*pread)(int, void *, size_t, off_t);
	ssize_t (*pwrite)(int, const void *, size_t, off_t);
};

static const struct io_calls own = { open, write, close, read, fstat, unlink, pread, pwrite };
static struct io_calls direct;

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
 * time spent waiting for a CPU.  And, timed once, the page faults the
 * calling thread took in it (a young ring's pages, unless the library's
 * sender made them present first). */
struct span {
	uint64_t wall, cpu, thread_cpu, thread_faults;
};

static uint64_t thread_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return (uint64_t)ru.ru_minflt;
}

static struct span span_begin(void)
{
	return (struct span){ .wall = clock_ns(CLOCK_MONOTONIC),
			      .cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID),
			      .thread_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID) };
}

static struct span span_end(struct span begin)
{
	uint64_t thread_cpu = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	uint64_t cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID);

	return (struct span){ .wall = clock_ns(CLOCK_MONOTONIC) - begin.wall,
			      .cpu = cpu - begin.cpu,
			      .thread_cpu = thread_cpu - begin.thread_cpu };
}

/* The "ab" loop's figures: the wall time of each kind's blocks, and the
 * per-call difference of a block pair (own less direct, in ns): its
 * median, and the bounds of that median's 95% confidence interval. */
static struct {
	uint64_t blocks, own_ns, direct_ns;
	double median, lo, hi;
} ab_result;

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The 95% interval of the median of m values: ranks m/2 -+ 0.98 sqrt(m)
 * (the normal approximation of the binomial; m is in the hundreds). */
static uint64_t interval_halfwidth(uint64_t m)
{
	uint64_t r = 0;

	while ((r + 1) * (r + 1) * 10000 <= m * 9604)	/* (0.98)^2 = 0.9604 */
		r++;
	return r + 1;
}

typedef void ab_block_fn(const struct io_calls *c, uint64_t n, const void *arg);

/* The I/O calls an iteration of the mode's loop makes, as its set-up
 * counted them in fns. */
static uint64_t calls_per_iteration(void)
{
	uint64_t calls = 0;

	for (int i = 0; i < FN_COUNT; i++)
		calls += fns[i].per_iteration;
	return calls;
}

/* n iterations through own and n through direct, in blocks of AB_BLOCK;
 * which kind goes first alternates from one pair to the next.  Returns
 * the span of the own blocks, summed. */
static struct span ab_loop(uint64_t n, ab_block_fn *block, const void *arg)
{
	uint64_t calls = calls_per_iteration();
	uint64_t blocks = (n + AB_BLOCK - 1) / AB_BLOCK;
	double *diff = malloc(blocks * sizeof(*diff));
	struct span sum = { 0 };

	if (!diff)
		fail("malloc", "the ab loop's figures");
	for (uint64_t b = 0; b < blocks; b++) {
		uint64_t k = b + 1 < blocks ? AB_BLOCK : n - b * AB_BLOCK;
		uint64_t own_ns = 0, direct_ns = 0;
		for (int half = 0; half < 2; half++) {
			bool is_own = (half ^ (int)(b & 1)) == 0;
			struct span t = span_begin();
			block(is_own ? &own : &direct, k, arg);
			t = span_end(t);
			if (is_own) {
				own_ns = t.wall;
				sum.wall += t.wall;
				sum.cpu += t.cpu;
				sum.thread_cpu += t.thread_cpu;
			} else {
				direct_ns = t.wall;
			}
		}
		ab_result.own_ns += own_ns;
		ab_result.direct_ns += direct_ns;
		diff[b] = ((double)own_ns - (double)direct_ns) / (double)(k * calls);
	}
	qsort(diff, blocks, sizeof(*diff), compare_doubles);
	uint64_t w = interval_halfwidth(blocks);
	ab_result.blocks = blocks;
	ab_result.median = diff[blocks / 2];
	ab_result.lo = diff[blocks / 2 > w ? blocks / 2 - w : 0];
	ab_result.hi = diff[blocks / 2 + w < blocks ? blocks / 2 + w : blocks - 1];
	free(diff);
	return sum;
}

/* A mode's loop, timed: against itself within the process (ab), or once
 * through the program's own calls.  Inlined, block with it, so that the
 * calls of the loop timed once stay direct calls, as in a program. */
static inline __attribute__((always_inline)) struct span
timed_loop(bool ab, uint64_t n, ab_block_fn *block, const void *arg)
{
	if (ab)
		return ab_loop(n, block, arg);
	uint64_t faults = thread_faults();
	struct span t = span_begin();
	block(&own, n, arg);
	t = span_end(t);
	t.thread_faults = thread_faults() - faults;
	return t;
}

/* The blocks of the loops: ab_block_fns, inlined where the loop is timed
 * once (timed_loop), and called through a pointer by ab_loop(). */
static inline __attribute__((always_inline)) void small_files_block(const struct io_calls *c,
								    uint64_t n, const void *arg)
{
	const char *path = arg;
	struct stat st;

	for (uint64_t i = 0; i < n; i++) {
		int fd = c->open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
		if (fd < 0)
			fail("open", path);
		if (c->write(fd, buf, SMALL_FILE_BYTES) != SMALL_FILE_BYTES)
			fail("write", path);
		if (c->close(fd) != 0)
			fail("close", path);
		fd = c->open(path, O_RDONLY);
		if (fd < 0)
			fail("open", path);
		if (c->read(fd, buf, sizeof(buf)) != SMALL_FILE_BYTES)
			fail("read", path);
		if (c->fstat(fd, &st) != 0 || st.st_size != SMALL_FILE_BYTES)
			fail("fstat", path);
		if (c->close(fd) != 0)
			fail("close", path);
		if (c->unlink(path) != 0)
			fail("unlink", path);
	}
}

static struct span small_files(uint64_t n, const char *dir, bool ab)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/small-%ld", dir, (long)getpid());
	fns[FN_OPEN].per_iteration = 2;
	fns[FN_CLOSE].per_iteration = 2;
	fns[FN_WRITE].per_iteration = 1;
	fns[FN_READ].per_iteration = 1;
	fns[FN_FSTAT].per_iteration = 1;
	fns[FN_UNLINK].per_iteration = 1;

	return timed_loop(ab, n, small_files_block, path);
}

struct block_file {
	int fd;
	const char *path;
};

static inline __attribute__((always_inline)) void pread_pwrite_block(const struct io_calls *c,
								     uint64_t n, const void *arg)
{
	const struct block_file *f = arg;

	for (uint64_t i = 0; i < n; i++) {
		if (c->pread(f->fd, buf, BLOCK_BYTES, 0) != BLOCK_BYTES)
			fail("pread", f->path);
		if (c->pwrite(f->fd, buf, BLOCK_BYTES, 0) != BLOCK_BYTES)
			fail("pwrite", f->path);
	}
}

static struct span pread_pwrite(uint64_t n, const char *dir, bool ab)
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

	const struct block_file file = { fd, path };
	struct span t = timed_loop(ab, n, pread_pwrite_block, &file);

	if (close(fd) != 0)
		fail("close", path);
	if (unlink(path) != 0)
		fail("unlink", path);
	return t;
}

static inline __attribute__((always_inline)) void open_close_block(const struct io_calls *c,
								   uint64_t n, const void *arg)
{
	const char *path = arg;

	for (uint64_t i = 0; i < n; i++) {
		int fd = c->open(path, O_RDONLY);
		if (fd < 0)
			fail("open", path);
		if (c->close(fd) != 0)
			fail("close", path);
	}
}

static struct span open_close(uint64_t n, const char *dir, bool ab)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/openclose-%ld", dir, (long)getpid());
	fns[FN_OPEN].outside_loop = 1;
	fns[FN_CLOSE].outside_loop = 1;
	fns[FN_UNLINK].outside_loop = 1;
	fns[FN_OPEN].per_iteration = 1;
	fns[FN_CLOSE].per_iteration = 1;

	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0 || close(fd) != 0)
		fail("creating", path);

	struct span t = timed_loop(ab, n, open_close_block, path);

	if (unlink(path) != 0)
		fail("unlink", path);
	return t;
}

static inline __attribute__((always_inline)) void null_call_block(const struct io_calls *c,
								  uint64_t n, const void *arg)
{
	(void)c;
	(void)arg;
	for (uint64_t i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static struct span null_call(uint64_t n)
{
	fns[FN_SYSCALL].per_iteration = 1;
	return timed_loop(false, n, null_call_block, NULL);
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

/* The C library's function that the program's call at addr goes to, or
 * would go to without a preloaded wrapper: the same name, looked up in the
 * C library itself. */
static void *libc_function(void *libc, void *addr)
{
	Dl_info info;

	if (!dladdr(addr, &info) || !info.dli_sname)
		fail("dladdr", "a function of the loop");
	void *fn = dlsym(libc, info.dli_sname);
	if (!fn || is_wrapped(fn))
		fail("dlsym", info.dli_sname);
	return fn;
}

static void find_direct_calls(void)
{
	void *libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);

	if (!libc)
		fail("dlopen", LIBC_SO);
	direct.open = libc_function(libc, (void *)own.open);
	direct.write = libc_function(libc, (void *)own.write);
	direct.close = libc_function(libc, (void *)own.close);
	direct.read = libc_function(libc, (void *)own.read);
	direct.fstat = libc_function(libc, (void *)own.fstat);
	direct.unlink = libc_function(libc, (void *)own.unlink);
	direct.pread = libc_function(libc, (void *)own.pread);
	direct.pwrite = libc_function(libc, (void *)own.pwrite);
}

int main(int argc, char **argv)
{
	if (argc < 4 || argc > 5 || (argc == 5 && strcmp(argv[4], "ab") != 0)) {
		fprintf(stderr, "usage: workload smallfiles|preadwrite|openclose|nullcall N DIR [ab]\n");
		return 2;
	}
	bool ab = argc == 5;
	char *end;
	uint64_t n = strtoull(argv[2], &end, 10);
	if (*end || !n) {
		fprintf(stderr, "workload: N must be a positive integer: %s\n", argv[2]);
		return 2;
	}

	struct span elapsed;
	if (ab)
		find_direct_calls();
	if (strcmp(argv[1], "smallfiles") == 0) {
		elapsed = small_files(n, argv[3], ab);
	} else if (strcmp(argv[1], "preadwrite") == 0) {
		elapsed = pread_pwrite(n, argv[3], ab);
	} else if (strcmp(argv[1], "openclose") == 0) {
		elapsed = open_close(n, argv[3], ab);
	} else if (strcmp(argv[1], "nullcall") == 0) {
		if (ab) {
			fprintf(stderr, "workload: nullcall makes no wrapped call: no ab\n");
			return 2;
		}
		elapsed = null_call(n);
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
	if (!ab)
		printf("loop_thread_faults %" PRIu64 "\n", elapsed.thread_faults);
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
	if (ab) {
		printf("ab_blocks %" PRIu64 "\n", ab_result.blocks);
		printf("ab_own_ns %" PRIu64 "\n", ab_result.own_ns);
		printf("ab_direct_ns %" PRIu64 "\n", ab_result.direct_ns);
		printf("ab_added_ns %.2f\n", ab_result.median);
		printf("ab_added_lo_ns %.2f\n", ab_result.lo);
		printf("ab_added_hi_ns %.2f\n", ab_result.hi);
	}
	return 0;
}
