/*
 * The library's own descriptor (its socket) is not open, as far as the
 * program can tell (tests/progs/ownfd.c): a program that lists the
 * descriptors open in it, as CPython's fd_status.py does, and tries every
 * call that takes one on the numbers where the library puts its socket,
 * prints the same with the library as without; each of those calls is a
 * record, the socket's as a failed call like the others; and the socket
 * still carries the records after.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "harness.h"

/* The fstat() records of descriptors that failed with EBADF, and all. */
static void count_fstats(const struct run *r, size_t *not_open, size_t *all)
{
	*not_open = *all = 0;
	for (size_t i = 0; i < r->nrecs; i++) {
		const struct rec *rec = &r->recs[i];
		if (rec->domain != D(FILE_METADATA) || rec->op != O(STAT) || rec->fd < 0)
			continue;
		(*all)++;
		*not_open += rec->err == EBADF;
	}
}

Test(ownfd, a_program_sees_the_same_descriptors_with_the_library, .fini = scratch_cleanup)
{
	struct run bare, traced;
	long max = 0;
	long calls = 0;

	run_command(&bare, LIST(prog_path("ownfd"), scratch_dir()), NONE);
	cr_assert_eq(bare.status, 0, "ownfd failed bare: %s", bare.err);
	cr_assert(sscanf(bare.out, "descriptors: %ld", &max) == 1, "output: %s", bare.out);
	const char *line = strstr(bare.out, "\ncalls: ");
	cr_assert(line && sscanf(line, "\ncalls: %ld", &calls) == 1, "output: %s", bare.out);
	/* Bare, 900 to 1023 are not open: every call there answered EBADF. */
	cr_assert(strstr(bare.out, "(9") == NULL && strstr(bare.out, "(10") == NULL,
		  "a call on a descriptor not open did not answer EBADF: %s", bare.out);

	run_traced(&traced, NONE, LIST(prog_path("ownfd"), scratch_dir()), NONE);
	cr_assert_str_eq(traced.out, bare.out, "under iomon:\n%s\nbare:\n%s", traced.out,
			 bare.out);
	cr_assert_eq(traced.status, 0, "ownfd failed under iomon: %s", traced.err);
	cr_assert_eq(traced.bad_lines, 0);

	/* The scan is every descriptor twice (fstat before the calls and
	 * after), and each of 900 to 1023 three times more among the calls
	 * (fstat, fstatat and statx of an empty path): each a record, the
	 * library's own among those that failed; 0, 1 and 2 are open. */
	size_t not_open, all;
	count_fstats(&traced, &not_open, &all);
	cr_assert_eq(all, (size_t)(2 * max + 3 * 124), "fstat records: %zu", all);
	cr_assert_eq(not_open, (size_t)(2 * (max - 3) + 3 * 124), "fstat records of EBADF: %zu",
		     not_open);
	cr_assert_eq(count_recs(&traced, D(FILE_DESCRIPTORS), O(FCNTL)), (size_t)(max + 3 * 124));

	/* The socket still works: the last call's record came, and the STOP,
	 * and nothing was dropped. */
	cr_assert_eq(count_recs(&traced, D(START_STOP), O(DROPPED)), 0, "records were dropped");
	cr_assert_eq(count_recs(&traced, D(START_STOP), O(STOP)), 1);
	size_t last = traced.nrecs - 1;
	cr_assert_eq(traced.recs[last].op, O(STOP));
	expect_rec(&traced, last - 2, D(FILE_WRITE), O(WRITE), 0, 3, 5, scratch_file("done"), "");
	expect_rec(&traced, last - 1, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, scratch_file("done"),
		   "");
	run_free(&bare);
	run_free(&traced);
}

/* The calls on the library's socket itself failed with EBADF, and were
 * recorded with its number and no file, as any call on a descriptor not
 * open is.  The trace cannot tell its number from the others': so every
 * record of a descriptor in 900 to 1023 is checked, and no record may name
 * a socket. */
Test(ownfd, every_call_on_the_range_is_a_failed_record, .fini = scratch_cleanup)
{
	struct run r;

	run_traced(&r, NONE, LIST(prog_path("ownfd"), scratch_dir()), NONE);
	cr_assert_eq(r.status, 0, "ownfd failed under iomon: %s", r.err);
	size_t in_range = 0;
	for (size_t i = 0; i < r.nrecs; i++) {
		const struct rec *rec = &r.recs[i];
		/* The program has no socket: a record naming one names the
		 * library's. */
		cr_assert(!strstr(rec->s1, "socket:") && !strstr(rec->s2, "socket:"),
			  "record %zu (domain %u op %u fd %d) names a socket: '%s' '%s'", i,
			  rec->domain, rec->op, rec->fd, rec->s1, rec->s2);
		if (rec->fd < 900 || rec->fd > 1023)
			continue;
		in_range++;
		cr_assert_eq(rec->err, EBADF, "record %zu (domain %u op %u fd %d): error %d", i,
			     rec->domain, rec->op, rec->fd, rec->err);
		cr_assert_str_eq(rec->s1, "", "record %zu (domain %u op %u fd %d) names '%s'", i,
				 rec->domain, rec->op, rec->fd, rec->s1);
	}
	/* fstat and fcntl(F_GETFD) of the two scans and the calls, each with
	 * the descriptor's number. */
	cr_assert_geq(in_range, 124 * 3, "%zu records in 900-1023", in_range);
	run_free(&r);
}
