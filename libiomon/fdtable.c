/*
 * The fd table: what each descriptor of the process refers to, so that a
 * record of a read, a write or a close names its file.
 *
 * Paths are kept as they are (raw bytes): the sender writes them as CSV,
 * off the program's thread.  Readers and writers never block each other:
 * each entry is a seqlock, and a reader that keeps losing the race records
 * an empty path rather than spin (it may be a signal handler that
 * interrupted the writer).
 * Memory comes from mmap, never malloc: wrappers run in signal handlers.
 * A descriptor the table has not seen (inherited, opened before the library
 * started, made by a call the library does not wrap) is looked up once in
 * /proc/self/fd and remembered.  The working directory is one more entry,
 * so that a relative path, or one relative to a directory descriptor, is
 * recorded as the absolute path it names.
 */
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <fcntl.h>

#include "iomon.h"

#define CHUNK_FDS 64
#define MAX_FDS (1 << 20)
#define INLINE_MAX 108
#define UNKNOWN UINT32_MAX
#define READ_TRIES 8

struct fd_entry {
	_Atomic uint32_t seq;	/* odd while a writer is at work */
	_Atomic uint32_t len;	/* the path's length, or UNKNOWN */
	char *_Atomic ext;	/* IOMON_STRING_MAX bytes for long paths; kept */
	char inl[INLINE_MAX];
};

struct fd_chunk {
	struct fd_entry e[CHUNK_FDS];
};

static struct fd_chunk *_Atomic chunks[MAX_FDS / CHUNK_FDS];
static struct fd_entry cwd_entry = { .len = UNKNOWN };

