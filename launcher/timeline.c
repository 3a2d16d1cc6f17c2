/* Calls, bytes and time over time: see timeline.h. */
#include <string.h>

#include "timeline.h"

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static void bin_add(struct timeline_bin *bin, const struct timeline_bin *more)
{
	bin->calls = add_sat(bin->calls, more->calls);
	bin->bytes = add_sat(bin->bytes, more->bytes);
	bin->time_ns = add_sat(bin->time_ns, more->time_ns);
}

/* Moves the bins to a new start and width that cover the old ones. */
static void rebin(struct timeline *t, uint64_t start, uint64_t width)
{
	struct timeline_bin old[TIMELINE_BINS];

	memcpy(old, t->bins, sizeof(old));
	memset(t->bins, 0, sizeof(t->bins));
	/* Only bins with something in them: empty ones past the records'
	 * span may fall outside the new bins. */
	for (uint64_t i = 0; i < TIMELINE_BINS; i++)
		if (old[i].calls)
			bin_add(&t->bins[(t->start + i * t->width - start) / width], &old[i]);
	t->start = start;
	t->width = width;
}

/* Grows t until its bins span [lo, hi) and the records it holds, with bins
 * of at least min_width. */
static void cover(struct timeline *t, uint64_t lo, uint64_t hi, uint64_t min_width)
{
	uint64_t width, start;

	if (t->width == 0) {
		t->start = lo - lo % min_width;
		t->width = min_width;
		t->first = lo;
		t->last = hi - 1;
	} else {
		if (t->first < lo)
			lo = t->first;
		if (t->last + 1 > hi)
			hi = t->last + 1;
	}
	width = t->width;
	while (width < min_width)
		width *= 2;
	for (;;) {
		start = lo - lo % width;
		if (hi <= start + TIMELINE_BINS * width)
			break;
		width *= 2;
	}
	if (start != t->start || width != t->width)
		rebin(t, start, width);
}

void timeline_add(struct timeline *t, uint64_t ts, uint64_t bytes, uint64_t time_ns)
{
	const struct timeline_bin one = {1, bytes, time_ns};

	if (ts > TIMELINE_TS_MAX)
		ts = TIMELINE_TS_MAX;
	cover(t, ts, ts + 1, 1);
	if (ts < t->first)
		t->first = ts;
	if (ts > t->last)
		t->last = ts;
	bin_add(&t->bins[(ts - t->start) / t->width], &one);
}

void timeline_merge(struct timeline *dst, const struct timeline *src)
{
	if (src->width == 0)
		return;
	/* dst's bins are as wide as src's at least, and start at a multiple
	 * of their width: each of src's falls within one of them. */
	cover(dst, src->first, src->last + 1, src->width);
	if (src->first < dst->first)
		dst->first = src->first;
	if (src->last > dst->last)
		dst->last = src->last;
	for (uint64_t i = 0; i < TIMELINE_BINS; i++)
		if (src->bins[i].calls)
			bin_add(&dst->bins[(src->start + i * src->width - dst->start) /
					   dst->width],
				&src->bins[i]);
}
