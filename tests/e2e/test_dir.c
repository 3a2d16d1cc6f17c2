/*
 * The directory domains (DIRS, DIR_METADATA), end to end: each scenario of
 * tests/progs/dir_calls.c runs under the real launcher, and its records are
 * asserted call by call.  Records of the domains a scenario is not about
 * are dropped first (which of them exist depends on the domains compiled
 * in); the file domain's opens and closes stay, to show which path a
 * relative open names after a change of directory.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "harness.h"

#define OURS (MASK(DIRS) | MASK(DIR_METADATA) | MASK(FILE_OPEN_CLOSE))

/* Runs a scenario, checks what every record shares and its START; then
 * keeps only the records the test is about. */
static void run_scenario(struct run *r, const char *scenario)
{
	run_traced(r, NONE, LIST(prog_path("dir_calls"), scratch_dir(), scenario), NONE);
	expect_scenario_ran(r, "dir_calls", scenario);
	keep_domains(r, OURS);
}

Test(dir, make_enter_remove, .fini = scratch_cleanup)
{
	struct run r;
	const char *top = scratch_dir();
	const struct path d = in_scratch("d"), e = in_scratch("e");
	const struct path rel = in_scratch("d/rel.txt");
	const char *creat = "O_WRONLY|O_CREAT|O_TRUNC";

	run_scenario(&r, "dirs");
	expect_rec(&r, 0, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, top, "O_RDONLY|O_DIRECTORY");
	expect_rec(&r, 1, D(DIRS), O(MKDIR), 0, -1, 0, d.s, "0755");
	expect_rec(&r, 2, D(DIRS), O(MKDIR), EEXIST, -1, 0, d.s, "0755");
	expect_rec(&r, 3, D(DIRS), O(MKDIR), 0, -1, 0, e.s, "0700");	/* mkdirat */
	expect_rec(&r, 4, D(DIRS), O(MKDIR), ENOENT, -1, 0, scratch_file("none/e"), "0700");
	/* After each change of directory, a relative path names a file in the
	 * new one. */
	expect_rec(&r, 5, D(DIRS), O(CHDIR), 0, -1, 0, d.s, "");
	expect_rec(&r, 6, D(FILE_OPEN_CLOSE), O(OPEN), 0, 4, 0, rel.s, creat);
	expect_rec(&r, 7, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 4, 0, rel.s, "");
	expect_rec(&r, 8, D(DIRS), O(CHDIR), 0, 3, 0, top, "");	/* fchdir */
	expect_rec(&r, 9, D(FILE_OPEN_CLOSE), O(OPEN), 0, 4, 0, scratch_file("d/rel2.txt"), creat);
	expect_rec(&r, 10, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 4, 0, scratch_file("d/rel2.txt"), "");
	expect_rec(&r, 11, D(DIRS), O(CHDIR), 0, -1, 0, e.s, "");	/* chdir("e") */
	expect_rec(&r, 12, D(FILE_OPEN_CLOSE), O(OPEN), 0, 4, 0, scratch_file("e/rel3.txt"), creat);
	expect_rec(&r, 13, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 4, 0, scratch_file("e/rel3.txt"), "");
	expect_rec(&r, 14, D(DIRS), O(CHDIR), ENOENT, -1, 0, scratch_file("none"), "");
	expect_rec(&r, 15, D(FILE_OPEN_CLOSE), O(OPEN), 0, 4, 0, rel.s, "O_RDONLY");
	expect_rec(&r, 16, D(DIRS), O(CHDIR), ENOTDIR, 4, 0, rel.s, "");	/* fchdir */
	expect_rec(&r, 17, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 4, 0, rel.s, "");
	expect_rec(&r, 18, D(DIRS), O(CHDIR), 0, 3, 0, top, "");	/* fchdir */
	expect_rec(&r, 19, D(DIRS), O(RMDIR), 0, -1, 0, e.s, "");	/* rmdir("e") */
	expect_rec(&r, 20, D(DIRS), O(RMDIR), ENOTEMPTY, -1, 0, d.s, "");
	expect_rec(&r, 21, D(DIRS), O(RMDIR), ENOENT, -1, 0, e.s, "");
	expect_rec(&r, 22, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, top, "");
	cr_assert_eq(r.nrecs, 23, "%zu records, expected 23", r.nrecs);
	run_free(&r);
}

