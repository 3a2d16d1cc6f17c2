/*
 * The file systems domain's calls, one scenario per run, from DIR (the
 * mounts scenario names a mount point relative to it):
 *   cd DIR && mount_calls DIR SCENARIO
 * and prints its pid.
 *   mounts        real tmpfs mounts on DIR/mnt, in a mount namespace of the
 *                 program's own, so that nothing outlives it; then failures.
 *                 Prints "unprivileged" and stops if it may not mount.
 *   unprivileged  as a user who may not mount (root gives itself up first).
 * Every result is checked here too (exit 1 on a mismatch).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "check.h"

/* linux/magic.h's, without the kernel headers. */
#define TMPFS_MAGIC 0x01021994

static bool is_tmpfs(const char *path)
{
	struct statfs st;

	CHECK(statfs(path, &st) == 0);
	return st.f_type == TMPFS_MAGIC;
}

static void mounts(void)
{
	const char *mnt = in_dir("mnt");

	if (unshare(CLONE_NEWNS) == -1 && errno == EPERM) {
		printf("unprivileged\n");
		return;
	}
	/* Or the mounts below would propagate back out of the namespace. */
	CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	CHECK(mkdir(mnt, 0755) == 0);
	CHECK(!is_tmpfs(mnt));

	CHECK(mount("iomon-test", mnt, "tmpfs", 0, "size=64k") == 0);
	CHECK(is_tmpfs(mnt));
	CHECK(umount(mnt) == 0);
	CHECK(!is_tmpfs(mnt));
	/* A relative mount point is recorded as the absolute path it names. */
	CHECK(mount("tmpfs", "mnt", "tmpfs", MS_RDONLY, NULL) == 0);
	CHECK(is_tmpfs(mnt));
	CHECK(umount2(mnt, MNT_DETACH) == 0);
	CHECK(!is_tmpfs(mnt));

	CHECK(mount("none", in_dir("none"), "tmpfs", 0, NULL) == -1 && errno == ENOENT);
	CHECK(mount("none", mnt, "iomon-nofs", 0, NULL) == -1 && errno == ENODEV);
	CHECK(umount(mnt) == -1 && errno == EINVAL);	/* not a mount point */
	CHECK(umount(in_dir("none")) == -1 && errno == ENOENT);
	CHECK(umount2(mnt, -1) == -1 && errno == EINVAL);	/* no such flags */
}

static void unprivileged(void)
{
	if (geteuid() == 0)
		CHECK(setgroups(0, NULL) == 0 && setgid(65534) == 0 && setuid(65534) == 0);
	/* /tmp, since the scratch directory is closed to others. */
	CHECK(mount("none", "/tmp", "tmpfs", 0, NULL) == -1 && errno == EPERM);
	CHECK(umount("/tmp") == -1 && errno == EPERM);
	CHECK(umount2("/tmp", MNT_DETACH) == -1 && errno == EPERM);
}

static const struct scenario scenarios[] = {
	{ "mounts", mounts },
	{ "unprivileged", unprivileged },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
