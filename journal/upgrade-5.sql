-- Schema version 5: the files a run's job was built from besides the job
-- file itself (runs.text): the templates it uses, the presets it
-- extends, its prelude file, its env files. A resume runs the job from
-- these, as a run from runs.text; a changed file counts as a changed job.
-- An env file is kept with the values of secret params as ***: nothing
-- secret is stored in the clear.
CREATE TABLE IF NOT EXISTS run_files (
	run_id		TEXT NOT NULL REFERENCES runs (id),
	name		TEXT NOT NULL,		-- relative to the job file's
						-- directory
	kind		TEXT NOT NULL,		-- template | preset | prelude |
						-- env file
	text		TEXT NOT NULL,
	sha256		TEXT NOT NULL,		-- of text
	PRIMARY KEY (run_id, name)
);
