/*
 * The file domain, end to end: each scenario of tests/progs/fileops.c runs
 * under the real launcher, and its records are asserted call by call.
 * fileops is built twice, with and without _FILE_OFFSET_BITS=64, so that
 * both open() and open64() (and the other large-file names) are exercised;
 * chkcalls calls the fortified entry points (__open_2, __read_chk, ...).
 * Only the file domains' records are asserted: the programs' other calls
 * (an lseek, a pipe) are recorded only when their domains are compiled in,
 * and are those domains' tests to assert.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codes.h"
#include "harness.h"


#define FILE_DOMAINS (MASK(FILE_OPEN_CLOSE) | MASK(FILE_READ) | MASK(FILE_WRITE))

/* Runs a scenario and checks what every record shares; then drops the
 * START and STOP records and the other domains' records, so that record i
 * is the scenario's file call i. */
static void run_scenario(struct run *r, const char *prog, const char *scenario)
{
	run_traced(r, NONE, LIST(prog_path(prog), scratch_dir(), scenario), NONE);
	expect_scenario_ran(r, prog, scenario);
	for (size_t i = 0; i < r->nrecs; i++)
		cr_assert_str_eq(r->recs[i].facility, "u", "default facility");
	cr_assert_gt(atoi(r->recs[0].s2), 1, "START's s2 is the parent pid: '%s'",
		     r->recs[0].s2);
	expect_rec(r, r->nrecs - 1, D(START_STOP), O(STOP), 0, -1, 0, "", "0");
	drop_first(r);
	drop_last(r);
	keep_domains(r, FILE_DOMAINS);
}

/* Criterion runs each test in a process of its own: parameters are copied
 * by value, so they hold the name, not a pointer to it. */
struct variant {
	char prog[16];
};

static struct variant variants[] = { { "fileops" }, { "fileops64" } };

ParameterizedTestParameters(file, basic)
{
	return cr_make_param_array(struct variant, variants, 2);
}

ParameterizedTest(struct variant *variant, file, basic, .fini = scratch_cleanup)
{
	struct run r;
	const char *a = scratch_file("a.txt");

	run_scenario(&r, variant->prog, "basic");
	expect_rec(&r, 0, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, a, "O_WRONLY|O_CREAT|O_TRUNC");
	expect_rec(&r, 1, D(FILE_WRITE), O(WRITE), 0, 3, 6, a, "");
	expect_rec(&r, 2, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, a, "");
	expect_rec(&r, 3, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, a, "O_RDONLY");
	expect_rec(&r, 4, D(FILE_READ), O(READ), 0, 3, 6, a, "");
	expect_rec(&r, 5, D(FILE_READ), O(READ), 0, 3, 0, a, "");
	expect_rec(&r, 6, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, a, "");
	expect_rec(&r, 7, D(FILE_OPEN_CLOSE), O(OPEN), ENOENT, -1, 0,
		   scratch_file("missing.txt"), "O_RDONLY");
	expect_rec(&r, 8, D(FILE_OPEN_CLOSE), O(CLOSE), EBADF, 3, 0, "", "");
	cr_assert_eq(r.nrecs, 9, "%zu records, expected 9", r.nrecs);
	run_free(&r);
}

ParameterizedTestParameters(file, stdio)
{
	return cr_make_param_array(struct variant, variants, 2);
}

ParameterizedTest(struct variant *variant, file, stdio, .fini = scratch_cleanup)
{
	struct run r;
	const char *b = scratch_file("b.txt"), *c = scratch_file("c.txt");

	run_scenario(&r, variant->prog, "stdio");
	expect_rec(&r, 0, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, b, "w");
	expect_rec(&r, 1, D(FILE_WRITE), O(WRITE), 0, 3, 6, b, "");	/* fwrite */
	expect_rec(&r, 2, D(FILE_WRITE), O(WRITE), 0, 3, 4, b, "");	/* fprintf */
	expect_rec(&r, 3, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, b, "");
	expect_rec(&r, 4, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, b, "r");
	expect_rec(&r, 5, D(FILE_READ), O(READ), 0, 3, 6, b, "");	/* fread */
	expect_rec(&r, 6, D(FILE_READ), O(READ), 0, 3, 0, b, "");	/* fscanf */
	expect_rec(&r, 7, D(FILE_READ), O(READ), 0, 3, 1, b, "");	/* fread, short */
	expect_rec(&r, 8, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, b, "");
	expect_rec(&r, 9, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, b, "O_RDONLY");
	expect_rec(&r, 10, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, b, "r");	/* fdopen */
	expect_rec(&r, 11, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, c, "w");	/* freopen */
	expect_rec(&r, 12, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, c, "");
	expect_rec(&r, 13, D(FILE_OPEN_CLOSE), O(OPEN), ENOENT, -1, 0,
		   scratch_file("missing.txt"), "r");
	cr_assert_eq(r.nrecs, 14, "%zu records, expected 14", r.nrecs);
	run_free(&r);
}

