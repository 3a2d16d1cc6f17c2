/*
 * The stream: how records leave the process.
 *
 * Each thread leaves its records in a ring of its own (ring.c), lock-free:
 * only that thread writes the head, only the sender writes the tail.  A
 * record in a ring is packed (struct iomon_packed): its numbers as they
 * are, its strings as bytes, copied when the call was made; the work of
 * writing it as a CSV line is left to whoever sends it.  One sender thread
 * per process (sender.c) writes and ships every ring's records over the
 * socket in batches, at the latest IOMON_FLUSH_MS after a record was made,
 * and as often as the rings fill, every few milliseconds at most
 * (sender.c).  When the collector is slower than the program, a full ring
 * makes its thread wait (lossless); when there is no collector, records
 * are dropped and counted, and the count is sent as a record of its own
 * once a collector is reachable again.
 */
#ifndef IOMON_STREAM_H
#define IOMON_STREAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "format.h"
#include "iomon.h"

/* Big enough that a busy thread's ring fills in some milliseconds: each
 * look of the sender at the rings costs the program's threads, even on
 * another CPU (BENCHMARKS.md). */
#define IOMON_RING_SIZE (256 * 1024)
#define IOMON_FLUSH_MS 100

/*
 * A position packs a byte count (low 40 bits) and a record count (high 24),
 * both modular, so one atomic store publishes both and the sender always
 * knows how many records a span of bytes holds.
 */
#define IOMON_POS_BYTE_BITS 40

/*
 * How a packed string is written: as CSV (RAW, quoted if need be), copied
 * (CSV: already encoded), or as the flags of open(2) its 4 bytes hold.
 *
 * An fd's path, which the reads and writes of one file repeat record after
 * record, is copied into the ring only when it is new to the ring: the
 * owner remembers the last IOMON_FD_SLOTS descriptors it copied, and the
 * fd table's generation then; the sender keeps the paths themselves.  A
 * record whose fd is remembered, with no change to the table since, is
 * packed with FD_SAME and slot's number and no bytes; a new one with
 * FD_KEEP and the path as it is, which the sender writes as CSV into that
 * slot, and copies from there.  An open's record packs its path (s1) with
 * FD_KEEP too, for its new descriptor, as of the generation its own entry
 * in the table made (struct iomon_call's opened_path): the records of
 * that descriptor's reads and writes that follow copy no path.  The slots
 * stay in step because both sides take the ring's records in one order; a
 * fork child's owner forgets its slots (iomon_ring_atfork_child).
 */
#define IOMON_FD_SLOTS 2
enum iomon_packed_kind {
	IOMON_PACKED_RAW,
	IOMON_PACKED_CSV,
	IOMON_PACKED_OFLAGS,
	IOMON_PACKED_FD_KEEP,				/* + slot */
	IOMON_PACKED_FD_SAME = IOMON_PACKED_FD_KEEP + IOMON_FD_SLOTS,	/* + slot */
};

/*
 * A record in a ring: this header, then the wide numbers its flags name
 * (8 bytes each, in the order of the flags), then s1's bytes, then s2's,
 * padded to a multiple of IOMON_PACKED_ALIGN bytes (size).
 *
 * Small: a ring holds more records before its owner must wait for the
 * sender or drop (8192 reads in 256 KiB), and the sender reads fewer cache
 * lines on another CPU, each of which the writer must take back when it
 * comes round again (a record one line longer cost 18 ns more:
 * BENCHMARKS.md).  32 bytes is two records of a read a line.  The numbers
 * that seldom need more than 32 bits (a call's duration in clock ticks, its
 * bytes) or 16 (an error) have them, and the rare record whose numbers do
 * not fit carries them whole after the header.
 */
enum {
	IOMON_PACKED_WIDE_DUR = 1,	/* the duration, a uint64_t */
	IOMON_PACKED_WIDE_BYTES = 2,	/* the bytes, a uint64_t */
	IOMON_PACKED_WIDE_ERR = 4,	/* the error, an int64_t */
};
/* The most bytes a record's wide numbers take: all three. */
#define IOMON_PACKED_WIDE_MAX (3 * sizeof(uint64_t))

