/* Unit tests for launcher/cli.c: the decimal numbers of the command line. */
#include <stdint.h>

#include <criterion/criterion.h>

#include "cli.h"

static uint64_t parsed(const char *text, long long max)
{
	uint64_t v = 12345;

	cr_assert(parse_decimal(text, max, &v), "'%s' refused", text);
	return v;
}

Test(cli, decimals_are_billionths)
{
	cr_assert_eq(parsed("0", 10), 0);
	cr_assert_eq(parsed("2", 10), 2000000000u);
	cr_assert_eq(parsed("2.5", 10), 2500000000u);
	cr_assert_eq(parsed("0.000000001", 10), 1);
	cr_assert_eq(parsed("007.25", 10), 7250000000u);
	cr_assert_eq(parsed("10", 10), 10000000000u);
	cr_assert_eq(parsed("10.000", 10), 10000000000u);
}

Test(cli, anything_else_is_refused)
{
	const char *const bad[] = {
		"", ".5", "5.", "-1", "+1", " 1", "1 ", "1e3", "0x10", "1.2.3",
		"1.0000000001", "10.5", "11", "nan", "inf", "99999999999999999999999",
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(!parse_decimal(bad[i], 10, &v), "'%s' accepted", bad[i]);
}
