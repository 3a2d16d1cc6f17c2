/*
 * What a profiler or a debugger sees: unwinder DIR CALLS
 *
 * Makes CALLS calls of lseek() (a wrapped function), after one more not
 * stepped through, one instruction at a time: the CPU's trap flag raises
 * SIGTRAP after each instruction of the call, whose handler takes a
 * backtrace() from there: in the program's PLT, the library's wrapper,
 * its core and the thunk it returns through (libiomon/jump_return.c), the
 * C library.  Each backtrace must reach the function making the calls,
 * as the profilers that unwind from a signal (gperftools, for one) and
 * asynchronous cancellation need: one that stops short, or goes astray,
 * means code without unwind information or with wrong information.  Prints "steps=N reached=M at_jump=K": K of the
 * steps were at an indirect jump through r11, the thunk's return.
 * x86-64 only (elsewhere it prints "steps=0 reached=0 at_jump=0").
 * For tests/e2e/test_transparency.c.
 */
#include <execinfo.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <ucontext.h>

#include "check.h"

#define DEPTH 32

static volatile sig_atomic_t steps, reached, at_jump, left;

#if defined(__x86_64__)
#define TRAP_FLAG 0x100

/* The function whose frame every backtrace must reach; noinline and
 * small, so that "in it" is "within its first bytes".  It sets the trap
 * flag just before the call; the handler clears it once the call has
 * returned here. */
static __attribute__((noinline)) off_t step_through(int fd)
{
	left = 0;
	__asm__ volatile("pushfq; orq %0, (%%rsp); popfq" : : "i"(TRAP_FLAG) : "memory", "cc");
	off_t ret = lseek(fd, 0, SEEK_SET);
	__asm__ volatile("" : "+r"(ret));	/* a call that returns here, not a tail call */
	return ret;
}
#define STEP_THROUGH_BYTES 256

static void on_trap(int sig, siginfo_t *info, void *context)
{
	void *frames[DEPTH];
	int saved = errno;
	ucontext_t *uc = context;
	const unsigned char *pc = (const unsigned char *)uc->uc_mcontext.gregs[REG_RIP];
	(void)sig, (void)info;

	if ((uintptr_t)pc - (uintptr_t)step_through >= STEP_THROUGH_BYTES)
		left = 1;
	else if (left)
		uc->uc_mcontext.gregs[REG_EFL] &= ~TRAP_FLAG;	/* back from the call */
	if (pc[0] == 0x41 && pc[1] == 0xff && pc[2] == 0xe3)	/* jmp *%r11 */
		at_jump++;
	int n = backtrace(frames, DEPTH);
	for (int i = 0; i < n; i++)
		if ((uintptr_t)frames[i] - (uintptr_t)step_through < STEP_THROUGH_BYTES) {
			reached++;
			break;
		}
	steps++;
	errno = saved;
}
#endif

int main(int argc, char **argv)
{
	CHECK(argc == 3);
	dir = argv[1];
	long calls = strtol(argv[2], NULL, 10);
	CHECK(calls > 0);
	int fd = open(in_dir("f"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
#if defined(__x86_64__)
	/* The first backtrace() loads the unwinder (dlopen): not in a handler. */
	void *first[DEPTH];
	CHECK(backtrace(first, DEPTH) > 0);

	/* One call not stepped through: the PLT entry bound, the library's
	 * sender started. */
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	struct sigaction sa = { .sa_sigaction = on_trap, .sa_flags = SA_SIGINFO };
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGTRAP, &sa, NULL) == 0);
	for (long i = 0; i < calls; i++)
		CHECK(step_through(fd) == 0);
#endif
	CHECK(close(fd) == 0);
	printf("steps=%ld reached=%ld at_jump=%ld\n", (long)steps, (long)reached, (long)at_jump);
	return 0;
}
