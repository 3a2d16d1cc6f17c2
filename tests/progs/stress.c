/*
 * Makes calls under stress, one mode per run, for tests/e2e/test_robust.c:
 *   stress DIR threads N ITER [PAUSE_US]
 *   stress DIR cancel
 *   stress DIR signals MS [INTERVAL_US]
 *   stress DIR eintr
 *   stress DIR fork
 *   stress DIR names
 *   stress DIR chdir
 *   stress DIR many N
 *   stress DIR turns N
 *   stress DIR noroom N
 *   stress DIR wide
 *   stress DIR early
 *   stress DIR errno N ITER
 * and prints its pid, then what the mode says below.  Every result is
 * checked here, so a library that changed one fails the run (exit 1, a line
 * on stderr) whatever the records say.  Output that depends on timing (how
 * many calls a loop made) comes after a line "ok", so that the lines before
 * it can be compared with a run without the library.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MAX_THREADS 64

static int create(const char *name)
{
	int fd = open(in_dir(name), O_RDWR | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	return fd;
}

static void pause_us(long us)
{
	struct timespec ts = {us / 1000000, us % 1000000 * 1000};

	while (us > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * threads N ITER [PAUSE_US]: the main thread creates t00, t01, ... (one
 * per thread, in order, so their descriptors are known) and prints
 * "thread I fd FD" for each; thread I then makes ITER times: a write() of
 * 64 bytes, a pread() of them back (pausing PAUSE_US after each pair), and
 * closes its file.  Prints "ok".
 */
#define RECORD_SIZE 64

struct worker {
	int id;
	int fd;
	long iter;
	long pause;
};

static void *thread_main(void *arg)
{
	struct worker *w = arg;
	char out[RECORD_SIZE], in[RECORD_SIZE];

	for (long i = 0; i < w->iter; i++) {
		memset(out, 'a' + w->id % 26, sizeof(out));
		snprintf(out, sizeof(out), "%d:%ld:", w->id, i);
		CHECK(write(w->fd, out, sizeof(out)) == RECORD_SIZE);
		CHECK(pread(w->fd, in, sizeof(in), i * RECORD_SIZE) == RECORD_SIZE);
		CHECK(memcmp(in, out, sizeof(in)) == 0);
		pause_us(w->pause);
	}
	CHECK(close(w->fd) == 0);
	return NULL;
}

/* A count of threads from the command line: 1 to MAX_THREADS. */
static int thread_count(const char *arg)
{
	int n = atoi(arg);

	CHECK(n > 0 && n <= MAX_THREADS);
	return n;
}

/* Runs fn in n threads, the i-th given args + i * size, and waits for them
 * all. */
static void run_threads(int n, void *(*fn)(void *), void *args, size_t size)
{
	pthread_t t[MAX_THREADS];

	for (int i = 0; i < n; i++)
		CHECK(pthread_create(&t[i], NULL, fn, (char *)args + (size_t)i * size) == 0);
	for (int i = 0; i < n; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
}

static int threads_mode(int argc, char **argv)
{
	static struct worker w[MAX_THREADS];

	CHECK(argc >= 2);
	int n = thread_count(argv[0]);
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof(name), "t%02d", i);
		w[i] =
		    (struct worker){i, create(name), atol(argv[1]), argc > 2 ? atol(argv[2]) : 0};
		printf("thread %d fd %d\n", i, w[i].fd);
	}
	run_threads(n, thread_main, w, sizeof(*w));
	printf("ok\n");
	return 0;
}

/*
 * cancel: four threads each write() one byte to "victims", then block in
 * read() on an empty pipe, where they are cancelled.  Two new threads then
 * write() 1000 times each to s00 and s01, and the main thread 1000 times to
 * "main".  Prints "cancelled 4" and "ok".
 */
#define VICTIMS		4
#define SURVIVOR_WRITES 1000

static int victim_fd;
static int pipe_fds[2];
static sem_t ready;