struct iomon_packed {
	uint16_t size;
	uint8_t domain;
	uint8_t op;
	uint8_t kinds;			/* s1's kind, then s2's << 4 */
	uint8_t wide;			/* IOMON_PACKED_WIDE_* */
	uint16_t err;
	int32_t fd;
	uint16_t s1_len;
	uint16_t s2_len;
	uint32_t dur;			/* end - start, in the stamps' units */
	uint32_t bytes;
	uint64_t end;			/* the call's end stamp (iomon.h) */
	char s[];
};

#define IOMON_PACKED_ALIGN 8
/* The largest packed record: every wide number, two strings of
 * IOMON_FIELD_MAX bytes. */
#define IOMON_PACKED_MAX                                                  \
	(sizeof(struct iomon_packed) + IOMON_PACKED_WIDE_MAX + 2 * IOMON_FIELD_MAX + \
	 IOMON_PACKED_ALIGN)
_Static_assert(sizeof(struct iomon_packed) == 32, "two read records a cache line");
_Static_assert(IOMON_PACKED_MAX <= UINT16_MAX, "a record's size fits its field");
_Static_assert(IOMON_DOMAIN_COUNT <= UINT8_MAX + 1 && IOMON_OP_COUNT <= UINT8_MAX + 1,
	       "domains and ops fit a byte");
_Static_assert(IOMON_PACKED_FD_SAME + IOMON_FD_SLOTS <= 16, "a kind fits in four bits");

struct iomon_ring;
/* The CSV line of a packed record of ring r; dst needs IOMON_RECORD_MAX
 * bytes. */
char *iomon_put_packed(char *dst, const struct iomon_packed *rec, struct iomon_ring *r);

/* What the owner writes and what the sender writes are on cache lines of
 * their own: a line both write moves between the two CPUs at every
 * record. */
#define IOMON_CACHE_LINE 64

struct iomon_ring {
	/* Written by the owner thread. */
	_Alignas(IOMON_CACHE_LINE) _Atomic uint64_t head;
	uint64_t tail_seen;		/* the tail when the owner last looked */
	_Atomic uint32_t waiting;	/* the owner waits for room */
	_Atomic uint64_t dropped;	/* records the owner could not buffer */
	_Atomic bool orphaned;		/* the owner thread has exited */
	struct iomon_ring *next;	/* set before the ring is listed */
	/* The fd paths the sender keeps: which descriptors, at which fd
	 * table generation (iomon_fd_gen); the slot to take next. */
	int32_t slot_fd[IOMON_FD_SLOTS];
	uint32_t slot_gen[IOMON_FD_SLOTS];
	uint8_t next_slot;
	/* Written by the sender. */
	_Alignas(IOMON_CACHE_LINE) _Atomic uint64_t tail;
	_Atomic uint32_t space;		/* futex: bumped when the sender frees room */
	uint16_t kept_len[IOMON_FD_SLOTS];
	/* While the sender ships (sender.c): the next record, where they
	 * end, the next's order, the next ring with records. */
	uint64_t ship_pos, ship_end, ship_key;
	struct iomon_ring *ship_next;
	/* Byte counts, as in positions (iomon_ring_populate_ahead): where
	 * making pages present began (0, or the head at fork), how far it
	 * has gone, and the head at the sender's last look. */
	uint64_t present_base, present, head_seen;
	/* IOMON_RING_SIZE bytes, then IOMON_RECORD_MAX of overflow so that a
	 * record is always written in one piece, then wrapped by commit; then
	 * the sender's kept paths (iomon_ring_kept). */
	_Alignas(IOMON_CACHE_LINE) char data[];
};

/* Whether the CPU has PREFETCHW (x86-64, CPUID 0x80000001 ECX bit 8):
 * set once at start-up (clock.c, which asks the CPU about its TSC too). */
