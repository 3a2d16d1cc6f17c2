/*
 * CHECK(cond): the test programs check every result themselves, so that a
 * wrapper that changed one fails the run (exit 1), whatever the records say.
 */
#ifndef IOMON_TEST_CHECK_H
#define IOMON_TEST_CHECK_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s: line %d: %s\n", program_invocation_short_name, \
				__LINE__, #cond);                                      \
			exit(1);                                                       \
		}                                                                      \
	} while (0)

#endif
