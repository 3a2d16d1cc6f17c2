/*
 * iomon: runs a command with libiomon preloaded and collects the records of
 * every process it starts.
 *
 * Exit status: the command's, or 128+N when signal N killed it; 126 or 127
 * when it could not be run; 1 when iomon itself failed: before running the
 * command, or writing records of a command that succeeded; 2 for a usage
 * error.
 *
 * `iomon listen` (listen.c) and `iomon report` (report.c) are dispatched
 * from here.
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "collector.h"
#include "config.h"
#include "job.h"
#include "listen.h"
#include "output.h"
#include "report.h"
#include "settings.h"
#include "summary.h"

#define TRY "iomon --help"

/* Long options without a short form. */
enum { OPT_DROP = 0x100, OPT_EXCLUDE, OPT_SLOWER_THAN, OPT_ERRORS_ONLY, OPT_FORMAT };

struct options {
	char facility[IOMON_FACILITY_MAX + 1]; /* "" when not given */
	const char *start_on_open;
	const char *output; /* NULL: standard error */
	unsigned port;	    /* 0: embedded collector */
	bool unbuffered;    /* one send per record */
	bool drop;	    /* drop, not wait, when the collector lags */
	/* Filters, exported to the library; NULL/false when not given. */
	const char *domains;
	char *paths, *exclude; /* ':'-joined absolute prefixes */
	bool start_after_given;
	uint64_t start_after_ns;
	const char *slower_than;
	bool errors_only;
	enum output_format format;
	bool format_given;
	bool summary;
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
	    "      --format csv|jsonl    write CSV (the default) or JSON Lines\n"
	    "  -c, --summary             when the command ends, print a summary (per op:\n"
	    "                            calls, errors, bytes, latency percentiles; top files;\n"
	    "                            processes) to standard error\n"
	    "  -u, --unbuffered          send each record as it is made, not in batches\n"
	    "      --drop                when the collector is slower than the program, drop\n"
	    "                            and count records rather than make the program wait\n"
	    "\n"
	    "Filters (applied in the library; START and STOP records are always kept):\n"
	    "  -d, --domains LIST        record only these domains: comma-separated names\n"
	    "                            (FILE_READ,FILE_WRITE,...) or ALL\n"
	    "  -P, --path PREFIX         record only paths under PREFIX (repeatable)\n"
	    "      --exclude PREFIX      do not record paths under PREFIX (repeatable)\n"
	    "  -e, --start-after SECONDS record nothing for the first SECONDS (e.g. 2.5)\n"
	    "      --slower-than MS      record only calls that took at least MS milliseconds\n"
	    "      --errors-only         record only calls that failed\n"
	    "\n"
	    "  -h, --help                show this help and exit\n"
	    "  -V, --version             show the version and exit\n"
	    "\n"
	    "Other commands:\n"
	    "  iomon listen [options]    collect the records of any process that sends them\n"
	    "                            (see iomon listen --help)\n"
	    "  iomon report FILE         summarize a recorded trace (see iomon report --help)\n"
	    "\n"
	    "Exit status: the command's (128+N if signal N killed it, 126 or 127 if it\n"
	    "could not be run); 1 if iomon failed; 2 if the command line is wrong.\n",
	    IOMON_FACILITY_MAX, IOMON_ENV_FACILITY);
}

/* Appends prefix, made absolute, to the ':'-separated list *list. */
static void add_prefix(char **list, const char *prefix, const char *option)
{
	char *cwd = NULL, *joined;
	const char *absolute = prefix;

	if (*prefix == '\0')
		usage_error(TRY, "%s: the path prefix must not be empty", option);
	if (strchr(prefix, ':'))
		usage_error(TRY, "%s '%s': a path prefix cannot hold ':'", option, prefix);
	if (*prefix != '/') {
		/* The library compares with absolute paths; the traced
		 * processes may run anywhere. */
		char *here = getcwd(NULL, 0);

		if (!here)
			err(1, "current directory");
		if (strchr(here, ':'))
			usage_error(TRY, "%s '%s': the current directory holds ':'", option,
				    prefix);
		if (asprintf(&cwd, "%s/%s", here, prefix) < 0)
			err(1, "%s", option);
		free(here);
		absolute = cwd;
	}
	if (asprintf(&joined, "%s%s%s", *list ? *list : "", *list ? ":" : "", absolute) < 0)
		err(1, "%s", option);
	free(*list);
	free(cwd);
	*list = joined;
}

