/* The links domain's wrappers, generated from its table. */
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "wrap.h"

/* S2 REMOVEDIR(flags): unlinkat's one flag, which makes it rmdir(2). */
#define IOMON_STR_REMOVEDIR(flags) iomon_str_c((flags) & AT_REMOVEDIR ? "AT_REMOVEDIR" : "")

#include "link.def"