extern bool iomon_has_prefetchw;

/* Asks for the cache line of p, to be written soon. */
static inline void iomon_prefetch_for_write(const char *p)
{
#if defined(__x86_64__)
	if (IOMON_LIKELY(iomon_has_prefetchw))
		__asm__ volatile("prefetchw %0" : : "m"(*p));
#else
	__builtin_prefetch(p, 1, 3);
#endif
}

/* Positions. */
#define IOMON_POS_BYTES_MASK ((UINT64_C(1) << IOMON_POS_BYTE_BITS) - 1)

static inline uint64_t iomon_pos_bytes(uint64_t pos)
{
	return pos & IOMON_POS_BYTES_MASK;
}

static inline uint64_t iomon_pos_records(uint64_t pos)
{
	return pos >> IOMON_POS_BYTE_BITS;
}

/* Bytes from tail to head. */
static inline uint64_t iomon_pos_used(uint64_t head, uint64_t tail)
{
	return (iomon_pos_bytes(head) - iomon_pos_bytes(tail)) & IOMON_POS_BYTES_MASK;
}

/* The position after a record of size bytes at pos. */
static inline uint64_t iomon_pos_after(uint64_t pos, size_t size)
{
	return ((iomon_pos_records(pos) + 1) << IOMON_POS_BYTE_BITS) |
	       ((iomon_pos_bytes(pos) + size) & IOMON_POS_BYTES_MASK);
}

/* The sender looks at the rings often enough that a ring seldom fills
 * this far; when it does, its owner wakes the sender. */
#define IOMON_KICK_AT (IOMON_RING_SIZE / 4 * 3)
/*
 * The lines a record is about to be written to were last read by the
 * sender, on another CPU: the writer's store has to take them back, and
 * the system call after the record waits for that.  Asking for them a
 * little ahead (PREFETCHW) takes them back while the program runs.
 */
#define IOMON_PREFETCH_AHEAD 1024

/* Owner side: the thread's ring (NULL if none can be had); room for need
 * bytes at the head (NULL: the record is dropped, and counted); the record
 * ending at end made the sender's.  Inline, their slow parts in ring.c. */
struct iomon_ring *iomon_ring_self(void);
/* Where the thread's ring is kept from the thread pointer: into
 * iomon_tp_off (iomon.h). */
void iomon_ring_tp_init(void);
char *iomon_ring_reserve_slow(struct iomon_ring *r, size_t need);
void iomon_ring_wrap(struct iomon_ring *r, size_t off, size_t n);
void iomon_ring_filling(struct iomon_ring *r, uint64_t head, uint64_t next);
/* A record the thread of r could not keep, counted for the sender to
 * report; r NULL: a thread that could have no ring. */
void iomon_ring_count_dropped(struct iomon_ring *r);

static inline char *iomon_ring_reserve(struct iomon_ring *r, size_t need)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (IOMON_LIKELY(IOMON_RING_SIZE - iomon_pos_used(head, r->tail_seen) >= need))
		return r->data + iomon_pos_bytes(head) % IOMON_RING_SIZE;
	return iomon_ring_reserve_slow(r, need);
}

static inline void iomon_ring_commit(struct iomon_ring *r, const char *end)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t off = iomon_pos_bytes(head) % IOMON_RING_SIZE;
	size_t n = (size_t)(end - (r->data + off));

	/* The record ran into the overflow area: wrap that part round. */
	if (IOMON_UNLIKELY(off + n > IOMON_RING_SIZE))
		iomon_ring_wrap(r, off, n);
	uint64_t next = iomon_pos_after(head, n);
	atomic_store_explicit(&r->head, next, memory_order_release);
	iomon_prefetch_for_write(r->data +
				 (iomon_pos_bytes(next) + IOMON_PREFETCH_AHEAD) % IOMON_RING_SIZE);
	/* Three quarters full by the tail seen last: then by the sender's? */
	if (IOMON_UNLIKELY(iomon_pos_used(next, r->tail_seen) >= IOMON_KICK_AT))
		iomon_ring_filling(r, head, next);
}

