#!/bin/sh
test_description='redis.copy and redis.verify with Redis Cluster: redis+cluster:// and cluster: true, cluster to a server of its own and back, between clusters of different slot layouts, a resharding of the target, a resharding and a failover of the source during the copy, a resume after runjob is killed (and killed while moved slots are read again, and after a resharding between attempts), a resharding that does not end, a difference found in a cluster'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-redis.sh"

# keyspace URL [--ttl]: every key of a server or a cluster, with a digest
# of its value, sorted (t/redis-keyspace.py: an oracle that knows nothing
# of runjob's code).
keyspace() {
	"$PYTHON" "$TEST_DIRECTORY/redis-keyspace.py" "$@"
}

# same SRC_URL DST_URL: the two keyspaces are the same.
same() {
	keyspace "$1" >src.ks &&
	keyspace "$2" >dst.ks &&
	test_cmp src.ks dst.ks
}

# starts_over NAME SERVER: the copy of job NAME (NAME.yaml, NAME.db) left
# an empty checkpoint; run again, it copies all of cluster a to SERVER
# anew, not from where the scans were, and its closing check agrees.
starts_over() {
	test "$(q $1.db "select data from events where kind = 'checkpoint' order by seq desc limit 1")" = "{}" &&
	runjob run --journal "$PWD/$1.db" $1.yaml >$1.again 2>&1 &&
	cat $1.again &&
	! grep "resuming the scans" $1.again &&
	test_grep "verify: 20000 keys checked, 0 mismatched" $1.again &&
	same "$(redis_cluster_url a)" "$(redis_url $2)"
}

# copy_behind NAME SRC DST [OPS]: NAME.yaml, a copy from SRC to DST held
# to OPS (4000) commands a second, run in the background: its output in
# NAME.out, its runjob $copier.
copy_behind() {
	redis_job "$1.yaml" redis.copy "$2" "$3" "max_ops_per_sec: ${4:-4000}" "batch: 100" &&
	{ runjob run --journal "$PWD/$1.db" "$1.yaml" >"$1.out" 2>&1 & } &&
	copier=$!
}

# copy_killed NAME SERVER: NAME.yaml, a copy of cluster a to a new
# server SERVER held back (copy_behind), SIGKILLed once SERVER has more
# than 8000 keys.
copy_killed() {
	redis_start "$2" &&
	copy_behind "$1" "$(redis_cluster_url a)" "$(redis_url "$2")" &&
	test_when_finished "kill_tree $copier" &&
	wait_keys "$2" 8000 $copier "$1.out" &&
	kill_tree $copier &&
	{ wait $copier; code=$?; } &&
	test $code = 137
}

# reshard_a FROM TO SLOTS: SLOTS slots of cluster a moved from its
# FROM-th primary to its TO-th, once its nodes agree on the slots
# (redis-cli reshards no other cluster); redis-cli says how in
# reshard-a.out.
reshard_a() {
	local r_n=0 r_from r_to
	until redis-cli --cluster check "127.0.0.1:$(redis_port a1)" >>reshard-a.out 2>&1; do
		r_n=$((r_n + 1)) && test $r_n -lt 300 && sleep 0.1 || return 1
	done
	r_from=$(redis_cli "$(redis_cluster_primaries a | sed -n "$1p")" CLUSTER MYID) &&
	r_to=$(redis_cli "$(redis_cluster_primaries a | sed -n "$2p")" CLUSTER MYID) &&
	timeout 60 redis-cli --cluster reshard "127.0.0.1:$(redis_port a1)" \
		--cluster-from "$r_from" --cluster-to "$r_to" --cluster-slots "$3" \
		--cluster-yes >>reshard-a.out 2>&1
}

# flush_cluster NAME: every primary of NAME emptied.
flush_cluster() {
	for node in $(redis_cluster_primaries "$1"); do
		redis_cli "$node" FLUSHALL >/dev/null || return 1
	done
}

