/*
 * Prints the linker options that route a test program's calls of every
 * wrapped function through the call log (calllog.c): --wrap=NAME, one a
 * line, for each row of the compiled-in domain tables, read as a response
 * file (-Wl,@FILE).
 */
#include <stdio.h>

#include "calllog.h"

#define WRAP_FLAG(NAME, ...) puts("--wrap=" #NAME);
#define IOMON_WRAP(RET, NAME, ...) WRAP_FLAG(NAME)
#define IOMON_WRAP_VOID WRAP_FLAG
#define IOMON_WRAP_VOID_EFFECT WRAP_FLAG
#define IOMON_WRAP_NORETURN WRAP_FLAG
#define IOMON_WRAP_EXEC WRAP_FLAG
#define IOMON_WRAP_AS(...)
#if CALLLOG_HANDWRITTEN
#define IOMON_HANDWRITTEN WRAP_FLAG
#else
#define IOMON_HANDWRITTEN(...)
#endif

int main(void)
{
#include "catalog_tables.h"
	return fflush(stdout) != 0;
}
