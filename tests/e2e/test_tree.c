/*
 * Lossless across a process tree, end to end (tests/progs/tree.c): seven
 * processes made by fork and exec, some threaded, forking while their
 * threads write; each one's records are exactly the wrapped calls it says
 * it made, framed by a START for each of its images and one STOP.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "codes.h"
#include "harness.h"

#define PROCESSES 7
/* root, a, b, b1 (then leaf), c (then branch), c1, c2 (then leaf) */
#define IMAGES (PROCESSES + 3)

struct process {
	int pid;
	unsigned images;     /* "calls" lines: one per image it ran */
	unsigned long calls; /* wrapped calls made, over its images */
	size_t starts, stops, others;
};

static struct process *find(struct process *p, size_t n, int pid)
{
	for (size_t i = 0; i < n; i++)
		if (p[i].pid == pid)
			return &p[i];
	return NULL;
}

/* The "calls PID N" lines of the output, per pid. */
static size_t read_counts(const struct run *r, struct process *p, size_t room)
{
	size_t n = 0, lines = 0;

	for (const char *line = r->out; line && *line; line = strchr(line, '\n'), line += !!line) {
		int pid;
		unsigned long calls;

		if (sscanf(line, "calls %d %lu", &pid, &calls) != 2)
			continue;
		lines++;
		struct process *proc = find(p, n, pid);
		if (!proc) {
			cr_assert_lt(n, room, "more than %zu processes: %s", room, r->out);
			proc = &p[n++];
			*proc = (struct process){.pid = pid};
		}
		proc->images++;
		proc->calls += calls;
	}
	cr_assert_eq(lines, IMAGES, "%zu images reported their calls, not %d: %s", lines, IMAGES,
		     r->out);
	return n;
}

static void tree_case(const char *const *opts)
{
	struct process procs[IMAGES];
	struct run r;

	run_traced(&r, opts, LIST(prog_path("tree"), scratch_dir(), "root"), NONE);
	cr_assert_eq(r.status, 0, "tree failed: %s", r.err);
	cr_assert_eq(r.bad_lines, 0, "%zu lines of the trace do not parse", r.bad_lines);
	size_t n = read_counts(&r, procs, IMAGES);
	cr_assert_eq(n, PROCESSES, "%zu processes reported, not %d: %s", n, PROCESSES, r.out);
	cr_assert_eq(count_recs(&r, D(START_STOP), O(DROPPED)), 0, "records were dropped");

	for (size_t i = 0; i < r.nrecs; i++) {
		const struct rec *rec = &r.recs[i];
		struct process *proc = find(procs, n, rec->pid);

		cr_assert(proc, "record %zu: pid %d is not one of the tree's", i, rec->pid);
		if (rec->domain == D(START_STOP) && rec->op == O(START))
			proc->starts++;
		else if (rec->domain == D(START_STOP) && rec->op == O(STOP))
			proc->stops++;
		else
			proc->others++;
	}
	for (size_t k = 0; k < n; k++) {
		const struct process *p = &procs[k];

		cr_expect_eq(p->others, p->calls, "pid %d: %zu records, %lu wrapped calls made",
			     p->pid, p->others, p->calls);
		cr_expect_eq(p->starts, p->images, "pid %d: %zu STARTs for %u images", p->pid,
			     p->starts, p->images);
		cr_expect_eq(p->stops, 1, "pid %d: %zu STOPs", p->pid, p->stops);
	}
	run_free(&r);
}

Test(tree, every_process_records_every_wrapped_call, .fini = scratch_cleanup)
{
	tree_case(NONE);
}

Test(tree, unbuffered_every_process_records_every_wrapped_call, .fini = scratch_cleanup)
{
	tree_case(LIST("-u"));
}
