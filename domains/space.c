/* The space domain's wrappers, generated from its table. */
#include <fcntl.h>
#include <unistd.h>

#include "wrap.h"

#include "space.def"
