/*
 * Makes one record, then blocks in a call the library does not wrap
 * (poll on its standard input) until that input closes:
 *   blocker
 * The test sees whether the record reached the collector meanwhile.
 */
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "check.h"

int main(void)
{
	int fd = open("/dev/null", O_WRONLY);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1);
	struct pollfd in = { .fd = 0, .events = POLLIN };
	CHECK(poll(&in, 1, 60 * 1000) == 1);
	return 0;
}
