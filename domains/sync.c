/* The sync domain's wrappers, generated from its table. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "wrap.h"

#include "sync.def"
