/*
 * Unit tests for libiomon/config.c: the environment, read into struct
 * iomon_config.  A bad value never fails; it falls back to the default.
 */
#include <inttypes.h>
#include <stdio.h>
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
	unsetenv(IOMON_ENV_DOMAINS);
	unsetenv(IOMON_ENV_PATHS);
	unsetenv(IOMON_ENV_EXCLUDE);
	unsetenv(IOMON_ENV_START_AT);
	unsetenv(IOMON_ENV_START_ON_ELAPSED);
	unsetenv(IOMON_ENV_SLOWER_THAN);
	unsetenv(IOMON_ENV_ERRORS_ONLY);
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

/* The filters (MONITOR_DOMAINS, IOMON_PATHS, ...): unset, none. */
Test(config, no_filter_by_default)
{
	struct iomon_config cfg = load();
	cr_assert_eq(cfg.paths.n, 0, "IOMON_PATHS unset: every path");
	cr_assert_eq(cfg.exclude.n, 0, "IOMON_EXCLUDE unset: no path dropped");
	cr_assert_eq(cfg.start_at_ns, 0, "IOMON_START_AT unset");
	cr_assert_eq(cfg.start_after_ns, 0, "START_ON_ELAPSED unset");
	cr_assert_eq(cfg.slower_than_ns, 0, "IOMON_SLOWER_THAN unset");
	cr_assert_eq(cfg.errors_only, false, "IOMON_ERRORS_ONLY unset");
	cr_assert_eq(cfg.filters_records, false, "no record filter");
}

#define ALL ((UINT32_C(1) << IOMON_DOMAIN_COUNT) - 1)
#define BIT(name) (UINT32_C(1) << IOMON_DOMAIN_##name)

struct domains_case {
	char value[64];
	uint32_t mask;
};

ParameterizedTestParameters(config, monitor_domains)
{
	static struct domains_case cases[] = {
		{ "", ALL },
		{ "ALL", ALL },
		{ "all", ALL },
		{ "FILE_READ", BIT(FILE_READ) | BIT(START_STOP) },
		{ "file_read,Sockets", BIT(FILE_READ) | BIT(SOCKETS) | BIT(START_STOP) },
		{ "LINKS,HTTP", BIT(LINKS) | BIT(HTTP) | BIT(START_STOP) },
		{ "START_STOP", BIT(START_STOP) },
		{ "FILE_READ,ALL", ALL },
		{ "FILE_READ,FILE_READ", BIT(FILE_READ) | BIT(START_STOP) },
		/* Bad: every domain. */
		{ "FILE_READ,BOGUS", ALL },
		{ "FILE_REA", ALL },
		{ "FILE_READS", ALL },
		{ "FILE_READ,", ALL },
		{ ",FILE_READ", ALL },
		{ "FILE_READ,,SOCKETS", ALL },
		{ " FILE_READ", ALL },
		{ "FILE READ", ALL },
		{ "13", ALL },
		{ ",", ALL },
	};
	return cr_make_param_array(struct domains_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct domains_case *c, config, monitor_domains)
{
	set_env(IOMON_ENV_DOMAINS, c->value);
	struct iomon_config cfg = load();
	cr_assert_eq(cfg.domains, c->mask, "MONITOR_DOMAINS=\"%s\": %#x, not %#x", c->value,
		     (unsigned)c->mask, (unsigned)cfg.domains);
}

/* The prefixes as parsed, joined by '|'. */
static void joined(const struct iomon_prefixes *list, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < list->n; i++)
		n += (size_t)snprintf(out + n, size - n, "%s%.*s", i ? "|" : "", (int)list->len[i],
				      list->text + list->off[i]);
}

struct prefixes_case {
	char value[64];
	unsigned n;
	char prefixes[64];
};

