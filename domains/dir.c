/* The directory domains' wrappers, generated from their table. */
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wrap.h"

/*
 * Rules this table needs that wrap.h does not have yet.
 */

/* S2 DIRENT(ent): the name of a directory entry (struct dirent or
 * dirent64), "" for none: the end of the directory, or a failure. */
#define IOMON_STR_DIRENT(ent) iomon_str_c((ent) ? (ent)->d_name : "")


#include "dir.def"
