-- The runjob journal, schema version 1 (kept in PRAGMA user_version);
-- upgrade-N.sql takes it to version N. Times are milliseconds since the
-- epoch, UTC. Nothing secret is ever stored in the clear: params, output
-- and outputs are masked before they get here (an output that held a
-- secret is also kept sealed, see upgrade-3.sql).

CREATE TABLE runs (
	id		TEXT PRIMARY KEY,	-- e.g. 20261121-023000-7f3a9c
	job		TEXT NOT NULL,		-- the job's name
	file		TEXT NOT NULL,		-- the job file, absolute path
	text		TEXT NOT NULL,		-- the full job text that ran
	sha256		TEXT NOT NULL,		-- of text
	-- The git columns are NULL when the job file is in no git work
	-- tree, and are set when a run starts, not when it resumes.
	git_commit	TEXT,			-- HEAD's commit; '' when the
						-- repository has no commit
	git_blob	TEXT,			-- git's blob id of text
	git_dirty	INTEGER,		-- 1: text is not the file as
						-- committed at HEAD (or there
						-- is no commit); 0: it is
	params		TEXT NOT NULL,		-- JSON object, secrets as ***
	user		TEXT NOT NULL,
	host		TEXT NOT NULL,
	pid		INTEGER NOT NULL,
	trigger		TEXT NOT NULL,		-- manual | schedule
	started		INTEGER NOT NULL,
	ended		INTEGER,
	state		TEXT NOT NULL,		-- running | succeeded | failed |
						-- interrupted | unknown |
						-- rolling-back | rolled-back |
						-- rollback-failed | paused (a
						-- window closed) | refused
						-- (outside a window, nothing
						-- was started)
	exit_code	INTEGER
);
CREATE INDEX runs_by_job ON runs (job, started);

-- Every step instance of a run and where it stands.
CREATE TABLE steps (
	run_id		TEXT NOT NULL REFERENCES runs (id),
	step_id		TEXT NOT NULL,		-- copy, or copy[a] for item a
	def_hash	TEXT NOT NULL,		-- SHA-256 of its definition
	state		TEXT NOT NULL,		-- pending | running | succeeded |
						-- failed | skipped | stopped |
						-- not-run | excluded | unknown |
						-- rolling-back | rolled-back |
						-- rollback-failed
	PRIMARY KEY (run_id, step_id)
);

-- Every process runjob started for a run: a step's tries, its if: probe,
-- its rollback.
CREATE TABLE attempts (
	id		TEXT PRIMARY KEY,	-- RUNJOB_ATTEMPT_ID
	run_id		TEXT NOT NULL REFERENCES runs (id),
	step_id		TEXT NOT NULL,
	kind		TEXT NOT NULL,		-- step | if | rollback
	attempt		INTEGER NOT NULL,	-- 1, 2, ... within its kind
	pid		INTEGER,		-- once its process is made
	pid_start	INTEGER,		-- the process's start time (clock
						-- ticks after boot), with boot_id
	boot_id		TEXT,			-- to know the pid is still it
	started		INTEGER NOT NULL,
	ended		INTEGER,
	state		TEXT NOT NULL,		-- running | succeeded | failed |
						-- timeout | stopped | skipped |
						-- unknown | not-started (its
						-- process was never made)
	exit_code	INTEGER,
	signal		INTEGER,
	output		TEXT,			-- its last 64 KiB of output, masked
	log		TEXT			-- the log file with all of it
);
CREATE INDEX attempts_by_run ON attempts (run_id, step_id);

-- Outputs a step declared and wrote to $RUNJOB_OUTPUT, masked.
CREATE TABLE outputs (
	run_id		TEXT NOT NULL REFERENCES runs (id),
	step_id		TEXT NOT NULL,
	name		TEXT NOT NULL,
	value		TEXT NOT NULL,
	PRIMARY KEY (run_id, step_id, name)
);

-- The append-only audit log, one chain for the whole journal. Each
-- event carries the hash of the one before it (of whichever run; '' for
-- the first), so an edited or deleted row breaks the chain. Since
-- version 4 (upgrade-4.sql) the hash is keyed with the journal's key,
-- so that it cannot be made again after an edit without the key; the
-- bytes it covers are in journal.h (journal_event_hash). run_id is ''
-- for an event of the journal itself (chain-rekeyed).
CREATE TABLE events (
	seq		INTEGER PRIMARY KEY,
	run_id		TEXT NOT NULL,
	at		INTEGER NOT NULL,
	kind		TEXT NOT NULL,
	step_id		TEXT,
	data		TEXT NOT NULL,		-- a JSON object
	prev		TEXT NOT NULL,		-- the previous event's hash
	hash		TEXT NOT NULL		-- HMAC-SHA256 over prev and this row
);
CREATE INDEX events_by_run ON events (run_id, seq);
