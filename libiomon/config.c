/*
 * The library's configuration, read once from the environment.
 *
 * The library never complains: it runs inside somebody else's program and
 * owns neither its stdout nor its stderr.  A bad value falls back to the
 * default; the launcher is where bad values get a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "preload_config.h"
#include "core.h"

static bool facility_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-' || c == '.';
}

/* The launcher's rule: a valid id longer than IOMON_FACILITY_MAX is cut; an
 * empty one, or one with a character that could break the CSV, is not used. */
static void load_facility(struct iomon_config *cfg, const char *v)
{
	size_t n = v ? strlen(v) : 0;

	for (size_t i = 0; i < n; i++)
		if (!facility_char(v[i]))
			n = 0;
	if (n == 0) {
		v = "u";
		n = 1;
	}
	if (n > IOMON_FACILITY_MAX)
		n = IOMON_FACILITY_MAX;
	memcpy(cfg->facility, v, n);
	cfg->facility[n] = '\0';
	cfg->facility_len = n;
}

static uint16_t parse_port(const char *v)
{
	unsigned long port = 0;

	if (!v || !*v)
		return IOMON_DEFAULT_PORT;
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			return IOMON_DEFAULT_PORT;
		port = port * 10 + (unsigned long)(*p - '0');
	}
	return port >= 1 && port <= 65535 ? (uint16_t)port : IOMON_DEFAULT_PORT;
}

static bool is_on(const char *v)
{
	return v && strcmp(v, "1") == 0;
}

/* A token the launcher made: hex digits; anything else is not used. */
static void load_token(struct iomon_config *cfg, const char *v)
{
	size_t n = v ? strlen(v) : 0;
	const size_t prefix = sizeof(IOMON_HELLO_PREFIX) - 1;

	cfg->hello_len = 0;
	if (n == 0 || n > IOMON_TOKEN_MAX || strspn(v, "0123456789abcdef") != n)
		return;
	memcpy(cfg->hello, IOMON_HELLO_PREFIX, prefix);
	memcpy(cfg->hello + prefix, v, n);
	cfg->hello[prefix + n] = '\n';
	cfg->hello_len = prefix + n + 1;
}

static char ascii_upper(char c)
{
	return c >= 'a' && c <= 'z' ? (char)(c - 'a' + 'A') : c;
}

/* The domain named by the len bytes at name, case-insensitive; -1: none. */
static int domain_named(const char *name, size_t len)
{
#define IOMON_DOMAIN_NAME(n, num) [num] = #n,
	static const char *const names[IOMON_DOMAIN_COUNT] = { IOMON_DOMAIN_LIST(IOMON_DOMAIN_NAME) };
#undef IOMON_DOMAIN_NAME

	for (int d = 0; d < IOMON_DOMAIN_COUNT; d++) {
		size_t i = 0;
		while (i < len && names[d][i] && ascii_upper(name[i]) == names[d][i])
			i++;
		if (i == len && !names[d][i])
			return d;
	}
	return -1;
}

#define ALL_DOMAINS ((UINT32_C(1) << IOMON_DOMAIN_COUNT) - 1)

/* MONITOR_DOMAINS: "NAME,NAME,..." or ALL; unset, empty or bad: all.
 * START_STOP is always recorded. */
static uint32_t parse_domains(const char *v)
{
	uint32_t mask = 0;

	if (!v || !*v)
		return ALL_DOMAINS;
	for (;;) {
		size_t len = strcspn(v, ",");
		int d = domain_named(v, len);
		if (d >= 0)
			mask |= UINT32_C(1) << d;
		else if (len == 3 && ascii_upper(v[0]) == 'A' && ascii_upper(v[1]) == 'L' &&
			 ascii_upper(v[2]) == 'L')
			mask = ALL_DOMAINS;
		else
			return ALL_DOMAINS;
		if (!v[len])
			break;
		v += len + 1;
	}
	return mask | UINT32_C(1) << IOMON_DOMAIN_START_STOP;
}

/* "P1:P2:...": absolute prefixes; empty items are skipped, trailing '/'
 * ignored.  A relative prefix, or more than the list holds: no filter. */
