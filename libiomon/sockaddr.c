/* Socket addresses as the text of a record's s1: see iomon.h. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "iomon.h"

static char *put_port(char *p, uint16_t port)
{
	*p++ = ':';
	p = iomon_put_u64(p, ntohs(port));
	*p = '\0';
	return p;
}

const char *iomon_sockaddr_str(const void *addr, unsigned len, char buf[static 128])
{
	const struct sockaddr *sa = addr;

	buf[0] = '\0';
	if (!sa || len < sizeof(sa_family_t))
		return buf;
	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = addr;
		if (len < sizeof(*in) || !inet_ntop(AF_INET, &in->sin_addr, buf, 128))
			break;
		put_port(buf + strlen(buf), in->sin_port);
		break;
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = addr;
		buf[0] = '[';
		if (len < sizeof(*in6) || !inet_ntop(AF_INET6, &in6->sin6_addr, buf + 1, 100)) {
			buf[0] = '\0';
			break;
		}
		char *p = buf + strlen(buf);
		*p++ = ']';
		put_port(p, in6->sin6_port);
		break;
	}
	case AF_UNIX: {
		const struct sockaddr_un *un = addr;
		size_t n = len - offsetof(struct sockaddr_un, sun_path);
		if (len <= offsetof(struct sockaddr_un, sun_path))
			break;	/* unnamed */
		if (n > sizeof(un->sun_path))
			n = sizeof(un->sun_path);
		/* An abstract name starts with a NUL; show it as "@name". */
		const char *path = un->sun_path;
		size_t at = 0;
		if (path[0] == '\0') {
			buf[at++] = '@';
			path++;
			n--;
		}
		n = strnlen(path, n);
		if (n > 127 - at)
			n = 127 - at;
		memcpy(buf + at, path, n);
		buf[at + n] = '\0';
		break;
	}
	}
	return buf;
}
