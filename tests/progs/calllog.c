/*
 * The call log: each call a test program makes of a function iomon wraps,
 * written down with what it returned and errno after it, so that a run
 * without iomon and a run under it can be compared call by call
 * (tests/e2e/test_transparency.c).
 *
 * The programs are linked with --wrap=NAME for every row of the compiled-in
 * domain tables (wrap_flags.c makes the list): their calls of NAME reach
 * __wrap_NAME here, generated from the same row, which calls __real_NAME
 * (the C library's NAME, or under iomon the library's wrapper of it).  The
 * linker works on the symbol a call names, so the log names the function
 * actually called: open64 where the headers turned open into open64,
 * __getdelim where they made getline inline.
 *
 * With IOMON_CALL_LOG=FILE in the environment, each call appends a line
 *     TAG PID NAME RESULT ERRNO
 * TAG names the process the same way in every run: "1" the program, "1.2"
 * the child of its second fork(), a "v" added in a vfork() child; RESULT is
 * the value returned ("ptr" or "NULL" for a pointer, "-" for none), ERRNO
 * errno after the call.  Calls that do not return (exit) are logged before.
 * Without it, calls pass straight through.  The log is written with raw
 * system calls on a descriptor of its own (700 or above), so it makes no
 * record and changes no descriptor number the program sees.  It is meant
 * for single-threaded programs: threads' lines would interleave as they
 * were scheduled.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

#include "calllog.h"

#define LOG_FD_FLOOR 700

static const char *log_path;
static int log_fd = -1;
static pid_t self;		/* the process TAG names; another pid is a vfork child */
static char tag[64] = "1";
static unsigned forks;		/* fork() calls this process made */

/* The log, open on a descriptor of its own; opened again if the program
 * closed it (closefrom). */
static int log_open(void)
{
	if (log_fd >= 0 && syscall(SYS_fcntl, log_fd, F_GETFD) >= 0)
		return log_fd;
	int fd = (int)syscall(SYS_openat, AT_FDCWD, log_path,
			      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	log_fd = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, LOG_FD_FLOOR);
	syscall(SYS_close, fd);
	return log_fd;
}

__attribute__((constructor)) static void log_start(void)
{
	log_path = getenv("IOMON_CALL_LOG");
	self = (pid_t)syscall(SYS_getpid);
	if (log_path && log_open() < 0) {
		static const char msg[] = "calllog: cannot open IOMON_CALL_LOG\n";
		syscall(SYS_write, 2, msg, sizeof(msg) - 1);
		syscall(SYS_exit_group, 99);
	}
}

/* One line; a log that cannot be written ends the run, loudly, rather than
 * let a comparison pass on fewer lines. */
static void log_line(const char *name, const char *result, int err)
{
	char line[256];
	pid_t pid = (pid_t)syscall(SYS_getpid);

	if (strcmp(name, "fork") == 0 && strcmp(result, "0") == 0 && pid != self) {
		/* The child of a fork: a name of its own, from its parent's. */
		size_t len = strlen(tag);
		snprintf(tag + len, sizeof(tag) - len, ".%u", forks + 1);
		forks = 0;
		self = pid;
	} else if (strcmp(name, "fork") == 0) {
		forks++;
	}
	int n = snprintf(line, sizeof(line), "%s%s %d %s %s %d\n", tag, pid != self ? "v" : "",
			 (int)pid, name, result, err);
	if (log_open() < 0 || syscall(SYS_write, log_fd, line, (size_t)n) != n) {
		static const char msg[] = "calllog: cannot write IOMON_CALL_LOG\n";
		syscall(SYS_write, 2, msg, sizeof(msg) - 1);
		syscall(SYS_exit_group, 99);
	}
}

void calllog_signed(const char *name, long long result)
{
	int err = errno;

	if (log_path) {
		char text[24];
		snprintf(text, sizeof(text), "%lld", result);
		log_line(name, text, err);
	}
	errno = err;
}

void calllog_unsigned(const char *name, unsigned long long result)
{
	int err = errno;

	if (log_path) {
		char text[24];
		snprintf(text, sizeof(text), "%llu", result);
		log_line(name, text, err);
	}
	errno = err;
}

void calllog_pointer(const char *name, const void *result)
{
	int err = errno;

	if (log_path)
		log_line(name, result ? "ptr" : "NULL", err);
	errno = err;
}

void calllog_none(const char *name)
{
	int err = errno;

	if (log_path)
		log_line(name, "-", err);
	errno = err;
}

