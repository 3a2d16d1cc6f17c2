/*
 * The descriptor domain's calls, with known results:
 *   fd_calls DIR
 * Descriptors are deterministic: the program starts with only 0, 1 and 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"

int main(int argc, char **argv)
{
	int fds[2];
	char path[4200], c;

	if (argc != 2)
		return 2;
	snprintf(path, sizeof(path), "%s/fd.txt", argv[1]);
	printf("%d\n", (int)getpid());

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
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
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
	return 0;
}
