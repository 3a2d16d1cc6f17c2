/*
 * Calls, bytes and time over time, in fixed memory: TIMELINE_BINS bins of
 * equal width, for drawing (the HTML report) without keeping records.
 *
 * Records carry unix seconds, so a bin is a power of two of seconds: 1 s
 * while the records span at most TIMELINE_BINS seconds, then 2 s, 4 s...
 * When a record falls outside the bins, the width doubles (neighbouring bins
 * are merged) until the span holds it: the width is always the least that
 * spans the records' timestamps, in whatever order they came.  Bin
 * starts are multiples of the width, so two timelines of the same width
 * line up.  Timestamps beyond TIMELINE_TS_MAX (year 36812) count as it.
 */
#ifndef IOMON_TIMELINE_H
#define IOMON_TIMELINE_H

#include <stdint.h>

#define TIMELINE_BINS 64
#define TIMELINE_TS_MAX (UINT64_C(1) << 40)

struct timeline_bin {
	uint64_t calls;
	uint64_t bytes;
	uint64_t time_ns; /* the calls' durations, summed */
};

struct timeline {
	uint64_t start; /* unix seconds where bin 0 starts, a multiple of width */
	uint64_t width; /* seconds per bin, a power of two; 0 while empty */
	uint64_t first, last; /* the earliest and the latest timestamp added */
	struct timeline_bin bins[TIMELINE_BINS];
};

/* A zeroed struct timeline is an empty one. */
void timeline_add(struct timeline *t, uint64_t ts, uint64_t bytes, uint64_t time_ns);

/* Adds every bin of src to dst, whose width grows to at least src's. */
void timeline_merge(struct timeline *dst, const struct timeline *src);

#endif
