/*
 * gate.h - what the approve command shares with the gates it answers.
 */
#ifndef RUNJOB_GATE_H
#define RUNJOB_GATE_H

#include "buf.h"

/* The longest reason an answer may give, in bytes. */
#define GATE_REASON_MAX 1024

/* Who answers, and from where, as JSON members: "user", "host", "pid"
 * and "from" (the terminal, and the ssh client's address when there is
 * one). */
void gate_who(struct buf *b);

#endif