Test(dir, streams, .fini = scratch_cleanup)
{
	struct run r;
	char name[7][4200], pos[4200];
	const struct path sub = in_scratch("s"), f = in_scratch("s/f");
	const char *const dot_dot_f[] = { ".", "..", "f" };

	run_scenario(&r, "streams");
	/* The order of entries is the file system's: the program says what it
	 * read, a name a line, with telldir()'s answer after the fourth.  The
	 * first loop read each entry once. */
	for (int i = 0; i < 7; i++)
		output_line(&r, i < 4 ? i + 1 : i + 2, name[i]);
	output_line(&r, 5, pos);
	for (int i = 0; i < 3; i++) {
		int seen = 0;
		for (int j = 0; j < 3; j++)
			seen += strcmp(name[j], dot_dot_f[i]) == 0;
		cr_assert_eq(seen, 1, "'%s' read %d times", dot_dot_f[i], seen);
	}

	expect_rec(&r, 0, D(DIRS), O(MKDIR), 0, -1, 0, sub.s, "0755");
	expect_rec(&r, 1, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, f.s, "O_WRONLY|O_CREAT|O_TRUNC");
	expect_rec(&r, 2, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, f.s, "");
	expect_rec(&r, 3, D(DIR_METADATA), O(OPENDIR), 0, 3, 0, sub.s, "");
	expect_rec(&r, 4, D(DIR_METADATA), O(DIRFD), 0, 3, 0, sub.s, "");
	expect_rec(&r, 5, D(DIR_METADATA), O(TELLDIR), 0, 3, 0, sub.s, "0");
	/* One record per entry, and one for the end. */
	expect_rec(&r, 6, D(DIR_METADATA), O(READDIR), 0, 3, 0, sub.s, name[0]);
	expect_rec(&r, 7, D(DIR_METADATA), O(READDIR), 0, 3, 0, sub.s, name[1]);
	expect_rec(&r, 8, D(DIR_METADATA), O(READDIR), 0, 3, 0, sub.s, name[2]);
	expect_rec(&r, 9, D(DIR_METADATA), O(READDIR), 0, 3, 0, sub.s, "");
	expect_rec(&r, 10, D(DIR_METADATA), O(READDIR), 0, 3, 0, sub.s, "");	/* again, errno set */
	expect_rec(&r, 11, D(DIR_METADATA), O(REWINDDIR), 0, 3, 0, sub.s, "");
	cr_assert_str_eq(name[3], name[0], "rewinddir: the first entry again");
	expect_rec(&r, 12, D(DIR_METADATA), O(READDIR), 0, 3, 0, sub.s, name[3]);	/* readdir64 */
	expect_rec(&r, 13, D(DIR_METADATA), O(TELLDIR), 0, 3, 0, sub.s, pos);
	expect_rec(&r, 14, D(DIR_METADATA), O(READDIR), 0, 3, 0, sub.s, name[4]);	/* readdir_r */
	expect_rec(&r, 15, D(DIR_METADATA), O(READDIR), 0, 3, 0, sub.s, name[5]);	/* readdir64_r */
	expect_rec(&r, 16, D(DIR_METADATA), O(READDIR), 0, 3, 0, sub.s, "");	/* the end */
	expect_rec(&r, 17, D(DIR_METADATA), O(SEEKDIR), 0, 3, 0, sub.s, pos);
	cr_assert_str_eq(name[6], name[4], "seekdir: back to the second entry");
	expect_rec(&r, 18, D(DIR_METADATA), O(READDIR), 0, 3, 0, sub.s, name[6]);	/* readdir_r */
	expect_rec(&r, 19, D(DIR_METADATA), O(CLOSEDIR), 0, 3, 0, sub.s, "");

	expect_rec(&r, 20, D(DIR_METADATA), O(OPENDIR), ENOENT, -1, 0, scratch_file("none"), "");
	expect_rec(&r, 21, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, f.s, "O_RDONLY");
	expect_rec(&r, 22, D(DIR_METADATA), O(OPENDIR), ENOTDIR, 3, 0, f.s, "");	/* fdopendir */
	expect_rec(&r, 23, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, f.s, "");
	expect_rec(&r, 24, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, sub.s, "O_RDONLY|O_DIRECTORY");
	expect_rec(&r, 25, D(DIR_METADATA), O(OPENDIR), 0, 3, 0, sub.s, "");	/* fdopendir */
	expect_rec(&r, 26, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, sub.s, "");
	/* The stream's descriptor is closed: it names nothing any more. */
	expect_rec(&r, 27, D(DIR_METADATA), O(READDIR), EBADF, 3, 0, "", "");	/* readdir */
	expect_rec(&r, 28, D(DIR_METADATA), O(READDIR), EBADF, 3, 0, "", "");	/* readdir64 */
	expect_rec(&r, 29, D(DIR_METADATA), O(READDIR), EBADF, 3, 0, "", "");	/* readdir_r */
	expect_rec(&r, 30, D(DIR_METADATA), O(READDIR), EBADF, 3, 0, "", "");	/* readdir64_r */
	expect_rec(&r, 31, D(DIR_METADATA), O(CLOSEDIR), EBADF, 3, 0, "", "");
	cr_assert_eq(r.nrecs, 32, "%zu records, expected 32", r.nrecs);
	run_free(&r);
}

