/*
 * Another local user's process, as far as the collector can tell: it reads
 * the collector's port from the environment and connects without the
 * session token, to slip a record in.  Prints nothing; exits 0 once sent.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	static const char forged[] = "evil,1,0.000000,1,13,0,0,3,0,/etc/shadow,\n";
	const char *port = getenv("IOMON_PORT");
	struct sockaddr_in addr = { .sin_family = AF_INET,
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

	if (!port)
		return 2;
	addr.sin_port = htons((unsigned short)atoi(port));
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0)
		return 1;
	if (write(fd, forged, strlen(forged)) != (ssize_t)strlen(forged))
		return 1;
	close(fd);
	return 0;
}
