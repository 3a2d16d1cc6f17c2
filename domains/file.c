/* The file domain's wrappers, generated from its table. */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wrap.h"

#include "file.def"
