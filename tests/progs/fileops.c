/*
 * Makes a known sequence of file calls, one scenario per run:
 *   fileops DIR SCENARIO
 * and prints its pid, then the kernel's name of each descriptor the test
 * cannot know the name of (a pipe, a temporary file), a line each.
 * The end-to-end tests know what each scenario does and assert the records
 * iomon makes of it, call by call (see tests/e2e/test_file.c).  Every
 * result is checked here too, so a wrapper that changed one would fail the
 * run (exit 1) whatever the records say.
 */
#define _LARGEFILE64_SOURCE 1
/* fgets is to be fgets, not the __fgets_chk the fortified headers make of
 * it: that one is called by its own name. */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* Names glibc exports for old binaries, or makes of calls through its
 * headers (fortified fgets), that no header declares. */
char *_IO_fgets(char *s, int size, FILE *stream);
int _IO_fputs(const char *s, FILE *stream);
int _IO_getc(FILE *stream);
int _IO_putc(int c, FILE *stream);
char *__fgets_chk(char *s, size_t slen, int size, FILE *stream);
char *__fgets_unlocked_chk(char *s, size_t slen, int size, FILE *stream);
/* The plain scanf names, which the headers route to __isoc99_fscanf and
 * __isoc99_vfscanf; programs built for older standards call them. */
int plain_fscanf(FILE *stream, const char *format, ...) __asm__("fscanf");
int plain_vfscanf(FILE *stream, const char *format, va_list ap) __asm__("vfscanf");

/* Functions that glibc's headers make inline when optimising (getline is
 * then __getdelim, getc_unlocked reads the buffer itself), called through
 * a pointer so that the program calls the exported function whatever the
 * optimisation. */
static ssize_t (*volatile getline_fn)(char **, size_t *, FILE *) = getline;
static int (*volatile fgetc_unlocked_fn)(FILE *) = fgetc_unlocked;
static int (*volatile getc_unlocked_fn)(FILE *) = getc_unlocked;
static int (*volatile fputc_unlocked_fn)(int, FILE *) = fputc_unlocked;
static int (*volatile putc_unlocked_fn)(int, FILE *) = putc_unlocked;

/* open, write, close; open, read to the end, close; open a missing file. */
static void basic(void)
{
	char buf[64];
	const char *a = in_dir("a.txt");

	int fd = open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, "hello\n", 6) == 6);
	CHECK(close(fd) == 0);
	fd = open(a, O_RDONLY);
	CHECK(fd >= 0);
	CHECK(read(fd, buf, sizeof(buf)) == 6);
	CHECK(read(fd, buf, sizeof(buf)) == 0);
	CHECK(close(fd) == 0);
	errno = 0;
	CHECK(open(in_dir("missing.txt"), O_RDONLY) == -1 && errno == ENOENT);
	CHECK(close(fd) == -1 && errno == EBADF);
}

/* The stdio entry points. */
static void stdio(void)
{
	char buf[64];
	int n = 0;
	const char *b = in_dir("b.txt");

	FILE *f = fopen(b, "w");
	CHECK(f);
	CHECK(fwrite("abcdef", 2, 3, f) == 3);
	CHECK(fprintf(f, " %d\n", 42) == 4);
	CHECK(fclose(f) == 0);
	f = fopen(b, "r");
	CHECK(f);
	CHECK(fread(buf, 1, 6, f) == 6);
	CHECK(fscanf(f, "%d", &n) == 1 && n == 42);
	CHECK(fread(buf, 1, sizeof(buf), f) == 1);
	CHECK(fclose(f) == 0);
	int fd = open(b, O_RDONLY);
	CHECK(fd >= 0);
	f = fdopen(fd, "r");
	CHECK(f);
	f = freopen(in_dir("c.txt"), "w", f);
	CHECK(f);
	CHECK(fclose(f) == 0);
	CHECK(fopen(in_dir("missing.txt"), "r") == NULL && errno == ENOENT);
}

/* The name the kernel gives fd ("pipe:[1234]"), on a line of its own, for
 * the test to expect.  A raw system call, so that no wrapper records it. */
