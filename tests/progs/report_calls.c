/*
 * Makes calls whose numbers the summary must show (tests/e2e/test_report.c):
 *   report_calls DIR known
 * In the process itself: 10 writes of 1000 bytes to DIR/a, 4 reads of it
 * (4096 + 4096 + 1808 + 0 bytes), 3 opens of a missing file (ENOENT), and
 * one write of 7 bytes each to two files with hostile names: DIR/q"u,o
 * te\nnl (a quote, a comma, a newline) and DIR/bad\xff\xfe (not UTF-8).
 * In a child made by fork: 2 writes of 500 bytes to DIR/b.  Each file is
 * opened and closed once per pass.
 */
#include <fcntl.h>
#include <sys/wait.h>

#include "check.h"

#define A_WRITES 10
#define A_WRITE_SIZE 1000
#define B_WRITES 2
#define B_WRITE_SIZE 500
#define MISSING_OPENS 3

static void write_file(const char *path, int writes, size_t size)
{
	static char buf[A_WRITE_SIZE];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	for (int i = 0; i < writes; i++)
		CHECK(write(fd, buf, size) == (ssize_t)size);
	CHECK(close(fd) == 0);
}

static void known(void)
{
	char buf[4096];
	ssize_t n;
	int fd, status;
	pid_t child;

	write_file(in_dir("a"), A_WRITES, A_WRITE_SIZE);
	fd = open(in_dir("a"), O_RDONLY);
	CHECK(fd >= 0);
	CHECK(read(fd, buf, sizeof(buf)) == 4096);
	CHECK(read(fd, buf, sizeof(buf)) == 4096);
	CHECK(read(fd, buf, sizeof(buf)) == A_WRITES * A_WRITE_SIZE - 2 * 4096);
	CHECK((n = read(fd, buf, sizeof(buf))) == 0);
	CHECK(close(fd) == 0);
	for (int i = 0; i < MISSING_OPENS; i++)
		CHECK_FAILS(open(in_dir("missing"), O_RDONLY), ENOENT);
	write_file(in_dir("q\"u,o te\nnl"), 1, 7);
	write_file(in_dir("bad\xff\xfe"), 1, 7);

	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		write_file(in_dir("b"), B_WRITES, B_WRITE_SIZE);
		_exit(0);
	}
	CHECK(waitpid(child, &status, 0) == child);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static const struct scenario scenarios[] = {
    {"known", known},
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