static void *victim_main(void *arg)
{
	char c;

	(void)arg;
	CHECK(write(victim_fd, "v", 1) == 1);
	sem_post(&ready);
	ssize_t n = read(pipe_fds[0], &c, 1);
	/* Not reached: read() is a cancellation point and nobody writes. */
	fprintf(stderr, "stress: read() returned %zd\n", n);
	exit(1);
}

static void write_many(int fd, int times)
{
	for (int i = 0; i < times; i++)
		CHECK(write(fd, "0123456789abcdef0123456789abcdef", 32) == 32);
}

static void *survivor_main(void *arg)
{
	int fd = *(int *)arg;

	write_many(fd, SURVIVOR_WRITES);
	CHECK(close(fd) == 0);
	return NULL;
}

static int cancel_mode(void)
{
	pthread_t victim[VICTIMS], survivor[2];
	int survivor_fd[2];
	void *ret;

	victim_fd = create("victims");
	CHECK(pipe(pipe_fds) == 0);
	CHECK(sem_init(&ready, 0, 0) == 0);
	for (int i = 0; i < VICTIMS; i++)
		CHECK(pthread_create(&victim[i], NULL, victim_main, NULL) == 0);
	for (int i = 0; i < VICTIMS; i++)
		while (sem_wait(&ready) < 0)
			CHECK(errno == EINTR);
	/* They posted just before read(): give them time to block in it. */
	pause_us(200 * 1000);
	for (int i = 0; i < VICTIMS; i++)
		CHECK(pthread_cancel(victim[i]) == 0);
	for (int i = 0; i < VICTIMS; i++) {
		CHECK(pthread_join(victim[i], &ret) == 0);
		CHECK(ret == PTHREAD_CANCELED);
	}
	printf("cancelled %d\n", VICTIMS);
	survivor_fd[0] = create("s00");
	survivor_fd[1] = create("s01");
	int main_fd = create("main");
	for (int i = 0; i < 2; i++)
		CHECK(pthread_create(&survivor[i], NULL, survivor_main, &survivor_fd[i]) == 0);
	write_many(main_fd, SURVIVOR_WRITES);
	for (int i = 0; i < 2; i++)
		CHECK(pthread_join(survivor[i], NULL) == 0);
	CHECK(close(main_fd) == 0 && close(victim_fd) == 0);
	printf("ok\n");
	return 0;
}

/*
 * signals MS [INTERVAL_US]: SIGALRM every INTERVAL_US microseconds (1000),
 * whose handler write()s one byte to "handler", while the main thread
 * write()s 16 bytes to "main" in a tight loop for MS milliseconds.  Checks
 * both files' sizes; prints "ok", then "main N handler H": the calls each
 * made.
 */
static int handler_fd;
static volatile sig_atomic_t handler_calls;
static volatile sig_atomic_t handler_failed;

static void on_alarm(int sig)
{
	int saved = errno;

	(void)sig;
	if (write(handler_fd, "h", 1) != 1)
		handler_failed = 1;
	handler_calls++;
	errno = saved;
}

static int signals_mode(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	struct itimerval every = {{0, 1000}, {0, 1000}}, off = {{0, 0}, {0, 0}};
	sigset_t alrm;
	struct stat st;
	long n = 0;

	CHECK(argc >= 1);
	uint64_t ms = (uint64_t)atol(argv[0]);
	if (argc > 1)
		every.it_interval.tv_usec = every.it_value.tv_usec = atol(argv[1]);
	int main_fd = create("main");
	handler_fd = create("handler");
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	CHECK(setitimer(ITIMER_REAL, &every, NULL) == 0);
	for (uint64_t end = now_ms() + ms; now_ms() < end; n++)
		CHECK(write(main_fd, "0123456789abcdef", 16) == 16);
	CHECK(setitimer(ITIMER_REAL, &off, NULL) == 0);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	CHECK(sigprocmask(SIG_BLOCK, &alrm, NULL) == 0);
	CHECK(!handler_failed);
	CHECK(fstat(main_fd, &st) == 0 && st.st_size == 16 * n);
	CHECK(fstat(handler_fd, &st) == 0 && st.st_size == handler_calls);
	CHECK(close(main_fd) == 0 && close(handler_fd) == 0);
	printf("ok\nmain %ld handler %ld\n", n, (long)handler_calls);
	return 0;
}

