/*
 * sqlite.h - the sqlite built-ins (sqlite.exec, sqlite.sync) as
 * `runjob action` runs them: what the rest of runjob includes of
 * runner/sqlite/. Their settings and entries in the registry
 * (builtin.h) are in settings.c.
 */
#ifndef RUNJOB_SQLITE_H
#define RUNJOB_SQLITE_H

#include "action.h"

action_main_fn sqlite_exec_main, sqlite_sync_main;

#endif
