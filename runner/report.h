/*
 * report.h - runjob report.
 */
#ifndef RUNJOB_REPORT_H
#define RUNJOB_REPORT_H

#include "cli.h"

extern const struct command cmd_report_entry;

#endif