ParameterizedTestParameters(file, vectored)
{
	return cr_make_param_array(struct variant, variants, 2);
}

ParameterizedTest(struct variant *variant, file, vectored, .fini = scratch_cleanup)
{
	struct run r;
	const char *v = scratch_file("v.bin");

	run_scenario(&r, variant->prog, "vectored");
	expect_rec(&r, 0, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, v, "O_RDWR|O_CREAT|O_TRUNC");
	expect_rec(&r, 1, D(FILE_WRITE), O(WRITE), 0, 3, 8, v, "");	/* writev */
	expect_rec(&r, 2, D(FILE_WRITE), O(WRITE), 0, 3, 2, v, "");	/* pwrite */
	expect_rec(&r, 3, D(FILE_WRITE), O(WRITE), 0, 3, 4, v, "");	/* pwritev */
	expect_rec(&r, 4, D(FILE_READ), O(READ), 0, 3, 4, v, "");	/* pread */
	expect_rec(&r, 5, D(FILE_READ), O(READ), 0, 3, 8, v, "");	/* readv */
	expect_rec(&r, 6, D(FILE_READ), O(READ), 0, 3, 4, v, "");	/* preadv */
	expect_rec(&r, 7, D(FILE_WRITE), O(WRITE), 0, 3, 8, v, "");	/* pwritev2 */
	expect_rec(&r, 8, D(FILE_WRITE), O(WRITE), 0, 3, 4, v, "");	/* pwritev64v2 */
	expect_rec(&r, 9, D(FILE_READ), O(READ), 0, 3, 8, v, "");	/* preadv2 */
	expect_rec(&r, 10, D(FILE_READ), O(READ), 0, 3, 6, v, "");	/* preadv64v2 */
	expect_rec(&r, 11, D(FILE_READ), O(READ), EOPNOTSUPP, 3, 0, v, "");	/* bad flags */
	expect_rec(&r, 12, D(FILE_WRITE), O(WRITE), EBADF, -1, 0, "", "");
	expect_rec(&r, 13, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, v, "");
	cr_assert_eq(r.nrecs, 14, "%zu records, expected 14", r.nrecs);
	run_free(&r);
}

ParameterizedTestParameters(file, transfer)
{
	return cr_make_param_array(struct variant, variants, 2);
}

/* copy_file_range, sendfile and splice: the destination's record, with the
 * source's path in s2. */
ParameterizedTest(struct variant *variant, file, transfer, .fini = scratch_cleanup)
{
	struct run r;
	const char *src = scratch_file("src.txt"), *dst = scratch_file("dst.txt");

	run_scenario(&r, variant->prog, "transfer");
	char pipe_name[4200];
	output_line(&r, 1, pipe_name);
	cr_assert(strncmp(pipe_name, "pipe:[", 6) == 0, "a pipe: '%s'", pipe_name);
	expect_rec(&r, 0, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, src, "O_RDWR|O_CREAT|O_TRUNC");
	expect_rec(&r, 1, D(FILE_WRITE), O(WRITE), 0, 3, 10, src, "");
	expect_rec(&r, 2, D(FILE_OPEN_CLOSE), O(OPEN), 0, 4, 0, dst, "O_WRONLY|O_CREAT|O_TRUNC");
	expect_rec(&r, 3, D(FILE_WRITE), O(WRITE), 0, 4, 4, dst, src);	/* copy_file_range */
	expect_rec(&r, 4, D(FILE_WRITE), O(WRITE), 0, 4, 3, dst, src);	/* sendfile */
	expect_rec(&r, 5, D(FILE_WRITE), O(WRITE), 0, 4, 3, dst, src);	/* sendfile64 */
	expect_rec(&r, 6, D(FILE_WRITE), O(WRITE), 0, 6, 5, pipe_name, src);	/* splice in */
	expect_rec(&r, 7, D(FILE_WRITE), O(WRITE), 0, 4, 5, dst, pipe_name);	/* splice out */
	/* copy_file_range and sendfile from a write-only source; a splice
	 * without a pipe. */
	expect_rec(&r, 8, D(FILE_WRITE), O(WRITE), EBADF, 3, 0, src, dst);
	expect_rec(&r, 9, D(FILE_WRITE), O(WRITE), EBADF, 3, 0, src, dst);
	expect_rec(&r, 10, D(FILE_WRITE), O(WRITE), EINVAL, 4, 0, dst, src);
	expect_rec(&r, 11, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 5, 0, pipe_name, "");
	expect_rec(&r, 12, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 6, 0, pipe_name, "");
	expect_rec(&r, 13, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 4, 0, dst, "");
	expect_rec(&r, 14, D(FILE_READ), O(READ), 0, 3, 10, src, "");
	expect_rec(&r, 15, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, src, "");
	expect_rec(&r, 16, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, dst, "O_RDONLY");
	expect_rec(&r, 17, D(FILE_READ), O(READ), 0, 3, 10, dst, "");
	expect_rec(&r, 18, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, dst, "");
	cr_assert_eq(r.nrecs, 19, "%zu records, expected 19", r.nrecs);
	run_free(&r);
}

