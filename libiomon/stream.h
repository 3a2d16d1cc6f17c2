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
 * and at once when a ring is half full.  When the collector is slower than the program,
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

#include "format.h"
#include "iomon.h"

#define IOMON_RING_SIZE (64 * 1024)
#define IOMON_FLUSH_MS 100

/*
 * A position packs a byte count (low 40 bits) and a record count (high 24),
 * both modular, so one atomic store publishes both and the sender always
 * knows how many records a span of bytes holds.
 */
#define IOMON_POS_BYTE_BITS 40

/* How a packed string is written: as CSV (RAW, quoted if need be), copied
 * (CSV: already encoded), or as the flags of open(2) its 4 bytes hold. */
enum iomon_packed_kind { IOMON_PACKED_RAW, IOMON_PACKED_CSV, IOMON_PACKED_OFLAGS };

/* A record in a ring: this header, then s1's bytes, then s2's, padded to a
 * multiple of IOMON_PACKED_ALIGN bytes (size). */
struct iomon_packed {
	uint32_t size;
	uint16_t domain;
	uint16_t op;
	int32_t err;
	int32_t fd;
	uint16_t s1_len;
	uint16_t s2_len;
	uint8_t s1_kind;
	uint8_t s2_kind;
	uint8_t pad[2];
	int64_t ts;
	uint64_t dur_ns;
	uint64_t bytes;
	char s[];
};

#define IOMON_PACKED_ALIGN 8
/* The largest packed record: two strings of IOMON_FIELD_MAX bytes. */
#define IOMON_PACKED_MAX (sizeof(struct iomon_packed) + 2 * IOMON_FIELD_MAX + IOMON_PACKED_ALIGN)

/* The CSV line of a packed record; dst needs IOMON_RECORD_MAX bytes. */
char *iomon_put_packed(char *dst, const struct iomon_packed *rec);

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
	_Alignas(IOMON_PACKED_ALIGN) char data[];
};

/* Owner side. */
struct iomon_ring *iomon_ring_self(void);
char *iomon_ring_reserve(struct iomon_ring *r, size_t need);
void iomon_ring_commit(struct iomon_ring *r, const char *end);

/* Sender side; the caller holds the send lock. */
struct iomon_ring *iomon_ring_first(void);
/* The position of r's first unsent record; the end of its records. */
uint64_t iomon_ring_tail(struct iomon_ring *r);
uint64_t iomon_ring_head(struct iomon_ring *r);
/* The record at *pos (not the head), in one piece: in the ring, or copied
 * into buf (IOMON_PACKED_MAX bytes) when it wraps round its end.  *pos
 * moves on to the next. */
const struct iomon_packed *iomon_ring_next(struct iomon_ring *r, uint64_t *pos, void *buf);
/* Frees the records before pos. */
void iomon_ring_release(struct iomon_ring *r, uint64_t pos);
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
void iomon_sender_ensure(void);
void iomon_sender_atfork_child(void);
void iomon_sender_init(uint16_t port);

#endif
