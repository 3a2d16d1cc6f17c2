/*
 * The descriptor domain's calls, with known results, one scenario per run:
 *   fd_calls DIR SCENARIO
 * Descriptors are deterministic: the program starts with only 0, 1 and 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* fcntl() by its own name: Meson's large-file define makes the headers
 * call fcntl64() for it. */
int plain_fcntl(int fd, int cmd, ...) __asm__("fcntl");

static void descriptors(void)
{
	int fds[2];
	char c;

	CHECK(pipe(fds) == 0 && fds[0] == 3 && fds[1] == 4);
	CHECK(dup(4) == 5);
	CHECK(dup2(4, 10) == 10);
	CHECK(dup3(3, 11, O_CLOEXEC) == 11);
	CHECK(fcntl(3, F_DUPFD, 20) == 20);
	CHECK(fcntl(3, F_DUPFD_CLOEXEC, 21) == 21);
	CHECK(fcntl(3, F_GETFD) == 0);
	CHECK(fcntl(3, F_SETFL, O_NONBLOCK) == 0);
	CHECK(fcntl64(3, F_GETFL) & O_NONBLOCK);
	/* The copies name the pipe: a read through one of them says so. */
	CHECK(write(10, "x", 1) == 1 && read(20, &c, 1) == 1);

	/* A descriptor replaced by dup2 is named after its new file. */
	int f = open(in_dir("fd.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(f == 6);
	CHECK(dup2(6, 10) == 10);
	CHECK(write(10, "ab", 2) == 2);

	errno = 0;
	CHECK(dup(-1) == -1 && errno == EBADF);
	CHECK(dup2(99, 12) == -1 && errno == EBADF);
	CHECK(dup3(3, 3, 0) == -1 && errno == EINVAL);
	CHECK(fcntl(-1, F_GETFD) == -1 && errno == EBADF);
	CHECK(pipe2(fds, -1) == -1 && errno == EINVAL);
	CHECK(pipe2(fds, O_CLOEXEC) == 0 && fds[0] == 7 && fds[1] == 8);

	/* After close_range and closefrom, what was closed is forgotten. */
	CHECK(close_range(20, 21, 0) == 0);
	CHECK(write(20, "x", 1) == -1 && errno == EBADF);
	closefrom(7);
	CHECK(fcntl(8, F_GETFD) == -1 && errno == EBADF);
}

/* The calls failing that the first scenario does not fail: fcntl() by its
 * own name, close_range() given its bounds the wrong way round, pipe()
 * when no descriptor is left. */
static void refused(void)
{
	int fds[2];
	struct rlimit limit, none_left;

	errno = 0;
	CHECK(plain_fcntl(-1, F_GETFD) == -1 && errno == EBADF);
	CHECK(plain_fcntl(0, F_GETFD) == 0);
	CHECK(fcntl64(-1, F_GETFL) == -1 && errno == EBADF);
	CHECK(close_range(10, 9, 0) == -1 && errno == EINVAL);
	/* Descriptors 0 to 2 are all this process may have. */
	CHECK(getrlimit(RLIMIT_NOFILE, &limit) == 0);
	none_left = (struct rlimit){ 3, limit.rlim_max };
	CHECK(setrlimit(RLIMIT_NOFILE, &none_left) == 0);
	errno = 0;
	CHECK(pipe(fds) == -1 && errno == EMFILE);
	CHECK(setrlimit(RLIMIT_NOFILE, &limit) == 0);
}

static void *write_d(void *arg)
{
	int fd = *(int *)arg;

	for (int i = 0; i < 3; i++)
		CHECK(write(fd, "d", 1) == 1);
	return NULL;
}

/*
 * Writes that name their files however the descriptors take turns, change
 * or cross a fork and a thread: the library sends a descriptor's path once
 * and then refers to it (libiomon/stream.h), and each of these must still
 * name the right file.
 */
static void paths(void)
{
	int a = open(in_dir("a"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int b = open(in_dir("b"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int c = open(in_dir("c"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	int d = open(in_dir("d"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	pthread_t thread;
	int status;

	CHECK(a == 3 && b == 4 && c == 5 && d == 6);
	for (int i = 0; i < 3; i++)
		CHECK(write(a, "a", 1) == 1 && write(b, "b", 1) == 1 && write(c, "c", 1) == 1);
	CHECK(dup2(c, a) == a);
	CHECK(write(a, "c", 1) == 1 && write(b, "b", 1) == 1);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		CHECK(write(b, "b", 1) == 1 && write(a, "c", 1) == 1);
		_exit(0);
	}
	CHECK(waitpid(pid, &status, 0) == pid && status == 0);
	CHECK(pthread_create(&thread, NULL, write_d, &d) == 0);
	CHECK(write(b, "b", 1) == 1);
	CHECK(pthread_join(thread, NULL) == 0);
	CHECK(close(a) == 0 && open(in_dir("e"), O_WRONLY | O_CREAT | O_TRUNC, 0644) == a);
	CHECK(write(a, "e", 1) == 1);
}

static const struct scenario scenarios[] = {
	{ "descriptors", descriptors },
	{ "refused", refused },
	{ "paths", paths },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
