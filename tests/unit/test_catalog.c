/*
 * Unit tests for domains/catalog.c: every wrapped function, as data.
 * A bad row here is a wrapper that records the wrong codes, or none.
 */
#include <dlfcn.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "catalog.h"
#include "codes.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct iomon_catalog_entry *find(const char *name)
{
	for (size_t i = 0; i < iomon_catalog_size; i++)
		if (strcmp(iomon_catalog[i].name, name) == 0)
			return &iomon_catalog[i];
	return NULL;
}

Test(catalog, is_not_empty)
{
	cr_assert(iomon_catalog_size > 0, "the catalog has no entry");
}

Test(catalog, every_entry_is_well_formed)
{
	for (size_t i = 0; i < iomon_catalog_size; i++) {
		const struct iomon_catalog_entry *e = &iomon_catalog[i];

		cr_assert(e->name != NULL && e->name[0] != '\0', "entry %zu has no name", i);
		cr_assert(e->table != NULL && e->table[0] != '\0', "%s: no table", e->name);
		cr_assert(e->params != NULL && e->params[0] == '(', "%s: no parameter list",
			  e->name);
		cr_assert(e->domain < IOMON_DOMAIN_COUNT, "%s: domain %u out of range", e->name,
			  (unsigned)e->domain);
		cr_assert(e->op < IOMON_OP_COUNT, "%s: op %u out of range", e->name,
			  (unsigned)e->op);
	}
}

Test(catalog, no_name_twice)
{
	for (size_t i = 0; i < iomon_catalog_size; i++)
		for (size_t j = i + 1; j < iomon_catalog_size; j++)
			cr_assert(strcmp(iomon_catalog[i].name, iomon_catalog[j].name) != 0,
				  "%s is entries %zu and %zu", iomon_catalog[i].name, i, j);
}

/* A row naming a symbol the C library does not have would wrap nothing. */
Test(catalog, every_name_is_a_libc_symbol)
{
	for (size_t i = 0; i < iomon_catalog_size; i++)
		cr_assert(dlsym(RTLD_DEFAULT, iomon_catalog[i].name) != NULL,
			  "%s: no such symbol", iomon_catalog[i].name);
}

/* The name is an array: Criterion hands each case to a fresh process, where
 * a pointer from the generator would mean nothing. */
struct known_case {
	char name[32];
	unsigned domain;
	unsigned op;
};

ParameterizedTestParameters(catalog, known_entries)
{
	static struct known_case cases[] = {
		{ "open", IOMON_DOMAIN_FILE_OPEN_CLOSE, IOMON_OP_OPEN },
		{ "openat", IOMON_DOMAIN_FILE_OPEN_CLOSE, IOMON_OP_OPEN },
		{ "fopen", IOMON_DOMAIN_FILE_OPEN_CLOSE, IOMON_OP_OPEN },
		{ "close", IOMON_DOMAIN_FILE_OPEN_CLOSE, IOMON_OP_CLOSE },
		{ "read", IOMON_DOMAIN_FILE_READ, IOMON_OP_READ },
		{ "__read_chk", IOMON_DOMAIN_FILE_READ, IOMON_OP_READ },
		{ "write", IOMON_DOMAIN_FILE_WRITE, IOMON_OP_WRITE },
		{ "fprintf", IOMON_DOMAIN_FILE_WRITE, IOMON_OP_WRITE },
		{ "fflush", IOMON_DOMAIN_SYNCS, IOMON_OP_FLUSH },
	};
	return cr_make_param_array(struct known_case, cases, ARRAY_LEN(cases));
}

ParameterizedTest(struct known_case *c, catalog, known_entries)
{
	const struct iomon_catalog_entry *e = find(c->name);

	cr_assert(e != NULL, "%s is not in the catalog", c->name);
	cr_assert_eq(e->domain, c->domain, "%s: domain %u, want %u", c->name, (unsigned)e->domain,
		     c->domain);
	cr_assert_eq(e->op, c->op, "%s: op %u, want %u", c->name, (unsigned)e->op, c->op);
}
