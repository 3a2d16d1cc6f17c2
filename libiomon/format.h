/*
 * Record formatting: pure functions that write the CSV text of a record.
 *
 * No locale, no printf, no allocation: these run on every wrapped call.
 * Every writer returns the end of what it wrote; the caller guarantees room
 * (see the *_MAX bounds).
 */
#ifndef IOMON_FORMAT_H
#define IOMON_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "codes.h"

/* A string as recorded: raw bytes that still need CSV quoting, bytes
 * already encoded as a CSV field, the path the fd table holds for a
 * descriptor, or a path relative to a directory descriptor's (fd), made
 * absolute, or the flags of open(2) (fd), written out when the record is
 * sent.  The last three are written by the core, which owns the table. */
enum iomon_str_kind {
	IOMON_STR_RAW, IOMON_STR_ENCODED, IOMON_STR_FD, IOMON_STR_AT, IOMON_STR_OFLAGS
};

struct iomon_str {
	const char *ptr;
	uint32_t len;
	int32_t fd;
	enum iomon_str_kind kind;
};

struct iomon_record {
	int64_t ts;		/* unix seconds */
	uint64_t dur_ns;
	int32_t pid;
	uint16_t domain;
	uint16_t op;
	int32_t err;		/* 0, or the errno of a failed call */
	int32_t fd;		/* -1 when none */
	uint64_t bytes;
	struct iomon_str s1;
	struct iomon_str s2;
};

/* Longest output of iomon_put_head(), facility included. */
#define IOMON_HEAD_MAX 160
/* Longest CSV encoding of a string of at most IOMON_STRING_MAX bytes. */
#define IOMON_FIELD_MAX (2 * IOMON_STRING_MAX + 2)

char *iomon_put_u64(char *dst, uint64_t v);
char *iomon_put_i64(char *dst, int64_t v);
/* Milliseconds with six decimals, from nanoseconds: 305000 -> "0.305000". */
char *iomon_put_duration(char *dst, uint64_t ns);
/* One CSV field (RFC 4180): quoted only when it holds , " CR or LF.
 * At most IOMON_STRING_MAX bytes of src are taken. */
char *iomon_put_csv(char *dst, const char *src, size_t len);
/* The raw bytes of one CSV field (quoted or not); at most max of them. */
size_t iomon_csv_decode(const char *src, size_t len, char *dst, size_t max);
/* Bytes needed by iomon_put_csv for src, without writing. */
size_t iomon_csv_len(const char *src, size_t len);
/* "facility,ts,duration,pid,domain,op,err,fd,bytes," */
char *iomon_put_head(char *dst, const char *facility, size_t facility_len,
		     const struct iomon_record *r);
/* A whole record, '\n' included.  dst needs IOMON_RECORD_MAX bytes. */
char *iomon_put_record(char *dst, const char *facility, size_t facility_len,
		       const struct iomon_record *r);
/* A RAW or ENCODED string; an FD string is the core's to write. */
char *iomon_put_str(char *dst, struct iomon_str s);

/* The flags of open(2) as text, "O_WRONLY|O_CREAT|O_TRUNC". */
#define IOMON_OFLAGS_MAX 192
const char *iomon_oflags_str(int flags, char buf[static IOMON_OFLAGS_MAX]);

/* A mode in octal as C writes it, at least three digits after the 0:
 * "0644", "04755", "0000". */
const char *iomon_octal_str(uint64_t v, char buf[static 24]);
/* A decimal integer as text, into buf. */
const char *iomon_int_str(int64_t v, char buf[static 24]);

static inline struct iomon_str iomon_str_none(void)
{
	return (struct iomon_str){ 0 };
}

#endif
