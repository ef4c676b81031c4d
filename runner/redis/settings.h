/*
 * settings.h - the settings of the redis built-ins, read the same way by
 * runjob check (which connects nowhere) and by the action when it runs;
 * and the data types a `types:` setting names. Nothing here needs
 * hiredis.
 */
#ifndef RUNJOB_REDIS_SETTINGS_H
#define RUNJOB_REDIS_SETTINGS_H

#include "url.h"

struct acfg;
struct rcluster;

enum rtype { RT_STRING, RT_HASH, RT_LIST, RT_SET, RT_ZSET, RT_STREAM,
	RT_NONE, RT_OTHER, RT_COUNT, RT_UNKNOWN = RT_COUNT };

#define RT_ALL ((1u << RT_NONE) - 1)	/* every data type */

extern const char *const rtype_names[RT_COUNT + 1];

/* The type named in a TYPE reply. */
enum rtype rtype_of(const char *name);

/* What both actions read from their settings. */
struct rcommon {
	struct rurl src, dst;
	const char *match;	/* NULL: every key */
	unsigned types;		/* 1 << enum rtype of each wanted type */
	long long batch;	/* keys per round trip */
	long long connections;
	long long io_timeout;	/* ms */
	struct rtls tls;	/* for a rediss:// source or target */
};

/* Read source, target, match, types, batch, connections, io_timeout,
 * tls_*.
 * Returns 0, or -1 after printing what is wrong. */
int rcommon_read(struct rcommon *rc, const struct acfg *c);
void rcommon_free(struct rcommon *rc);

enum on_conflict { OC_REPLACE, OC_SKIP, OC_FAIL };

/* The words of on_conflict:, by enum on_conflict. */
extern const char *const rconflict_names[];

enum rcopy_method { M_AUTO, M_DUMP, M_TYPES };

/* What redis.copy's settings say. */
struct rcopy {
	struct rcommon rc;
	enum on_conflict oc;
	int ttl_keep;
	long long big_key;
	int verify;
	enum rcopy_method method;
	/* The load guard (guard.h): 0 for none of each. */
	long long max_ops;	/* commands a second to the source */
	long long pause_cpu;	/* pause while its CPU is at this % */
	long long pause_lag_ms;	/* or a replica this far behind */
};

/* Read redis.copy's settings into s; s->rc is to be freed
 * (rcommon_free) either way. Returns 0, or -1 after printing what is
 * wrong. */
int rcopy_read(struct rcopy *s, const struct acfg *c);

/* Comparing the two sides (verify.c): what redis.verify's settings say,
 * or what redis.copy asks for, and the outcome. */
struct rverify {
	const struct rcommon *rc;
	int full;		/* values, not just types and lengths */
	int both_ways;		/* also look for keys only on the target */
	int ignore_ttl;		/* after a copy with ttl: drop */
	long long rounds;	/* looks at a mismatched key before it counts */
	long long interval_ms;	/* between them */
	long long ttl_tolerance_ms;
	long long checked, mismatched;	/* the outcome */
	/* The slot maps of a cluster source and target (cluster.h) that
	 * redis.copy has read already; NULL: read them. */
	struct rcluster *cl[2];
};

/* Read redis.verify's settings into v and rc, which v then points to;
 * rc is to be freed (rcommon_free) either way. Returns 0, or -1 after
 * printing what is wrong. */
int rverify_read(struct rverify *v, struct rcommon *rc, const struct acfg *c);

#endif
