/* Per-thread record rings: see stream.h. */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>

#include "iomon.h"
#include "stream.h"

#define BYTES_MASK ((UINT64_C(1) << IOMON_POS_BYTE_BITS) - 1)
#define RECORDS_MASK ((UINT64_C(1) << (64 - IOMON_POS_BYTE_BITS)) - 1)
/* The sender looks at the rings often enough that a ring seldom fills
 * this far; when it does, its owner wakes the sender. */
#define KICK_AT (IOMON_RING_SIZE / 4 * 3)
/*
 * The lines a record is about to be written to were last read by the
 * sender, on another CPU: the writer's store has to take them back, and
 * the system call after the record waits for that.  Asking for them a
 * little ahead (PREFETCHW) takes them back while the program runs.
 */
#define PREFETCH_AHEAD 1024

#define KEPT_OFFSET (IOMON_RING_SIZE + IOMON_RECORD_MAX)
#define MAP_SIZE (sizeof(struct iomon_ring) + KEPT_OFFSET + IOMON_FD_SLOTS * IOMON_FIELD_MAX)

_Static_assert(IOMON_PACKED_MAX <= IOMON_RECORD_MAX, "a record fits in the overflow area");
_Static_assert(IOMON_RING_SIZE % IOMON_PACKED_ALIGN == 0, "records never straddle the end");

static struct iomon_ring *_Atomic ring_list;
static IOMON_TLS struct iomon_ring *my_ring;
IOMON_TLS bool iomon_thread_ended;
static pthread_key_t exit_key;
static pthread_once_t exit_key_once = PTHREAD_ONCE_INIT;

static inline uint64_t pos_bytes(uint64_t pos)
{
	return pos & BYTES_MASK;
}

static inline uint64_t pos_records(uint64_t pos)
{
	return pos >> IOMON_POS_BYTE_BITS;
}

static inline uint64_t used(uint64_t head, uint64_t tail)
{
	return (pos_bytes(head) - pos_bytes(tail)) & BYTES_MASK;
}

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

struct iomon_ring *iomon_ring_self(void)
{
	struct iomon_ring *r = my_ring;

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

/* The owner reads the sender's tail only when the tail it saw last leaves
 * too little room, or the ring is three quarters full: not at every
 * record. */
static uint64_t look_at_tail(struct iomon_ring *r)
{
	r->tail_seen = atomic_load_explicit(&r->tail, memory_order_acquire);
	return r->tail_seen;
}

char *iomon_ring_reserve(struct iomon_ring *r, size_t need)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);

	if (IOMON_LIKELY(IOMON_RING_SIZE - used(head, r->tail_seen) >= need))
		return r->data + pos_bytes(head) % IOMON_RING_SIZE;
	for (;;) {
		uint64_t tail = look_at_tail(r);
		if (IOMON_RING_SIZE - used(head, tail) >= need)
			return r->data + pos_bytes(head) % IOMON_RING_SIZE;
		if (!iomon_sender_wait_for_room(r, tail)) {
			atomic_fetch_add_explicit(&r->dropped, 1, memory_order_relaxed);
			return NULL;
		}
	}
}

void iomon_ring_commit(struct iomon_ring *r, const char *end)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	size_t off = pos_bytes(head) % IOMON_RING_SIZE;
	size_t n = (size_t)(end - (r->data + off));

	/* The record ran into the overflow area: wrap that part round. */
	if (off + n > IOMON_RING_SIZE)
		memcpy(r->data, r->data + IOMON_RING_SIZE, off + n - IOMON_RING_SIZE);
	uint64_t next = ((pos_records(head) + 1) << IOMON_POS_BYTE_BITS) |
			((pos_bytes(head) + n) & BYTES_MASK);
	atomic_store_explicit(&r->head, next, memory_order_release);
	iomon_prefetch_for_write(r->data + (pos_bytes(next) + PREFETCH_AHEAD) % IOMON_RING_SIZE);
	/* Three quarters full by the tail seen last: then by the sender's? */
	if (used(next, r->tail_seen) < KICK_AT)
		return;
	uint64_t tail = look_at_tail(r);
	if (used(head, tail) < KICK_AT && used(next, tail) >= KICK_AT)
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
	size_t off = pos_bytes(*pos) % IOMON_RING_SIZE;
	const struct iomon_packed *rec = (const void *)(r->data + off);
	/* Records are aligned, so the size never straddles the end. */
	uint32_t size = rec->size;

	if (off + size > IOMON_RING_SIZE) {
		size_t first = IOMON_RING_SIZE - off;
		memcpy(buf, r->data + off, first);
		memcpy((char *)buf + first, r->data, size - first);
		rec = buf;
	}
	*pos = ((pos_records(*pos) + 1) << IOMON_POS_BYTE_BITS) | ((pos_bytes(*pos) + size) & BYTES_MASK);
	return rec;
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
	munmap(r, MAP_SIZE);
	return next;
}

void iomon_ring_atfork_child(void)
{
	struct iomon_ring *r = my_ring;

	/* The other threads' rings were copied in the middle of whatever they
	 * were doing; their records are the parent's to send.  Leave them. */
	atomic_store_explicit(&ring_list, r, memory_order_relaxed);
	if (!r)
		return;
	r->next = NULL;
	atomic_store_explicit(&r->tail, atomic_load_explicit(&r->head, memory_order_relaxed),
			      memory_order_relaxed);
	r->tail_seen = r->tail;
	/* The sender will not see the records whose paths it kept. */
	forget_slots(r);
	atomic_store_explicit(&r->dropped, 0, memory_order_relaxed);
	atomic_store_explicit(&r->waiting, 0, memory_order_relaxed);
}
