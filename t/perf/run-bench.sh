#!/bin/sh
# run-bench.sh - how fast `runjob run` gets through a big DAG of trivial
# steps, against ninja, make and the bare cost of starting the processes.
#
#   sh t/perf/run-bench.sh        (make bench runs it)
#
# One job from t/perf/gen-dag.py: STEPS steps (10000) in layers of WIDTH
# (100), each step needing NEEDS (2) steps of the layer before, every
# step running `true`. The same DAG is run, JOBS (2) at a time, by:
#
#   runjob    runjob run -j JOBS -q, a new journal (synchronous=FULL) in
#             a temporary directory each time
#   ninja     build.ninja: `rule t` with `command = true`, one build
#             statement a step for an output that never exists, its needs
#             as order-only inputs; ninja's status line must say it ran
#             all STEPS commands
#   make      a Makefile of .PHONY targets, one a step, its needs as
#             prerequisites, recipe `true` (make execs it without a shell;
#             so does runjob); make must echo `true` STEPS times
#   spawn     the floor: a small C program built here that fork/execs
#             `/bin/sh -c true` STEPS times keeping JOBS in flight
#   spawn-true  for reference only: the same, exec'ing `true` directly as
#             runjob does for a simple command
#
# Wall time is the best of RUNS (3) runs; peak RSS (/usr/bin/time -f %M)
# the highest of them. Each runjob run is checked in its journal: every
# step must have a succeeded attempt. Then runjob's system calls are
# counted in more runs, untimed: with `perf stat` (syscall tracepoints),
# runjob's own and its children's apart; else with `strace -f -c`, all
# together. Its fsync/fdatasync calls are its journal commits.
# SYSCALLS=0 skips the counting. Before it, one more run, untimed, splits
# the CPU a step takes between runjob's scheduler thread, its journal
# writer thread, the run's supervisor and the steps themselves; SPLIT=0
# skips it.
# RUNJOB names the binary to measure (default: ./runjob of this tree).
#
# Targets: runjob at least as fast as ninja -j2 and make -j2, at no less
# than 80% of the spawn floor's steps/s, under 100 MB peak RSS. A missed
# target is reported as MISSED, not as a failure of this script; it fails
# only when something could not be measured or did not run every step.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
RUNJOB=${RUNJOB:-$top/runjob}
STEPS=${STEPS:-10000}
WIDTH=${WIDTH:-100}
NEEDS=${NEEDS:-2}
JOBS=${JOBS:-2}
RUNS=${RUNS:-3}
SYSCALLS=${SYSCALLS:-1}
CC=${CC:-cc}
TARGET_MB=100
TARGET_FLOOR=0.8	# of the spawn floor's steps/s

die() {
	echo "run-bench: $*" >&2
	exit 1
}

[ -x "$RUNJOB" ] || die "no $RUNJOB; run make first"
[ -x /usr/bin/time ] || die "no /usr/bin/time (apt-get install time)"
command -v sqlite3 >/dev/null 2>&1 ||
	die "no sqlite3 to check the journal with (apt-get install sqlite3)"
command -v make >/dev/null 2>&1 || die "no make"
if ! command -v ninja >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "run-bench: installing ninja-build" >&2
		apt-get install -y ninja-build >/dev/null ||
			die "cannot install ninja-build"
	fi
	command -v ninja >/dev/null 2>&1 ||
		die "no ninja (apt-get install ninja-build)"
fi

# Run from make (make bench), the make measured here must not take the
# outer one's flags (-s would hide the recipes it is checked by) or its
# jobserver.
unset MAKEFLAGS MFLAGS GNUMAKEFLAGS MAKELEVEL MAKEFILES MAKEOVERRIDES

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

# The job file, and the same DAG for ninja and make. Each line of the
# job file is a step: - {id: ID,run: true,needs: [A,B]}; ids are base-36
# counters, fine as file and target names.
python3 "$top/t/perf/gen-dag.py" --steps "$STEPS" --width "$WIDTH" \
	--needs "$NEEDS" -o "$tmp/dag.yaml" 2>/dev/null ||
	die "gen-dag.py failed"
