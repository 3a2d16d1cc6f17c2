/*
 * The one template every wrapper comes from.
 *
 * A domain table (domains/<name>.def) is a list of rows:
 *
 *   IOMON_WRAP(ret, name, (params), (args), DOMAIN, OP, FAIL, FD, BYTES, S1, S2, EFFECT)
 *
 * and a domain's .c file includes it once with this header, which turns each
 * row into: the pointer to the real function, its entry in the "iomon_rows"
 * section (so the core resolves it at start-up without knowing the domain),
 * and the exported wrapper.  Every wrapper does the same things in the same
 * order: pass straight through unless recording or the call names the
 * library's own descriptor; clock; real call, or for the library's own
 * descriptor the answer of one that is not open (below); save errno;
 * decide failure; clock and emit; update the fd table; restore errno;
 * return.
 *
 * The library's own descriptor (its socket) is not open, as far as the
 * program can tell: a call that names it answers as it would for a
 * descriptor that is not open (the FAIL rule's failure value and EBADF:
 * IOMON_NOT_OPEN_<RULE>, which every FAIL rule has), without calling the real function and without touching the socket; and
 * it is recorded as the failed call it is.  Whether a call names it comes
 * from the rules that take a descriptor argument, so a row gets this from
 * its columns: the FD rule (IOMON_FD_OWN_<RULE>, which every FD rule has)
 * and the S1 and S2 rules that name another descriptor (AT_PATH,
 * AT_PATH_OR_FD, FD_PATH_OF: IOMON_STR_OWN_<RULE>, which only they have).
 * A *at call names dirfd when it looks at it: to act on it, or to resolve
 * a relative path, where the kernel answers EBADF for a dirfd that is not
 * open; an absolute path ignores dirfd, and an empty path without
 * AT_EMPTY_PATH fails (ENOENT) before dirfd is looked at, so these go to
 * the real call, whose answer is the same either way.  The cost, on a call
 * that takes a descriptor: one compare, almost never equal.  A thread
 * inside the library (a signal handler that interrupted a record) passes
 * every call through, this one too; functions that return nothing
 * (IOMON_WRAP_VOID) take no plain descriptor.
 *
 * The columns name a rule each; the rules are the IOMON_<COLUMN>_<RULE>
 * macros below.  Inside a rule, `ret` is the real function's result, the
 * parameters have their own names, and `call` is the record being built.
 *
 *   FAIL    when the call failed (its errno is then recorded):
 *           NEG1 (ret == -1), NULLPTR (ret == NULL), NEG (ret < 0),
 *           ISEOF (ret == EOF), and for stdio, where a short result may be
 *           the end of the file: SHORT(n, stream) (fewer than n items),
 *           NULLERR(stream) and EOFERR(stream), each only with ferror();
 *           ERRNO_RET: the error number is the result itself (posix_spawn);
 *           NULL_ERRNO_SET: NULL and errno changed by the call (readdir)
 *   FD      the fd of the record: ARG(x), RET, FILE(stream) or RET_FILE
 *           (fileno of the stream argument or result), DIR(d) or RET_DIR
 *           (dirfd of the DIR * argument or result), FIRST_OF(fds) (fds[0]
 *           of an array filled in), EMPTY_PATH(dirfd, p, flags) (dirfd when
 *           a *at call acts on it, else none), IN_PARENT (none, and the record is made
 *           only where the call returned non-zero: fork), NONE
 *   BYTES   bytes transferred: RET, ITEMS(size) (ret items of size),
 *           ARG(n) (n, on success), STRLEN(s) (strlen(s), on success), NONE
 *   S1, S2  the strings: PATH(p) (a path; a relative one is recorded as the
 *           absolute path it names), AT_PATH(dirfd, p) (the same, relative
 *           to dirfd), MODE(m) (a C string as is), FD_PATH (what the fd
 *           table knows of the record's fd), FD_PATH_OF(fd) (of another fd),
 *           AT_PATH_OR_FD(dirfd, p, flags) (dirfd's own path when the call
 *           acts on it: AT_EMPTY_PATH and an empty path),
 *           OFLAGS(flags), OCTAL(mode) ("0644"; S2 only),
 *           INT(n) (a number; S2 only), INT_OK(n) (the same,
 *           only if the call succeeded), ADDR(addr, len),
 *           ADDR_OUT(addr, lenp) (a socket address as ip:port, [ip6]:port or
 *           a unix path; S1 only), NONE
 *   EFFECT  on the fd table: OPENS(path), OPENS_AT(dirfd, path), CLOSES,
 *           CLOSES_RANGE(first, last), DUPS(oldfd) (ret is a copy of oldfd),
 *           DUPS_ONTO(oldfd, newfd) (the same, for dup2 and dup3),
 *           NEW_FD (ret is a descriptor whose name is learned when needed),
 *           NEW_FDS(fds) (fds[0] and fds[1] are), NAMES_FD (the record's fd
 *           is now known by its S1, as a connected socket by its peer),
 *           NAMES_RET (likewise for the descriptor ret), CHDIRS (the working
 *           directory changed), NONE
 *
 * Calls that do not return when they succeed have templates of their own:
 * IOMON_WRAP_NORETURN (exit: record, flush, call) and IOMON_WRAP_EXEC
 * (flush, call; if it returns, record the failure); functions that return
 * nothing, IOMON_WRAP_VOID.
 * Variadic functions are exported by hand in domains/handwritten.c, on top
 * of a body generated by IOMON_WRAP_AS.
 */
