/*
 * Unit tests for libiomon/config.c: the environment, read into struct
 * iomon_config.  A bad value never fails; it falls back to the default.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "core.h"
#include "preload_config.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Each test sets only what it tests, whatever the runner's environment. */
static void clear_env(void)
{
	unsetenv(IOMON_ENV_FACILITY);
	unsetenv(IOMON_ENV_START_ON_OPEN);
	unsetenv(IOMON_ENV_PORT);
}

TestSuite(config, .init = clear_env);

static void set_env(const char *name, const char *value)
{
	cr_assert_eq(setenv(name, value, 1), 0, "setenv %s", name);
}

/* Loads into a struct full of garbage, so that a field left alone shows. */
static struct iomon_config load(void)
{
	struct iomon_config cfg;

	memset(&cfg, 0x5a, sizeof(cfg));
	iomon_config_load(&cfg);
	return cfg;
}

/*
 * Criterion runs each parameterized case in a fresh process, where pointers
 * from the parameter generator mean nothing (the binary is position
 * independent): the case tables hold their strings in arrays, each literal
 * shorter than its array.
 */

struct facility_case {
	char what[40];
	bool unset;
	char value[16];
	char facility[8];
};

ParameterizedTestParameters(config, facility)
{
	static struct facility_case cases[] = {
		{ "unset", true, "", "u" },
		{ "four characters", false, "abcd", "abcd" },
		{ "one character", false, "x", "x" },
		{ "every kind of allowed character", false, "A.9_", "A.9_" },
		{ "dash", false, "a-b", "a-b" },
		{ "five characters, cut", false, "abcde", "abcd" },
		{ "six characters, cut", false, "abcdef", "abcd" },
		{ "empty", false, "", "u" },
		{ "comma", false, "a,b", "u" },
		{ "comma after four characters", false, "abcd,", "u" },
		{ "newline past the cut", false, "abcdef\n", "u" },
		{ "trailing newline", false, "ab\n", "u" },
		{ "double quote", false, "\"ab", "u" },
		{ "space", false, "a b", "u" },
		{ "not ASCII", false, "\xc3\xa9", "u" },
	};
	return cr_make_param_array(struct facility_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct facility_case *c, config, facility)
{
	if (!c->unset)
		set_env(IOMON_ENV_FACILITY, c->value);
	struct iomon_config cfg = load();
	cr_assert_str_eq(cfg.facility, c->facility, "FACILITY_ID %s", c->what);
	cr_assert_eq(cfg.facility_len, strlen(c->facility), "FACILITY_ID %s: facility_len",
		     c->what);
}

Test(config, start_on_open_unset)
{
	struct iomon_config cfg = load();
	cr_assert(cfg.start_on_open == NULL, "START_ON_OPEN unset: record from the start");
}

Test(config, start_on_open_empty)
{
	set_env(IOMON_ENV_START_ON_OPEN, "");
	struct iomon_config cfg = load();
	cr_assert(cfg.start_on_open == NULL, "START_ON_OPEN empty: record from the start");
}

Test(config, start_on_open_set)
{
	set_env(IOMON_ENV_START_ON_OPEN, "hello_world.txt");
	struct iomon_config cfg = load();
	cr_assert(cfg.start_on_open != NULL, "START_ON_OPEN set");
	cr_assert_str_eq(cfg.start_on_open, "hello_world.txt", "START_ON_OPEN");
}

struct port_case {
	bool unset;
	char value[24];
	unsigned port;
};

ParameterizedTestParameters(config, port)
{
	static struct port_case cases[] = {
		{ .unset = true, .port = IOMON_DEFAULT_PORT },
		{ false, "8123", 8123 },
		{ false, "1", 1 },
		{ false, "65535", 65535 },
		{ false, "", IOMON_DEFAULT_PORT },
		{ false, "0", IOMON_DEFAULT_PORT },
		{ false, "65536", IOMON_DEFAULT_PORT },
		{ false, "70000", IOMON_DEFAULT_PORT },
		{ false, "-1", IOMON_DEFAULT_PORT },
		{ false, "+8123", IOMON_DEFAULT_PORT },
		{ false, " 8123", IOMON_DEFAULT_PORT },
		{ false, "8123 ", IOMON_DEFAULT_PORT },
		{ false, "12ab", IOMON_DEFAULT_PORT },
		{ false, "0x1f90", IOMON_DEFAULT_PORT },
		{ false, "99999999999999999999", IOMON_DEFAULT_PORT },
	};
	return cr_make_param_array(struct port_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct port_case *c, config, port)
{
	if (!c->unset)
		set_env(IOMON_ENV_PORT, c->value);
	struct iomon_config cfg = load();
	cr_assert_eq(cfg.port, c->port, "IOMON_PORT=\"%s\"%s", c->value,
		     c->unset ? " (unset)" : "");
}

Test(config, records_every_domain_and_waits_for_the_collector)
{
	struct iomon_config cfg = load();
	cr_assert_eq(cfg.domains, (UINT32_C(1) << IOMON_DOMAIN_COUNT) - 1, "every domain recorded");
	cr_assert_eq(cfg.drop_when_full, false, "waits instead of dropping");
}

/* One variable does not leak into another's field. */
Test(config, all_three_together)
{
	set_env(IOMON_ENV_FACILITY, "web1");
	set_env(IOMON_ENV_START_ON_OPEN, "input.csv");
	set_env(IOMON_ENV_PORT, "9000");
	struct iomon_config cfg = load();
	cr_assert_str_eq(cfg.facility, "web1", "facility");
	cr_assert_str_eq(cfg.start_on_open, "input.csv", "start_on_open");
	cr_assert_eq(cfg.port, 9000, "port");
}
