/*
 * The record codes: iomon's public contract.
 *
 * Consumers parse these numbers.  A code never changes meaning and is never
 * reused; new codes are appended after the last one.  The man page's code
 * tables are generated from these lists (see man/).
 */
#ifndef IOMON_CODES_H
#define IOMON_CODES_H

/* X(name, number) */
#define IOMON_DOMAIN_LIST(X) \
	X(LINKS, 0) \
	X(XATTRS, 1) \
	X(DIRS, 2) \
	X(FILE_SYSTEMS, 3) \
	X(FILE_DESCRIPTORS, 4) \
	X(SYNCS, 5) \
	X(SOCKETS, 6) \
	X(SEEKS, 7) \
	X(FILE_SPACE, 8) \
	X(PROCESSES, 9) \
	X(FILE_METADATA, 10) \
	X(FILE_WRITE, 11) \
	X(FILE_READ, 12) \
	X(FILE_OPEN_CLOSE, 13) \
	X(MISC, 14) \
	X(DIR_METADATA, 15) \
	X(START_STOP, 16) \
	X(HTTP, 17)

#define IOMON_OP_LIST(X) \
	X(OPEN, 0) \
	X(CLOSE, 1) \
	X(WRITE, 2) \
	X(READ, 3) \
	X(SYNC, 4) \
	X(SEEK, 5) \
	X(RENAME, 6) \
	X(LINK, 7) \
	X(UNLINK, 8) \
	X(FCNTL, 9) \
	X(DUP, 10) \
	X(STAT, 11) \
	X(ACCESS, 12) \
	X(CHMOD, 13) \
	X(CHOWN, 14) \
	X(FLOCK, 15) \
	X(READLINK, 16) \
	X(UTIME, 17) \
	X(GETXATTR, 18) \
	X(SETXATTR, 19) \
	X(LISTXATTR, 20) \
	X(REMOVEXATTR, 21) \
	X(MOUNT, 22) \
	X(UMOUNT, 23) \
	X(FORK, 24) \
	X(MKNOD, 25) \
	X(MKDIR, 26) \
	X(RMDIR, 27) \
	X(CHDIR, 28) \
	X(CHROOT, 29) \
	X(SOCKET, 30) \
	X(_IO_NEW_FOPEN, 31) \
	X(FLUSH, 32) \
	X(ALLOCATE, 33) \
	X(TRUNCATE, 34) \
	X(OPENDIR, 35) \
	X(CLOSEDIR, 36) \
	X(READDIR, 37) \
	X(SEEKDIR, 38) \
	X(TELLDIR, 39) \
	X(DIRFD, 40) \
	X(REWINDDIR, 41) \
	X(SCANDIR, 42) \
	X(CONNECT, 43) \
	X(ACCEPT, 44) \
	X(LISTEN, 45) \
	X(BIND, 46) \
	X(START, 47) \
	X(STOP, 48) \
	X(HTTP_REQ_SEND, 49) \
	X(HTTP_REQ_RECV, 50) \
	X(HTTP_RESP_SEND, 51) \
	X(HTTP_RESP_RECV, 52) \
	X(HTTP_RESP_FINI_SEND, 53) \
	X(HTTP_RESP_FINI_RECV, 54) \
	X(DROPPED, 55) \
	X(EXEC, 56) \
	X(EXIT, 57) \
	X(PIPE, 58) \
	X(KILL, 59) \
	X(SHUTDOWN, 60) \
	X(SPAWN, 61)

#define IOMON_ENUM_DOMAIN(name, num) IOMON_DOMAIN_##name = num,
#define IOMON_ENUM_OP(name, num) IOMON_OP_##name = num,
enum iomon_domain { IOMON_DOMAIN_LIST(IOMON_ENUM_DOMAIN) IOMON_DOMAIN_COUNT };
enum iomon_op { IOMON_OP_LIST(IOMON_ENUM_OP) IOMON_OP_COUNT };
#undef IOMON_ENUM_DOMAIN
#undef IOMON_ENUM_OP

/*
 * The record layout, field by field.  Records are one CSV row each (RFC 4180
 * quoting for s1 and s2), terminated by '\n':
 *   facility,ts,duration,pid,domain,op-type,error code,fd,bytes transferred,s1,s2
 */
#define IOMON_RECORD_FIELDS 11

/* Longest s1 or s2 value recorded; longer values are cut to it. */
#define IOMON_STRING_MAX 4096

/* Longest record on the wire: fixed fields plus two fully quoted strings. */
#define IOMON_RECORD_MAX (160 + 2 * (2 * IOMON_STRING_MAX + 2))

/* FACILITY_ID longer than this is cut. */
#define IOMON_FACILITY_MAX 4

/* Environment shared by the launcher and the library. */
#define IOMON_ENV_FACILITY "FACILITY_ID"
#define IOMON_ENV_START_ON_OPEN "START_ON_OPEN"
#define IOMON_ENV_PORT "IOMON_PORT"
/* "1": one send per record instead of batches (IOMON_ENV_UNBUFFERED), or
 * drop and count records rather than wait for a slow collector. */
#define IOMON_ENV_UNBUFFERED "IOMON_UNBUFFERED"
#define IOMON_ENV_DROP "IOMON_DROP"
/* Filters (see the man page's ENVIRONMENT): the domains to record, path
 * prefixes to keep and to drop (':'-separated), when to start (seconds
 * after the process started; absolute CLOCK_REALTIME nanoseconds, which
 * wins), the shortest call kept (milliseconds), failed calls only ("1"). */
#define IOMON_ENV_DOMAINS "MONITOR_DOMAINS"
#define IOMON_ENV_PATHS "IOMON_PATHS"
#define IOMON_ENV_EXCLUDE "IOMON_EXCLUDE"
#define IOMON_ENV_START_ON_ELAPSED "START_ON_ELAPSED"
#define IOMON_ENV_START_AT "IOMON_START_AT"
#define IOMON_ENV_SLOWER_THAN "IOMON_SLOWER_THAN"
#define IOMON_ENV_ERRORS_ONLY "IOMON_ERRORS_ONLY"
/* The most path prefixes IOMON_PATHS and IOMON_EXCLUDE each hold, and the
 * bytes of them all (less each one's trailing '/'); beyond, the library
 * does not filter at all. */
#define IOMON_PREFIXES_MAX 32
#define IOMON_PREFIXES_TEXT 4096
/* The session token: a collector that sets it admits only connections
 * whose first line is IOMON_HELLO_PREFIX followed by the token. */
#define IOMON_ENV_TOKEN "IOMON_TOKEN"
#define IOMON_HELLO_PREFIX "#iomon "
#define IOMON_TOKEN_MAX 64
#define IOMON_HELLO_MAX (sizeof(IOMON_HELLO_PREFIX) + IOMON_TOKEN_MAX)

#endif
