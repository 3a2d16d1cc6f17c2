/*
 * The record wire format, as the collector reads it.
 *
 * A record is one CSV row terminated by '\n' (see codes.h):
 *   facility,ts,duration,pid,domain,op-type,error code,fd,bytes transferred,s1,s2
 * Only s1 and s2 may be quoted (RFC 4180), so a record may hold a '\n'
 * inside quotes: splitting a stream into records takes a quote-aware framer,
 * never a plain search for '\n'.
 *
 * Nothing here allocates or touches the locale: the collector runs every
 * record of every traced process through it.
 */
#ifndef IOMON_RECORD_H
#define IOMON_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "codes.h"

/* What iomon_record_parse() found wrong; 0 means nothing. */
enum iomon_record_status {
	IOMON_RECORD_OK = 0,
	IOMON_RECORD_TOO_LONG = -1, /* longer than IOMON_RECORD_MAX */
	IOMON_RECORD_TOO_FEW_FIELDS = -2,
	IOMON_RECORD_TOO_MANY_FIELDS = -3,
	IOMON_RECORD_BAD_FACILITY = -4, /* not 1..4 of [A-Za-z0-9_.-] */
	IOMON_RECORD_BAD_TS = -5,
	IOMON_RECORD_BAD_DURATION = -6, /* not digits '.' six digits */
	IOMON_RECORD_BAD_PID = -7,
	IOMON_RECORD_BAD_DOMAIN = -8, /* includes >= IOMON_DOMAIN_COUNT */
	IOMON_RECORD_BAD_OP = -9,     /* includes >= IOMON_OP_COUNT */
	IOMON_RECORD_BAD_ERR = -10,
	IOMON_RECORD_BAD_FD = -11,
	IOMON_RECORD_BAD_BYTES = -12,
	IOMON_RECORD_BAD_QUOTING = -13, /* in s1 or s2 */
	IOMON_RECORD_NUL_BYTE = -14,	/* in s1 or s2 */
};

/*
 * One record, decoded.  Numbers are unsigned decimal digits only (no sign,
 * space or '+'; leading zeros are accepted); each must fit its C type here,
 * so pid, err and fd stop at INT_MAX.  fd is also -1, written "-1".
 * duration is the record's milliseconds with six decimals, as nanoseconds.
 */
struct iomon_parsed {
	const char *facility; /* points into the parsed line, not terminated */
	size_t facility_len;
	uint64_t ts; /* unix seconds */
	uint64_t duration_ns;
	int pid;
	unsigned domain; /* < IOMON_DOMAIN_COUNT */
	unsigned op;	 /* < IOMON_OP_COUNT */
	int err;	 /* 0, or the errno of a failed call */
	int fd;		 /* -1 when none */
	uint64_t bytes;
	/* s1 and s2 unquoted, '\0'-terminated (they hold no NUL), in strings. */
	const char *s1;
	size_t s1_len;
	const char *s2;
	size_t s2_len;
	/* Decoded text is never longer than the line it came from. */
	char strings[IOMON_RECORD_MAX + 2];
};

/*
 * Decodes line[0..len) into *out; line excludes the terminating '\n'.
 * Returns IOMON_RECORD_OK or a problem found: the field count is checked
 * first, then the fields from left to right.  On error *out is unspecified.
 * out->facility points into line: keep line alive as long as it is used.
 */
int iomon_record_parse(const char *line, size_t len, struct iomon_parsed *out);

/* A short English description of a status: "bad pid". */
const char *iomon_record_strerror(int status);

/* Whether c may appear in a facility id. */
bool iomon_is_facility_char(int c);

/* The name of a code as codes.h spells it ("FILE_OPEN_CLOSE"), or NULL for
 * a number no code has. */
const char *iomon_domain_name(unsigned domain);
const char *iomon_op_name(unsigned op);

/*
 * Splits one connection's byte stream into lines, wherever the reads cut it.
 *
 * A '"' at the start of field s1, s2 (or any later field) opens a quoted
 * part in which '\n' and ',' are text and "" is a quote; a '"' anywhere else
 * opens nothing, so a stray quote spoils one line, not the rest of the
 * stream.  Complete lines are handed out without their '\n'.  A line longer
 * than IOMON_RECORD_MAX is never buffered: it is skipped up to its end and
 * counted as dropped.
 *
 * A framer is plain data: set it up with iomon_framer_init(), feed it, and
 * call iomon_framer_finish() at the end of the stream.  It holds a buffer of
 * IOMON_RECORD_MAX bytes for a line that spans reads; lines inside one chunk
 * are handed out in place, without copying.
 */
struct iomon_framer {
	size_t len;	     /* bytes of the unfinished line held in buf */
	unsigned field;	     /* field being scanned; stops counting at s1 */
	unsigned char state; /* where in the field the scan is */
	bool overlong;	     /* the unfinished line is being skipped */
	char buf[IOMON_RECORD_MAX];
};

/* Receives one complete line; line is only valid during the call. */
typedef void iomon_line_fn(void *arg, const char *line, size_t len);

void iomon_framer_init(struct iomon_framer *f);

/* Feeds len bytes of the stream; calls on_line(arg, ...) for each line that
 * they complete, in order.  Returns how many lines were dropped as too long. */
size_t iomon_framer_feed(struct iomon_framer *f, const void *data, size_t len,
			 iomon_line_fn *on_line, void *arg);

/* Ends the stream: returns 1 when it stopped inside a line (that line is
 * dropped: a record always ends with '\n'), else 0.  The framer is then
 * ready for a new stream. */
size_t iomon_framer_finish(struct iomon_framer *f);

#endif
