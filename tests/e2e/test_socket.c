/*
 * The socket domain, end to end: each scenario of tests/progs/socket_calls.c
 * runs under the real launcher, and its records are asserted call by call.
 * Only loopback and unix sockets are used, and only ports the kernel gave
 * the program, which prints them; the collector's own port is never named.
 * That the library's own connection to the collector leaves no record is
 * asserted by the exact count of each run's socket records.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "codes.h"
#include "harness.h"


TestSuite(socket, .fini = scratch_cleanup, .timeout = 60);

/* Runs a scenario, checks what every record shares and the START record,
 * and leaves only the socket records, so that record i is the scenario's
 * socket call i. */
static void run_scenario(struct run *r, const char *scenario)
{
	run_traced(r, NONE, LIST(prog_path("socket_calls"), scratch_dir(), scenario), NONE);
	expect_scenario_ran(r, "socket_calls", scenario);
	drop_first(r);
	keep_domains(r, MASK(SOCKETS));
}

/* The value of a "name value" line the program printed. */
static unsigned long printed(const struct run *r, const char *name)
{
	size_t len = strlen(name);

	for (const char *line = r->out; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (strncmp(line, name, len) == 0 && line[len] == ' ')
			return strtoul(line + len + 1, NULL, 10);
	}
	cr_assert_fail("the program printed no '%s': %s", name, r->out);
	return 0;
}

/* Formatted text, in one of a few buffers that stay valid for a while. */
__attribute__((format(printf, 1, 2))) static const char *text(const char *format, ...)
{
	static char buf[16][4400];
	static unsigned next;
	char *p = buf[next++ % 16];
	va_list ap;

	va_start(ap, format);
	vsnprintf(p, sizeof(buf[0]), format, ap);
	va_end(ap);
	return p;
}

static const char *ipv4(unsigned long port)
{
	return text("127.0.0.1:%lu", port);
}

static const char *ipv6(unsigned long port)
{
	return text("[::1]:%lu", port);
}

/* A socket the library did not see named, as /proc/self/fd shows it. */
static const char *sock_inode(const struct run *r, const char *name)
{
	return text("socket:[%lu]", printed(r, name));
}

Test(socket, tcp_over_ipv4)
{
	struct run r;
	size_t i = 0;

	run_scenario(&r, "tcp");
	const char *srv = ipv4(printed(&r, "server")), *cli = ipv4(printed(&r, "client"));
	const char *cli2 = ipv4(printed(&r, "client2")), *refusing = ipv4(printed(&r, "refusing"));
	/* bind names the listening socket by the address asked for. */
	const char *any = ipv4(0);

	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 3, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(BIND), 0, 3, 0, any, "");
	expect_rec(&r, i++, D(SOCKETS), O(LISTEN), 0, 3, 0, any, "8");
	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 4, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(CONNECT), 0, 4, 0, srv, "");
	/* accept: the new descriptor, its peer, and the listening socket. */
	expect_rec(&r, i++, D(SOCKETS), O(ACCEPT), 0, 5, 0, cli, any);
	/* From here on, each connected descriptor is known by its peer. */
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), 0, 4, 4, srv, "");	/* send */
	expect_rec(&r, i++, D(SOCKETS), O(READ), 0, 5, 4, cli, "");	/* recv */
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), 0, 5, 5, cli, "");	/* __send */
	expect_rec(&r, i++, D(SOCKETS), O(READ), 0, 4, 5, srv, "");	/* __recv_chk */
	expect_rec(&r, i++, D(SOCKETS), O(READ), EAGAIN, 4, 0, srv, "");
	expect_rec(&r, i++, D(SOCKETS), O(SHUTDOWN), 0, 4, 0, srv, "SHUT_WR");
	expect_rec(&r, i++, D(SOCKETS), O(READ), 0, 5, 0, cli, "");	/* the end */
	expect_rec(&r, i++, D(SOCKETS), O(SHUTDOWN), 0, 5, 0, cli, "SHUT_RD");
	expect_rec(&r, i++, D(SOCKETS), O(SHUTDOWN), 0, 5, 0, cli, "SHUT_RDWR");
	expect_rec(&r, i++, D(SOCKETS), O(SHUTDOWN), EINVAL, 5, 0, cli, "99");
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), EPIPE, 4, 0, srv, "");
	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 6, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(CONNECT), 0, 6, 0, srv, "");	/* __connect */
	/* accept4 with no address: the library asked the kernel for the peer. */
	expect_rec(&r, i++, D(SOCKETS), O(ACCEPT), 0, 7, 0, cli2, any);
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), 0, 7, 2, cli2, "");
	expect_rec(&r, i++, D(SOCKETS), O(ACCEPT), EINVAL, -1, 0, "", srv);	/* not listening */
	expect_rec(&r, i++, D(SOCKETS), O(ACCEPT), EINVAL, -1, 0, "", any);	/* bad flags */
	expect_rec(&r, i++, D(SOCKETS), O(LISTEN), EINVAL, 4, 0, srv, "1");
	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 8, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(BIND), EADDRINUSE, 8, 0, srv, "");
	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 9, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(BIND), 0, 9, 0, any, "");
	expect_rec(&r, i++, D(SOCKETS), O(CONNECT), ECONNREFUSED, 8, 0, refusing, "");
	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), EPROTONOSUPPORT, -1, 0, "", "");
	cr_assert_eq(r.nrecs, i, "%zu socket records, expected %zu", r.nrecs, i);
	run_free(&r);
}

