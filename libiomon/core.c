/*
 * The core: start-up, the per-call emit path, START_ON_OPEN, fork and exit.
 *
 * It knows no domain by name.  Each domain table puts its rows in the
 * "iomon_rows" section (wrap.h); start-up walks that section to resolve
 * every real function once, before main, so no wrapper calls dlsym on its
 * hot path.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "iomon.h"
#include "stream.h"
#include "wrap.h"

IOMON_HOT _Atomic uint32_t iomon_mask;
IOMON_TLS int iomon_busy;
IOMON_TLS int iomon_in_emit;
#if IOMON_TP_OFFSETS
IOMON_HOT struct iomon_tp_offsets iomon_tp_off;
#endif

void iomon_tp_init(void)
{
#if IOMON_TP_OFFSETS
	iomon_tp_off.busy = iomon_tp_offset(&iomon_busy);
	iomon_tp_off.in_emit = iomon_tp_offset(&iomon_in_emit);
	iomon_tp_off.errno_ = iomon_tp_offset(&errno);
	iomon_ring_tp_init();
#endif
}

void iomon_count_dropped(void)
{
	iomon_ring_count_dropped(iomon_ring_self());
}
struct iomon_config iomon_config;
/* What of iomon_config every record asks, on the hot page. */
static IOMON_HOT bool filters_records;
IOMON_HOT bool iomon_fds_unused;

/* How a record is sent, when not by the sender thread, later: 0 almost
 * always. */
enum {
	SEND_UNBUFFERED = 1,	/* at once (IOMON_UNBUFFERED) */
	SEND_EXITING = 2,	/* at once: the library's destructor has run */
	SEND_NO_THREAD = 4,	/* and no thread may be started: fork's child handler */
	SEND_NEW_SENDER = 8,	/* the sender is to be replaced (iomon_want_new_sender) */
};
static IOMON_HOT _Atomic uint8_t send_how;

void iomon_want_new_sender(void)
{
	atomic_fetch_or(&send_how, SEND_NEW_SENDER);
}

static pid_t my_pid;

/*
 * The head of a record starts "facility,ts,duration,pid,": the parts other
 * than the duration change once a second or once a process, so they are
 * kept as text and copied (with fixed-size copies, which the ring's
 * reservation has room for).
 */
struct text {
	char s[32];
	uint8_t len;
};

static struct text pid_text;			/* "pid," */
/* Kept by whoever writes records out, who holds the send lock: not
 * thread-local, which the sender thread cannot use (sender.c). */
static int64_t head_ts = -1;
static struct text head_text;		/* "facility,ts," */

static void set_pid(void)
{
	my_pid = getpid();
	char *end = iomon_put_i64(pid_text.s, my_pid);
	*end++ = ',';
	pid_text.len = (uint8_t)(end - pid_text.s);
}

static char *put_head(char *p, const struct iomon_record *rec)
{
	if (IOMON_UNLIKELY(rec->ts != head_ts)) {
		char *end = head_text.s;
		memcpy(end, iomon_config.facility, iomon_config.facility_len);
		end += iomon_config.facility_len;
		*end++ = ',';
		end = iomon_put_i64(end, rec->ts);
		*end++ = ',';
		head_text.len = (uint8_t)(end - head_text.s);
		head_ts = rec->ts;
	}
	memcpy(p, head_text.s, sizeof(head_text.s));
	p = iomon_put_duration(p + head_text.len, rec->dur_ns);
	*p++ = ',';
	memcpy(p, pid_text.s, sizeof(pid_text.s));
	p += pid_text.len;
	p = iomon_put_u64(p, rec->domain);
	*p++ = ',';
	p = iomon_put_u64(p, rec->op);
	*p++ = ',';
	p = iomon_put_i64(p, rec->err);
	*p++ = ',';
	p = iomon_put_i64(p, rec->fd);
	*p++ = ',';
	p = iomon_put_u64(p, rec->bytes);
	*p++ = ',';
	return p;
}
static IOMON_HOT _Atomic bool paused;

