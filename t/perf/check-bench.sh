#!/bin/sh
# check-bench.sh - how long `runjob check` takes on a big job file, and
# how much memory, against a baseline of parsing the same file with
# libyaml alone (t/perf/yaml-parse.c: events counted, no tree, no model).
#
#   sh t/perf/check-bench.sh        (make bench runs it)
#
# The file is a layered DAG from t/perf/gen-dag.py: STEPS steps (100000),
# layers of WIDTH (100), NEEDS needs a step (2). Wall time is the best of
# RUNS (3) runs; peak RSS comes from /usr/bin/time -f %M (Debian package
# `time`) or, without it, from wait4()'s ru_maxrss through a small
# wrapper built here.
# RUNJOB names the binary to measure (default: ./runjob of this tree).
#
# Targets at 100,000 steps: check under 1 s and under 300 MB. A missed
# target is reported as MISSED, not as a failure of this script; it fails
# only when something could not be measured.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
RUNJOB=${RUNJOB:-$top/runjob}
STEPS=${STEPS:-100000}
WIDTH=${WIDTH:-100}
NEEDS=${NEEDS:-2}
RUNS=${RUNS:-3}
CC=${CC:-cc}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
TARGET_S=1
TARGET_MB=300

die() {
	echo "check-bench: $*" >&2
	exit 1
}

[ -x "$RUNJOB" ] || die "no $RUNJOB; run make first"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# The job file.
python3 "$top/t/perf/gen-dag.py" --steps "$STEPS" --width "$WIDTH" \
	--needs "$NEEDS" -o "$tmp/dag.yaml" ||
	die "gen-dag.py failed"
bytes=$(wc -c <"$tmp/dag.yaml")

# The baseline parser.
yflags=$($PKG_CONFIG --cflags --libs yaml-0.1 2>/dev/null || echo -lyaml)
# shellcheck disable=SC2086 # yflags is a list of flags
$CC -O2 -o "$tmp/yaml-parse" "$top/t/perf/yaml-parse.c" $yflags ||
	die "cannot build yaml-parse.c (is libyaml-dev installed?)"

# How peak RSS is read: rss_run OUTFILE CMD... runs CMD (its stdout to
# /dev/null) and writes its peak RSS in KiB to OUTFILE.
if [ -x /usr/bin/time ] && /usr/bin/time -f %M -o "$tmp/probe" true \
	2>/dev/null; then
	rss_how="/usr/bin/time -f %M"
	rss_run() {
		out=$1
		shift
		/usr/bin/time -f %M -o "$out" "$@" >/dev/null
	}
else
	# No /usr/bin/time: a small wrapper built here reads the child's
	# peak RSS (its VmHWM, which wait4() reports as ru_maxrss).
	rss_how="ru_maxrss of wait4() (no /usr/bin/time: apt-get install time)"
	cat >"$tmp/maxrss.c" <<'EOF'
#include <spawn.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>

extern char **environ;

int
main(int argc, char **argv)
{
	struct rusage ru;
	FILE *f;
	pid_t pid;
	int st;

	if (argc < 3 || posix_spawnp(&pid, argv[2], NULL, NULL, argv + 2,
	    environ) != 0 || wait4(pid, &st, 0, &ru) < 0 ||
	    !(f = fopen(argv[1], "w")))
		return 127;
	fprintf(f, "%ld\n", ru.ru_maxrss);
	fclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}
EOF
	$CC -O2 -o "$tmp/maxrss" "$tmp/maxrss.c" ||
		die "cannot build the peak-RSS wrapper"
	rss_run() {
		"$tmp/maxrss" "$@" >/dev/null
	}
fi

now() {
	date +%s.%N
}

# measure NAME CMD...: RUNS runs; appends "NAME best_wall_s max_rss_kib"
# to $tmp/results.
measure() {
	name=$1
	shift
	best=
	rss=0
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		t0=$(now)
		rss_run "$tmp/rss" "$@" || die "$name: '$*' failed"
		t1=$(now)
		best=$(awk -v a="$t0" -v b="$t1" -v best="$best" 'BEGIN {
			t = b - a
			if (best == "" || t < best) best = t
			printf "%.4f", best }')
		r=$(tail -n 1 "$tmp/rss")
		[ "$r" -gt "$rss" ] && rss=$r
		i=$((i + 1))
	done
	echo "$name $best $rss" >>"$tmp/results"
}

# runjob check must pass on the file, or its time means nothing.
"$RUNJOB" check "$tmp/dag.yaml" >"$tmp/out" 2>&1 ||
	{ cat "$tmp/out" >&2; die "runjob check refused the generated file"; }

measure yaml-parse "$tmp/yaml-parse" "$tmp/dag.yaml"
measure runjob-check "$RUNJOB" check "$tmp/dag.yaml"

echo
echo "runjob check on a layered DAG: $STEPS steps, layers of $WIDTH," \
	"$NEEDS needs a step ($bytes bytes)"
echo "wall: best of $RUNS; peak RSS: $rss_how; $(uname -m), $(nproc) CPUs"
awk -v steps="$STEPS" -v fbytes="$bytes" -v ts="$TARGET_S" \
	-v tmb="$TARGET_MB" '
	BEGIN {
		printf "%-36s %8s %13s %11s %15s\n", "what", "wall s",
			"peak RSS MB", "us/step", "RSS bytes/step"
	}
	{
		what = $1 == "yaml-parse" ? "libyaml parse, events only" : \
			"runjob check"
		mb = $3 * 1024 / 1e6
		printf "%-36s %8.3f %13.1f %11.2f %15.0f\n", what, $2, mb,
			$2 * 1e6 / steps, $3 * 1024 / steps
		wall[$1] = $2
		rss[$1] = $3
	}
	END {
		w = wall["runjob-check"]; m = rss["runjob-check"] * 1024 / 1e6
		b = wall["yaml-parse"]
		printf "%-36s %8.3f %13.1f %11.2f %15.0f\n",
			"runjob check - libyaml parse", w - b,
			m - rss["yaml-parse"] * 1024 / 1e6, (w - b) * 1e6 / steps,
			(rss["runjob-check"] - rss["yaml-parse"]) * 1024 / steps
		printf "file: %.1f bytes/step; check is %.1fx the bare parse\n",
			fbytes / steps, (b > 0 ? w / b : 0)
		if (steps == 100000) {
			printf "target: check of 100k steps under %g s: %s " \
				"(%.3f s)\n", ts, (w < ts ? "ok" : "MISSED"), w
			printf "target: check of 100k steps under %g MB: %s " \
				"(%.1f MB)\n", tmb, (m < tmb ? "ok" : "MISSED"), m
		}
	}' "$tmp/results"
