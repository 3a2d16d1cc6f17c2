/*
 * Unit tests for launcher/jsonl.c: records as JSON Lines, and the lossless
 * escaping of strings that are not valid UTF-8.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "jsonl.h"
#include "record.h"

/* What jsonl_write_string makes of len bytes of s, in a static buffer. */
static const char *json_string(const char *s, size_t len)
{
	static char out[4096];
	FILE *f = fmemopen(out, sizeof(out), "w");

	cr_assert(f);
	jsonl_write_string(f, s, len);
	cr_assert(!ferror(f));
	fclose(f);
	return out;
}

#define STR(lit) json_string(lit, sizeof(lit) - 1)

Test(jsonl, writes_the_contract_example_exactly)
{
	static const char line[] =
	    "abcd,1487975251,0.305000,28049,13,0,0,3,0,/home/paul/foo/bar.txt,wt";
	static struct iomon_parsed rec;
	char out[1024];
	FILE *f = fmemopen(out, sizeof(out), "w");

	cr_assert_eq(iomon_record_parse(line, sizeof(line) - 1, &rec), IOMON_RECORD_OK);
	jsonl_write_record(f, &rec);
	fclose(f);
	cr_assert_str_eq(out,
			 "{\"facility\":\"abcd\",\"ts\":1487975251,\"duration\":0.305000,"
			 "\"pid\":28049,\"domain\":13,\"domain_name\":\"FILE_OPEN_CLOSE\","
			 "\"op\":0,\"op_name\":\"OPEN\",\"error\":0,\"fd\":3,\"bytes\":0,"
			 "\"s1\":\"/home/paul/foo/bar.txt\",\"s2\":\"wt\"}\n");
}

Test(jsonl, duration_is_a_json_number_even_with_leading_zeros_in_the_csv)
{
	static const char line[] = "u,1,0012.000001,1,16,55,2,-1,7,\"a,\"\"b\",";
	static struct iomon_parsed rec;
	char out[1024];
	FILE *f = fmemopen(out, sizeof(out), "w");

	cr_assert_eq(iomon_record_parse(line, sizeof(line) - 1, &rec), IOMON_RECORD_OK);
	jsonl_write_record(f, &rec);
	fclose(f);
	cr_assert(strstr(out, "\"duration\":12.000001,"), "%s", out);
	cr_assert(strstr(out, "\"error\":2,\"fd\":-1,\"bytes\":7,"), "%s", out);
	cr_assert(strstr(out, "\"s1\":\"a,\\\"b\",\"s2\":\"\"}\n"), "%s", out);
}

Test(jsonl, escapes_quotes_backslashes_and_control_characters)
{
	cr_assert_str_eq(STR("a\"b\\c"), "\"a\\\"b\\\\c\"");
	cr_assert_str_eq(STR("\n\r\t"), "\"\\n\\r\\t\"");
	cr_assert_str_eq(STR("\x01\x1f\x7f"), "\"\\u0001\\u001f\\u007f\"");
	cr_assert_str_eq(STR(""), "\"\"");
}

