/*
 * The extended attributes domain's calls, with known results, one scenario
 * per run:
 *   xattr_calls DIR SCENARIO
 * on a file in DIR, whose file system must keep user.* attributes.  Prints
 * its pid, then "unsupported" if it does not (after one failed setxattr).
 * Every result is checked here too (exit 1 on a mismatch).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "check.h"

static void attributes(void)
{
	char file[4200], link[4200], missing[4200], buf[64];

	snprintf(file, sizeof(file), "%s", in_dir("x.txt"));
	snprintf(link, sizeof(link), "%s", in_dir("x.lnk"));
	snprintf(missing, sizeof(missing), "%s", in_dir("none"));

	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd == 3);
	if (setxattr(file, "user.color", "blue", 4, 0) == -1 && errno == ENOTSUP) {
		printf("unsupported\n");
		return;
	}
	CHECK(setxattr(file, "user.color", "red", 3, XATTR_CREATE) == -1 && errno == EEXIST);
	CHECK(lsetxattr(file, "user.size", "10", 2, 0) == 0);
	CHECK(fsetxattr(fd, "user.mode", "x", 1, XATTR_CREATE) == 0);
	CHECK(fsetxattr(fd, "user.none", "x", 1, XATTR_REPLACE) == -1 && errno == ENODATA);

	CHECK(getxattr(file, "user.color", buf, sizeof(buf)) == 4 && memcmp(buf, "blue", 4) == 0);
	CHECK(getxattr(file, "user.color", NULL, 0) == 4);	/* only the size */
	CHECK(getxattr(file, "user.color", buf, 2) == -1 && errno == ERANGE);
	CHECK(getxattr(file, "user.none", buf, sizeof(buf)) == -1 && errno == ENODATA);
	CHECK(lgetxattr(file, "user.size", buf, sizeof(buf)) == 2 && memcmp(buf, "10", 2) == 0);
	CHECK(fgetxattr(fd, "user.mode", buf, sizeof(buf)) == 1 && buf[0] == 'x');
	CHECK(fgetxattr(99, "user.mode", buf, sizeof(buf)) == -1 && errno == EBADF);

	/* "user.color\0user.size\0user.mode\0", in the file system's order. */
	CHECK(listxattr(file, buf, sizeof(buf)) == 31);
	CHECK(llistxattr(file, NULL, 0) == 31);
	CHECK(flistxattr(fd, buf, 4) == -1 && errno == ERANGE);
	CHECK(listxattr(missing, buf, sizeof(buf)) == -1 && errno == ENOENT);

	/* The l* forms act on a symbolic link itself, which cannot have user.*
	 * attributes; the others, on the file it names. */
	CHECK(symlink(file, link) == 0);
	CHECK(lsetxattr(link, "user.color", "x", 1, 0) == -1 && errno == EPERM);
	CHECK(lgetxattr(link, "user.color", buf, sizeof(buf)) == -1 && errno == ENODATA);
	CHECK(getxattr(link, "user.color", buf, sizeof(buf)) == 4);
	CHECK(llistxattr(link, buf, sizeof(buf)) == 0);

	CHECK(removexattr(file, "user.color") == 0);
	CHECK(removexattr(file, "user.color") == -1 && errno == ENODATA);
	CHECK(lremovexattr(file, "user.size") == 0);
	CHECK(lremovexattr(link, "user.size") == -1 && errno == EPERM);
	CHECK(fremovexattr(fd, "user.mode") == 0);
	CHECK(fremovexattr(fd, "user.mode") == -1 && errno == ENODATA);
	CHECK(flistxattr(fd, buf, sizeof(buf)) == 0);
	CHECK(close(fd) == 0);
}

/* A path that does not exist, whatever the file system keeps. */
static void missing(void)
{
	char buf[64];

	CHECK_FAILS(llistxattr(in_dir("none"), buf, sizeof(buf)), ENOENT);
	CHECK_FAILS(lgetxattr(in_dir("none"), "user.color", buf, sizeof(buf)), ENOENT);
}

static const struct scenario scenarios[] = {
	{ "attributes", attributes },
	{ "missing", missing },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