/*
 * eintr: a read() on an empty pipe, interrupted after 100 ms by SIGALRM,
 * whose handler was installed without SA_RESTART.  Prints "read FD: RET
 * errno ERRNO" and "ok".
 */
static volatile sig_atomic_t alarmed;

static void on_alarm_once(int sig)
{
	(void)sig;
	alarmed = 1;
}

static int eintr_mode(void)
{
	struct sigaction sa = {.sa_handler = on_alarm_once, .sa_flags = 0};
	struct itimerval once = {{0, 0}, {0, 100 * 1000}};
	char c;

	CHECK(pipe(pipe_fds) == 0);
	sigemptyset(&sa.sa_mask);
	CHECK(sigaction(SIGALRM, &sa, NULL) == 0);
	CHECK(setitimer(ITIMER_REAL, &once, NULL) == 0);
	errno = 0;
	ssize_t n = read(pipe_fds[0], &c, 1);
	int e = errno;
	printf("read %d: %zd errno %d\n", pipe_fds[0], n, e);
	CHECK(alarmed);
	printf("ok\n");
	return 0;
}

/*
 * fork: three threads write() 32 bytes to w00, w01, w02 without a pause
 * while the main thread, five times, writes 100 times to "main", forks a
 * child that writes 200 times to c0..c4 and leaves by _exit(0), writes 100
 * more and reaps it.  Then the threads stop.  Prints "ok", then "w0 N"
 * ... "w2 N", the writes each thread made.
 */
#define FORK_THREADS 3
#define FORKS	     5

static atomic_bool stop_writing;
static atomic_int writers_started;

static void *writer_main(void *arg)
{
	struct worker *w = arg;

	atomic_fetch_add(&writers_started, 1);
	while (!atomic_load(&stop_writing)) {
		write_many(w->fd, 1);
		w->iter++;
	}
	CHECK(close(w->fd) == 0);
	return NULL;
}

