#!/bin/sh
test_description='redis.copy: every type copied exactly with its TTL, the settings (match, types, ttl, on_conflict, method, big_key), logins and their masking, the outputs, --dry-run'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-redis.sh"

# The fixture (t/redis-fill.py types) has 24 keys: 7 strings, 3 hashes,
# 3 lists, 4 sets, 3 sorted sets and 4 streams; 6 of them have a TTL of
# an hour.
ALL="24 keys (string 7, hash 3, list 3, set 4, zset 3, stream 4)"

# fresh NAME: NAME's server emptied.
fresh() {
	redis_cli "$1" FLUSHALL >/dev/null
}

test_expect_success 'setup: a source with every type, an empty target' '
	redis_start src &&
	redis_start dst &&
	redis_fill src types &&
	test "$(redis_dbsize src)" = 24 &&
	test "$(redis_dbsize dst)" = 0
'

test_expect_success 'every type is copied exactly, with its TTL; keys without one stay persistent' '
	redis_job all.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" &&
	run_job all.yaml &&
	redis_compare src dst >cmp &&
	test_grep "compared 24 keys: 0 differences" cmp &&
	test "$(redis_dbsize dst)" = 24 &&
	test "$(redis_cli dst PTTL str:plain)" = -1 &&
	test "$(redis_cli dst PTTL hash:big)" = -1 &&
	ttl=$(redis_cli dst PTTL str:ttl) &&
	test "$ttl" -gt 3500000 && test "$ttl" -le 3600000
'

test_expect_success 'the copy says what the servers are, how it copies and what it did' '
	p=$(redis_port src) && q=$(redis_port dst) &&
	test_grep "source redis://127.0.0.1:$p/0: redis [0-9][0-9.]*, payload version [0-9][0-9]*" all.out &&
	test_grep "target redis://127.0.0.1:$q/0: redis [0-9][0-9.]*, payload version [0-9][0-9]*" all.out &&
	test_grep "method: dump (pipelined DUMP/RESTORE)" all.out &&
	test_grep "copied 24 keys, skipped 0, expired 0, " all.out
'

test_expect_success 'KEYS_COPIED, KEYS_SKIPPED, KEYS_EXPIRED and BYTES reach a dependent step and the journal' '
	test "$(output KEYS_COPIED all.env)" = 24 &&
	test "$(output KEYS_SKIPPED all.env)" = 0 &&
	test "$(output KEYS_EXPIRED all.env)" = 0 &&
	bytes=$(output BYTES all.env) &&
	test "$bytes" -gt 100000 &&
	q all.db "select name || \"=\" || value from outputs where step_id = \"copy\" order by name" >actual &&
	printf "BYTES=%s\nKEYS_COPIED=24\nKEYS_EXPIRED=0\nKEYS_SKIPPED=0\n" "$bytes" >expect &&
	test_cmp expect actual
'

test_expect_success 'a dependent run step sees the count as $KEYS_COPIED' '
	cat >dep.yaml <<-EOF &&
	runjob: 1
	name: dep
	steps:
	  - id: copy
	    redis.copy:
	      source: $(redis_url src)
	      target: $(redis_url dst)
	  - id: count
	    needs: [copy]
	    run: echo "\$KEYS_COPIED" >copied
	EOF
	run_job dep.yaml &&
	echo 24 >expect &&
	test_cmp expect copied
'

test_expect_success 'ttl: drop copies every key without a TTL' '
	fresh dst &&
	redis_job drop.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" "ttl: drop" &&
	run_job drop.yaml &&
	redis_compare src dst --ttl-dropped >cmp &&
	test_grep "compared 24 keys: 0 differences" cmp &&
	test "$(redis_cli dst PTTL str:ttl)" = -1
'

test_expect_success 'match: copies only the keys that match the pattern' '
	fresh dst &&
	redis_job match.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" "match: \"hash:*\"" &&
	run_job match.yaml &&
	redis_compare src dst --match "hash:*" >cmp &&
	test_grep "compared 3 keys: 0 differences" cmp &&
	test "$(redis_dbsize dst)" = 3 &&
	test "$(output KEYS_COPIED match.env)" = 3
'

test_expect_success 'types: copies only the keys of those types' '
	fresh dst &&
	redis_job types.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" "types: [string, zset]" &&
	run_job types.yaml &&
	redis_compare src dst --types string,zset >cmp &&
	test_grep "compared 10 keys: 0 differences" cmp &&
	test "$(redis_dbsize dst)" = 10 &&
	test "$(output KEYS_COPIED types.env)" = 10
'