test_expect_success 'setup: a 3-primary cluster with a replica each, a 2-primary cluster, sources of their own' '
	redis_cluster_start a 3 1 &&
	redis_cluster_start b 2 0 &&
	test "$(redis_cluster_primaries a | wc -l)" = 3 &&
	test "$(redis_cluster_primaries b | wc -l)" = 2 &&
	redis_start plain &&
	redis_fill plain many 20000 --mixed &&
	redis_start typed &&
	redis_fill typed types &&
	redis_fill typed many 5000 --mixed --prefix "{t}" &&
	# The cluster gets its keys from redis-cli, not from runjob.
	timeout 120 redis-cli --cluster import "127.0.0.1:$(redis_port a1)" \
		--cluster-from "127.0.0.1:$(redis_port plain)" --cluster-copy \
		--cluster-replace >import.out 2>&1 &&
	test "$(redis_cluster_dbsize a)" = 20000 &&
	for node in $(redis_cluster_primaries a); do
		test "$(redis_cli $node DBSIZE)" -gt 5000 || return 1
	done
'

test_expect_success 'runjob check refuses a cluster URL with a database, and cluster: true with one' '
	redis_job db.yaml redis.copy "redis+cluster://127.0.0.1:7000/2" "$(redis_url plain)" &&
	test_expect_code 3 runjob check db.yaml >db.out 2>&1 &&
	test_grep "db.yaml:6:[0-9]*: error: .*a Redis Cluster has database 0 only: write redis+cluster://host:port" db.out &&
	redis_job db2.yaml redis.copy "redis://127.0.0.1:7000/0" "redis://127.0.0.1:7001/3" "cluster: true" &&
	test_expect_code 3 runjob check db2.yaml >db2.out 2>&1 &&
	test_grep "db2.yaml:8:[0-9]*: error: .*says the target is a Redis Cluster, which has database 0 only" db2.out &&
	redis_job ok.yaml redis.copy "rediss+cluster://127.0.0.1:7000" "redis://127.0.0.1:7001/0" \
		"tls_ca: ca.pem" &&
	runjob check ok.yaml
'

test_expect_success 'a server of its own named as a cluster is refused with what to write' '
	redis_job notc.yaml redis.copy "redis+cluster://127.0.0.1:$(redis_port plain)" "$(redis_url typed 1)" &&
	test_must_fail run_job notc.yaml &&
	test_grep "source redis+cluster://127.0.0.1:$(redis_port plain)/0 is not a Redis Cluster" notc.out &&
	test_grep "write redis:// for a server of its own" notc.out
'

test_expect_success 'cluster to a server of its own: every primary scanned, every key copied and checked' '
	redis_start one &&
	redis_job c2s.yaml redis.copy "$(redis_cluster_url a)" "$(redis_url one)" &&
	run_job c2s.yaml &&
	test_grep "source cluster: 3 primaries" c2s.out &&
	# The counts of changes are kept by each primary: every key is
	# read again.
	test_grep "verifying key types and lengths: a cluster counts its changes primary by primary" c2s.out &&
	test_grep "verify: 20000 keys checked, 0 mismatched" c2s.out &&
	test "$(output KEYS_COPIED c2s.env)" = 20000 &&
	same "$(redis_cluster_url a)" "$(redis_url one)" &&
	same "$(redis_url plain)" "$(redis_url one)"
'

test_expect_success 'a server of its own to a cluster: each key on the primary of its slot, every type with its TTL, by DUMP and by type' '
	redis_job s2c.yaml redis.copy "$(redis_url typed)" "$(redis_cluster_url b)" &&
	run_job s2c.yaml &&
	test_grep "verify: 5024 keys checked, 0 mismatched" s2c.out &&
	test "$(redis_cluster_dbsize b)" = 5024 &&
	keyspace "$(redis_url typed)" --ttl >src.ks &&
	keyspace "$(redis_cluster_url b)" --ttl >dst.ks &&
	test_cmp src.ks dst.ks &&
	flush_cluster b &&
	redis_job s2ct.yaml redis.copy "$(redis_url typed)" "$(redis_cluster_url b)" \
		"method: types" &&
	run_job s2ct.yaml &&
	test_grep "verify: 5024 keys checked, 0 mismatched" s2ct.out &&
	keyspace "$(redis_cluster_url b)" --ttl >dst.ks &&
	test_cmp src.ks dst.ks &&
	# No temporary key is left behind on any primary.
	for node in $(redis_cluster_primaries b); do
		test "$(redis_cli $node --scan --pattern "runjob:*" | wc -l)" = 0 || return 1
	done
