/*
 * Unit tests for launcher/record.c: the collector's record parser and its
 * quote-aware line framer.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "record.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define EXAMPLE "abcd,1487975251,0.305000,28049,13,0,0,3,0,/home/paul/foo/bar.txt,wt"

/* Says where got and want differ rather than printing them: the bytes under
 * test are often quotes, CR, LF or not text at all. */
static void assert_bytes(const char *got, size_t got_len, const char *want, size_t want_len,
			 const char *what)
{
	size_t i = 0;

	while (i < got_len && i < want_len && got[i] == want[i])
		i++;
	cr_assert(i == got_len && i == want_len,
		  "%s: %zu bytes, want %zu; first difference at byte %zu (0x%02x, want 0x%02x)",
		  what, got_len, want_len, i, i < got_len ? (unsigned char)got[i] : 0u,
		  i < want_len ? (unsigned char)want[i] : 0u);
}

static struct iomon_parsed parsed;

static int parse(const char *line)
{
	return iomon_record_parse(line, strlen(line), &parsed);
}

static void assert_parses(const char *line, const char *what)
{
	int status = parse(line);

	cr_assert_eq(status, IOMON_RECORD_OK, "%s: %s", what, iomon_record_strerror(status));
}

/* ---- Parsing: good records ---- */

Test(parse, example_every_field)
{
	static const char line[] = EXAMPLE;

	assert_parses(line, "example");
	cr_assert_eq(parsed.facility, line, "facility points into the line");
	assert_bytes(parsed.facility, parsed.facility_len, "abcd", 4, "facility");
	cr_assert_eq(parsed.ts, 1487975251u, "ts");
	cr_assert_eq(parsed.duration_ns, 305000u, "duration");
	cr_assert_eq(parsed.pid, 28049, "pid");
	cr_assert_eq(parsed.domain, (unsigned)IOMON_DOMAIN_FILE_OPEN_CLOSE, "domain");
	cr_assert_eq(parsed.op, (unsigned)IOMON_OP_OPEN, "op");
	cr_assert_eq(parsed.err, 0, "err");
	cr_assert_eq(parsed.fd, 3, "fd");
	cr_assert_eq(parsed.bytes, 0u, "bytes");
	cr_assert_str_eq(parsed.s1, "/home/paul/foo/bar.txt", "s1");
	cr_assert_eq(parsed.s1_len, strlen("/home/paul/foo/bar.txt"), "s1_len");
	cr_assert_str_eq(parsed.s2, "wt", "s2");
	cr_assert_eq(parsed.s2_len, (size_t)2, "s2_len");
}

Test(parse, every_field_in_its_place)
{
	assert_parses("f.9_,1700000001,2.003004,4005,6,7,8,9,10000000011,one,two", "distinct");
	assert_bytes(parsed.facility, parsed.facility_len, "f.9_", 4, "facility");
	cr_assert_eq(parsed.ts, 1700000001u, "ts");
	cr_assert_eq(parsed.duration_ns, 2003004u, "duration");
	cr_assert_eq(parsed.pid, 4005, "pid");
	cr_assert_eq(parsed.domain, 6u, "domain");
	cr_assert_eq(parsed.op, 7u, "op");
	cr_assert_eq(parsed.err, 8, "err");
	cr_assert_eq(parsed.fd, 9, "fd");
	cr_assert_eq(parsed.bytes, UINT64_C(10000000011), "bytes");
	cr_assert_str_eq(parsed.s1, "one", "s1");
	cr_assert_str_eq(parsed.s2, "two", "s2");
}

Test(parse, failed_call_fd_minus_one)
{
	assert_parses("u,1,0.000999,2,13,0,2,-1,0,/nonexistent,O_RDONLY", "fd -1");
	cr_assert_eq(parsed.fd, -1, "fd");
	cr_assert_eq(parsed.err, 2, "err");
}