mkdir "$tmp/ninja" "$tmp/make"
awk -v ninja="$tmp/ninja/build.ninja" -v mk="$tmp/make/Makefile" '
	BEGIN {
		printf "rule t\n  command = true\n\n" >ninja
		printf ".PHONY: all\nall:\n\n" >mk
	}
	/^- \{id: / {
		line = $0
		sub(/^- \{id: /, "", line)
		id = line
		sub(/,.*/, "", id)
		needs = ""
		if (match(line, /needs: \[[^]]*\]/)) {
			needs = substr(line, RSTART + 8, RLENGTH - 9)
			gsub(/ /, "", needs)
			gsub(/,/, " s_", needs)
			needs = "s_" needs
		}
		n++
		all = all " s_" id
		if (needs == "")
			printf "build s_%s: t\n", id >ninja
		else
			printf "build s_%s: t || %s\n", id, needs >ninja
		printf ".PHONY: s_%s\ns_%s:%s%s\n\ttrue\n", id, id,
			needs == "" ? "" : " ", needs >mk
	}
	END {
		printf "\ndefault%s\n", all >ninja
		printf "all:%s\n", all >mk
		if (n == 0)
			exit 1
	}' "$tmp/dag.yaml" || die "cannot turn the job file into build files"

# The spawn floor: spawn N J PROG ARG... runs PROG N times, J at a time,
# fork and exec as runjob does, and fails unless every one exits 0.
cat >"$tmp/spawn.c" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	long n, j, started = 0, running = 0, ok = 0;
	int st;
	pid_t pid;

	if (argc < 4)
		return 2;
	n = atol(argv[1]);
	j = atol(argv[2]);
	while (started < n || running > 0) {
		while (started < n && running < j) {
			if ((pid = fork()) < 0) {
				perror("fork");
				return 1;
			}
			if (pid == 0) {
				execv(argv[3], argv + 3);
				_exit(127);
			}
			started++;
			running++;
		}
		if ((pid = waitpid(-1, &st, 0)) < 0) {
			perror("waitpid");
			return 1;
		}
		running--;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	}
	printf("%ld\n", ok);
	return ok == n ? 0 : 1;
}
EOF
$CC -O2 -o "$tmp/spawn" "$tmp/spawn.c" || die "cannot build spawn.c"
truebin=$(command -v true 2>/dev/null || :)
case $truebin in /*) ;; *) truebin=/bin/true ;; esac
[ -x "$truebin" ] || truebin=/usr/bin/true

now() {
	date +%s.%N
}

# What each runner must have done, checked after every run.
check_runjob() {
	ok=$(sqlite3 "$tmp/rj/journal.db" "select count(*) from attempts where
		kind = 'step' and state = 'succeeded'") ||
		die "runjob: cannot read its journal"
	[ "$ok" = "$STEPS" ] ||
		die "runjob: $ok of $STEPS steps succeeded in the journal"
}
check_ninja() {
	last=$(tail -n 1 "$tmp/out")
	[ "$last" = "[$STEPS/$STEPS] true" ] ||
		die "ninja: did not run all $STEPS commands (last line: $last)"
	n=$(grep -c '^\[[0-9]*/[0-9]*\] true$' "$tmp/out" || :)
	[ "$n" = "$STEPS" ] || die "ninja: ran $n commands, not $STEPS"
}
check_make() {
	n=$(grep -cx true "$tmp/out" || :)
	[ "$n" = "$STEPS" ] || die "make: ran $n recipes, not $STEPS"
}
check_spawn() {
	[ "$(cat "$tmp/out")" = "$STEPS" ] || die "spawn: not $STEPS runs"
}

# Fresh state for each run.
prep_runjob() {
	rm -rf "$tmp/rj"
	mkdir "$tmp/rj"
}
prep_ninja() {
	rm -f "$tmp/ninja/.ninja_log" "$tmp/ninja/.ninja_deps"
}
prep_none() {
	:
}