test_expect_success 'the database numbers of the URLs are used: /3 is copied to /5' '
	test_when_finished "fresh src; redis_fill src types" &&
	fresh dst &&
	fresh src &&
	"$PYTHON" "$TEST_DIRECTORY/redis-fill.py" "$(redis_url src 3)" types &&
	redis_cli src -n 0 SET only-in-db-0 x &&
	redis_job db.yaml redis.copy "$(redis_url src 3)" "$(redis_url dst 5)" &&
	run_job db.yaml &&
	"$PYTHON" "$TEST_DIRECTORY/redis-compare.py" "$(redis_url src 3)" "$(redis_url dst 5)" >cmp &&
	test_grep "compared 24 keys: 0 differences" cmp &&
	test "$(redis_dbsize dst 5)" = 24 &&
	test "$(redis_dbsize dst 0)" = 0 &&
	test "$(redis_dbsize dst 3)" = 0 &&
	test "$(redis_dbsize src 5)" = 0
'

test_expect_success 'setup: servers that need a login: an ACL user, and a requirepass' '
	redis_start acl --requirepass adm1n-pw \
		--user copier on ">c0pier-s3cret" "~*" "&*" "+@all" &&
	redis_start pass --requirepass t4rget-s3cret &&
	redis_fill acl types &&
	{ redis-cli -p "$(redis_port acl)" DBSIZE >noauth 2>&1 || :; } &&
	test_grep NOAUTH noauth
'

test_expect_success 'user:password@ in the source logs in as that ACL user, :password@ in the target with requirepass' '
	mkdir login && cd login &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: login
	params:
	  SRC: { secret: true, env: TEST_SRC_URL }
	  DST: { secret: true, env: TEST_DST_URL }
	steps:
	  - id: copy
	    redis.copy:
	      source: "${{ params.SRC }}"
	      target: "${{ params.DST }}"
	  - id: after
	    needs: [copy]
	    run: echo "$KEYS_COPIED" >copied
	EOF
	TEST_SRC_URL="redis://copier:c0pier-s3cret@127.0.0.1:$(redis_port acl)/0" \
	TEST_DST_URL="redis://:t4rget-s3cret@127.0.0.1:$(redis_port pass)/0" \
		run_job job.yaml &&
	echo 24 >expect &&
	test_cmp expect copied &&
	redis_compare acl pass >cmp &&
	test_grep "compared 24 keys: 0 differences" cmp
'

test_expect_success 'the passwords are in none of the output, the logs and the journal' '
	cd login &&
	test -s job.out &&
	test_grep "\*\*\*" job.out &&
	log=$(q job.db "select log from attempts where step_id = \"copy\"") &&
	test -s "$log" &&
	test_grep "\*\*\*" "$log" &&
	! grep -r -a -l -e c0pier-s3cret -e t4rget-s3cret . "$log" &&
	sqlite3 job.db .dump >dump &&
	test_grep "INSERT INTO outputs" dump &&
	! grep -a -e c0pier-s3cret -e t4rget-s3cret dump
'

test_expect_success 'the user matters: the ACL password as the default user is refused' '
	mkdir wronguser && cd wronguser &&
	redis_job job.yaml redis.copy \
		"redis://:c0pier-s3cret@127.0.0.1:$(redis_port acl)/0" "$(redis_url dst)" &&
	test_expect_code 1 run_job job.yaml &&
	test "$(redis_dbsize dst)" = 0
'

test_expect_success 'a wrong password fails the step with an error that names the server, not the password' '
	mkdir wrongpass && cd wrongpass &&
	p=$(redis_port acl) &&
	redis_job job.yaml redis.copy \
		"redis://copier:not-the-pw@127.0.0.1:$p/0" "$(redis_url dst)" &&
	test_expect_code 1 run_job job.yaml &&
	test_grep "127.0.0.1:$p" job.out &&
	test_grep -v not-the-pw job.out &&
	test "$(redis_dbsize dst)" = 0
'

test_expect_success 'on_conflict: replace (the default) overwrites a differing key on the target' '
	fresh dst &&
	redis_cli dst SET str:plain "old value" &&
	redis_cli dst RPUSH hash:small "not a hash" &&
	redis_job replace.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" &&
	run_job replace.yaml &&
	redis_compare src dst >cmp &&
	test_grep "compared 24 keys: 0 differences" cmp &&
	test "$(output KEYS_COPIED replace.env)" = 24
'

test_expect_success 'on_conflict: skip leaves a key on the target as it is and counts it' '
	fresh dst &&
	redis_cli dst SET str:plain "old value" &&
	redis_job skip.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" "on_conflict: skip" &&
	run_job skip.yaml &&
	test "$(redis_cli dst GET str:plain)" = "old value" &&
	test_expect_code 1 redis_compare src dst >cmp &&
	test_grep "compared 24 keys: 1 differences" cmp &&
	test_grep "^'"'"'str:plain'"'"': string differs" cmp &&
	test "$(output KEYS_SKIPPED skip.env)" = 1 &&
	test "$(output KEYS_COPIED skip.env)" = 23