/* Whether this machine can bind a socket to ::1 (a container may have no
 * IPv6 at all). */
static bool have_ipv6_loopback(char *why, size_t size)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;

	if (!ok)
		snprintf(why, size, "%s", strerror(errno));
	if (fd >= 0)
		close(fd);
	return ok;
}

Test(socket, tcp_over_ipv6)
{
	struct run r;
	size_t i = 0;
	char why[128];

	if (!have_ipv6_loopback(why, sizeof(why)))
		cr_skip_test("no IPv6 loopback here (binding ::1: %s): IPv6 addresses untested",
			     why);
	run_scenario(&r, "tcp6");
	const char *srv = ipv6(printed(&r, "server")), *cli = ipv6(printed(&r, "client"));

	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 3, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(BIND), 0, 3, 0, ipv6(0), "");
	expect_rec(&r, i++, D(SOCKETS), O(LISTEN), 0, 3, 0, ipv6(0), "1");
	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 4, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(CONNECT), 0, 4, 0, srv, "");
	expect_rec(&r, i++, D(SOCKETS), O(ACCEPT), 0, 5, 0, cli, ipv6(0));
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), 0, 4, 3, srv, "");
	expect_rec(&r, i++, D(SOCKETS), O(READ), 0, 5, 3, cli, "");
	cr_assert_eq(r.nrecs, i, "%zu socket records, expected %zu", r.nrecs, i);
	run_free(&r);
}

Test(socket, udp)
{
	struct run r;
	size_t i = 0;

	run_scenario(&r, "udp");
	const char *a = ipv4(printed(&r, "a")), *b = ipv4(printed(&r, "b")), *any = ipv4(0);

	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 3, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(BIND), 0, 3, 0, any, "");
	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 4, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(BIND), 0, 4, 0, any, "");
	/* sendto: the destination; recvfrom: the sender, when asked for. */
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), 0, 4, 5, a, "");	/* sendto */
	expect_rec(&r, i++, D(SOCKETS), O(READ), 0, 3, 5, b, "");	/* recvfrom */
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), 0, 4, 6, a, "");	/* sendto */
	expect_rec(&r, i++, D(SOCKETS), O(READ), 0, 3, 6, b, "");	/* __recvfrom_chk */
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), EDESTADDRREQ, 4, 0, any, "");	/* no address */
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), 0, 3, 4, b, "");	/* sendto */
	expect_rec(&r, i++, D(SOCKETS), O(READ), 0, 4, 4, any, "");	/* recvfrom, no address */
	expect_rec(&r, i++, D(SOCKETS), O(READ), EAGAIN, 3, 0, any, "");	/* recvfrom */
	expect_rec(&r, i++, D(SOCKETS), O(CONNECT), 0, 4, 0, a, "");
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), 0, 4, 5, a, "");	/* sendmsg, connected */
	expect_rec(&r, i++, D(SOCKETS), O(READ), 0, 3, 5, b, "");	/* recvmsg, msg_name */
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), 0, 3, 5, b, "");	/* sendmsg, msg_name */
	expect_rec(&r, i++, D(SOCKETS), O(READ), 0, 4, 5, a, "");	/* recvmsg, no name */
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), EDESTADDRREQ, 3, 0, any, "");	/* sendmsg */
	expect_rec(&r, i++, D(SOCKETS), O(READ), EAGAIN, 4, 0, a, "");	/* recvmsg */
	/* The mmsg calls count messages; the bytes are their msg_len summed. */
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), 0, 4, 6, a, "");	/* sendmmsg */
	expect_rec(&r, i++, D(SOCKETS), O(READ), 0, 3, 6, any, "");	/* recvmmsg */
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), EDESTADDRREQ, 3, 0, any, "");	/* sendmmsg */
	expect_rec(&r, i++, D(SOCKETS), O(READ), EAGAIN, 3, 0, any, "");	/* recvmmsg */
	cr_assert_eq(r.nrecs, i, "%zu socket records, expected %zu", r.nrecs, i);
	run_free(&r);
}

