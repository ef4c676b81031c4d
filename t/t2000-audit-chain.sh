#!/bin/sh
test_description='the keyed event chain: runjob audit verify and audit head find an edited, deleted, inserted, moved or cut event and an edited run row; old journals are re-keyed; runjob prune keeps the chain whole'
. "$(dirname "$0")/test-lib.sh"

# fresh DB: a copy of the journal made below, with its key beside it.
fresh() {
	rm -f "$1" "$1-wal" "$1-shm" &&
	cp j.db "$1" && cp j.db.key "$1.key"
}

# bad DB SEQ: audit verify finds the chain of DB broken at event SEQ,
# read as a whole and in two halves (as a large journal is), split
# before or after SEQ.
bad() {
	for split in 1000000 1; do
		RUNJOB_AUDIT_SPLIT=$split test_expect_code 1 runjob audit verify --journal "$1" >out 2>err &&
		test_grep "event $2 " err &&
		RUNJOB_AUDIT_SPLIT=$split test_expect_code 1 runjob audit verify --json --journal "$1" >out &&
		test_grep "\"bad_seq\":$2," out &&
		test_grep "\"ok\":false" out || return 1
	done
}

test_expect_success 'two runs make a chain that verifies; audit head prints its head' '
	cat >two.yaml <<-\EOF &&
	runjob: 1
	name: two
	steps:
	  - id: a
	    run: echo first
	  - id: b
	    needs: [a]
	    run: echo second; test ! -e fail
	EOF
	runjob run -q --journal "$PWD/j.db" two.yaml &&
	touch fail &&
	test_expect_code 1 runjob run -q --journal "$PWD/j.db" two.yaml --new &&
	runjob audit verify --journal j.db >out &&
	test_grep "^ok: 12 events, the chain is whole" out &&
	RUNJOB_AUDIT_SPLIT=1 runjob audit verify --journal j.db >out2 &&
	test_cmp out out2 &&
	runjob audit head --journal j.db >head &&
	test "$(cut -d" " -f2- head)" = "seq=12 events=12" &&
	test "$(cut -d" " -f1 head)" = "$(q j.db "select hash from events where seq = 12")" &&
	runjob audit verify --json --journal j.db >out &&
	test_grep "^{\"ok\":true,\"events\":12," out
'

test_expect_success 'the hash is HMAC-SHA256 under the key of the bytes runjob(1) describes' '
	q j.db "select prev, seq, run_id, at, kind, coalesce(step_id, char(1)), data, hash from events" >rows &&
	/usr/bin/python3 -c "
