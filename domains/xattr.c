/* The extended attributes domain's wrappers, generated from its table. */
#include <sys/types.h>
#include <sys/xattr.h>

#include "wrap.h"

#include "xattr.def"
