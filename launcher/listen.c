/* iomon listen: see listen.h. */
#include <arpa/inet.h>
#include <err.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "collector.h"
#include "config.h"
#include "listen.h"
#include "metrics.h"
#include "output.h"
#include "summary.h"

#define TRY "iomon listen --help"

/* Longest --interval: a day. */
#define INTERVAL_MAX (24LL * 3600)

enum { OPT_FORMAT = 0x100, OPT_INTERVAL, OPT_TOKEN, OPT_METRICS };

struct listen_options {
	const char *bind;   /* NULL: 127.0.0.1 */
	unsigned port;
	const char *output; /* NULL: standard output */
	enum output_format format;
	bool summary;
	uint64_t interval_ns; /* 0: print the summary only on exit */
	const char *token;    /* NULL: admit connections without one */
	const char *metrics;  /* NULL: no Prometheus endpoint */
};

static void usage(void)
{
	printf("Usage: iomon listen [options]\n"
	       "Collect the records of every process that sends them to the port, until\n"
	       "SIGTERM or SIGINT; SIGHUP reopens the output file (for log rotation).\n"
	       "\n"
	       "Options:\n"
	       "  -p, --port N              listen on port N (default: %d; 0: any free port)\n"
	       "  -b, --bind ADDR           listen on address ADDR (IPv4 or IPv6) instead of\n"
	       "                            127.0.0.1: records name files, think twice\n"
	       "  -o, --output FILE         append the records to FILE (default: standard output)\n"
	       "      --format csv|jsonl    write CSV (the default) or JSON Lines\n"
	       "  -c, --summary             print a summary to standard error on exit\n"
	       "      --interval SECONDS    with -c, also every SECONDS (e.g. 60 or 0.5)\n"
	       "      --token TOKEN         admit only connections that present TOKEN (1 to %d\n"
	       "                            lowercase hex digits; the library sends IOMON_TOKEN)\n"
	       "      --metrics ADDR:PORT   serve Prometheus metrics at http://ADDR:PORT/metrics\n"
	       "  -h, --help                show this help and exit\n"
	       "\n"
	       "Start a process with: LD_PRELOAD=libiomon.so IOMON_PORT=N command,\n"
	       "or iomon -p N -- command.\n",
	       IOMON_DEFAULT_PORT, IOMON_TOKEN_MAX);
}

static void parse_options(int argc, char **argv, struct listen_options *o)
{
	static const char optstring[] = "+p:b:o:ch";
	static const struct option longopts[] = {
	    {"port", required_argument, NULL, 'p'},
	    {"bind", required_argument, NULL, 'b'},
	    {"output", required_argument, NULL, 'o'},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"summary", no_argument, NULL, 'c'},
	    {"interval", required_argument, NULL, OPT_INTERVAL},
	    {"token", required_argument, NULL, OPT_TOKEN},
	    {"metrics", required_argument, NULL, OPT_METRICS},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *errstr;
	int c;

	*o = (struct listen_options){.port = IOMON_DEFAULT_PORT, .format = OUTPUT_CSV};
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->port = (unsigned)strtonum(optarg, 0, 65535, &errstr);
			if (errstr)
				usage_error(TRY, "port '%s' is %s: it must be 0 to 65535", optarg,
					    errstr);
			break;
		case 'b':
			o->bind = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case OPT_FORMAT:
			if (!output_parse_format(optarg, &o->format))
				usage_error(TRY, "format '%s': it must be csv or jsonl", optarg);
			break;
		case 'c':
			o->summary = true;
			break;
		case OPT_INTERVAL:
			if (!parse_decimal(optarg, INTERVAL_MAX, &o->interval_ns) ||
			    o->interval_ns < 1000000)
				usage_error(TRY,
					    "interval '%s': it must be a number of seconds from "
					    "0.001 to %lld",
					    optarg, INTERVAL_MAX);
			break;
		case OPT_TOKEN: {
			size_t n = strlen(optarg);

			if (n == 0 || n > IOMON_TOKEN_MAX ||
			    strspn(optarg, "0123456789abcdef") != n)
				usage_error(TRY,
					    "token '%s': it must be 1 to %d lowercase hexadecimal "
					    "digits",
					    optarg, IOMON_TOKEN_MAX);
			o->token = optarg;
			break;
		}
		case OPT_METRICS:
			o->metrics = optarg;
			break;
		case 'h':
			usage();
			exit_after_printing();
		default:
			usage_error(TRY, NULL);
		}
	}
	if (optind != argc)
		usage_error(TRY, "unexpected argument '%s': listen runs no command", argv[optind]);
	if (o->interval_ns && !o->summary)
		usage_error(TRY, "--interval needs -c: it is how often the summary is printed");
}

/* A numeric address: no name lookup, so no surprise about which interface
 * the records are exposed on. */
static struct addrinfo *resolve(const struct listen_options *o)
{
	struct addrinfo hints = {
	    .ai_family = AF_UNSPEC,
	    .ai_socktype = SOCK_STREAM,
	    .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
	};
	struct addrinfo *ai;
	char port[sizeof("65535")];

