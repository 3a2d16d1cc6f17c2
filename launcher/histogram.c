/* A log-linear latency histogram: see histogram.h. */
#include <string.h>

#include "histogram.h"

void histogram_init(struct histogram *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/*
 * Below 2^SUB_BITS a value is its own bucket.  Above, with b the index of
 * the value's highest bit, the bucket is the value's top SUB_BITS + 1 bits
 * (64..127) offset by 64 per power of two: 2^6..2^7-1 land on 64..127 as
 * themselves, 2^7..2^8-1 on 128..191 by pairs, and so on.
 */
size_t histogram_bucket_of(uint64_t value)
{
	unsigned shift;

	if (value < HISTOGRAM_SUB)
		return (size_t)value;
	shift = (unsigned)(63 - __builtin_clzll(value)) - HISTOGRAM_SUB_BITS;
	return (size_t)shift * HISTOGRAM_SUB + (size_t)(value >> shift);
}

void histogram_bucket_range(size_t bucket, uint64_t *lo, uint64_t *hi)
{
	unsigned shift;

	if (bucket < 2 * HISTOGRAM_SUB) {
		*lo = *hi = bucket;
		return;
	}
	shift = (unsigned)(bucket / HISTOGRAM_SUB) - 1;
	*lo = (uint64_t)(bucket - (size_t)shift * HISTOGRAM_SUB) << shift;
	*hi = *lo + ((UINT64_C(1) << shift) - 1);
}

void histogram_add(struct histogram *h, uint64_t value)
{
	h->count++;
	h->buckets[histogram_bucket_of(value)]++;
	if (value < h->min)
		h->min = value;
	if (value > h->max)
		h->max = value;
	h->total = h->total > UINT64_MAX - value ? UINT64_MAX : h->total + value;
}

void histogram_merge(struct histogram *dst, const struct histogram *src)
{
	if (src->count == 0)
		return;
	dst->count += src->count;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->total = dst->total > UINT64_MAX - src->total ? UINT64_MAX : dst->total + src->total;
	for (size_t i = 0; i < HISTOGRAM_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
}

uint64_t histogram_mean(const struct histogram *h)
{
	return h->count ? h->total / h->count : 0;
}

uint64_t histogram_percentile(const struct histogram *h, double p)
{
	uint64_t rank, seen = 0, lo, hi, mid;
	double exact;
	size_t i;

	if (h->count == 0)
		return 0;
	if (!(p > 0))
		return h->min;
	if (p >= 100)
		return h->max;
	/* p * count is exact for integer p, so a whole rank stays whole. */
	exact = p * (double)h->count / 100.0;
	rank = (uint64_t)exact;
	if ((double)rank < exact)
		rank++;
	if (rank == 0)
		rank = 1;
	for (i = 0; i < HISTOGRAM_BUCKETS - 1; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	histogram_bucket_range(i, &lo, &hi);
	mid = lo + (hi - lo) / 2;
	if (mid < h->min)
		return h->min;
	if (mid > h->max)
		return h->max;
	return mid;
}

uint64_t histogram_count_at_most(const struct histogram *h, uint64_t limit)
{
	size_t last = histogram_bucket_of(limit);
	uint64_t n = 0;

	for (size_t i = 0; i <= last; i++)
		n += h->buckets[i];
	return n;
}
