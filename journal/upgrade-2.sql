-- Schema version 2: who holds each job's lock. The lock itself is a
-- flock on a file beside the journal; this row says who holds it, for
-- the runjob that finds it taken.
CREATE TABLE locks (
	job		TEXT PRIMARY KEY,
	run_id		TEXT NOT NULL,
	pid		INTEGER NOT NULL,
	host		TEXT NOT NULL,
	started		INTEGER NOT NULL	-- when the holder took it, ms
);