ParameterizedTestParameters(file, lines)
{
	return cr_make_param_array(struct variant, variants, 2);
}

/* Lines and characters, under every name glibc exports for them: a byte
 * count each, the end of the file no failure, a failure each way. */
ParameterizedTest(struct variant *variant, file, lines, .fini = scratch_cleanup)
{
	struct run r;
	const char *g = scratch_file("g.txt");
	/* The bytes of each call, in the order fileops makes them. */
	static const uint64_t writes[] = {
		6, 6, 6,       /* fputs, fputs_unlocked, _IO_fputs */
		15,            /* fwrite */
		1, 1, 1, 1, 1, /* fputc, putc, _IO_putc, fputc_unlocked, putc_unlocked */
	};
	static const uint64_t reads[] = {
		6, 6, 6,       /* getline, getdelim, __getdelim */
		3, 3, 3,       /* fgets, fgets_unlocked, _IO_fgets */
		3, 3,          /* __fgets_chk, __fgets_unlocked_chk */
		1, 1, 1, 1, 1, /* fgetc, getc, _IO_getc, fgetc_unlocked, getc_unlocked */
		0, 0, 0,       /* fgetc, getline, fgets at the end of the file */
	};
	size_t i = 0;

	run_scenario(&r, variant->prog, "lines");
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, g, "w+");
	for (size_t k = 0; k < sizeof(writes) / sizeof(writes[0]); k++)
		expect_rec(&r, i++, D(FILE_WRITE), O(WRITE), 0, 3, writes[k], g, "");
	for (size_t k = 0; k < sizeof(reads) / sizeof(reads[0]); k++)
		expect_rec(&r, i++, D(FILE_READ), O(READ), 0, 3, reads[k], g, "");
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, g, "");
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, g, "r");
	expect_rec(&r, i++, D(FILE_WRITE), O(WRITE), EBADF, 3, 0, g, "");	/* fputs */
	expect_rec(&r, i++, D(FILE_WRITE), O(WRITE), EBADF, 3, 0, g, "");	/* putc */
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, g, "");
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, g, "a");
	expect_rec(&r, i++, D(FILE_READ), O(READ), EBADF, 3, 0, g, "");	/* fgets */
	expect_rec(&r, i++, D(FILE_READ), O(READ), EBADF, 3, 0, g, "");	/* getc */
	expect_rec(&r, i++, D(FILE_READ), O(READ), EBADF, 3, 0, g, "");	/* getline */
	expect_rec(&r, i++, D(FILE_READ), O(READ), EINVAL, 3, 0, g, "");	/* getdelim(NULL) */
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, g, "");
	cr_assert_eq(r.nrecs, i, "%zu records, expected %zu", r.nrecs, i);
	run_free(&r);
}

ParameterizedTestParameters(file, tmpfile)
{
	return cr_make_param_array(struct variant, variants, 2);
}

/* tmpfile: s1 is the name the kernel gives the file, and the later records
 * of its descriptor name it the same way. */