'

test_expect_success 'cluster to cluster, 3 primaries to 2 (cluster: true): the same keyspace, and redis.verify agrees' '
	flush_cluster b &&
	a=$(redis_cluster_url a) && b=$(redis_cluster_url b) &&
	redis_job c2c.yaml redis.copy "redis${a#redis+cluster}" "redis${b#redis+cluster}/0" \
		"cluster: true" &&
	run_job c2c.yaml &&
	test "$(output KEYS_COPIED c2c.env)" = 20000 &&
	same "$a" "$b" &&
	redis_job v.yaml redis.verify "$a" "$b" "both_ways: true" &&
	run_job v.yaml &&
	test "$(output KEYS_CHECKED v.env)" = 20000 &&
	test "$(output KEYS_MISMATCHED v.env)" = 0
'

test_expect_success 'runjob run --dry-run counts the keys of every primary, and those each target primary has' '
	redis_job dry.yaml redis.copy "$(redis_cluster_url a)" "$(redis_cluster_url b)" &&
	runjob run --dry-run --journal "$PWD/dry.db" dry.yaml >dry.out 2>&1 &&
	cat dry.out &&
	test_grep "would copy 20000 keys (string 14000, hash 2000, list 2000, set 1000, zset 1000, stream 0)" dry.out &&
	test_grep "20000 of these keys are on the target already" dry.out
'

test_expect_success 'redis.verify finds a key changed, one missing and one extra in a cluster target' '
	b=$(redis_cluster_url b) &&
	redis-cli -c -p "$(redis_port b1)" SET key:1 changed >/dev/null &&
	redis-cli -c -p "$(redis_port b1)" DEL key:1234 >/dev/null &&
	redis-cli -c -p "$(redis_port b1)" SET only:here 1 >/dev/null &&
	redis_job vd.yaml redis.verify "$(redis_cluster_url a)" "$b" "both_ways: true" \
		"rounds: 1" &&
	test_must_fail run_job vd.yaml &&
	test_grep "mismatch: .key:1.: value differs" vd.out &&
	test_grep "mismatch: .key:1234.: missing on the target" vd.out &&
	test_grep "mismatch: .only:here.: only on the target" vd.out &&
	test_grep "verify: 20000 keys checked, 3 mismatched" vd.out
'

test_expect_success 'the target resharded during the copy: writes follow MOVED and ASK, and every key lands' '
	flush_cluster b &&
	copy_behind rs "$(redis_cluster_url a)" "$(redis_cluster_url b)" &&
	test_when_finished "kill_tree $copier" &&
	n=0 &&
	while test "$(redis_cluster_dbsize b)" -lt 2000; do
		alive $copier && n=$((n + 1)) && test $n -lt 600 && sleep 0.1 ||
			{ cat rs.out; return 1; }
	done &&
	from=$(redis_cli b1 CLUSTER MYID) && to=$(redis_cli b2 CLUSTER MYID) &&
	timeout 60 redis-cli --cluster reshard "127.0.0.1:$(redis_port b1)" \
		--cluster-from "$from" --cluster-to "$to" --cluster-slots 3000 \
		--cluster-yes >reshard.out 2>&1 &&
	timeout 60 redis-cli --cluster reshard "127.0.0.1:$(redis_port b1)" \
		--cluster-from "$to" --cluster-to "$from" --cluster-slots 1500 \
		--cluster-yes >>reshard.out 2>&1 &&
	# The copy was still going when the slots had moved.
	alive $copier &&
	wait $copier &&
	cat rs.out &&
	test_grep "the target.s slots moved during the copy: [1-9][0-9]* writes went again" rs.out &&
	test_grep "verify: 20000 keys checked, 0 mismatched" rs.out &&
	same "$(redis_cluster_url a)" "$(redis_cluster_url b)"
'

