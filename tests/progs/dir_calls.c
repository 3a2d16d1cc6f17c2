/*
 * The directory domains' calls, one scenario per run:
 *   dir_calls DIR SCENARIO
 * Prints its pid, then what the test cannot know in advance: the name of
 * each directory entry read, in the order read, and telldir()'s answer.
 * Every result is checked here too (exit 1 on a mismatch), so a wrapper
 * that changed one fails the run whatever the records say.
 */
/* Both readdir() and readdir64() (and the other pairs) are called by name:
 * Meson's large-file define would turn the first into the second. */
#undef _FILE_OFFSET_BITS
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0 && close(fd) == 0);
}

/* Creating, entering and removing directories; a relative path opened
 * after each change of directory names the file in the new one. */
static void dirs(void)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd == 3);

	CHECK(mkdir(in_dir("d"), 0755) == 0);
	CHECK(mkdir(in_dir("d"), 0755) == -1 && errno == EEXIST);
	CHECK(mkdirat(dfd, "e", 0700) == 0);
	CHECK(mkdirat(dfd, "none/e", 0700) == -1 && errno == ENOENT);

	CHECK(chdir(in_dir("d")) == 0);
	touch("rel.txt");
	CHECK(fchdir(dfd) == 0);
	touch("d/rel2.txt");
	CHECK(chdir("e") == 0);
	touch("rel3.txt");
	CHECK(chdir(in_dir("none")) == -1 && errno == ENOENT);
	int fd = open(in_dir("d/rel.txt"), O_RDONLY);
	CHECK(fd == 4);
	CHECK(fchdir(fd) == -1 && errno == ENOTDIR);
	CHECK(close(fd) == 0);

	CHECK(fchdir(dfd) == 0);
	CHECK(unlink("e/rel3.txt") == 0);
	CHECK(rmdir("e") == 0);
	CHECK(rmdir(in_dir("d")) == -1 && errno == ENOTEMPTY);
	CHECK(rmdir(in_dir("e")) == -1 && errno == ENOENT);
	CHECK(close(dfd) == 0);
}

static void print_entry(const char *name)
{
	printf("%s\n", name);
}

/* Reading a directory of one file, s/f, through each entry point. */
static void streams(void)
{
	struct dirent ent, *res;
	struct dirent64 ent64, *res64;

	CHECK(mkdir(in_dir("s"), 0755) == 0);
	touch(in_dir("s/f"));

	DIR *d = opendir(in_dir("s"));
	CHECK(d && dirfd(d) == 3);
	CHECK(telldir(d) == 0);
	int n = 0;
	struct dirent *e;
	for (errno = 0; (e = readdir(d)) != NULL; errno = 0, n++)
		print_entry(e->d_name);
	CHECK(errno == 0 && n == 3);
	/* The end again, with errno as a failure would leave it: readdir()
	 * leaves it alone at the end, so this is no failure. */
	errno = ENOENT;
	CHECK(readdir(d) == NULL && errno == ENOENT);

	rewinddir(d);
	struct dirent64 *e64 = readdir64(d);
	CHECK(e64);
	print_entry(e64->d_name);
	long pos = telldir(d);
	CHECK(pos != -1);
	printf("%ld\n", pos);
/* The deprecated _r forms are still exported, so programs still call them. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	CHECK(readdir_r(d, &ent, &res) == 0 && res == &ent);
	print_entry(ent.d_name);
	CHECK(readdir64_r(d, &ent64, &res64) == 0 && res64 == &ent64);
	print_entry(ent64.d_name);
	CHECK(readdir64_r(d, &ent64, &res64) == 0 && res64 == NULL);
	seekdir(d, pos);
	CHECK(readdir_r(d, &ent, &res) == 0 && res == &ent);
	print_entry(ent.d_name);
	CHECK(closedir(d) == 0);

	errno = 0;
	CHECK(opendir(in_dir("none")) == NULL && errno == ENOENT);
	int fd = open(in_dir("s/f"), O_RDONLY);
	CHECK(fd == 3);
	CHECK(fdopendir(fd) == NULL && errno == ENOTDIR);
	CHECK(close(fd) == 0);

	/* A stream whose descriptor was closed under it: each read fails. */
	fd = open(in_dir("s"), O_RDONLY | O_DIRECTORY);
	CHECK(fd == 3);
	d = fdopendir(fd);
	CHECK(d);
	CHECK(close(fd) == 0);
	errno = 0;
	CHECK(readdir(d) == NULL && errno == EBADF);
	errno = 0;
	CHECK(readdir64(d) == NULL && errno == EBADF);
	CHECK(readdir_r(d, &ent, &res) == EBADF && res == NULL);
	CHECK(readdir64_r(d, &ent64, &res64) == EBADF && res64 == NULL);
#pragma GCC diagnostic pop
	CHECK(closedir(d) == -1 && errno == EBADF);
}

/* scandir and its kind: the whole directory, in one call. */
static void scan(void)
{
	struct dirent **list;
	struct dirent64 **list64;

	CHECK(mkdir(in_dir("s"), 0755) == 0);
	touch(in_dir("s/f"));
	touch(in_dir("s/g"));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd == 3);

	CHECK(scandir(in_dir("s"), &list, NULL, alphasort) == 4);
	CHECK(strcmp(list[3]->d_name, "g") == 0);
	for (int i = 0; i < 4; i++)
		free(list[i]);
	free(list);
	CHECK(scandir64(in_dir("s"), &list64, NULL, alphasort64) == 4);
	for (int i = 0; i < 4; i++)
		free(list64[i]);
	free(list64);
	CHECK(scandirat(dfd, "s", &list, NULL, NULL) == 4);
	for (int i = 0; i < 4; i++)
		free(list[i]);
	free(list);
	CHECK(scandirat64(dfd, "s", &list64, NULL, NULL) == 4);
	for (int i = 0; i < 4; i++)
		free(list64[i]);
	free(list64);

	errno = 0;
	CHECK(scandir(in_dir("none"), &list, NULL, NULL) == -1 && errno == ENOENT);
	CHECK(scandir64(in_dir("s/f"), &list64, NULL, NULL) == -1 && errno == ENOTDIR);
	CHECK(scandirat(dfd, "none", &list, NULL, NULL) == -1 && errno == ENOENT);
	CHECK(scandirat64(-1, "s", &list64, NULL, NULL) == -1 && errno == EBADF);
	CHECK(close(dfd) == 0);
}

static const struct scenario scenarios[] = {
	{ "dirs", dirs },
	{ "streams", streams },
	{ "scan", scan },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