/* The codes grow at the end (codes.h): the last one, whichever it is. */
Test(parse, largest_numbers)
{
	char line[256];

	snprintf(line, sizeof(line),
		 "abcd,18446744073709551615,18446744073709.551615,2147483647,%d,%d,"
		 "2147483647,2147483647,18446744073709551615,,",
		 IOMON_DOMAIN_COUNT - 1, IOMON_OP_COUNT - 1);
	assert_parses(line, "largest numbers");
	cr_assert_eq(parsed.ts, UINT64_MAX, "ts");
	cr_assert_eq(parsed.duration_ns, UINT64_MAX, "duration");
	cr_assert_eq(parsed.pid, INT_MAX, "pid");
	cr_assert_eq(parsed.domain, (unsigned)IOMON_DOMAIN_COUNT - 1, "domain");
	cr_assert_eq(parsed.op, (unsigned)IOMON_OP_COUNT - 1, "op");
	cr_assert_eq(parsed.err, INT_MAX, "err");
	cr_assert_eq(parsed.fd, INT_MAX, "fd");
	cr_assert_eq(parsed.bytes, UINT64_MAX, "bytes");
	cr_assert_eq(parsed.s1_len, (size_t)0, "s1 empty");
	cr_assert_eq(parsed.s2_len, (size_t)0, "s2 empty");
}

Test(parse, leading_zeros)
{
	assert_parses("abcd,007,000.000001,0042,013,00,0,03,0010,x,y", "leading zeros");
	cr_assert_eq(parsed.ts, 7u, "ts");
	cr_assert_eq(parsed.duration_ns, 1u, "duration");
	cr_assert_eq(parsed.pid, 42, "pid");
	cr_assert_eq(parsed.domain, 13u, "domain");
	cr_assert_eq(parsed.fd, 3, "fd");
	cr_assert_eq(parsed.bytes, 10u, "bytes");
}

Test(parse, quoted_fields)
{
	assert_parses("abcd,1,0.000001,2,13,0,0,3,0,\"a \"\"b\"\" c\",\"x\ny,z\"", "quoted");
	cr_assert_str_eq(parsed.s1, "a \"b\" c", "s1: \"\" is a quote");
	cr_assert_eq(parsed.s1_len, (size_t)7, "s1_len");
	cr_assert_str_eq(parsed.s2, "x\ny,z", "s2: newline and comma are text");
	cr_assert_eq(parsed.s2_len, (size_t)5, "s2_len");
}

Test(parse, quoted_empty_and_only_quotes)
{
	assert_parses("abcd,1,0.000001,2,13,0,0,3,0,\"\",\"\"\"\"", "quoted empty");
	cr_assert_eq(parsed.s1_len, (size_t)0, "s1 empty");
	cr_assert_str_eq(parsed.s1, "", "s1 empty");
	cr_assert_str_eq(parsed.s2, "\"", "s2 one quote");
}

Test(parse, quoted_cr_and_not_utf8)
{
	assert_parses("abcd,1,0.000001,2,13,0,0,3,0,\"\r\n\xff\",\xfe\x80", "CR, not UTF-8");
	cr_assert_str_eq(parsed.s1, "\r\n\xff", "s1");
	cr_assert_str_eq(parsed.s2, "\xfe\x80", "s2 unquoted bytes");
}

/* Exactly IOMON_RECORD_MAX bytes is still a record; one more is not. */
static char long_line[IOMON_RECORD_MAX + 2];

static size_t make_long_line(size_t len)
{
	static const char head[] = "abcd,1,0.000001,2,13,0,0,3,0,";

	memcpy(long_line, head, sizeof(head) - 1);
	memset(long_line + sizeof(head) - 1, 'p', len - (sizeof(head) - 1));
	long_line[len - 2] = ',';	/* s2 is the last byte */
	return len;
}

Test(parse, longest_line)
{
	size_t len = make_long_line(IOMON_RECORD_MAX);
	int status = iomon_record_parse(long_line, len, &parsed);

	cr_assert_eq(status, IOMON_RECORD_OK, "IOMON_RECORD_MAX bytes: %s",
		     iomon_record_strerror(status));
	cr_assert_eq(parsed.s2_len, (size_t)1, "s2");
	cr_assert_eq(parsed.s1_len, len - 2 - strlen("abcd,1,0.000001,2,13,0,0,3,0,"), "s1");
}

Test(parse, overlong_line)
{
	size_t len = make_long_line(IOMON_RECORD_MAX + 1);

	cr_assert_eq(iomon_record_parse(long_line, len, &parsed), IOMON_RECORD_TOO_LONG,
		     "IOMON_RECORD_MAX + 1 bytes");
}

/* ---- Parsing: one bad field ---- */

/*
 * Criterion runs each parameterized case in a fresh process, where pointers
 * from the parameter generator mean nothing (the binary is position
 * independent): the case tables hold their strings in arrays, each literal
 * shorter than its array.
 */