'

test_expect_success 'on_conflict: fail fails the step, names the key and leaves it as it is' '
	fresh dst &&
	redis_cli dst SET str:plain "old value" &&
	redis_job fail.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" "on_conflict: fail" &&
	test_expect_code 1 run_job fail.yaml &&
	test_grep "str:plain" fail.out &&
	test "$(redis_cli dst GET str:plain)" = "old value" &&
	test ! -f fail.env
'

test_expect_success 'on_conflict: fail lets a key that the target holds exactly as the source pass' '
	fresh dst &&
	redis_job first.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" "types: [hash]" &&
	run_job first.yaml &&
	test "$(redis_dbsize dst)" = 3 &&
	redis_job again.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" "on_conflict: fail" &&
	run_job again.yaml &&
	# Those were not written, so the closing check reads every key.
	test_grep "verifying key types and lengths: 3 keys were on the target already" again.out &&
	redis_compare src dst >cmp &&
	test_grep "compared 24 keys: 0 differences" cmp
'

test_expect_success 'a key that expires during the copy is not revived on the target, and is counted' '
	redis_start exp &&
	redis_start exp2 &&
	redis_fill exp many 50000 --prefix keep: --mixed &&
	redis_fill exp many 50000 --prefix short: --ttl-ms 3000 &&
	filled=$(date +%s) &&
	redis_job expiry.yaml redis.copy "$(redis_url exp)" "$(redis_url exp2)" "batch: 100" &&
	run_job expiry.yaml &&
	copied=$(output KEYS_COPIED expiry.env) &&
	expired=$(output KEYS_EXPIRED expiry.env) &&
	echo "copied $copied, expired $expired" &&
	test "$copied" -ge 50000 &&
	test "$expired" -gt 0 &&
	test $((copied + expired)) -le 100000 &&
	# Every short key has gone from the source by now, and from the
	# target: none came back without its TTL.
	while test $(date +%s) -lt $((filled + 5)); do sleep 0.2; done &&
	redis_compare exp exp2 >cmp &&
	test_grep "compared 50000 keys: 0 differences" cmp &&
	test -z "$(redis_cli exp2 --scan --pattern "short:*" | head -n 1)"
'

test_expect_success 'method: types gives the same result as DUMP/RESTORE' '
	fresh dst &&
	redis_job types-method.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" "method: types" &&
	run_job types-method.yaml &&
	test_grep "method: types (" types-method.out &&
	test_grep "verifying key types and lengths: [0-9]* keys were copied by type" types-method.out &&
	redis_compare src dst >cmp &&
	test_grep "compared 24 keys: 0 differences" cmp
'

test_expect_success 'setup: a target that cannot RESTORE' '
	redis_start norestore --rename-command RESTORE "" &&
	{ redis_cli norestore RESTORE k 0 x >err 2>&1 || :; } &&
	test_grep "unknown command" err
'

test_expect_success 'a target that cannot RESTORE gets every key exactly, copied type by type' '
	redis_job fallback.yaml redis.copy "$(redis_url src)" "$(redis_url norestore)" &&
	run_job fallback.yaml &&
	test_grep "method: types (" fallback.out &&
	redis_compare src norestore >cmp &&
	test_grep "compared 24 keys: 0 differences" cmp
'

test_expect_success 'method: dump to a target that cannot RESTORE fails and says why' '
	redis_cli norestore FLUSHALL &&
	redis_job dump.yaml redis.copy "$(redis_url src)" "$(redis_url norestore)" "method: dump" &&
	test_expect_code 1 run_job dump.yaml &&
	grep -i "restore" dump.out | grep -v "method: dump (pipelined" >why &&
	test -s why &&
	test "$(redis_dbsize norestore)" = 0
'

test_expect_success '--dry-run counts the keys by type and writes nothing' '
	fresh dst &&
	redis_job dry.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" &&
	run_job dry.yaml --dry-run &&
	test_grep "would copy $ALL, 0 big keys, about " dry.out &&
	test_grep "fast path: yes" dry.out &&
	test "$(redis_dbsize dst)" = 0
'