/* Weak: with no domain compiled in, the section, and so its bounds, do not
 * exist. */
extern const struct iomon_row __start_iomon_rows[] __attribute__((weak, visibility("hidden")));
extern const struct iomon_row __stop_iomon_rows[] __attribute__((weak, visibility("hidden")));

/* Stands in for a function the C library does not have. */
static long missing_function(void)
{
	errno = ENOSYS;
	return -1;
}

void iomon_resolve(void **slot, const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);

	__atomic_store_n(slot, fn ? fn : (void *)missing_function, __ATOMIC_RELEASE);
}

void iomon_turn_off(void)
{
	atomic_store(&iomon_mask, 0);
}

void iomon_stamp(struct iomon_record *rec)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME_COARSE, &now);
	rec->ts = now.tv_sec;
	rec->pid = my_pid;
}

char *iomon_put_own_record(char *dst, const struct iomon_record *rec)
{
	return iomon_put_record(dst, iomon_config.facility, iomon_config.facility_len, rec);
}

/* The most bytes a string takes in a packed record. */
static inline __attribute__((always_inline)) size_t packed_bound(struct iomon_str s)
{
	/* RAW and ENCODED: their bytes; the others (FD, AT, OFLAGS) at most
	 * a field's (_Static_assert below). */
	return s.kind >= IOMON_STR_FD ? IOMON_FIELD_MAX : s.len;
}
_Static_assert(IOMON_STR_RAW < IOMON_STR_FD && IOMON_STR_ENCODED < IOMON_STR_FD &&
		       IOMON_STR_AT > IOMON_STR_FD && IOMON_STR_OFLAGS > IOMON_STR_FD,
	       "packed_bound() knows which kinds have their own bytes");

static char *put_oflags(char *dst, int32_t flags)
{
	char buf[IOMON_OFLAGS_MAX];
	const char *text = iomon_oflags_str(flags, buf);
	size_t len = strlen(text);

	memcpy(dst, text, len);
	return dst + len;
}

static char *put_fd_path(char *dst, int fd)
{
	char raw[IOMON_STRING_MAX];

	return iomon_put_csv(dst, raw, (size_t)(iomon_fd_path(raw, fd) - raw));
}

static char *put_str(char *dst, struct iomon_str s)
{
	switch (s.kind) {
	case IOMON_STR_FD:
		return put_fd_path(dst, s.fd);
	case IOMON_STR_AT:
		return iomon_put_at_path(dst, s.fd, s.ptr, s.len);
	case IOMON_STR_OFLAGS:
		return put_oflags(dst, s.fd);
	default:
		return iomon_put_str(dst, s);
	}
}

/* An fd's path into a packed record: no bytes if the sender keeps it
 * already (stream.h). */
static inline __attribute__((always_inline)) char *pack_fd_path(struct iomon_ring *r, char *dst,
								  int fd, uint8_t *kind)
{
	uint32_t gen = atomic_load_explicit(&iomon_fd_gen, memory_order_acquire);
	int slot = iomon_ring_slot_of(r, fd, gen);

	if (slot >= 0) {
		*kind = (uint8_t)(IOMON_PACKED_FD_SAME + slot);
		return dst;
	}
	*kind = (uint8_t)(IOMON_PACKED_FD_KEEP + iomon_ring_take_slot(r, fd, gen));
	return iomon_fd_path(dst, fd);
}

/* What an open leaves the record of its call: the path the fd table now
 * holds for fd, as of generation gen (0: none); see struct iomon_call. */
struct opened {
	const char *path;
	int fd;
	uint32_t gen;
};

/* A string into a packed record: raw bytes are copied as they are, to be
 * encoded by the sender, and so is an fd's path, unless the sender keeps
 * it already; a string that needs the fd table's help (AT) is written as
 * CSV here.  An open's path is the path of its new descriptor too: the
 * sender keeps it, and the next record of the descriptor copies nothing. */
