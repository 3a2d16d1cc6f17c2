/* Per-thread record rings: see stream.h. */
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "iomon.h"
#include "rawsys.h"
#include "stream.h"

#define KEPT_OFFSET (IOMON_RING_SIZE + IOMON_RECORD_MAX)
#define MAP_SIZE (sizeof(struct iomon_ring) + KEPT_OFFSET + IOMON_FD_SLOTS * IOMON_FIELD_MAX)

_Static_assert(IOMON_PACKED_MAX <= IOMON_RECORD_MAX, "a record fits in the overflow area");
_Static_assert(IOMON_RING_SIZE % IOMON_PACKED_ALIGN == 0, "records never straddle the end");

static struct iomon_ring *_Atomic ring_list;
/* Records of threads that could have no ring (no memory for one). */
static _Atomic uint64_t no_ring_dropped;
static IOMON_TLS struct iomon_ring *my_ring;
IOMON_TLS bool iomon_thread_ended;
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static void ring_orphan(void *arg)
{
	struct iomon_ring *r = arg;

	my_ring = NULL;
	iomon_thread_ended = true;
	atomic_store_explicit(&r->orphaned, true, memory_order_release);
}

static void make_exit_key(void)
{
	pthread_key_create(&exit_key, ring_orphan);
}

static void forget_slots(struct iomon_ring *r)
{
	for (int i = 0; i < IOMON_FD_SLOTS; i++)
		r->slot_fd[i] = -1;
}

int iomon_ring_take_slot(struct iomon_ring *r, int fd, uint32_t gen)
{
	int slot = r->next_slot;

	r->next_slot = (uint8_t)((slot + 1) % IOMON_FD_SLOTS);
	r->slot_fd[slot] = fd;
	r->slot_gen[slot] = gen;
	return slot;
}

char *iomon_ring_kept(struct iomon_ring *r, unsigned slot)
{
	return r->data + KEPT_OFFSET + slot * IOMON_FIELD_MAX;
}

#if IOMON_TP_OFFSETS
void iomon_ring_tp_init(void)
{
	iomon_tp_off.ring = iomon_tp_offset(&my_ring);
}
#endif

struct iomon_ring *iomon_ring_self(void)
{
	struct iomon_ring *r = *IOMON_TP_VAR(struct iomon_ring *, ring, my_ring);

	if (IOMON_LIKELY(r != NULL))
		return r;
	r = mmap(NULL, MAP_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (r == MAP_FAILED)
		return NULL;
	forget_slots(r);
	pthread_once(&exit_key_once, make_exit_key);
	pthread_setspecific(exit_key, r);
	r->next = atomic_load_explicit(&ring_list, memory_order_relaxed);
	while (!atomic_compare_exchange_weak_explicit(&ring_list, &r->next, r, memory_order_release,
						      memory_order_relaxed))
		;
	my_ring = r;
	return r;
}

void iomon_ring_count_dropped(struct iomon_ring *r)
{
	atomic_fetch_add_explicit(r ? &r->dropped : &no_ring_dropped, 1, memory_order_relaxed);
}

uint64_t iomon_ring_no_ring_dropped(void)
{
	return atomic_load_explicit(&no_ring_dropped, memory_order_relaxed);
}

uint64_t iomon_ring_take_no_ring_dropped(void)
{
	return atomic_exchange_explicit(&no_ring_dropped, 0, memory_order_relaxed);
}

/* The owner reads the sender's tail only when the tail it saw last leaves
 * too little room, or the ring is three quarters full: not at every
 * record (stream.h). */
static uint64_t look_at_tail(struct iomon_ring *r)
{
	r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
	return r->tail_seen;
}

char *iomon_ring_reserve_slow(struct iomon_ring *r, size_t need)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	for (;;) {
		uint64_t tail = look_at_tail(r);
		if (IOMON_RING_SIZE - iomon_pos_used(head, tail) >= need)
			return r->data + iomon_pos_bytes(head) % IOMON_RING_SIZE;
		if (!iomon_sender_wait_for_room(r, tail)) {
			iomon_ring_count_dropped(r);
			return NULL;
		}
	}
}

void iomon_ring_wrap(struct iomon_ring *r, size_t off, size_t n)
{
	memcpy(r->data, r->data + IOMON_RING_SIZE, off + n - IOMON_RING_SIZE);
}

void iomon_ring_filling(struct iomon_ring *r, uint64_t head, uint64_t next)
{
	uint64_t tail = look_at_tail(r);

	if (iomon_pos_used(head, tail) < IOMON_KICK_AT &&
	    iomon_pos_used(next, tail) >= IOMON_KICK_AT)
		iomon_sender_kick();
}

struct iomon_ring *iomon_ring_first(void)
{
	return atomic_load_explicit(&ring_list, memory_order_acquire);
}

uint64_t iomon_ring_tail(struct iomon_ring *r)
{
	return atomic_load_explicit(&r->tail, memory_order_relaxed);
}

uint64_t iomon_ring_head(struct iomon_ring *r)
{
	return atomic_load_explicit(&r->head, memory_order_acquire);
}

const struct iomon_packed *iomon_ring_next(struct iomon_ring *r, uint64_t *pos, void *buf)
{
	size_t off = iomon_pos_bytes(*pos) % IOMON_RING_SIZE;
	const struct iomon_packed *rec = (const void *)(r->data + off);
	/* Records are aligned, so the size never straddles the end. */
	uint32_t size = rec->size;

	if (off + size > IOMON_RING_SIZE) {
		size_t first = IOMON_RING_SIZE - off;
		memcpy(buf, r->data + off, first);
		memcpy((char *)buf + first, r->data, size - first);
		rec = buf;
	}
	*pos = iomon_pos_after(*pos, size);
	return rec;
}

