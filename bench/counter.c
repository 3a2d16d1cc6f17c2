/*
 * libcounter.so: the benchmark's reference interposer.
 *
 * A preload library that only counts the workload's calls, as cheaply as
 * counting can be done: a per-thread counter (initial-exec TLS, no atomic
 * instruction), the real function resolved once, nothing else.  With
 * COUNTER_CLOCK=1 in the environment it also times each call with two
 * clock_gettime(CLOCK_MONOTONIC) readings and adds up the durations, as
 * the preload tools that count and time calls do.  What it adds to a call
 * without the clock is what interposing alone costs on the machine the
 * benchmark runs on: the floor under any preload tool, iomon included
 * (bench/run.py shows it beside iomon's figures).  Its wrappers return
 * with a `ret`, as those tools' do, not with iomon's jump
 * (libiomon/jump_return.c); without the clock the real call is a tail
 * call (but open's, whose variadic frame keeps it from being one), and no
 * wrapper's return is left to mispredict.
 *
 * It wraps what the workload calls (bench/workload.c), under both names
 * the C library has for each (open and open64, and so on); it is built as
 * libiomon.so is, without the large-file renaming of open() to open64().
 * At exit it prints "counter_calls N" (and "counter_ns N", the summed
 * durations, 0 without the clock) on standard output, which run.py checks
 * against the wrapped calls the workload says it made: the reference must
 * have seen every one.  The counts are the exiting thread's; the workload
 * has one.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define EXPORT __attribute__((visibility("default")))

enum { F_OPEN, F_CLOSE, F_READ, F_WRITE, F_FSTAT, F_UNLINK, F_PREAD, F_PWRITE, F_COUNT };

static const char *const names[F_COUNT] = {
	[F_OPEN] = "open64", [F_CLOSE] = "close", [F_READ] = "read", [F_WRITE] = "write",
	[F_FSTAT] = "fstat64", [F_UNLINK] = "unlink", [F_PREAD] = "pread64",
	[F_PWRITE] = "pwrite64",
};

static void *real[F_COUNT];
static bool timed;
static __thread uint64_t calls, total_ns;

__attribute__((constructor)) static void counter_init(void)
{
	for (int i = 0; i < F_COUNT; i++) {
		real[i] = dlsym(RTLD_NEXT, names[i]);
		if (!real[i]) {
			fprintf(stderr, "libcounter.so: no %s in the C library\n", names[i]);
			_exit(127);
		}
	}
	const char *clock = getenv("COUNTER_CLOCK");
	timed = clock && clock[0] == '1' && !clock[1];
}

__attribute__((destructor)) static void counter_fini(void)
{
	dprintf(STDOUT_FILENO, "counter_calls %" PRIu64 "\ncounter_ns %" PRIu64 "\n", calls,
		total_ns);
}

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Every wrapper: count; call the real function, timed if asked. */
#define COUNTED(RET, CALL)                                       \
	do {                                                     \
		calls++;                                         \
		if (!timed)                                      \
			return CALL;                             \
		uint64_t t0 = now_ns();                          \
		RET ret = CALL;                                  \
		total_ns += now_ns() - t0;                       \
		return ret;                                      \
	} while (0)

/* A wrapper of a function with a fixed argument list, under one name. */
#define WRAPPER(RET, NAME, F, PARAMS, ARGS) \
	EXPORT RET NAME PARAMS              \
	{                                   \
		COUNTED(RET, ((RET(*) PARAMS)real[F]) ARGS); \
	}

/* Both names of a function that has two (64-bit offsets either way on
 * the machines this builds for), and those that have one. */
WRAPPER(int, fstat, F_FSTAT, (int fd, struct stat *st), (fd, st))
WRAPPER(int, fstat64, F_FSTAT, (int fd, struct stat64 *st), (fd, st))
WRAPPER(ssize_t, pread, F_PREAD, (int fd, void *buf, size_t n, off_t off), (fd, buf, n, off))
WRAPPER(ssize_t, pread64, F_PREAD, (int fd, void *buf, size_t n, off64_t off), (fd, buf, n, off))
WRAPPER(ssize_t, pwrite, F_PWRITE, (int fd, const void *buf, size_t n, off_t off),
	(fd, buf, n, off))
WRAPPER(ssize_t, pwrite64, F_PWRITE, (int fd, const void *buf, size_t n, off64_t off),
	(fd, buf, n, off))
WRAPPER(int, close, F_CLOSE, (int fd), (fd))
WRAPPER(ssize_t, read, F_READ, (int fd, void *buf, size_t n), (fd, buf, n))
WRAPPER(ssize_t, write, F_WRITE, (int fd, const void *buf, size_t n), (fd, buf, n))
WRAPPER(int, unlink, F_UNLINK, (const char *path), (path))

/* open(2) reads a mode only when it may create a file. */
EXPORT int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	if (flags & O_CREAT || (flags & O_TMPFILE) == O_TMPFILE) {
		va_list ap;
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	COUNTED(int, ((int (*)(const char *, int, ...))real[F_OPEN])(path, flags, mode));
}

EXPORT int open64(const char *path, int flags, ...) __attribute__((alias("open")));