static int fork_mode(void)
{
	static struct worker w[FORK_THREADS];
	pthread_t t[FORK_THREADS];
	int status;

	int main_fd = create("main");
	for (int i = 0; i < FORK_THREADS; i++) {
		char name[16];
		snprintf(name, sizeof(name), "w%02d", i);
		w[i] = (struct worker){i, create(name), 0, 0};
		CHECK(pthread_create(&t[i], NULL, writer_main, &w[i]) == 0);
	}
	while (atomic_load(&writers_started) < FORK_THREADS)
		pause_us(100);
	CHECK(fflush(stdout) == 0);
	for (int k = 0; k < FORKS; k++) {
		write_many(main_fd, 100);
		pid_t pid = fork();
		CHECK(pid >= 0);
		if (pid == 0) {
			char name[16];
			snprintf(name, sizeof(name), "c%d", k);
			int fd = open(in_dir(name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0)
				_exit(1);
			for (int i = 0; i < 200; i++)
				if (write(fd, "child\n", 6) != 6)
					_exit(1);
			_exit(close(fd) == 0 ? 0 : 1);
		}
		write_many(main_fd, 100);
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	atomic_store(&stop_writing, true);
	for (int i = 0; i < FORK_THREADS; i++)
		CHECK(pthread_join(t[i], NULL) == 0);
	CHECK(close(main_fd) == 0);
	printf("ok\n");
	for (int i = 0; i < FORK_THREADS; i++)
		printf("w%d %ld\n", i, w[i].iter);
	return 0;
}

/*
 * names: open(), write() 3 bytes and close() files whose names hold a
 * comma, a quote, a newline, a carriage return, bytes that are not UTF-8,
 * all of these (that one by openat(), relative to DIR's descriptor); and a
 * file whose absolute path is 4095 bytes long, under nested directories.
 * Prints "long PATH" and "ok".
 */
static const char *const hostile_names[] = {
    "a,b", "a\"b", "a\nb", "a\rb", "\xff\xfe", "x,\"\n\r\xff\xfe\"\"y",
};

static void open_write_close(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	CHECK(fd >= 0);
	CHECK(write(fd, "abc", 3) == 3);
	CHECK(close(fd) == 0);
}

static int names_mode(void)
{
	static char path[4200];
	size_t n = sizeof(hostile_names) / sizeof(hostile_names[0]);

	for (size_t i = 0; i + 1 < n; i++)
		open_write_close(in_dir(hostile_names[i]));
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	int fd = openat(dfd, hostile_names[n - 1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, "abc", 3) == 3);
	CHECK(close(fd) == 0 && close(dfd) == 0);

	/* Directories of 250 bytes, then a file name that makes it 4095. */
	snprintf(path, sizeof(path), "%s", dir);
	for (;;) {
		size_t len = strlen(path), left = 4095 - len - 1;
		if (left <= 255) {
			path[len] = '/';
			memset(path + len + 1, 'f', left);
			path[len + 1 + left] = '\0';
			break;
		}
		path[len] = '/';
		memset(path + len + 1, 'd', 250);
		path[len + 251] = '\0';
		CHECK(mkdir(path, 0755) == 0 || errno == EEXIST);
	}
	CHECK(strlen(path) == 4095);
	open_write_close(path);
	printf("long %s\nok\n", path);
	return 0;
}

/*
 * chdir: chdir() to DIR, then open(), write() 3 bytes and close() "rel.txt"
 * by that relative path.  Prints "ok".
 */
static int chdir_mode(void)
{
	CHECK(chdir(dir) == 0);
	open_write_close("rel.txt");
	printf("ok\n");
	return 0;
}

/* many N: N threads alive at once, each making one write to its own fd of
 * /dev/null: a ring per thread must not make a program with a thousand
 * threads fail (memory) or lose one thread's record. */
static pthread_barrier_t all_alive;

static void *one_write(void *arg)
{
	int fd = (int)(intptr_t)arg;

	pthread_barrier_wait(&all_alive);
	CHECK(write(fd, "x", 1) == 1);
	return NULL;
}

static int many_mode(int argc, char **argv)
{
	CHECK(argc == 1);
	int n = atoi(argv[0]);
	CHECK(n > 0 && n <= 4096);
	pthread_t *threads = calloc((size_t)n, sizeof(*threads));
	pthread_attr_t attr;
	int fd = open("/dev/null", O_WRONLY);

	CHECK(threads && fd >= 0);
	CHECK(pthread_barrier_init(&all_alive, NULL, (unsigned)n) == 0);
	CHECK(pthread_attr_init(&attr) == 0 && pthread_attr_setstacksize(&attr, 64 * 1024) == 0);
	for (int i = 0; i < n; i++)
		CHECK(pthread_create(&threads[i], &attr, one_write, (void *)(intptr_t)fd) == 0);
	for (int i = 0; i < n; i++)
		CHECK(pthread_join(threads[i], NULL) == 0);
	CHECK(close(fd) == 0);
	free(threads);
	printf("ok\n");
	return 0;
}

/*
 * turns N: two threads take turns, N each: one writes DIR/a, then hands a
 * token to the other (a semaphore: no wrapped call), which writes DIR/b,
 * and hands it back.  The writes to a and b alternate; each thread has a
 * ring of its own, and the records must alternate all the same.
 */
struct turn {
	int fd;
	long n;
	sem_t *mine, *other;
};

static void *take_turns(void *arg)
{
	const struct turn *t = arg;

	for (long i = 0; i < t->n; i++) {
		while (sem_wait(t->mine) < 0)
			CHECK(errno == EINTR);
		CHECK(write(t->fd, "x", 1) == 1);
		CHECK(sem_post(t->other) == 0);
	}
	return NULL;
}

static int turns_mode(int argc, char **argv)
{
	sem_t a_turn, b_turn;
	pthread_t a, b;

	CHECK(argc == 1);
	long n = atol(argv[0]);
	struct turn ta = { create("a"), n, &a_turn, &b_turn };
	struct turn tb = { create("b"), n, &b_turn, &a_turn };
	CHECK(sem_init(&a_turn, 0, 1) == 0 && sem_init(&b_turn, 0, 0) == 0);
	CHECK(pthread_create(&a, NULL, take_turns, &ta) == 0);
	CHECK(pthread_create(&b, NULL, take_turns, &tb) == 0);
	CHECK(pthread_join(a, NULL) == 0 && pthread_join(b, NULL) == 0);
	CHECK(close(ta.fd) == 0 && close(tb.fd) == 0);
	printf("ok\n");
	return 0;
}

/*
 * noroom N: a thread that has too little address space left for the
 * library's ring makes N writes to /dev/null: they cannot be recorded, and
 * must be counted as dropped.  The main thread writes before and after.
 * The limit leaves room for the thread's own stack (64 KiB), not for a
 * mapping of 128 KiB more, which the program checks.
 */
static void *writes_to(void *arg)
{
	const int *fd_n = arg;

	write_many(fd_n[0], fd_n[1]);
	return NULL;
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SANITIZED 1
#endif

static int noroom_mode(int argc, char **argv)
{
#ifdef SANITIZED
	/* A sanitizer's runtime maps memory of its own for a new thread. */
	(void)argv;
	printf("a sanitizer needs room\n");
	return argc == 1 ? 77 : 1;
#endif
	CHECK(argc == 1);
	int fd_n[2] = { open("/dev/null", O_WRONLY), atoi(argv[0]) };
	long pages = 0;
	FILE *statm = fopen("/proc/self/statm", "r");
	pthread_attr_t attr;
	pthread_t thread;

	CHECK(fd_n[0] >= 0 && fd_n[1] > 0 && statm && fscanf(statm, "%ld", &pages) == 1);
	CHECK(fclose(statm) == 0);
	write_many(fd_n[0], 1);
	CHECK(pthread_attr_init(&attr) == 0 && pthread_attr_setstacksize(&attr, 64 * 1024) == 0);
	struct rlimit as = { (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + 128 * 1024,
			     RLIM_INFINITY };
	CHECK(setrlimit(RLIMIT_AS, &as) == 0);
	void *more = mmap(NULL, 256 * 1024, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(more == MAP_FAILED && errno == ENOMEM);
	CHECK(pthread_create(&thread, &attr, writes_to, fd_n) == 0);
	CHECK(pthread_join(thread, NULL) == 0);
	as.rlim_cur = RLIM_INFINITY;
	CHECK(setrlimit(RLIMIT_AS, &as) == 0);
	write_many(fd_n[0], 1);
	CHECK(close(fd_n[0]) == 0);
	printf("ok\n");
	return 0;
}

/*
 * wide: two calls whose numbers are wider than a record's usual fields in
 * the library's buffer (libiomon/stream.h): a read of a pipe that waits
 * 4.5 s, more than 2^32 ticks of any clock the library times calls with,
 * and an fwrite of 5 GiB to /dev/null, from a mapping never touched.
 */
#define WIDE_WAIT_US 4500000
#define WIDE_BYTES ((size_t)5 << 30)

struct later_write {
	int fd;
	long us;
};

static void *write_later(void *arg)
{
	const struct later_write *w = arg;

	pause_us(w->us);
	CHECK(write(w->fd, "x", 1) == 1);
	return NULL;
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A read of a pipe that a thread writes to us microseconds after it
 * starts; the ns the read took, measured around the call. */
static uint64_t read_written_later(long us)
{
	int p[2];
	pthread_t t;
	char c;

	CHECK(pipe(p) == 0);
	struct later_write w = { p[1], us };
	CHECK(pthread_create(&t, NULL, write_later, &w) == 0);
	uint64_t t0 = monotonic_ns();
	CHECK(read(p[0], &c, 1) == 1 && c == 'x');
	uint64_t took = monotonic_ns() - t0;
	CHECK(pthread_join(t, NULL) == 0);
	CHECK(close(p[0]) == 0 && close(p[1]) == 0);
	return took;
}

static int wide_mode(void)
{
	read_written_later(WIDE_WAIT_US);
	void *zeros = mmap(NULL, WIDE_BYTES, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			   -1, 0);
	CHECK(zeros != MAP_FAILED);
	FILE *null = fopen("/dev/null", "w");
	CHECK(null != NULL);
	CHECK(fwrite(zeros, 1, WIDE_BYTES, null) == WIDE_BYTES);
	CHECK(fclose(null) == 0);
	CHECK(munmap(zeros, WIDE_BYTES) == 0);
	printf("ok\n");
	return 0;
}

/*
 * early: a call timed while the process is young, a few milliseconds
 * after the library started (libiomon/clock.c: the TSC, once its rate has
 * been measured a millisecond in): a write to /dev/null 2 ms in, then a
 * read of a pipe that waits EARLY_WAIT_US for a thread's write.  After
 * "ok", the time the read took, measured here with CLOCK_MONOTONIC around
 * the call, in ns.
 */
#define EARLY_WAIT_US 100000

static int early_mode(void)
{
	int null;

	pause_us(2000);
	CHECK((null = open("/dev/null", O_WRONLY)) >= 0);
	CHECK(write(null, "x", 1) == 1 && close(null) == 0);
	uint64_t took = read_written_later(EARLY_WAIT_US);
	printf("ok\n%llu\n", (unsigned long long)took);
	return 0;
}

/*
 * errno: N threads, ITER times each, make an open that fails, each with an
 * errno of its own: ENOENT for an even thread (a file that is not there,
 * "absentNN"), ENOTDIR for an odd one (a path under a file, "eNN/sub").
 * Between two, a write that succeeds must leave the thread's errno as the
 * thread set it.  Every errno is checked here; the test checks the records.
 */
struct errno_worker {
	char path[4200];
	int want;
	int fd;
	long iter;
	int mine;
};

static void *errno_main(void *arg)
{
	struct errno_worker *w = arg;

	for (long i = 0; i < w->iter; i++) {
		CHECK_FAILS(open(w->path, O_RDONLY), w->want);
		errno = w->mine;
		CHECK(write(w->fd, "x", 1) == 1);
		CHECK(errno == w->mine);
	}
	CHECK(close(w->fd) == 0);
	return NULL;
}

static int errno_mode(int argc, char **argv)
{
	static struct errno_worker w[MAX_THREADS];

	CHECK(argc == 2);
	int n = thread_count(argv[0]);
	for (int i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "e%02d", i);
		w[i].fd = create(name);
		if (i % 2 == 0) {
			snprintf(name, sizeof(name), "absent%02d", i);
			w[i].want = ENOENT;
		} else {
			snprintf(name, sizeof(name), "e%02d/sub", i);
			w[i].want = ENOTDIR;
		}
		snprintf(w[i].path, sizeof(w[i].path), "%s", in_dir(name));
		w[i].iter = atol(argv[1]);
		w[i].mine = 1000 + i;
	}
	run_threads(n, errno_main, w, sizeof(*w));
	printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: stress DIR MODE [ARGS...]\n");
		return 2;
	}
	dir = argv[1];
	printf("%d\n", (int)getpid());
	const char *mode = argv[2];
	argc -= 3;
	argv += 3;
	if (strcmp(mode, "threads") == 0)
		return threads_mode(argc, argv);
	if (strcmp(mode, "cancel") == 0)
		return cancel_mode();
	if (strcmp(mode, "signals") == 0)
		return signals_mode(argc, argv);
	if (strcmp(mode, "eintr") == 0)
		return eintr_mode();
	if (strcmp(mode, "fork") == 0)
		return fork_mode();
	if (strcmp(mode, "names") == 0)
		return names_mode();
	if (strcmp(mode, "chdir") == 0)
		return chdir_mode();
	if (strcmp(mode, "many") == 0)
		return many_mode(argc, argv);
	if (strcmp(mode, "turns") == 0)
		return turns_mode(argc, argv);
	if (strcmp(mode, "noroom") == 0)
		return noroom_mode(argc, argv);
	if (strcmp(mode, "wide") == 0)
		return wide_mode();
	if (strcmp(mode, "early") == 0)
		return early_mode();
	if (strcmp(mode, "errno") == 0)
		return errno_mode(argc, argv);
	fprintf(stderr, "stress: no mode %s\n", mode);
	return 2;
}
