/*
 * Unit tests for libiomon/format.c: the text of a record, byte for byte.
 *
 * Every writer is checked for what it writes and for writing nothing past
 * the end it returns (the bytes after it keep a canary).  The round trip at
 * the end runs formatted records through the collector's framer and parser
 * (launcher/record.c): what the library writes, the collector must read back.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "format.h"
#include "record.h"

#define CANARY '#'
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Criterion runs each parameterized case in a fresh process, where pointers
 * from the parameter generator mean nothing (the binary is position
 * independent): the case tables hold their strings in arrays, each literal
 * shorter than its array.
 */

/* Room for the longest record and a tail of canary bytes after it. */
static char out[IOMON_RECORD_MAX + 64];

static void fill_canary(void)
{
	memset(out, CANARY, sizeof(out));
}

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

/* out[0..end) must be want[0..want_len), and nothing after it touched. */
static void assert_written(const char *end, const char *want, size_t want_len, const char *what)
{
	cr_assert(end >= out && end <= out + sizeof(out), "%s: returned end is outside the buffer",
		  what);
	assert_bytes(out, (size_t)(end - out), want, want_len, what);
	for (const char *p = end; p < out + sizeof(out); p++)
		cr_assert_eq(*p, CANARY, "%s: byte %zu, past the returned end, was written", what,
			     (size_t)(p - out));
}

/* ---- Numbers ---- */

struct u64_case {
	uint64_t value;
	char text[24];
};

