/*
 * The descriptor domain, end to end (tests/progs/fd_calls.c), and what it
 * does for the other records: a copy of a descriptor is named after its
 * file, a replaced one after its new file, a closed one is forgotten.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "harness.h"


static void expect_pipe_path(const struct run *r, size_t i)
{
	cr_assert(strncmp(r->recs[i].s1, "pipe:[", 6) == 0, "record %zu: s1 '%s' is no pipe", i,
		  r->recs[i].s1);
}

Test(fd, every_call, .fini = scratch_cleanup)
{
	struct run r;
	const char *f = scratch_file("fd.txt");

	run_traced(&r, NONE, LIST(prog_path("fd_calls"), scratch_dir(), "descriptors"), NONE);
	cr_assert_eq(r.status, 0, "fd_calls failed: %s", r.err);
	keep_domains(&r, MASK(FILE_DESCRIPTORS) | MASK(FILE_READ) | MASK(FILE_WRITE));
	size_t i = 0;
	expect_rec(&r, i, D(FILE_DESCRIPTORS), O(PIPE), 0, 3, 0, NULL, "4");
	expect_pipe_path(&r, i++);
	expect_rec(&r, i, D(FILE_DESCRIPTORS), O(DUP), 0, 5, 0, NULL, "4");
	expect_pipe_path(&r, i++);
	expect_rec(&r, i, D(FILE_DESCRIPTORS), O(DUP), 0, 10, 0, NULL, "4");	/* dup2 */
	expect_pipe_path(&r, i++);
	expect_rec(&r, i, D(FILE_DESCRIPTORS), O(DUP), 0, 11, 0, NULL, "3");	/* dup3 */
	expect_pipe_path(&r, i++);
	expect_rec(&r, i++, D(FILE_DESCRIPTORS), O(FCNTL), 0, 3, 0, NULL, "F_DUPFD");
	expect_rec(&r, i++, D(FILE_DESCRIPTORS), O(FCNTL), 0, 3, 0, NULL, "F_DUPFD_CLOEXEC");
	expect_rec(&r, i++, D(FILE_DESCRIPTORS), O(FCNTL), 0, 3, 0, NULL, "F_GETFD");
	expect_rec(&r, i++, D(FILE_DESCRIPTORS), O(FCNTL), 0, 3, 0, NULL, "F_SETFL");
	expect_rec(&r, i++, D(FILE_DESCRIPTORS), O(FCNTL), 0, 3, 0, NULL, "F_GETFL");	/* fcntl64 */
	expect_rec(&r, i, D(FILE_WRITE), O(WRITE), 0, 10, 1, NULL, "");
	expect_pipe_path(&r, i++);
	expect_rec(&r, i, D(FILE_READ), O(READ), 0, 20, 1, NULL, "");	/* F_DUPFD's copy */
	expect_pipe_path(&r, i++);
	expect_rec(&r, i++, D(FILE_DESCRIPTORS), O(DUP), 0, 10, 0, f, "6");
	expect_rec(&r, i++, D(FILE_WRITE), O(WRITE), 0, 10, 2, f, "");	/* 10 is fd.txt now */
	expect_rec(&r, i++, D(FILE_DESCRIPTORS), O(DUP), EBADF, -1, 0, "", "-1");
	expect_rec(&r, i++, D(FILE_DESCRIPTORS), O(DUP), EBADF, -1, 0, "", "99");
	expect_rec(&r, i++, D(FILE_DESCRIPTORS), O(DUP), EINVAL, -1, 0, NULL, "3");
	expect_rec(&r, i++, D(FILE_DESCRIPTORS), O(FCNTL), EBADF, -1, 0, "", "F_GETFD");
	expect_rec(&r, i++, D(FILE_DESCRIPTORS), O(PIPE), EINVAL, -1, 0, "", "");
	expect_rec(&r, i, D(FILE_DESCRIPTORS), O(PIPE), 0, 7, 0, NULL, "8");	/* pipe2 */
	expect_pipe_path(&r, i++);
	expect_rec(&r, i++, D(FILE_DESCRIPTORS), O(CLOSE), 0, -1, 0, "", "20-21");
	expect_rec(&r, i++, D(FILE_WRITE), O(WRITE), EBADF, 20, 0, "", "");	/* forgotten */
	expect_rec(&r, i++, D(FILE_DESCRIPTORS), O(CLOSE), 0, -1, 0, "", "7-");	/* closefrom */
	expect_rec(&r, i++, D(FILE_DESCRIPTORS), O(FCNTL), EBADF, 8, 0, "", "F_GETFD");
	cr_assert_eq(r.nrecs, i, "%zu records, expected %zu", r.nrecs, i);
	run_free(&r);
}