enum { F_FACILITY, F_TS, F_DURATION, F_PID, F_DOMAIN, F_OP, F_ERR, F_FD, F_BYTES, F_S1, F_S2 };

struct bad_field_case {
	int field;
	char value[32];
	int status;
	char what[48];
};

ParameterizedTestParameters(parse, bad_field)
{
	static struct bad_field_case cases[] = {
		{ F_FACILITY, "", IOMON_RECORD_BAD_FACILITY, "facility empty" },
		{ F_FACILITY, "abcde", IOMON_RECORD_BAD_FACILITY, "facility of 5 characters" },
		{ F_FACILITY, "\"a,b\"", IOMON_RECORD_BAD_FACILITY, "facility with a comma" },
		{ F_FACILITY, "a b", IOMON_RECORD_BAD_FACILITY, "facility with a space" },
		{ F_FACILITY, "a/b", IOMON_RECORD_BAD_FACILITY, "facility with a slash" },
		{ F_FACILITY, "\xc3\xa9", IOMON_RECORD_BAD_FACILITY, "facility not ASCII" },

		{ F_TS, "", IOMON_RECORD_BAD_TS, "ts empty" },
		{ F_TS, "-1", IOMON_RECORD_BAD_TS, "ts with minus" },
		{ F_TS, "+1", IOMON_RECORD_BAD_TS, "ts with plus" },
		{ F_TS, " 1", IOMON_RECORD_BAD_TS, "ts with a leading space" },
		{ F_TS, "1 ", IOMON_RECORD_BAD_TS, "ts with a trailing space" },
		{ F_TS, "0x10", IOMON_RECORD_BAD_TS, "ts in hex" },
		{ F_TS, "18446744073709551616", IOMON_RECORD_BAD_TS, "ts overflows uint64" },

		{ F_DURATION, "", IOMON_RECORD_BAD_DURATION, "duration empty" },
		{ F_DURATION, "0", IOMON_RECORD_BAD_DURATION, "duration without decimals" },
		{ F_DURATION, "305000", IOMON_RECORD_BAD_DURATION, "duration without a dot" },
		{ F_DURATION, "0.", IOMON_RECORD_BAD_DURATION, "duration with a dot only" },
		{ F_DURATION, "0.30500", IOMON_RECORD_BAD_DURATION, "duration with 5 decimals" },
		{ F_DURATION, "0.3050000", IOMON_RECORD_BAD_DURATION, "duration with 7 decimals" },
		{ F_DURATION, ".305000", IOMON_RECORD_BAD_DURATION, "duration without integer part" },
		{ F_DURATION, "-0.305000", IOMON_RECORD_BAD_DURATION, "duration with minus" },
		{ F_DURATION, "0.-30500", IOMON_RECORD_BAD_DURATION, "duration decimals with minus" },
		{ F_DURATION, "0.30500a", IOMON_RECORD_BAD_DURATION, "duration with a letter" },
		{ F_DURATION, "1.2.3456", IOMON_RECORD_BAD_DURATION, "duration with two dots" },
		{ F_DURATION, "18446744073709.551616", IOMON_RECORD_BAD_DURATION,
		  "duration overflows uint64 ns" },
		{ F_DURATION, "18446744073710.000000", IOMON_RECORD_BAD_DURATION,
		  "duration ms overflows uint64 ns" },

		{ F_PID, "", IOMON_RECORD_BAD_PID, "pid empty" },
		{ F_PID, "-1", IOMON_RECORD_BAD_PID, "pid with minus" },
		{ F_PID, " 1", IOMON_RECORD_BAD_PID, "pid with a space" },
		{ F_PID, "2147483648", IOMON_RECORD_BAD_PID, "pid above INT_MAX" },

		{ F_DOMAIN, "", IOMON_RECORD_BAD_DOMAIN, "domain empty" },
		{ F_DOMAIN, "-1", IOMON_RECORD_BAD_DOMAIN, "domain with minus" },
		{ F_DOMAIN, "99999999999999999999", IOMON_RECORD_BAD_DOMAIN, "domain overflows" },

		{ F_OP, "", IOMON_RECORD_BAD_OP, "op empty" },
		{ F_OP, "+1", IOMON_RECORD_BAD_OP, "op with plus" },

		{ F_ERR, "", IOMON_RECORD_BAD_ERR, "err empty" },
		{ F_ERR, "-1", IOMON_RECORD_BAD_ERR, "err with minus" },
		{ F_ERR, "2147483648", IOMON_RECORD_BAD_ERR, "err above INT_MAX" },

		{ F_FD, "", IOMON_RECORD_BAD_FD, "fd empty" },
		{ F_FD, "-2", IOMON_RECORD_BAD_FD, "fd -2" },
		{ F_FD, "-0", IOMON_RECORD_BAD_FD, "fd -0" },
		{ F_FD, "-01", IOMON_RECORD_BAD_FD, "fd -01" },
		{ F_FD, "-", IOMON_RECORD_BAD_FD, "fd minus alone" },
		{ F_FD, "-1 ", IOMON_RECORD_BAD_FD, "fd -1 and a space" },
		{ F_FD, "2147483648", IOMON_RECORD_BAD_FD, "fd above INT_MAX" },

		{ F_BYTES, "", IOMON_RECORD_BAD_BYTES, "bytes empty" },
		{ F_BYTES, "-1", IOMON_RECORD_BAD_BYTES, "bytes with minus" },
		{ F_BYTES, "+5", IOMON_RECORD_BAD_BYTES, "bytes with plus" },
		{ F_BYTES, " 5", IOMON_RECORD_BAD_BYTES, "bytes with a space" },
		{ F_BYTES, "18446744073709551616", IOMON_RECORD_BAD_BYTES, "bytes overflows uint64" },
		{ F_BYTES, "99999999999999999999", IOMON_RECORD_BAD_BYTES, "bytes far over uint64" },

		{ F_S1, "\"a\"b", IOMON_RECORD_BAD_QUOTING, "s1 text after the closing quote" },
		{ F_S1, "a\"b", IOMON_RECORD_BAD_QUOTING, "s1 unquoted with a quote" },
		{ F_S1, "a\rb", IOMON_RECORD_BAD_QUOTING, "s1 unquoted with CR" },
		{ F_S1, "a\nb", IOMON_RECORD_BAD_QUOTING, "s1 unquoted with LF" },
		{ F_S2, "\"x\"y", IOMON_RECORD_BAD_QUOTING, "s2 text after the closing quote" },
		{ F_S2, "\"x", IOMON_RECORD_BAD_QUOTING, "s2 never closed" },
		{ F_S2, "\"x\"\"", IOMON_RECORD_BAD_QUOTING, "s2 ends in an escaped quote" },
		{ F_S2, "x\"", IOMON_RECORD_BAD_QUOTING, "s2 unquoted with a quote" },
	};
	return cr_make_param_array(struct bad_field_case, cases, ARRAY_LEN(cases));
}