static void *map_zeroed(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static inline __attribute__((always_inline)) struct fd_entry *entry(int fd, bool create)
{
	if (fd == AT_FDCWD)
		return &cwd_entry;
	if (fd < 0 || fd >= MAX_FDS)
		return NULL;
	struct fd_chunk *_Atomic *slot = &chunks[fd / CHUNK_FDS];
	struct fd_chunk *c = atomic_load_explicit(slot, memory_order_acquire);
	if (!c && create) {
		struct fd_chunk *fresh = map_zeroed(sizeof(*fresh));
		if (!fresh)
			return NULL;
		for (int i = 0; i < CHUNK_FDS; i++)
			atomic_init(&fresh->e[i].len, UNKNOWN);
		if (atomic_compare_exchange_strong(slot, &c, fresh))
			c = fresh;
		else
			munmap(fresh, sizeof(*fresh));
	}
	return c ? &c->e[fd % CHUNK_FDS] : NULL;
}

static bool write_begin(struct fd_entry *e)
{
	for (int i = 0; i < READ_TRIES; i++) {
		uint32_t s = atomic_load_explicit(&e->seq, memory_order_relaxed);
		if (!(s & 1) && atomic_compare_exchange_weak_explicit(&e->seq, &s, s + 1,
								      memory_order_acquire,
								      memory_order_relaxed)) {
			/* The odd count must be seen before any byte of the
			 * new path: a reader then retries rather than copy a
			 * half-written one.  x86 orders stores anyway; weaker
			 * CPUs need the fence. */
			atomic_thread_fence(memory_order_release);
			return true;
		}
	}
	return false;
}

IOMON_HOT _Atomic uint32_t iomon_fd_gen;

/* Returns the table generation the change made. */
static uint32_t write_end(struct fd_entry *e)
{
	/* The count is odd: only this writer changes it now, so a store
	 * does what a locked add would. */
	uint32_t s = atomic_load_explicit(&e->seq, memory_order_relaxed);

	atomic_store_explicit(&e->seq, s + 1, memory_order_release);
	return atomic_fetch_add_explicit(&iomon_fd_gen, 1, memory_order_release) + 1;
}

/* Stores path (len bytes) for e; the caller holds the write side.  False
 * if there was no memory for a long path: e then holds an empty one. */
static bool store(struct fd_entry *e, const char *path, size_t len)
{
	char *dst = e->inl;

	if (len > IOMON_STRING_MAX)
		len = IOMON_STRING_MAX;
	if (len > INLINE_MAX) {
		dst = atomic_load_explicit(&e->ext, memory_order_relaxed);
		if (!dst) {
			dst = map_zeroed(IOMON_STRING_MAX);
			if (!dst) {
				atomic_store_explicit(&e->len, 0, memory_order_relaxed);
				return false;
			}
			atomic_store_explicit(&e->ext, dst, memory_order_relaxed);
		}
	}
	memcpy(dst, path, len);
	atomic_store_explicit(&e->len, (uint32_t)len, memory_order_relaxed);
	return true;
}

/* Stores path (len bytes) as fd's; returns the generation that made, or 0
 * if the path is not stored whole. */
static uint32_t set_path(int fd, const char *path, size_t len)
{
	struct fd_entry *e = entry(fd, true);

	if (!e || !write_begin(e))
		return 0;
	bool whole = store(e, path, len);
	uint32_t gen = write_end(e);
	return whole ? gen : 0;
}

void iomon_fd_set(int fd, const char *path)
{
	if (path)
		set_path(fd, path, strnlen(path, IOMON_STRING_MAX));
}

void iomon_fd_forget(int fd)
{
	struct fd_entry *e = entry(fd, false);

	if (!e || !write_begin(e))
		return;
	atomic_store_explicit(&e->len, UNKNOWN, memory_order_relaxed);
	write_end(e);
}

/* Fills an entry the table has never seen from the kernel's own view.
 * Apart from learn(), as set_path_at() is from iomon_fd_set_at(): the
 * calls that find the entry known, each close among them, leave its
 * buffer's page alone. */
static __attribute__((noinline)) void learn_unknown(int fd)
{
	if (fd == AT_FDCWD) {
		iomon_cwd_refresh();
		return;
	}

	static const char prefix[] = "/proc/self/fd/";
	char link[sizeof(prefix) + 12], target[IOMON_STRING_MAX];

	memcpy(link, prefix, sizeof(prefix) - 1);
	*iomon_put_u64(link + sizeof(prefix) - 1, (uint64_t)fd) = '\0';
	long n = syscall(SYS_readlinkat, AT_FDCWD, link, target, sizeof(target));
	if (n <= 0)
		return;
	struct fd_entry *e = entry(fd, true);
	if (!e || !write_begin(e))
		return;
	if (atomic_load_explicit(&e->len, memory_order_relaxed) == UNKNOWN)
		store(e, target, (size_t)n);
	write_end(e);
}

/* The library's own descriptor is not open, to the program: a record of a
 * call on it names no file, as for any descriptor that is not open. */
static void learn(int fd)
{
	struct fd_entry *known = entry(fd, false);

	if (iomon_fd_is_own(fd))
		return;
	if (known && atomic_load_explicit(&known->len, memory_order_relaxed) != UNKNOWN)
		return;
	learn_unknown(fd);
}

static inline __attribute__((always_inline)) char *copy_out(char *dst, struct fd_entry *e, bool *unknown)
{
	for (int i = 0; i < READ_TRIES; i++) {
		uint32_t s = atomic_load_explicit(&e->seq, memory_order_acquire);
		if (s & 1)
			continue;
		uint32_t len = atomic_load_explicit(&e->len, memory_order_relaxed);
		if (len == UNKNOWN) {
			*unknown = true;
			return dst;
		}
		const char *src = len > INLINE_MAX ? atomic_load_explicit(&e->ext, memory_order_relaxed)
						   : e->inl;
		if (src)
			memcpy(dst, src, len);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&e->seq, memory_order_relaxed) == s)
			return src ? dst + len : dst;
	}
	return dst;
}

void iomon_fd_learn(int fd)
{
	if (fd >= 0 || fd == AT_FDCWD)
		learn(fd);
}

