/*
 * The stream: how records leave the process.
 *
 * Each thread formats its records into a ring of its own (ring.c), lock-free:
 * only that thread writes the head, only the sender writes the tail.  One
 * sender thread per process (sender.c) ships every ring over the socket in
 * batches, at the latest IOMON_FLUSH_MS after a record was made, and at once
 * when a ring is half full.  When the collector is slower than the program,
 * a full ring makes its thread wait (lossless); when there is no collector,
 * records are dropped and counted, and the count is sent as a record of its
 * own once a collector is reachable again.
 */
#ifndef IOMON_STREAM_H
#define IOMON_STREAM_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define IOMON_RING_SIZE (64 * 1024)
#define IOMON_FLUSH_MS 100

/*
 * A position packs a byte count (low 40 bits) and a record count (high 24),
 * both modular, so one atomic store publishes both and the sender always
 * knows how many records a span of bytes holds.
 */
#define IOMON_POS_BYTE_BITS 40

struct iomon_ring {
	_Atomic uint64_t head;		/* written by the owner thread */
	_Atomic uint64_t tail;		/* written by the sender */
	_Atomic uint32_t space;		/* futex: bumped when the sender frees room */
	_Atomic uint32_t waiting;	/* the owner waits for room */
	_Atomic uint64_t dropped;	/* records the owner could not buffer */
	_Atomic bool orphaned;		/* the owner thread has exited */
	struct iomon_ring *next;
	/* IOMON_RING_SIZE bytes, then IOMON_RECORD_MAX of overflow so that a
	 * record is always written in one piece, then wrapped by commit. */
	char data[];
};

/* Owner side. */
struct iomon_ring *iomon_ring_self(void);
char *iomon_ring_reserve(struct iomon_ring *r, size_t need);
void iomon_ring_commit(struct iomon_ring *r, const char *end);

/* Sender side; the caller holds the send lock. */
struct iomon_ring *iomon_ring_first(void);
/* The unsent bytes of r as at most two iovecs; *head_out is the position
 * to release once they are sent.  Returns the number of records. */
uint64_t iomon_ring_pending(struct iomon_ring *r, struct iovec iov[2], int *iovcnt,
			    uint64_t *head_out);
void iomon_ring_release(struct iomon_ring *r, uint64_t pos);
/* Frees r if its thread has exited and nothing is left; returns the next. */
struct iomon_ring *iomon_ring_reap(struct iomon_ring *r);
/* After fork, in the child: only the calling thread's ring survives, empty. */
void iomon_ring_atfork_child(void);

/* The sender. */
void iomon_sender_kick(void);
/* May the owner of a full ring wait for room?  False: drop the record. */
bool iomon_sender_wait_for_room(struct iomon_ring *r, uint64_t tail);
void iomon_sender_ensure(void);
void iomon_sender_atfork_child(void);
void iomon_sender_init(uint16_t port);

#endif
