/*
 * How a wrapper returns to the program: by a jump, not a `ret`.
 *
 * A `ret` is predicted from the CPU's return stack buffer, which the
 * calls made since fill.  A system call can empty it or fill it with
 * harmless entries: kernels do so on the way back to user space against
 * Spectre-class attacks, and so do hypervisors on the way back to a guest.
 * After one, every `ret` to a frame older than the system call
 * mispredicts: the C library function's return to the wrapper, which the
 * bare program pays too (it returns to the program), and then the
 * wrapper's return to the program, which only iomon adds.  A jump through
 * a register is predicted from the branch target buffer instead, which
 * system calls leave alone.  On the VMs iomon was measured on, the
 * wrapper's `ret` cost 20-30 ns a call in the pread/pwrite loop and 40-60
 * in the small-file loop, within one process (BENCHMARKS.md).
 *
 * So the wrappers are compiled with GCC's function_return("thunk-extern")
 * (IOMON_JUMP_RETURN, iomon.h): each `ret` becomes a jump to
 * __x86_return_thunk, defined here, which pops the return address and
 * jumps to it.  Where the compiler cannot do that (clang before 15,
 * another architecture) the wrappers return as usual.
 *
 * A CPU's shadow stack (CET) checks every `ret` against a copy of the
 * return address that the call pushed; a jump does not pop that copy, and
 * the next `ret` would then fault; and indirect branch tracking faults a
 * jump to an address that does not start with `endbr64`, as a return
 * address does not.  A library compiled for either (-fcf-protection, the
 * default of some distributions' compilers) uses no thunk (iomon.h).  One
 * compiled without is not marked for them, so the C library does not turn
 * them on for a process that preloads it, unless told to whatever the
 * libraries are (glibc.cpu.x86_shstk=on): start-up asks the kernel, and
 * with a shadow stack on, the thunk returns with a `ret`.  Until then, it
 * does too.
 */
#include <stdint.h>

#include "iomon.h"
#include "rawsys.h"

#if IOMON_HAS_JUMP_RETURN

/* Non-zero: return with `ret` (a shadow stack is on, or start-up has not
 * yet looked).  On the hot page, which every recorded call reads. */
IOMON_HOT uint8_t iomon_plain_return = 1;

/* The thunk: CFI for the unwinder (a backtrace, or a thread cancelled
 * asynchronously between the two instructions), whose return address is
 * in r11 (DWARF register 11; the return address column is 16) after the
 * pop. */
__asm__(".pushsection .text\n"
	".globl __x86_return_thunk\n"
	".hidden __x86_return_thunk\n"
	".type __x86_return_thunk, @function\n"
	"__x86_return_thunk:\n"
	"	.cfi_startproc\n"
	"	cmpb $0, iomon_plain_return(%rip)\n"
	"	jne 1f\n"
	"	.cfi_remember_state\n"
	"	pop %r11\n"
	"	.cfi_adjust_cfa_offset -8\n"
	"	.cfi_register 16, 11\n"
	"	jmp *%r11\n"
	"1:\n"
	"	.cfi_restore_state\n"
	"	ret\n"
	"	.cfi_endproc\n"
	".size __x86_return_thunk, . - __x86_return_thunk\n"
	".popsection\n");

/* arch_prctl(2) codes (Linux 6.6, asm/prctl.h), for older headers. */
#define SHSTK_STATUS 0x5005
#define SHSTK_ON 1

void iomon_jump_return_init(void)
{
	unsigned long features = 0;

	/* An older kernel, or one without shadow stacks: EINVAL. */
	if (iomon_rawsys(SYS_arch_prctl, SHSTK_STATUS, &features) == 0 && (features & SHSTK_ON))
		return;
	__atomic_store_n(&iomon_plain_return, 0, __ATOMIC_RELAXED);
}

#else

void iomon_jump_return_init(void)
{
}

#endif