static inline __attribute__((always_inline)) char *pack_str(struct iomon_ring *r, char *dst,
							      struct iomon_str s, struct opened o,
							      uint16_t *len, uint8_t *kind)
{
	char *end;

	if (s.kind == IOMON_STR_FD) {
		end = pack_fd_path(r, dst, s.fd, kind);
	} else if (s.kind == IOMON_STR_RAW) {
		if (s.len)
			memcpy(dst, s.ptr, s.len);
		end = dst + s.len;
		if (o.gen && s.ptr == o.path)
			*kind = (uint8_t)(IOMON_PACKED_FD_KEEP +
					  iomon_ring_take_slot(r, o.fd, o.gen));
		else
			*kind = IOMON_PACKED_RAW;
	} else if (s.kind == IOMON_STR_OFLAGS) {
		memcpy(dst, &s.fd, sizeof(s.fd));
		end = dst + sizeof(s.fd);
		*kind = IOMON_PACKED_OFLAGS;
	} else {
		end = put_str(dst, s);
		*kind = IOMON_PACKED_CSV;
	}
	*len = (uint16_t)(end - dst);
	return end;
}

static char *put_packed_str(char *dst, const char *s, size_t len, uint8_t kind,
			    struct iomon_ring *r)
{
	int32_t flags;

	if (kind == IOMON_PACKED_RAW)
		return iomon_put_csv(dst, s, len);
	if (kind == IOMON_PACKED_OFLAGS) {
		memcpy(&flags, s, sizeof(flags));
		return put_oflags(dst, flags);
	}
	if (kind >= IOMON_PACKED_FD_SAME) {
		unsigned slot = kind - IOMON_PACKED_FD_SAME;
		s = iomon_ring_kept(r, slot);
		len = r->kept_len[slot];
	} else if (kind >= IOMON_PACKED_FD_KEEP) {
		/* Kept written: the next records of the fd copy it. */
		unsigned slot = kind - IOMON_PACKED_FD_KEEP;
		char *kept = iomon_ring_kept(r, slot);
		len = (size_t)(iomon_put_csv(kept, s, len) - kept);
		r->kept_len[slot] = (uint16_t)len;
		s = kept;
	}
	if (len)
		memcpy(dst, s, len);
	return dst + len;
}

/* A number of a packed record that its header's field was too narrow
 * for, in place of that field's: *v, if flag is set. */
static const char *take_wide(const char *p, const struct iomon_packed *pk, uint8_t flag,
			     uint64_t *v)
{
	if (!(pk->wide & flag))
		return p;
	memcpy(v, p, sizeof(*v));
	return p + sizeof(*v);
}

char *iomon_put_packed(char *dst, const struct iomon_packed *pk, struct iomon_ring *r)
{
	uint64_t dur = pk->dur, bytes = pk->bytes, err = pk->err;
	const char *s = pk->s;

	if (IOMON_UNLIKELY(pk->wide)) {
		s = take_wide(s, pk, IOMON_PACKED_WIDE_DUR, &dur);
		s = take_wide(s, pk, IOMON_PACKED_WIDE_BYTES, &bytes);
		s = take_wide(s, pk, IOMON_PACKED_WIDE_ERR, &err);
	}
	const struct iomon_record rec = {
		.ts = iomon_unix_seconds(pk->end),
		.dur_ns = iomon_stamps_ns(pk->end - dur, pk->end),
		.domain = pk->domain, .op = pk->op,
		.err = (int32_t)err, .fd = pk->fd, .bytes = bytes,
	};
	char *p = put_head(dst, &rec);

	p = put_packed_str(p, s, pk->s1_len, pk->kinds & 15, r);
	*p++ = ',';
	p = put_packed_str(p, s + pk->s1_len, pk->s2_len, pk->kinds >> 4, r);
	*p++ = '\n';
	return p;
}

/* A number of the record after its header, whole, when it does not fit
 * the header's field. */
static inline __attribute__((always_inline)) char *put_wide(char *p, uint8_t *wide, uint8_t flag,
							      uint64_t v)
{
	*wide |= flag;
	memcpy(p, &v, sizeof(v));
	return p + sizeof(v);
}