test_expect_success 'runjob killed mid-copy: the next run continues each primary.s scan where its checkpoint says' '
	copy_killed res resumed &&
	had=$(redis_dbsize resumed) &&
	test "$had" -lt 20000 &&
	ck=$(q res.db "select json_extract(data, '\''$.shards'\'') from events where kind = '\''checkpoint'\'' order by seq desc limit 1") &&
	echo "$ck" &&
	for node in $(redis_cluster_primaries a); do
		echo "$ck" | grep -q "127.0.0.1:$(redis_port $node)=" || return 1
	done &&
	runjob run --journal "$PWD/res.db" res.yaml >res2.out 2>&1 &&
	cat res2.out &&
	test_grep "resuming the scans where they were (127.0.0.1:[0-9]*=[0-9a-z]*,127.0.0.1:" res2.out &&
	already=$(sed -n "s/.*: \([0-9]*\) keys already copied.*/\1/p" res2.out) &&
	this=$(sed -n "s/.*copied [0-9]* keys, .*(\([0-9]*\) in this attempt.*/\1/p" res2.out) &&
	echo "already $already, this attempt $this" &&
	test "$already" -ge 3000 &&
	test "$this" -lt 17000 &&
	test "$(sqlite3 res.db "select state from runs")" = succeeded &&
	same "$(redis_cluster_url a)" "$(redis_url resumed)"
'

test_expect_success 'the source resharded during the copy: once the resharding is over, the moved slots are read again in the same attempt' '
	redis_start moved &&
	# Held to 2000 commands a second: the copy outlasts two reshardings.
	copy_behind mv "$(redis_cluster_url a)" "$(redis_url moved)" 2000 &&
	test_when_finished "kill_tree $copier" &&
	wait_keys moved 3000 $copier mv.out &&
	reshard_a 1 2 3000 &&
	reshard_a 2 1 1000 &&
	# The copy was still going when the slots had moved.
	alive $copier &&
	{ wait $copier; code=$?; } &&
	cat mv.out &&
	test $code = 0 &&
	test "$(q mv.db "select count(*) from attempts where step_id = '\''copy'\''")" = 1 &&
	test_grep "the source.s slots moved during the copy (a resharding): [1-9][0-9]* slots read again from the primaries that serve them now, [1-9][0-9]* keys" mv.out &&
	test_grep "verify: 20000 keys checked, 0 mismatched" mv.out &&
	same "$(redis_cluster_url a)" "$(redis_url moved)"
'

test_expect_success 'runjob killed while the moved slots of the source are read again: the next run copies everything again' '
	redis_start moved2 &&
	copy_behind mv2 "$(redis_cluster_url a)" "$(redis_url moved2)" 2000 &&
	test_when_finished "kill_tree $copier" &&
	wait_keys moved2 3000 $copier mv2.out &&
	# The slots the test before moved go back.
	reshard_a 2 1 2000 &&
	n=0 &&
	until grep -q "reading [0-9]* slots again" mv2.out; do
		alive $copier && n=$((n + 1)) && test $n -lt 600 && sleep 0.1 ||
			{ cat mv2.out; return 1; }
	done &&
	kill_tree $copier &&
	{ wait $copier; code=$?; } &&
	test $code = 137 &&
	starts_over mv2 moved2
'

test_expect_success 'the source resharded between two attempts: the next run goes on with each scan and reads the slots that moved since again' '
	copy_killed btw between &&
	q btw.db "select json_extract(data, '\''$.owned'\'') from events where kind = '\''checkpoint'\'' order by seq desc limit 1" >owned &&
	cat owned &&
	test_grep "127.0.0.1:[0-9]*=[0-9]*=[0-9]" owned &&
	reshard_a 1 3 2000 &&
	runjob run --journal "$PWD/btw.db" btw.yaml >btw2.out 2>&1 &&
	cat btw2.out &&
	test_grep "resuming the scans where they were" btw2.out &&
	test_grep "[0-9]* slots of the source moved to another primary since the earlier attempt.s scans began" btw2.out &&
	test_grep "slots read again from the primaries that serve them now" btw2.out &&
	test_grep "verify: 20000 keys checked, 0 mismatched" btw2.out &&
	same "$(redis_cluster_url a)" "$(redis_url between)"
'

