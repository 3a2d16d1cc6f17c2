/*
 * The core as the wrappers see it.
 *
 * Every generated wrapper follows one order (see wrap.h): guard, clock, real
 * call, save errno, clock, emit, fd-table effect, restore errno, return.
 * The inline parts here are the whole hot path of a call that is not
 * recorded; everything else lives in core.c.
 */
#ifndef IOMON_IOMON_H
#define IOMON_IOMON_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>

#include "codes.h"
#include "format.h"

#define IOMON_EXPORT __attribute__((visibility("default")))
#define IOMON_TLS __thread __attribute__((tls_model("initial-exec")))
/*
 * Where the variables that every recorded call reads are kept: together,
 * on as few pages as may be.  Each system call of a traced program may
 * cost it its TLB (on a kernel with page-table isolation and no PCID, as
 * on the VMs iomon was measured on), so each page a record touches is one
 * more page walk: a record reads one page of these, the real functions'
 * pointers among them.  (A section whose name is not ".data.*", so that
 * the linker keeps it whole rather than merging it into .data.)
 */
#define IOMON_HOT __attribute__((section("iomon_hot")))
/* And the code every record runs, on as few pages too (.text.hot). */
#define IOMON_HOT_CODE __attribute__((hot))
/*
 * A wrapper returns to the program with a jump rather than a `ret`, which
 * a system call leaves mispredicted (jump_return.c); not where the library
 * is built for CET (-fcf-protection), whose shadow stack checks every
 * return and whose branch tracking every jump's target.
 */
#if defined(__x86_64__) && defined(__has_attribute) && !defined(__CET__)
#if __has_attribute(function_return)
#define IOMON_HAS_JUMP_RETURN 1
#define IOMON_JUMP_RETURN __attribute__((function_return("thunk-extern")))
#endif
#endif
#ifndef IOMON_HAS_JUMP_RETURN
#define IOMON_HAS_JUMP_RETURN 0
#define IOMON_JUMP_RETURN
#endif
void iomon_jump_return_init(void);
/*
 * The thread-local variables every recorded call reads, the library's own
 * and the C library's errno, are reached from the thread pointer with
 * offsets kept on the hot page.  Reached as the compiler would, each of the
 * library's costs a load from the GOT (its offset) and errno a call to
 * __errno_location(): a call and its return, and two pages more a call
 * touches, the GOT's and that function's in the C library, far from the
 * others, each a page walk after a system call that emptied the TLB
 * (12-14 ns a call in all: BENCHMARKS.md).  The offsets are the ones the
 * initial-exec model reads from the GOT: the same in every thread, for the
 * life of the process.  They are taken at start-up (iomon_tp_init), before
 * iomon_mask first lets a call through, so whatever reaches a variable by
 * its offset looks at the mask first.  Elsewhere than on x86-64 and
 * AArch64, the variables are reached as usual.
 */
#if defined(__x86_64__) || defined(__aarch64__)
#define IOMON_TP_OFFSETS 1
struct iomon_tp_offsets {
	ptrdiff_t busy, in_emit, ring, errno_;
};
extern struct iomon_tp_offsets iomon_tp_off;
/* var, a thread-local variable with static storage (initial-exec):
 * where it is from the thread pointer. */
static inline ptrdiff_t iomon_tp_offset(const void *var)
{
	return (ptrdiff_t)((uintptr_t)var - (uintptr_t)__builtin_thread_pointer());
}
/* The address of this thread's var, whose offset is iomon_tp_off.field. */
#define IOMON_TP_VAR(type, field, var) \
	((type *)((char *)__builtin_thread_pointer() + iomon_tp_off.field))
#else
#define IOMON_TP_OFFSETS 0
#define IOMON_TP_VAR(type, field, var) (&(var))
#endif
void iomon_tp_init(void);

#define IOMON_LIKELY(x) __builtin_expect(!!(x), 1)
#define IOMON_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Domains being recorded, one bit each; 0 once the library has turned
 * itself off (no collector) or before it is initialised. */
extern _Atomic uint32_t iomon_mask;

/* Non-zero while this thread is inside the library: wrappers then only
 * pass through. */
extern IOMON_TLS int iomon_busy;

/* A bit of iomon_mask, set while recording waits for a time
 * (IOMON_START_AT, START_ON_ELAPSED): every call then asks
 * iomon_check_start(), which clears it once the time has come. */
#define IOMON_MASK_WAITING (UINT32_C(1) << 31)

uint32_t iomon_check_start(uint32_t mask);

/* A bit of iomon_mask, set with the FILE_OPEN_CLOSE bit alone while
 * recording waits for START_ON_OPEN's open: only an open can start it, so
 * the domain's other calls (a close) are not recorded meanwhile, and read
 * no clock (wrap.h, IOMON_RECORDS). */
#define IOMON_MASK_PAUSED (UINT32_C(1) << 30)

/* While paused: whether an open of path (its record's s1) is START_ON_OPEN's
 * (its text is in the path as given, or in the absolute path it names).
 * Any other open reads no clock and makes no record either. */