/* The record, packed, into ring r; false if it had no room (the record
 * is then counted as dropped). */
static inline __attribute__((always_inline)) bool pack(struct iomon_ring *r,
							 const struct iomon_record *rec,
							 uint64_t start, uint64_t end,
							 struct opened opened)
{
	size_t need = sizeof(struct iomon_packed) + IOMON_PACKED_WIDE_MAX + packed_bound(rec->s1) +
		      packed_bound(rec->s2) + IOMON_PACKED_ALIGN;
	struct iomon_packed *pk = (void *)iomon_ring_reserve(r, need);
	if (!pk)
		return false;
	uint64_t dur = end - start;
	uint8_t wide = 0;
	char *p = pk->s;
	if (IOMON_UNLIKELY(dur > UINT32_MAX))
		p = put_wide(p, &wide, IOMON_PACKED_WIDE_DUR, dur);
	if (IOMON_UNLIKELY(rec->bytes > UINT32_MAX))
		p = put_wide(p, &wide, IOMON_PACKED_WIDE_BYTES, rec->bytes);
	if (IOMON_UNLIKELY((uint32_t)rec->err > UINT16_MAX))
		p = put_wide(p, &wide, IOMON_PACKED_WIDE_ERR, (uint64_t)(int64_t)rec->err);
	uint16_t s1_len, s2_len;
	uint8_t s1_kind, s2_kind;
	p = pack_str(r, p, rec->s1, opened, &s1_len, &s1_kind);
	p = pack_str(r, p, rec->s2, (struct opened){ 0 }, &s2_len, &s2_kind);
	size_t size = (size_t)(p - (char *)pk);
	size = (size + IOMON_PACKED_ALIGN - 1) & ~(size_t)(IOMON_PACKED_ALIGN - 1);
	pk->size = (uint16_t)size;
	pk->domain = (uint8_t)rec->domain;
	pk->op = (uint8_t)rec->op;
	pk->kinds = (uint8_t)(s1_kind | s2_kind << 4);
	pk->wide = wide;
	pk->err = (uint16_t)rec->err;
	pk->fd = rec->fd;
	pk->s1_len = s1_len;
	pk->s2_len = s2_len;
	pk->dur = (uint32_t)dur;
	pk->bytes = (uint32_t)rec->bytes;
	pk->end = end;
	iomon_ring_commit(r, (char *)pk + size);
	return true;
}

/*
 * The record goes into the thread's ring packed: the sender writes it.
 * START and STOP are sent at once by the thread that makes them, without
 * starting the sender thread: a process whose calls are all filtered out
 * stays single-threaded (the C library's cancellable calls cost more in a
 * multi-threaded one), and a fork child's START does not wait for its
 * first record.
 */
static inline __attribute__((always_inline)) void emit(const struct iomon_record *rec,
							uint64_t start, uint64_t end,
							struct opened opened)
{
	struct iomon_ring *r = iomon_ring_self();
	bool start_stop = rec->domain == IOMON_DOMAIN_START_STOP;

	/* A thread that can have no ring (no memory for one) has its record
	 * counted as dropped, and reported as any other drop; its next record
	 * tries for a ring again (iomon_ring_self). */
	if (IOMON_UNLIKELY(!r))
		iomon_ring_count_dropped(NULL);
	else if (!pack(r, rec, start, end, opened))
		return;
	/* After the commit: the sender may be ending (it ends when idle). */
	uint8_t how = atomic_load_explicit(&send_how, memory_order_relaxed);
	if (IOMON_LIKELY(!how && !start_stop)) {
		iomon_sender_ensure();
		return;
	}
	bool now = start_stop || (how & SEND_EXITING);
	if ((how & SEND_NEW_SENDER) && !(how & SEND_NO_THREAD) && !now &&
	    (atomic_fetch_and(&send_how, (uint8_t)~SEND_NEW_SENDER) & SEND_NEW_SENDER))
		iomon_sender_replace();
	if (!(how & SEND_NO_THREAD) && !now)
		iomon_sender_ensure();
	/* Unbuffered, or after the library's destructor, when nothing else
	 * will flush: send it now. */
	if (now || (how & SEND_UNBUFFERED))
		iomon_flush();
}