/* Owner side: the slot that holds fd's path, if it still does, or -1. */
static inline int iomon_ring_slot_of(const struct iomon_ring *r, int fd, uint32_t gen)
{
	for (int i = 0; i < IOMON_FD_SLOTS; i++)
		if (r->slot_fd[i] == fd && r->slot_gen[i] == gen)
			return i;
	return -1;
}

/* Owner side: the slot to keep fd's path in, as of table generation gen. */
int iomon_ring_take_slot(struct iomon_ring *r, int fd, uint32_t gen);

/* Sender side; the caller holds the send lock. */
/* Where the sender keeps slot's path: IOMON_FIELD_MAX bytes. */
char *iomon_ring_kept(struct iomon_ring *r, unsigned slot);
struct iomon_ring *iomon_ring_first(void);
/* The position of r's first unsent record; the end of its records. */
uint64_t iomon_ring_tail(struct iomon_ring *r);
uint64_t iomon_ring_head(struct iomon_ring *r);
/* The record at *pos (not the head), in one piece: in the ring, or copied
 * into buf (IOMON_PACKED_MAX bytes) when it wraps round its end.  *pos
 * moves on to the next. */
const struct iomon_packed *iomon_ring_next(struct iomon_ring *r, uint64_t *pos, void *buf);
/* The end stamp of the record at pos (not the head), where it is. */
uint64_t iomon_ring_end_stamp(const struct iomon_ring *r, uint64_t pos);
/* The records of threads that could have no ring, counted since the count
 * was last taken; taking it. */
uint64_t iomon_ring_no_ring_dropped(void);
uint64_t iomon_ring_take_no_ring_dropped(void);
/* Frees the records before pos. */
void iomon_ring_release(struct iomon_ring *r, uint64_t pos);
/* At a look of the sender at r, whose head is head, since_ns after the
 * last: makes the pages its owner is about to write to present.  True
 * while the owner has pages of its first round left to fault and writes
 * fast (ring.c). */
bool iomon_ring_populate_ahead(struct iomon_ring *r, uint64_t head, uint64_t since_ns);
/* Frees r if its thread has exited and nothing is left; returns the next. */
struct iomon_ring *iomon_ring_reap(struct iomon_ring *r);
/* After fork, in the child: only the calling thread's ring survives, empty. */
void iomon_ring_atfork_child(void);
/* This thread has ended (its ring's destructor ran, or it was the sender):
 * it may be the process's last, running its exit (sender.c). */
extern IOMON_TLS bool iomon_thread_ended;

/* The sender. */
void iomon_sender_kick(void);
/* May the owner of a full ring wait for room?  False: drop the record. */
bool iomon_sender_wait_for_room(struct iomon_ring *r, uint64_t tail);
/* After a commit: a sender must run to send the record (see
 * sender_may_end() in sender.c for the fence). */
extern _Atomic bool iomon_sender_running;
extern bool iomon_sender_membarrier;
void iomon_sender_start(void);
/* After the program has changed its credentials: the sender, if it is a
 * thread the C library does not know of, ends, and a new one starts, with
 * them (sender.c). */
void iomon_sender_renew(void);
/* The sender asks for a sender with a table of its own to replace it
 * (sender.c): the next record, in core.c, replaces it. */
void iomon_want_new_sender(void);
void iomon_sender_replace(void);
/* Around a call that needs the process to have no other thread: the sender
 * ends, and none starts until the release (records are sent by the
 * threads that make them). */
void iomon_sender_hold(void);
void iomon_sender_release(void);

static inline void iomon_sender_ensure(void)
{
	if (IOMON_LIKELY(iomon_sender_membarrier))
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
	if (IOMON_UNLIKELY(!atomic_load_explicit(&iomon_sender_running, memory_order_relaxed)))
		iomon_sender_start();
}
void iomon_sender_atfork_child(void);
void iomon_sender_init(uint16_t port);

#endif
