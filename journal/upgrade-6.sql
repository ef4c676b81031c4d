-- Schema version 6: the tries that succeeded of each step, by when they
-- ended. A step's expected duration is the median of its latest tries
-- that succeeded (journal_recent_durations); with this index they are
-- read from the newest back, as many as are kept and no more, where
-- without it every success the job ever had was read and sorted.
CREATE INDEX IF NOT EXISTS successes_by_step ON attempts (step_id, ended)
	WHERE kind = 'step' AND state = 'succeeded';
