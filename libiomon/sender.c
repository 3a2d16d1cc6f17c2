/*
 * The sender: one thread per process that ships every thread's ring to the
 * collector (see stream.h).
 *
 * It stays invisible to the program: the C library does not know of it
 * (but in a sanitized program: spawn() below), it blocks every signal,
 * makes its system calls directly (never through the wrapped functions,
 * and without errno: rawsys.h), keeps its socket on a close-on-exec
 * descriptor, and is started lazily, so a fork child that never records
 * starts none.  Whoever holds send_lock owns the socket and the consuming
 * side of every ring: the sender thread normally, or a thread flushing
 * synchronously before exec or exit.
 *
 * It ends after SENDER_IDLE_MS with nothing to send, and the next record
 * starts it again (the socket stays open: it is the process's).  So an
 * idle process keeps no thread of the library's, and a program whose last
 * thread ends with a raw exit system call (the C library's own ends the
 * process) is not kept alive by it for longer than that.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/single_threaded.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "core.h"
#include "iomon.h"
#include "rawsys.h"
#include "stream.h"

/* Consecutive failed connects after which the library turns itself off. */
#define CONNECT_ATTEMPTS 5
/* With IOMON_DROP, the longest a send may wait for the collector. */
#define DROP_SEND_TIMEOUT_MS 250
/* Where the socket is moved, out of the way of the program's own fds. */
#define SOCKET_FD_FLOOR 900
/* How long the sender thread waits with nothing to send before it ends. */
#define SENDER_IDLE_MS (10 * IOMON_FLUSH_MS)

enum link { LINK_NEW, LINK_UP, LINK_DOWN, LINK_GONE };

/* The send lock: 0 free, 1 taken, 2 taken and waited for.  Not a
 * pthread mutex: while the sender is the process's only thread besides
 * the program's one, the C library takes its mutexes without an atomic
 * instruction (it believes the process single-threaded). */
static _Atomic uint32_t send_lock;
static _Atomic int link_state = LINK_NEW;
/* Someone is to send the records: a sender thread runs, or is being
 * started by whoever set this.  Read by every record (stream.h). */
IOMON_HOT _Atomic bool iomon_sender_running;
/* The kernel's membarrier() is there to order sender_may_end() against
 * the writers: they then need no fence of their own (stream.h). */
IOMON_HOT bool iomon_sender_membarrier;
static _Atomic uint32_t kick_word;
static uint16_t collector_port;
/* The socket's number, or -1: read by the program's threads too, on every
 * call (iomon_fd_is_own), hence atomic and not static. */
IOMON_HOT _Atomic int iomon_own_fd = -1;
static dev_t sock_dev;
static ino_t sock_ino;
/* Bumped whenever the socket is made or closed: a sender with a table of
 * its own holds a copy of the one it was started with (spawn_own_thread). */
static uint32_t socket_gen;
/* The socket's number in the table of the sender thread, when it has a
 * table of its own, and -1 when it shares the program's.  Set before it
 * starts; the same for its whole life. */
static int private_fd = -1;
static uint32_t private_gen;
/* The holder of send_lock is such a sender: it sends on private_fd, and
 * neither makes nor closes a socket, which would be its alone. */
static bool holder_private;
/* Such a sender found the connection lost: the program's copy of the
 * socket is to be closed by the next holder that has the program's table. */
static bool stale_socket;
static int failed_connects;
static uint64_t dropped;	/* discarded, not yet reported */
/* Records sent by the process, and whether its sender has asked to be
 * replaced by one with a table of its own (sender_loop). */
static _Atomic uint64_t records_sent;
static bool new_sender_asked;

static struct timespec timespec_of(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / 1000000000u),
				  .tv_nsec = (long)(ns % 1000000000u) };
}

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *timeout)
{
	return iomon_rawsys(SYS_futex, word, op, val, timeout, NULL, 0);
}

/* A lock with a futex for its waits (Drepper, "Futexes Are Tricky"). */
static void send_lock_take(void)
{
	uint32_t was = 0;

	if (atomic_compare_exchange_strong(&send_lock, &was, 1))
		return;
	if (was != 2)
		was = atomic_exchange(&send_lock, 2);
	while (was != 0) {
		futex(&send_lock, FUTEX_WAIT_PRIVATE, 2, NULL);
		was = atomic_exchange(&send_lock, 2);
	}
}

static void send_lock_drop(void)
{
	if (atomic_exchange(&send_lock, 0) == 2)
		futex(&send_lock, FUTEX_WAKE_PRIVATE, 1, NULL);
}

/* The socket's number in the table of the holder of send_lock. */
static int socket_fd(void)
{
	return holder_private ? private_fd : iomon_own_fd;
}

/* Whether fd is the socket, and not a file of the program's on its number. */
static bool is_the_socket(int fd)
{
	struct stat st;

	return fd >= 0 && iomon_rawsys(SYS_fstat, fd, &st) == 0 && st.st_dev == sock_dev &&
	       st.st_ino == sock_ino;
}

/* The program may have closed our descriptor, or put a file of its own on
 * its number (dup2, or an open after a close). */
static bool socket_still_ours(void)
{
	return is_the_socket(socket_fd());
}