#define OPEN_BIT (UINT32_C(1) << IOMON_DOMAIN_FILE_OPEN_CLOSE)
/* The mask while START_ON_OPEN's open has not come: opens only. */
#define PAUSED_MASK (IOMON_MASK_PAUSED | OPEN_BIT)

/* CLOCK_REALTIME nanoseconds from which to record; 0: from the start. */
static uint64_t start_at;

/*
 * Whether start_at is still to come.  CLOCK_REALTIME_COARSE, a few ns to
 * read, is the time of the last tick, and a VM's ticks come late: it has
 * been seen 7.7 ms behind with a resolution of 4.  So it answers alone
 * only while start_at is more than a second away; nearer, CLOCK_REALTIME
 * does, so that no call made after start_at goes unrecorded.
 */
#define COARSE_LAG_MAX_NS UINT64_C(1000000000)
static bool before_start(void)
{
	return iomon_clock_read_ns(CLOCK_REALTIME_COARSE) + COARSE_LAG_MAX_NS < start_at ||
	       iomon_clock_read_ns(CLOCK_REALTIME) < start_at;
}

/* The mask while recording waits: the time only (START, STOP and the
 * effects of the calls go on), or the time and START_ON_OPEN's open (then,
 * as with START_ON_OPEN alone, nothing but that open is looked at). */
static uint32_t waiting_mask(void)
{
	if (!iomon_config.start_on_open)
		return IOMON_MASK_WAITING | UINT32_C(1) << IOMON_DOMAIN_START_STOP;
	return IOMON_MASK_WAITING | (atomic_load(&paused) ? PAUSED_MASK : 0);
}

uint32_t iomon_check_start(uint32_t mask)
{
	if (before_start())
		return mask;
	while (mask & IOMON_MASK_WAITING) {
		uint32_t next = atomic_load(&paused) ? PAUSED_MASK : iomon_config.domains;
		if (atomic_compare_exchange_weak(&iomon_mask, &mask, next))
			return next;
	}
	return mask;
}

/*
 * START_ON_OPEN's text, and how far each byte at the end of a window lets
 * the search move on (Horspool's table), made once: memmem() builds a table
 * of its own at every call, which cost a paused process more than the rest
 * of each open it looks at.
 */
static size_t want_len;
static size_t want_skip[256];

static void want_init(void)
{
	const char *want = iomon_config.start_on_open;

	want_len = strlen(want);
	for (size_t c = 0; c < 256; c++)
		want_skip[c] = want_len;
	for (size_t i = 0; i + 1 < want_len; i++)
		want_skip[(unsigned char)want[i]] = want_len - 1 - i;
}

static bool has_want(const char *text, size_t n)
{
	const char *want = iomon_config.start_on_open;
	size_t m = want_len;

	if (m == 0)
		return true;
	for (size_t i = 0; i + m <= n; i += want_skip[(unsigned char)text[i + m - 1]])
		if (text[i + m - 1] == want[m - 1] && memcmp(text + i, want, m - 1) == 0)
			return true;
	return false;
}

bool iomon_open_wanted(struct iomon_str path)
{
	char abs[IOMON_FIELD_MAX];

	if (!path.ptr)
		return false;
	/* The path as given, or as the absolute path recorded for it. */
	if (has_want(path.ptr, path.len))
		return true;
	if (path.kind != IOMON_STR_AT)
		return false;
	return has_want(abs, (size_t)(put_str(abs, path) - abs));
}

/* START_ON_OPEN: is this the open that starts the recording?  If it is
 * seen while recording still waits for its time, the recording starts
 * when the time comes. */
