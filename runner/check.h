/*
 * check.h - the checks that need the whole job: expressions and what
 * they refer to, outputs, and what this runjob cannot do yet.
 */
#ifndef RUNJOB_CHECK_H
#define RUNJOB_CHECK_H

#include "diag.h"
#include "graph.h"
#include "job.h"

/* Report every problem of job (whose graph is g) in d. Returns 0 when
 * there was none, else -1. */
int check_job(const struct job *job, const struct graph *g, struct diags *d);

#endif
