/*
 * Makes a known sequence of link calls, one scenario per run:
 *   link_calls DIR SCENARIO
 * and prints its pid.
 * tests/e2e/test_link.c knows what each scenario does and asserts the
 * records iomon makes of it, call by call.  Every result is checked here
 * too, so a wrapper that changed one fails the run (exit 1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"

/* The checking forms that _FORTIFY_SOURCE makes of readlink and
 * readlinkat, called by name so that the test does not depend on how this
 * program is built. */
ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t len, size_t buflen);

/* Where sl2 points: relative to the link's directory, not to ours. */
#define FAR_TARGET "../elsewhere/t"
#define FAR_TARGET_LEN ((ssize_t)sizeof(FAR_TARGET) - 1)

/* Descriptors the scenarios' records name: the tests expect 3 and 4. */
static int fd = -1, dfd = -1;

/* Whether name exists, asked without a call the tests would see. */
static bool exists(const char *name)
{
	struct statx stx;

	return syscall(SYS_statx, dfd, name, AT_SYMLINK_NOFOLLOW, 0, &stx) == 0;
}

/* DIR/a, open as fd 3, and DIR open as fd 4: calls of the file domain,
 * which the tests leave out. */
static void setup(void)
{
	fd = open(in_dir("a"), O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd == 3);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd == 4);
}

static void link_calls(void)
{
	CHECK(link(in_dir("a"), in_dir("b")) == 0 && exists("b"));
	CHECK(linkat(dfd, "a", dfd, "c", 0) == 0 && exists("c"));
	CHECK(linkat(AT_FDCWD, in_dir("a"), dfd, "d", AT_SYMLINK_FOLLOW) == 0 && exists("d"));
	/* Naming a file by its descriptor needs CAP_DAC_READ_SEARCH: without
	 * it the call fails (ENOENT).  The test reads which it was. */
	errno = 0;
	int empty_path_err = linkat(fd, "", dfd, "e", AT_EMPTY_PATH) == 0 ? 0 : errno;
	CHECK(empty_path_err == 0 ? exists("e") : empty_path_err == ENOENT);
	CHECK(symlink("a", in_dir("sl")) == 0 && exists("sl"));
	CHECK(symlinkat(FAR_TARGET, dfd, "sl2") == 0 && exists("sl2"));

	CHECK_FAILS(link(in_dir("a"), in_dir("b")), EEXIST);
	CHECK_FAILS(linkat(dfd, "missing", dfd, "x", 0), ENOENT);
	CHECK_FAILS(symlink("a", in_dir("sl")), EEXIST);
	CHECK_FAILS(symlinkat("a", dfd, "nodir/sl3"), ENOENT);
	printf("%d\n", empty_path_err);
}

static void readlink_calls(void)
{
	char buf[64];

	CHECK(symlink("a", in_dir("sl")) == 0);
	CHECK(symlinkat(FAR_TARGET, dfd, "sl2") == 0);
	int lfd = open(in_dir("sl"), O_PATH | O_NOFOLLOW);
	CHECK(lfd == 5);

	CHECK(readlink(in_dir("sl"), buf, sizeof(buf)) == 1 && buf[0] == 'a');
	/* Cut to the buffer, as readlink(2) does, without an error. */
	CHECK(readlink(in_dir("sl2"), buf, 4) == 4 && memcmp(buf, FAR_TARGET, 4) == 0);
	CHECK(readlinkat(dfd, "sl2", buf, sizeof(buf)) == FAR_TARGET_LEN &&
	      memcmp(buf, FAR_TARGET, FAR_TARGET_LEN) == 0);
	/* An empty path: the link lfd refers to. */
	CHECK(readlinkat(lfd, "", buf, sizeof(buf)) == 1 && buf[0] == 'a');
	CHECK(__readlink_chk(in_dir("sl"), buf, sizeof(buf), sizeof(buf)) == 1 && buf[0] == 'a');
	CHECK(__readlinkat_chk(dfd, "sl2", buf, sizeof(buf), sizeof(buf)) == FAR_TARGET_LEN);

	CHECK_FAILS(readlink(in_dir("a"), buf, sizeof(buf)), EINVAL);
	CHECK_FAILS(readlinkat(dfd, "missing", buf, sizeof(buf)), ENOENT);
	CHECK_FAILS(__readlink_chk(in_dir("missing"), buf, sizeof(buf), sizeof(buf)), ENOENT);
	CHECK_FAILS(__readlinkat_chk(dfd, "a", buf, sizeof(buf), sizeof(buf)), EINVAL);
}

static void unlink_calls(void)
{
	CHECK(link(in_dir("a"), in_dir("b")) == 0);
	CHECK(mkdir(in_dir("sub"), 0755) == 0);

	CHECK(unlink(in_dir("b")) == 0 && !exists("b"));
	CHECK(unlinkat(dfd, "a", 0) == 0 && !exists("a"));
	/* AT_REMOVEDIR: rmdir. */
	CHECK(unlinkat(dfd, "sub", AT_REMOVEDIR) == 0 && !exists("sub"));

	CHECK_FAILS(unlink(in_dir("b")), ENOENT);
	CHECK_FAILS(unlink(dir), EISDIR);
	CHECK_FAILS(unlinkat(dfd, "missing", 0), ENOENT);
	CHECK_FAILS(unlinkat(dfd, "sub", AT_REMOVEDIR), ENOENT);
}

static const struct scenario scenarios[] = {
	{ "link", link_calls },
	{ "readlink", readlink_calls },
	{ "unlink", unlink_calls },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), setup);
}
