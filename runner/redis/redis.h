/*
 * redis.h - the redis built-ins (redis.copy, redis.verify) as
 * `runjob action` runs them; builtin.h has what the job file says.
 */
#ifndef RUNJOB_REDIS_H
#define RUNJOB_REDIS_H

#include "action.h"

action_main_fn redis_copy_main, redis_verify_main;

/* What runjob check takes for a server URL written as an expression. */
#define REDIS_STAND_IN "redis://127.0.0.1:6379/0"

#endif
