/*
 * Makes a known sequence of file calls, one scenario per run:
 *   fileops DIR SCENARIO
 * and prints its pid.
 * The end-to-end tests know what each scenario does and assert the records
 * iomon makes of it, call by call (see tests/e2e/test_file.c).  Every
 * result is checked here too, so a wrapper that changed one would fail the
 * run (exit 1) whatever the records say.
 */
#define _LARGEFILE64_SOURCE 1
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

static const char *dir;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "fileops: %s:%d: %s\n", __FILE__,      \
				__LINE__, #cond);                              \
			exit(1);                                               \
		}                                                              \
	} while (0)

static const char *in_dir(const char *name)
{
	static char path[4][4200];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

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
	CHECK(fflush(f) == 0);
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
	CHECK(close(fd) == 0);
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

static const struct {
	const char *name;
	void (*run)(void);
} scenarios[] = {
	{ "basic", basic },
	{ "stdio", stdio },
	{ "vectored", vectored },
	{ "large", large },
	{ "lifecycle", lifecycle },
};

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: fileops DIR SCENARIO\n");
		return 2;
	}
	dir = argv[1];
	/* The pid first, for the test to match the records' pid against.
	 * printf's own write is inside the C library, so it is not recorded. */
	printf("%d\n", (int)getpid());
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		if (strcmp(argv[2], scenarios[i].name) == 0) {
			scenarios[i].run();
			return 0;
		}
	}
	fprintf(stderr, "fileops: no scenario '%s'\n", argv[2]);
	return 2;
}
