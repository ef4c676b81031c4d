/*
 * audit.h - runjob audit (verify, head) and runjob prune: the journal's
 * chain of events checked with its key, and old logs let go of.
 */
#ifndef RUNJOB_AUDIT_H
#define RUNJOB_AUDIT_H

#include "cli.h"

extern const struct command cmd_audit_entry;
extern const struct command cmd_prune_entry;

#endif
