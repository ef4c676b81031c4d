#!/bin/sh
# template-bench.sh - how long `runjob check` takes on a job that expands
# USES (1000) uses: of a template of 10 steps (10,000 steps), and how
# often it opens the template file, next to a baseline: `runjob check` of
# the same 10,000 steps written out flat in one job file.
#
#   sh t/perf/template-bench.sh      (make bench runs it)
#
# Each use needs the one before it (needs: [uNNN], all ten of its steps),
# and within the template the steps form a chain, so the graph is one
# long line of 10,000. Wall time is the best of RUNS (3) runs. The opens
# of the template are counted with strace(1) when it is there.
# Target: under 0.5 s, the template opened and parsed once. A missed
# target is reported as MISSED, not as a failure of this script.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
RUNJOB=${RUNJOB:-$top/runjob}
USES=${USES:-1000}
RUNS=${RUNS:-3}
TARGET_S=0.5
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp"

python3 - "$USES" <<'PY'
import sys
uses = int(sys.argv[1])
steps = 10
tpl = ["runjob: 1", "params:", "  URL: { required: true, pattern: \"^redis://\" }",
       "  N: { default: \"1\" }", "steps:"]
def body(i, prefix, need, env):
    out = ["  - id: %ss%d" % (prefix, i),
           "    run: echo \"step %d of $N at $URL\"" % i,
           "    timeout: 1m",
           "    env: { %s }" % env]
    if need:
        out.append("    needs: [%s]" % ", ".join(need))
    return out
for i in range(steps):
    tpl += body(i, "", ["s%d" % (i - 1)] if i else [],
                "WHERE: \"${{ params.URL }}\"")
open("lib.yaml", "w").write("\n".join(tpl) + "\n")
job = ["runjob: 1", "name: uses", "steps:"]
flat = ["runjob: 1", "name: flat", "steps:"]
for u in range(uses):
    job += ["  - id: u%d" % u, "    uses: lib.yaml",
            "    with: { URL: \"redis://h%d\" }" % u]
    if u:
        job.append("    needs: [u%d]" % (u - 1))
    for i in range(steps):
        if i:
            need = ["u%d.s%d" % (u, i - 1)]
        elif u:
            need = ["u%d.s%d" % (u - 1, j) for j in range(steps)]
        else:
            need = []
        flat += body(i, "u%d." % u, need, "URL: \"redis://h%d\", N: \"1\", "
                     "WHERE: \"redis://h%d\"" % (u, u))
open("job.yaml", "w").write("\n".join(job) + "\n")
open("flat.yaml", "w").write("\n".join(flat) + "\n")
PY

best() {
	b=
	i=0
	while [ $i -lt "$RUNS" ]; do
		s=$(date +%s.%N)
		"$RUNJOB" check -q "$1" >/dev/null 2>&1 || {
			echo "check $1 failed:" >&2
			"$RUNJOB" check "$1" 2>&1 | tail -3 >&2
			exit 1
		}
		e=$(date +%s.%N)
		t=$(echo "$e - $s" | bc -l)
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc -l)" = 1 ]; then b=$t; fi
		i=$((i + 1))
	done
	printf '%.3f' "$b"
}

steps=$("$RUNJOB" check job.yaml 2>/dev/null | sed -n 's/.*ok (\([0-9]*\) steps.*/\1/p')
flat_steps=$("$RUNJOB" check flat.yaml 2>/dev/null | sed -n 's/.*ok (\([0-9]*\) steps.*/\1/p')
t_uses=$(best job.yaml)
t_flat=$(best flat.yaml)
opens=unknown
if command -v strace >/dev/null 2>&1 &&
    strace -f -qq -e trace=open,openat -o trace "$RUNJOB" check -q job.yaml >/dev/null 2>&1; then
	opens=$(grep -c '"lib.yaml"' trace || true)
fi
printf 'check, %d uses of a 10-step template (%s steps): %s s; template opened %s time(s)\n' \
	"$USES" "$steps" "$t_uses" "$opens"
printf 'check, the same %s steps written out flat:        %s s (baseline)\n' \
	"$flat_steps" "$t_flat"
if [ "$(echo "$t_uses < $TARGET_S" | bc -l)" = 1 ] && [ "$opens" = 1 ]; then
	echo "target (under $TARGET_S s, opened once): met"
else
	echo "target (under $TARGET_S s, opened once): MISSED"
fi
