/*
 * Makes a known sequence of socket calls, one scenario per run:
 *   socket_calls DIR SCENARIO
 * over loopback and unix sockets only.  It prints its pid, then the values
 * the test cannot know in advance, one "name value" line each: the ports
 * the kernel chose and the inodes of sockets that have no address.  The
 * end-to-end test (tests/e2e/test_socket.c) asserts the records iomon makes
 * of each call; every result is checked here too, so a wrapper that changed
 * one fails the run (exit 1) whatever the records say.
 */
#undef _FORTIFY_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"

/* The old and the checking names, which no header declares without
 * _FORTIFY_SOURCE: calling them by name makes the test the same whatever
 * the compiler would route through them. */
int __connect(int fd, const struct sockaddr *addr, socklen_t len);
ssize_t __send(int fd, const void *buf, size_t len, int flags);
ssize_t __recv_chk(int fd, void *buf, size_t len, size_t buflen, int flags);
ssize_t __recvfrom_chk(int fd, void *buf, size_t len, size_t buflen, int flags,
		       struct sockaddr *addr, socklen_t *addrlen);

/* A call that must fail with err; errno is cleared first so that a stale
 * value cannot pass. */

#define SA(p) ((struct sockaddr *)(p))

static void say(const char *name, unsigned long value)
{
	printf("%s %lu\n", name, value);
}

