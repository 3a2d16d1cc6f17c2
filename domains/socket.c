/*
 * The socket domain's wrappers, generated from its table, and the column
 * rules only sockets need.
 */
#include <stdint.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "wrap.h"

/* The address a call names (sendto's destination, recvfrom's sender), or,
 * when it names none, the descriptor's path, as send() and recv() record:
 * a connected TCP socket's recvfrom() reports no sender. */
static inline struct iomon_str socket_addr_or_fd(const void *addr, socklen_t len, int fd,
						 char buf[static 128])
{
	if (addr && iomon_sockaddr_str(addr, len, buf)[0])
		return iomon_str_c(buf);
	return iomon_str_fd(fd);
}

/* The peer of a descriptor accept() made when its caller did not ask for
 * the address.  A direct system call: getpeername() is a C library
 * function a table may wrap. */
static inline const char *socket_peer_str(int fd, char buf[static 128])
{
	struct sockaddr_storage peer;
	socklen_t len = sizeof(peer);

	if (syscall(SYS_getpeername, fd, &peer, &len) != 0) {
		buf[0] = '\0';
		return buf;
	}
	return iomon_sockaddr_str(&peer, len, buf);
}

static inline const char *socket_shut_str(int how, char buf[static 24])
{
	switch (how) {
	case SHUT_RD:
		return "SHUT_RD";
	case SHUT_WR:
		return "SHUT_WR";
	case SHUT_RDWR:
		return "SHUT_RDWR";
	default:
		return iomon_int_str(how, buf);
	}
}

/* sendmmsg() and recvmmsg() return a count of messages; the bytes are in
 * each message's msg_len. */
static inline uint64_t socket_mmsg_bytes(const struct mmsghdr *msgs, int n)
{
	uint64_t bytes = 0;

	for (int i = 0; i < n; i++)
		bytes += msgs[i].msg_len;
	return bytes;
}

/* BYTES MMSG(msgs): the bytes of the messages sent or received. */
#define IOMON_BYTES_MMSG(msgs) (failed ? 0 : socket_mmsg_bytes(msgs, ret))

/* S1 DEST(addr, len): the destination, if the call names one; else the
 * fd's path.  MSG_DEST(msg): the same from a struct msghdr. */
#define IOMON_STR_DEST(addr, len) socket_addr_or_fd(addr, len, call.rec.fd, call.s1buf)
#define IOMON_STR_MSG_DEST(msg) \
	((msg) ? IOMON_STR_DEST((msg)->msg_name, (msg)->msg_namelen) : iomon_str_fd(call.rec.fd))
/*
 * An address the call writes back is truncated to the caller's buffer, but
 * the length it writes back is the address's whole length: so the size of
 * the buffer is kept before the call, and no more than that is read.  The
 * FD rules of these rows keep it: RET_CAP(lenp) and ARG_CAP(fd, lenp) are
 * RET and ARG(fd) that also keep *lenp; ARG_CAP_MSG(fd, msg) keeps
 * msg->msg_namelen.
 */
#define IOMON_FD_BEFORE_RET_CAP(lenp) socklen_t addr_cap = (lenp) ? *(lenp) : 0
#define IOMON_FD_AFTER_RET_CAP(lenp) IOMON_FD_AFTER_RET
#define IOMON_FD_BEFORE_ARG_CAP(fd, lenp) \
	call.rec.fd = (fd);               \
	socklen_t addr_cap = (lenp) ? *(lenp) : 0
#define IOMON_FD_AFTER_ARG_CAP(fd, lenp) (void)0
#define IOMON_FD_BEFORE_ARG_CAP_MSG(fd, msg) \
	call.rec.fd = (fd);                  \
	socklen_t addr_cap = (msg) ? (msg)->msg_namelen : 0
#define IOMON_FD_AFTER_ARG_CAP_MSG(fd, msg) (void)0
#define IOMON_FD_OWN_RET_CAP(lenp) 0
#define IOMON_FD_OWN_ARG_CAP(fd, lenp) iomon_fd_is_own(fd)
#define IOMON_FD_OWN_ARG_CAP_MSG(fd, msg) iomon_fd_is_own(fd)
#define ADDR_LEN(len) ((len) < addr_cap ? (len) : addr_cap)

/* S1 SOURCE(addr, lenp): the sender from the out-parameters, if the caller
 * asked for it and there is one; else the fd's path.  MSG_SOURCE(msg): the
 * same from a struct msghdr.  A failed call wrote neither. */
#define IOMON_STR_SOURCE(addr, lenp) \
	(failed || !(lenp) ? iomon_str_fd(call.rec.fd) : IOMON_STR_DEST(addr, ADDR_LEN(*(lenp))))
#define IOMON_STR_MSG_SOURCE(msg)                                                       \
	(failed || !(msg) ? iomon_str_fd(call.rec.fd)                                    \
			  : IOMON_STR_DEST((msg)->msg_name, ADDR_LEN((msg)->msg_namelen)))
/* S1 PEER(addr, lenp): accept()'s peer, from the out-parameters or, when
 * the caller passed none, from the new descriptor. */
#define IOMON_STR_PEER(addr, lenp)                                                       \
	((addr) && (lenp) ? iomon_str_c(failed ? ""                                       \
					       : iomon_sockaddr_str(addr, ADDR_LEN(*(lenp)), \
								    call.s1buf))          \
			  : iomon_str_c(failed ? "" : socket_peer_str((int)ret, call.s1buf)))
/* S2 SHUT_HOW(how): "SHUT_RD", "SHUT_WR", "SHUT_RDWR", or the number. */
#define IOMON_STR_SHUT_HOW(how) iomon_str_c(socket_shut_str(how, call.s2buf))

#include "socket.def"