/* A good record with one field replaced by value; returns its length. */
static size_t line_with(int field, const char *value, char line[static 256])
{
	static const char *const good[] = {
		"abcd", "1", "0.000001", "2", "13", "0", "0", "3", "0", "s1", "s2",
	};
	char *p = line;

	for (int i = 0; i < (int)ARRAY_LEN(good); i++) {
		const char *v = i == field ? value : good[i];
		size_t n = strlen(v);

		if (i > 0)
			*p++ = ',';
		memcpy(p, v, n);
		p += n;
	}
	return (size_t)(p - line);
}

ParameterizedTest(struct bad_field_case *c, parse, bad_field)
{
	char line[256];
	size_t len = line_with(c->field, c->value, line);
	int status = iomon_record_parse(line, len, &parsed);

	cr_assert_eq(status, c->status, "%s: got \"%s\", want \"%s\"", c->what,
		     iomon_record_strerror(status), iomon_record_strerror(c->status));
}

/* The first number without a code, whatever codes.h has grown to. */
Test(parse, codes_out_of_range)
{
	char line[256], code[16];
	size_t len;

	snprintf(code, sizeof(code), "%d", IOMON_DOMAIN_COUNT);
	len = line_with(F_DOMAIN, code, line);
	cr_assert_eq(iomon_record_parse(line, len, &parsed), IOMON_RECORD_BAD_DOMAIN,
		     "domain %s", code);
	snprintf(code, sizeof(code), "%d", IOMON_OP_COUNT);
	len = line_with(F_OP, code, line);
	cr_assert_eq(iomon_record_parse(line, len, &parsed), IOMON_RECORD_BAD_OP, "op %s", code);
}

/* ---- Parsing: bad lines ---- */

struct bad_line_case {
	char line[80];
	int status;
	char what[48];
};

