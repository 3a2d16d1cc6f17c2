/*
 * iomon: runs a command with libiomon preloaded and collects the records of
 * every process it starts.
 *
 * Exit status: the command's, or 128+N when signal N killed it; 126 or 127
 * when it could not be run; 1 when iomon itself failed: before running the
 * command, or writing records of a command that succeeded; 2 for a usage
 * error.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collector.h"
#include "config.h"
#include "job.h"
#include "record.h"

#define EXIT_USAGE 2

/* Long options without a short form. */
enum { OPT_DROP = 0x100 };

/* A live viewer gets records each poll round anyway; the buffer only has to
 * keep a flood of records down to a few large writes. */
#define OUTPUT_BUFFER_SIZE (1024 * 1024)

struct options {
	char facility[IOMON_FACILITY_MAX + 1]; /* "" when not given */
	const char *start_on_open;
	const char *output; /* NULL: standard error */
	unsigned port;	    /* 0: embedded collector */
	bool unbuffered;    /* one send per record */
	bool drop;	    /* drop, not wait, when the collector lags */
	char **command;
};

static void usage(void)
{
	printf(
	    "Usage: iomon [options] [--] command [args...]\n"
	    "Run the command with libiomon preloaded and write one CSV record per I/O\n"
	    "call made by it or by any process it starts.\n"
	    "\n"
	    "Options:\n"
	    "  -f, --facility ID         mark the records with ID: 1 to %d of A-Z a-z 0-9 _ . -\n"
	    "                            (longer is cut; default: $%s or \"u\")\n"
	    "  -s, --start-on-open TEXT  record nothing until a path containing TEXT is opened\n"
	    "  -o, --output FILE         write the records to FILE (default: standard error)\n"
	    "  -p, --port N              send the records to a collector already listening on\n"
	    "                            127.0.0.1:N instead of collecting them (not with -o)\n"
	    "  -u, --unbuffered          send each record as it is made, not in batches\n"
	    "      --drop                when the collector is slower than the program, drop\n"
	    "                            and count records rather than make the program wait\n"
	    "  -h, --help                show this help and exit\n"
	    "  -V, --version             show the version and exit\n"
	    "\n"
	    "Exit status: the command's (128+N if signal N killed it, 126 or 127 if it\n"
	    "could not be run); 1 if iomon failed; 2 if the command line is wrong.\n",
	    IOMON_FACILITY_MAX, IOMON_ENV_FACILITY);
}

static noreturn __attribute__((format(printf, 1, 2))) void usage_error(const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vwarnx(fmt, ap);
		va_end(ap);
	}
	fprintf(stderr, "Try 'iomon --help'.\n");
	exit(EXIT_USAGE);
}

/* stdout may be a full disk or a closed pipe: exiting 0 would lie. */
static noreturn void exit_after_printing(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "standard output");
	exit(0);
}

static void set_facility(struct options *o, const char *id)
{
	if (*id == '\0')
		usage_error("facility must not be empty");
	for (const char *p = id; *p; p++)
		if (!iomon_is_facility_char((unsigned char)*p))
			usage_error("facility '%s': only A-Z a-z 0-9 _ . - are allowed", id);
	if (strlcpy(o->facility, id, sizeof(o->facility)) >= sizeof(o->facility))
		warnx("facility '%s' cut to '%s'", id, o->facility);
}

static void parse_options(int argc, char **argv, struct options *o)
{
	/* '+': options end at the command, whose own options are its own. */
	static const char optstring[] = "+f:s:o:p:uhV";
	static const struct option longopts[] = {
	    {"facility", required_argument, NULL, 'f'},
	    {"unbuffered", no_argument, NULL, 'u'},
	    {"drop", no_argument, NULL, OPT_DROP},
	    {"start-on-open", required_argument, NULL, 's'},
	    {"output", required_argument, NULL, 'o'},
	    {"port", required_argument, NULL, 'p'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *errstr;
	int c;

	*o = (struct options){0};
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			set_facility(o, optarg);
			break;
		case 's':
			if (*optarg == '\0')
				usage_error("start-on-open text must not be empty");
			o->start_on_open = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'p':
			o->port = (unsigned)strtonum(optarg, 1, 65535, &errstr);
			if (errstr)
				usage_error("port '%s' is %s: it must be 1 to 65535", optarg,
					    errstr);
			break;
		case 'u':
			o->unbuffered = true;
			break;
		case OPT_DROP:
			o->drop = true;
			break;
		case 'h':
			usage();
			exit_after_printing();
		case 'V':
			printf("iomon %s\n", IOMON_VERSION);
			exit_after_printing();
		default:
			usage_error(NULL); /* getopt has said what is wrong */
		}
	}
	if (optind == argc)
		usage_error("no command to run");
	if (o->port && o->output)
		usage_error(
		    "-o cannot be used with -p: the collector on port %u writes the records",
		    o->port);
	o->command = argv + optind;
}

static void set_env(const char *name, const char *value)
{
	if (setenv(name, value, 1) < 0)
		err(1, "setting %s", name);
}

static void export_port(unsigned port)
{
	char value[sizeof("65535")];

	snprintf(value, sizeof(value), "%u", port);
	set_env(IOMON_ENV_PORT, value);
}

/* The same file, not merely the same name: the build tree may be reached
 * through symbolic links. */
static bool running_from_build_tree(void)
{
	struct stat self, built;

	return stat("/proc/self/exe", &self) == 0 && stat(IOMON_BUILD_EXE, &built) == 0 &&
	       self.st_dev == built.st_dev && self.st_ino == built.st_ino;
}