void iomon_cwd_refresh(void)
{
	char cwd[IOMON_STRING_MAX];
	long n = syscall(SYS_getcwd, cwd, sizeof(cwd));

	/* The kernel's length counts the final NUL. */
	if (n > 1)
		set_path(AT_FDCWD, cwd, (size_t)n - 1);
}

void iomon_fd_forget_range(unsigned first, unsigned last)
{
	if (last >= MAX_FDS)
		last = MAX_FDS - 1;
	for (unsigned fd = first; fd <= last; fd++) {
		if (fd % CHUNK_FDS == 0 && !atomic_load_explicit(&chunks[fd / CHUNK_FDS],
								 memory_order_relaxed)) {
			fd += CHUNK_FDS - 1;
			continue;
		}
		iomon_fd_forget((int)fd);
	}
}

/* The path of an entry, into raw[IOMON_STRING_MAX]. */
static size_t raw_path(int fd, char *raw)
{
	return (size_t)(iomon_fd_path(raw, fd) - raw);
}

/* path, made absolute against dirfd's path when it is relative. */
static size_t join_at(int dirfd, const char *path, size_t len, char *out)
{
	while (len >= 2 && path[0] == '.' && path[1] == '/') {
		path += 2;
		len -= 2;
	}
	if (len == 1 && path[0] == '.')
		len = 0;
	size_t n = raw_path(dirfd, out);
	if (n == 0) {
		len = len < IOMON_STRING_MAX ? len : IOMON_STRING_MAX;
		memcpy(out, path, len);
		return len;
	}
	if (len && out[n - 1] != '/' && n < IOMON_STRING_MAX)
		out[n++] = '/';
	if (len > IOMON_STRING_MAX - n)
		len = IOMON_STRING_MAX - n;
	memcpy(out + n, path, len);
	return n + len;
}

static bool is_absolute(const char *path, size_t len)
{
	return len > 0 && path[0] == '/';
}

/* A relative path's half of iomon_fd_set_at(): apart, so that the buffer
 * it needs is not on the stack of every open.  A frame of 4 KiB takes the
 * stack into a page of its own at each call, and each page a call touches
 * costs a page walk after the system call (BENCHMARKS.md, "Pages"). */
static __attribute__((noinline)) uint32_t set_path_at(int fd, int dirfd, const char *path,
						       size_t len)
{
	char abs[IOMON_STRING_MAX];

	return set_path(fd, abs, join_at(dirfd, path, len, abs));
}

uint32_t iomon_fd_set_at(int fd, int dirfd, const char *path, size_t len)
{
	if (is_absolute(path, len))
		return set_path(fd, path, len);
	return set_path_at(fd, dirfd, path, len);
}

void iomon_fd_copy(int to, int from)
{
	char raw[IOMON_STRING_MAX];

	if (to == from)
		return;
	size_t n = raw_path(from, raw);
	struct fd_entry *e = entry(to, true);
	if (!e || !write_begin(e))
		return;
	if (n)
		store(e, raw, n);
	else
		atomic_store_explicit(&e->len, UNKNOWN, memory_order_relaxed);
	write_end(e);
}

char *iomon_at_path(char *dst, int dirfd, const char *path, size_t len)
{
	if (!path)
		return dst;
	if (is_absolute(path, len)) {
		len = len < IOMON_STRING_MAX ? len : IOMON_STRING_MAX;
		memcpy(dst, path, len);
		return dst + len;
	}
	return dst + join_at(dirfd, path, len, dst);
}

char *iomon_put_at_path(char *dst, int dirfd, const char *path, size_t len)
{
	char abs[IOMON_STRING_MAX];

	return iomon_put_csv(dst, abs, (size_t)(iomon_at_path(abs, dirfd, path, len) - abs));
}

char *iomon_fd_path(char *dst, int fd)
{
	struct fd_entry *e = entry(fd, false);
	bool unknown = e == NULL;

	if (e)
		dst = copy_out(dst, e, &unknown);
	if (!unknown || fd < 0)
		return dst;
	learn(fd);
	e = entry(fd, false);
	return e ? copy_out(dst, e, &unknown) : dst;
}