/* The result's kind, by its type: a pointer type a table returns and this
 * list lacks is a compile error, not a silent number. */
#define CALLLOG_RESULT(name, ret)                                                      \
	_Generic((ret),                                                                \
		char *: calllog_pointer,                                               \
		FILE *: calllog_pointer,                                               \
		DIR *: calllog_pointer,                                                \
		struct dirent *: calllog_pointer,                                      \
		struct dirent64 *: calllog_pointer,                                    \
		unsigned int: calllog_unsigned,                                        \
		unsigned long: calllog_unsigned,                                       \
		int: calllog_signed,                                                   \
		long: calllog_signed)(name, ret)

/* Each kind of row of domains/<name>.def, as a logging pass-through. */
#define IOMON_WRAP(RET, NAME, PARAMS, ARGS, ...)                                       \
	RET __real_##NAME PARAMS;                                                      \
	RET __wrap_##NAME PARAMS;                                                      \
	RET __wrap_##NAME PARAMS                                                       \
	{                                                                              \
		RET ret = __real_##NAME ARGS;                                          \
		CALLLOG_RESULT(#NAME, ret);                                            \
		return ret;                                                            \
	}
#define IOMON_WRAP_VOID(NAME, PARAMS, ARGS, ...)                                       \
	void __real_##NAME PARAMS;                                                     \
	void __wrap_##NAME PARAMS;                                                     \
	void __wrap_##NAME PARAMS                                                      \
	{                                                                              \
		__real_##NAME ARGS;                                                    \
		calllog_none(#NAME);                                                   \
	}
#define IOMON_WRAP_VOID_EFFECT IOMON_WRAP_VOID
#define IOMON_WRAP_NORETURN(NAME, PARAMS, ARGS, ...)                                   \
	__attribute__((noreturn)) void __real_##NAME PARAMS;                           \
	__attribute__((noreturn)) void __wrap_##NAME PARAMS;                           \
	void __wrap_##NAME PARAMS                                                      \
	{                                                                              \
		calllog_none(#NAME);                                                   \
		__real_##NAME ARGS;                                                    \
	}
#define IOMON_WRAP_EXEC(NAME, PARAMS, ARGS, ...) IOMON_WRAP(int, NAME, PARAMS, ARGS)
/* Generated bodies of the hand-written rows: nothing to add. */
#define IOMON_WRAP_AS(...)

/*
 * The hand-written rows (variadic, and vfork) cannot be passed through in
 * C: their arguments cannot be forwarded, and vfork's child must not
 * return from a function the parent then returns from.  A few instructions
 * do it: keep the return address aside (in a slot of the row's own, not on
 * the stack, which a vfork child overwrites), call the real function with
 * the registers and stack arguments untouched, put the return address back,
 * log the int result, return it.  x86_64 only; elsewhere these rows are not
 * wrapped (wrap_flags.c leaves them out) and the logs do not show them.
 */
#if CALLLOG_HANDWRITTEN
void calllog_handwritten(const char *name, long result);
__attribute__((used)) void calllog_handwritten(const char *name, long result)
{
	calllog_signed(name, (int)result);
}

#define IOMON_HANDWRITTEN(NAME, ...)                                                   \
	__asm__(".pushsection .rodata.str1.1,\"aMS\",@progbits,1\n"                    \
		"calllog_name_" #NAME ": .asciz \"" #NAME "\"\n"                        \
		".popsection\n"                                                        \
		".local calllog_return_" #NAME "\n"                                    \
		".comm calllog_return_" #NAME ", 8, 8\n"                               \
		".text\n"                                                              \
		".globl __wrap_" #NAME "\n"                                            \
		".type __wrap_" #NAME ", @function\n"                                  \
		"__wrap_" #NAME ":\n"                                                  \
		"	popq calllog_return_" #NAME "(%rip)\n"                         \
		"	call __real_" #NAME "@PLT\n"                                   \
		"	pushq calllog_return_" #NAME "(%rip)\n"                        \
		"	pushq %rax\n"                                                  \
		"	leaq calllog_name_" #NAME "(%rip), %rdi\n"                     \
		"	movq %rax, %rsi\n"                                             \
		"	call calllog_handwritten\n"                                    \
		"	popq %rax\n"                                                   \
		"	ret\n"                                                         \
		".size __wrap_" #NAME ", .-__wrap_" #NAME "\n");
#else
#define IOMON_HANDWRITTEN(...)
#endif

#include "catalog_tables.h"
