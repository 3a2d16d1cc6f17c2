/*
 * The entry points that cannot be a table row.
 *
 * The variadic ones only unpack their arguments and call a wrapper generated
 * from a row (IOMON_WRAP_AS, or an ordinary row such as vfprintf), so the
 * record is made by the same template as every other, and they return
 * to the program as the generated wrappers do (IOMON_JUMP_RETURN).
 * vfork() cannot be C at all: its child runs on the parent's stack.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <alloca.h>
#include <spawn.h>
#include <errno.h>
#include <sys/syscall.h>
#include <stdio.h>
#include <unistd.h>

#include "wrap.h"

/* The prototypes of the generated functions called here, from the rows. */
#undef IOMON_WRAP
#undef IOMON_WRAP_AS
#undef IOMON_HANDWRITTEN
#undef IOMON_WRAP_NORETURN
#undef IOMON_WRAP_EXEC
#undef IOMON_WRAP_VOID
#undef IOMON_WRAP_VOID_EFFECT
#define IOMON_WRAP(RET, NAME, PARAMS, ...) IOMON_DECLARE(RET, NAME, PARAMS);
#define IOMON_WRAP_AS(RET, NAME, WRAPPER, PARAMS, ...) RET WRAPPER PARAMS;
#define IOMON_HANDWRITTEN(...)
#define IOMON_WRAP_NORETURN(...)
#define IOMON_WRAP_EXEC(NAME, PARAMS, ...) IOMON_DECLARE(int, NAME, PARAMS);
#define IOMON_WRAP_VOID(NAME, PARAMS, ...) IOMON_DECLARE(void, NAME, PARAMS);
#define IOMON_WRAP_VOID_EFFECT(NAME, PARAMS, ...) IOMON_DECLARE(void, NAME, PARAMS);

#ifdef IOMON_WITH_FILE
#include "file.def"

IOMON_DECLARE(int, open, (const char *path, int flags, ...));
IOMON_DECLARE(int, open64, (const char *path, int flags, ...));
IOMON_DECLARE(int, openat, (int dirfd, const char *path, int flags, ...));
IOMON_DECLARE(int, openat64, (int dirfd, const char *path, int flags, ...));
IOMON_DECLARE(int, fprintf, (FILE *stream, const char *format, ...));
IOMON_DECLARE(int, __fprintf_chk, (FILE *stream, int flag, const char *format, ...));
IOMON_DECLARE(int, fscanf, (FILE *stream, const char *format, ...));
IOMON_DECLARE(int, __isoc99_fscanf, (FILE *stream, const char *format, ...));

/* open(2) reads a mode only when it may create a file. */
#define OPEN_MODE(flags, last)                                           \
	({                                                               \
		mode_t mode_ = 0;                                        \
		if ((flags) & O_CREAT || ((flags) & O_TMPFILE) == O_TMPFILE) { \
			va_list ap;                                      \
			va_start(ap, last);                              \
			mode_ = va_arg(ap, mode_t);                      \
			va_end(ap);                                      \
		}                                                        \
		mode_;                                                   \
	})

IOMON_JUMP_RETURN int IOMON_WRAPPER(open)(const char *path, int flags, ...)
{
	return iomon_open(path, flags, OPEN_MODE(flags, flags));
}

IOMON_JUMP_RETURN int IOMON_WRAPPER(open64)(const char *path, int flags, ...)
{
	return iomon_open64(path, flags, OPEN_MODE(flags, flags));
}

IOMON_JUMP_RETURN int IOMON_WRAPPER(openat)(int dirfd, const char *path, int flags, ...)
{
	return iomon_openat(dirfd, path, flags, OPEN_MODE(flags, flags));
}

IOMON_JUMP_RETURN int IOMON_WRAPPER(openat64)(int dirfd, const char *path, int flags, ...)
{
	return iomon_openat64(dirfd, path, flags, OPEN_MODE(flags, flags));
}

