/*
 * redis.h - the redis built-ins (redis.copy, redis.verify) as
 * `runjob action` runs them: what the rest of runjob includes of
 * runner/redis/, which keeps hiredis to itself. Their settings and
 * entries in the registry (builtin.h) are in settings.c.
 */
#ifndef RUNJOB_REDIS_H
#define RUNJOB_REDIS_H

#include "action.h"

action_main_fn redis_copy_main, redis_verify_main;

#endif