ParameterizedTestParameters(put_u64, decimal)
{
	static struct u64_case cases[] = {
		{ 0, "0" },
		{ 9, "9" },
		{ 10, "10" },
		{ 99, "99" },
		{ 100, "100" },
		{ 1009, "1009" },
		{ 12345, "12345" },
		{ 1000000, "1000000" },
		{ UINT64_MAX, "18446744073709551615" },
	};
	return cr_make_param_array(struct u64_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct u64_case *c, put_u64, decimal)
{
	fill_canary();
	assert_written(iomon_put_u64(out, c->value), c->text, strlen(c->text), c->text);
}

struct i64_case {
	int64_t value;
	char text[24];
};

ParameterizedTestParameters(put_i64, decimal)
{
	static struct i64_case cases[] = {
		{ 0, "0" },
		{ 7, "7" },
		{ -1, "-1" },
		{ -10, "-10" },
		{ -12345, "-12345" },
		{ INT64_MAX, "9223372036854775807" },
		{ INT64_MIN, "-9223372036854775808" },
	};
	return cr_make_param_array(struct i64_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct i64_case *c, put_i64, decimal)
{
	fill_canary();
	assert_written(iomon_put_i64(out, c->value), c->text, strlen(c->text), c->text);
}

Test(int_str, terminated_text)
{
	char buf[24];

	cr_assert_eq(iomon_int_str(0, buf), buf, "returns its buffer");
	cr_assert_str_eq(buf, "0", "0");
	cr_assert_str_eq(iomon_int_str(-42, buf), "-42", "-42");
	cr_assert_str_eq(iomon_int_str(INT64_MIN, buf), "-9223372036854775808", "INT64_MIN");
}

ParameterizedTestParameters(put_duration, milliseconds_six_decimals)
{
	static struct u64_case cases[] = {
		{ 0, "0.000000" },
		{ 999, "0.000999" },
		{ 305000, "0.305000" },
		{ 1000000, "1.000000" },
		{ 1234567890, "1234.567890" },
		{ UINT64_MAX, "18446744073709.551615" },
	};
	return cr_make_param_array(struct u64_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct u64_case *c, put_duration, milliseconds_six_decimals)
{
	fill_canary();
	assert_written(iomon_put_duration(out, c->value), c->text, strlen(c->text), c->text);
}

/* ---- CSV fields ---- */

struct csv_case {
	char what[32];
	char in[32];
	char field[48];
};

ParameterizedTestParameters(csv, quoting)
{
	static struct csv_case cases[] = {
		{ "plain text", "/home/paul/foo/bar.txt", "/home/paul/foo/bar.txt" },
		{ "empty", "", "" },
		{ "no special byte", "semi;colon 'single' tab\t sp", "semi;colon 'single' tab\t sp" },
		{ "comma", "a,b", "\"a,b\"" },
		{ "lone comma", ",", "\",\"" },
		{ "double quotes", "say \"hi\"", "\"say \"\"hi\"\"\"" },
		{ "lone double quote", "\"", "\"\"\"\"" },
		{ "CR", "a\rb", "\"a\rb\"" },
		{ "LF", "a\nb", "\"a\nb\"" },
		{ "CRLF", "\r\n", "\"\r\n\"" },
		{ "not UTF-8", "\xff\xfe", "\xff\xfe" },
		{ "not UTF-8, overlong form", "\xc0\xaf" "etc", "\xc0\xaf" "etc" },
		{ "not UTF-8 with comma", "\xff,\xfe", "\"\xff,\xfe\"" },
		{ "everything", "\",\r\n\xff\"", "\"\"\",\r\n\xff\"\"\"" },
	};
	return cr_make_param_array(struct csv_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct csv_case *c, csv, quoting)
{
	size_t in_len = strlen(c->in), field_len = strlen(c->field);

	fill_canary();
	assert_written(iomon_put_csv(out, c->in, in_len), c->field, field_len, c->what);
	cr_assert_eq(iomon_csv_len(c->in, in_len), field_len, "%s: iomon_csv_len", c->what);
}

static char long_in[IOMON_STRING_MAX + 1000];
static char long_want[IOMON_FIELD_MAX];

Test(csv, exactly_string_max_is_kept)
{
	memset(long_in, 'a', IOMON_STRING_MAX);
	fill_canary();
	assert_written(iomon_put_csv(out, long_in, IOMON_STRING_MAX), long_in, IOMON_STRING_MAX,
		       "IOMON_STRING_MAX bytes");
	cr_assert_eq(iomon_csv_len(long_in, IOMON_STRING_MAX), (size_t)IOMON_STRING_MAX,
		     "iomon_csv_len of IOMON_STRING_MAX bytes");
}

Test(csv, longer_is_cut_to_string_max)
{
	memset(long_in, 'a', sizeof(long_in));
	fill_canary();
	assert_written(iomon_put_csv(out, long_in, IOMON_STRING_MAX + 1), long_in, IOMON_STRING_MAX,
		       "IOMON_STRING_MAX + 1 bytes");
	cr_assert_eq(iomon_csv_len(long_in, sizeof(long_in)), (size_t)IOMON_STRING_MAX,
		     "iomon_csv_len of a long string");
}

/* Whether to quote is decided on the bytes kept, not on the bytes cut. */
Test(csv, byte_past_the_cut_does_not_force_quotes)
{
	memset(long_in, 'a', IOMON_STRING_MAX);
	long_in[IOMON_STRING_MAX] = ',';
	fill_canary();
	assert_written(iomon_put_csv(out, long_in, IOMON_STRING_MAX + 1), long_in, IOMON_STRING_MAX,
		       "comma after the cut");
	cr_assert_eq(iomon_csv_len(long_in, IOMON_STRING_MAX + 1), (size_t)IOMON_STRING_MAX,
		     "iomon_csv_len with a comma after the cut");
}

Test(csv, longest_field_is_field_max)
{
	memset(long_in, '"', sizeof(long_in));
	memset(long_want, '"', sizeof(long_want));
	fill_canary();
	assert_written(iomon_put_csv(out, long_in, sizeof(long_in)), long_want, IOMON_FIELD_MAX,
		       "only double quotes");
	cr_assert_eq(iomon_csv_len(long_in, sizeof(long_in)), (size_t)IOMON_FIELD_MAX,
		     "iomon_csv_len of only double quotes");
}

/* iomon_csv_len is how the core sizes a field before writing it: it must
 * agree with iomon_put_csv on every input, cut or not. */
Test(csv, len_matches_what_put_csv_writes)
{
	static const char alphabet[] = "a,\"\r\n\xff";
	uint32_t seed = 12345;

	for (int round = 0; round < 400; round++) {
		size_t len;

		seed = seed * 1103515245u + 12345u;
		len = (seed >> 8) % (IOMON_STRING_MAX + 200);
		if (round < 8)
			len = (size_t)round;
		for (size_t i = 0; i < len; i++) {
			seed = seed * 1103515245u + 12345u;
			long_in[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		size_t written = (size_t)(iomon_put_csv(out, long_in, len) - out);
		cr_assert_eq(iomon_csv_len(long_in, len), written,
			     "round %d, %zu bytes in: iomon_csv_len says %zu, put_csv wrote %zu", round,
			     len, iomon_csv_len(long_in, len), written);
		cr_assert(written <= IOMON_FIELD_MAX, "round %d: %zu bytes exceed IOMON_FIELD_MAX",
			  round, written);
	}
}

Test(put_str, encoded_is_copied_as_is)
{
	static const char field[] = "\"a,b\"";
	struct iomon_str s = { .ptr = field, .len = sizeof(field) - 1, .kind = IOMON_STR_ENCODED };

	fill_canary();
	assert_written(iomon_put_str(out, s), field, sizeof(field) - 1, "ENCODED");
}

Test(put_str, raw_is_quoted)
{
	struct iomon_str s = { .ptr = "a,b", .len = 3, .kind = IOMON_STR_RAW };

	fill_canary();
	assert_written(iomon_put_str(out, s), "\"a,b\"", 5, "RAW");
}

Test(put_str, none_writes_nothing)
{
	fill_canary();
	assert_written(iomon_put_str(out, iomon_str_none()), "", 0, "none");
}

/* ---- Whole records ---- */

static struct iomon_str raw(const char *s)
{
	return (struct iomon_str){ .ptr = s, .len = (uint32_t)strlen(s), .kind = IOMON_STR_RAW };
}

static void assert_record(const char *facility, size_t facility_len,
			  const struct iomon_record *r, const char *want)
{
	fill_canary();
	assert_written(iomon_put_record(out, facility, facility_len, r), want, strlen(want), want);
}

Test(put_record, example_from_the_format)
{
	struct iomon_record r = {
		.ts = 1487975251, .dur_ns = 305000, .pid = 28049,
		.domain = IOMON_DOMAIN_FILE_OPEN_CLOSE, .op = IOMON_OP_OPEN,
		.err = 0, .fd = 3, .bytes = 0,
		.s1 = raw("/home/paul/foo/bar.txt"), .s2 = raw("wt"),
	};

	assert_record("abcd", 4, &r,
		      "abcd,1487975251,0.305000,28049,13,0,0,3,0,/home/paul/foo/bar.txt,wt\n");
}

Test(put_record, every_field_in_its_place)
{
	struct iomon_record r = {
		.ts = 1700000001, .dur_ns = 2003004, .pid = 4005,
		.domain = 6, .op = 7, .err = 8, .fd = 9, .bytes = 10000000011u,
		.s1 = raw("one"), .s2 = raw("two"),
	};

	assert_record("f.9_", 4, &r, "f.9_,1700000001,2.003004,4005,6,7,8,9,10000000011,one,two\n");
}

Test(put_record, failed_call_without_fd)
{
	struct iomon_record r = {
		.ts = 1487975251, .dur_ns = 999, .pid = 28049,
		.domain = IOMON_DOMAIN_FILE_OPEN_CLOSE, .op = IOMON_OP_OPEN,
		.err = 2, .fd = -1, .bytes = 0,
		.s1 = raw("/nonexistent"), .s2 = raw("O_RDONLY"),
	};

	assert_record("u", 1, &r, "u,1487975251,0.000999,28049,13,0,2,-1,0,/nonexistent,O_RDONLY\n");
}

Test(put_record, only_facility_len_bytes_of_facility)
{
	struct iomon_record r = { .ts = 1, .dur_ns = 2, .pid = 3, .domain = 4, .op = 5,
				  .err = 6, .fd = 7, .bytes = 8, .s1 = raw("x"), .s2 = raw("y") };

	assert_record("abcdXYZ", 4, &r, "abcd,1,0.000002,3,4,5,6,7,8,x,y\n");
}

Test(put_record, empty_strings)
{
	struct iomon_record r = { .ts = 1, .dur_ns = 2, .pid = 3, .domain = 12, .op = 3,
				  .fd = 4, .bytes = 5, .s1 = iomon_str_none(),
				  .s2 = iomon_str_none() };

	assert_record("abcd", 4, &r, "abcd,1,0.000002,3,12,3,0,4,5,,\n");
}

Test(put_record, quoted_strings)
{
	struct iomon_record r = { .ts = 1, .dur_ns = 2, .pid = 3, .domain = 11, .op = 2,
				  .fd = 4, .bytes = 5, .s1 = raw("a,\"b\""), .s2 = raw("c\nd") };

	assert_record("abcd", 4, &r, "abcd,1,0.000002,3,11,2,0,4,5,\"a,\"\"b\"\"\",\"c\nd\"\n");
}

/* The *_MAX bounds are what callers size their buffers by. */
Test(put_record, longest_record_fits_the_bounds)
{
	struct iomon_record r = {
		.ts = INT64_MIN, .dur_ns = UINT64_MAX, .pid = INT32_MIN,
		.domain = UINT16_MAX, .op = UINT16_MAX, .err = INT32_MIN, .fd = INT32_MIN,
		.bytes = UINT64_MAX,
		.s1 = { .ptr = long_in, .len = IOMON_STRING_MAX },
		.s2 = { .ptr = long_in, .len = IOMON_STRING_MAX },
	};

	memset(long_in, '"', IOMON_STRING_MAX);
	fill_canary();
	size_t head = (size_t)(iomon_put_head(out, "abcd", 4, &r) - out);
	cr_assert(head <= IOMON_HEAD_MAX, "head is %zu bytes, IOMON_HEAD_MAX is %d", head,
		  IOMON_HEAD_MAX);

	fill_canary();
	size_t len = (size_t)(iomon_put_record(out, "abcd", 4, &r) - out);
	cr_assert_eq(len, head + 2 * IOMON_FIELD_MAX + 2, "record length");
	cr_assert(len <= IOMON_RECORD_MAX, "record is %zu bytes, IOMON_RECORD_MAX is %d", len,
		  IOMON_RECORD_MAX);
	cr_assert_eq(out[len - 1], '\n', "record ends with a newline");
}

/* ---- Open flags ---- */

struct oflags_case {
	int flags;
	char text[64];
};

ParameterizedTestParameters(oflags, names)
{
	static struct oflags_case cases[] = {
		{ O_RDONLY, "O_RDONLY" },
		{ O_WRONLY, "O_WRONLY" },
		{ O_RDWR, "O_RDWR" },
		{ O_WRONLY | O_CREAT | O_TRUNC, "O_WRONLY|O_CREAT|O_TRUNC" },
		{ O_RDWR | O_APPEND | O_CLOEXEC, "O_RDWR|O_APPEND|O_CLOEXEC" },
		{ O_RDONLY | O_NONBLOCK | O_DIRECTORY, "O_RDONLY|O_NONBLOCK|O_DIRECTORY" },
		/* Multi-bit flags: one name, not also the name of a part. */
		{ O_SYNC, "O_RDONLY|O_SYNC" },
		{ O_DSYNC, "O_RDONLY|O_DSYNC" },
		{ O_TMPFILE | O_RDWR, "O_RDWR|O_TMPFILE" },
		{ O_PATH | O_NOFOLLOW, "O_RDONLY|O_NOFOLLOW|O_PATH" },
		/* Bits without a name, as hex. */
		{ 0x40000000, "O_RDONLY|0x40000000" },
		{ O_WRONLY | O_CREAT | 0x40000000, "O_WRONLY|O_CREAT|0x40000000" },
		{ INT_MIN, "O_RDONLY|0x80000000" },
		{ 0x4, "O_RDONLY|0x4" },
	};
	return cr_make_param_array(struct oflags_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct oflags_case *c, oflags, names)
{
	char buf[IOMON_OFLAGS_MAX];

	memset(buf, CANARY, sizeof(buf));
	cr_assert_eq(iomon_oflags_str(c->flags, buf), buf, "returns its buffer");
	cr_assert_str_eq(buf, c->text, "flags 0x%x", (unsigned)c->flags);
}

Test(oflags, every_bit_fits_the_buffer)
{
	char buf[IOMON_OFLAGS_MAX + 16];

	memset(buf, CANARY, sizeof(buf));
	iomon_oflags_str(-1, buf);
	cr_assert(memchr(buf, '\0', IOMON_OFLAGS_MAX) != NULL, "no terminator within IOMON_OFLAGS_MAX");
	for (size_t i = IOMON_OFLAGS_MAX; i < sizeof(buf); i++)
		cr_assert_eq(buf[i], CANARY, "byte %zu written past IOMON_OFLAGS_MAX", i);
	cr_assert(strncmp(buf, "O_ACCMODE|O_CREAT|", 18) == 0, "starts \"%.18s\"", buf);
}

/* ---- Round trip through the collector's framer and parser ---- */

static struct {
	size_t count;
	size_t len;
	char text[IOMON_RECORD_MAX];
} framed;

static void keep_line(void *arg, const char *line, size_t len)
{
	(void)arg;
	framed.count++;
	cr_assert(len <= sizeof(framed.text), "framed line of %zu bytes", len);
	memcpy(framed.text, line, len);
	framed.len = len;
}

static struct iomon_framer framer;
static struct iomon_parsed parsed;

static void assert_round_trip(const struct iomon_record *r, const char *what)
{
	size_t len = (size_t)(iomon_put_record(out, "rt_9", 4, r) - out);
	size_t s1_len = r->s1.len < IOMON_STRING_MAX ? r->s1.len : IOMON_STRING_MAX;
	size_t s2_len = r->s2.len < IOMON_STRING_MAX ? r->s2.len : IOMON_STRING_MAX;

	cr_assert(len > 0 && out[len - 1] == '\n', "%s: record ends with a newline", what);

	/* The framer finds exactly this record, '\n' inside quotes or not. */
	framed.count = 0;
	iomon_framer_init(&framer);
	cr_assert_eq(iomon_framer_feed(&framer, out, len, keep_line, NULL), (size_t)0,
		     "%s: framer dropped the record", what);
	cr_assert_eq(framed.count, (size_t)1, "%s: framer found %zu lines", what, framed.count);
	assert_bytes(framed.text, framed.len, out, len - 1, what);
	cr_assert_eq(iomon_framer_finish(&framer), (size_t)0, "%s: framer left a partial line",
		     what);

	int status = iomon_record_parse(framed.text, framed.len, &parsed);
	cr_assert_eq(status, IOMON_RECORD_OK, "%s: parse: %s", what, iomon_record_strerror(status));
	assert_bytes(parsed.facility, parsed.facility_len, "rt_9", 4, "facility");
	cr_assert_eq(parsed.ts, (uint64_t)r->ts, "%s: ts", what);
	cr_assert_eq(parsed.duration_ns, r->dur_ns, "%s: duration", what);
	cr_assert_eq(parsed.pid, r->pid, "%s: pid", what);
	cr_assert_eq(parsed.domain, (unsigned)r->domain, "%s: domain", what);
	cr_assert_eq(parsed.op, (unsigned)r->op, "%s: op", what);
	cr_assert_eq(parsed.err, r->err, "%s: err", what);
	cr_assert_eq(parsed.fd, r->fd, "%s: fd", what);
	cr_assert_eq(parsed.bytes, r->bytes, "%s: bytes", what);
	assert_bytes(parsed.s1, parsed.s1_len, r->s1.ptr, s1_len, "s1");
	assert_bytes(parsed.s2, parsed.s2_len, r->s2.ptr, s2_len, "s2");
}

struct hostile_case {
	char what[32];
	char s1[48];
	char s2[48];
};

ParameterizedTestParameters(round_trip, hostile_strings)
{
	static struct hostile_case cases[] = {
		{ "commas", "a,b,c", ",,," },
		{ "quotes", "\"quoted\"", "x\"" },
		{ "only quotes", "\"", "\"\"\"" },
		{ "newlines", "line1\nline2", "\n" },
		{ "CR", "cr\r\nlf\r", "\r" },
		{ "not UTF-8", "\xff\xfe\x80", "\xc3\x28,\"" },
		{ "empty", "", "" },
		{ "quote then newline", "\"\n\"", "a\"\"\nb" },
		{ "looks like a record", "abcd,1,0.000001,2,3,4,5,6,7,x,y\n", "#control\n" },
		{ "spaces and tabs", " leading and trailing ", "\t" },
	};
	return cr_make_param_array(struct hostile_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct hostile_case *c, round_trip, hostile_strings)
{
	struct iomon_record r = {
		.ts = 1487975251, .dur_ns = 1234567890123, .pid = INT32_MAX,
		.domain = IOMON_DOMAIN_COUNT - 1, .op = IOMON_OP_COUNT - 1,
		.err = 2, .fd = -1, .bytes = UINT64_MAX,
		.s1 = raw(c->s1), .s2 = raw(c->s2),
	};

	assert_round_trip(&r, c->what);
}

/* A path of IOMON_STRING_MAX - 1 bytes, every byte the format cares about
 * in it, and a second string cut from longer than IOMON_STRING_MAX. */
Test(round_trip, long_strings)
{
	static const char alphabet[] = "/a,\"\r\n\xff.";
	static char path[IOMON_STRING_MAX - 1];
	struct iomon_record r = {
		.ts = 0, .dur_ns = UINT64_MAX, .pid = 1,
		.domain = IOMON_DOMAIN_FILE_READ, .op = IOMON_OP_READ,
		.err = 0, .fd = INT32_MAX, .bytes = 0,
		.s1 = { .ptr = path, .len = sizeof(path) },
		.s2 = { .ptr = long_in, .len = sizeof(long_in) },
	};

	for (size_t i = 0; i < sizeof(path); i++)
		path[i] = alphabet[i % (sizeof(alphabet) - 1)];
	memset(long_in, '"', sizeof(long_in));
	long_in[0] = ',';
	assert_round_trip(&r, "long strings");
	cr_assert_eq(parsed.s1_len, sizeof(path), "s1 kept whole");
	cr_assert_eq(parsed.s2_len, (size_t)IOMON_STRING_MAX, "s2 cut to IOMON_STRING_MAX");
}