Test(socket, unix_stream)
{
	struct run r;
	size_t i = 0;
	const char *path = scratch_file("s.sock");

	run_scenario(&r, "unix");
	const char *client = text("@iomon-client-%d", printed_pid(&r));
	const char *server = text("@iomon-server-%d", printed_pid(&r));
	const char *unnamed = sock_inode(&r, "inode");

	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 3, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(BIND), 0, 3, 0, path, "");
	expect_rec(&r, i++, D(SOCKETS), O(LISTEN), 0, 3, 0, path, "4");
	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 4, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(BIND), 0, 4, 0, client, "");
	expect_rec(&r, i++, D(SOCKETS), O(CONNECT), 0, 4, 0, path, "");
	expect_rec(&r, i++, D(SOCKETS), O(ACCEPT), 0, 5, 0, client, path);
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), 0, 4, 4, path, "");
	expect_rec(&r, i++, D(SOCKETS), O(READ), 0, 5, 4, client, "");
	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 6, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(BIND), 0, 6, 0, server, "");
	expect_rec(&r, i++, D(SOCKETS), O(LISTEN), 0, 6, 0, server, "4");
	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 7, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(CONNECT), 0, 7, 0, server, "");
	/* The client has no address: the new descriptor gets no name, and is
	 * then known as the kernel shows it. */
	expect_rec(&r, i++, D(SOCKETS), O(ACCEPT), 0, 8, 0, "", server);
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), 0, 7, 1, server, "");
	expect_rec(&r, i++, D(SOCKETS), O(READ), 0, 8, 1, unnamed, "");
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), EPIPE, 8, 0, unnamed, "");	/* peer closed */
	/* A new socket on a reused descriptor does not inherit its name. */
	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 7, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(BIND), EADDRINUSE, 7, 0, path, "");
	expect_rec(&r, i++, D(SOCKETS), O(CONNECT), ENOENT, 7, 0, scratch_file("missing.sock"),
		   "");
	cr_assert_eq(r.nrecs, i, "%zu socket records, expected %zu", r.nrecs, i);
	run_free(&r);
}

Test(socket, socketpair)
{
	struct run r;
	size_t i = 0;

	run_scenario(&r, "pair");
	const char *end0 = sock_inode(&r, "inode0"), *end1 = sock_inode(&r, "inode1");

	/* fd is the first descriptor, s2 the second. */
	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), 0, 3, 0, "", "4");
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), 0, 3, 3, end0, "");	/* send */
	expect_rec(&r, i++, D(SOCKETS), O(READ), 0, 4, 3, end1, "");	/* recv */
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), 0, 4, 4, end1, "");	/* sendmsg */
	/* recvmsg asked for the sender, which has no address. */
	expect_rec(&r, i++, D(SOCKETS), O(READ), 0, 3, 4, end0, "");
	expect_rec(&r, i++, D(SOCKETS), O(SOCKET), EOPNOTSUPP, -1, 0, "", "");
	expect_rec(&r, i++, D(SOCKETS), O(WRITE), EPIPE, 3, 0, end0, "");
	cr_assert_eq(r.nrecs, i, "%zu socket records, expected %zu", r.nrecs, i);
	run_free(&r);
}

/* The old and checking names failing: unconnected, and on no descriptor. */
Test(socket, unconnected)
{
	struct run r;

	run_scenario(&r, "unconnected");
	const char *sock = sock_inode(&r, "inode");
	expect_rec(&r, 0, D(SOCKETS), O(SOCKET), 0, 3, 0, "", "");
	expect_rec(&r, 1, D(SOCKETS), O(WRITE), EPIPE, 3, 0, sock, "");	/* __send */
	expect_rec(&r, 2, D(SOCKETS), O(READ), ENOTCONN, 3, 0, sock, "");	/* __recv_chk */
	expect_rec(&r, 3, D(SOCKETS), O(READ), ENOTCONN, 3, 0, sock, "");	/* __recvfrom_chk */
	expect_rec(&r, 4, D(SOCKETS), O(CONNECT), EBADF, -1, 0, ipv4(9), "");	/* __connect */
	cr_assert_eq(r.nrecs, 5, "%zu records, expected 5", r.nrecs);
	run_free(&r);
}

Test(socket, old_and_checking_names_are_the_ones_called)
{
	struct run nm;

	run_command(&nm, LIST("/usr/bin/nm", "-D", "--undefined-only", prog_path("socket_calls")),
		    NONE);
	cr_assert_eq(nm.status, 0, "nm failed: %s", nm.err);
	for (const char *const *sym = LIST("__connect", "__send", "__recv_chk", "__recvfrom_chk");
	     *sym; sym++)
		cr_assert(strstr(nm.out, text(" %s@", *sym)), "socket_calls does not call %s:\n%s",
			  *sym, nm.out);
	run_free(&nm);
}
