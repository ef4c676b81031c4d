#!/bin/sh
# schedule-idle.sh - what `runjob schedule` costs while it waits: 100 jobs
# whose windows open next year, the scheduler left alone for SECONDS (60);
# its CPU time over that span (utime + stime from /proc/PID/stat, in
# clock ticks) and its resident memory.
#
#   sh t/perf/schedule-idle.sh        (make bench runs it)
#
# Targets: no busy polling (0 ticks over the span) and RSS under 20 MB.
set -eu
top=$(cd "$(dirname "$0")/../.." && pwd)
RUNJOB=${RUNJOB:-$top/runjob}
SECONDS_IDLE=${SECONDS_IDLE:-60}
JOBS=${JOBS:-100}
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null; rm -rf "$tmp"' EXIT

i=0
while [ $i -lt "$JOBS" ]; do
	cat >"$tmp/job$i.yaml" <<-EOF
	runjob: 1
	name: job$i
	window: { cron: "$((i % 60)) 2 1 1 *", duration: 1h, timezone: Europe/Berlin }
	blackout:
	  - { cron: "0 9 * * MON-FRI", duration: 8h, reason: business hours }
	steps:
	  - { id: a, timeout: 1m, run: "true" }
	EOF
	i=$((i + 1))
done
RUNJOB_NOW=2026-06-01T00:00:00Z "$RUNJOB" schedule --journal "$tmp/j.db" \
	"$tmp"/job*.yaml >"$tmp/out" 2>&1 &
pid=$!
sleep 2
ticks() {
	awk '{ print $14 + $15 }' "/proc/$pid/stat"
}
before=$(ticks)
sleep "$SECONDS_IDLE"
after=$(ticks)
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status")
echo "runjob schedule idle with $JOBS jobs for $SECONDS_IDLE s:" \
	"$((after - before)) clock ticks of CPU (target 0)," \
	"RSS $((rss / 1024)) MB (target under 20 MB)"