ParameterizedTestParameters(config, path_prefixes)
{
	static struct prefixes_case cases[] = {
		{ "", 0, "" },
		{ "/tmp/a", 1, "/tmp/a" },
		{ "/tmp/a/", 1, "/tmp/a" },
		{ "/tmp/a//", 1, "/tmp/a" },
		{ "/tmp/a:/var/log", 2, "/tmp/a|/var/log" },
		{ "::/x::/y:", 2, "/x|/y" },
		{ "/", 1, "" },
		{ "/a b,c", 1, "/a b,c" },
		/* Bad: no filter. */
		{ "tmp/a", 0, "" },
		{ "/tmp/a:rel", 0, "" },
		{ "./x", 0, "" },
		{ "~/x", 0, "" },
	};
	return cr_make_param_array(struct prefixes_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct prefixes_case *c, config, path_prefixes)
{
	char got[256];

	set_env(IOMON_ENV_PATHS, c->value);
	set_env(IOMON_ENV_EXCLUDE, c->value);
	struct iomon_config cfg = load();
	cr_assert_eq(cfg.paths.n, c->n, "IOMON_PATHS=\"%s\": %u prefixes", c->value, cfg.paths.n);
	joined(&cfg.paths, got, sizeof(got));
	cr_assert_str_eq(got, c->prefixes, "IOMON_PATHS=\"%s\"", c->value);
	cr_assert_eq(cfg.exclude.n, c->n, "IOMON_EXCLUDE=\"%s\": %u prefixes", c->value,
		     cfg.exclude.n);
	joined(&cfg.exclude, got, sizeof(got));
	cr_assert_str_eq(got, c->prefixes, "IOMON_EXCLUDE=\"%s\"", c->value);
	cr_assert_eq(cfg.filters_records, c->n > 0, "IOMON_PATHS=\"%s\": filters", c->value);
}

/* More prefixes than the list holds: no filter rather than some. */
Test(config, too_many_path_prefixes)
{
	char value[IOMON_PREFIXES_MAX * 8 + 16] = "";
	size_t n = 0;

	for (int i = 0; i <= IOMON_PREFIXES_MAX; i++)
		n += (size_t)snprintf(value + n, sizeof(value) - n, "/p%d:", i);
	set_env(IOMON_ENV_PATHS, value);
	cr_assert_eq(load().paths.n, 0, "%d prefixes", IOMON_PREFIXES_MAX + 1);
	value[n - strlen("/p32:")] = '\0';
	set_env(IOMON_ENV_PATHS, value);
	cr_assert_eq(load().paths.n, IOMON_PREFIXES_MAX, "%d prefixes", IOMON_PREFIXES_MAX);
}

Test(config, path_under_a_prefix)
{
	set_env(IOMON_ENV_PATHS, "/tmp/a/:/srv");
	struct iomon_config cfg = load();
#define UNDER(p) iomon_path_under(&cfg.paths, p, strlen(p))
	cr_assert(UNDER("/tmp/a"), "the prefix itself");
	cr_assert(UNDER("/tmp/a/"), "the prefix and a slash");
	cr_assert(UNDER("/tmp/a/x/y"), "below it");
	cr_assert(UNDER("/srv/www"), "below the second prefix");
	cr_assert(!UNDER("/tmp/ab"), "a name that only starts like it");
	cr_assert(!UNDER("/tmp"), "above it");
	cr_assert(!UNDER("/srvx"), "a name that only starts like the second");
	cr_assert(!UNDER(""), "empty");
	set_env(IOMON_ENV_PATHS, "/");
	cfg = load();
	cr_assert(UNDER("/etc/passwd"), "\"/\": every absolute path");
	cr_assert(UNDER("/"), "\"/\": itself");
#undef UNDER
}

struct number_case {
	char value[32];
	uint64_t ns;
};

ParameterizedTestParameters(config, start_on_elapsed)
{
	static struct number_case cases[] = {
		{ "2.5", 2500000000u },
		{ "3", 3000000000u },
		{ ".5", 500000000 },
		{ "5.", 5000000000u },
		{ "0", 0 },
		{ "0.000000001", 1 },
		{ "1.0000000019", 1000000001 },
		{ "", 0 },
		{ ".", 0 },
		{ "-1", 0 },
		{ "+1", 0 },
		{ "1e3", 0 },
		{ "2.5s", 0 },
		{ " 2", 0 },
		{ "1.2.3", 0 },
		{ "99999999999999999999", 0 },
	};
	return cr_make_param_array(struct number_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct number_case *c, config, start_on_elapsed)
{
	set_env(IOMON_ENV_START_ON_ELAPSED, c->value);
	struct iomon_config cfg = load();
	cr_assert_eq(cfg.start_after_ns, c->ns, "START_ON_ELAPSED=\"%s\": %" PRIu64 " ns",
		     c->value, cfg.start_after_ns);
	cr_assert_eq(cfg.start_at_ns, 0, "START_ON_ELAPSED=\"%s\": no IOMON_START_AT", c->value);
}

ParameterizedTestParameters(config, start_at)
{
	static struct number_case cases[] = {
		{ "1700000000123456789", UINT64_C(1700000000123456789) },
		{ "1", 1 },
		{ "0", 0 },
		{ "", 0 },
		{ "1.5", 0 },
		{ "-5", 0 },
		{ "12x", 0 },
		{ "0x10", 0 },
		{ "99999999999999999999999", 0 },
	};
	return cr_make_param_array(struct number_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct number_case *c, config, start_at)
{
	set_env(IOMON_ENV_START_AT, c->value);
	struct iomon_config cfg = load();
	cr_assert_eq(cfg.start_at_ns, c->ns, "IOMON_START_AT=\"%s\": %" PRIu64, c->value,
		     cfg.start_at_ns);
}

ParameterizedTestParameters(config, slower_than)
{
	static struct number_case cases[] = {
		{ "1.5", 1500000 },
		{ "10", 10000000 },
		{ "0.000001", 1 },
		{ "0.0000019", 1 },
		{ "0", 0 },
		{ "", 0 },
		{ "x", 0 },
		{ "-1", 0 },
		{ "1ms", 0 },
	};
	return cr_make_param_array(struct number_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct number_case *c, config, slower_than)
{
	set_env(IOMON_ENV_SLOWER_THAN, c->value);
	struct iomon_config cfg = load();
	cr_assert_eq(cfg.slower_than_ns, c->ns, "IOMON_SLOWER_THAN=\"%s\": %" PRIu64 " ns",
		     c->value, cfg.slower_than_ns);
	cr_assert_eq(cfg.filters_records, c->ns > 0, "IOMON_SLOWER_THAN=\"%s\": filters",
		     c->value);
}

struct on_case {
	char value[8];
	bool on;
};

ParameterizedTestParameters(config, errors_only)
{
	static struct on_case cases[] = {
		{ "1", true }, { "0", false }, { "", false }, { "yes", false }, { "11", false },
	};
	return cr_make_param_array(struct on_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct on_case *c, config, errors_only)
{
	set_env(IOMON_ENV_ERRORS_ONLY, c->value);
	struct iomon_config cfg = load();
	cr_assert_eq(cfg.errors_only, c->on, "IOMON_ERRORS_ONLY=\"%s\"", c->value);
	cr_assert_eq(cfg.filters_records, c->on, "IOMON_ERRORS_ONLY=\"%s\": filters", c->value);
}

/* Both start times: each read as itself (the core lets IOMON_START_AT
 * win). */
Test(config, start_at_and_start_on_elapsed_together)
{
	set_env(IOMON_ENV_START_AT, "1800000000000000000");
	set_env(IOMON_ENV_START_ON_ELAPSED, "1.25");
	struct iomon_config cfg = load();
	cr_assert_eq(cfg.start_at_ns, UINT64_C(1800000000000000000));
	cr_assert_eq(cfg.start_after_ns, 1250000000);
}