Test(fd, the_librarys_own_descriptor_survives_the_program, .fini = scratch_cleanup)
{
	struct run r;
	char *text = NULL;
	size_t len = 0;

	run_traced(&r, NONE, LIST(prog_path("fd_hostile"), scratch_dir()), NONE);
	cr_assert_eq(r.status, 0, "fd_hostile failed: %s", r.err);
	cr_assert_eq(r.bad_lines, 0);
	/* The file holds what the program wrote, and no record. */
	FILE *f = fopen(scratch_file("own.txt"), "r");
	cr_assert(f);
	cr_assert_eq(getdelim(&text, &len, '\0', f), 17, "own.txt: '%s'", text);
	cr_assert_str_eq(text, "start\nmiddle\nend\n");
	fclose(f);
	free(text);
	/* Every call was recorded: nothing was dropped on the way. */
	cr_assert_eq(count_recs(&r, D(FILE_DESCRIPTORS), O(DUP)), 1020);
	size_t refused = 0;
	for (size_t i = 0; i < r.nrecs; i++)
		refused += r.recs[i].op == O(CLOSE) && r.recs[i].err == EBADF;
	cr_assert_eq(refused, 1020, "closes of descriptors that were not open: %zu", refused);
	cr_assert_eq(count_recs(&r, D(START_STOP), O(DROPPED)), 0, "records were dropped");
	cr_assert_eq(count_recs(&r, D(FILE_WRITE), O(WRITE)), 3);
	cr_assert_eq(count_recs(&r, D(START_STOP), O(STOP)), 1);
	run_free(&r);
}

/* With only START and STOP recorded, the wrappers keep no fd table
 * (iomon_fds_unused): they must still keep the library's descriptor from
 * the program, and the STOP must still arrive. */
Test(fd, the_librarys_own_descriptor_survives_with_only_start_stop, .fini = scratch_cleanup)
{
	struct run r;
	char *text = NULL;
	size_t len = 0;

	run_traced(&r, NONE, LIST(prog_path("fd_hostile"), scratch_dir()),
		   LIST("MONITOR_DOMAINS=START_STOP"));
	cr_assert_eq(r.status, 0, "fd_hostile failed: %s", r.err);
	cr_assert_eq(r.bad_lines, 0);
	FILE *f = fopen(scratch_file("own.txt"), "r");
	cr_assert(f);
	cr_assert_eq(getdelim(&text, &len, '\0', f), 17, "own.txt: '%s'", text);
	fclose(f);
	free(text);
	cr_assert_eq(r.nrecs, 2, "%zu records: START and STOP only", r.nrecs);
	cr_assert_eq(count_recs(&r, D(START_STOP), O(START)), 1);
	cr_assert_eq(count_recs(&r, D(START_STOP), O(STOP)), 1);
	run_free(&r);
}

/* fcntl by its own name, close_range's bounds the wrong way round, and
 * pipe with no descriptor left. */
Test(fd, refused, .fini = scratch_cleanup)
{
	struct run r;

	run_traced(&r, NONE, LIST(prog_path("fd_calls"), scratch_dir(), "refused"), NONE);
	expect_scenario_ran(&r, "fd_calls", "refused");
	keep_domains(&r, MASK(FILE_DESCRIPTORS));
	expect_rec(&r, 0, D(FILE_DESCRIPTORS), O(FCNTL), EBADF, -1, 0, "", "F_GETFD");
	expect_rec(&r, 1, D(FILE_DESCRIPTORS), O(FCNTL), 0, 0, 0, NULL, "F_GETFD");
	expect_rec(&r, 2, D(FILE_DESCRIPTORS), O(FCNTL), EBADF, -1, 0, "", "F_GETFL");	/* fcntl64 */
	expect_rec(&r, 3, D(FILE_DESCRIPTORS), O(CLOSE), EINVAL, -1, 0, "", "10-9");
	expect_rec(&r, 4, D(FILE_DESCRIPTORS), O(PIPE), EMFILE, -1, 0, "", "");
	cr_assert_eq(r.nrecs, 5, "%zu records, expected 5", r.nrecs);
	run_free(&r);
}

/* Each write names its file (tests/progs/fd_calls.c, "paths"), whether
 * the descriptors take turns, are replaced (dup2, close and open), or are
 * written by a fork child or a thread: per process and descriptor, the
 * files its writes name, in order. */
static void expect_writes(const struct run *r, bool child, int fd, const char *files)
{
	int parent = printed_pid(r);
	size_t n = 0;

	for (size_t i = 0; i < r->nrecs; i++) {
		const struct rec *w = &r->recs[i];
		if (w->domain != D(FILE_WRITE) || w->fd != fd || (w->pid != parent) != child)
			continue;
		char name[2] = { files[n], '\0' };
		cr_assert(files[n], "%s, fd %d: more writes than %zu", child ? "child" : "parent",
			  fd, strlen(files));
		cr_assert_str_eq(w->s1, in_scratch(name).s, "%s, fd %d, write %zu",
				 child ? "child" : "parent", fd, n);
		cr_assert_eq(w->bytes, 1);
		n++;
	}
	cr_assert_eq(n, strlen(files), "%s, fd %d: %zu writes, expected %zu",
		     child ? "child" : "parent", fd, n, strlen(files));
}

Test(fd, every_write_names_its_file, .fini = scratch_cleanup)
{
	struct run r;

	run_traced(&r, NONE, LIST(prog_path("fd_calls"), scratch_dir(), "paths"), NONE);
	cr_assert_eq(r.status, 0, "fd_calls failed: %s", r.err);
	cr_assert_eq(r.bad_lines, 0);
	expect_writes(&r, false, 3, "aaace");
	expect_writes(&r, false, 4, "bbbbb");
	expect_writes(&r, false, 5, "ccc");
	expect_writes(&r, false, 6, "ddd");
	expect_writes(&r, true, 4, "b");
	expect_writes(&r, true, 3, "c");
	run_free(&r);
}
