/*
 * Unit tests for launcher/histogram.c: every percentile is compared with the
 * exact nearest-rank percentile of the sorted samples, on random and
 * adversarial data, and must be within the documented relative error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "histogram.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const double percentiles[] = {0, 0.1, 1, 10, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100};

static int u64_cmp(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return a < b ? -1 : a > b;
}

/* The exact percentile, computed independently: rank ceil(p * n / 100),
 * at least 1, of the sorted samples. */
static uint64_t exact_percentile(const uint64_t *sorted, size_t n, double p)
{
	double want = p * (double)n / 100.0;
	size_t rank = (size_t)want;

	if ((double)rank < want)
		rank++;
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

static uint64_t abs_diff(uint64_t a, uint64_t b)
{
	return a > b ? a - b : b - a;
}

/* Adds the samples to a fresh histogram and checks count, min, max, total
 * exactly and every percentile within exact / HISTOGRAM_ERROR_DIV. */
static void check_samples(uint64_t *samples, size_t n, const char *what)
{
	struct histogram *h = malloc(sizeof(*h));
	uint64_t total = 0;

	cr_assert_not_null(h);
	histogram_init(h);
	for (size_t i = 0; i < n; i++) {
		histogram_add(h, samples[i]);
		total = total > UINT64_MAX - samples[i] ? UINT64_MAX : total + samples[i];
	}
	qsort(samples, n, sizeof(*samples), u64_cmp);
	cr_assert_eq(h->count, n, "%s: count", what);
	cr_assert_eq(h->min, samples[0], "%s: min", what);
	cr_assert_eq(h->max, samples[n - 1], "%s: max", what);
	cr_assert_eq(h->total, total, "%s: total", what);
	for (size_t i = 0; i < ARRAY_LEN(percentiles); i++) {
		uint64_t want = exact_percentile(samples, n, percentiles[i]);
		uint64_t got = histogram_percentile(h, percentiles[i]);

		/* |got - want| <= want / 128, in integers: no rounding. */
		cr_assert(abs_diff(got, want) <= want / HISTOGRAM_ERROR_DIV,
			  "%s: p%g = %llu, exact %llu: off by more than 1/%d", what,
			  percentiles[i], (unsigned long long)got, (unsigned long long)want,
			  HISTOGRAM_ERROR_DIV);
		cr_assert(got >= h->min && got <= h->max, "%s: p%g outside [min, max]", what,
			  percentiles[i]);
	}
	free(h);
}

/* xorshift64*: reproducible, no libc state. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint64_t rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1du;
}

#define N 100000

Test(histogram, bound_is_documented_value)
{
	/* The header promises 1/128 (0.79%), within the 1.6% asked for. */
	cr_assert_eq(HISTOGRAM_ERROR_DIV, 128);
	cr_assert_eq(HISTOGRAM_BUCKETS, histogram_bucket_of(UINT64_MAX) + 1,
		     "the last bucket holds UINT64_MAX");
}

Test(histogram, empty)
{
	struct histogram h;

	histogram_init(&h);
	cr_assert_eq(h.count, 0);
	cr_assert_eq(histogram_percentile(&h, 50), 0);
	cr_assert_eq(histogram_mean(&h), 0);
	cr_assert_eq(histogram_count_at_most(&h, UINT64_MAX), 0);
}

Test(histogram, one_value)
{
	static uint64_t one[] = {123456789};

	check_samples(one, 1, "one value");
}

Test(histogram, random_log_uniform)
{
	uint64_t *s = malloc(N * sizeof(*s));

	/* Latencies spread over 1 ns .. 2^42 ns (73 minutes). */
	for (size_t i = 0; i < N; i++)
		s[i] = (rng() >> (64 - 42)) >> (rng() % 42);
	check_samples(s, N, "log-uniform");
	free(s);
}

Test(histogram, random_uniform_full_range)
{
	uint64_t *s = malloc(N * sizeof(*s));

	for (size_t i = 0; i < N; i++)
		s[i] = rng();
	check_samples(s, N, "uniform over uint64_t");
	free(s);
}

Test(histogram, random_narrow)
{
	uint64_t *s = malloc(N * sizeof(*s));

	/* All within a few buckets: 1 ms +- 5 us. */
	for (size_t i = 0; i < N; i++)
		s[i] = 1000000 - 5000 + rng() % 10000;
	check_samples(s, N, "narrow");
	free(s);
}