	snprintf(port, sizeof(port), "%u", o->port);
	/* getaddrinfo takes "1.2.3" for 1.2.0.3: only the dotted quad, please. */
	unsigned char probe[sizeof(struct in6_addr)];
	if (o->bind && inet_pton(AF_INET, o->bind, probe) != 1 &&
	    inet_pton(AF_INET6, o->bind, probe) != 1)
		usage_error(TRY, "bind address '%s': give a numeric IPv4 or IPv6 address", o->bind);
	int e = getaddrinfo(o->bind ? o->bind : "127.0.0.1", port, &hints, &ai);
	if (e)
		usage_error(TRY, "bind address '%s': %s (give a numeric IPv4 or IPv6 address)",
			    o->bind, gai_strerror(e));
	return ai;
}

/* SIGINT, SIGTERM and SIGHUP arrive on a descriptor the poll loop watches;
 * SIGPIPE is ignored so that a closed output is an error to report.  A
 * signal ignored when iomon started (nohup, a background job of a script)
 * would never reach the descriptor: it is handled all the same, since none
 * of them kills iomon listen abruptly. */
static int signal_fd(void)
{
	static const int handled[] = {SIGINT, SIGTERM, SIGHUP};
	sigset_t set;
	int fd;

	sigemptyset(&set);
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		sigaddset(&set, handled[i]);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		err(1, "signals");
	for (size_t i = 0; i < sizeof(handled) / sizeof(handled[0]); i++)
		if (signal(handled[i], SIG_DFL) == SIG_ERR)
			err(1, "signals");
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		err(1, "signalfd");
	return fd;
}

/* A descriptor per traced process: the default soft limit (1024) is too
 * few for a busy machine. */
static void raise_fd_limit(void)
{
	struct rlimit limit;

	if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
		limit.rlim_cur = limit.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &limit) < 0)
			warn("raising the descriptor limit");
	}
}

/* Handles the pending signals; returns whether one asks to stop. */
static bool on_signals(int fd, struct output *out)
{
	struct signalfd_siginfo si;
	bool stop = false;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP)
			output_reopen(out);
		else
			stop = true;
	}
	return stop;
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Milliseconds to wait for the next periodic summary, rounded up (-1: none
 * is due). */
static int timeout_until(uint64_t deadline_ns)
{
	uint64_t now;

	if (!deadline_ns)
		return -1;
	now = now_ns();
	return now >= deadline_ns ? 0 : (int)((deadline_ns - now + 999999) / 1000000);
}

/* Prometheus metrics (metrics.h): every record, and the collector's own
 * counts after each round. */
static void observe(void *arg, const char *line, size_t len, const struct iomon_parsed *rec)
{
	(void)arg, (void)line, (void)len;
	metrics_observe(rec);
}

static void count_collector(void *arg)
{
	const struct collector *c = arg;

	metrics_set_collector_counts(collector_rejected(c), collector_refused(c));
}

static void print_summary(const struct summary *s)
{
	summary_print(s, stderr);
	fflush(stderr);
}

int listen_main(int argc, char **argv)
{
	struct listen_options o;
	struct addrinfo *ai;
	char host[NI_MAXHOST], name[NI_MAXHOST + 16];
	struct summary *summary = NULL;
	uint64_t next_summary = 0;
	bool stop = false;

	parse_options(argc, argv, &o);
	ai = resolve(&o);
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0,
			NI_NUMERICHOST) != 0)
		strlcpy(host, o.bind ? o.bind : "127.0.0.1", sizeof(host));
	snprintf(name, sizeof(name), ai->ai_family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
		 o.port);

	struct output *out =
	    output_open(o.output, true, STDOUT_FILENO, "standard output", o.format);
	int sigfd = signal_fd();
	raise_fd_limit();
	struct collector *c = collector_open(ai->ai_addr, ai->ai_addrlen, name);
	struct collector_sink sink = output_sink(out);
	int family = ai->ai_family;

	freeaddrinfo(ai);
	collector_add_sink(c, &sink);
	if (o.summary) {
		summary = summary_new();
		sink = summary_sink(summary);
		collector_add_sink(c, &sink);
		if (o.interval_ns)
			next_summary = now_ns() + o.interval_ns;
	}
	if (o.token)
		collector_require_token(c, o.token);
	if (o.metrics) {
		if (!metrics_serve(o.metrics))
			usage_error(TRY, "cannot serve metrics on '%s'", o.metrics);
		sink = (struct collector_sink){observe, count_collector, c};
		collector_add_sink(c, &sink);
		warnx("metrics on http://%s/metrics", metrics_address());
	}
	/* Port 0 is the kernel's pick: say which, and that we are ready. */
	snprintf(name, sizeof(name), family == AF_INET6 ? "[%s]:%u" : "%s:%u", host,
		 collector_port(c));
	warnx("listening on %s", name);

	while (!stop) {
		if (collector_poll(c, sigfd, timeout_until(next_summary)))
			stop = on_signals(sigfd, out);
		if (next_summary && now_ns() >= next_summary) {
			print_summary(summary);
			next_summary = now_ns() + o.interval_ns;
		}
	}
	/* What the peers have sent is written; then the connections end. */
	collector_drain_now(c);
	collector_warn_counts(c);
	collector_close(c);
	metrics_stop();
	bool written = output_close(out);
	if (summary) {
		print_summary(summary);
		summary_free(summary);
	}
	close(sigfd);
	return written ? 0 : 1;
}