Test(dir, scandir, .fini = scratch_cleanup)
{
	struct run r;
	const struct path sub = in_scratch("s");

	run_scenario(&r, "scan");
	expect_rec(&r, 0, D(DIRS), O(MKDIR), 0, -1, 0, sub.s, "0755");
	for (size_t i = 1; i < 5; i += 2) {
		const struct path made = in_scratch(i < 3 ? "s/f" : "s/g");
		expect_rec(&r, i, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, made.s,
			   "O_WRONLY|O_CREAT|O_TRUNC");
		expect_rec(&r, i + 1, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, made.s, "");
	}
	expect_rec(&r, 5, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, scratch_dir(),
		   "O_RDONLY|O_DIRECTORY");
	/* s2: the number of entries, "." and ".." included. */
	expect_rec(&r, 6, D(DIR_METADATA), O(SCANDIR), 0, -1, 0, sub.s, "4");
	expect_rec(&r, 7, D(DIR_METADATA), O(SCANDIR), 0, -1, 0, sub.s, "4");	/* scandir64 */
	expect_rec(&r, 8, D(DIR_METADATA), O(SCANDIR), 0, -1, 0, sub.s, "4");	/* scandirat */
	expect_rec(&r, 9, D(DIR_METADATA), O(SCANDIR), 0, -1, 0, sub.s, "4");	/* scandirat64 */
	expect_rec(&r, 10, D(DIR_METADATA), O(SCANDIR), ENOENT, -1, 0, scratch_file("none"), "");
	expect_rec(&r, 11, D(DIR_METADATA), O(SCANDIR), ENOTDIR, -1, 0, scratch_file("s/f"), "");
	expect_rec(&r, 12, D(DIR_METADATA), O(SCANDIR), ENOENT, -1, 0, scratch_file("none"), "");
	/* Relative to a bad descriptor, the path can only be recorded as given. */
	expect_rec(&r, 13, D(DIR_METADATA), O(SCANDIR), EBADF, -1, 0, "s", "");
	expect_rec(&r, 14, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, scratch_dir(), "");
	cr_assert_eq(r.nrecs, 15, "%zu records, expected 15", r.nrecs);
	run_free(&r);
}
