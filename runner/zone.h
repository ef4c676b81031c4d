/*
 * zone.h - IANA time zones from the system's zoneinfo: UTC instants to
 * wall-clock times and back.
 */
#ifndef RUNJOB_ZONE_H
#define RUNJOB_ZONE_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"

/* A time zone's rule in the POSIX TZ form (TZif footer). */
struct zone_rule {
	char kind;		/* 'J', 'n' or 'M' */
	int m, w, d;		/* month, week (5: last), day of week */
	int32_t time;		/* seconds after local midnight */
};

struct zone {
	const char *name;
	int64_t *trans;		/* instants, seconds, ascending */
	unsigned char *type;	/* per transition, into utoff */
	size_t ntrans;
	int32_t *utoff;		/* seconds east of UTC, per type */
	size_t ntypes;
	int has_rule, has_dst;	/* the footer holds a rule; with DST */
	int32_t std_off, dst_off;
	struct zone_rule start, end;	/* when DST starts and ends */
};

/* How a wall-clock time maps onto instants. */
enum zone_fit { ZONE_ONCE, ZONE_GAP, ZONE_TWICE };

/* Load the zone name ("Europe/Berlin"; "UTC" needs no file) into z,
 * its tables in a. -1 with what is wrong in err of n bytes. */
int zone_load(struct zone *z, const char *name, struct arena *a, char *err,
	size_t n);
/* The UTC zone. */
void zone_utc(struct zone *z);
/* Seconds east of UTC at instant t (seconds since the epoch). */
int32_t zone_offset(const struct zone *z, int64_t t);
/* The instant of wall-clock time lt (seconds since 1970-01-01 00:00
 * local, as if UTC): in a gap the first instant after it, in an overlap
 * the first occurrence. *fit, when not NULL, says which. */
int64_t zone_from_local(const struct zone *z, int64_t lt, enum zone_fit *fit);
/* The wall-clock time of instant t, in seconds as lt above. */
int64_t zone_to_local(const struct zone *z, int64_t t);

#endif
