#!/bin/sh
# audit-bench.sh - how fast runjob audit verify checks the event chain.
#
# A journal made by runjob (one run, for its schema, run row and key)
# gets 1,000,000 events more, chained with the journal's key by Python's
# hmac over the bytes runjob(1) describes; then `runjob audit verify`
# checks all of them. Printed: its time and events per second, next to
# `sha256sum` of the same events' bytes (the columns as text, dumped
# beforehand) - the floor of any check that reads them all. Target:
# 1,000,000 events/s or more. EVENTS= to change the count.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
runjob=${RUNJOB:-$here/../../runjob}
events=${EVENTS:-1000000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp"

printf 'runjob: 1\nname: bench\nsteps:\n  - id: a\n    run: "true"\n' >job.yaml
"$runjob" run -q --journal "$PWD/j.db" job.yaml >/dev/null
python3 - "$events" <<'PY'
import hashlib, hmac, sqlite3, struct, sys
n = int(sys.argv[1])
key = bytes.fromhex(open("j.db.key").read().strip())
db = sqlite3.connect("j.db")
seq, prev = db.execute("select seq, hash from events order by seq desc limit 1").fetchone()
run, at = db.execute("select id, started from runs").fetchone()
base = hmac.new(key, digestmod=hashlib.sha256)
Q = struct.Struct(">Q").pack
q = struct.Struct(">q").pack
def s(x):
    b = x.encode()
    return Q(len(b)) + b
def rows():
    global prev
    for i in range(seq + 1, seq + 1 + n):
        step = "step-%d" % (i % 1000)
        data = '{"attempt":1,"exit_code":0,"state":"succeeded","took_ms":%d}' % (i % 977)
        h = base.copy()
        h.update(s(prev) + q(i) + s(run) + q(at + i) + s("step-finished") + s(step) + s(data))
        d = h.hexdigest()
        yield (i, run, at + i, "step-finished", step, data, prev, d)
        prev = d
db.execute("pragma journal_mode = wal")
db.execute("pragma synchronous = off")
with db:
    db.executemany("insert into events (seq, run_id, at, kind, step_id, data, prev, hash) values (?, ?, ?, ?, ?, ?, ?, ?)", rows())
db.close()
PY
total=$(sqlite3 j.db "select count(*) from events")
sqlite3 j.db "select seq, run_id, at, kind, step_id, data, prev, hash from events order by seq" >events.txt
bytes=$(wc -c <events.txt)

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0) ? n / s : 0 }'; }

t0=$(now)
"$runjob" audit verify --journal j.db >verify.out
verify_s=$(secs "$t0" "$(now)")
t0=$(now)
sha256sum events.txt >/dev/null
sha_s=$(secs "$t0" "$(now)")

echo "audit verify over $total events ($bytes bytes as text):"
printf '  runjob audit verify  %7ss  %10s events/s  (%s)\n' "$verify_s" \
	"$(rate "$total" "$verify_s")" "$(cut -c1-40 verify.out)"
printf '  sha256sum            %7ss  %10s events/s  (the same bytes, read from a file)\n' \
	"$sha_s" "$(rate "$total" "$sha_s")"
echo "  target: 1000000 events/s or more"