/* The printf and scanf families hand their "..." to their v-forms. */
#define FORWARD_VARIADIC(call, last)        \
	({                                  \
		va_list ap;                 \
		va_start(ap, last);         \
		int ret_ = call;            \
		va_end(ap);                 \
		ret_;                       \
	})

IOMON_JUMP_RETURN int IOMON_WRAPPER(fprintf)(FILE *stream, const char *format, ...)
{
	return FORWARD_VARIADIC(IOMON_WRAPPER(vfprintf)(stream, format, ap), format);
}

IOMON_JUMP_RETURN int IOMON_WRAPPER(__fprintf_chk)(FILE *stream, int flag, const char *format, ...)
{
	return FORWARD_VARIADIC(IOMON_WRAPPER(__vfprintf_chk)(stream, flag, format, ap), format);
}

IOMON_JUMP_RETURN int IOMON_WRAPPER(fscanf)(FILE *stream, const char *format, ...)
{
	return FORWARD_VARIADIC(IOMON_WRAPPER(vfscanf)(stream, format, ap), format);
}

IOMON_JUMP_RETURN int IOMON_WRAPPER(__isoc99_fscanf)(FILE *stream, const char *format, ...)
{
	return FORWARD_VARIADIC(IOMON_WRAPPER(__isoc99_vfscanf)(stream, format, ap), format);
}
#endif /* IOMON_WITH_FILE */

#ifdef IOMON_WITH_PROCESS
#include "process.def"

IOMON_DECLARE(int, execl, (const char *path, const char *arg, ...));
IOMON_DECLARE(int, execlp, (const char *file, const char *arg, ...));
IOMON_DECLARE(int, execle, (const char *path, const char *arg, ...));

/* The argument list of execl() and its kin, as the argv of execv(): on the
 * stack, as glibc does, since these may be called after vfork(). */
#define GATHER_ARGV(argv, first)                                                 \
	do {                                                                     \
		va_list ap;                                                      \
		size_t n = 1;                                                    \
		va_start(ap, first);                                             \
		while (va_arg(ap, const char *))                                 \
			n++;                                                     \
		va_end(ap);                                                      \
		argv = alloca((n + 1) * sizeof(*argv));                          \
		argv[0] = (char *)(first);                                       \
		va_start(ap, first);                                             \
		for (size_t i = 1; i <= n; i++)                                  \
			argv[i] = va_arg(ap, char *);                            \
		va_end(ap);                                                      \
	} while (0)

IOMON_JUMP_RETURN int IOMON_WRAPPER(execl)(const char *path, const char *arg, ...)
{
	char **argv;

	GATHER_ARGV(argv, arg);
	return IOMON_WRAPPER(execve)(path, argv, environ);
}

IOMON_JUMP_RETURN int IOMON_WRAPPER(execlp)(const char *file, const char *arg, ...)
{
	char **argv;

	GATHER_ARGV(argv, arg);
	return IOMON_WRAPPER(execvp)(file, argv);
}

IOMON_JUMP_RETURN int IOMON_WRAPPER(execle)(const char *path, const char *arg, ...)
{
	char **argv, **envp;
	va_list rest;

	GATHER_ARGV(argv, arg);
	/* The environment follows the list's NULL. */
	va_start(rest, arg);
	while (va_arg(rest, const char *))
		;
	envp = va_arg(rest, char **);
	va_end(rest);
	return IOMON_WRAPPER(execve)(path, argv, envp);
}
#endif /* IOMON_WITH_PROCESS */

#ifdef IOMON_WITH_FD
#include "fd.def"

IOMON_DECLARE(int, fcntl, (int fd, int cmd, ...));
IOMON_DECLARE(int, fcntl64, (int fd, int cmd, ...));

/* The third argument, when there is one, is an int or a pointer; glibc
 * itself reads it as a pointer, which carries either on this ABI. */
#define FCNTL_ARG(cmd)                         \
	({                                     \
		va_list ap;                    \
		va_start(ap, cmd);             \
		void *arg_ = va_arg(ap, void *); \
		va_end(ap);                    \
		arg_;                          \
	})