ParameterizedTest(struct variant *variant, file, tmpfile, .fini = scratch_cleanup)
{
	struct run r;
	char first[4200], second[4200];

	run_scenario(&r, variant->prog, "tmpfile");
	output_line(&r, 1, first);
	output_line(&r, 2, second);
	cr_assert(strstr(first, " (deleted)"), "a file without a name: '%s'", first);
	expect_rec(&r, 0, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, first, "w+");
	expect_rec(&r, 1, D(FILE_WRITE), O(WRITE), 0, 3, 1, first, "");
	expect_rec(&r, 2, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, first, "");
	expect_rec(&r, 3, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, second, "w+");	/* tmpfile64 */
	expect_rec(&r, 4, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, second, "");
	expect_rec(&r, 5, D(FILE_OPEN_CLOSE), O(OPEN), EMFILE, -1, 0, "", "w+");
	expect_rec(&r, 6, D(FILE_OPEN_CLOSE), O(OPEN), EMFILE, -1, 0, "", "w+");
	cr_assert_eq(r.nrecs, 7, "%zu records, expected 7", r.nrecs);
	run_free(&r);
}

Test(file, large_file_names, .fini = scratch_cleanup)
{
	struct run r;
	const char *d = scratch_file("d.txt"), *e = scratch_file("e.txt");

	run_scenario(&r, "fileops", "large");
	expect_rec(&r, 0, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, d, "O_WRONLY|O_CREAT|O_TRUNC");
	expect_rec(&r, 1, D(FILE_WRITE), O(WRITE), 0, 3, 3, d, "");	/* pwrite64 */
	expect_rec(&r, 2, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, d, "");
	expect_rec(&r, 3, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, e, "O_WRONLY|O_CREAT|O_TRUNC");
	expect_rec(&r, 4, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, e, "");
	expect_rec(&r, 5, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, d, "O_RDONLY");	/* open64 */
	expect_rec(&r, 6, D(FILE_READ), O(READ), 0, 3, 2, d, "");	/* pread64 */
	expect_rec(&r, 7, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, d, "");
	expect_rec(&r, 8, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, scratch_dir(),
		   "O_RDONLY|O_DIRECTORY");
	/* openat: the path relative to the directory descriptor, made absolute. */
	expect_rec(&r, 9, D(FILE_OPEN_CLOSE), O(OPEN), 0, 4, 0, d, "O_RDONLY");
	expect_rec(&r, 10, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 4, 0, d, "");
	expect_rec(&r, 11, D(FILE_OPEN_CLOSE), O(OPEN), 0, 4, 0, e, "O_RDONLY");	/* openat64 */
	expect_rec(&r, 12, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 4, 0, e, "");
	expect_rec(&r, 13, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, scratch_dir(), "");
	expect_rec(&r, 14, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, d, "r");	/* fopen64 */
	expect_rec(&r, 15, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, d, "");
	cr_assert_eq(r.nrecs, 16, "%zu records, expected 16", r.nrecs);
	run_free(&r);
}

Test(file, fortified_entry_points, .fini = scratch_cleanup)
{
	struct run nm, r;
	const char *f = scratch_file("f.txt");

	/* The program really imports the checking forms. */
	run_command(&nm, LIST("/usr/bin/nm", "-D", "--undefined-only", prog_path("chkcalls")),
		    NONE);
	cr_assert_eq(nm.status, 0, "nm failed: %s", nm.err);
	for (const char *const *sym = LIST("__open_2", "__open64_2", "__openat_2", "__openat64_2",
					   "__read_chk", "__pread_chk", "__pread64_chk",
					   "__fread_chk", "__fprintf_chk", "__vfprintf_chk");
	     *sym; sym++)
		cr_assert(strstr(nm.out, *sym), "chkcalls does not call %s:\n%s", *sym, nm.out);
	run_free(&nm);

	run_traced(&r, NONE, LIST(prog_path("chkcalls"), scratch_dir(), "fortified"), NONE);
	cr_assert_eq(r.status, 0, "chkcalls failed: %s", r.err);
	expect_rec(&r, 0, D(START_STOP), O(START), 0, -1, 0, NULL, NULL);
	expect_rec(&r, r.nrecs - 1, D(START_STOP), O(STOP), 0, -1, 0, "", "0");
	drop_first(&r);
	drop_last(&r);
	keep_domains(&r, FILE_DOMAINS);
	expect_rec(&r, 0, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, f, "w");
	expect_rec(&r, 1, D(FILE_WRITE), O(WRITE), 0, 3, 10, f, "");	/* __fprintf_chk */
	expect_rec(&r, 2, D(FILE_WRITE), O(WRITE), 0, 3, 2, f, "");	/* __vfprintf_chk */
	expect_rec(&r, 3, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, f, "");
	expect_rec(&r, 4, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, f, "O_RDONLY");	/* __open_2 */
	expect_rec(&r, 5, D(FILE_READ), O(READ), 0, 3, 12, f, "");	/* __read_chk */
	expect_rec(&r, 6, D(FILE_READ), O(READ), 0, 3, 4, f, "");	/* __pread_chk */
	expect_rec(&r, 7, D(FILE_READ), O(READ), 0, 3, 2, f, "");	/* __pread64_chk */
	expect_rec(&r, 8, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, f, "");
	expect_rec(&r, 9, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, f, "O_RDONLY");	/* __open64_2 */
	expect_rec(&r, 10, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, f, "");
	expect_rec(&r, 11, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, scratch_dir(),
		   "O_RDONLY|O_DIRECTORY");
	expect_rec(&r, 12, D(FILE_OPEN_CLOSE), O(OPEN), 0, 4, 0, f, "O_RDONLY");	/* __openat_2 */
	expect_rec(&r, 13, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 4, 0, f, "");
	expect_rec(&r, 14, D(FILE_OPEN_CLOSE), O(OPEN), 0, 4, 0, f, "O_RDONLY");	/* __openat64_2 */
	expect_rec(&r, 15, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 4, 0, f, "");
	expect_rec(&r, 16, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, scratch_dir(), "");
	expect_rec(&r, 17, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, f, "r");
	expect_rec(&r, 18, D(FILE_READ), O(READ), 0, 3, 12, f, "");	/* __fread_chk */
	expect_rec(&r, 19, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, f, "");
	cr_assert_eq(r.nrecs, 20, "%zu records, expected 20", r.nrecs);
	run_free(&r);
}

