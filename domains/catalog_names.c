/* Prints the name of every wrapped function, one per line: what the
 * library must export, for the test that compares it with nm -D. */
#include <stdio.h>

#include "catalog.h"

int main(void)
{
	for (size_t i = 0; i < iomon_catalog_size; i++)
		printf("%s\n", iomon_catalog[i].name);
	return fflush(stdout) != 0;
}
