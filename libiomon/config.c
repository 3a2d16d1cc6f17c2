/*
 * The library's configuration, read once from the environment.
 *
 * The library never complains: it runs inside somebody else's program and
 * owns neither its stdout nor its stderr.  A bad value falls back to the
 * default; the launcher is where bad values get a message.
 */
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

void iomon_config_load(struct iomon_config *cfg)
{
	const char *start = getenv(IOMON_ENV_START_ON_OPEN);

	load_facility(cfg, getenv(IOMON_ENV_FACILITY));
	cfg->start_on_open = start && *start ? start : NULL;
	cfg->port = parse_port(getenv(IOMON_ENV_PORT));
	load_token(cfg, getenv(IOMON_ENV_TOKEN));
	cfg->domains = (UINT32_C(1) << IOMON_DOMAIN_COUNT) - 1;
	cfg->drop_when_full = is_on(getenv(IOMON_ENV_DROP));
	cfg->unbuffered = is_on(getenv(IOMON_ENV_UNBUFFERED));
}