/* The checking names failing; a fortified stream call on a directory and
 * on a stream open for reading only. */
Test(file, fortified_failures, .fini = scratch_cleanup)
{
	struct run r;
	char top[4200], none[4200], rd[4200];

	snprintf(top, sizeof(top), "%s", scratch_dir());
	snprintf(none, sizeof(none), "%s", scratch_file("none"));
	snprintf(rd, sizeof(rd), "%s", scratch_file("r.txt"));
	run_scenario(&r, "chkcalls", "fortified_failures");
	expect_rec(&r, 0, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, top, "O_RDONLY|O_DIRECTORY");
	for (size_t i = 1; i <= 4; i++)	/* __open_2, __open64_2, __openat_2, __openat64_2 */
		expect_rec(&r, i, D(FILE_OPEN_CLOSE), O(OPEN), ENOENT, -1, 0, none, "O_RDONLY");
	for (size_t i = 5; i <= 7; i++)	/* __read_chk, __pread_chk, __pread64_chk */
		expect_rec(&r, i, D(FILE_READ), O(READ), EBADF, -1, 0, "", "");
	expect_rec(&r, 8, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, top, "");
	expect_rec(&r, 9, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, top, "r");
	expect_rec(&r, 10, D(FILE_READ), O(READ), EISDIR, 3, 0, top, "");	/* __fread_chk */
	expect_rec(&r, 11, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, top, "");
	expect_rec(&r, 12, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, rd, "w+");
	expect_rec(&r, 13, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, NULL, "r");	/* freopen(NULL) */
	expect_rec(&r, 14, D(FILE_WRITE), O(WRITE), EBADF, 3, 0, rd, "");	/* __fprintf_chk */
	expect_rec(&r, 15, D(FILE_WRITE), O(WRITE), EBADF, 3, 0, rd, "");	/* __vfprintf_chk */
	expect_rec(&r, 16, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, rd, "");
	cr_assert_eq(r.nrecs, 17, "%zu records, expected 17", r.nrecs);
	run_free(&r);
}

ParameterizedTestParameters(file, formats)
{
	return cr_make_param_array(struct variant, variants, 2);
}

/* vfprintf, vfscanf and the plain scanf names (C99's headers call
 * __isoc99_fscanf for fscanf): scanf records no bytes. */
ParameterizedTest(struct variant *variant, file, formats, .fini = scratch_cleanup)
{
	struct run r;
	char n[4200];

	snprintf(n, sizeof(n), "%s", scratch_file("n.txt"));
	run_scenario(&r, variant->prog, "formats");
	expect_rec(&r, 0, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, n, "w+");
	expect_rec(&r, 1, D(FILE_WRITE), O(WRITE), 0, 3, 6, n, "");	/* vfprintf */
	for (size_t i = 2; i <= 4; i++)	/* __isoc99_vfscanf, vfscanf, fscanf */
		expect_rec(&r, i, D(FILE_READ), O(READ), 0, 3, 0, n, "");
	expect_rec(&r, 5, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, n, "");
	cr_assert_eq(r.nrecs, 6, "%zu records, expected 6", r.nrecs);
	run_free(&r);
}