Test(jsonl, copies_valid_utf8_as_it_is)
{
	/* 2, 3 and 4 byte sequences, at the edges of their ranges. */
	cr_assert_str_eq(STR("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
	cr_assert_str_eq(STR("\xe2\x82\xac \xef\xbf\xbf"), "\"\xe2\x82\xac \xef\xbf\xbf\"");
	cr_assert_str_eq(STR("\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf"),
			 "\"\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\"");
	cr_assert_str_eq(STR("\xed\x9f\xbf"), "\"\xed\x9f\xbf\"");
}

Test(jsonl, escapes_each_byte_of_invalid_utf8_as_a_low_surrogate)
{
	cr_assert_str_eq(STR("\xff"), "\"\\udcff\"");
	cr_assert_str_eq(STR("a\x80z"), "\"a\\udc80z\"");
	/* Overlong forms, surrogates, above U+10FFFF, truncated sequences. */
	cr_assert_str_eq(STR("\xc0\xaf"), "\"\\udcc0\\udcaf\"");
	cr_assert_str_eq(STR("\xe0\x80\xaf"), "\"\\udce0\\udc80\\udcaf\"");
	cr_assert_str_eq(STR("\xed\xa0\x80"), "\"\\udced\\udca0\\udc80\"");
	cr_assert_str_eq(STR("\xf4\x90\x80\x80"), "\"\\udcf4\\udc90\\udc80\\udc80\"");
	cr_assert_str_eq(STR("\xe2\x82"), "\"\\udce2\\udc82\"");
	cr_assert_str_eq(STR("\xe2\x82z"), "\"\\udce2\\udc82z\"");
	cr_assert_str_eq(STR("\xf0\x9f\x98"), "\"\\udcf0\\udc9f\\udc98\"");
}

Test(jsonl, utf8_length_follows_rfc_3629)
{
	cr_assert_eq(jsonl_utf8_length((const unsigned char *)"A", 1), 1);
	cr_assert_eq(jsonl_utf8_length((const unsigned char *)"\xc2\x80", 2), 2);
	cr_assert_eq(jsonl_utf8_length((const unsigned char *)"\xc1\xbf", 2), 0);
	cr_assert_eq(jsonl_utf8_length((const unsigned char *)"\xe0\xa0\x80", 3), 3);
	cr_assert_eq(jsonl_utf8_length((const unsigned char *)"\xe0\xa0\x80", 2), 0);
	cr_assert_eq(jsonl_utf8_length((const unsigned char *)"\xf0\x90\x80\x80", 4), 4);
	cr_assert_eq(jsonl_utf8_length((const unsigned char *)"\xf5\x80\x80\x80", 4), 0);
}

/* Reads back a string jsonl_write_string wrote, byte for byte: \udcXX is
 * the byte XX, \u00XX a control character.  Returns its length. */
static size_t unescape(const char *json, char *out)
{
	size_t n = 0;

	cr_assert_eq(*json++, '"');
	while (*json != '"') {
		cr_assert(*json, "unterminated");
		if (*json != '\\') {
			cr_assert((unsigned char)*json >= 0x20, "raw control character");
			out[n++] = *json++;
			continue;
		}
		json++;
		switch (*json++) {
		case 'n': out[n++] = '\n'; break;
		case 'r': out[n++] = '\r'; break;
		case 't': out[n++] = '\t'; break;
		case '"': out[n++] = '"'; break;
		case '\\': out[n++] = '\\'; break;
		case 'u': {
			unsigned code;
			cr_assert_eq(sscanf(json, "%4x", &code), 1);
			cr_assert(code < 0x80 || (code >= 0xdc80 && code <= 0xdcff), "\\u%04x", code);
			out[n++] = (char)(code & 0xff);
			json += 4;
			break;
		}
		default:
			cr_assert_fail("bad escape");
		}
	}
	cr_assert_str_eq(json, "\"");
	return n;
}

Test(jsonl, random_bytes_come_back_exactly)
{
	/* Bytes that matter most often: ASCII, quotes, controls, lead and
	 * continuation bytes of every length, and the invalid ones. */
	static const unsigned char pool[] = {
		'a', '/', ' ', '"', '\\', '\n', 0x01, 0x7f, 0x80, 0xbf, 0xc2, 0xc0,
		0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x90, 0x8f,
	};
	char in[64], out[64];

	srand(6);
	for (int round = 0; round < 20000; round++) {
		size_t len = (size_t)rand() % sizeof(in);
		for (size_t i = 0; i < len; i++)
			in[i] = (char)pool[(size_t)rand() % sizeof(pool)];
		size_t got = unescape(json_string(in, len), out);
		cr_assert(got == len && memcmp(in, out, len) == 0, "round %d: %zu bytes back of %zu",
			  round, got, len);
	}
}
