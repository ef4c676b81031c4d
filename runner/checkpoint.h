/*
 * checkpoint.h - a shell step's checkpoints: the lines it writes to
 * $RUNJOB_CHECKPOINT_FILE. The newest whole line is the step's progress;
 * runjob journals it as it comes and hands it to the step's next
 * attempt in $RUNJOB_CHECKPOINT, as it does a built-in's.
 */
#ifndef RUNJOB_CHECKPOINT_H
#define RUNJOB_CHECKPOINT_H

#include "buf.h"

enum { CHECKPOINT_MAX = 64 * 1024 };	/* a longer line is not one */

/* The file of instance id's checkpoints, in the run's log directory:
 * one for all its attempts, so that each finds the last one's. The
 * caller frees it. */
char *checkpoint_path(const char *logdir, const char *id);
/* The directory they are in, made when the run starts. */
char *checkpoint_dir(const char *logdir);
/* The newest whole line of path, or NULL when it has none. The caller
 * frees it. */
char *checkpoint_read(const char *path);
/* A shell step's checkpoint as the journal keeps it ({"line":TEXT}),
 * and back. checkpoint_line returns NULL for what is not one. */
void checkpoint_json(struct buf *out, const char *line);
char *checkpoint_line(const char *json);

#endif