/* Never closes a descriptor that is no longer ours.  Not called by a
 * sender with a table of its own (link_lost). */
static void close_socket(void)
{
	if (socket_still_ours())
		iomon_rawsys(SYS_close, iomon_own_fd);
	iomon_own_fd = -1;
	socket_gen++;
}

static void set_link(enum link state)
{
	atomic_store(&link_state, state);
	if (state == LINK_GONE)
		iomon_turn_off();
}

/*
 * A new socket, moved up out of the way of the program's descriptors.  For
 * a moment it holds the lowest free descriptor, which a program may expect
 * its own next open() to get (close(0); open("/dev/null")): so it is made
 * while the process is single-threaded, at start-up and in a fork child,
 * and again only after a lost connection.
 */
static void open_socket(void)
{
	struct stat st;
	int fd = (int)iomon_rawsys(SYS_socket, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	int high = (int)iomon_rawsys(SYS_fcntl, fd, F_DUPFD_CLOEXEC, SOCKET_FD_FLOOR);
	if (high >= 0) {
		iomon_rawsys(SYS_close, fd);
		fd = high;
	}
	if (iomon_rawsys(SYS_fstat, fd, &st) < 0) {
		iomon_rawsys(SYS_close, fd);
		return;
	}
	/* Dropping rather than waiting: no send may wait on the collector
	 * for long, not even the last flush at exit, nor a connect to a
	 * collector whose queue of connections is full.  A send that times
	 * out ends the connection, and its records are counted as dropped. */
	if (iomon_config.drop_when_full) {
		struct timeval timeout = {.tv_usec = DROP_SEND_TIMEOUT_MS * 1000};
		iomon_rawsys(SYS_setsockopt, fd, SOL_SOCKET, SO_SNDTIMEO, &timeout,
			     sizeof(timeout));
	}
	iomon_own_fd = fd;
	sock_dev = st.st_dev;
	sock_ino = st.st_ino;
	socket_gen++;
}

static bool send_all(struct iovec *iov, int iovcnt, size_t *sent);

static bool try_connect(void)
{
	struct sockaddr_in addr = {
		.sin_family = AF_INET,
		.sin_port = htons(collector_port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};

	if (!socket_still_ours()) {
		iomon_own_fd = -1;
		open_socket();
	}
	if (iomon_own_fd < 0)
		return false;
	long rc = iomon_rawsys(SYS_connect, iomon_own_fd, &addr, sizeof(addr));
	/* EISCONN: an earlier try timed out (SO_SNDTIMEO) and the
	 * connection was made since. */
	return rc == 0 || rc == -EISCONN;
}

/*
 * After CONNECT_ATTEMPTS failures in a row the collector is taken as gone.
 * A socket whose connect failed is kept for the next try (Linux connects
 * it again): a new one would hold the lowest free descriptor for a
 * moment, which the program's own open() may be taking at that moment in
 * another thread (open_socket).  One that connected and then failed
 * cannot connect again.
 */
static bool connect_failed(bool connected)
{
	bool gone = ++failed_connects >= CONNECT_ATTEMPTS;

	if (connected || gone)
		close_socket();
	set_link(gone ? LINK_GONE : LINK_DOWN);
	return false;
}

/*
 * Records stay in the rings while the library tries again, a few times
 * over about half a second (once per drain), so a collector that is slow
 * to start, or restarting, loses nothing; after that it is taken as gone.
 */
static bool connect_collector(void)
{
	int one = 1;

	if (!try_connect())
		return connect_failed(false);
	iomon_rawsys(SYS_setsockopt, iomon_own_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/* The session token first: without it the collector reads nothing. */
	struct iovec hello = { iomon_config.hello, iomon_config.hello_len };
	if (hello.iov_len && !send_all(&hello, 1, NULL))
		return connect_failed(true);
	failed_connects = 0;
	set_link(LINK_UP);
	return true;
}

/* Sends the iovecs (which it consumes); *sent, if asked for, is how many
 * bytes went, all of them or not. */
static bool send_all(struct iovec *iov, int iovcnt, size_t *sent)
{
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = (size_t)iovcnt };

	if (sent)
		*sent = 0;
	while (msg.msg_iovlen) {
		long n = iomon_rawsys(SYS_sendmsg, socket_fd(), &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (n == -EINTR)
				continue;
			return false;
		}
		if (sent)
			*sent += (size_t)n;
		while (msg.msg_iovlen && (size_t)n >= msg.msg_iov->iov_len) {
			n -= (long)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen) {
			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + n;
			msg.msg_iov->iov_len -= (size_t)n;
		}
	}
	return true;
}

/* Whole records in the first `bytes` of a batch: a record ends with a
 * line feed outside double quotes. */
static uint64_t records_in(const struct iovec *iov, int iovcnt, size_t bytes)
{
	uint64_t records = 0;
	bool quoted = false;

	for (int i = 0; i < iovcnt && bytes; i++) {
		const char *p = iov[i].iov_base;
		size_t n = iov[i].iov_len < bytes ? iov[i].iov_len : bytes;
		for (size_t j = 0; j < n; j++) {
			quoted ^= p[j] == '"';
			records += p[j] == '\n' && !quoted;
		}
		bytes -= n;
	}
	return records;
}

static void link_lost(void)
{
	if (holder_private)
		stale_socket = true;
	else
		close_socket();
	set_link(LINK_DOWN);
}

static void report_dropped(void)
{
	char line[IOMON_RECORD_MAX];
	struct iomon_record rec = {
		.domain = IOMON_DOMAIN_START_STOP,
		.op = IOMON_OP_DROPPED,
		.fd = -1,
		.bytes = dropped,
	};

	iomon_stamp(&rec);
	struct iovec iov = { line, (size_t)(iomon_put_own_record(line, &rec) - line) };
	if (send_all(&iov, 1, NULL))
		dropped = 0;
	else
		link_lost();
}

/* Is the socket still ours?  Asked at most every 10 ms: an fstat() per
 * send would double the system calls of the unbuffered mode.  (The
 * wrappers keep the program's close and dup2 off the socket; this catches
 * what they cannot see, such as a raw close_range system call.) */
static bool socket_checked_recently(void)
{
	static uint64_t last_check;
	uint64_t now = iomon_monotonic_ns();

	if (now - last_check < 10 * 1000 * 1000)
		return true;
	last_check = now;
	return false;
}

/* What the holder of send_lock writes the CSV lines of a batch into, and a
 * record that wraps round its ring's end into, in one piece. */
#define BATCH_BYTES (64 * 1024)
static char batch[BATCH_BYTES + IOMON_RECORD_MAX];
static union {
	struct iomon_packed rec;
	char bytes[IOMON_PACKED_MAX];
} wrapped;

/*
 * The order records are sent in: the order their calls ended, by their
 * end stamps, across the threads' rings; a stamp of CLOCK_MONOTONIC (made
 * before the TSC's calibration, iomon.h) before any in ticks.  So a call
 * that happened before another (in another thread: a lock, a join, a
 * pipe between them) is sent first, within the precision of the clock.
 */
static uint64_t order_key(uint64_t stamp)
{
	return stamp ^ IOMON_STAMP_MONO;
}

/* The order key of r's next record to ship, or UINT64_MAX if it has none
 * ended before cut. */
static uint64_t next_key(const struct iomon_ring *r, uint64_t cut)
{
	if (r->ship_pos == r->ship_end)
		return UINT64_MAX;
	uint64_t key = order_key(iomon_ring_end_stamp(r, r->ship_pos));
	return key <= cut ? key : UINT64_MAX;
}

/* Ships a batch of records; with no collector, or one lost on the way,
 * what went whole is the collector's, and the rest is counted as dropped. */
static void send_batch(size_t len, uint64_t records)
{
	struct iovec iov = { batch, len };
	size_t sent = 0;

	if (atomic_load(&link_state) != LINK_UP || !send_all(&iov, 1, &sent)) {
		if (atomic_load(&link_state) == LINK_UP)
			link_lost();
		iov = (struct iovec){ batch, len };
		dropped += records - records_in(&iov, 1, sent);
	}
	atomic_fetch_add_explicit(&records_sent, records, memory_order_relaxed);
}

/* Frees what the rings of list have shipped, and wakes their owners if they
 * wait for room. */
static void release_shipped(struct iomon_ring *list)
{
	for (struct iomon_ring *r = list; r; r = r->ship_next) {
		if (r->ship_pos == iomon_ring_tail(r))
			continue;
		iomon_ring_release(r, r->ship_pos);
		if (atomic_load_explicit(&r->waiting, memory_order_acquire))
			futex(&r->space, FUTEX_WAKE_PRIVATE, 1, NULL);
	}
}

/*
 * Writes, ships and frees the records of the rings of list (ship_pos to
 * ship_end) whose calls ended before cut, in order (order_key), a batch at
 * a time.  A record that ended later waits for the next drain: one that
 * ended earlier may not be in its ring yet (its call was ending while the
 * drain read the rings' heads), and must not come after it.  Of a call
 * that happened before another, the record is in its ring before the
 * other call begins, so before the other's stamps.
 */
static void ship(struct iomon_ring *list, uint64_t cut)
{
	size_t len = 0;
	uint64_t records = 0;

	for (struct iomon_ring *r = list; r; r = r->ship_next)
		r->ship_key = next_key(r, cut);
	for (;;) {
		struct iomon_ring *first = list;
		for (struct iomon_ring *r = list; r; r = r->ship_next)
			if (r->ship_key < first->ship_key)
				first = r;
		if (first->ship_key == UINT64_MAX)
			break;
		const struct iomon_packed *rec = iomon_ring_next(first, &first->ship_pos, &wrapped);
		len = (size_t)(iomon_put_packed(batch + len, rec, first) - batch);
		records++;
		first->ship_key = next_key(first, cut);
		if (len >= BATCH_BYTES) {
			send_batch(len, records);
			release_shipped(list);
			len = 0;
			records = 0;
			/* Lost: the rest stays for the next connection. */
			if (atomic_load(&link_state) == LINK_DOWN)
				return;
		}
	}
	if (len) {
		send_batch(len, records);
		release_shipped(list);
	}
}

/* A look of the sender thread at the rings: how long since the last; what
 * it found: the most bytes one ring held, and whether a ring's owner is
 * still writing its first round fast (iomon_ring_populate_ahead). */
struct look {
	uint64_t since_ns;
	uint64_t fullest;
	bool warming;
};

/* Ships (or, with no collector, discards and counts) every ring's records;
 * false if there were none, nor anything else to do.  look: NULL, or what
 * the sender thread's look found.  The sender thread ships what has
 * ended before it looks (ship()); a thread that sends itself (unbuffered,
 * or at exit, when no later look may come) ships everything, lest a clock
 * a little ahead on another CPU leave a record behind. */
static bool drain(struct look *look, bool everything)
{
	bool work = dropped != 0;
	struct iomon_ring *list = NULL;

	if (atomic_load(&link_state) == LINK_UP && !socket_checked_recently() &&
	    !socket_still_ours())
		link_lost();
	/* A sender with a table of its own ends when the link is down
	 * (sender_loop), and a sender sharing the program's connects. */
	if (!holder_private) {
		if (stale_socket) {
			close_socket();
			stale_socket = false;
		}
		if (atomic_load(&link_state) == LINK_NEW ||
		    atomic_load(&link_state) == LINK_DOWN)
			connect_collector();
	}

	/* Before the heads are read (ship()); the TSC is read in order. */
	uint64_t cut = everything ? UINT64_MAX - 1 : order_key(iomon_clock_ns());
#if defined(__x86_64__)
	__asm__ volatile("lfence" ::: "memory");
#endif
	dropped += iomon_ring_take_no_ring_dropped();
	for (struct iomon_ring *r = iomon_ring_first(); r; r = iomon_ring_reap(r)) {
		/* Read first: the owner's line is written only if need be. */
		if (atomic_load_explicit(&r->dropped, memory_order_relaxed))
			dropped += atomic_exchange_explicit(&r->dropped, 0, memory_order_relaxed);
		uint64_t head = iomon_ring_head(r), tail = iomon_ring_tail(r);
		work |= dropped != 0 || head != tail;
		/* The sender's own look (not a flush): its CPU takes the
		 * owner's page faults to come. */
		if (look) {
			if (iomon_pos_used(head, tail) > look->fullest)
				look->fullest = iomon_pos_used(head, tail);
			look->warming |= iomon_ring_populate_ahead(r, head, look->since_ns);
		}
		/* Not connected yet: keep the records for the next attempt. */
		if (head == tail || atomic_load(&link_state) == LINK_DOWN)
			continue;
		r->ship_pos = tail;
		r->ship_end = head;
		r->ship_next = list;
		list = r;
	}
	if (list)
		ship(list, cut);
	if (dropped && atomic_load(&link_state) == LINK_UP)
		report_dropped();
	return work;
}

/* Anything for the sender to do: records, drops, or a ring to free.  The
 * caller holds send_lock (rings are freed under it). */
static bool pending(void)
{
	if (dropped || iomon_ring_no_ring_dropped())
		return true;
	for (struct iomon_ring *r = iomon_ring_first(); r; r = r->next)
		if (iomon_ring_head(r) != iomon_ring_tail(r) ||
		    atomic_load_explicit(&r->dropped, memory_order_relaxed) ||
		    atomic_load_explicit(&r->orphaned, memory_order_relaxed))
			return true;
	return false;
}

/*
 * May the idle sender end?  It says it no longer runs, then looks once
 * more; a writer commits its record, then looks whether the sender runs
 * (iomon_sender_ensure).  Each side's store must be ordered before its
 * load, so that one of the two sees the other: the sender sees the record
 * and carries on, or the writer sees no sender and starts one.  The sender
 * orders both sides at once with membarrier(), which makes every running
 * thread of the process execute a full barrier: the writers, on the path
 * of every record, then need only keep the compiler from reordering (the
 * asymmetric fence of userspace RCU).  Without membarrier, each side has
 * a fence of its own.  The caller holds send_lock.
 */
static bool writers_fenced(void)
{
	if (!iomon_sender_membarrier) {
		atomic_thread_fence(memory_order_seq_cst);
		return true;
	}
	/* It cannot fail once registered, but if it did, the sender would
	 * not know what it may have missed, and so carries on. */
	return iomon_rawsys(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
}

static bool sender_may_end(void)
{
	bool expected = false;

	atomic_store(&iomon_sender_running, false);
	if (writers_fenced() && !pending())
		return true;
	/* Carry on, unless a writer has taken the job already. */
	return !atomic_compare_exchange_strong(&iomon_sender_running, &expected, true);
}

void iomon_flush(void)
{
	iomon_enter_emit();
	send_lock_take();
	drain(NULL, true);
	send_lock_drop();
	iomon_leave_emit();
}

void iomon_sender_kick(void)
{
	atomic_fetch_add_explicit(&kick_word, 1, memory_order_release);
	futex(&kick_word, FUTEX_WAKE_PRIVATE, 1, NULL);
}

bool iomon_sender_wait_for_room(struct iomon_ring *r, uint64_t tail)
{
	static const struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	int state = atomic_load(&link_state);

	if (state == LINK_DOWN || state == LINK_GONE || iomon_config.drop_when_full)
		return false;
	if (!atomic_load_explicit(&iomon_sender_running, memory_order_acquire)) {
		iomon_flush();
		return true;
	}
	/* Lossless: wait for the sender, however slow the collector is. */
	uint32_t seen = atomic_load_explicit(&r->space, memory_order_acquire);
	atomic_store_explicit(&r->waiting, 1, memory_order_release);
	if (atomic_load_explicit(&r->tail, memory_order_acquire) == tail) {
		iomon_sender_kick();
		futex(&r->space, FUTEX_WAIT_PRIVATE, seen, &pause);
	}
	atomic_store_explicit(&r->waiting, 0, memory_order_relaxed);
	return true;
}

/*
 * How long the sender waits between looks at the rings: long enough that
 * a look finds something to send, and that looks are few (each costs the
 * program's threads, on their own CPUs, more than the records it finds
 * do: BENCHMARKS.md), short enough that the program's threads seldom have
 * to wake it (a wake-up is a system call in the program's thread).  A
 * look that finds a ring a quarter full or more sets it to POLL_MIN_NS
 * (a thread busy with I/O fills a quarter of its ring in a few
 * milliseconds); one that finds less than a sixteenth, or nothing, doubles
 * it, up to IOMON_FLUSH_MS.  A ring three quarters full wakes the sender
 * all the same (ring.c).  While a ring's owner writes its first round
 * fast, the sender taking its page faults ahead of it, looks come every
 * POLL_WARM_NS: the faults of a busy young thread cost it far more than
 * the looks (BENCHMARKS.md).  Without a connection, the next try is a full
 * period away (connect_collector: a few tries over half a second).
 */
#define POLL_WARM_NS (1000 * 1000)
#define POLL_MIN_NS (4 * 1000 * 1000)
#define POLL_MAX_NS (IOMON_FLUSH_MS * UINT64_C(1000000))

static uint64_t next_wait_ns(uint64_t wait_ns, const struct look *look)
{
	if (atomic_load(&link_state) != LINK_UP)
		return POLL_MAX_NS;
	if (look->warming)
		return POLL_WARM_NS;
	if (look->fullest >= IOMON_RING_SIZE / 4 || wait_ns < POLL_MIN_NS)
		return POLL_MIN_NS;
	if (look->fullest >= IOMON_RING_SIZE / 16)
		return wait_ns;
	return wait_ns * 2 < POLL_MAX_NS ? wait_ns * 2 : POLL_MAX_NS;
}

/* Bumped when the program has changed its credentials, or is about to
 * make a call that needs it to have one thread: a sender started before
 * then ends (iomon_sender_renew, iomon_sender_hold). */
static _Atomic uint32_t renewals;
/* While positive, no sender starts (iomon_sender_hold).  A fork child
 * starts at 0: a hold is its holder's, and another thread's is not the
 * child's (a release there finds 0 and leaves it). */
static _Atomic int holds;

static bool may_have_own_table(void);

static void sender_loop(uint32_t renewal)
{
	uint64_t idle_since = iomon_monotonic_ns(), last_look = idle_since;
	uint64_t wait_ns = POLL_MIN_NS;
	bool end = false, own_table = private_fd >= 0;
	uint32_t gen = private_gen;

	/* Not pthread_setname_np() from the creator: that opens a file in
	 * /proc, taking a descriptor the program's next open() expects. */
	iomon_rawsys(SYS_prctl, PR_SET_NAME, "iomon-sender");
	while (!end) {
		uint32_t seen = atomic_load_explicit(&kick_word, memory_order_acquire);
		send_lock_take();
		holder_private = own_table;
		uint64_t now = iomon_monotonic_ns();
		struct look look = { .since_ns = now - last_look };
		last_look = now;
		/* With a table of its own, the sender sends on the socket it
		 * was started with, while the program's threads have it too. */
		bool linked = !own_table || (atomic_load(&link_state) == LINK_UP && socket_gen == gen);
		if (linked && drain(&look, false))
			idle_since = now;
		if (!own_table && !new_sender_asked && may_have_own_table()) {
			new_sender_asked = true;
			iomon_want_new_sender();
		}
		wait_ns = next_wait_ns(wait_ns, &look);
		bool renewed = atomic_load(&renewals) != renewal;
		if (!linked || atomic_load(&link_state) == LINK_GONE || renewed) {
			/* Whoever renews starts the next sender.  A record made
			 * once the writers can see that none runs starts one
			 * itself; those made before are sent now. */
			atomic_store(&iomon_sender_running, false);
			if (renewed && linked && writers_fenced())
				drain(NULL, false);
			end = true;
		} else if (now - idle_since >= SENDER_IDLE_MS * UINT64_C(1000000)) {
			end = sender_may_end();
		}
		holder_private = false;
		send_lock_drop();
		if (!end) {
			struct timespec wait = timespec_of(wait_ns);
			futex(&kick_word, FUTEX_WAIT_PRIVATE, seen, &wait);
		}
	}
}

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#else
#define ASAN_UNPOISON_MEMORY_REGION(addr, size) ((void)(addr), (void)(size))
#endif
/* Whether the sender can be a thread of its own (below): not under
 * ThreadSanitizer, which must know every thread, nor without raw system
 * calls (rawsys.h). */
#if IOMON_HAS_RAWSYS && !defined(__SANITIZE_THREAD__) && !__has_feature(thread_sanitizer)
#define OWN_THREAD_POSSIBLE 1
#else
#define OWN_THREAD_POSSIBLE 0
#endif

/*
 * The sender is a thread of its own, made with clone(), which the C library
 * does not know of.  So the program stays single-threaded in its eyes: its
 * cancellable calls (read, write, open, close...) skip the cancellation
 * bracket, malloc and stdio take no locks, and when the program's last
 * thread calls pthread_exit() the process ends at once, as without the
 * library.  The thread shares the thread pointer of the thread that made
 * it: it touches no thread-local variable, errno included (rawsys.h), and
 * calls nothing of the C library that would.  And the C library does not
 * give it the program's new credentials (setuid() and the like):
 * iomon_sender_renew() ends it after each change, and the next record
 * starts a new one, with the new ones.
 *
 * Its stack is mapped once per process, behind a guard page.  The kernel
 * clears sender_tid when the thread has ended (CLONE_CHILD_CLEARTID), and
 * wakes a futex on it: the stack is then free for the next sender.
 *
 * Otherwise (own_thread false) the sender is a thread of the C library's:
 * where OWN_THREAD_POSSIBLE is 0, and in a program built with
 * ThreadSanitizer or MemorySanitizer, whose interceptors of memcpy, memchr
 * and the like keep per-thread state, which a thread they do not know of
 * would share with its maker.  When the program's main thread calls
 * pthread_exit(), the C library then ends the process only when its last
 * thread ends: the sender ends when idle, and then runs the program's
 * exit, which it records as the program's.  A thread that has ended never
 * starts the sender (iomon_sender_start).  Such a sender gets the new
 * credentials from the C library, and calls that need one thread fail
 * with it as with any other: there is nothing to renew or hold.
 */
static bool own_thread;
static _Atomic pid_t sender_tid;
/* valgrind runs a program's threads itself, and ends the process at a
 * clone() of a thread without CLONE_FILES: under it, the sender shares the
 * program's descriptor table (spawn_own_thread). */
static bool own_table_possible;
/* That failed once (close_range() missing: an old kernel, or a seccomp
 * filter; a clone() without CLONE_FILES refused, as qemu-user does; or
 * the socket's number was not the socket's). */
static bool own_table_failed;

static bool sanitized_program(void)
{
	return dlsym(RTLD_DEFAULT, "__tsan_init") || dlsym(RTLD_DEFAULT, "__msan_init");
}

static void *library_sender_main(void *arg)
{
	iomon_busy = 1;
	sender_loop((uint32_t)(uintptr_t)arg);
	iomon_thread_ended = true;
	iomon_busy = 0;
	return NULL;
}

static bool spawn_library_thread(uint32_t renewal)
{
	pthread_attr_t attr;
	pthread_t thread;
	sigset_t all, old;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024 + IOMON_RECORD_MAX);
	bool made = pthread_create(&thread, &attr, library_sender_main,
				   (void *)(uintptr_t)renewal) == 0;
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return made;
}

/* Waits until the sender thread tid, if it still runs, has ended, or
 * until CLOCK_MONOTONIC's deadline_ns (0: no deadline); false if it still
 * runs. */
static bool wait_for_end(pid_t tid, uint64_t deadline_ns)
{
	while (tid && atomic_load(&sender_tid) == tid) {
		struct timespec left, *timeout = NULL;
		if (deadline_ns) {
			uint64_t now = iomon_monotonic_ns();
			if (now >= deadline_ns)
				return false;
			left = timespec_of(deadline_ns - now);
			timeout = &left;
		}
		iomon_rawsys(SYS_futex, &sender_tid, FUTEX_WAIT, tid, timeout);
	}
	return true;
}

/*
 * After wait_for_end(), until the kernel has taken the thread out of the
 * process: it clears sender_tid as it starts to exit, and for a moment
 * after (longer when it closes a table of its own) a call that needs the
 * process to have one thread (unshare) would still find two.  Until then
 * a signal 0 reaches it.  False if it is still there at deadline_ns.
 */
static bool wait_for_release(pid_t tid, uint64_t deadline_ns)
{
	static const struct timespec pause = { .tv_nsec = 20 * 1000 };
	long pid = iomon_rawsys(SYS_getpid);

	while (iomon_rawsys(SYS_tgkill, pid, tid, 0) == 0) {
		if (iomon_monotonic_ns() >= deadline_ns)
			return false;
		iomon_rawsys(SYS_nanosleep, &pause, NULL);
	}
	return true;
}

/*
 * A thread that shares the program's descriptor table makes the kernel
 * take a reference on the file of each call that names a descriptor, and
 * drop it after (two atomic instructions, where a process of one thread
 * takes none): 24 ns a call here (BENCHMARKS.md).  So, while the program
 * has one thread (as the C library knows: __libc_single_threaded) and a
 * connection, the sender gets a copy of the table, keeps the socket and
 * closes the rest.  For that moment it holds the program's files: the
 * program's thread waits for it to be done, with every signal blocked,
 * so no close of the program's can be left to the sender to finish (an
 * executable written and closed would still be open for writing, a lock
 * still held).  A program of more threads pays the references already:
 * its sender shares the table.  A sender with a table of its own sends on
 * the socket it was started with; when the connection is lost or made
 * anew, it ends, and the next record starts one that shares the table
 * and connects (sender_loop, drain).
 *
 * The copy and the wait cost the program's thread some 50 us a start
 * here (more with many descriptors), the price of 2,000 calls: a process's
 * first sender shares the table, and only once the process has sent
 * OWN_TABLE_AFTER_RECORDS records does it ask to be replaced, at the next
 * record (iomon_sender_replace).  Short processes never pay the copy.
 */
#define OWN_TABLE_AFTER_RECORDS 4096
static bool may_have_own_table(void)
{
	return OWN_THREAD_POSSIBLE && own_thread && !own_table_failed && own_table_possible &&
	       __libc_single_threaded &&
	       atomic_load_explicit(&records_sent, memory_order_relaxed) >= OWN_TABLE_AFTER_RECORDS &&
	       atomic_load(&link_state) == LINK_UP && iomon_own_fd >= 0;
}

#if OWN_THREAD_POSSIBLE
#define SENDER_GUARD 4096
#define SENDER_STACK (64 * 1024 + IOMON_RECORD_MAX)
static char *sender_stack;

/* A sender with a table of its own: 0 while it drops the program's
 * descriptors, then 1, or 2 if it could not. */
static _Atomic uint32_t own_table_ready;
/* In the sender with a table of its own, a copy of the program's: keeps
 * the socket alone, if it is still the socket (the program's raw system
 * calls may have put a file of its own on its number). */
static bool drop_program_files(int keep)
{
	return (keep == 0 || iomon_rawsys(SYS_close_range, 0, keep - 1, 0) == 0) &&
	       iomon_rawsys(SYS_close_range, keep + 1, ~0u, 0) == 0 && is_the_socket(keep);
}

static int sender_main(void *arg)
{
	if (private_fd >= 0) {
		bool kept = drop_program_files(private_fd);
		atomic_store(&own_table_ready, kept ? 1 : 2);
		futex(&own_table_ready, FUTEX_WAKE_PRIVATE, 1, NULL);
		if (!kept)
			return 0;
	}
	sender_loop((uint32_t)(uintptr_t)arg);
	return 0;
}

static int clone_sender(int flags, uint32_t renewal)
{
	return clone(sender_main, sender_stack + SENDER_GUARD + SENDER_STACK, flags,
		     (void *)(uintptr_t)renewal, (pid_t *)&sender_tid, NULL,
		     (pid_t *)&sender_tid);
}

/* Whether the sender tid, made without CLONE_FILES, has dropped the
 * program's descriptors; if not, it has ended.  The wait ends too if the
 * thread is gone (a seccomp filter may end one that calls close_range). */
static bool own_table_made(int tid)
{
	static const struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	uint32_t ready;

	if (tid < 0)
		return false;
	while (!(ready = atomic_load(&own_table_ready)) && atomic_load(&sender_tid) == tid)
		futex(&own_table_ready, FUTEX_WAIT_PRIVATE, 0, &pause);
	if (ready == 1)
		return true;
	wait_for_end(tid, 0);
	return false;
}

static bool spawn_own_thread(uint32_t renewal)
{
	const int flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			  CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	uint64_t all = ~UINT64_C(0), old;

	if (!sender_stack) {
		long stack = iomon_rawsys(SYS_mmap, NULL, SENDER_GUARD + SENDER_STACK,
					  PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack < 0)
			return false;
		iomon_rawsys(SYS_mprotect, stack, SENDER_GUARD, PROT_NONE);
		sender_stack = (char *)stack;
	}
	/* The last sender may still be on its way out, on this stack (it
	 * sends nothing more: no deadline). */
	wait_for_end(atomic_load(&sender_tid), 0);
	/* Under AddressSanitizer: a stack the sender of the parent, in a fork
	 * child, was using (its frames' redzones are still marked). */
	ASAN_UNPOISON_MEMORY_REGION(sender_stack + SENDER_GUARD, SENDER_STACK);
	/* The thread inherits the mask: it never takes a signal meant for
	 * the program, not even the C library's own. */
	iomon_rawsys(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, sizeof(all));
	bool own_table = may_have_own_table();
	private_fd = own_table ? iomon_own_fd : -1;
	private_gen = socket_gen;
	atomic_store(&own_table_ready, 0);
	int tid = clone_sender(own_table ? flags & ~CLONE_FILES : flags, renewal);
	if (own_table && !own_table_made(tid)) {
		/* Then a sender that shares the table, from now on. */
		own_table_failed = true;
		private_fd = -1;
		tid = clone_sender(flags, renewal);
	}
	iomon_rawsys(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, sizeof(old));
	return tid > 0;
}
#endif

static bool spawn(uint32_t renewal)
{
#if OWN_THREAD_POSSIBLE
	if (own_thread)
		return spawn_own_thread(renewal);
#endif
	return spawn_library_thread(renewal);
}

/* Ends the sender that runs, if any; false if it may still run.  A sender
 * in the middle of a send to a collector that does not read may take as
 * long as the collector does: the wait is cut short after STOP_WAIT_MS,
 * and the sender ends after that send. */
#define STOP_WAIT_MS 250
static bool end_sender(void)
{
	pid_t tid = atomic_load(&sender_tid);

	if (!tid)
		return true;
	atomic_fetch_add(&renewals, 1);
	iomon_sender_kick();
	uint64_t deadline = iomon_monotonic_ns() + STOP_WAIT_MS * UINT64_C(1000000);
	return wait_for_end(tid, deadline) && wait_for_release(tid, deadline);
}

static bool stop_sender(void)
{
	/* This thread interrupted the lock's holder (a signal handler that
	 * changes credentials while this thread sends): no waiting. */
	if (iomon_in_emit && atomic_load(&sender_tid))
		return false;
	return end_sender();
}

/* In a record (core.c), which holds no lock: the sender asked for it. */
void iomon_sender_replace(void)
{
	if (own_thread && end_sender())
		iomon_sender_start();
}

void iomon_sender_renew(void)
{
	/* Then the next, made now or by a later record, with the new
	 * credentials, sends the records made while it ended. */
	if (own_thread && stop_sender())
		iomon_sender_start();
}

void iomon_sender_hold(void)
{
	if (!own_thread)
		return;
	atomic_fetch_add(&holds, 1);
	stop_sender();
}

void iomon_sender_release(void)
{
	int n = atomic_load(&holds);

	if (!own_thread)
		return;
	while (n > 0 && !atomic_compare_exchange_weak(&holds, &n, n - 1))
		;
	iomon_sender_start();
}

void iomon_sender_start(void)
{
	bool expected = false;

	/* A thread that has ended may be the last, running the program's exit
	 * (with a sender of the C library's, above); or the sender is held
	 * off: the thread sends what it records itself. */
	if (iomon_thread_ended || atomic_load(&holds) > 0) {
		iomon_flush();
		return;
	}
	if (!atomic_compare_exchange_strong(&iomon_sender_running, &expected, true))
		return;
	if (!spawn(atomic_load(&renewals)))
		atomic_store(&iomon_sender_running, false);
}

void iomon_sender_atfork_child(void)
{
	/* The parent's sender thread and connection are the parent's. */
	atomic_store(&send_lock, 0);
	atomic_store(&iomon_sender_running, false);
	atomic_store(&sender_tid, 0);
	atomic_store(&holds, 0);
	iomon_thread_ended = false;
	/* The parent's sender may have held the lock with a table of its
	 * own: the child's socket is in the child's table. */
	holder_private = false;
	private_fd = -1;
	atomic_store(&records_sent, 0);
	new_sender_asked = false;
	close_socket();
	stale_socket = false;
	failed_connects = 0;
	dropped = 0;
	if (atomic_load(&link_state) != LINK_GONE) {
		atomic_store(&link_state, LINK_NEW);
		open_socket();
	}
}

void iomon_fd_evict(int oldfd, int fd)
{
	if (!iomon_fd_is_own(fd))
		return;
	/* A copy of a descriptor that is not open fails, and would leave the
	 * socket's old number open, and the program's to see: the socket
	 * stays where it is, and the call fails as it would anyway. */
	if (syscall(SYS_fcntl, oldfd, F_GETFD) < 0)
		return;
	/* Another number for the same socket, above if the descriptor limit
	 * allows, else any free one; the caller's dup2 closes this one. */
	/* Under send_lock, so that no send is under way on the old number
	 * when the program's dup2 makes it the program's.  Except in a signal
	 * handler that interrupted this thread inside the library: the thread
	 * may hold the lock itself, so the move is made without it (a send
	 * by another thread may then still race the dup2: rare, and the
	 * lesser harm than a deadlock). */
	bool lock = !iomon_in_emit;
	if (lock)
		send_lock_take();
	int moved = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, fd + 1);
	if (moved < 0)
		moved = (int)syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 3);
	if (moved >= 0)
		atomic_store(&iomon_own_fd, moved);
	if (lock)
		send_lock_drop();
}

/* The range in up to two pieces around the library's socket. */
int iomon_close_range_sparing(unsigned first, unsigned last, int flags)
{
	int own = atomic_load(&iomon_own_fd);

	if (own < 0 || (unsigned)own < first || (unsigned)own > last)
		return (int)syscall(SYS_close_range, first, last, flags);
	if ((unsigned)own > first && syscall(SYS_close_range, first, own - 1, flags) < 0)
		return -1;
	if ((unsigned)own < last)
		return (int)syscall(SYS_close_range, own + 1, last, flags);
	return 0;
}

void iomon_closefrom_sparing(int lowfd)
{
	int saved = errno;

	/* closefrom() cannot fail; where close_range() is missing, a loop would
	 * do, but every kernel glibc 2.34+ runs on has it. */
	iomon_close_range_sparing((unsigned)lowfd, ~0u, 0);
	errno = saved;
}

void iomon_sender_init(uint16_t port)
{
	collector_port = port;
	own_thread = OWN_THREAD_POSSIBLE && !sanitized_program();
	own_table_possible = !dlsym(RTLD_DEFAULT, "_vgnU_freeres");
	/* Once per process image: a fork child inherits the registration. */
	iomon_sender_membarrier =
		syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
	open_socket();
}