IOMON_JUMP_RETURN int IOMON_WRAPPER(fcntl)(int fd, int cmd, ...)
{
	return iomon_fcntl(fd, cmd, FCNTL_ARG(cmd));
}

IOMON_JUMP_RETURN int IOMON_WRAPPER(fcntl64)(int fd, int cmd, ...)
{
	return iomon_fcntl64(fd, cmd, FCNTL_ARG(cmd));
}
#endif /* IOMON_WITH_FD */

#if defined(IOMON_WITH_PROCESS) && defined(__x86_64__)
/*
 * vfork(): the child borrows the parent's memory and stack until it execs
 * or exits, so it must not touch the library's buffers, and nothing may be
 * left on the stack across the system call.  As glibc's own vfork does, the
 * return address is kept in a register (each process has its own) while
 * the kernel makes the child.  The child inherits this thread's iomon_busy,
 * raised by vfork_begin, so every wrapper it calls only passes through;
 * the parent, once resumed, lowers it again and records the call.
 */
/* Called from the assembly below, which the compiler does not read: kept,
 * and under their own names, even with link-time optimisation. */
#if defined(__clang__)
#define CALLED_FROM_ASM __attribute__((visibility("hidden"), used))
#else
#define CALLED_FROM_ASM __attribute__((visibility("hidden"), used, externally_visible))
#endif
CALLED_FROM_ASM void iomon_vfork_begin(void);
CALLED_FROM_ASM long iomon_vfork_end(long result);

static IOMON_TLS uint64_t vfork_t0;

void iomon_vfork_begin(void)
{
	iomon_busy++;
	vfork_t0 = iomon_clock_ns();
}

long iomon_vfork_end(long result)
{
	int err = result < 0 ? (int)-result : 0;

	iomon_busy--;
	if (iomon_on() && iomon_wants(IOMON_DOMAIN_PROCESSES)) {
		IOMON_CALL_DECLARE(PROCESSES, FORK);
		call.t0 = vfork_t0;
		call.rec.s2 = iomon_str_c(err ? "" : iomon_int_str(result, call.s2buf));
		iomon_call_end(&call, err);
	}
	if (err) {
		errno = err;
		return -1;
	}
	return result;
}

/*
 * Under AddressSanitizer the child's frames poison their redzones in the
 * shadow memory, which the child shares with the parent; as it never
 * returns from them (it execs or exits), their poison stays below the
 * parent's stack pointer, where the parent's next frames would report
 * false overflows.  So the parent, before running any instrumented code,
 * clears the shadow of the stack below the stack pointer it returns with,
 * as the sanitizer's own vfork interceptor does (__asan_handle_vfork).
 */
#if defined(__SANITIZE_ADDRESS__)
#define IOMON_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define IOMON_ASAN 1
#endif
#endif
#ifdef IOMON_ASAN
#define VFORK_PARENT_UNPOISON_STACK                                                    \
	"	push %rax\n"			/* the result, kept */                 \
	"	lea 16(%rsp), %rdi\n"		/* the stack pointer at return */      \
	"	call __asan_handle_vfork@PLT\n"                                        \
	"	pop %rax\n"
#else
#define VFORK_PARENT_UNPOISON_STACK ""
#endif

__asm__(".text\n"
	".globl vfork\n"
	".type vfork, @function\n"
	"vfork:\n"
	"	sub $8, %rsp\n"			/* align the stack for the call */
	"	call iomon_vfork_begin\n"
	"	add $8, %rsp\n"
	"	pop %rdi\n"			/* the return address, in a register */
	"	mov $" IOMON_STRINGIFY(SYS_vfork) ", %eax\n"
	"	syscall\n"
	"	push %rdi\n"
	"	test %rax, %rax\n"
	"	jz 1f\n"				/* the child returns as it is */
	VFORK_PARENT_UNPOISON_STACK
	"	mov %rax, %rdi\n"			/* the parent, or a failure */
	"	sub $8, %rsp\n"
	"	call iomon_vfork_end\n"
	"	add $8, %rsp\n"
	"1:	ret\n"
	".size vfork, .-vfork\n");
#endif
