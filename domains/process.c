/* The process domain's wrappers, generated from its table. */
#include <stdlib.h>
#include <unistd.h>

#include "wrap.h"

#include "process.def"
