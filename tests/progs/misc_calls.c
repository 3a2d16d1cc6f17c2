/*
 * The miscellaneous domain's calls, one scenario per run, from DIR (the
 * rename and chroot scenarios name files relative to it):
 *   cd DIR && misc_calls DIR SCENARIO
 * and prints its pid; the chroot scenario then prints its child's pid, or
 * "unprivileged" if the child may not change its root.
 * Every result is checked here too (exit 1 on a mismatch).
 */
/* Both lockf() and lockf64() are called by name: Meson's large-file define
 * would turn the first into the second. */
#undef _FILE_OFFSET_BITS
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* What binaries built against glibc before 2.33 call; no header declares
 * them any more.  Version 0 is x86-64's _MKNOD_VER. */
int __xmknod(int ver, const char *path, mode_t mode, dev_t *dev);
int __xmknodat(int ver, int dirfd, const char *path, mode_t mode, dev_t *dev);
#define MKNOD_VER 0

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0 && close(fd) == 0);
}

static void renames(void)
{
	touch(in_dir("a"));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd == 3);

	CHECK(rename(in_dir("a"), in_dir("b")) == 0);
	CHECK(rename(in_dir("a"), in_dir("c")) == -1 && errno == ENOENT);
	CHECK(renameat(dfd, "b", AT_FDCWD, in_dir("c")) == 0);
	CHECK(renameat(dfd, "b", dfd, "c") == -1 && errno == ENOENT);
	CHECK(renameat2(dfd, "c", dfd, "d", RENAME_NOREPLACE) == 0);
	touch(in_dir("e"));
	CHECK(renameat2(dfd, "d", dfd, "e", RENAME_NOREPLACE) == -1 && errno == EEXIST);
	/* Relative paths are recorded as the absolute paths they name. */
	CHECK(rename("d", "f") == 0);
	CHECK(close(dfd) == 0);
}

static void locks(void)
{
	const char *l = in_dir("l");
	int fd = open(l, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK(fd == 3);
	int ro = open(l, O_RDONLY);
	CHECK(ro == 4);

	/* flock() locks belong to the open file: the second one conflicts. */
	CHECK(flock(fd, LOCK_EX) == 0);
	CHECK(flock(ro, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK);
	CHECK(flock(fd, LOCK_UN) == 0);
	CHECK(flock(ro, LOCK_SH) == 0);
	CHECK(flock(99, LOCK_EX) == -1 && errno == EBADF);
	CHECK(flock(fd, 64) == -1 && errno == EINVAL);

	CHECK(lockf(fd, F_LOCK, 0) == 0);
	CHECK(lockf(fd, F_TEST, 0) == 0);	/* the process's own lock */
	CHECK(lockf64(fd, F_TLOCK, 100) == 0);
	CHECK(lockf(fd, F_ULOCK, 0) == 0);
	CHECK(lockf(ro, F_LOCK, 0) == -1 && errno == EBADF);	/* not open for writing */
	CHECK(lockf64(fd, 42, 0) == -1 && errno == EINVAL);
	CHECK(close(ro) == 0 && close(fd) == 0);
}

static void nodes(void)
{
	dev_t none = 0;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd == 3);

	CHECK(mknod(in_dir("p1"), S_IFIFO | 0640, 0) == 0);
	CHECK(mknod(in_dir("p1"), S_IFIFO | 0640, 0) == -1 && errno == EEXIST);
	CHECK(mknodat(dfd, "p2", S_IFIFO | 0600, 0) == 0);
	CHECK(mknodat(dfd, "none/p", S_IFIFO | 0600, 0) == -1 && errno == ENOENT);
	CHECK(__xmknod(MKNOD_VER, in_dir("p3"), S_IFIFO | 0644, &none) == 0);
	CHECK(__xmknod(MKNOD_VER + 1, in_dir("p4"), S_IFIFO | 0644, &none) == -1 &&
	      errno == EINVAL);
	CHECK(__xmknodat(MKNOD_VER, dfd, "r", S_IFREG | 0600, &none) == 0);
	CHECK(__xmknodat(MKNOD_VER, dfd, "r", S_IFREG | 0600, &none) == -1 && errno == EEXIST);

	struct stat st;
	CHECK(stat(in_dir("p3"), &st) == 0 && S_ISFIFO(st.st_mode));
	CHECK(stat(in_dir("r"), &st) == 0 && S_ISREG(st.st_mode));
	CHECK(close(dfd) == 0);
}

/* A child takes DIR, its working directory, as its root; relative paths
 * are then recorded as the paths they name in the new root. */
static void root(void)
{
	CHECK(chroot(in_dir("none")) == -1 && errno == ENOENT);
	touch(in_dir("x"));
	CHECK(chroot(in_dir("x")) == -1 && errno == ENOTDIR);

	fflush(stdout);
	pid_t child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		if (chroot(".") == -1)
			_exit(errno == EPERM ? 3 : 1);
		CHECK(rename("x", "y") == 0);
		CHECK(access("/y", F_OK) == 0);
		_exit(0);
	}
	int status;
	CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status));
	CHECK(WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 3);
	if (WEXITSTATUS(status) == 3)
		printf("unprivileged\n");
	else
		printf("%d\n", (int)child);
}

static const struct scenario scenarios[] = {
	{ "rename", renames },
	{ "locks", locks },
	{ "mknod", nodes },
	{ "chroot", root },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
