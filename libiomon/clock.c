/*
 * Call times: the TSC where it can be trusted, CLOCK_MONOTONIC otherwise
 * (see iomon.h).
 *
 * The TSC is used only when the CPU says it is invariant (CPUID
 * 0x80000007, EDX bit 8: Linux's constant_tsc and nonstop_tsc), and only on
 * x86-64.  Its rate is measured, not assumed: a reading of the TSC and of
 * CLOCK_MONOTONIC together at start-up, and again at the first record at
 * least CALIBRATION_NS later; until then calls are timed with
 * CLOCK_MONOTONIC, which after a system call costs several times what
 * rdtsc does (BENCHMARKS.md), so the wait is short.  A rate measured over
 * a millisecond is good to 1e-4 (the pairs below are 30-60 ns wide):
 * it is measured again over the whole time since start-up whenever that
 * has doubled, up to REFINED_NS, by whoever converts stamps to the time of
 * day (iomon_unix_seconds(), about once a second), so a long run's
 * durations are as exact as the clocks.  Each pair is the narrowest of a
 * few taken between two TSC readings, so that a preemption between the
 * two clocks cannot skew the rate.
 */
#include <stdatomic.h>
#include <time.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "iomon.h"
#include "stream.h"

#define CALIBRATION_NS (1000 * 1000)
#define REFINED_NS (64 * UINT64_C(1000000000))
/* The most TSC ticks a pair of readings may straddle (a microsecond or
 * two): more, and the pair is taken again. */
#define PAIR_TICKS 4000
#define PAIR_TRIES 4

IOMON_HOT _Atomic uint64_t iomon_tsc_mult;

static bool have_tsc;
static uint64_t base_tsc, base_ns;
static _Atomic bool calibrating;
/* The time since start-up iomon_tsc_mult was measured over; 0: not yet. */
static _Atomic uint64_t calibrated_ns;

/* Whether the CPU sets a bit of EDX (or ECX) in a CPUID leaf; false but
 * on x86-64. */
static bool cpu_has(unsigned leaf, bool in_edx, unsigned bit)
{
#if defined(__x86_64__)
	unsigned a, b, c, d;

	return __get_cpuid(leaf, &a, &b, &c, &d) && ((in_edx ? d : c) >> bit & 1);
#else
	(void)leaf;
	(void)in_edx;
	(void)bit;
	return false;
#endif
}

static bool invariant_tsc(void)
{
	return cpu_has(0x80000007, true, 8);
}

/* A TSC reading and a CLOCK_MONOTONIC one made at the same moment: of
 * PAIR_TRIES, the one whose TSC readings are closest together. */
static bool pair(uint64_t *tsc, uint64_t *ns)
{
	uint64_t best = PAIR_TICKS + 1;

	for (int i = 0; i < PAIR_TRIES; i++) {
		uint64_t before = iomon_rdtsc();
		uint64_t now = iomon_monotonic_ns();
		uint64_t after = iomon_rdtsc();
		if (after > before && after - before < best) {
			best = after - before;
			*tsc = before + (after - before) / 2;
			*ns = now;
		}
	}
	return best <= PAIR_TICKS;
}

IOMON_HOT bool iomon_has_prefetchw;

void iomon_clock_init(void)
{
	have_tsc = invariant_tsc() && pair(&base_tsc, &base_ns);
	iomon_has_prefetchw = cpu_has(0x80000001, false, 8);	/* PRFCHW */
}

/* Whether the rate is to be measured (again) at now_ns: first once
 * CALIBRATION_NS have passed since start-up, then whenever the time since
 * has doubled, up to REFINED_NS. */
static bool calibration_due(uint64_t now_ns)
{
	uint64_t done = atomic_load_explicit(&calibrated_ns, memory_order_relaxed);
	uint64_t since = now_ns - base_ns;

	if (!done)
		return since >= CALIBRATION_NS;
	return done < REFINED_NS && since / 2 >= done;
}

/* The TSC's rate, measured over the time since start-up, when it is due.
 * A failed try (a preempted pair) is made again at a later record. */
static void calibrate(uint64_t now_ns)
{
	uint64_t tsc, ns;

	if (!have_tsc || !calibration_due(now_ns) || atomic_exchange(&calibrating, true))
		return;
	if (pair(&tsc, &ns) && tsc > base_tsc && ns > base_ns) {
		uint64_t mult = (uint64_t)(((unsigned __int128)(ns - base_ns) << 32) /
					   (tsc - base_tsc));
		if (mult) {
			atomic_store_explicit(&iomon_tsc_mult, mult, memory_order_release);
			atomic_store_explicit(&calibrated_ns, ns - base_ns, memory_order_relaxed);
		}
	}
	atomic_store(&calibrating, false);
}

void iomon_clock_atfork_child(void)
{
	/* The thread that was measuring the rate, if any, is gone. */
	atomic_store(&calibrating, false);
}

uint64_t iomon_clock_start_mono(void)
{
	return iomon_monotonic_ns() | IOMON_STAMP_MONO;
}

uint64_t iomon_clock_end_mono(void)
{
	uint64_t now = iomon_monotonic_ns();

	if (IOMON_UNLIKELY(!atomic_load_explicit(&iomon_tsc_mult, memory_order_relaxed)))
		calibrate(now);
	return now | IOMON_STAMP_MONO;
}

uint64_t iomon_stamps_ns(uint64_t start, uint64_t end)
{
	if (start & IOMON_STAMP_MONO) {
		start &= ~IOMON_STAMP_MONO;
		end &= ~IOMON_STAMP_MONO;
		return end > start ? end - start : 0;
	}
	/* A stamp in ticks was made after the calibration: the rate is set.
	 * Threads move between CPUs, whose TSCs may differ by a little. */
	uint64_t mult = atomic_load_explicit(&iomon_tsc_mult, memory_order_relaxed);
	return end > start ? (uint64_t)((unsigned __int128)(end - start) * mult >> 32) : 0;
}

/* The second the last stamp converted was in, and the TSC readings at
 * which that second began and ends: the clock is read again only when a
 * stamp falls outside them, about once a second.  Only the holder of the
 * send lock converts stamps (it writes the records out): not thread-local,
 * which the sender thread cannot use (sender.c). */
static int64_t second;
static uint64_t second_starts, second_ends;

int64_t iomon_unix_seconds(uint64_t end)
{
	if (IOMON_LIKELY(end >= second_starts && end < second_ends))
		return second;
	if (!(end & IOMON_STAMP_MONO))
		calibrate(iomon_monotonic_ns());
	uint64_t now = end & IOMON_STAMP_MONO ? iomon_monotonic_ns() | IOMON_STAMP_MONO
					      : iomon_rdtsc();
	uint64_t real_ns = iomon_clock_read_ns(CLOCK_REALTIME) - iomon_stamps_ns(end, now);
	second = (int64_t)(real_ns / 1000000000u);
	if (end & IOMON_STAMP_MONO) {
		/* Before the calibration: not kept (the bounds are ticks). */
		second_starts = second_ends = 0;
		return second;
	}
	/* ticks = ns * 2^32 / mult */
	uint64_t mult = atomic_load_explicit(&iomon_tsc_mult, memory_order_relaxed);
	uint64_t into = real_ns % 1000000000u;
	second_starts = end - (uint64_t)(((unsigned __int128)into << 32) / mult);
	second_ends = end + (uint64_t)(((unsigned __int128)(1000000000u - into) << 32) / mult);
	return second;
}