uint64_t iomon_ring_end_stamp(const struct iomon_ring *r, uint64_t pos)
{
	/* The fields are 8-byte aligned, as records are: the stamp is in one
	 * piece, even in a record that wraps round the end. */
	size_t at = iomon_pos_bytes(pos) + offsetof(struct iomon_packed, end);
	uint64_t end;

	memcpy(&end, r->data + at % IOMON_RING_SIZE, sizeof(end));
	return end;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
/* Where pages are larger, madvise() refuses the start, and the ring's
 * pages fault in as the owner writes them, as they would anyway. */
#define RING_PAGE 4096

/* A ring's owner that writes a page in this time or less is a busy one,
 * which the sender looks at more often (iomon_ring_populate_ahead). */
#define BUSY_PAGE_NS (1000 * 1000)

/* The kernel has no MADV_POPULATE_WRITE (before Linux 5.14). */
static _Atomic bool no_populate;

static void populate(struct iomon_ring *r, uint64_t off, uint64_t len)
{
	uintptr_t start = (uintptr_t)(r->data + off) & ~(uintptr_t)(RING_PAGE - 1);
	long err = iomon_rawsys(SYS_madvise, start, (uintptr_t)(r->data + off + len) - start,
				MADV_POPULATE_WRITE);

	if (err == -EINVAL)
		atomic_store_explicit(&no_populate, true, memory_order_relaxed);
}

/*
 * The first write to each page of a ring costs its owner a page fault, 12
 * us each on a VM (BENCHMARKS.md): a thread that makes 8192 records in its
 * first milliseconds pays some 0.8 ms for its ring's 64 pages.  So at each
 * of its looks the sender makes present, from its own CPU, twice as many
 * bytes ahead of the owner as the owner wrote since the last look (a page
 * at least, none if it wrote nothing); the kernel fills them as a write
 * fault would, without touching what they hold, so the owner may be
 * writing there meanwhile.  A thread that writes little has little made
 * present for it, and one that writes nothing none; once the owner has
 * gone round the ring, every page is.  Until then, while the owner writes
 * a page a millisecond or more, or at the first look that finds it
 * writing, the sender looks every millisecond rather than every few
 * (sender.c), so that the owner seldom outruns it.
 */
bool iomon_ring_populate_ahead(struct iomon_ring *r, uint64_t head, uint64_t since_ns)
{
	uint64_t written = iomon_pos_bytes(head);
	uint64_t ahead = written - r->head_seen;
	uint64_t round = r->present_base + IOMON_RING_SIZE;
	bool first = r->head_seen == r->present_base;

	r->head_seen = written;
	if (!ahead || r->present >= round || atomic_load_explicit(&no_populate, memory_order_relaxed))
		return false;
	if (written >= round) {
		r->present = round;
		return false;
	}
	uint64_t from = written > r->present ? written : r->present;
	uint64_t to = written + (2 * ahead > RING_PAGE ? 2 * ahead : RING_PAGE);
	if (to > round)
		to = round;
	if (to > from) {
		uint64_t off = from % IOMON_RING_SIZE, len = to - from;
		if (off + len > IOMON_RING_SIZE) {
			populate(r, off, IOMON_RING_SIZE - off);
			len -= IOMON_RING_SIZE - off;
			off = 0;
		}
		populate(r, off, len);
		r->present = to;
	}
	return r->present < round && (first || ahead * BUSY_PAGE_NS >= RING_PAGE * since_ns);
}

void iomon_ring_release(struct iomon_ring *r, uint64_t pos)
{
	atomic_store_explicit(&r->tail, pos, memory_order_release);
	atomic_fetch_add_explicit(&r->space, 1, memory_order_release);
}

struct iomon_ring *iomon_ring_reap(struct iomon_ring *r)
{
	struct iomon_ring *next = r->next;

	if (!atomic_load_explicit(&r->orphaned, memory_order_acquire) ||
	    atomic_load_explicit(&r->head, memory_order_acquire) !=
		    atomic_load_explicit(&r->tail, memory_order_relaxed) ||
	    atomic_load_explicit(&r->dropped, memory_order_relaxed))
		return next;

	/* Only the sender unlinks; owners only push at the head. */
	struct iomon_ring *expected = r;
	if (!atomic_compare_exchange_strong(&ring_list, &expected, next)) {
		struct iomon_ring *prev = expected;
		while (prev && prev->next != r)
			prev = prev->next;
		if (!prev)
			return next;
		prev->next = next;
	}
	iomon_rawsys(SYS_munmap, r, MAP_SIZE);
	return next;
}

void iomon_ring_atfork_child(void)
{
	struct iomon_ring *r = my_ring;

	/* The other threads' rings were copied in the middle of whatever they
	 * were doing; their records are the parent's to send, and so is the
	 * count of records that had no ring.  Leave them. */
	atomic_store_explicit(&ring_list, r, memory_order_relaxed);
	atomic_store_explicit(&no_ring_dropped, 0, memory_order_relaxed);
	if (!r)
		return;
	r->next = NULL;
	atomic_store_explicit(&r->tail, atomic_load_explicit(&r->head, memory_order_relaxed),
			      memory_order_relaxed);
	r->tail_seen = r->tail;
	/* Its pages are the parent's until written: a write faults again. */
	r->present_base = r->present = r->head_seen = iomon_pos_bytes(r->tail);
	/* The sender will not see the records whose paths it kept. */
	forget_slots(r);
	atomic_store_explicit(&r->dropped, 0, memory_order_relaxed);
	atomic_store_explicit(&r->waiting, 0, memory_order_relaxed);
}
