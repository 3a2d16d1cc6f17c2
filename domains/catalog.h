/*
 * The catalog: every wrapped function of the compiled-in domains, as data.
 * Built from the same tables as the wrappers, for the tools that list them
 * (the man page, the tests), without defining any wrapper.
 */
#ifndef IOMON_CATALOG_H
#define IOMON_CATALOG_H

#include <stddef.h>
#include <stdint.h>

struct iomon_catalog_entry {
	const char *name;
	const char *table;	/* the domains/<table>.def it comes from */
	uint16_t domain;
	uint16_t op;
	const char *params;
};

extern const struct iomon_catalog_entry iomon_catalog[];
extern const size_t iomon_catalog_size;

#endif