static struct sockaddr_in loop4(in_port_t port)
{
	return (struct sockaddr_in){ .sin_family = AF_INET,
				     .sin_port = htons(port),
				     .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
}

static struct sockaddr_in6 loop6(in_port_t port)
{
	return (struct sockaddr_in6){ .sin6_family = AF_INET6,
				      .sin6_port = htons(port),
				      .sin6_addr = IN6ADDR_LOOPBACK_INIT };
}

/* The port the kernel gave a socket (getsockname() is not wrapped). */
static in_port_t port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	CHECK(getsockname(fd, SA(&ss), &len) == 0);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* What /proc/self/fd shows of a socket is "socket:[inode]". */
static unsigned long inode_of(int fd)
{
	struct stat st;

	CHECK(fstat(fd, &st) == 0);
	return (unsigned long)st.st_ino;
}

/* A unix address, and its length: a name that starts with '@' is abstract
 * (a leading NUL and no terminating one). */
static socklen_t unix_addr(struct sockaddr_un *un, const char *name)
{
	size_t n = strlen(name);

	memset(un, 0, sizeof(*un));
	un->sun_family = AF_UNIX;
	CHECK(n < sizeof(un->sun_path));
	memcpy(un->sun_path, name, n);
	if (name[0] == '@') {
		un->sun_path[0] = '\0';
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
	}
	return (socklen_t)sizeof(*un);
}

/* A TCP server and two clients in one thread over 127.0.0.1: loopback
 * completes a connect into the listen queue before accept() runs. */
static void tcp(void)
{
	char buf[16];
	struct sockaddr_in any = loop4(0), peer;
	socklen_t peer_len = sizeof(peer);

	int srv = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(srv >= 0);
	CHECK(bind(srv, SA(&any), sizeof(any)) == 0);
	in_port_t port = port_of(srv);
	say("server", port);
	CHECK(listen(srv, 8) == 0);
	struct sockaddr_in to = loop4(port);
	int cli = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(cli >= 0);
	CHECK(connect(cli, SA(&to), sizeof(to)) == 0);
	say("client", port_of(cli));
	int conn = accept(srv, SA(&peer), &peer_len);
	CHECK(conn >= 0 && peer_len == sizeof(peer) && peer.sin_port == htons(port_of(cli)));

	CHECK(send(cli, "ping", 4, 0) == 4);
	CHECK(recv(conn, buf, 4, MSG_WAITALL) == 4 && memcmp(buf, "ping", 4) == 0);
	CHECK(__send(conn, "pong!", 5, 0) == 5);
	CHECK(__recv_chk(cli, buf, 5, sizeof(buf), MSG_WAITALL) == 5 &&
	      memcmp(buf, "pong!", 5) == 0);
	CHECK_FAILS(recv(cli, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK(shutdown(cli, SHUT_WR) == 0);
	CHECK(recv(conn, buf, sizeof(buf), 0) == 0);
	CHECK(shutdown(conn, SHUT_RD) == 0);
	CHECK(shutdown(conn, SHUT_RDWR) == 0);
	CHECK_FAILS(shutdown(conn, 99), EINVAL);
	CHECK_FAILS(send(cli, "x", 1, MSG_NOSIGNAL), EPIPE);

	/* No address asked for: the library finds the peer itself. */
	int cli2 = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(cli2 >= 0);
	CHECK(__connect(cli2, SA(&to), sizeof(to)) == 0);
	say("client2", port_of(cli2));
	int conn2 = accept4(srv, NULL, NULL, SOCK_CLOEXEC);
	CHECK(conn2 >= 0);
	CHECK(send(conn2, "hi", 2, 0) == 2);

	CHECK_FAILS(accept(cli, NULL, NULL), EINVAL);
	CHECK_FAILS(accept4(srv, NULL, NULL, 1), EINVAL);
	CHECK_FAILS(listen(cli, 1), EINVAL);
	int other = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(other >= 0);
	CHECK_FAILS(bind(other, SA(&to), sizeof(to)), EADDRINUSE);
	/* A bound socket that does not listen refuses connections: a port
	 * that is certainly ours and certainly closed. */
	int deaf = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(deaf >= 0);
	CHECK(bind(deaf, SA(&any), sizeof(any)) == 0);
	struct sockaddr_in refused = loop4(port_of(deaf));
	say("refusing", port_of(deaf));
	CHECK_FAILS(connect(other, SA(&refused), sizeof(refused)), ECONNREFUSED);
	CHECK_FAILS(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);

	CHECK(close(deaf) == 0 && close(other) == 0 && close(conn2) == 0 && close(cli2) == 0);
	CHECK(close(conn) == 0 && close(cli) == 0 && close(srv) == 0);
}

/* The same over ::1, for the IPv6 form of addresses. */
static void tcp6(void)
{
	char buf[8];
	struct sockaddr_in6 any = loop6(0), peer;
	socklen_t peer_len = sizeof(peer);

	int srv = socket(AF_INET6, SOCK_STREAM, 0);
	CHECK(srv >= 0);
	CHECK(bind(srv, SA(&any), sizeof(any)) == 0);
	in_port_t port = port_of(srv);
	say("server", port);
	CHECK(listen(srv, 1) == 0);
	struct sockaddr_in6 to = loop6(port);
	int cli = socket(AF_INET6, SOCK_STREAM, 0);
	CHECK(cli >= 0);
	CHECK(connect(cli, SA(&to), sizeof(to)) == 0);
	say("client", port_of(cli));
	int conn = accept(srv, SA(&peer), &peer_len);
	CHECK(conn >= 0 && peer_len == sizeof(peer));
	CHECK(send(cli, "six", 3, 0) == 3);
	CHECK(recv(conn, buf, 3, MSG_WAITALL) == 3 && memcmp(buf, "six", 3) == 0);
	CHECK(close(conn) == 0 && close(cli) == 0 && close(srv) == 0);
}

/* Two unconnected UDP sockets, then one connected to the other. */
static void udp(void)
{
	char buf[16], name_buf[sizeof(struct sockaddr_storage)];
	struct sockaddr_in any = loop4(0), from;
	socklen_t from_len = sizeof(from);

	int a = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(a >= 0);
	CHECK(bind(a, SA(&any), sizeof(any)) == 0);
	say("a", port_of(a));
	int b = socket(AF_INET, SOCK_DGRAM, 0);
	CHECK(b >= 0);
	CHECK(bind(b, SA(&any), sizeof(any)) == 0);
	say("b", port_of(b));
	struct sockaddr_in to_a = loop4(port_of(a)), to_b = loop4(port_of(b));

	CHECK(sendto(b, "hello", 5, 0, SA(&to_a), sizeof(to_a)) == 5);
	CHECK(recvfrom(a, buf, sizeof(buf), 0, SA(&from), &from_len) == 5 &&
	      from.sin_port == to_b.sin_port);
	CHECK(sendto(b, "again!", 6, 0, SA(&to_a), sizeof(to_a)) == 6);
	from_len = sizeof(from);
	CHECK(__recvfrom_chk(a, buf, sizeof(buf), sizeof(buf), 0, SA(&from), &from_len) == 6);
	CHECK_FAILS(sendto(b, "x", 1, 0, NULL, 0), EDESTADDRREQ);
	CHECK(sendto(a, "to b", 4, 0, SA(&to_b), sizeof(to_b)) == 4);
	CHECK(recvfrom(b, buf, sizeof(buf), 0, NULL, NULL) == 4);
	from_len = sizeof(from);
	CHECK_FAILS(recvfrom(a, buf, sizeof(buf), MSG_DONTWAIT, SA(&from), &from_len), EAGAIN);

	CHECK(connect(b, SA(&to_a), sizeof(to_a)) == 0);
	struct iovec iov[2] = { { "ab", 2 }, { "cde", 3 } }, in = { buf, sizeof(buf) };
	struct msghdr out = { .msg_iov = iov, .msg_iovlen = 2 };
	CHECK(sendmsg(b, &out, 0) == 5);
	struct msghdr msg = { .msg_name = name_buf, .msg_namelen = sizeof(name_buf),
			      .msg_iov = &in, .msg_iovlen = 1 };
	CHECK(recvmsg(a, &msg, 0) == 5 && memcmp(buf, "abcde", 5) == 0);
	out.msg_name = &to_b;
	out.msg_namelen = sizeof(to_b);
	CHECK(sendmsg(a, &out, 0) == 5);
	msg = (struct msghdr){ .msg_iov = &in, .msg_iovlen = 1 };
	CHECK(recvmsg(b, &msg, 0) == 5);
	out = (struct msghdr){ .msg_iov = iov, .msg_iovlen = 2 };
	CHECK_FAILS(sendmsg(a, &out, 0), EDESTADDRREQ);
	CHECK_FAILS(recvmsg(b, &msg, MSG_DONTWAIT), EAGAIN);

	struct iovec parts[3] = { { "1", 1 }, { "22", 2 }, { "333", 3 } };
	struct mmsghdr batch[3];
	memset(batch, 0, sizeof(batch));
	for (int i = 0; i < 3; i++) {
		batch[i].msg_hdr.msg_iov = &parts[i];
		batch[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK(sendmmsg(b, batch, 3, 0) == 3);
	char slots[3][8];
	struct iovec slot_iov[3];
	memset(batch, 0, sizeof(batch));
	for (int i = 0; i < 3; i++) {
		slot_iov[i] = (struct iovec){ slots[i], sizeof(slots[i]) };
		batch[i].msg_hdr.msg_iov = &slot_iov[i];
		batch[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK(recvmmsg(a, batch, 3, 0, NULL) == 3 && batch[2].msg_len == 3 &&
	      memcmp(slots[2], "333", 3) == 0);
	CHECK_FAILS(sendmmsg(a, batch, 1, 0), EDESTADDRREQ);
	CHECK_FAILS(recvmmsg(a, batch, 3, MSG_DONTWAIT, NULL), EAGAIN);
	CHECK(close(b) == 0 && close(a) == 0);
}

/* Unix stream sockets: a server on a path with a client bound to an
 * abstract name, then a server on an abstract name with an unnamed client. */
static void unix_stream(void)
{
	char buf[8], path[4200], name[64];
	struct sockaddr_un sa, peer;
	socklen_t peer_len = sizeof(peer);

	snprintf(path, sizeof(path), "%s/s.sock", dir);
	int srv = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(srv >= 0);
	socklen_t len = unix_addr(&sa, path);
	CHECK(bind(srv, SA(&sa), len) == 0);
	CHECK(listen(srv, 4) == 0);
	int cli = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(cli >= 0);
	snprintf(name, sizeof(name), "@iomon-client-%d", (int)getpid());
	len = unix_addr(&sa, name);
	CHECK(bind(cli, SA(&sa), len) == 0);
	len = unix_addr(&sa, path);
	CHECK(connect(cli, SA(&sa), len) == 0);
	int conn = accept(srv, SA(&peer), &peer_len);
	CHECK(conn >= 0 && peer.sun_path[0] == '\0');
	CHECK(send(cli, "over", 4, 0) == 4);
	CHECK(recv(conn, buf, 4, MSG_WAITALL) == 4 && memcmp(buf, "over", 4) == 0);

	int asrv = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(asrv >= 0);
	snprintf(name, sizeof(name), "@iomon-server-%d", (int)getpid());
	len = unix_addr(&sa, name);
	CHECK(bind(asrv, SA(&sa), len) == 0);
	CHECK(listen(asrv, 4) == 0);
	int acli = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(acli >= 0);
	CHECK(connect(acli, SA(&sa), len) == 0);
	int aconn = accept(asrv, NULL, NULL);
	CHECK(aconn >= 0);
	say("inode", inode_of(aconn));
	CHECK(send(acli, "x", 1, 0) == 1);
	CHECK(recv(aconn, buf, 1, 0) == 1);
	CHECK(close(acli) == 0);
	CHECK_FAILS(send(aconn, "x", 1, MSG_NOSIGNAL), EPIPE);

	int other = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(other >= 0);
	len = unix_addr(&sa, path);
	CHECK_FAILS(bind(other, SA(&sa), len), EADDRINUSE);
	snprintf(path, sizeof(path), "%s/missing.sock", dir);
	len = unix_addr(&sa, path);
	CHECK_FAILS(connect(other, SA(&sa), len), ENOENT);
	CHECK(close(other) == 0 && close(aconn) == 0 && close(asrv) == 0);
	CHECK(close(conn) == 0 && close(cli) == 0 && close(srv) == 0);
}

/* A connected pair: neither end has an address. */
static void pair(void)
{
	int sv[2], bad[2];
	char buf[8], name_buf[sizeof(struct sockaddr_un)];

	CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	say("inode0", inode_of(sv[0]));
	say("inode1", inode_of(sv[1]));
	CHECK(send(sv[0], "abc", 3, 0) == 3);
	CHECK(recv(sv[1], buf, 3, MSG_WAITALL) == 3 && memcmp(buf, "abc", 3) == 0);
	struct iovec iov[2] = { { "de", 2 }, { "fg", 2 } }, in = { buf, 4 };
	struct msghdr out = { .msg_iov = iov, .msg_iovlen = 2 };
	CHECK(sendmsg(sv[1], &out, 0) == 4);
	/* A stream from an unnamed peer reports no sender. */
	struct msghdr msg = { .msg_name = name_buf, .msg_namelen = sizeof(name_buf),
			      .msg_iov = &in, .msg_iovlen = 1 };
	CHECK(recvmsg(sv[0], &msg, MSG_WAITALL) == 4 && memcmp(buf, "defg", 4) == 0);
	CHECK_FAILS(socketpair(AF_INET, SOCK_STREAM, 0, bad), EOPNOTSUPP);
	CHECK(close(sv[1]) == 0);
	CHECK_FAILS(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK(close(sv[0]) == 0);
}

/* The old and checking names failing, on a socket that is not connected
 * and on a descriptor that is not open. */
static void unconnected(void)
{
	char buf[8];
	struct sockaddr_in to = loop4(9);

	int fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd == 3);
	say("inode", inode_of(fd));
	CHECK_FAILS(__send(fd, "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_FAILS(__recv_chk(fd, buf, sizeof(buf), sizeof(buf), 0), ENOTCONN);
	CHECK_FAILS(__recvfrom_chk(fd, buf, sizeof(buf), sizeof(buf), 0, NULL, NULL), ENOTCONN);
	CHECK_FAILS(__connect(-1, SA(&to), sizeof(to)), EBADF);
	CHECK(close(fd) == 0);
}

static const struct scenario scenarios[] = {
	{ "tcp", tcp }, { "tcp6", tcp6 }, { "udp", udp }, { "unix", unix_stream }, { "pair", pair },
	{ "unconnected", unconnected },
};

int main(int argc, char **argv)
{
	return run_scenario(argc, argv, SCENARIOS(scenarios), NULL);
}
