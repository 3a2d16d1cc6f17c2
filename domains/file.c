/* The file domain's wrappers, generated from its table. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wrap.h"

/*
 * Rules of this table that wrap.h does not have (yet).
 */

/* getline, getdelim: -1 is also the end of the file, which is no failure.
 * It is the end when the stream says so and saw no error; a -1 with
 * neither flag is a failure too, since glibc 2.36 sets no error flag for
 * EINVAL (a NULL line or size) or ENOMEM.  That EINVAL comes before the
 * stream is looked at, so the stream may be NULL. */
#define IOMON_FAIL_NEG1_UNLESS_EOF(stream) \
	(ret == -1 && (!(stream) || ferror_unlocked(stream) || !feof_unlocked(stream)))
#define IOMON_ERRNO_NEG1_UNLESS_EOF(stream) saved_errno
#define IOMON_NOT_OPEN_NEG1_UNLESS_EOF(stream) (errno = EBADF, -1)

/* fgetc, fputc and their kind move one byte, unless they return EOF (the
 * end of the file, or a failure). */
#define IOMON_BYTES_CHAR (ret == EOF ? 0 : 1)

/* tmpfile: like NEW_FD, for the descriptor of the stream returned. */
#define IOMON_HAS_EFFECT_NEW_FILE 1
#define IOMON_TABLE_ONLY_NEW_FILE 1
#define IOMON_EFFECT_BEFORE_NEW_FILE (void)0
#define IOMON_EFFECT_RETURNED_NEW_FILE (void)0
#define IOMON_EFFECT_NEW_FILE do { if (!failed) iomon_fd_forget(iomon_fileno(ret)); } while (0)

#include "file.def"