#ifndef IOMON_WRAP_H
#define IOMON_WRAP_H

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iomon.h"

/* What the core knows of a row: enough to resolve it and list it. */
struct iomon_row {
	const char *name;
	void **real;
	uint16_t domain;
	uint16_t op;
};

#define IOMON_REAL(name) iomon_real_##name
#define IOMON_STRINGIFY_(x) #x
#define IOMON_STRINGIFY(x) IOMON_STRINGIFY_(x)

/* fflush(NULL) is legal; a stream that failed to open is NULL.  The
 * _unlocked forms: the wrapper must not take the stream's lock (the
 * program may hold it, or be a signal handler that interrupted it). */
static inline int iomon_fileno(FILE *stream)
{
	return stream ? fileno_unlocked(stream) : -1;
}

/*
 * dirfd() of a DIR stream.  Inside the library, dirfd names the library's
 * own wrapper (the dir domain exports one), so the call is made busy: the
 * wrapper passes it through, and no DIRFD record appears that the program
 * never asked for.  The same holds for any wrapped name the core calls.
 */
static inline int iomon_dirfd(DIR *d)
{
	if (!d)
		return -1;
	iomon_busy++;
	int fd = dirfd(d);
	iomon_busy--;
	return fd;
}

/* ferror(), without crashing where the C library itself did not (fgets
 * with a NULL stream and a size of 0 returns NULL). */
static inline bool iomon_ferror(FILE *stream)
{
	return stream && ferror_unlocked(stream);
}

/* The real function, resolving it now if start-up has not yet done so (a
 * call made by another library's constructor before ours has run). */