/* An absolute path, since the command's processes may run anywhere. */
static char *checked_library(const char *path, const char *origin)
{
	char *real = realpath(path, NULL);
	struct stat st;

	if (!real)
		err(1, "library %s (%s)", path, origin);
	if (stat(real, &st) < 0 || !S_ISREG(st.st_mode))
		errx(1, "library %s (%s) is not a file", real, origin);
	/* The dynamic loader splits LD_PRELOAD at both. */
	if (strpbrk(real, ": "))
		errx(1, "library %s (%s): LD_PRELOAD cannot hold a path with ':' or ' '", real,
		     origin);
	return real;
}

/* The installed library, found from where this iomon is, so that a tree
 * installed with DESTDIR, or moved as a whole, finds its own. */
static char *installed_library(void)
{
	char exe[PATH_MAX], *path;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			if (asprintf(&path, "%s/%s/%s", exe, IOMON_LIBDIR_FROM_BINDIR, IOMON_LIBNAME) < 0)
				err(1, "library path");
			if (access(path, R_OK) == 0)
				return path;
			free(path);
		}
	}
	return strdup(IOMON_LIBDIR "/" IOMON_LIBNAME);
}

static char *find_library(void)
{
	const char *env = getenv("IOMON_LIBRARY");

	if (env && *env)
		return checked_library(env, "from IOMON_LIBRARY");
	if (running_from_build_tree())
		return checked_library(IOMON_BUILD_LIBRARY, "in the build tree");
	char *installed = installed_library();
	char *checked = checked_library(installed, "installed");
	free(installed);
	return checked;
}

/* After what is there: a library preloaded on purpose (a sanitizer runtime)
 * must stay first. */
static void preload(const char *library)
{
	const char *old = getenv("LD_PRELOAD");
	char *value;

	if (!old || *old == '\0') {
		set_env("LD_PRELOAD", library);
		return;
	}
	if (asprintf(&value, "%s:%s", old, library) < 0)
		err(1, "LD_PRELOAD");
	set_env("LD_PRELOAD", value);
	free(value);
}

static void export_options(const struct options *o)
{
	char *library = find_library();

	preload(library);
	free(library);
	if (*o->facility)
		set_env(IOMON_ENV_FACILITY, o->facility);
	if (o->start_on_open)
		set_env(IOMON_ENV_START_ON_OPEN, o->start_on_open);
	if (o->unbuffered)
		set_env(IOMON_ENV_UNBUFFERED, "1");
	if (o->drop)
		set_env(IOMON_ENV_DROP, "1");
}

/* Our own descriptor even for standard error: its buffer is ours to size,
 * and iomon's messages on stderr stay unbuffered. */
static FILE *open_output(const char *path, const char **name)
{
	static char buffer[OUTPUT_BUFFER_SIZE];
	int fd;
	FILE *out;

	if (path) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOCTTY | O_CLOEXEC, 0666);
		*name = path;
	} else {
		fd = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 0);
		*name = "standard error";
	}
	if (fd < 0)
		err(1, "%s", *name);
	out = fdopen(fd, "w");
	if (!out)
		err(1, "%s", *name);
	setvbuf(out, buffer, _IOFBF, sizeof(buffer));
	return out;
}

/* One round of the collector; true when a signal asks iomon to stop waiting. */
static bool serve(struct collector *c, struct job *job)
{
	return collector_poll(c, job->signal_fd, -1) && job_on_signals(job);
}

/* A random token for this run, known only to the processes it starts:
 * another local user can reach the port, but cannot add records to it. */
static void make_token(struct collector *c)
{
	unsigned char raw[16];
	char token[2 * sizeof(raw) + 1];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		err(1, "session token");
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(token + 2 * i, 3, "%02x", raw[i]);
	set_env(IOMON_ENV_TOKEN, token);
	collector_require_token(c, token);
}

/* Waits for the whole job, then for every connection to end; a signal after
 * the command's exit cuts this short, keeping what has arrived. */
static int run_collected(const struct options *o)
{
	const char *out_name;
	FILE *out = open_output(o->output, &out_name);
	struct collector *c = collector_open(out, out_name);
	struct job job;
	bool interrupted = false;

	export_port(collector_port(c));
	make_token(c);
	job_start(&job, o->command);

	while (!interrupted && !job.done)
		interrupted = serve(c, &job);
	if (!interrupted) {
		/* No process is left to connect: only the backlog and the data
		 * in flight remain. */
		collector_stop_listening(c);
		while (!interrupted && !collector_idle(c))
			interrupted = serve(c, &job);
	}
	if (interrupted)
		collector_drain_now(c);

	uint64_t rejected = collector_rejected(c);
	uint64_t refused = collector_refused(c);
	bool written = collector_close(c);
	int status = job_exit_status(&job);

	if (rejected)
		warnx("%llu malformed record%s rejected", (unsigned long long)rejected,
		      rejected == 1 ? "" : "s");
	if (refused)
		warnx("%llu connection%s without the session token refused",
		      (unsigned long long)refused, refused == 1 ? "" : "s");
	return status == 0 && !written ? 1 : status;
}

int main(int argc, char **argv)
{
	struct options o;

	parse_options(argc, argv, &o);
	export_options(&o);
	if (o.port) {
		/* Nothing to collect: the command can have this process. */
		export_port(o.port);
		job_exec(o.command);
	}
	return run_collected(&o);
}
