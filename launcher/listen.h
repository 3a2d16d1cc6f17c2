/*
 * iomon listen: a standalone collector, for long-running services and for
 * any number of processes started with the library and IOMON_PORT in their
 * environment (or with `iomon -p PORT -- command`).
 *
 * Records go through the collector's sinks (collector.h): the output writer,
 * the summary with -c, and whatever else observes records; adding an
 * observer is adding a sink in listen_main.
 */
#ifndef IOMON_LISTEN_H
#define IOMON_LISTEN_H

/* argv[0] is "listen".  Returns the exit status: 0 after SIGTERM or SIGINT,
 * 1 if records could not all be written; exits 2 on a usage error. */
int listen_main(int argc, char **argv);

#endif