static void parse_options(int argc, char **argv, struct options *o)
{
	/* '+': options end at the command, whose own options are its own. */
	static const char optstring[] = "+f:s:o:p:cd:P:e:uhV";
	static const struct option longopts[] = {
	    {"facility", required_argument, NULL, 'f'},
	    {"unbuffered", no_argument, NULL, 'u'},
	    {"drop", no_argument, NULL, OPT_DROP},
	    {"start-on-open", required_argument, NULL, 's'},
	    {"output", required_argument, NULL, 'o'},
	    {"port", required_argument, NULL, 'p'},
	    {"format", required_argument, NULL, OPT_FORMAT},
	    {"summary", no_argument, NULL, 'c'},
	    {"domains", required_argument, NULL, 'd'},
	    {"path", required_argument, NULL, 'P'},
	    {"exclude", required_argument, NULL, OPT_EXCLUDE},
	    {"start-after", required_argument, NULL, 'e'},
	    {"slower-than", required_argument, NULL, OPT_SLOWER_THAN},
	    {"errors-only", no_argument, NULL, OPT_ERRORS_ONLY},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	const char *errstr;
	int c;

	*o = (struct options){.format = OUTPUT_CSV};
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			check_facility(OPTION("--facility"), optarg, o->facility);
			break;
		case 's':
			if (*optarg == '\0')
				usage_error(TRY, "start-on-open text must not be empty");
			o->start_on_open = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'p':
			o->port = (unsigned)strtonum(optarg, 1, 65535, &errstr);
			if (errstr)
				usage_error(TRY, "port '%s' is %s: it must be 1 to 65535", optarg,
					    errstr);
			break;
		case OPT_FORMAT:
			if (!output_parse_format(optarg, &o->format))
				usage_error(TRY, "format '%s': it must be csv or jsonl", optarg);
			o->format_given = true;
			break;
		case 'c':
			o->summary = true;
			break;
		case 'd':
			check_domains(OPTION("--domains"), optarg);
			o->domains = optarg;
			break;
		case 'P':
			add_prefix(&o->paths, optarg, "--path");
			break;
		case OPT_EXCLUDE:
			add_prefix(&o->exclude, optarg, "--exclude");
			break;
		case 'e':
			check_decimal(OPTION("--start-after"), optarg, START_AFTER_MAX, "seconds",
				      &o->start_after_ns);
			o->start_after_given = true;
			break;
		case OPT_SLOWER_THAN:
			check_decimal(OPTION("--slower-than"), optarg, SLOWER_THAN_MAX,
				      "milliseconds", NULL);
			o->slower_than = optarg;
			break;
		case OPT_ERRORS_ONLY:
			o->errors_only = true;
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
			usage_error(TRY, NULL); /* getopt has said what is wrong */
		}
	}
	if (optind == argc)
		usage_error(TRY, "no command to run");
	if (o->paths)
		check_prefixes(OPTION("--path"), o->paths);
	if (o->exclude)
		check_prefixes(OPTION("--exclude"), o->exclude);
	if (o->port && (o->output || o->format_given || o->summary))
		usage_error(TRY,
			    "-o, --format and -c cannot be used with -p: the collector on port %u "
			    "writes the records",
			    o->port);
	o->command = argv + optind;
}

/* A variable the command would inherit from iomon's environment: NULL
 * when an option sets it, or when it is unset or empty (which the library
 * takes as unset). */
