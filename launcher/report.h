/* iomon report FILE: the summary of a recorded trace (report.c). */
#ifndef IOMON_REPORT_H
#define IOMON_REPORT_H

/* argv[0] is "report"; returns the exit status. */
int report_main(int argc, char **argv);

#endif