bool iomon_open_wanted(struct iomon_str path);

/* The domains to record now: 0 when this thread is inside the library or
 * the library is off. */
static inline uint32_t iomon_mask_now(void)
{
	uint32_t mask = atomic_load_explicit(&iomon_mask, memory_order_acquire);

	if (!mask || *IOMON_TP_VAR(int, busy, iomon_busy))
		return 0;
	if (IOMON_UNLIKELY(mask & IOMON_MASK_WAITING))
		mask = iomon_check_start(mask);
	return mask;
}

static inline bool iomon_on(void)
{
	return iomon_mask_now() != 0;
}

static inline bool iomon_wants(unsigned domain)
{
	return atomic_load_explicit(&iomon_mask, memory_order_relaxed) >> domain & 1;
}

/* Non-zero while this thread is making a record or sending them: a signal
 * handler's call then cannot be recorded (it would land in the middle of
 * the record being written), so it is counted as dropped instead. */
extern IOMON_TLS int iomon_in_emit;

void iomon_count_dropped(void);

/* A signal handler's call that finds the thread busy must find it
 * emitting too, so that it is counted: in_emit is raised first and
 * lowered last, and the compiler may not reorder the two. */
static inline void iomon_enter_emit(void)
{
	int *in_emit = IOMON_TP_VAR(int, in_emit, iomon_in_emit);
	int *busy = IOMON_TP_VAR(int, busy, iomon_busy);

	++*in_emit;
	atomic_signal_fence(memory_order_seq_cst);
	++*busy;
}

static inline void iomon_leave_emit(void)
{
	int *in_emit = IOMON_TP_VAR(int, in_emit, iomon_in_emit);
	int *busy = IOMON_TP_VAR(int, busy, iomon_busy);

	--*busy;
	atomic_signal_fence(memory_order_seq_cst);
	--*in_emit;
}

/* A call passed straight through: counted as dropped when it should have
 * been recorded, but the thread was busy recording another.  (The mask
 * first: a call made before start-up reads no offset.) */
static inline void iomon_passed_through(unsigned domain)
{
	uint32_t mask = atomic_load_explicit(&iomon_mask, memory_order_acquire);

	if (IOMON_UNLIKELY(mask >> domain & 1 && *IOMON_TP_VAR(int, in_emit, iomon_in_emit)))
		iomon_count_dropped();
}

/* A clock's time in nanoseconds. */
static inline uint64_t iomon_clock_read_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline uint64_t iomon_monotonic_ns(void)
{
	return iomon_clock_read_ns(CLOCK_MONOTONIC);
}

/*
 * Call times (clock.c).  Reading CLOCK_MONOTONIC costs about 35 ns on a
 * VM's kvm-clock, rdtsc a few: where the CPU's TSC is invariant (constant
 * rate, never stops), calls are timed with it, once it has been calibrated
 * against CLOCK_MONOTONIC a millisecond after start-up.  A stamp is TSC ticks,
 * or CLOCK_MONOTONIC nanoseconds marked with IOMON_STAMP_MONO (before the
 * calibration, or without a usable TSC); iomon_elapsed_ns() takes either.
 */
#define IOMON_STAMP_MONO (UINT64_C(1) << 63)

/* Nanoseconds = ticks * iomon_tsc_mult >> 32; 0 until calibrated. */
extern _Atomic uint64_t iomon_tsc_mult;

static inline uint64_t iomon_rdtsc(void)
{
#if defined(__x86_64__)
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32 | lo) & ~IOMON_STAMP_MONO;
#else
	return 0;
#endif
}

/* The stamp of a call's start. */
uint64_t iomon_clock_start_mono(void);

static inline __attribute__((always_inline)) uint64_t iomon_clock_ns(void)
{
	if (IOMON_LIKELY(atomic_load_explicit(&iomon_tsc_mult, memory_order_relaxed)))
		return iomon_rdtsc();
	return iomon_clock_start_mono();
}

/* The stamp of a call's end: of the same kind as its start's. */
uint64_t iomon_clock_end_mono(void);

static inline uint64_t iomon_clock_end(uint64_t start)
{
	if (IOMON_LIKELY(!(start & IOMON_STAMP_MONO)))
		return iomon_rdtsc();
	return iomon_clock_end_mono();
}

/* Nanoseconds from the stamp start to the stamp end, made after it. */
uint64_t iomon_stamps_ns(uint64_t start, uint64_t end);
/* The unix time, in seconds, of the stamp end: any stamp made since the
 * calibration, or in the last few minutes. */
int64_t iomon_unix_seconds(uint64_t end);
/* At start-up: whether the TSC can be used, and its first reading. */
void iomon_clock_init(void);
/* After fork, in the child. */
void iomon_clock_atfork_child(void);

/* One call being recorded.  s1buf and s2buf hold s1 and s2 when they have
 * to be formatted. */