import hmac, hashlib, struct, sys
key = bytes.fromhex(open(\"j.db.key\").read().strip())
def s(x):
	if x is None: return struct.pack(\">Q\", 2**64 - 1)
	b = x.encode(); return struct.pack(\">Q\", len(b)) + b
for line in open(\"rows\"):
	prev, seq, run, at, kind, step, data, h = line.rstrip(\"\n\").split(\"|\")
	msg = s(prev) + struct.pack(\">q\", int(seq)) + s(run) + struct.pack(\">q\", int(at)) + s(kind) + s(None if step == chr(1) else step) + s(data)
	assert hmac.new(key, msg, hashlib.sha256).hexdigest() == h, seq
"
'

test_expect_success 'an edited event is found, with its seq and run' '
	fresh e.db &&
	q e.db "update events set data = \"{\"\"state\"\":\"\"succeeded\"\"}\" where seq = 5" &&
	bad e.db 5 &&
	test_grep "event 5 (run $(q e.db "select run_id from events where seq = 5")) was edited" err
'

test_expect_success 'a deleted event is found' '
	fresh d.db &&
	q d.db "delete from events where seq = 7" &&
	bad d.db 7 &&
	test_grep "event 7 is missing" err
'

test_expect_success 'a deleted event is found when the rest are renumbered too' '
	fresh r.db &&
	q r.db "delete from events where seq = 7; update events set seq = seq + 100 where seq > 7; update events set seq = seq - 101 where seq > 100" &&
	bad r.db 7
'

test_expect_success 'a deleted event is found where the halves meet' '
	fresh h.db &&
	q h.db "delete from events where seq = 6; update events set seq = seq + 100 where seq > 6; update events set seq = seq - 101 where seq > 100" &&
	bad h.db 6 &&
	test_grep "event 6 (run .*) does not follow event 5" err
'

test_expect_success 'an inserted event is found' '
	fresh i.db &&
	q i.db "update events set seq = seq + 100 where seq >= 4; update events set seq = seq - 99 where seq >= 100" &&
	q i.db "insert into events select 4, run_id, at, kind, step_id, \"{}\", prev, hash from events where seq = 3" &&
	bad i.db 4
'

test_expect_success 'an event appended without the key is found' '
	fresh a.db &&
	q a.db "insert into events select 13, run_id, at, kind, step_id, data, hash, hash from events where seq = 12" &&
	bad a.db 13
'

test_expect_success 'two events swapped are found at the first of them' '
	fresh s.db &&
	q s.db "create temp table t as select * from events where seq in (3, 4);
		update events set (run_id, at, kind, step_id, data, prev, hash) =
		(select run_id, at, kind, step_id, data, prev, hash from t where t.seq = 7 - events.seq)
		where seq in (3, 4)" &&
	bad s.db 3 &&
	fresh s2.db &&
	q s2.db "create temp table t as select * from events where seq in (3, 4);
		update events set data = (select data from t where t.seq = 7 - events.seq)
		where seq in (3, 4)" &&
	bad s2.db 3
'

test_expect_success 'the newest events cut: the chain is whole, --head finds it out' '
	fresh c.db &&
	head=$(cut -d" " -f1 head) &&
	runjob audit verify --head $head --journal c.db >out &&
	test_grep "the given head is event 12" out &&
	q c.db "delete from events where seq > 9" &&
	runjob audit verify --journal c.db >out &&
	test_grep "^ok: 9 events" out &&
	test_expect_code 1 runjob audit verify --head $head --journal c.db 2>err &&
	RUNJOB_AUDIT_SPLIT=1 test_expect_code 1 runjob audit verify --head $head --journal c.db &&
	test_grep "head ${head%${head#????????????}}.* is not in the chain" err &&
	test_expect_code 1 runjob audit verify --json --head $head --journal c.db >out &&
	test_grep "\"problem\":\"cut\"" out &&
	test_expect_code 2 runjob audit verify --head nothex --journal c.db 2>err &&
	test_grep "64 hex digits" err
'

test_expect_success 'a run row that says other than its events is found' '
	fresh w.db &&
	run=$(q w.db "select id from runs where state = \"failed\"") &&
	q w.db "update runs set state = \"succeeded\", exit_code = 0 where id = \"$run\"" &&
	test_expect_code 1 runjob audit verify --journal w.db 2>err &&
	test_grep "run $run: its row says succeeded, its event 12 (run-finished) says failed" err &&
	fresh w2.db &&
	q w2.db "update runs set started = started - 60000 where id = \"$run\"" &&
	test_expect_code 1 runjob audit verify --journal w2.db 2>err &&
	test_grep "run $run: its row says it started at" err &&
	fresh w3.db &&
	q w3.db "insert into runs (id, job, file, text, sha256, params, user, host, pid, trigger, started, state)
		select \"made-up\", job, file, text, sha256, params, user, host, pid, trigger, started, state from runs limit 1" &&
	test_expect_code 1 runjob audit verify --journal w3.db 2>err &&
	test_grep "run made-up has no events" err
'

test_expect_success 'a wrong key is an error, never ok' '
	fresh k.db &&
	printf "%064d\n" 1 >k.db.key &&
	test_expect_code 1 runjob audit verify --journal k.db >out 2>err &&
	test_grep "does not open the chain" err &&
	RUNJOB_AUDIT_SPLIT=1 test_expect_code 1 runjob audit verify --journal k.db 2>err &&
	test_grep "does not open the chain" err &&
	test_must_fail test_grep "^ok" out
'

test_expect_success 'a missing key is an error naming it, for verify, head and a run' '
	fresh m.db &&
	rm m.db.key &&
	test_expect_code 1 runjob audit verify --journal m.db >out 2>err &&
	test_grep "m.db.key is missing" err &&
	test_grep RUNJOB_AUDIT_KEY_FILE err &&
	test_must_fail test -s out &&
	test_expect_code 1 runjob audit head --journal m.db 2>err &&
	test_grep "m.db.key is missing" err &&
	test_expect_code 1 runjob run -q --journal "$PWD/m.db" two.yaml 2>err &&
	test_grep "m.db.key is missing" err &&
	! test -e m.db.key &&
	test "$(q m.db "select count(*) from events")" = 12
'

test_expect_success 'RUNJOB_AUDIT_KEY_FILE names the key kept elsewhere' '
	fresh x.db &&
	mv x.db.key elsewhere.key &&
	RUNJOB_AUDIT_KEY_FILE=$PWD/elsewhere.key runjob audit verify --journal x.db >out &&
	test_grep "^ok: 12 events" out
'

# old DB: DB as a journal of schema version 3 made it, its events
# chained with plain SHA-256 over the columns a line each.
old() {
	q "$1" "select prev, seq, run_id, at, kind, coalesce(step_id, \"\"), data, hash from events order by seq" >old.rows &&
	/usr/bin/python3 -c "
import hashlib, sys
prev = \"\"
out = []
for line in open(\"old.rows\"):
	_, seq, run, at, kind, step, data, _h = line.rstrip(\"\n\").split(\"|\")
	h = hashlib.sha256((\"%s\n%s\n%s\n%s\n%s\n%s\n%s\" % (prev, seq, run, at, kind, step, data)).encode()).hexdigest()
	out.append(\"update events set prev = \x27%s\x27, hash = \x27%s\x27 where seq = %s;\" % (prev, h, seq))
	prev = h
open(\"old.sql\", \"w\").write(\"\n\".join(out) + \"\npragma user_version = 3;\n\")
" &&
	sqlite3 -batch -init /dev/null "$1" <old.sql
}

test_expect_success 'a journal of the old, unkeyed chain is re-keyed when written to; verify passes after' '
	fresh u.db &&
	old u.db &&
	test "$(q u.db "pragma user_version")" = 3 &&
	test_expect_code 1 runjob audit verify --journal u.db 2>err &&
	test_grep "unkeyed event chain of an older runjob" err &&
	test_expect_code 1 runjob run -q --journal "$PWD/u.db" two.yaml --new >/dev/null 2>&1 &&
	sed -n "s/^#define JOURNAL_VERSION \([0-9][0-9]*\)$/\1/p" "$RUNJOB_ROOT/journal/journal.h" >want &&
	q u.db "pragma user_version" >got &&
	test_cmp want got &&
	test "$(q u.db "select data from events where kind = \"chain-rekeyed\"")" = "{\"events\":12}" &&
	test "$(q u.db "select seq from events where kind = \"chain-rekeyed\"")" = 13 &&
	runjob audit verify --journal u.db >out &&
	test_grep "^ok: 19 events" out
'

test_expect_success 'an old chain already broken is re-keyed all the same, and that is recorded' '
	fresh o.db &&
	old o.db &&
	q o.db "update events set data = \"{}\" where seq = 4" &&
	runjob prune --before 2000-01-01 --journal o.db >out 2>err &&
	test_grep "already broken at event 4" err &&
	test "$(q o.db "select data from events where kind = \"chain-rekeyed\"")" = "{\"events\":12,\"old_chain_broken_at\":4}" &&
	runjob audit verify --journal o.db
'

test_expect_success 'prune deletes the logs and output tails of older runs; rows and events stay; verify passes' '
	fresh p.db &&
	cp -R logs plogs &&
	q p.db "update attempts set log = replace(log, \"$PWD/logs/\", \"$PWD/plogs/\")" &&
	logs=$(q p.db "select log from attempts where log is not null") &&
	for l in $logs; do test -s "$l" || return 1; done &&
	runjob prune --before 2000-01-01 --journal p.db >out &&
	test_grep "nothing to prune" out &&
	runs=$(q p.db "select count(*) from runs") &&
	attempts=$(q p.db "select count(*) from attempts") &&
	events=$(q p.db "select count(*) from events") &&
	runjob prune --before 2099-12-31 --journal p.db >out &&
	test_grep "^pruned 2 runs (4 log files and 4 output tails): .* freed" out &&
	for l in $logs; do ! test -e "$l" || return 1; done &&
	test "$(q p.db "select count(*) from attempts where output is not null or log is not null")" = 0 &&
	test "$(q p.db "select count(*) from runs")" = $runs &&
	test "$(q p.db "select count(*) from attempts")" = $attempts &&
	test "$(q p.db "select count(*) from events")" = $((events + 2)) &&
	test "$(q p.db "select count(*) from events where kind = \"pruned\"")" = 2 &&
	runjob audit verify --journal p.db >out &&
	test_grep "^ok: $((events + 2)) events" out &&
	runjob prune --before 2099-12-31 --journal p.db >out &&
	test_grep "nothing to prune" out &&
	test_expect_code 2 runjob prune --before yesterday --journal p.db 2>err &&
	test_grep "a date, as 2026-11-21" err
'

test_done
