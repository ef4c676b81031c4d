#!/bin/sh
# resume-bench.sh - how soon a resumed run starts its first step.
#
# A 10,000-step layered DAG (100 layers of 100, 2 needs a step) runs
# once with its very last step failing, so 9,999 steps succeed; then the
# run is resumed. Printed: the time from starting `runjob` to the last
# step starting, next to the time `runjob check` takes on the same file
# (the floor: reading and checking the job) and to a new run's first
# step. Target: under 0.5 s.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
runjob=${RUNJOB:-$here/../../runjob}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp"

python3 "$here/gen-dag.py" --steps 10000 --width 100 --needs 2 -o dag.yaml 2>/dev/null
# The last step: fails until go exists, and says when it started.
last=$(sed -n 's/^- {id: \([^,]*\),.*/\1/p' dag.yaml | tail -n 1)
# on_failure: continue, so that every other step does succeed.
sed -e "s|^- {id: $last,run: true|- {id: $last,run: 'date +%s.%N >started; test -f go'|" \
	-e 's|^steps:|on_failure: continue\nsteps:|' dag.yaml >job.yaml
grep -q "test -f go" job.yaml

now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

"$runjob" run -q -j2 --journal j.db job.yaml >/dev/null 2>&1 && {
	echo "the first run was meant to fail" >&2; exit 1; }
succeeded=$(sqlite3 j.db "select count(*) from steps where state = 'succeeded'")
touch go
t0=$(now)
"$runjob" run -q -j2 --journal j.db job.yaml >/dev/null 2>&1
resume_ms=$(ms "$t0" "$(cat started)")

t0=$(now)
"$runjob" check -q job.yaml
check_ms=$(ms "$t0" "$(now)")

echo "resuming a run of 10000 steps, $succeeded of them succeeded already"
printf '%-44s %8s\n' "what" "ms"
printf '%-44s %8s\n' "runjob JOB.yaml: start to the last step" "$resume_ms"
printf '%-44s %8s\n' "runjob check JOB.yaml (reading the job)" "$check_ms"
awk -v r="$resume_ms" 'BEGIN { printf "target: the last step starts within 500 ms: %s\n", r < 500 ? "ok" : "MISSED" }'