struct iomon_call {
	struct iomon_record rec;
	uint64_t t0;
	/* An open's path, which the fd table holds for rec.fd as of its
	 * generation opened_gen (0: none): the record hands it to the
	 * sender's slot for rec.fd, so that the next record of the descriptor
	 * need not copy it again (core.c, stream.h). */
	const char *opened_path;
	uint32_t opened_gen;
	char s1buf[128];
	char s2buf[192];
};

/* A socket address as text: "1.2.3.4:80", "[::1]:80", a unix socket's
 * path ("@name" when abstract); "" when it has none. */
const char *iomon_sockaddr_str(const void *addr, unsigned len, char buf[static 128]);

/* Stamps the end time and hands the record to the stream.  err is the
 * saved errno of a failed call, or 0. */
void iomon_call_end(struct iomon_call *call, int err);
/* The same for the records of most reads and writes, whose s1 is their
 * fd's path and s2 empty: from registers, without a struct iomon_call. */
void iomon_call_end_fd(uint64_t t0, unsigned domain, unsigned op, int err, int fd, uint64_t bytes);

/* Resolves the next definition of name (the C library's) into *slot. */
void iomon_resolve(void **slot, const char *name);

/* Strings for s1 and s2. */
static inline struct iomon_str iomon_str_c(const char *s)
{
	return (struct iomon_str){ .ptr = s, .len = s ? (uint32_t)strnlen(s, IOMON_STRING_MAX) : 0 };
}

static inline struct iomon_str iomon_str_fd(int fd)
{
	return (struct iomon_str){ .kind = IOMON_STR_FD, .fd = fd };
}

/* The flags of open(2), kept as a number until the record is sent. */
static inline struct iomon_str iomon_str_oflags(int flags)
{
	return (struct iomon_str){ .kind = IOMON_STR_OFLAGS, .fd = flags };
}

/* path as the absolute path it names, relative to dirfd (or AT_FDCWD). */
static inline struct iomon_str iomon_str_at(int dirfd, const char *path)
{
	struct iomon_str s = iomon_str_c(path);

	if (s.len && path[0] != '/') {
		s.kind = IOMON_STR_AT;
		s.fd = dirfd;
	}
	return s;
}

/* Whether no record of this process will ever name a file (only START
 * and STOP are recorded): the wrappers then need not keep the fd table. */
extern bool iomon_fds_unused;

/* fd table: what each descriptor refers to (fdtable.c).  AT_FDCWD stands
 * for the working directory. */
void iomon_fd_set(int fd, const char *path);
/* path (len bytes: strnlen(path, IOMON_STRING_MAX)) relative to dirfd's,
 * stored as the absolute path it names; returns the table generation
 * (iomon_fd_gen) the change made, or 0 if it stored nothing. */
uint32_t iomon_fd_set_at(int fd, int dirfd, const char *path, size_t len);
void iomon_fd_copy(int to, int from);
void iomon_fd_forget(int fd);
void iomon_fd_forget_range(unsigned first, unsigned last);
/* The working directory changed: read it again. */
void iomon_cwd_refresh(void);
/* Writes path, made absolute against dirfd's: as it is (at most
 * IOMON_STRING_MAX bytes), or CSV-encoded. */
char *iomon_at_path(char *dst, int dirfd, const char *path, size_t len);
char *iomon_put_at_path(char *dst, int dirfd, const char *path, size_t len);
/* Looks fd up in /proc/self/fd now if the table does not know it. */
void iomon_fd_learn(int fd);
/* Copies the path of fd, as it is: at most IOMON_STRING_MAX bytes. */
char *iomon_fd_path(char *dst, int fd);
/* Bumped by every change to the table, after it: a path copied when the
 * count was n is still the path of its descriptor while the count is n. */
extern _Atomic uint32_t iomon_fd_gen;

/*
 * The library's own descriptor (its socket), or -1.  To the program it is
 * a descriptor that is not open: every call naming it answers EBADF
 * (wrap.h), a dup2() onto it moves the socket first (iomon_fd_evict), and
 * close_range() and closefrom() spare it.  Asked on every call that takes
 * a descriptor: one compare, which is almost never equal.
 */
extern _Atomic int iomon_own_fd;

static inline bool iomon_fd_is_own(int fd)
{
	return IOMON_UNLIKELY(fd == atomic_load_explicit(&iomon_own_fd, memory_order_relaxed)) &&
	       fd >= 0;
}

/* Before a copy of oldfd onto fd (dup2, dup3). */
void iomon_fd_evict(int oldfd, int fd);
/* close_range() and closefrom() that spare the library's descriptor. */
int iomon_close_range_sparing(unsigned first, unsigned last, int flags);
void iomon_closefrom_sparing(int lowfd);

/* Sends everything buffered by every thread, now (exec, _exit, exit). */
void iomon_flush(void);

/* The process is ending with this status (exit, _exit, main's return). */
void iomon_note_exit_status(int status);
/* Records STOP (once), with the status noted and the process's lifetime. */
void iomon_stop(void);

#endif
