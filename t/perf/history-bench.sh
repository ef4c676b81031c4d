#!/bin/sh
# history-bench.sh - what reading a job's history costs `runjob plan`
# (and each run's start, which reads it alike) after a long life.
#
# A journal made by runjob gets 50,000 earlier runs of a job of four
# steps added with sqlite3, one every five minutes (half a year), each
# step's try succeeded with 0.3-2.3 KiB of output: 200,000 successes.
# Printed, best of 10, `runjob plan` of that job: on that journal; on
# the same journal as schema version 5 left it, without the index
# successes_by_step (what a reader sees until a run upgrades it); and
# on a journal with no history of the job (the floor: reading the job
# and the journal, planning, printing). Target: within 20 ms of the
# floor. RUNS= to change the count of runs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
runjob=${RUNJOB:-$here/../../runjob}
runs=${RUNS:-50000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp"

cat >job.yaml <<'YAML'
runjob: 1
name: nightly
steps:
  - { id: dump, run: "true" }
  - { id: copy, needs: [dump], run: "true" }
  - { id: verify, needs: [copy], run: "true" }
  - { id: clean, needs: [verify], run: "true" }
YAML
printf 'runjob: 1\nname: other\nsteps:\n  - { id: a, run: "true" }\n' >other.yaml
"$runjob" run -q --journal "$PWD/empty.db" other.yaml >/dev/null
"$runjob" run -q --journal "$PWD/j.db" other.yaml >/dev/null
sqlite3 j.db "
BEGIN;
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < $runs - 1)
INSERT INTO runs (id, job, file, text, sha256, params, user, host, pid,
	trigger, started, ended, state, exit_code)
SELECT 'r' || i, 'nightly', '/srv/nightly.yaml', '', '', '{}', 'u', 'h', 1,
	'schedule', 1700000000000 + i * 300000,
	1700000000000 + i * 300000 + 200000, 'succeeded', 0 FROM c;
WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c WHERE i < $runs - 1),
s(k, name) AS (VALUES (0, 'dump'), (1, 'copy'), (2, 'verify'), (3, 'clean'))
INSERT INTO attempts (id, run_id, step_id, kind, attempt, started, ended,
	state, exit_code, output, log)
SELECT 'r' || i || '-' || name, 'r' || i, name, 'step', 1,
	1700000000000 + i * 300000 + k * 50000,
	1700000000000 + i * 300000 + k * 50000 + 10000 + abs(random() % 30000),
	'succeeded', 0, printf('%.*c', 300 + abs(random() % 2000), 'x'),
	'/var/log/runjob/' || i || '-' || name || '.log' FROM c, s;
COMMIT;"
cp j.db v5.db
sqlite3 v5.db "DROP INDEX successes_by_step; PRAGMA user_version = 5"
tries=$(sqlite3 j.db "SELECT count(*) FROM attempts a JOIN runs r ON
	r.id = a.run_id WHERE r.job = 'nightly' AND a.state = 'succeeded'")

# best DB: the best of 10 `runjob plan` on DB, in ms.
best() {
	python3 - "$runjob" "$PWD/$1" <<'PY'
import subprocess, sys, time
best = None
for _ in range(10):
    t = time.perf_counter()
    subprocess.run([sys.argv[1], "plan", "--journal", sys.argv[2], "job.yaml"],
                   stdout=subprocess.DEVNULL, check=True)
    t = (time.perf_counter() - t) * 1000
    best = t if best is None or t < best else best
print("%.1f" % best)
PY
}
with=$(best j.db)
v5=$(best v5.db)
floor=$(best empty.db)

echo "runjob plan of a job whose journal holds $tries successful tries of it"
printf '%-52s %8s\n' "what" "ms"
printf '%-52s %8s\n' "with successes_by_step (schema version 6)" "$with"
printf '%-52s %8s\n' "without it (version 5, until a run upgrades it)" "$v5"
printf '%-52s %8s\n' "floor: a journal with no history of the job" "$floor"
awk -v w="$with" -v f="$floor" 'BEGIN { printf "target: within 20 ms of the floor: %s\n", w - f < 20 ? "ok" : "MISSED" }'
