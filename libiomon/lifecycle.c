/*
 * A process's START and STOP records.
 *
 * START is made when the library starts in a process: at start-up (a new
 * program, also after a successful exec) and in the child of fork().  s1 is
 * the command line, s2 the parent's pid.  STOP is made once, as the process
 * ends through exit(), _exit() or a return from main(): s2 is the exit
 * status, and the duration the time since START.  A process killed by a
 * signal has no STOP.
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core.h"
#include "iomon.h"

#define STATUS_UNKNOWN INT32_MIN

static uint64_t started;	/* a stamp (iomon.h) */
static _Atomic int exit_status = STATUS_UNKNOWN;
static _Atomic bool stopped;

/* The command line, arguments joined by spaces.  Read while the process is
 * single-threaded (start-up, fork child): the descriptor it takes for a
 * moment cannot be one the program expects to get. */
static size_t read_cmdline(char *buf, size_t size)
{
	int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	long n;

	if (fd < 0)
		return 0;
	n = syscall(SYS_read, fd, buf, size);
	syscall(SYS_close, fd);
	if (n <= 0)
		return 0;
	while (n > 0 && buf[n - 1] == '\0')
		n--;
	for (long i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	return (size_t)n;
}

void iomon_lifecycle_start(void)
{
	char cmdline[IOMON_STRING_MAX];
	struct iomon_call call = {
		.rec = { .domain = IOMON_DOMAIN_START_STOP, .op = IOMON_OP_START, .fd = -1 },
	};

	started = iomon_clock_ns();
	atomic_store(&exit_status, STATUS_UNKNOWN);
	atomic_store(&stopped, false);
	if (!iomon_on() || !iomon_wants(IOMON_DOMAIN_START_STOP))
		return;
	call.rec.s1 = (struct iomon_str){ .ptr = cmdline,
					  .len = (uint32_t)read_cmdline(cmdline, sizeof(cmdline)) };
	call.rec.s2 = iomon_str_c(iomon_int_str(getppid(), call.s2buf));
	call.t0 = iomon_clock_ns();
	iomon_call_end(&call, 0);
}

void iomon_note_exit_status(int status)
{
	atomic_store(&exit_status, status);
}

void iomon_stop(void)
{
	struct iomon_call call = {
		.rec = { .domain = IOMON_DOMAIN_START_STOP, .op = IOMON_OP_STOP, .fd = -1 },
	};
	int status = atomic_load(&exit_status);

	if (atomic_exchange(&stopped, true) || !iomon_on() ||
	    !iomon_wants(IOMON_DOMAIN_START_STOP))
		return;
	if (status != STATUS_UNKNOWN)
		call.rec.s2 = iomon_str_c(iomon_int_str(status, call.s2buf));
	call.t0 = started;
	iomon_call_end(&call, 0);
}

/*
 * main()'s return value is the exit status of most programs, and it reaches
 * exit() inside the C library, where no wrapper sees it.  So the library
 * stands between __libc_start_main and main, as tracing tools do.
 */
typedef int main_fn(int, char **, char **);

static main_fn *real_main;

static int main_returning_status(int argc, char **argv, char **envp)
{
	int status = real_main(argc, argv, envp);

	iomon_note_exit_status(status);
	return status;
}

IOMON_EXPORT int __libc_start_main(main_fn *main, int argc, char **argv, void (*init)(void),
				   void (*fini)(void), void (*rtld_fini)(void), void *stack_end);

IOMON_EXPORT int __libc_start_main(main_fn *main, int argc, char **argv, void (*init)(void),
				   void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
	static int (*real)(main_fn *, int, char **, void (*)(void), void (*)(void),
			   void (*)(void), void *);

	iomon_resolve((void **)&real, "__libc_start_main");
	real_main = main;
	return real(main_returning_status, argc, argv, init, fini, rtld_fini, stack_end);
}