/* Values at the edges of buckets are where rounding goes wrong. */
Test(histogram, adversarial_bucket_edges)
{
	uint64_t *s = malloc(N * sizeof(*s));
	size_t n = 0;

	for (unsigned k = 0; k < 64 && n + 6 <= N; k++) {
		uint64_t p = UINT64_C(1) << k;

		s[n++] = p;
		s[n++] = p - 1;
		s[n++] = p + 1;
		s[n++] = p + p / 64;
		s[n++] = p + p / 64 - 1;
		s[n++] = p | (p - 1); /* 2^(k+1) - 1 */
	}
	s[n++] = 0;
	s[n++] = UINT64_MAX;
	check_samples(s, n, "bucket edges");
	free(s);
}

/* Each value just below the next bucket's low end: the largest error the
 * middle of a bucket can make. */
Test(histogram, adversarial_bucket_tops)
{
	for (size_t b = 2 * HISTOGRAM_SUB; b < HISTOGRAM_BUCKETS; b += 37) {
		uint64_t lo, hi, s[2];

		histogram_bucket_range(b, &lo, &hi);
		s[0] = hi;
		s[1] = lo;
		check_samples(s, 1, "bucket top");
		check_samples(s + 1, 1, "bucket bottom");
	}
}

/* One outlier among many equal values, and the reverse. */
Test(histogram, adversarial_outliers)
{
	uint64_t *s = malloc(N * sizeof(*s));

	for (size_t i = 0; i < N; i++)
		s[i] = 1000;
	s[N / 2] = UINT64_C(3600) * 1000000000; /* an hour */
	check_samples(s, N, "one slow call");
	for (size_t i = 0; i < N; i++)
		s[i] = i < N - 100 ? 1 : UINT64_C(1) << 40;
	check_samples(s, N, "bimodal");
	free(s);
}

Test(histogram, buckets_tile_the_range)
{
	uint64_t lo, hi, next = 0;

	for (size_t b = 0; b < HISTOGRAM_BUCKETS; b++) {
		histogram_bucket_range(b, &lo, &hi);
		cr_assert_eq(lo, next, "bucket %zu starts where %zu ended", b, b - 1);
		cr_assert(hi >= lo);
		cr_assert_eq(histogram_bucket_of(lo), b);
		cr_assert_eq(histogram_bucket_of(hi), b);
		/* width <= lo / 64: the bound's premise */
		cr_assert(lo < 2 * HISTOGRAM_SUB || hi - lo + 1 <= lo / HISTOGRAM_SUB,
			  "bucket %zu is too wide", b);
		next = hi + 1;
	}
	cr_assert_eq(next, 0, "the last bucket ends at UINT64_MAX");
}

Test(histogram, powers_of_two_are_boundaries)
{
	struct histogram h;

	histogram_init(&h);
	for (uint64_t v = 1; v < 1 << 20; v = v * 3 + 1)
		histogram_add(&h, v);
	for (unsigned k = 1; k < 64; k++) {
		uint64_t limit = (UINT64_C(1) << k) - 1, want = 0;

		for (uint64_t v = 1; v < 1 << 20; v = v * 3 + 1)
			want += v <= limit;
		cr_assert_eq(histogram_count_at_most(&h, limit), want, "le 2^%u - 1", k);
	}
}

Test(histogram, merge_equals_adding_all)
{
	struct histogram *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)),
			 *all = malloc(sizeof(*all));

	histogram_init(a);
	histogram_init(b);
	histogram_init(all);
	for (int i = 0; i < 10000; i++) {
		uint64_t v = rng() >> (rng() % 64);

		histogram_add(i % 3 ? a : b, v);
		histogram_add(all, v);
	}
	histogram_merge(a, b);
	cr_assert_eq(memcmp(a, all, sizeof(*a)), 0, "merged == added at once");
	histogram_init(b);
	histogram_merge(a, b);
	cr_assert_eq(memcmp(a, all, sizeof(*a)), 0, "merging an empty one changes nothing");
	free(a);
	free(b);
	free(all);
}

Test(histogram, total_saturates)
{
	struct histogram h;

	histogram_init(&h);
	histogram_add(&h, UINT64_MAX - 1);
	histogram_add(&h, 5);
	cr_assert_eq(h.total, UINT64_MAX);
	cr_assert_eq(h.count, 2);
	cr_assert_eq(histogram_mean(&h), UINT64_MAX / 2);
}
