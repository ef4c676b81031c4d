/*
 * settings.c - the settings of redis.copy and redis.verify and their
 * entries in the registry of built-ins (builtin.h). runjob check reads
 * the settings here, and so does each action when it runs: one reader
 * each, which connects nowhere and needs no hiredis, so that the loader
 * and the checks link without it.
 */
#include <stdlib.h>
#include <string.h>

#include "action.h"
#include "builtin.h"
#include "settings.h"
#include "util.h"

/* What runjob check takes for a server URL written as an expression. */
#define REDIS_STAND_IN "redis://127.0.0.1:6379/0"

const char *const rtype_names[RT_COUNT + 1] = {
	"string", "hash", "list", "set", "zset", "stream", "none", "other",
	NULL,
};

enum rtype
rtype_of(const char *name)
{
	int i;

	for (i = 0; i < RT_OTHER; i++)
		if (strcmp(name, rtype_names[i]) == 0)
			return (enum rtype)i;
	return RT_OTHER;
}

static int
read_url(struct rurl *u, const struct acfg *c, const char *name)
{
	const char *v = acfg_str(c, name, NULL);
	char err[512];

	if (!v || !*v)
		return acfg_error(c, name, "is required: the server URL, "
			"redis://[user:password@]host:port/db (rediss:// for "
			"TLS)");
	if (rurl_parse(u, v, err, sizeof(err)) < 0)
		return acfg_error(c, name, "%s", err);
	return 0;
}

/* A file or name setting; empty is not set, so that a job can pass an
 * optional param through. */
static const char *
optional(const struct acfg *c, const char *name)
{
	const char *v = acfg_str(c, name, NULL);

	return v && *v ? v : NULL;
}

/* The tls_* settings, which only a rediss:// URL uses. */
static int
read_tls(struct rcommon *rc, const struct acfg *c)
{
	static const char *const names[] = { "tls_ca", "tls_cert", "tls_key",
		"tls_server_name", "tls_insecure", NULL };
	struct rtls *t = &rc->tls;
	int i;

	t->ca = optional(c, "tls_ca");
	t->cert = optional(c, "tls_cert");
	t->key = optional(c, "tls_key");
	t->server_name = optional(c, "tls_server_name");
	if (acfg_bool(c, "tls_insecure", 0, &t->insecure) < 0)
		return -1;
	if (!rc->src.tls && !rc->dst.tls)
		for (i = 0; names[i]; i++)
			if (optional(c, names[i]) && (i < 4 ||
			    t->insecure))
				return acfg_error(c, names[i], "is for a TLS "
					"server, and neither source nor target "
					"is one; write rediss:// for a server "
					"that speaks TLS");
	if (!t->cert != !t->key)
		return acfg_error(c, t->cert ? "tls_cert" : "tls_key", "goes "
			"with %s: a client certificate needs both",
			t->cert ? "tls_key" : "tls_cert");
	if (t->insecure && t->ca)
		return acfg_error(c, "tls_insecure", "contradicts tls_ca: "
			"with tls_insecure nothing is checked against the CA; "
			"drop one");
	if (t->insecure)
		acfg_warn(c, "tls_insecure", "the TLS server's certificate is "
			"not checked: anyone on the network path can read and "
			"change the data, and see the password");
	rc->src.tlsopt = rc->dst.tlsopt = t;
	return 0;
}

int
rcommon_read(struct rcommon *rc, const struct acfg *c)
{
	const char *types = acfg_str(c, "types", NULL);
	int cluster;

	memset(rc, 0, sizeof(*rc));
	if (read_url(&rc->src, c, "source") < 0 ||
	    read_url(&rc->dst, c, "target") < 0 || read_tls(rc, c) < 0 ||
	    acfg_bool(c, "cluster", 0, &cluster) < 0)
		return -1;
	if (cluster) {
		struct rurl *u[2] = { &rc->src, &rc->dst };
		int i;

		for (i = 0; i < 2; i++) {
			if (u[i]->db)
				return acfg_error(c, "cluster", "says the %s is "
					"a Redis Cluster, which has database 0 "
					"only, but its URL names database %d",
					i ? "target" : "source", u[i]->db);
			u[i]->cluster = 1;
			rurl_show(u[i]);
		}
	}
	rc->match = acfg_str(c, "match", NULL);
	/* "*" is every key: no pattern, so that the total is known. */
	if (rc->match && (!*rc->match || strcmp(rc->match, "*") == 0))
		rc->match = NULL;
	if (!types || !*types) {
		rc->types = RT_ALL;
	} else {
		char *copy = xstrdup(types), *save = NULL, *t;

		for (t = strtok_r(copy, ",", &save); t;
		    t = strtok_r(NULL, ",", &save)) {
			enum rtype ty = rtype_of(t);

			if (ty >= RT_NONE) {
				acfg_error(c, "types", "'%s' is not a type; use "
					"string, hash, list, set, zset or stream", t);
				free(copy);
				return -1;
			}
			rc->types |= 1u << ty;
		}
		free(copy);
	}
	if (acfg_int(c, "batch", 500, 1, 100000, &rc->batch) < 0 ||
	    acfg_int(c, "connections", 4, 1, 64, &rc->connections) < 0 ||
	    acfg_duration(c, "io_timeout", 30000, &rc->io_timeout) < 0)
		return -1;
	if (rc->io_timeout < 100)
		return acfg_error(c, "io_timeout", "must be at least 100ms");
	return 0;
}

