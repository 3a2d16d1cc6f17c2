/*
 * A latency histogram with bounded relative error, in fixed memory.
 *
 * Log-linear buckets, as in HdrHistogram: values below 2 * HISTOGRAM_SUB
 * (128 ns) have a bucket each; above, each power of two [2^k, 2^(k+1)) is
 * cut into HISTOGRAM_SUB (64) equal buckets of width 2^(k-6).  A bucket's
 * width is thus at most 1/64 of any value in it, and a percentile, answered
 * with the middle of its bucket, is within 1/128 (0.79%) of the exact
 * sample: |answer - exact| <= exact / 128.  Every power of two is a bucket
 * boundary, so cumulative counts at 2^k (Prometheus "le" bounds) are exact.
 * The buckets cover every uint64_t, so no value is ever clamped.
 *
 * count, min, max and total are exact.  Adding is O(1), a few
 * instructions; merging and percentiles are O(HISTOGRAM_BUCKETS).
 */
#ifndef IOMON_HISTOGRAM_H
#define IOMON_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HISTOGRAM_SUB_BITS 6
#define HISTOGRAM_SUB (1u << HISTOGRAM_SUB_BITS)
/* 2 * HISTOGRAM_SUB exact buckets, then HISTOGRAM_SUB per power of two
 * from 2^(HISTOGRAM_SUB_BITS + 1) to 2^63: 3776 buckets, 30 KiB. */
#define HISTOGRAM_BUCKETS ((64 - HISTOGRAM_SUB_BITS + 1) * HISTOGRAM_SUB)

/* The bound on a percentile's relative error: 1 / HISTOGRAM_ERROR_DIV. */
#define HISTOGRAM_ERROR_DIV (2 * HISTOGRAM_SUB)

struct histogram {
	uint64_t count;
	uint64_t min; /* UINT64_MAX while empty */
	uint64_t max;
	/* The sum of the values; a sum past 2^64 sticks at UINT64_MAX (584
	 * years of nanoseconds) rather than wrap. */
	uint64_t total;
	uint64_t buckets[HISTOGRAM_BUCKETS];
};

void histogram_init(struct histogram *h);
void histogram_add(struct histogram *h, uint64_t value);
/* Adds every value of src to dst. */
void histogram_merge(struct histogram *dst, const struct histogram *src);

/* The value at percentile p (0 to 100) by the nearest-rank method: the
 * value of rank ceil(p * count / 100) (at least 1) in sorted order, within
 * the bound above, and never outside [min, max].  0 when empty. */
uint64_t histogram_percentile(const struct histogram *h, double p);

/* total / count, 0 when empty. */
uint64_t histogram_mean(const struct histogram *h);

/* The bucket a value falls in, and the values a bucket holds:
 * [*lo, *hi], both inclusive.  For writers that draw or export buckets. */
size_t histogram_bucket_of(uint64_t value);
void histogram_bucket_range(size_t bucket, uint64_t *lo, uint64_t *hi);

/* How many values are at most limit: exact when limit + 1 is a bucket
 * boundary (any 2^k - 1, and every value below 128), else counting the
 * whole bucket that holds limit. */
uint64_t histogram_count_at_most(const struct histogram *h, uint64_t limit);

#endif
