/*
 * System calls that touch no thread-local state: no errno, no thread
 * pointer.  The sender thread (sender.c) is not the C library's: it runs on
 * the thread pointer of the thread that started it, so anything it does
 * through errno or another thread-local variable would be done to that
 * thread.  It makes its system calls with these, which return the kernel's
 * result: -errno on failure.
 */
#ifndef IOMON_RAWSYS_H
#define IOMON_RAWSYS_H

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
static inline long iomon_rawsys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}
/* The sender can be a thread of its own. */
#define IOMON_HAS_RAWSYS 1
#else
/* Elsewhere the sender is a thread of the C library's (sender.c), whose
 * errno is its own. */
static inline long iomon_rawsys6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret = syscall(n, a, b, c, d, e, f);

	return ret == -1 ? -errno : ret;
}
#define IOMON_HAS_RAWSYS 0
#endif

#define IOMON_RAWSYS_(n, a, b, c, d, e, f, ...)                                                \
	iomon_rawsys6((long)(n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))
/* iomon_rawsys(SYS_close, fd): up to six arguments, integers or pointers. */
#define iomon_rawsys(...) IOMON_RAWSYS_(__VA_ARGS__, 0, 0, 0, 0, 0, 0, 0)

#endif