ParameterizedTestParameters(parse, bad_line)
{
	static struct bad_line_case cases[] = {
		{ "", IOMON_RECORD_TOO_FEW_FIELDS, "empty line" },
		{ "abcd", IOMON_RECORD_TOO_FEW_FIELDS, "facility only" },
		{ "abcd,1,0.000001,2,13,0,0,3,0", IOMON_RECORD_TOO_FEW_FIELDS, "no s1" },
		{ "abcd,1,0.000001,2,13,0,0,3,0,s1", IOMON_RECORD_TOO_FEW_FIELDS, "no s2" },
		{ "abcd,1,0.000001,2,13,0,0,3,0,\"s,1\"", IOMON_RECORD_TOO_FEW_FIELDS,
		  "no s2 after a quoted comma" },
		{ "abcd,1,0.000001,2,13,0,0,3,0,s1,s2,s3", IOMON_RECORD_TOO_MANY_FIELDS, "12 fields" },
		{ "abcd,1,0.000001,2,13,0,0,3,0,s1,s2,", IOMON_RECORD_TOO_MANY_FIELDS,
		  "trailing comma" },
		{ "abcd,1,0.000001,2,13,0,0,3,0,\"s1\",\"s2\",\"s3\"", IOMON_RECORD_TOO_MANY_FIELDS,
		  "12 quoted fields" },
		{ ",abcd,1,0.000001,2,13,0,0,3,0,s1,s2", IOMON_RECORD_BAD_FACILITY,
		  "leading comma" },
		{ "abcd,1,0.000001,2,13,0,0,3,0,\"abc", IOMON_RECORD_BAD_QUOTING,
		  "s1 never closed" },
		{ "abcd,1,0.000001,2,13,0,0,3,0,\"a\"\",s2", IOMON_RECORD_BAD_QUOTING,
		  "s1 ends in an escaped quote" },
		/* The first problem from the left wins. */
		{ "abcde,-1,0.1,x,99,99,x,-2,x,\"bad", IOMON_RECORD_BAD_FACILITY, "all bad" },
		{ "abcd,1,0.1,-1,99,99,x,-2,x,\"bad", IOMON_RECORD_BAD_DURATION,
		  "bad from the duration on" },
		{ "abcd,1,0.000001,2,13,0,0,-2,x,\"bad", IOMON_RECORD_BAD_FD, "bad from the fd on" },
	};
	return cr_make_param_array(struct bad_line_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct bad_line_case *c, parse, bad_line)
{
	int status = parse(c->line);

	cr_assert_eq(status, c->status, "%s: got \"%s\", want \"%s\"", c->what,
		     iomon_record_strerror(status), iomon_record_strerror(c->status));
}

Test(parse, nul_byte)
{
	static const char unquoted[] = "abcd,1,0.000001,2,13,0,0,3,0,a\0b,s2";
	static const char quoted[] = "abcd,1,0.000001,2,13,0,0,3,0,s1,\"a\0b\"";

	cr_assert_eq(iomon_record_parse(unquoted, sizeof(unquoted) - 1, &parsed),
		     IOMON_RECORD_NUL_BYTE, "NUL in unquoted s1");
	cr_assert_eq(iomon_record_parse(quoted, sizeof(quoted) - 1, &parsed),
		     IOMON_RECORD_NUL_BYTE, "NUL in quoted s2");
}

/* ---- Names and messages ---- */

Test(names, domains)
{
	cr_assert_str_eq(iomon_domain_name(13), "FILE_OPEN_CLOSE", "domain 13");
	cr_assert_str_eq(iomon_domain_name(0), "LINKS", "domain 0");
	cr_assert_str_eq(iomon_domain_name(17), "HTTP", "domain 17");
	cr_assert(iomon_domain_name(IOMON_DOMAIN_COUNT) == NULL, "domain IOMON_DOMAIN_COUNT");
	cr_assert(iomon_domain_name(UINT_MAX) == NULL, "domain UINT_MAX");
	for (unsigned d = 0; d < IOMON_DOMAIN_COUNT; d++)
		cr_assert(iomon_domain_name(d) != NULL, "domain %u has no name", d);
}

Test(names, ops)
{
	cr_assert_str_eq(iomon_op_name(0), "OPEN", "op 0");
	cr_assert_str_eq(iomon_op_name(32), "FLUSH", "op 32");
	cr_assert_str_eq(iomon_op_name(55), "DROPPED", "op 55");
	cr_assert(iomon_op_name(IOMON_OP_COUNT) == NULL, "op IOMON_OP_COUNT");
	cr_assert(iomon_op_name(UINT_MAX) == NULL, "op UINT_MAX");
	for (unsigned op = 0; op < IOMON_OP_COUNT; op++)
		cr_assert(iomon_op_name(op) != NULL, "op %u has no name", op);
}

Test(names, status_messages)
{
	static const char unknown[] = "unknown record error";

	cr_assert_str_eq(iomon_record_strerror(IOMON_RECORD_BAD_PID), "bad pid", "bad pid");
	cr_assert_str_eq(iomon_record_strerror(IOMON_RECORD_OK), "no error", "ok");
	for (int s = IOMON_RECORD_OK; s >= IOMON_RECORD_NUL_BYTE; s--) {
		cr_assert(strcmp(iomon_record_strerror(s), unknown) != 0, "status %d has no text", s);
		for (int t = s - 1; t >= IOMON_RECORD_NUL_BYTE; t--)
			cr_assert(strcmp(iomon_record_strerror(s), iomon_record_strerror(t)) != 0,
				  "statuses %d and %d read the same", s, t);
	}
	cr_assert_str_eq(iomon_record_strerror(1), unknown, "status 1");
	cr_assert_str_eq(iomon_record_strerror(IOMON_RECORD_NUL_BYTE - 1), unknown, "status -15");
	cr_assert_str_eq(iomon_record_strerror(INT_MIN), unknown, "status INT_MIN");
}

Test(names, facility_chars)
{
	static const char allowed[] = "azAZ09_.-";
	static const char refused[] = ",\" \t\n\r/\\#\xff";

	for (const char *c = allowed; *c; c++)
		cr_assert(iomon_is_facility_char(*c), "'%c' is allowed", *c);
	for (const char *c = refused; *c; c++)
		cr_assert(!iomon_is_facility_char((unsigned char)*c), "byte 0x%02x is refused",
			  (unsigned char)*c);
	cr_assert(!iomon_is_facility_char('\0'), "NUL is refused");
}

/* ---- The framer ---- */

#define MAX_LINES 16

/* The lines the framer handed out, copied one after the other. */
static struct {
	size_t count;
	size_t used;
	size_t start[MAX_LINES];
	size_t len[MAX_LINES];
	const char *where[MAX_LINES];
	char text[3 * IOMON_RECORD_MAX];
} got;

static struct iomon_framer framer;

static void collect(void *arg, const char *line, size_t len)
{
	cr_assert_eq(arg, (void *)&got, "on_line gets its arg");
	cr_assert(got.count < MAX_LINES && got.used + len <= sizeof(got.text),
		  "more lines than the test expects");
	got.start[got.count] = got.used;
	got.len[got.count] = len;
	got.where[got.count] = line;
	memcpy(got.text + got.used, line, len);
	got.used += len;
	got.count++;
}

static void reset(void)
{
	got.count = 0;
	got.used = 0;
	iomon_framer_init(&framer);
}

TestSuite(framer, .init = reset);

static size_t feed(const void *data, size_t len)
{
	return iomon_framer_feed(&framer, data, len, collect, &got);
}

static void assert_lines(const char *const *want, size_t n, const char *what)
{
	cr_assert_eq(got.count, n, "%s: %zu lines, want %zu", what, got.count, n);
	for (size_t i = 0; i < n; i++)
		assert_bytes(got.text + got.start[i], got.len[i], want[i], strlen(want[i]), what);
}

/* A record with everything the framer must not split on. */
#define TRICKY "abcd,1,0.000001,2,13,0,0,3,0,\"a\nb,\"\"c\"\"\n\",\"\"\"\n\""

Test(framer, several_records_in_one_chunk)
{
	static const char stream[] = EXAMPLE "\n" TRICKY "\n" EXAMPLE "\n";
	static const char *const want[] = { EXAMPLE, TRICKY, EXAMPLE };

	cr_assert_eq(feed(stream, sizeof(stream) - 1), (size_t)0, "nothing dropped");
	assert_lines(want, 3, "one chunk");
	cr_assert_eq(iomon_framer_finish(&framer), (size_t)0, "no partial line");
}

Test(framer, lines_in_one_chunk_are_not_copied)
{
	static const char stream[] = EXAMPLE "\n" EXAMPLE "\n";

	feed(stream, sizeof(stream) - 1);
	cr_assert_eq(got.count, (size_t)2, "two lines");
	cr_assert_eq(got.where[0], stream, "first line handed out in place");
	cr_assert_eq(got.where[1], stream + strlen(EXAMPLE) + 1, "second line handed out in place");
}

Test(framer, split_at_every_byte)
{
	static const char stream[] = TRICKY "\n" EXAMPLE "\n";
	static const char *const want[] = { TRICKY, EXAMPLE };
	const size_t len = sizeof(stream) - 1;

	for (size_t cut = 0; cut <= len; cut++) {
		reset();
		cr_assert_eq(feed(stream, cut), (size_t)0, "cut at %zu: first feed dropped", cut);
		cr_assert_eq(feed(stream + cut, len - cut), (size_t)0,
			     "cut at %zu: second feed dropped", cut);
		assert_lines(want, 2, "split in two");
		cr_assert_eq(iomon_framer_finish(&framer), (size_t)0, "cut at %zu: partial line",
			     cut);
	}
}

Test(framer, one_byte_at_a_time)
{
	static const char stream[] = TRICKY "\n" EXAMPLE "\n" TRICKY "\n";
	static const char *const want[] = { TRICKY, EXAMPLE, TRICKY };

	for (size_t i = 0; i < sizeof(stream) - 1; i++)
		cr_assert_eq(feed(stream + i, 1), (size_t)0, "byte %zu: dropped", i);
	assert_lines(want, 3, "byte by byte");
}

Test(framer, quoted_newline_does_not_end_the_record)
{
	static const char line[] = "abcd,1,0.000001,2,13,0,0,3,0,\"first\nsecond\",\"\n\"";
	static const char stream[] = "abcd,1,0.000001,2,13,0,0,3,0,\"first\nsecond\",\"\n\"\n";
	static const char *const want[] = { line };

	feed(stream, sizeof(stream) - 1);
	assert_lines(want, 1, "quoted newline");
	assert_parses(line, "framed line");
	cr_assert_str_eq(parsed.s1, "first\nsecond", "s1");
}

/* Quotes open only at the start of s1, s2 or a later field. */
Test(framer, stray_quote_spoils_one_line_only)
{
	static const char in_head[] = "a\"cd,1,0.000001,2,13,0,0,3,0,s1,s2";
	static const char in_ts[] = "abcd,\"1,0.000001,2,13,0,0,3,0,s1,s2";
	static const char mid_s1[] = "abcd,1,0.000001,2,13,0,0,3,0,a\"b,s2";
	static const char stream[] = "a\"cd,1,0.000001,2,13,0,0,3,0,s1,s2\n"
				     "abcd,\"1,0.000001,2,13,0,0,3,0,s1,s2\n"
				     "abcd,1,0.000001,2,13,0,0,3,0,a\"b,s2\n" EXAMPLE "\n";
	static const char *const want[] = { in_head, in_ts, mid_s1, EXAMPLE };

	feed(stream, sizeof(stream) - 1);
	assert_lines(want, 4, "stray quotes");
}

Test(framer, quotes_open_in_fields_after_s2)
{
	static const char line[] = "abcd,1,0.000001,2,13,0,0,3,0,s1,s2,\"x\ny\"";
	static const char stream[] = "abcd,1,0.000001,2,13,0,0,3,0,s1,s2,\"x\ny\"\n" EXAMPLE "\n";
	static const char *const want[] = { line, EXAMPLE };

	feed(stream, sizeof(stream) - 1);
	assert_lines(want, 2, "quoted 12th field");
}

static char big[4 * IOMON_RECORD_MAX];

/* big = len bytes of 'x', '\n', EXAMPLE, '\n'; returns the stream length. */
static size_t make_big(size_t len)
{
	memset(big, 'x', len);
	big[len] = '\n';
	memcpy(big + len + 1, EXAMPLE "\n", sizeof(EXAMPLE));
	return len + 1 + sizeof(EXAMPLE);
}

Test(framer, overlong_line_dropped_in_one_chunk)
{
	static const char *const want[] = { EXAMPLE };
	size_t len = make_big(IOMON_RECORD_MAX + 1);

	cr_assert_eq(feed(big, len), (size_t)1, "one line dropped");
	assert_lines(want, 1, "after the dropped line");
}

Test(framer, overlong_line_dropped_across_chunks)
{
	static const char *const want[] = { EXAMPLE };
	size_t len = make_big(3 * IOMON_RECORD_MAX), dropped = 0;

	for (size_t at = 0; at < len; at += 1000)
		dropped += feed(big + at, len - at < 1000 ? len - at : 1000);
	cr_assert_eq(dropped, (size_t)1, "one line dropped");
	assert_lines(want, 1, "after the dropped line");
	cr_assert_eq(iomon_framer_finish(&framer), (size_t)0, "no partial line");
}

/* The buffer is full with IOMON_RECORD_MAX bytes: one more spills. */
Test(framer, overlong_by_one_byte_across_chunks)
{
	static const char *const want[] = { EXAMPLE };
	size_t len = make_big(IOMON_RECORD_MAX + 1);

	cr_assert_eq(feed(big, IOMON_RECORD_MAX), (size_t)0, "nothing dropped yet");
	cr_assert_eq(feed(big + IOMON_RECORD_MAX, len - IOMON_RECORD_MAX), (size_t)1,
		     "one line dropped");
	assert_lines(want, 1, "after the dropped line");
}

Test(framer, overlong_quoted_line_dropped)
{
	static const char *const want[] = { EXAMPLE };
	static const char head[] = "abcd,1,0.000001,2,13,0,0,3,0,\"";
	size_t n = sizeof(head) - 1, len;

	memcpy(big, head, n);
	for (size_t i = 0; i < IOMON_RECORD_MAX; i++)
		big[n++] = i % 100 == 99 ? '\n' : 'q';
	memcpy(big + n, "\",s2\n" EXAMPLE "\n", 5 + sizeof(EXAMPLE));
	len = n + 5 + sizeof(EXAMPLE);
	cr_assert_eq(feed(big, len / 2), (size_t)0, "nothing dropped in the first half");
	cr_assert_eq(feed(big + len / 2, len - len / 2), (size_t)1, "one line dropped");
	assert_lines(want, 1, "after the dropped line");
}

Test(framer, longest_line_is_kept)
{
	size_t len = make_big(IOMON_RECORD_MAX);

	cr_assert_eq(feed(big, len), (size_t)0, "one chunk: nothing dropped");
	cr_assert_eq(got.count, (size_t)2, "one chunk: two lines");
	cr_assert_eq(got.len[0], (size_t)IOMON_RECORD_MAX, "one chunk: first line whole");

	reset();
	cr_assert_eq(feed(big, IOMON_RECORD_MAX), (size_t)0, "buffered: nothing dropped");
	cr_assert_eq(feed(big + IOMON_RECORD_MAX, len - IOMON_RECORD_MAX), (size_t)0,
		     "buffered: nothing dropped");
	cr_assert_eq(got.count, (size_t)2, "buffered: two lines");
	cr_assert_eq(got.len[0], (size_t)IOMON_RECORD_MAX, "buffered: first line whole");
	for (size_t i = 0; i < IOMON_RECORD_MAX; i++)
		cr_assert_eq(got.text[i], 'x', "buffered: byte %zu", i);
}

Test(framer, finish_on_a_partial_line)
{
	feed("abcd,1,0.0", 10);
	cr_assert_eq(got.count, (size_t)0, "no line yet");
	cr_assert_eq(iomon_framer_finish(&framer), (size_t)1, "the partial line is dropped");
}

Test(framer, finish_between_lines)
{
	cr_assert_eq(iomon_framer_finish(&framer), (size_t)0, "empty stream");
	feed(EXAMPLE "\n", sizeof(EXAMPLE));
	cr_assert_eq(iomon_framer_finish(&framer), (size_t)0, "after a whole line");
}

Test(framer, finish_inside_an_overlong_line)
{
	memset(big, 'x', IOMON_RECORD_MAX + 10);
	cr_assert_eq(feed(big, IOMON_RECORD_MAX + 10), (size_t)0, "dropped only at its end");
	cr_assert_eq(iomon_framer_finish(&framer), (size_t)1, "the overlong line is dropped");
}

/* After finish, nothing of the old stream (bytes, open quotes) leaks into
 * the next one. */
Test(framer, finish_starts_a_new_stream)
{
	static const char *const want[] = { EXAMPLE };
	static const char partial[] = "abcd,1,0.000001,2,13,0,0,3,0,\"open";

	feed(partial, sizeof(partial) - 1);
	cr_assert_eq(iomon_framer_finish(&framer), (size_t)1, "partial line dropped");
	feed(EXAMPLE "\n", sizeof(EXAMPLE));
	assert_lines(want, 1, "new stream");
	cr_assert_eq(iomon_framer_finish(&framer), (size_t)0, "second stream ended cleanly");
}