static const char *inherited(const char *name, bool set_by_option)
{
	const char *v = set_by_option ? NULL : getenv(name);

	return v && *v ? v : NULL;
}

/* What the command inherits is checked as an option is: the library would
 * take a bad value for its default without a word, and MONITOR_DOMAINS=NOPE
 * would record everything. */
static void check_inherited(const struct options *o)
{
	const char *v;

	if ((v = inherited(IOMON_ENV_FACILITY, *o->facility)))
		check_facility(INHERITED(IOMON_ENV_FACILITY), v, NULL);
	if ((v = inherited(IOMON_ENV_DOMAINS, o->domains)))
		check_domains(INHERITED(IOMON_ENV_DOMAINS), v);
	if ((v = inherited(IOMON_ENV_PATHS, o->paths)))
		check_prefixes(INHERITED(IOMON_ENV_PATHS), v);
	if ((v = inherited(IOMON_ENV_EXCLUDE, o->exclude)))
		check_prefixes(INHERITED(IOMON_ENV_EXCLUDE), v);
	/* -e sets IOMON_START_AT, which wins over START_ON_ELAPSED. */
	if ((v = inherited(IOMON_ENV_START_ON_ELAPSED, o->start_after_given)))
		check_decimal(INHERITED(IOMON_ENV_START_ON_ELAPSED), v, START_AFTER_MAX, "seconds",
			      NULL);
	if ((v = inherited(IOMON_ENV_START_AT, o->start_after_given)))
		check_instant(INHERITED(IOMON_ENV_START_AT), v);
	if ((v = inherited(IOMON_ENV_SLOWER_THAN, o->slower_than)))
		check_decimal(INHERITED(IOMON_ENV_SLOWER_THAN), v, SLOWER_THAN_MAX, "milliseconds",
			      NULL);
	if ((v = inherited(IOMON_ENV_ERRORS_ONLY, o->errors_only)))
		check_switch(INHERITED(IOMON_ENV_ERRORS_ONLY), v);
	if ((v = inherited(IOMON_ENV_UNBUFFERED, o->unbuffered)))
		check_switch(INHERITED(IOMON_ENV_UNBUFFERED), v);
	if ((v = inherited(IOMON_ENV_DROP, o->drop)))
		check_switch(INHERITED(IOMON_ENV_DROP), v);
	/* Without -p, iomon sets the port and the token of its own collector. */
	if (o->port && (v = inherited(IOMON_ENV_TOKEN, false)))
		check_token(INHERITED(IOMON_ENV_TOKEN), v);
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

/*
 * Where this iomon is, from readlink(/proc/self/exe): a tool that runs the
 * launcher itself (valgrind) answers it with the launcher's path, where a
 * stat() of /proc/self/exe sees the tool's own binary.  Empty if unknown.
 */
static void self_exe(char exe[PATH_MAX])
{
	ssize_t n = readlink("/proc/self/exe", exe, PATH_MAX - 1);

	exe[n > 0 ? n : 0] = '\0';
}

/* The same file, not merely the same name: the build tree may be reached
 * through symbolic links. */
static bool running_from_build_tree(const char *exe)
{
	struct stat self, built;

	return stat(exe, &self) == 0 && stat(IOMON_BUILD_EXE, &built) == 0 &&
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
static char *installed_library(char *exe)
{
	char *slash = strrchr(exe, '/'), *path;

	if (slash) {
		*slash = '\0';
		if (asprintf(&path, "%s/%s/%s", exe, IOMON_LIBDIR_FROM_BINDIR, IOMON_LIBNAME) < 0)
			err(1, "library path");
		if (access(path, R_OK) == 0)
			return path;
		free(path);
	}
	return strdup(IOMON_LIBDIR "/" IOMON_LIBNAME);
}

static char *find_library(void)
{
	const char *env = getenv("IOMON_LIBRARY");

	if (env && *env)
		return checked_library(env, "from IOMON_LIBRARY");
	char exe[PATH_MAX];

	self_exe(exe);
	if (running_from_build_tree(exe))
		return checked_library(IOMON_BUILD_LIBRARY, "in the build tree");
	char *installed = installed_library(exe);
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

/*
 * A program built with AddressSanitizer (gcc's, whose runtime is a shared
 * library the program needs) exits at once when a preloaded library comes
 * before that runtime.  The library does not get in its way: each wrapper
 * passes the call on to the sanitizer's interceptor (RTLD_NEXT).  So
 * ASan is told not to check, unless ASAN_OPTIONS says otherwise already.
 */
static void let_asan_come_second(void)
{
	const char *old = getenv("ASAN_OPTIONS");
	char *value;

	if (old && strstr(old, "verify_asan_link_order"))
		return;
	if (asprintf(&value, "%s%sverify_asan_link_order=0", old ? old : "",
		     old && *old ? ":" : "") < 0)
		err(1, "ASAN_OPTIONS");
	set_env("ASAN_OPTIONS", value);
	free(value);
}

/* What the options say to filter; without them, the command inherits the
 * variables of iomon's environment. */
static void export_filters(const struct options *o)
{
	if (o->domains)
		set_env(IOMON_ENV_DOMAINS, o->domains);
	if (o->paths)
		set_env(IOMON_ENV_PATHS, o->paths);
	if (o->exclude)
		set_env(IOMON_ENV_EXCLUDE, o->exclude);
	if (o->start_after_given) {
		/* One instant for the whole tree: every process starts recording
		 * together, however late it was started. */
		struct timespec now;
		char value[32];

		if (clock_gettime(CLOCK_REALTIME, &now) < 0)
			err(1, "clock");
		snprintf(value, sizeof(value), "%llu",
			 (unsigned long long)now.tv_sec * 1000000000ull +
			     (unsigned long long)now.tv_nsec + o->start_after_ns);
		set_env(IOMON_ENV_START_AT, value);
	}
	if (o->slower_than)
		set_env(IOMON_ENV_SLOWER_THAN, o->slower_than);
	if (o->errors_only)
		set_env(IOMON_ENV_ERRORS_ONLY, "1");
}

static void export_options(const struct options *o)
{
	char *library = find_library();

	preload(library);
	free(library);
	let_asan_come_second();
	if (*o->facility)
		set_env(IOMON_ENV_FACILITY, o->facility);
	if (o->start_on_open)
		set_env(IOMON_ENV_START_ON_OPEN, o->start_on_open);
	if (o->unbuffered)
		set_env(IOMON_ENV_UNBUFFERED, "1");
	if (o->drop)
		set_env(IOMON_ENV_DROP, "1");
	export_filters(o);
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
	struct output *out =
	    output_open(o->output, false, STDERR_FILENO, "standard error", o->format);
	struct collector *c = collector_open(NULL, 0, NULL);
	struct collector_sink sink = output_sink(out);
	struct summary *summary = NULL;
	struct job job;
	bool interrupted = false;

	collector_add_sink(c, &sink);
	if (o->summary) {
		summary = summary_new();
		sink = summary_sink(summary);
		collector_add_sink(c, &sink);
	}
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

	collector_warn_counts(c);
	collector_close(c);
	bool written = output_close(out);
	int status = job_exit_status(&job);

	/* On standard error, after the records: the command's standard
	 * output stays the command's. */
	if (summary) {
		summary_print(summary, stderr);
		summary_free(summary);
	}
	return status == 0 && !written ? 1 : status;
}

int main(int argc, char **argv)
{
	struct options o;

	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return report_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "listen") == 0)
		return listen_main(argc - 1, argv + 1);
	parse_options(argc, argv, &o);
	check_inherited(&o);
	export_options(&o);
	/* In the environment now. */
	free(o.paths);
	free(o.exclude);
	if (o.port) {
		/* Nothing to collect: the command can have this process. */
		export_port(o.port);
		job_exec(o.command);
	}
	return run_collected(&o);
}