#define IOMON_REAL_FN(name)                                                            \
	(IOMON_LIKELY(__atomic_load_n(&IOMON_REAL(name), __ATOMIC_ACQUIRE) != NULL)   \
		 ? IOMON_REAL(name)                                                     \
		 : (iomon_resolve((void **)&IOMON_REAL(name), #name), IOMON_REAL(name)))

#define IOMON_ROW_ENTRY(name, DOMAIN, OP)                                              \
	static const struct iomon_row iomon_row_##name                                 \
		__attribute__((section("iomon_rows"), used, aligned(sizeof(void *)))) = { \
			#name, (void **)&IOMON_REAL(name), IOMON_DOMAIN_##DOMAIN, IOMON_OP_##OP \
		};

/* FAIL rules */
#define IOMON_FAIL_NEG1 (ret == -1)
#define IOMON_FAIL_NULLPTR (ret == NULL)
#define IOMON_FAIL_NEG (ret < 0)
#define IOMON_FAIL_ISEOF (ret == EOF)
#define IOMON_FAIL_SHORT(n, stream) (ret < (n) && iomon_ferror(stream))
#define IOMON_FAIL_NULLERR(stream) (ret == NULL && iomon_ferror(stream))
#define IOMON_FAIL_EOFERR(stream) (ret == EOF && iomon_ferror(stream))
#define IOMON_FAIL_ERRNO_RET (ret != 0)
/* readdir() and its kind: NULL is the end, or a failure if errno changed. */
#define IOMON_FAIL_NULL_ERRNO_SET (ret == NULL && saved_errno != errno_before)

/* The errno each FAIL rule records: errno, but for ERRNO_RET. */
#define IOMON_ERRNO_NEG1 saved_errno
#define IOMON_ERRNO_NULLPTR saved_errno
#define IOMON_ERRNO_NEG saved_errno
#define IOMON_ERRNO_ISEOF saved_errno
#define IOMON_ERRNO_SHORT(n, stream) saved_errno
#define IOMON_ERRNO_NULLERR(stream) saved_errno
#define IOMON_ERRNO_EOFERR(stream) saved_errno
#define IOMON_ERRNO_ERRNO_RET ((int)ret)
#define IOMON_ERRNO_NULL_ERRNO_SET saved_errno

/* Whether a *at call acts on dirfd itself rather than on a path below it:
 * an empty path with AT_EMPTY_PATH (or a NULL one, which Linux 6.11 takes
 * for empty).  A call whose kernel refuses the empty path fails, and its
 * record still names what it was asked to act on. */
static inline bool iomon_acts_on_dirfd(const char *path, int flags)
{
	return (flags & AT_EMPTY_PATH) && (!path || !*path);
}

/* Whether a *at call given the library's own descriptor as dirfd looks at
 * it (see the top): to act on it, or to resolve a relative path. */
static inline bool iomon_at_own(int dirfd, const char *path, int flags)
{
	return iomon_fd_is_own(dirfd) &&
	       (iomon_acts_on_dirfd(path, flags) || (path && path[0] && path[0] != '/'));
}

/* What a call answers for a descriptor that is not open, by FAIL rule: its
 * failure value, with errno EBADF, or EBADF as the result (ERRNO_RET).
 * The stdio rules have one too, though a stream is never the socket. */
#define IOMON_NOT_OPEN_NEG1 (errno = EBADF, -1)
#define IOMON_NOT_OPEN_NULLPTR (errno = EBADF, NULL)
#define IOMON_NOT_OPEN_NEG (errno = EBADF, -1)
#define IOMON_NOT_OPEN_ISEOF (errno = EBADF, EOF)
#define IOMON_NOT_OPEN_SHORT(n, stream) (errno = EBADF, 0)
#define IOMON_NOT_OPEN_NULLERR(stream) (errno = EBADF, NULL)
#define IOMON_NOT_OPEN_EOFERR(stream) (errno = EBADF, EOF)
#define IOMON_NOT_OPEN_ERRNO_RET EBADF
#define IOMON_NOT_OPEN_NULL_ERRNO_SET (errno = EBADF, NULL)

/* FD rules: one part before the real call, one after, and OWN: whether
 * the call names the library's own descriptor. */
#define IOMON_FD_OWN_ARG(x) iomon_fd_is_own(x)
#define IOMON_FD_OWN_RET 0
#define IOMON_FD_OWN_FILE(stream) 0
#define IOMON_FD_OWN_RET_FILE 0
#define IOMON_FD_OWN_DIR(d) 0
#define IOMON_FD_OWN_RET_DIR 0
#define IOMON_FD_OWN_IN_PARENT 0
#define IOMON_FD_OWN_FIRST_OF(fds) 0
#define IOMON_FD_OWN_EMPTY_PATH(dirfd, p, flags) iomon_at_own(dirfd, p, flags)
#define IOMON_FD_OWN_NONE 0
#define IOMON_FD_BEFORE_ARG(x) call.rec.fd = (x)
#define IOMON_FD_AFTER_ARG(x) (void)0
#define IOMON_FD_BEFORE_RET (void)0
#define IOMON_FD_AFTER_RET call.rec.fd = failed ? -1 : (int)ret
#define IOMON_FD_BEFORE_FILE(stream) call.rec.fd = iomon_fileno(stream)
#define IOMON_FD_AFTER_FILE(stream) (void)0
#define IOMON_FD_BEFORE_RET_FILE (void)0
#define IOMON_FD_AFTER_RET_FILE call.rec.fd = iomon_fileno(ret)
#define IOMON_FD_BEFORE_DIR(d) call.rec.fd = iomon_dirfd(d)
#define IOMON_FD_AFTER_DIR(d) (void)0
#define IOMON_FD_BEFORE_RET_DIR (void)0
#define IOMON_FD_AFTER_RET_DIR call.rec.fd = iomon_dirfd(ret)
/* fork(): the child returns from the same call; the parent's record, with
 * the child's pid, stands for both. */
#define IOMON_FD_BEFORE_IN_PARENT (void)0
#define IOMON_FD_AFTER_IN_PARENT record = record && ret != 0
/* The first of two descriptors returned through an array (pipe). */
#define IOMON_FD_BEFORE_FIRST_OF(fds) (void)0
#define IOMON_FD_AFTER_FIRST_OF(fds) call.rec.fd = failed ? -1 : (fds)[0]
/* EMPTY_PATH(dirfd, p, flags): dirfd when the call acts on it, since
 * fstatat(fd, "", AT_EMPTY_PATH) is fstat(fd); none otherwise. */
#define IOMON_FD_BEFORE_EMPTY_PATH(dirfd, p, flags) \
	call.rec.fd = iomon_acts_on_dirfd(p, flags) && (dirfd) >= 0 ? (dirfd) : -1
#define IOMON_FD_AFTER_EMPTY_PATH(dirfd, p, flags) (void)0
#define IOMON_FD_BEFORE_NONE (void)0
#define IOMON_FD_AFTER_NONE (void)0

/* BYTES rules */
#define IOMON_BYTES_RET (failed || ret < 0 ? 0 : (uint64_t)ret)
#define IOMON_BYTES_ITEMS(size) ((uint64_t)ret * (uint64_t)(size))
#define IOMON_BYTES_ARG(n) (failed ? 0 : (uint64_t)(n))
#define IOMON_BYTES_STRLEN(str) (failed || !(str) ? 0 : (uint64_t)strlen(str))
#define IOMON_BYTES_NONE 0

/* S1 and S2 rules */
#define IOMON_STR_PATH(p) iomon_str_at(AT_FDCWD, p)
#define IOMON_STR_AT_PATH(dirfd, p) iomon_str_at(dirfd, p)
/* AT_PATH(dirfd, p), or dirfd's own path (the working directory's for
 * AT_FDCWD) when the call acts on dirfd itself. */
#define IOMON_STR_AT_PATH_OR_FD(dirfd, p, flags) \
	(iomon_acts_on_dirfd(p, flags) ? iomon_str_fd(dirfd) : iomon_str_at(dirfd, p))
#define IOMON_STR_MODE(m) iomon_str_c(m)
#define IOMON_STR_FD_PATH iomon_str_fd(call.rec.fd)
#define IOMON_STR_FD_PATH_OF(fd) iomon_str_fd(fd)
#define IOMON_STR_ADDR(addr, len) iomon_str_c(iomon_sockaddr_str(addr, len, call.s1buf))
#define IOMON_STR_ADDR_OUT(addr, lenp) \
	iomon_str_c(failed || !(addr) || !(lenp) ? "" : iomon_sockaddr_str(addr, *(lenp), call.s1buf))
#define IOMON_STR_OFLAGS(flags) iomon_str_oflags(flags)
#define IOMON_STR_INT(n) iomon_str_c(iomon_int_str(n, call.s2buf))
#define IOMON_STR_OCTAL(mode) iomon_str_c(iomon_octal_str((uint64_t)(mode), call.s2buf))
/* A number the call gives back, only when it succeeded. */
#define IOMON_STR_INT_OK(n) iomon_str_c(failed ? "" : iomon_int_str(n, call.s2buf))
#define IOMON_STR_NONE iomon_str_none()

/* The S1 and S2 rules that name a descriptor the call uses define
 * IOMON_STR_OWN_<RULE> as IOMON_OWN_IF(whether it is the library's own);
 * IOMON_STR_OWN(rule) is 0 for the rules that do not. */
#define IOMON_STR_OWN_AT_PATH(dirfd, p) IOMON_OWN_IF(iomon_at_own(dirfd, p, 0))
#define IOMON_STR_OWN_AT_PATH_OR_FD(dirfd, p, flags) IOMON_OWN_IF(iomon_at_own(dirfd, p, flags))
#define IOMON_STR_OWN_FD_PATH_OF(fd) IOMON_OWN_IF(iomon_fd_is_own(fd))
#define IOMON_OWN_IF(cond) ~, (cond)
#define IOMON_SECOND_(a, b, ...) b
#define IOMON_SECOND(...) IOMON_SECOND_(__VA_ARGS__)
#define IOMON_STR_OWN(rule) IOMON_SECOND(IOMON_STR_OWN_##rule, 0, ~)

/* An open's path as its S1 rule makes it, before the call, for
 * START_ON_OPEN's look while paused: the rules that name a path define
 * IOMON_PRE_STR_<RULE>; any other S1 names none (an fdopen's). */
#define IOMON_PRE_STR_PATH(p) ~, iomon_str_at(AT_FDCWD, p)
#define IOMON_PRE_STR_AT_PATH(dirfd, p) ~, iomon_str_at(dirfd, p)
#define IOMON_PRE_STR(rule) IOMON_SECOND(IOMON_PRE_STR_##rule, iomon_str_none(), ~)

/* Whether a row's record is s1 FD_PATH and s2 NONE, the shape of most
 * reads and writes, which iomon_call_end_fd() takes in registers. */
#define IOMON_S1_FD_SHAPE_FD_PATH ~, 1
#define IOMON_S2_FD_SHAPE_NONE ~, 1
#define IOMON_FD_SHAPE(S1, S2) \
	(IOMON_SECOND(IOMON_S1_FD_SHAPE_##S1, 0, ~) && IOMON_SECOND(IOMON_S2_FD_SHAPE_##S2, 0, ~))

/* Whether the call names the library's own descriptor. */
#define IOMON_NAMES_OWN(FD, S1, S2) \
	(IOMON_FD_OWN_##FD || IOMON_STR_OWN(S1) || IOMON_STR_OWN(S2))

/* EFFECT rules: one part before the real call (BEFORE), one as soon as it
 * has returned, before the record (RETURNED), one after the record.
 * Whether a row has one decides if it may skip the bookkeeping when its
 * domain is not recorded; TABLE_ONLY, whether the effect only keeps the fd
 * table, which a process that records no fd's path does without
 * (iomon_fds_unused). */
#define IOMON_HAS_EFFECT_NONE 0
#define IOMON_TABLE_ONLY_NONE 0
#define IOMON_EFFECT_BEFORE_NONE (void)0
#define IOMON_EFFECT_RETURNED_NONE (void)0
#define IOMON_EFFECT_NONE (void)0

/* An open's path goes into the table before its record, which then hands
 * it on to the sender (struct iomon_call's opened_path).  The record's s1,
 * made first, is that path when the call is recorded: its length is not
 * measured twice. */
#define IOMON_HAS_EFFECT_OPENS(path) 1
#define IOMON_TABLE_ONLY_OPENS(path) 1
#define IOMON_EFFECT_BEFORE_OPENS(path) (void)0
#define IOMON_EFFECT_RETURNED_OPENS(path) IOMON_EFFECT_RETURNED_OPENS_AT(AT_FDCWD, path)
#define IOMON_EFFECT_OPENS(path) (void)0
#define IOMON_HAS_EFFECT_OPENS_AT(dirfd, path) 1
#define IOMON_TABLE_ONLY_OPENS_AT(dirfd, path) 1
#define IOMON_EFFECT_BEFORE_OPENS_AT(dirfd, path) (void)0
#define IOMON_EFFECT_RETURNED_OPENS_AT(dirfd, path)                                    \
	do {                                                                            \
		if (!failed && call.rec.fd >= 0 && (path)) {                            \
			call.opened_path = (path);                                      \
			call.opened_gen = iomon_fd_set_at(                              \
			    call.rec.fd, dirfd, path,                                   \
			    call.rec.s1.ptr == (path) ? call.rec.s1.len                 \
						      : strnlen(path, IOMON_STRING_MAX)); \
		}                                                                       \
	} while (0)
#define IOMON_EFFECT_OPENS_AT(dirfd, path) (void)0

/* A descriptor about to be closed can no longer be looked up afterwards. */
#define IOMON_HAS_EFFECT_CLOSES 1
#define IOMON_TABLE_ONLY_CLOSES 1
#define IOMON_EFFECT_BEFORE_CLOSES if (record) iomon_fd_learn(call.rec.fd)
#define IOMON_EFFECT_RETURNED_CLOSES (void)0
#define IOMON_EFFECT_CLOSES iomon_fd_forget(call.rec.fd)
#define IOMON_HAS_EFFECT_CLOSES_RANGE(first, last) 1
#define IOMON_TABLE_ONLY_CLOSES_RANGE(first, last) 0
#define IOMON_EFFECT_BEFORE_CLOSES_RANGE(first, last) (void)0
#define IOMON_EFFECT_RETURNED_CLOSES_RANGE(first, last) (void)0
#define IOMON_EFFECT_CLOSES_RANGE(first, last) \
	do { if (!failed) iomon_fd_forget_range(first, last); } while (0)

#define IOMON_HAS_EFFECT_DUPS(oldfd) 1
#define IOMON_TABLE_ONLY_DUPS(oldfd) 1
#define IOMON_EFFECT_BEFORE_DUPS(oldfd) (void)0
#define IOMON_EFFECT_RETURNED_DUPS(oldfd) (void)0
#define IOMON_EFFECT_DUPS(oldfd) do { if (!failed) iomon_fd_copy((int)ret, oldfd); } while (0)
/* dup2/dup3 onto the library's socket move the socket out of the way. */
#define IOMON_HAS_EFFECT_DUPS_ONTO(oldfd, newfd) 1
#define IOMON_TABLE_ONLY_DUPS_ONTO(oldfd, newfd) 0
#define IOMON_EFFECT_BEFORE_DUPS_ONTO(oldfd, newfd) iomon_fd_evict(oldfd, newfd)
#define IOMON_EFFECT_RETURNED_DUPS_ONTO(oldfd, newfd) (void)0
#define IOMON_EFFECT_DUPS_ONTO(oldfd, newfd) IOMON_EFFECT_DUPS(oldfd)

#define IOMON_HAS_EFFECT_NEW_FD 1
#define IOMON_TABLE_ONLY_NEW_FD 1
#define IOMON_EFFECT_BEFORE_NEW_FD (void)0
#define IOMON_EFFECT_RETURNED_NEW_FD (void)0
#define IOMON_EFFECT_NEW_FD do { if (!failed) iomon_fd_forget((int)ret); } while (0)
#define IOMON_HAS_EFFECT_NEW_FDS(fds) 1
#define IOMON_TABLE_ONLY_NEW_FDS(fds) 1
#define IOMON_EFFECT_BEFORE_NEW_FDS(fds) (void)0
#define IOMON_EFFECT_RETURNED_NEW_FDS(fds) (void)0
#define IOMON_EFFECT_NEW_FDS(fds) \
	do { if (!failed) { iomon_fd_forget((fds)[0]); iomon_fd_forget((fds)[1]); } } while (0)

/* NAMES_*: S1 was formatted into s1buf even when the domain is not being
 * recorded, since the effect needs it; hence HAS_EFFECT, and NEEDS_S1. */
#define IOMON_S1_FOR_NAMES_FD ~, 1
#define IOMON_S1_FOR_NAMES_RET ~, 1
#define IOMON_EFFECT_NEEDS_S1(EFFECT) IOMON_SECOND(IOMON_S1_FOR_##EFFECT, 0, ~)
#define IOMON_HAS_EFFECT_NAMES_FD 1
#define IOMON_TABLE_ONLY_NAMES_FD 1
#define IOMON_EFFECT_BEFORE_NAMES_FD (void)0
#define IOMON_EFFECT_RETURNED_NAMES_FD (void)0
#define IOMON_EFFECT_NAMES_FD \
	do { if (!failed && call.s1buf[0]) iomon_fd_set(call.rec.fd, call.s1buf); } while (0)
#define IOMON_HAS_EFFECT_NAMES_RET 1
#define IOMON_TABLE_ONLY_NAMES_RET 1
#define IOMON_EFFECT_BEFORE_NAMES_RET (void)0
#define IOMON_EFFECT_RETURNED_NAMES_RET (void)0
#define IOMON_EFFECT_NAMES_RET \
	do { if (!failed && call.s1buf[0]) iomon_fd_set((int)ret, call.s1buf); } while (0)

#define IOMON_HAS_EFFECT_CHDIRS 1
#define IOMON_TABLE_ONLY_CHDIRS 1
#define IOMON_EFFECT_BEFORE_CHDIRS (void)0
#define IOMON_EFFECT_RETURNED_CHDIRS (void)0
#define IOMON_EFFECT_CHDIRS do { if (!failed) iomon_cwd_refresh(); } while (0)

/* Only the record is cleared: s1buf and s2buf are written before any use,
 * and clearing them would cost every call more than the rest of its head.
 * Field by field: a compound literal of the whole record becomes a
 * `rep stos`, which takes longer to start than these stores do to run. */
#define IOMON_CALL_DECLARE(DOMAIN, OP)                                                \
	struct iomon_call call;                                                        \
	call.rec.ts = 0;                                                               \
	call.rec.dur_ns = 0;                                                           \
	call.rec.pid = 0;                                                              \
	call.rec.domain = IOMON_DOMAIN_##DOMAIN;                                       \
	call.rec.op = IOMON_OP_##OP;                                                   \
	call.rec.err = 0;                                                              \
	call.rec.fd = -1;                                                              \
	call.rec.bytes = 0;                                                            \
	call.rec.s1 = (struct iomon_str){ 0 };                                         \
	call.rec.s2 = (struct iomon_str){ 0 };                                         \
	call.opened_gen = 0

/* Whether a row's call is recorded under mask: its domain is, and, while
 * recording waits for START_ON_OPEN's open, it is an open. */
#define IOMON_IS_OPEN(DOMAIN, OP) \
	(IOMON_DOMAIN_##DOMAIN == IOMON_DOMAIN_FILE_OPEN_CLOSE && IOMON_OP_##OP == IOMON_OP_OPEN)
#define IOMON_RECORDS(mask, DOMAIN, OP)       \
	((mask) >> IOMON_DOMAIN_##DOMAIN & 1 && \
	 (IOMON_IS_OPEN(DOMAIN, OP) || !((mask) & IOMON_MASK_PAUSED)))

/* The body shared by every generated wrapper. */
#define IOMON_WRAPPER_BODY(RET, NAME, PARAMS, ARGS, DOMAIN, OP, FAIL, FD, BYTES, S1, S2, EFFECT) \
	{                                                                               \
		RET(*real) PARAMS = IOMON_REAL_FN(NAME);                                \
		uint32_t iomon_now = iomon_mask_now();                                 \
		bool record = IOMON_RECORDS(iomon_now, DOMAIN, OP);                     \
		if (!iomon_now ||                                                       \
		    (!record && !IOMON_NAMES_OWN(FD, S1, S2) &&                         \
		     (!IOMON_HAS_EFFECT_##EFFECT ||                                     \
		      (IOMON_TABLE_ONLY_##EFFECT && iomon_fds_unused)))) {              \
			iomon_passed_through(IOMON_DOMAIN_##DOMAIN);                    \
			return real ARGS;                                               \
		}                                                                       \
		bool own = IOMON_NAMES_OWN(FD, S1, S2);                                 \
		IOMON_CALL_DECLARE(DOMAIN, OP);                                         \
		IOMON_FD_BEFORE_##FD;                                                   \
		if (IOMON_IS_OPEN(DOMAIN, OP) && record &&                              \
		    IOMON_UNLIKELY(iomon_now & IOMON_MASK_PAUSED)) {                    \
			call.rec.s1 = IOMON_PRE_STR(S1);                                \
			record = iomon_open_wanted(call.rec.s1);                        \
		}                                                                       \
		if (!own) {                                                             \
			IOMON_EFFECT_BEFORE_##EFFECT;                                   \
		}                                                                       \
		call.t0 = record ? iomon_clock_ns() : 0;                                \
		int *errno_p = IOMON_TP_VAR(int, errno_, errno);                        \
		int errno_before = *errno_p;                                            \
		RET ret;                                                                \
		if (IOMON_UNLIKELY(own))                                                \
			ret = IOMON_NOT_OPEN_##FAIL;                                    \
		else                                                                    \
			ret = real ARGS;                                                \
		int saved_errno = *errno_p;                                             \
		bool failed = IOMON_FAIL_##FAIL;                                        \
		(void)errno_before;                                                     \
		IOMON_FD_AFTER_##FD;                                                    \
		if (record || IOMON_EFFECT_NEEDS_S1(EFFECT))                            \
			call.rec.s1 = IOMON_STR_##S1;                                   \
		IOMON_EFFECT_RETURNED_##EFFECT;                                         \
		if (record && IOMON_FD_SHAPE(S1, S2)) {                                 \
			iomon_call_end_fd(call.t0, IOMON_DOMAIN_##DOMAIN, IOMON_OP_##OP, \
					  failed ? IOMON_ERRNO_##FAIL : 0, call.rec.fd,  \
					  IOMON_BYTES_##BYTES);                         \
		} else if (record) {                                                    \
			call.rec.bytes = IOMON_BYTES_##BYTES;                           \
			call.rec.s2 = IOMON_STR_##S2;                                   \
			iomon_call_end(&call, failed ? IOMON_ERRNO_##FAIL : 0);         \
		}                                                                       \
		IOMON_EFFECT_##EFFECT;                                                  \
		*errno_p = saved_errno;                                                 \
		return ret;                                                             \
	}

/* A row for a function that returns nothing (rewind, sync): it cannot
 * fail, so it has no FAIL or BYTES.  IOMON_WRAP_VOID_EFFECT adds an
 * EFFECT column (closefrom). */
#define IOMON_WRAP_VOID(NAME, PARAMS, ARGS, DOMAIN, OP, FD, S1, S2) \
	IOMON_WRAP_VOID_EFFECT(NAME, PARAMS, ARGS, DOMAIN, OP, FD, S1, S2, NONE)

#define IOMON_WRAP_VOID_EFFECT(NAME, PARAMS, ARGS, DOMAIN, OP, FD, S1, S2, EFFECT)     \
	static void(*IOMON_REAL(NAME)) PARAMS IOMON_HOT;                                \
	IOMON_ROW_ENTRY(NAME, DOMAIN, OP)                                               \
	IOMON_DECLARE(void, NAME, PARAMS);                                              \
	IOMON_JUMP_RETURN void IOMON_WRAPPER(NAME) PARAMS                               \
	{                                                                               \
		void(*real) PARAMS = IOMON_REAL_FN(NAME);                               \
		if (!iomon_on() ||                                                      \
		    (!IOMON_HAS_EFFECT_##EFFECT && !iomon_wants(IOMON_DOMAIN_##DOMAIN))) { \
			iomon_passed_through(IOMON_DOMAIN_##DOMAIN);                    \
			real ARGS;                                                      \
			return;                                                         \
		}                                                                       \
		bool record = iomon_wants(IOMON_DOMAIN_##DOMAIN);                       \
		const bool failed = false;                                              \
		(void)failed;                                                           \
		IOMON_CALL_DECLARE(DOMAIN, OP);                                         \
		IOMON_FD_BEFORE_##FD;                                                   \
		IOMON_EFFECT_BEFORE_##EFFECT;                                           \
		call.t0 = record ? iomon_clock_ns() : 0;                                \
		real ARGS;                                                              \
		int *errno_p = IOMON_TP_VAR(int, errno_, errno);                        \
		int saved_errno = *errno_p;                                             \
		if (record)                                                             \
			call.rec.s1 = IOMON_STR_##S1;                                   \
		IOMON_EFFECT_RETURNED_##EFFECT;                                         \
		if (record) {                                                           \
			call.rec.s2 = IOMON_STR_##S2;                                   \
			iomon_call_end(&call, 0);                                       \
		}                                                                       \
		IOMON_EFFECT_##EFFECT;                                                  \
		*errno_p = saved_errno;                                                 \
	}

/*
 * A row: the exported wrapper of NAME.  Its C name is iomon_wrap_NAME and
 * its symbol NAME, so it never meets the C library's own declaration of
 * NAME, which headers may rename (fscanf to __isoc99_fscanf, open to open64).
 */
#define IOMON_WRAPPER(NAME) iomon_wrap_##NAME
#define IOMON_DECLARE(RET, NAME, PARAMS) \
	IOMON_EXPORT RET IOMON_WRAPPER(NAME) PARAMS __asm__(#NAME)

#define IOMON_WRAP(RET, NAME, PARAMS, ARGS, ...)                                       \
	static RET(*IOMON_REAL(NAME)) PARAMS IOMON_HOT;                                 \
	IOMON_ROW_ENTRY_(NAME, IOMON_ROW_CODES(__VA_ARGS__))                            \
	IOMON_DECLARE(RET, NAME, PARAMS);                                               \
	IOMON_JUMP_RETURN RET IOMON_WRAPPER(NAME) PARAMS                                \
	IOMON_WRAPPER_BODY(RET, NAME, PARAMS, ARGS, __VA_ARGS__)

/* A row for a function that has to be exported by hand (open's optional
 * mode, fprintf's "..."): the body is generated as the internal function
 * WRAPPER, and domains/handwritten.c exports NAME on top of it. */
#define IOMON_WRAP_AS(RET, NAME, WRAPPER, PARAMS, ARGS, ...)                           \
	static RET(*IOMON_REAL(NAME)) PARAMS IOMON_HOT;                                 \
	IOMON_ROW_ENTRY_(NAME, IOMON_ROW_CODES(__VA_ARGS__))                            \
	__attribute__((visibility("hidden"))) RET WRAPPER PARAMS;                       \
	IOMON_JUMP_RETURN __attribute__((visibility("hidden"))) RET WRAPPER PARAMS      \
	IOMON_WRAPPER_BODY(RET, NAME, PARAMS, ARGS, __VA_ARGS__)

/* A function exported by domains/handwritten.c (declared there with
 * IOMON_DECLARE): listed in the catalog, nothing generated here. */
#define IOMON_HANDWRITTEN(NAME, DOMAIN, OP)

/* A call that never returns (exit): its record, with the time it was made,
 * is sent before the process goes.  STOP says when the process's STOP
 * record goes: LATER(status), from the library's destructor, for exit(),
 * which still runs atexit handlers; NOW(status) for _exit(), which runs
 * nothing more. */
#define IOMON_STOP_LATER(status) iomon_note_exit_status(status)
#define IOMON_STOP_NOW(status) (iomon_note_exit_status(status), iomon_stop())

#define IOMON_WRAP_NORETURN(NAME, PARAMS, ARGS, DOMAIN, OP, S1, S2, STOP)              \
	static void(*IOMON_REAL(NAME)) PARAMS IOMON_HOT;                                \
	IOMON_ROW_ENTRY(NAME, DOMAIN, OP)                                               \
	IOMON_DECLARE(void, NAME, PARAMS) __attribute__((noreturn));                    \
	void IOMON_WRAPPER(NAME) PARAMS                                                 \
	{                                                                               \
		void(*real) PARAMS = IOMON_REAL_FN(NAME);                               \
		if (iomon_on()) {                                                       \
			if (iomon_wants(IOMON_DOMAIN_##DOMAIN)) {                       \
				IOMON_CALL_DECLARE(DOMAIN, OP);                         \
				call.t0 = iomon_clock_ns();                             \
				call.rec.s1 = IOMON_STR_##S1;                           \
				call.rec.s2 = IOMON_STR_##S2;                           \
				iomon_call_end(&call, 0);                               \
			}                                                               \
			IOMON_STOP_##STOP;                                              \
			iomon_flush();                                                  \
		}                                                                       \
		real ARGS;                                                              \
		__builtin_unreachable();                                                \
	}

/* exec: what is buffered is sent first, since a success never returns; a
 * failure is recorded as any call is.  A success shows as the new image's
 * START record, in the same process. */
#define IOMON_WRAP_EXEC(NAME, PARAMS, ARGS, DOMAIN, OP, FD, S1, S2)                   \
	static int(*IOMON_REAL(NAME)) PARAMS;                                           \
	IOMON_ROW_ENTRY(NAME, DOMAIN, OP)                                               \
	IOMON_DECLARE(int, NAME, PARAMS);                                               \
	IOMON_JUMP_RETURN int IOMON_WRAPPER(NAME) PARAMS                                \
	{                                                                               \
		int(*real) PARAMS = IOMON_REAL_FN(NAME);                                \
		if (!iomon_on())                                                        \
			return real ARGS;                                               \
		bool record = iomon_wants(IOMON_DOMAIN_##DOMAIN);                       \
		bool own = IOMON_NAMES_OWN(FD, S1, S2);                                 \
		IOMON_CALL_DECLARE(DOMAIN, OP);                                         \
		IOMON_FD_BEFORE_##FD;                                                   \
		if (!own)                                                               \
			iomon_flush();                                                  \
		call.t0 = record ? iomon_clock_ns() : 0;                                \
		int ret = IOMON_UNLIKELY(own) ? IOMON_NOT_OPEN_NEG1 : real ARGS;        \
		int saved_errno = errno;                                                \
		if (record) {                                                           \
			call.rec.s1 = IOMON_STR_##S1;                                   \
			call.rec.s2 = IOMON_STR_##S2;                                   \
			iomon_call_end(&call, saved_errno);                             \
		}                                                                       \
		errno = saved_errno;                                                    \
		return ret;                                                             \
	}

#define IOMON_ROW_CODES(DOMAIN, OP, ...) DOMAIN, OP
#define IOMON_ROW_ENTRY_(...) IOMON_ROW_ENTRY(__VA_ARGS__)

#endif