ParameterizedTestParameters(file, failures)
{
	return cr_make_param_array(struct variant, variants, 2);
}

/* Each call failing: on no descriptor, on a path that does not exist, on
 * a stream open on a directory (EISDIR) or for reading only (EBADF). */
ParameterizedTest(struct variant *variant, file, failures, .fini = scratch_cleanup)
{
	struct run r;
	char top[4200], none[4200], rd[4200], wr[4200];
	size_t i = 0;

	snprintf(top, sizeof(top), "%s", scratch_dir());
	snprintf(none, sizeof(none), "%s", scratch_file("none"));
	snprintf(rd, sizeof(rd), "%s", scratch_file("r.txt"));
	snprintf(wr, sizeof(wr), "%s", scratch_file("w.txt"));
	run_scenario(&r, variant->prog, "failures");
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(OPEN), 0, 3, 0, top, "O_RDONLY|O_DIRECTORY");
	for (int k = 0; k < 2; k++)	/* creat, creat64 */
		expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(OPEN), ENOENT, -1, 0,
			   scratch_file("none/c"), "O_WRONLY|O_CREAT|O_TRUNC");
	for (int k = 0; k < 2; k++)	/* openat, openat64 */
		expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(OPEN), ENOENT, -1, 0, none, "O_RDONLY");
	for (int k = 0; k < 6; k++)	/* read, pread, pread64, readv, preadv, preadv64 */
		expect_rec(&r, i++, D(FILE_READ), O(READ), EBADF, -1, 0, "", "");
	for (int k = 0; k < 5; k++)	/* pwrite, pwrite64, writev, pwritev, pwritev64 */
		expect_rec(&r, i++, D(FILE_WRITE), O(WRITE), EBADF, -1, 0, "", "");
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(OPEN), EBADF, -1, 0, "", "r");	/* fdopen */
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(OPEN), 0, 4, 0, top, "r");
	for (int k = 0; k < 16; k++)	/* fread to getc_unlocked, on the directory */
		expect_rec(&r, i++, D(FILE_READ), O(READ), EISDIR, 4, 0, top, "");
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 4, 0, top, "");
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(OPEN), 0, 4, 0, rd, "w+");
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(OPEN), 0, 4, 0, NULL, "r");	/* freopen(NULL) */
	for (int k = 0; k < 9; k++)	/* fwrite to putc_unlocked, read only */
		expect_rec(&r, i++, D(FILE_WRITE), O(WRITE), EBADF, 4, 0, rd, "");
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 4, 0, rd, "");
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(OPEN), 0, 4, 0, wr, "w");
	expect_rec(&r, i++, D(FILE_WRITE), O(WRITE), 0, 4, 1, wr, "");	/* fputc */
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 4, 0, wr, "");	/* close */
	/* fclose: its descriptor is gone, and so is its name. */
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(CLOSE), EBADF, 4, 0, "", "");
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(CLOSE), 0, 3, 0, top, "");
	expect_rec(&r, i++, D(FILE_OPEN_CLOSE), O(OPEN), ENOENT, -1, 0, scratch_file("none/f"),
		   "r");	/* freopen on stdin */
	cr_assert_eq(r.nrecs, i, "%zu records, expected %zu", r.nrecs, i);
	run_free(&r);
}

Test(file, relative_paths_are_recorded_absolute, .fini = scratch_cleanup)
{
	struct run r;
	char script[4400];

	/* fileops opens "./a.txt" from inside the scratch directory. */
	snprintf(script, sizeof(script), "cd '%s' && exec '%s' . basic", scratch_dir(),
		 prog_path("fileops"));
	run_traced(&r, NONE, LIST("/bin/sh", "-c", script), NONE);
	cr_assert_eq(r.status, 0, "%s", r.err);
	size_t opens = 0;
	for (size_t i = 0; i < r.nrecs; i++) {
		if (r.recs[i].op != O(OPEN) || r.recs[i].err)
			continue;
		cr_assert_str_eq(r.recs[i].s1, scratch_file("a.txt"));
		opens++;
	}
	cr_assert_eq(opens, 2, "the two opens of ./a.txt: %zu", opens);
	run_free(&r);
}