# measure NAME DIR PREP CHECK CMD...: RUNS runs of CMD in DIR, its
# output to $tmp/out; appends "NAME best_wall_s max_rss_kib" to
# $tmp/results.
measure() {
	name=$1 dir=$2 prep=$3 check=$4
	shift 4
	best=
	rss=0
	i=0
	while [ "$i" -lt "$RUNS" ]; do
		$prep
		t0=$(now)
		(cd "$dir" && /usr/bin/time -f %M -o "$tmp/rss" "$@" \
			>"$tmp/out" 2>&1) ||
			{ tail -n 5 "$tmp/out" >&2; die "$name: '$*' failed"; }
		t1=$(now)
		$check
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

# NINJA_STATUS: a plain counter, so its last line tells what ran.
NINJA_STATUS='[%f/%t] '
export NINJA_STATUS

measure runjob "$tmp" prep_runjob check_runjob \
	"$RUNJOB" run -j "$JOBS" --journal "$tmp/rj/journal.db" -q \
	"$tmp/dag.yaml"
events=$(sqlite3 "$tmp/rj/journal.db" "select count(*) from events")
measure ninja "$tmp/ninja" prep_ninja check_ninja ninja -j "$JOBS"
measure make "$tmp/make" prep_none check_make make -j "$JOBS" -f Makefile
measure spawn "$tmp" prep_none check_spawn \
	"$tmp/spawn" "$STEPS" "$JOBS" /bin/sh -c true
measure spawn-true "$tmp" prep_none check_spawn \
	"$tmp/spawn" "$STEPS" "$JOBS" "$truebin"

# Where the CPU goes, in one more runjob run, untimed: the time on CPU
# of each of runjob's threads and of its supervisor, from their
# /proc/PID/task/TID/schedstat, read every 0.1 s while it runs (so the
# last tenth of a second is missed); the steps' is the rest of what
# /usr/bin/time says the whole tree used. SPLIT=0 skips it.
cpu_split() {
	prep_runjob
	(cd "$tmp" && exec /usr/bin/time -f "%U %S" -o "$tmp/split.time" \
		"$RUNJOB" run -j "$JOBS" --journal "$tmp/rj/journal.db" -q \
		"$tmp/dag.yaml" >"$tmp/out" 2>&1) &
	timer=$!
	rm -rf "$tmp/cpu"
	mkdir "$tmp/cpu"
	rj=
	while kill -0 "$timer" 2>/dev/null; do
		[ -n "$rj" ] || rj=$(cat "/proc/$timer/task/$timer/children" \
			2>/dev/null | awk '{ print $1 }')
		for t in /proc/"$rj"/task/*; do
			[ -n "$rj" ] && [ -r "$t/schedstat" ] || continue
			read -r ns rest <"$t/schedstat" 2>/dev/null || continue
			# The main thread schedules; the other is the writer.
			comm=writer
			[ "${t##*/}" = "$rj" ] && comm=scheduler
			echo "$comm $ns" >"$tmp/cpu/${t##*/}"
		done
		for sv in $(cat /proc/"$rj"/task/*/children 2>/dev/null); do
			read -r ns rest <"/proc/$sv/schedstat" 2>/dev/null &&
				echo "supervisor $ns" >"$tmp/cpu/sv.$sv"
		done
		sleep 0.1
	done
	wait "$timer" || return 1
	check_runjob
	cat "$tmp/cpu"/* >"$tmp/cpu.all" 2>/dev/null
}

# System calls, counted in more runjob runs, untimed: with perf, two
# (runjob alone, then with its children: their tracepoints count in the
# kernel, at little cost); else, with strace, one under `strace -f -c`
# (runjob and its children together, slowly). Each file: "COUNT NAME".
SYSCALL_LIST="fdatasync fsync clone clone3 vfork execve pipe2 poll ppoll
	epoll_wait pwrite64 pread64 rt_sigaction openat close close_range fcntl
	read write wait4 kill setpgid dup2 mmap munmap mprotect"
syscalls=
run_counted() {
	prep_runjob
	(cd "$tmp" && "$@" "$RUNJOB" run -j "$JOBS" \
		--journal "$tmp/rj/journal.db" -q "$tmp/dag.yaml" \
		>"$tmp/out" 2>&1) || return 1
	check_runjob
}
perf_count() {
	out=$1
	shift
	run_counted perf stat "$@" -x , -e "$perf_events" \
		-o "$tmp/perf.csv" || return 1
	awk -F , '$3 == "raw_syscalls:sys_enter" { print $1, "all" }
		$3 ~ /^syscalls:sys_enter_/ && $1 ~ /^[0-9]+$/ {
			n = $3
			sub(/^syscalls:sys_enter_/, "", n)
			print $1, n
		}' "$tmp/perf.csv" >"$out"
	grep -q ' all$' "$out"
}
if [ "$SYSCALLS" != 0 ] && command -v perf >/dev/null 2>&1; then
	perf_events=raw_syscalls:sys_enter
	for sc in $SYSCALL_LIST; do
		# Only the tracepoints this kernel has.
		perf stat -e "syscalls:sys_enter_$sc" -o /dev/null true \
			>/dev/null 2>&1 &&
			perf_events="$perf_events,syscalls:sys_enter_$sc"
	done
	if perf_count "$tmp/sys.self" --no-inherit &&
	    perf_count "$tmp/sys.tree"; then
		syscalls=perf
	fi
fi
if [ "$SYSCALLS" != 0 ] && [ -z "$syscalls" ] &&
    command -v strace >/dev/null 2>&1; then
	if run_counted strace -f -c -o "$tmp/strace"; then
		# "% time  seconds  usecs/call  calls  [errors]  syscall"
		awk '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ {
			print $4, ($NF == "total" ? "all" : $NF) }' \
			"$tmp/strace" >"$tmp/sys.tree"
		syscalls=strace
	fi
fi
[ "$SYSCALLS" = 0 ] || [ -n "$syscalls" ] ||
	echo "run-bench: no system call counts (neither perf stat nor" \
		"strace worked)" >&2

split=
if [ "${SPLIT:-1}" != 0 ] && cpu_split && [ -s "$tmp/cpu.all" ]; then
	split=yes
fi

fs=$(stat -f -c %T "$tmp" 2>/dev/null || echo "?")
echo
echo "runjob run on a layered DAG: $STEPS steps of \`true\`, layers of" \
	"$WIDTH, $NEEDS needs a step, -j $JOBS"
echo "wall: best of $RUNS; peak RSS: /usr/bin/time -f %M, highest of" \
	"$RUNS; $(uname -m), $(nproc) CPUs; journal on $fs (${TMPDIR:-/tmp})"
echo "ninja $(ninja --version); $(make --version | head -n 1); /bin/sh is" \
	"$(readlink -f /bin/sh)"
awk -v steps="$STEPS" -v j="$JOBS" -v tmb="$TARGET_MB" \
	-v tfl="$TARGET_FLOOR" '
	{
		n++
		name[n] = $1
		wall[$1] = $2
		rss[$1] = $3 * 1024 / 1e6
	}
	function what(k) {
		if (k == "runjob") return "runjob run -j" j
		if (k == "ninja") return "ninja -j" j
		if (k == "make") return "make -j" j
		if (k == "spawn") return "spawn floor: sh -c true, " j " at once"
		if (k == "spawn-true") return "(ref) exec true directly, " j \
			" at once"
		return k
	}
	END {
		r = wall["runjob"]
		printf "\n%-36s %8s %9s %12s %12s\n", "what", "wall s",
			"steps/s", "peak RSS MB", "runjob/this"
		for (i = 1; i <= n; i++) {
			k = name[i]
			printf "%-36s %8.3f %9.0f %12.1f %11.2fx\n", what(k),
				wall[k], steps / wall[k], rss[k], r / wall[k]
		}
		printf "(runjob/this: runjob wall time over this one; above " \
			"1 is slower)\n\n"
		printf "target: as fast as ninja -j%d:   %-6s (%.3f s vs " \
			"%.3f s)\n", j, (r <= wall["ninja"] ? "ok" : "MISSED"),
			r, wall["ninja"]
		printf "target: as fast as make -j%d:    %-6s (%.3f s vs " \
			"%.3f s)\n", j, (r <= wall["make"] ? "ok" : "MISSED"), r,
			wall["make"]
		rate = steps / r
		floor = steps / wall["spawn"]
		printf "target: >= %d%% of spawn rate:  %-6s (%.0f steps/s " \
			"= %.0f%% of %.0f)\n", tfl * 100,
			(rate >= tfl * floor ? "ok" : "MISSED"), rate,
			100 * rate / floor, floor
		printf "target: peak RSS < %d MB:      %-6s (%.1f MB)\n", tmb,
			(rss["runjob"] < tmb ? "ok" : "MISSED"), rss["runjob"]
		printf "runjob: %.0f us a step; the spawn floor %.0f us, " \
			"so %.0f us a step of its own\n", r * 1e6 / steps,
			wall["spawn"] * 1e6 / steps,
			(r - wall["spawn"]) * 1e6 / steps
	}' "$tmp/results"
echo "journal: every run had $STEPS of $STEPS steps succeeded;" \
	"$events events in the last one ($(awk -v e="$events" \
	-v s="$STEPS" 'BEGIN { printf "%.1f", e / s }') a step)"
if [ -n "$split" ]; then
	echo "CPU a step, in one more runjob run (untimed; schedstat of each" \
		"thread, sampled every 0.1 s):"
	awk -v steps="$STEPS" -v tt="$(cat "$tmp/split.time")" '
		{ cpu[$1] += $2 / 1e3; own += $2 / 1e3 }
		END {
			split(tt, t, " ")
			all = (t[1] + t[2]) * 1e6
			printf "  scheduler %.0f us, journal writer %.0f us, " \
				"supervisor %.0f us: runjob'\''s own %.0f us\n",
				cpu["scheduler"] / steps,
				cpu["writer"] / steps,
				cpu["supervisor"] / steps, own / steps
			printf "  the steps (fork, exec and exit of true): " \
				"%.0f us\n", (all - own) / steps
		}' "$tmp/cpu.all"
fi
if [ "$syscalls" = perf ]; then
	echo "runjob's system calls, counted by perf stat in two more runs" \
		"(untimed):"
	awk -v steps="$STEPS" '
		FILENAME ~ /self$/ { self[$2] = $1; next }
		{ tree[$2] = $1 }
		END {
			c = self["fdatasync"] + self["fsync"]
			printf "  journal commits (its fdatasync + fsync calls): " \
				"%d, %.2f a step\n", c, c / steps
			printf "  %-14s %14s %18s\n", "a step", "runjob itself",
				"its children"
			printf "  %-14s %14.2f %18.2f\n", "all syscalls",
				self["all"] / steps, (tree["all"] - self["all"]) / steps
			sort = "sort -k2,2nr -k3,3nr"
			for (k in tree)
				if (k != "all" && tree[k] > 0)
					printf "  %-14s %14.2f %18.2f\n", k,
						self[k] / steps,
						(tree[k] - self[k]) / steps | sort
		}' "$tmp/sys.self" "$tmp/sys.tree"
	echo "  (its children: the second run's counts less the first's, so" \
		"a few calls of runjob's own can show there as run-to-run noise)"
elif [ "$syscalls" = strace ]; then
	echo "runjob's system calls, its children's included, counted by" \
		"strace -f -c in one more run (untimed):"
	awk -v steps="$STEPS" '
		{ n[$2] = $1 }
		END {
			c = n["fdatasync"] + n["fsync"]
			printf "  journal commits (fdatasync + fsync calls): %d, " \
				"%.2f a step\n", c, c / steps
			printf "  all syscalls: %.2f a step\n", n["all"] / steps
			sort = "sort -k2,2nr | head -n 16"
			for (k in n)
				if (k != "all")
					printf "  %-14s %8.2f a step\n", k,
						n[k] / steps | sort
		}' "$tmp/sys.tree"
fi
