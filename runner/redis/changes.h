/*
 * changes.h - what a server says of the writes made to it, read from its
 * INFO before and after a copy: whether anything but the copy wrote to
 * either side meanwhile, which decides how much redis.copy's closing
 * check must read.
 */
#ifndef RUNJOB_REDIS_CHANGES_H
#define RUNJOB_REDIS_CHANGES_H

#include <stddef.h>

#include "conn.h"

struct rchanges {
	int known;		/* the fields below were all there */
	long long dirty;	/* rdb_changes_since_last_save */
	long long saves;	/* rdb_saves: a save takes from dirty */
	long long evicted;	/* evicted_keys, which dirty does not count */
	char run_id[48];	/* another process behind the address */
};

/* Read c's INFO into ch, reconnecting once if the connection was lost.
 * Returns 0 (ch->known 0 when INFO lacks a field, as servers before
 * Redis 7.0 lack rdb_saves), or -1 when the server could not be read. */
int rchanges_read(struct rconn *c, struct rchanges *ch);

/* NULL when the server made exactly own changes from before to after
 * and lost no key to eviction; else why not, in buf. */
const char *rchanges_other(const struct rchanges *before,
	const struct rchanges *after, long long own, char *buf, size_t n);

#endif