void
rcommon_free(struct rcommon *rc)
{
	rurl_free(&rc->src);
	rurl_free(&rc->dst);
}

#define TLS_SETTINGS { "tls_ca", NULL }, { "tls_cert", NULL }, \
	{ "tls_key", NULL }, { "tls_server_name", NULL }, \
	{ "tls_insecure", NULL }, { "cluster", NULL }

static const char *const method_names[] = { "auto", "dump", "types", NULL };
const char *const rconflict_names[] = { "replace", "skip", "fail", NULL };
static const char *const ttl_names[] = { "keep", "drop", NULL };

int
rcopy_read(struct rcopy *s, const struct acfg *c)
{
	int m, oc, ttl;

	if (rcommon_read(&s->rc, c) < 0)
		return -1;
	if ((oc = acfg_enum(c, "on_conflict", "replace", rconflict_names)) < 0 ||
	    (ttl = acfg_enum(c, "ttl", "keep", ttl_names)) < 0 ||
	    (m = acfg_enum(c, "method", "auto", method_names)) < 0 ||
	    acfg_size(c, "big_key", 64LL << 20, &s->big_key) < 0 ||
	    acfg_bool(c, "verify", 1, &s->verify) < 0 ||
	    acfg_int(c, "max_ops_per_sec", 0, 1, 100000000, &s->max_ops) < 0 ||
	    acfg_int(c, "pause_if.used_cpu_percent", 0, 1, 10000,
	    &s->pause_cpu) < 0 ||
	    acfg_duration(c, "pause_if.replication_lag", 0,
	    &s->pause_lag_ms) < 0)
		return -1;
	if (acfg_str(c, "pause_if.replication_lag", NULL) &&
	    s->pause_lag_ms < 1000)
		return acfg_error(c, "pause_if.replication_lag", "must be at "
			"least 1s: replicas report their lag in seconds");
	s->oc = (enum on_conflict)oc;
	s->ttl_keep = ttl == 0;
	s->method = (enum rcopy_method)m;
	return 0;
}

static int
copy_check(const struct acfg *c)
{
	struct rcopy s;
	int rc;

	memset(&s, 0, sizeof(s));
	rc = rcopy_read(&s, c);
	rcommon_free(&s.rc);
	return rc;
}

static const struct builtin_setting copy_settings[] = {
	{ "source", REDIS_STAND_IN }, { "target", REDIS_STAND_IN },
	{ "match", NULL }, { "types", NULL }, { "on_conflict", NULL },
	{ "ttl", NULL }, { "batch", NULL }, { "connections", NULL },
	{ "big_key", NULL }, { "verify", NULL }, { "method", NULL },
	{ "io_timeout", NULL }, TLS_SETTINGS, { "max_ops_per_sec", NULL },
	{ "pause_if", NULL }, { NULL, NULL },
};
static const char *const copy_outputs[] = {
	"KEYS_COPIED", "KEYS_SKIPPED", "KEYS_EXPIRED", "BYTES", NULL,
};
static const char *const pause_keys[] = { "used_cpu_percent",
	"replication_lag", NULL };
static const struct builtin_map copy_maps[] = {
	{ "pause_if", pause_keys }, { NULL, NULL },
};
const struct builtin redis_copy_builtin = {
	"redis.copy", copy_settings, copy_outputs, copy_check, copy_maps,
};

static const char *const modes[] = { "lengths", "full", NULL };

int
rverify_read(struct rverify *v, struct rcommon *rc, const struct acfg *c)
{
	int mode;

	if (rcommon_read(rc, c) < 0 ||
	    (mode = acfg_enum(c, "mode", "full", modes)) < 0 ||
	    acfg_int(c, "rounds", 3, 1, 100, &v->rounds) < 0 ||
	    acfg_duration(c, "interval", 5000, &v->interval_ms) < 0 ||
	    acfg_duration(c, "ttl_tolerance", 2000, &v->ttl_tolerance_ms) < 0 ||
	    acfg_bool(c, "both_ways", 0, &v->both_ways) < 0)
		return -1;
	v->rc = rc;
	v->full = mode == 1;
	return 0;
}

static int
verify_check(const struct acfg *c)
{
	struct rcommon rc;
	struct rverify v;
	int r = rverify_read(&v, &rc, c);

	rcommon_free(&rc);
	return r;
}

static const struct builtin_setting verify_settings[] = {
	{ "source", REDIS_STAND_IN }, { "target", REDIS_STAND_IN },
	{ "match", NULL }, { "types", NULL }, { "mode", NULL },
	{ "rounds", NULL }, { "interval", NULL }, { "ttl_tolerance", NULL },
	{ "both_ways", NULL }, { "batch", NULL }, { "connections", NULL },
	{ "io_timeout", NULL }, TLS_SETTINGS, { NULL, NULL },
};
static const char *const verify_outputs[] = {
	"KEYS_CHECKED", "KEYS_MISMATCHED", NULL,
};
const struct builtin redis_verify_builtin = {
	"redis.verify", verify_settings, verify_outputs, verify_check, NULL,
};