test_expect_success '--dry-run estimates the bytes from the DUMP sizes of a sample, near what the copy then writes' '
	redis_start many &&
	redis_start manydst &&
	redis_fill many many 50000 --mixed &&
	redis_job est.yaml redis.copy "$(redis_url many)" "$(redis_url manydst)" &&
	run_job est.yaml --dry-run &&
	test_grep "would copy 50000 keys .*, 0 big keys, about .* ([0-9]* bytes, from the DUMP sizes of 1000 of the 50000 keys); fast path: yes" est.out &&
	guess=$(sed -n "s/.*about [^(]*(\([0-9]*\) bytes, from the DUMP.*/\1/p" est.out) &&
	test "$(redis_dbsize manydst)" = 0 &&
	run_job est.yaml &&
	wrote=$(output BYTES est.env) &&
	echo "estimated $guess bytes, the copy wrote $wrote" &&
	# Within a quarter either way; MEMORY USAGE, which counts the
	# server'"'"'s overhead, made it several times what was written.
	test $((guess * 4)) -ge $((wrote * 3)) &&
	test $((guess * 4)) -le $((wrote * 5))
'

test_expect_success '--dry-run counts the keys the target has already, and with on_conflict: fail says the copy would fail' '
	run_job est.yaml --dry-run &&
	test_grep "50000 of these keys are on the target already: on_conflict: replace" est.out &&
	redis_job estf.yaml redis.copy "$(redis_url many)" "$(redis_url manydst)" "on_conflict: fail" &&
	test_must_fail run_job estf.yaml --dry-run &&
	test_grep "the copy would fail: on_conflict: fail and 50000 keys are on the target" estf.out
'

test_expect_success '--dry-run of method: types says why there is no fast path' '
	fresh dst &&
	redis_job drytypes.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" "method: types" &&
	run_job drytypes.yaml --dry-run &&
	test_grep "fast path: no (the job says method: types)" drytypes.out &&
	test_grep -v "fast path: no (-)" drytypes.out
'

test_expect_success '--dry-run says when there is no fast path, and still writes nothing' '
	redis_cli norestore FLUSHALL &&
	redis_job drynr.yaml redis.copy "$(redis_url src)" "$(redis_url norestore)" &&
	run_job drynr.yaml --dry-run &&
	test_grep "would copy $ALL" drynr.out &&
	test_grep "fast path: no (the target has no RESTORE command)" drynr.out &&
	test "$(redis_dbsize norestore)" = 0
'

test_expect_success 'setup: a source with big keys: a hash of 1,000,000 fields, a list of 2,000,000, a string of 20 MB' '
	redis_start big &&
	redis_start big2 &&
	redis_fill big big &&
	redis_cli big EXPIRE big:hash 3600 &&
	test "$(redis_cli big HLEN big:hash)" = 1000000 &&
	test "$(redis_cli big LLEN big:list)" = 2000000 &&
	test "$(redis_cli big STRLEN big:string)" = 20971520
'

test_expect_success '--dry-run counts the big keys' '
	redis_job drybig.yaml redis.copy "$(redis_url big)" "$(redis_url big2)" "big_key: 1MB" &&
	run_job drybig.yaml --dry-run &&
	test_grep "would copy 3 keys (string 1, hash 1, list 1, set 0, zset 0, stream 0), 3 big keys" drybig.out &&
	test "$(redis_dbsize big2)" = 0
'

test_expect_success 'big keys are copied exactly in chunks, and the target never shows part of one' '
	cat >watch.py <<-\EOF &&
	import os, sys, redis
	r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]))
	full = {"big:hash": ("HLEN", 1000000), "big:list": ("LLEN", 2000000),
	        "big:string": ("STRLEN", 20971520)}
	polls = 0
	while not os.path.exists("stop-watching"):
	    p = r.pipeline(transaction=False)
	    for k, (cmd, n) in full.items():
	        p.execute_command(cmd, k)
	    for (k, (cmd, n)), got in zip(full.items(), p.execute()):
	        if got not in (0, n):
	            print("partial: %s %s %d" % (k, cmd, got), flush=True)
	    polls += 1
	print("polls: %d" % polls, flush=True)
	EOF
	{ "$PYTHON" watch.py "$(redis_port big2)" >watched & } &&
	watcher=$! &&
	test_when_finished "touch stop-watching; kill $watcher" &&
	redis_job bigcopy.yaml redis.copy "$(redis_url big)" "$(redis_url big2)" "big_key: 1MB" &&
	run_job bigcopy.yaml &&
	touch stop-watching && wait $watcher &&
	cat watched &&
	polls=$(sed -n "s/^polls: //p" watched) &&
	test "$polls" -gt 10 &&
	test_grep -v "^partial" watched &&
	test "$(output KEYS_COPIED bigcopy.env)" = 3 &&
	redis_compare big big2 >cmp &&
	test_grep "compared 3 keys: 0 differences" cmp &&
	test "$(redis_dbsize big2)" = 3 &&
	test "$(redis_cli big2 LINDEX big:list 1234567)" = e1234567 &&
	test "$(redis_cli big2 HGET big:hash f999999)" = value-30999969 &&
	ttl=$(redis_cli big2 TTL big:hash) &&
	test "$ttl" -gt 3000 && test "$ttl" -le 3600
'

test_done
