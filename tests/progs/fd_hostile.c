/*
 * What daemons and careless programs do to descriptors they do not own:
 *   fd_hostile DIR
 * close every descriptor from 4 to 1023 while none of them is open (each
 * must fail with EBADF, the library's socket among them), then dup2() a
 * file onto every one, close them all one by one, then close_range() and
 * closefrom() the lot.  The library's socket is
 * among them; the program must not notice, and no record may land in its
 * file.  Prints its pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

int main(int argc, char **argv)
{
	char path[4200];

	if (argc != 2)
		return 2;
	printf("%d\n", (int)getpid());
	fflush(stdout);
	snprintf(path, sizeof(path), "%s/own.txt", argv[1]);
	int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(f == 3);
	CHECK(write(f, "start\n", 6) == 6);
	for (int fd = 4; fd < 1024; fd++)
		CHECK(close(fd) == -1 && errno == EBADF);
	for (int fd = 4; fd < 1024; fd++)
		CHECK(dup2(f, fd) == fd);
	/* Every copy is the program's file: writing through any of them is. */
	CHECK(write(900, "middle\n", 7) == 7);
	for (int fd = 4; fd < 1024; fd++)
		CHECK(close(fd) == 0);
	CHECK(close_range(4, ~0u, 0) == 0);
	closefrom(4);
	CHECK(write(f, "end\n", 4) == 4 && close(f) == 0);
	return 0;
}
