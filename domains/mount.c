/* The file systems domain's wrappers, generated from its table. */
#include <sys/mount.h>

#include "wrap.h"

#include "mount.def"
