/* The catalog (see catalog.h): each row of each table, as data. */
#include "catalog.h"
#include "codes.h"

#define IOMON_WRAP(RET, NAME, PARAMS, ARGS, DOMAIN, OP, ...) \
	{ #NAME, TABLE, IOMON_DOMAIN_##DOMAIN, IOMON_OP_##OP, #PARAMS },
#define IOMON_WRAP_AS(...)
#define IOMON_WRAP_NORETURN(NAME, PARAMS, ARGS, DOMAIN, OP, ...) \
	{ #NAME, TABLE, IOMON_DOMAIN_##DOMAIN, IOMON_OP_##OP, #PARAMS },
#define IOMON_WRAP_EXEC(NAME, PARAMS, ARGS, DOMAIN, OP, ...) \
	{ #NAME, TABLE, IOMON_DOMAIN_##DOMAIN, IOMON_OP_##OP, #PARAMS },
#define IOMON_WRAP_VOID(NAME, PARAMS, ARGS, DOMAIN, OP, ...) \
	{ #NAME, TABLE, IOMON_DOMAIN_##DOMAIN, IOMON_OP_##OP, #PARAMS },
#define IOMON_WRAP_VOID_EFFECT(NAME, PARAMS, ARGS, DOMAIN, OP, ...) \
	{ #NAME, TABLE, IOMON_DOMAIN_##DOMAIN, IOMON_OP_##OP, #PARAMS },
#define IOMON_HANDWRITTEN(NAME, DOMAIN, OP) \
	{ #NAME, TABLE, IOMON_DOMAIN_##DOMAIN, IOMON_OP_##OP, "(...)" },

const struct iomon_catalog_entry iomon_catalog[] = {
#include "catalog_tables.h"
};

const size_t iomon_catalog_size = sizeof(iomon_catalog) / sizeof(iomon_catalog[0]);
