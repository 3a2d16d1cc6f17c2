/*
 * Memory for the launcher's reports and summaries: a command that runs out
 * of it ends, saying what it was making (err(3)), rather than carry on
 * with a part of its figures missing.
 */
#ifndef IOMON_XALLOC_H
#define IOMON_XALLOC_H

#include <err.h>
#include <stdlib.h>

static inline void *xcalloc(size_t n, size_t size, const char *what)
{
	void *p = calloc(n ? n : 1, size);

	if (!p)
		err(1, "%s", what);
	return p;
}

#endif
