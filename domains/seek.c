/* The seek domain's wrappers, generated from its table. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wrap.h"

/*
 * Rules of this table that wrap.h does not have (yet); seek.def says what
 * s2 holds.
 */

/* The position asked for: "100" from the start, "SEEK_CUR-4" otherwise. */
#define IOMON_STR_SEEK_TO(offset, whence) iomon_str_c(seek_to_str(offset, whence, call.s2buf))
/* lseek: the position reached, or the one asked for if it was refused. */
#define IOMON_STR_SEEK_POS(offset, whence) \
	(failed ? IOMON_STR_SEEK_TO(offset, whence) : IOMON_STR_INT(ret))

static const char *seek_to_str(int64_t offset, int whence, char buf[static 192])
{
	static const char *const relative_to[] = {
		[SEEK_CUR] = "SEEK_CUR",
		[SEEK_END] = "SEEK_END",
		[SEEK_DATA] = "SEEK_DATA",
		[SEEK_HOLE] = "SEEK_HOLE",
	};
	char *p = buf;

	if (whence != SEEK_SET) {
		if (whence > 0 && (size_t)whence < sizeof(relative_to) / sizeof(relative_to[0]))
			p = stpcpy(p, relative_to[whence]);
		else
			p = iomon_put_i64(p, whence);
		if (offset >= 0)
			*p++ = '+';
	}
	*iomon_put_i64(p, offset) = '\0';
	return buf;
}

#include "seek.def"