test_expect_success 'a slot of the source left migrating: the copy waits for the resharding to end, then fails saying keys may be missed, and the next run copies them all' '
	redis_start stuck &&
	owner=$(redis_cluster_primaries a | sed -n 1p) &&
	other=$(redis_cluster_primaries a | sed -n 2p) &&
	slot=$(redis_cli $owner CLUSTER KEYSLOT "$(redis_cli $owner RANDOMKEY)") &&
	redis_cli $owner CLUSTER SETSLOT $slot MIGRATING "$(redis_cli $other CLUSTER MYID)" &&
	test_when_finished "redis_cli $owner CLUSTER SETSLOT $slot STABLE" &&
	redis_job stuck.yaml redis.copy "$(redis_cluster_url a)" "$(redis_url stuck)" &&
	test_must_fail runjob run --journal "$PWD/stuck.db" stuck.yaml >stuck.out 2>&1 &&
	cat stuck.out &&
	test_grep "waiting for the source.s resharding to end (slots migrating), for 1m00s at most" stuck.out &&
	test_grep "the source.s slots moved between its primaries during the copy (a resharding): keys that moved may have been missed; run the step again once the resharding is over" stuck.out &&
	redis_cli $owner CLUSTER SETSLOT $slot STABLE &&
	starts_over stuck stuck
'

test_expect_success 'pause_if on a cluster source: the primary whose replica lags pauses its own scan, the others are copied meanwhile' '
	redis_start paused &&
	replica=$(for n in $(redis_cluster_nodes a); do
		redis_cli $n INFO replication | grep -q "^role:slave" && echo $n; done | head -n 1) &&
	mport=$(redis_cli "$replica" INFO replication | tr -d "\r" | sed -n "s/^master_port://p") &&
	# Asked before the replica stops: it would not answer after.
	others=0 &&
	for n in $(redis_cluster_primaries a); do
		test "$(redis_port $n)" = "$mport" ||
			others=$((others + $(redis_cli $n DBSIZE))) || return 1
	done &&
	url=redis+cluster://127.0.0.1:$mport &&
	kill -STOP "$(redis_pid "$replica")" &&
	test_when_finished "kill -CONT $(redis_pid "$replica")" &&
	until redis-cli -p "$mport" INFO replication | grep -q "^slave0:.*lag=[2-9]"; do
		sleep 0.2
	done &&
	redis_job pause.yaml redis.copy "$url" "$(redis_url paused)" \
		"pause_if: { replication_lag: 2s }" &&
	{ runjob run --journal "$PWD/pause.db" pause.yaml >pause.out 2>&1 & } &&
	copier=$! &&
	test_when_finished "kill_tree $copier" &&
	# Every key of the other primaries lands while that one waits.
	n=0 &&
	while test "$(redis_dbsize paused)" -lt "$others"; do
		alive $copier && n=$((n + 1)) && test $n -lt 600 && sleep 0.1 ||
			{ cat pause.out; return 1; }
	done &&
	test_grep "pausing the scan of redis+cluster://127.0.0.1:$mport/0: a replica of the source [0-9]*s behind" pause.out &&
	test "$(redis_dbsize paused)" -lt 20000 &&
	kill -CONT "$(redis_pid "$replica")" &&
	wait $copier &&
	test_grep "going on after a pause of " pause.out &&
	same "$(redis_cluster_url a)" "$(redis_url paused)"
'

test_expect_success 'a primary of the source killed mid-copy: its replica takes over, the copy follows it and completes' '
	redis_start failover &&
	keyspace "$(redis_cluster_url a)" >before.ks &&
	copy_behind fo "$(redis_cluster_url a)" "$(redis_url failover)" &&
	test_when_finished "kill_tree $copier" &&
	wait_keys failover 4000 $copier fo.out &&
	victim=$(redis_cluster_primaries a | head -n 1) &&
	redis_kill "$victim" &&
	wait $copier &&
	cat fo.out &&
	test_grep "took over from redis+cluster://127.0.0.1:$(redis_port $victim)/0; scanning it from the start" fo.out &&
	test_grep "verify: 20000 keys checked, 0 mismatched" fo.out &&
	keyspace "$(redis_url failover)" >after.ks &&
	test_cmp before.ks after.ks
'

test_done