static void print_fd_name(int fd)
{
	char link[64], name[4096];

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	long n = syscall(SYS_readlinkat, AT_FDCWD, link, name, sizeof(name) - 1);
	CHECK(n > 0);
	name[n] = '\0';
	printf("%s\n", name);
}

/* Positional and vectored I/O. */
static void vectored(void)
{
	char x[4], y[4];
	struct iovec out[2] = { { "1234", 4 }, { "5678", 4 } };
	struct iovec in[2] = { { x, 4 }, { y, 4 } };

	int fd = open(in_dir("v.bin"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	CHECK(writev(fd, out, 2) == 8);
	CHECK(pwrite(fd, "ab", 2, 8) == 2);
	CHECK(pwritev(fd, out, 1, 10) == 4);
	CHECK(pread(fd, x, 4, 0) == 4 && memcmp(x, "1234", 4) == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(readv(fd, in, 2) == 8 && memcmp(y, "5678", 4) == 0);
	CHECK(preadv(fd, in, 2, 10) == 4);
	CHECK(pwritev2(fd, out, 2, 14, RWF_DSYNC) == 8);
	CHECK(pwritev64v2(fd, out, 1, 22, 0) == 4);
	CHECK(preadv2(fd, in, 2, 8, 0) == 8 && memcmp(x, "ab12", 4) == 0 &&
	      memcmp(y, "3412", 4) == 0);
	CHECK(preadv64v2(fd, in, 2, 20, 0) == 6 && memcmp(x, "7812", 4) == 0);
	errno = 0;
	CHECK(preadv2(fd, in, 2, 0, -1) == -1 && errno == EOPNOTSUPP);
	CHECK(pwritev2(-1, out, 2, 0, 0) == -1 && errno == EBADF);
	CHECK(close(fd) == 0);
}

/* Bytes from one descriptor to another, without passing through the
 * program: each call is the destination's record. */
static void transfer(void)
{
	int pipefd[2];
	off64_t in_off = 0, out_off = 4;
	off_t off = 4;
	off64_t off64 = 7;
	char buf[16];

	int src = open(in_dir("src.txt"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(src >= 0);
	CHECK(write(src, "0123456789", 10) == 10);
	int dst = open(in_dir("dst.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(dst >= 0);
	CHECK(copy_file_range(src, &in_off, dst, NULL, 4, 0) == 4 && in_off == 4);
	CHECK(sendfile(dst, src, &off, 3) == 3 && off == 7);
	CHECK(sendfile64(dst, src, &off64, 3) == 3 && off64 == 10);
	CHECK(pipe(pipefd) == 0);
	print_fd_name(pipefd[0]);
	in_off = 0;
	CHECK(splice(src, &in_off, pipefd[1], NULL, 5, 0) == 5);
	CHECK(splice(pipefd[0], NULL, dst, &out_off, 5, 0) == 5);
	/* A write-only source; a splice with no pipe at either end. */
	errno = 0;
	CHECK(copy_file_range(dst, NULL, src, NULL, 1, 0) == -1 && errno == EBADF);
	CHECK(sendfile(src, dst, NULL, 1) == -1 && errno == EBADF);
	CHECK(splice(src, NULL, dst, NULL, 1, 0) == -1 && errno == EINVAL);
	CHECK(close(pipefd[0]) == 0 && close(pipefd[1]) == 0);
	CHECK(close(dst) == 0);
	CHECK(pread(src, buf, sizeof(buf), 0) == 10);
	CHECK(close(src) == 0);
	int check = open(in_dir("dst.txt"), O_RDONLY);
	CHECK(check >= 0 && read(check, buf, sizeof(buf)) == 10);
	CHECK(memcmp(buf, "0123012349", 10) == 0);
	CHECK(close(check) == 0);
}

/* Lines and characters through stdio, and each one's way to end. */
static void lines(void)
{
	const char *g = in_dir("g.txt");
	char buf[16], *line = NULL;
	size_t n = 0;

	FILE *f = fopen(g, "w+");
	CHECK(f);
	CHECK(fputs("line1\n", f) >= 0);
	CHECK(fputs_unlocked("line2\n", f) >= 0);
	CHECK(_IO_fputs("line3\n", f) >= 0);
	CHECK(fwrite("l4\nl5\nl6\nl7\nl8\n", 3, 5, f) == 5);
	CHECK(fputc('a', f) == 'a');
	CHECK(putc('b', f) == 'b');
	CHECK(_IO_putc('c', f) == 'c');
	CHECK(fputc_unlocked_fn('d', f) == 'd');
	CHECK(putc_unlocked_fn('e', f) == 'e');
	rewind(f);
	CHECK(getline_fn(&line, &n, f) == 6 && strcmp(line, "line1\n") == 0);
	CHECK(getdelim(&line, &n, '\n', f) == 6 && strcmp(line, "line2\n") == 0);
	CHECK(__getdelim(&line, &n, '\n', f) == 6 && strcmp(line, "line3\n") == 0);
	CHECK(fgets(buf, sizeof(buf), f) == buf && strcmp(buf, "l4\n") == 0);
	CHECK(fgets_unlocked(buf, sizeof(buf), f) == buf && strcmp(buf, "l5\n") == 0);
	CHECK(_IO_fgets(buf, sizeof(buf), f) == buf && strcmp(buf, "l6\n") == 0);
	CHECK(__fgets_chk(buf, sizeof(buf), sizeof(buf), f) == buf && strcmp(buf, "l7\n") == 0);
	CHECK(__fgets_unlocked_chk(buf, sizeof(buf), sizeof(buf), f) == buf &&
	      strcmp(buf, "l8\n") == 0);
	CHECK(fgetc(f) == 'a');
	CHECK(getc(f) == 'b');
	CHECK(_IO_getc(f) == 'c');
	CHECK(fgetc_unlocked_fn(f) == 'd');
	CHECK(getc_unlocked_fn(f) == 'e');
	/* The end of the file, which no call counts as a failure. */
	CHECK(fgetc(f) == EOF && feof(f) && !ferror(f));
	CHECK(getline_fn(&line, &n, f) == -1 && !ferror(f));
	CHECK(fgets(buf, sizeof(buf), f) == NULL && !ferror(f));
	CHECK(fclose(f) == 0);

	/* Writing a stream open for reading, reading one open for writing. */
	f = fopen(g, "r");
	CHECK(f);
	errno = 0;
	CHECK(fputs("x", f) == EOF && errno == EBADF);
	clearerr(f);
	CHECK(putc('x', f) == EOF && errno == EBADF);
	CHECK(fclose(f) == 0);
	f = fopen(g, "a");
	CHECK(f);
	errno = 0;
	CHECK(fgets(buf, sizeof(buf), f) == NULL && errno == EBADF);
	clearerr(f);
	CHECK(getc(f) == EOF && errno == EBADF);
	clearerr(f);
	CHECK(getline_fn(&line, &n, f) == -1 && errno == EBADF);
	clearerr(f);
	errno = 0;
	CHECK(getdelim(NULL, &n, '\n', f) == -1 && errno == EINVAL);
	CHECK(fclose(f) == 0);
	free(line);
}

/* Files without a name, and one refused for want of a descriptor. */
static void temporary(void)
{
	struct rlimit limit, none_left;

	FILE *f = tmpfile();
	CHECK(f);
	print_fd_name(fileno(f));
	CHECK(fputs("t", f) >= 0);
	CHECK(fclose(f) == 0);
	f = tmpfile64();
	CHECK(f);
	print_fd_name(fileno(f));
	CHECK(fclose(f) == 0);
	/* Descriptors 0 to 2 are all this process may have. */
	CHECK(getrlimit(RLIMIT_NOFILE, &limit) == 0);
	none_left = (struct rlimit){ 3, limit.rlim_max };
	CHECK(setrlimit(RLIMIT_NOFILE, &none_left) == 0);
	errno = 0;
	CHECK(tmpfile() == NULL && errno == EMFILE);
	CHECK(tmpfile64() == NULL && errno == EMFILE);
	CHECK(setrlimit(RLIMIT_NOFILE, &limit) == 0);
}

/* The large-file names, creat and openat. */
static void large(void)
{
	char buf[8];

	int fd = creat(in_dir("d.txt"), 0644);
	CHECK(fd >= 0);
	CHECK(pwrite64(fd, "xyz", 3, 0) == 3);
	CHECK(close(fd) == 0);
	fd = creat64(in_dir("e.txt"), 0644);
	CHECK(fd >= 0 && close(fd) == 0);
	fd = open64(in_dir("d.txt"), O_RDONLY);
	CHECK(fd >= 0);
	CHECK(pread64(fd, buf, sizeof(buf), 1) == 2);
	CHECK(close(fd) == 0);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	fd = openat(dfd, "d.txt", O_RDONLY);
	CHECK(fd >= 0 && close(fd) == 0);
	fd = openat64(dfd, "e.txt", O_RDONLY);
	CHECK(fd >= 0 && close(fd) == 0);
	CHECK(close(dfd) == 0);
	FILE *f = fopen64(in_dir("d.txt"), "r");
	CHECK(f && fclose(f) == 0);
}

/* A failed exec, then _exit(): nothing runs the library's destructor, so
 * only the wrappers can send what is buffered. */
static void lifecycle(void)
{
	int fd = open(in_dir("l.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0 && write(fd, "bye\n", 4) == 4 && close(fd) == 0);
	char *argv[] = { "none", NULL };
	errno = 0;
	CHECK(execv("/nonexistent/iomon-test", argv) == -1 && errno == ENOENT);
	fflush(stdout);
	_exit(5);
}

/* The va_list forms, as a program's own printf-like function calls them. */
__attribute__((format(printf, 2, 3))) static int print(FILE *f, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	int n = vfprintf(f, format, ap);
	va_end(ap);
	return n;
}

__attribute__((format(scanf, 2, 3))) static int scan(FILE *f, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	int n = vfscanf(f, format, ap);
	va_end(ap);
	return n;
}

static int plain_scan(FILE *f, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	int n = plain_vfscanf(f, format, ap);
	va_end(ap);
	return n;
}

/* The va_list and plain scanf forms succeeding. */
static void formats(void)
{
	int a = 0, b = 0, c = 0;

	FILE *f = fopen(in_dir("n.txt"), "w+");
	CHECK(f);
	CHECK(print(f, "%d %d %d\n", 1, 2, 3) == 6);
	rewind(f);
	CHECK(scan(f, "%d", &a) == 1 && a == 1);
	CHECK(plain_scan(f, "%d", &b) == 1 && b == 2);
	CHECK(plain_fscanf(f, "%d", &c) == 1 && c == 3);
	CHECK(fclose(f) == 0);
}

/* Every call failing, with the errno it must give: on a descriptor that is
 * not open, a path that does not exist, a stream open the other way. */
static void failures(void)
{
	char buf[16], *line = NULL;
	size_t n = 0;
	int i;
	struct iovec iov = { buf, sizeof(buf) };

	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd == 3);
	CHECK_FAILS(creat(in_dir("none/c"), 0644), ENOENT);
	CHECK_FAILS(creat64(in_dir("none/c"), 0644), ENOENT);
	CHECK_FAILS(openat(dfd, "none", O_RDONLY), ENOENT);
	CHECK_FAILS(openat64(dfd, "none", O_RDONLY), ENOENT);
	CHECK_FAILS(read(-1, buf, 1), EBADF);
	CHECK_FAILS(pread(-1, buf, 1, 0), EBADF);
	CHECK_FAILS(pread64(-1, buf, 1, 0), EBADF);
	CHECK_FAILS(readv(-1, &iov, 1), EBADF);
	CHECK_FAILS(preadv(-1, &iov, 1, 0), EBADF);
	CHECK_FAILS(preadv64(-1, &iov, 1, 0), EBADF);
	CHECK_FAILS(pwrite(-1, "x", 1, 0), EBADF);
	CHECK_FAILS(pwrite64(-1, "x", 1, 0), EBADF);
	CHECK_FAILS(writev(-1, &iov, 1), EBADF);
	CHECK_FAILS(pwritev(-1, &iov, 1, 0), EBADF);
	CHECK_FAILS(pwritev64(-1, &iov, 1, 0), EBADF);
	errno = 0;
	CHECK(fdopen(-1, "r") == NULL && errno == EBADF);

	/* Reading a stream open on a directory: each call sets the stream's
	 * error, cleared before the next. */
	FILE *d = fopen(dir, "r");
	CHECK(d);
#define READ_FAILS(call, failed)                                          \
	do {                                                             \
		errno = 0;                                               \
		CHECK((call) == (failed) && errno == EISDIR && ferror(d)); \
		clearerr(d);                                             \
	} while (0)
	READ_FAILS(fread(buf, 1, 1, d), 0);
	READ_FAILS(fscanf(d, "%d", &i), EOF);
	READ_FAILS(plain_fscanf(d, "%d", &i), EOF);
	READ_FAILS(scan(d, "%d", &i), EOF);
	READ_FAILS(plain_scan(d, "%d", &i), EOF);
	READ_FAILS(getline_fn(&line, &n, d), -1);
	READ_FAILS(__getdelim(&line, &n, '\n', d), -1);
	READ_FAILS(fgets(buf, sizeof(buf), d), NULL);
	READ_FAILS(fgets_unlocked(buf, sizeof(buf), d), NULL);
	READ_FAILS(_IO_fgets(buf, sizeof(buf), d), NULL);
	READ_FAILS(__fgets_chk(buf, sizeof(buf), sizeof(buf), d), NULL);
	READ_FAILS(__fgets_unlocked_chk(buf, sizeof(buf), sizeof(buf), d), NULL);
	READ_FAILS(fgetc(d), EOF);
	READ_FAILS(_IO_getc(d), EOF);
	READ_FAILS(fgetc_unlocked_fn(d), EOF);
	READ_FAILS(getc_unlocked_fn(d), EOF);
#undef READ_FAILS
	free(line);
	CHECK(fclose(d) == 0);

	/* Writing a stream open for reading: the same. */
	FILE *r = fopen(in_dir("r.txt"), "w+");
	CHECK(r);
	CHECK(freopen(NULL, "r", r) == r);
#define WRITE_FAILS(call, failed)                     \
	do {                                         \
		errno = 0;                           \
		CHECK((call) == (failed) && errno == EBADF && ferror(r)); \
		clearerr(r);                         \
	} while (0)
	WRITE_FAILS(fwrite("x", 1, 1, r), 0);
	WRITE_FAILS(fprintf(r, "%d", 1), -1);
	WRITE_FAILS(print(r, "%d", 1), -1);
	WRITE_FAILS(fputs_unlocked("x", r), EOF);
	WRITE_FAILS(_IO_fputs("x", r), EOF);
	WRITE_FAILS(fputc('x', r), EOF);
	WRITE_FAILS(_IO_putc('x', r), EOF);
	WRITE_FAILS(fputc_unlocked_fn('x', r), EOF);
	WRITE_FAILS(putc_unlocked_fn('x', r), EOF);
#undef WRITE_FAILS
	CHECK(fclose(r) == 0);

	/* A byte to write, and the descriptor closed under the stream. */
	FILE *w = fopen(in_dir("w.txt"), "w");
	CHECK(w);
	CHECK(fputc('x', w) == 'x');
	CHECK(close(fileno(w)) == 0);
	errno = 0;
	CHECK(fclose(w) == EOF && errno == EBADF);
	CHECK(close(dfd) == 0);

	/* freopen() of a path that does not exist closes the stream, and
	 * leaves its FILE allocated for good: stdin's, which is static and
	 * which this program does not read. */
	errno = 0;
	CHECK(freopen(in_dir("none/f"), "r", stdin) == NULL && errno == ENOENT);
}

/* Waits for the time IOMON_START_AT names, if any, then opens and closes
 * at.txt at once: the first calls the recording must keep. */
static void at_start(void)
{
	const char *at = getenv("IOMON_START_AT");
	struct timespec now;
	unsigned long long start = at ? strtoull(at, NULL, 10) : 0;

	do
		CHECK(clock_gettime(CLOCK_REALTIME, &now) == 0);
	while ((unsigned long long)now.tv_sec * 1000000000u + (unsigned long long)now.tv_nsec < start);
	int fd = open(in_dir("at.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK(close(fd) == 0);
}

static const struct scenario scenarios[] = {
	{ "basic", basic },
	{ "stdio", stdio },
	{ "vectored", vectored },
	{ "transfer", transfer },
	{ "lines", lines },
	{ "tmpfile", temporary },
	{ "large", large },
	{ "lifecycle", lifecycle },
	{ "formats", formats },
	{ "failures", failures },
	{ "at_start", at_start },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
