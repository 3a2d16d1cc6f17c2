/*
 * The call log of the test programs (calllog.c): what it exports, and which
 * rows it can pass through on this machine.
 */
#ifndef IOMON_TEST_CALLLOG_H
#define IOMON_TEST_CALLLOG_H

/* Whether the hand-written rows (variadic functions, vfork) are passed
 * through: that takes a few instructions of assembly, written for x86_64. */
#if defined(__x86_64__)
#define CALLLOG_HANDWRITTEN 1
#else
#define CALLLOG_HANDWRITTEN 0
#endif

void calllog_signed(const char *name, long long result);
void calllog_unsigned(const char *name, unsigned long long result);
void calllog_pointer(const char *name, const void *result);
void calllog_none(const char *name);

#endif
