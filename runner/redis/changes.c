/*
 * changes.c - a server's count of changes, from INFO.
 *
 * rdb_changes_since_last_save is the server's dirty counter: every
 * write adds the number of changes it made (RESTORE one, RPUSH one an
 * element), reads and expired keys add nothing, and a save (counted by
 * rdb_saves) takes away what it wrote out. Evicted keys are not counted,
 * so evicted_keys is read too; a restart or a failover puts another
 * run_id behind the address. The counter is the server's, not the
 * database's: a write to any database counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "changes.h"

static int
field(const char *info, const char *name, long long *v)
{
	char buf[64], *end;

	if (!*rinfo_field(info, name, buf, sizeof(buf)))
		return -1;
	*v = strtoll(buf, &end, 10);
	return *end ? -1 : 0;
}

int
rchanges_read(struct rconn *c, struct rchanges *ch)
{
	redisReply *r;

	memset(ch, 0, sizeof(*ch));
	if (rconn_cmd(c, &r, "INFO") < 0) {
		/* An idle connection the server dropped (its timeout). */
		if (rconn_up(c) || rconn_open(c) < 0 ||
		    rconn_cmd(c, &r, "INFO") < 0)
			return -1;
	}
	if (r->type == REDIS_REPLY_STRING) {
		ch->known = field(r->str, "rdb_changes_since_last_save",
			&ch->dirty) == 0 && field(r->str, "rdb_saves",
			&ch->saves) == 0 && field(r->str, "evicted_keys",
			&ch->evicted) == 0 && *rinfo_field(r->str, "run_id",
			ch->run_id, sizeof(ch->run_id));
	}
	freeReplyObject(r);
	return 0;
}

const char *
rchanges_other(const struct rchanges *before, const struct rchanges *after,
	long long own, char *buf, size_t n)
{
	if (!before->known || !after->known)
		snprintf(buf, n, "its INFO does not say how many changes were "
			"made to it");
	else if (strcmp(before->run_id, after->run_id) != 0)
		snprintf(buf, n, "it restarted, or another server took its "
			"place");
	else if (after->saves != before->saves)
		snprintf(buf, n, "it saved, which resets its count of changes");
	else if (after->evicted != before->evicted)
		snprintf(buf, n, "it evicted %lld keys", after->evicted -
			before->evicted);
	else if (after->dirty - before->dirty != own)
		snprintf(buf, n, "it counted %lld changes, the copy made %lld",
			after->dirty - before->dirty, own);
	else
		return NULL;
	return buf;
}
