/*
 * What the test programs share.  CHECK(cond): they check every result
 * themselves, so that a wrapper that changed one fails the run (exit 1),
 * whatever the records say.
 */
#ifndef IOMON_TEST_CHECK_H
#define IOMON_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s: line %d: %s (errno %d)\n",                  \
				program_invocation_short_name, __LINE__, #cond, errno);        \
			exit(1);                                                       \
		}                                                                      \
	} while (0)

/* A call that must fail with err. */
#define CHECK_FAILS(call, err)                                 \
	do {                                                   \
		errno = 0;                                     \
		CHECK((call) == -1 && errno == (err));         \
	} while (0)

/* The scratch directory the test gives the program (argv[1]), and paths
 * in it; in_dir() returns one of four buffers, in turn. */
static const char *dir __attribute__((unused));

static inline const char *in_dir(const char *name)
{
	static char path[4][4200];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
	return p;
}

/* A test program runs one named scenario a run:  PROG DIR SCENARIO */
struct scenario {
	const char *name;
	void (*run)(void);
};

/*
 * The programs' common main.  Sets dir to DIR, prints the pid first (the
 * tests match the records' pid against it; printf's own write is inside
 * the C library, so it is not recorded), runs setup if there is one, then
 * the scenario named.  PROG --scenarios lists them, a name a line, for the
 * test that runs every one (tests/e2e/test_transparency.c).
 */
static inline int run_scenario(int argc, char **argv, const struct scenario *list, size_t n,
			       void (*setup)(void))
{
	if (argc == 2 && strcmp(argv[1], "--scenarios") == 0) {
		for (size_t i = 0; i < n; i++)
			printf("%s\n", list[i].name);
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: %s DIR SCENARIO\n", program_invocation_short_name);
		return 2;
	}
	dir = argv[1];
	printf("%d\n", (int)getpid());
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[2], list[i].name) == 0) {
			if (setup)
				setup();
			list[i].run();
			return 0;
		}
	}
	fprintf(stderr, "%s: no scenario '%s'\n", program_invocation_short_name, argv[2]);
	return 2;
}

#define SCENARIOS(list) (list), sizeof(list) / sizeof((list)[0])

#endif