static bool starts_recording(const struct iomon_record *rec)
{
	if (rec->domain != IOMON_DOMAIN_FILE_OPEN_CLOSE || rec->op != IOMON_OP_OPEN ||
	    !iomon_open_wanted(rec->s1))
		return false;
	atomic_store(&paused, false);
	uint32_t mask = atomic_load(&iomon_mask), next;
	do {
		if (mask == 0)
			return false;
		next = mask & IOMON_MASK_WAITING ? IOMON_MASK_WAITING : iomon_config.domains;
	} while (!atomic_compare_exchange_weak(&iomon_mask, &mask, next));
	return !(next & IOMON_MASK_WAITING) && (next & OPEN_BIT);
}

/* The raw bytes of s, in buf (IOMON_FIELD_MAX) unless they are s's own. */
static const char *raw_str(struct iomon_str s, char *buf, size_t *len)
{
	if (s.kind == IOMON_STR_RAW) {
		*len = s.ptr ? s.len : 0;
		return s.ptr;
	}
	if (s.kind == IOMON_STR_FD) {
		*len = (size_t)(iomon_fd_path(buf, s.fd) - buf);
		return buf;
	}
	if (s.kind == IOMON_STR_AT) {
		*len = (size_t)(iomon_at_path(buf, s.fd, s.ptr, s.len) - buf);
		return buf;
	}
	size_t n = (size_t)(put_str(buf, s) - buf);
	*len = iomon_csv_decode(buf, n, buf, IOMON_FIELD_MAX);
	return buf;
}

/* IOMON_PATHS, IOMON_EXCLUDE, IOMON_SLOWER_THAN, IOMON_ERRORS_ONLY: is
 * this record one to leave out?  Only a path (s1, absolute) is filtered
 * by the prefixes; a record without one is kept. */
static bool filtered_out(const struct iomon_record *rec)
{
	const struct iomon_config *c = &iomon_config;
	char buf[IOMON_FIELD_MAX];
	size_t len;

	if ((c->errors_only && rec->err == 0) || rec->dur_ns < c->slower_than_ns)
		return true;
	if (!c->paths.n && !c->exclude.n)
		return false;
	const char *path = raw_str(rec->s1, buf, &len);
	if (len == 0 || path[0] != '/')
		return false;
	if (c->paths.n && !iomon_path_under(&c->paths, path, len))
		return true;
	return c->exclude.n && iomon_path_under(&c->exclude, path, len);
}

IOMON_HOT_CODE void iomon_call_end(struct iomon_call *call, int err)
{
	uint64_t end = iomon_clock_end(call->t0);

	if (IOMON_UNLIKELY(atomic_load_explicit(&paused, memory_order_relaxed)) &&
	    !starts_recording(&call->rec))
		return;
	call->rec.err = err;
	if (IOMON_UNLIKELY(filters_records) &&
	    call->rec.domain != IOMON_DOMAIN_START_STOP) {
		call->rec.dur_ns = iomon_stamps_ns(call->t0, end);
		if (filtered_out(&call->rec))
			return;
	}
	iomon_enter_emit();
	emit(&call->rec, call->t0, end,
	     (struct opened){ call->opened_path, call->rec.fd, call->opened_gen });
	iomon_leave_emit();
}

/* The record of a call whose only string is its descriptor's path. */
static inline __attribute__((always_inline)) struct iomon_record
fd_record(unsigned domain, unsigned op, int err, int fd, uint64_t bytes)
{
	return (struct iomon_record){
		.domain = (uint16_t)domain, .op = (uint16_t)op, .err = err, .fd = fd,
		.bytes = bytes, .s1 = iomon_str_fd(fd), .s2 = iomon_str_none(),
	};
}

/* A record of iomon_call_end_fd() that a filter looks at, as any other:
 * apart, so that the struct iomon_call this takes is not on the stack of
 * every read and write (see set_path_at() in fdtable.c).  It builds the
 * record itself, from what the common path has in registers: a record
 * handed over by address, or by value, is built in memory on the common
 * path too (about 4 ns a call more by address: BENCHMARKS.md). */