static void parse_prefixes(struct iomon_prefixes *list, const char *v)
{
	size_t used = 0;

	list->n = 0;
	for (; v && *v; v += *v == ':') {
		size_t len = strcspn(v, ":");
		const char *item = v;
		v += len;
		if (len == 0)
			continue;
		if (item[0] != '/' || list->n == IOMON_PREFIXES_MAX ||
		    len > sizeof(list->text) - used) {
			list->n = 0;
			return;
		}
		while (len > 0 && item[len - 1] == '/')
			len--;
		memcpy(list->text + used, item, len);
		list->off[list->n] = (uint16_t)used;
		list->len[list->n] = (uint16_t)len;
		list->n++;
		used += len;
	}
}

bool iomon_path_under(const struct iomon_prefixes *list, const char *path, size_t len)
{
	for (unsigned i = 0; i < list->n; i++) {
		size_t n = list->len[i];
		if (len >= n && memcmp(path, list->text + list->off[i], n) == 0 &&
		    (len == n || path[n] == '/'))
			return true;
	}
	return false;
}

/* A decimal number without sign or exponent ("2", "2.5", ".5"), times
 * 10^decimals (further digits are cut); false if it is not one, or does
 * not fit. */
static bool parse_fixed(const char *v, unsigned decimals, uint64_t *out)
{
	uint64_t whole = 0, frac = 0, scale = 1;
	unsigned nfrac = 0;
	bool digits = false;

	if (!v)
		return false;
	for (; *v >= '0' && *v <= '9'; v++, digits = true) {
		if (whole > (UINT64_MAX - 9) / 10)
			return false;
		whole = whole * 10 + (uint64_t)(*v - '0');
	}
	if (*v == '.')
		for (v++; *v >= '0' && *v <= '9'; v++, digits = true)
			if (nfrac < decimals) {
				frac = frac * 10 + (uint64_t)(*v - '0');
				nfrac++;
			}
	if (!digits || *v)
		return false;
	for (unsigned i = 0; i < decimals; i++)
		scale *= 10;
	for (; nfrac < decimals; nfrac++)
		frac *= 10;
	if (whole > (UINT64_MAX - frac) / scale)
		return false;
	*out = whole * scale + frac;
	return true;
}

/* An integer: digits only. */
static bool parse_u64(const char *v, uint64_t *out)
{
	return v && *v && strspn(v, "0123456789") == strlen(v) && parse_fixed(v, 0, out);
}

static uint64_t fixed_or_zero(const char *v, unsigned decimals)
{
	uint64_t n = 0;

	return parse_fixed(v, decimals, &n) ? n : 0;
}

void iomon_config_load(struct iomon_config *cfg)
{
	const char *start = getenv(IOMON_ENV_START_ON_OPEN);

	load_facility(cfg, getenv(IOMON_ENV_FACILITY));
	cfg->start_on_open = start && *start ? start : NULL;
	cfg->port = parse_port(getenv(IOMON_ENV_PORT));
	load_token(cfg, getenv(IOMON_ENV_TOKEN));
	cfg->domains = parse_domains(getenv(IOMON_ENV_DOMAINS));
	parse_prefixes(&cfg->paths, getenv(IOMON_ENV_PATHS));
	parse_prefixes(&cfg->exclude, getenv(IOMON_ENV_EXCLUDE));
	if (!parse_u64(getenv(IOMON_ENV_START_AT), &cfg->start_at_ns))
		cfg->start_at_ns = 0;
	cfg->start_after_ns = fixed_or_zero(getenv(IOMON_ENV_START_ON_ELAPSED), 9);
	cfg->slower_than_ns = fixed_or_zero(getenv(IOMON_ENV_SLOWER_THAN), 6);
	cfg->errors_only = is_on(getenv(IOMON_ENV_ERRORS_ONLY));
	cfg->filters_records = cfg->paths.n || cfg->exclude.n || cfg->slower_than_ns ||
			       cfg->errors_only;
	cfg->drop_when_full = is_on(getenv(IOMON_ENV_DROP));
	cfg->unbuffered = is_on(getenv(IOMON_ENV_UNBUFFERED));
}
