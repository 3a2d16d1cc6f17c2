/*
 * Records as JSON Lines: one object per record, on one line, keys in a
 * fixed order (the contract, in the man page):
 *
 *   {"facility":"abcd","ts":1487975251,"duration":0.305000,"pid":28049,
 *    "domain":13,"domain_name":"FILE_OPEN_CLOSE","op":0,"op_name":"OPEN",
 *    "error":0,"fd":3,"bytes":0,"s1":"/home/paul/foo/bar.txt","s2":"wt"}
 *
 * Strings are lossless: valid UTF-8 is copied, '"', '\\' and control
 * characters are escaped, and every byte that is not part of valid UTF-8 is
 * written as \udcXX (Python's surrogateescape), so that
 * json.loads(line)["s1"].encode("utf-8", "surrogateescape") gives the bytes
 * back.
 */
#ifndef IOMON_JSONL_H
#define IOMON_JSONL_H

#include <stddef.h>
#include <stdio.h>

#include "record.h"

/* Writes rec as one JSON object followed by '\n'.  Errors are the
 * stream's (ferror). */
void jsonl_write_record(FILE *out, const struct iomon_parsed *rec);

/* Writes s[0..len) as a JSON string, quotes included. */
void jsonl_write_string(FILE *out, const char *s, size_t len);

/* The length of the valid UTF-8 sequence at s (at most len bytes), or 0 if
 * s[0] does not start one: no overlong form, no surrogate, nothing above
 * U+10FFFF (RFC 3629). */
size_t jsonl_utf8_length(const unsigned char *s, size_t len);

#endif