static __attribute__((noinline)) void call_end_filtered(uint64_t t0, unsigned domain, unsigned op,
							 int err, int fd, uint64_t bytes)
{
	struct iomon_call call = { .rec = fd_record(domain, op, err, fd, bytes), .t0 = t0 };

	iomon_call_end(&call, err);
}

IOMON_HOT_CODE void iomon_call_end_fd(uint64_t t0, unsigned domain, unsigned op, int err, int fd,
				      uint64_t bytes)
{
	/* Paused: a read or a write is no open that could start the
	 * recording (starts_recording). */
	if (IOMON_UNLIKELY(atomic_load_explicit(&paused, memory_order_relaxed)))
		return;
	if (IOMON_UNLIKELY(filters_records)) {
		call_end_filtered(t0, domain, op, err, fd, bytes);
		return;
	}
	const struct iomon_record rec = fd_record(domain, op, err, fd, bytes);
	uint64_t end = iomon_clock_end(t0);
	iomon_enter_emit();
	emit(&rec, t0, end, (struct opened){ 0 });
	iomon_leave_emit();
}

static void atfork_child(void)
{
	set_pid();
	iomon_clock_atfork_child();
	iomon_ring_atfork_child();
	iomon_sender_atfork_child();
	atomic_fetch_or(&send_how, SEND_NO_THREAD);
	atomic_fetch_and(&send_how, (uint8_t)~SEND_NEW_SENDER);
	iomon_lifecycle_start();
	atomic_fetch_and(&send_how, (uint8_t)~SEND_NO_THREAD);
}

__attribute__((constructor)) static void iomon_init(void)
{
	iomon_tp_init();
	iomon_jump_return_init();
	iomon_busy++;
	for (const struct iomon_row *row = __start_iomon_rows; row < __stop_iomon_rows; row++)
		if (!__atomic_load_n(row->real, __ATOMIC_ACQUIRE))
			iomon_resolve(row->real, row->name);
	iomon_config_load(&iomon_config);
	filters_records = iomon_config.filters_records;
	/* START_ON_OPEN matches an open's path, made absolute with the
	 * working directory the table keeps. */
	iomon_fds_unused = !(iomon_config.domains & ~(UINT32_C(1) << IOMON_DOMAIN_START_STOP)) &&
			   !iomon_config.start_on_open;
	if (iomon_config.unbuffered)
		atomic_fetch_or(&send_how, SEND_UNBUFFERED);
	iomon_clock_init();
	set_pid();
	iomon_sender_init(iomon_config.port);
	iomon_cwd_refresh();
	pthread_atfork(NULL, NULL, atfork_child);
	start_at = iomon_config.start_at_ns;
	if (!start_at && iomon_config.start_after_ns)
		start_at = iomon_clock_read_ns(CLOCK_REALTIME) + iomon_config.start_after_ns;
	if (iomon_config.start_on_open) {
		want_init();
		atomic_store(&paused, true);
		atomic_store(&iomon_mask, PAUSED_MASK);
	} else {
		atomic_store(&iomon_mask, iomon_config.domains);
	}
	if (start_at && before_start())
		atomic_store(&iomon_mask, waiting_mask());
	iomon_busy--;
	iomon_lifecycle_start();
}

__attribute__((destructor)) static void iomon_fini(void)
{
	/* exit() called by a vfork child, which runs on its parent's memory,
	 * or by a signal handler that interrupted this thread while it was
	 * making a record or flushing (holding send_lock): the thread is busy,
	 * and must touch neither the parent's state nor the interrupted one.
	 * The vfork parent sends its own records; the handler's process loses
	 * what was buffered, as a process killed by a signal does. */
	if (iomon_busy)
		return;
	atomic_fetch_or(&send_how, SEND_EXITING);
	if (iomon_on())
		iomon_stop();
	/* Sent with STOP, unless that send failed: then on a new connection,
	 * with the count of what the failed one held. */
	iomon_flush();
}
