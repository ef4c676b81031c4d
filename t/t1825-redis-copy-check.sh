#!/bin/sh
test_description='redis.copy closing check: after a copy that nothing else wrote to, it is had from the servers'\'' counts of changes without reading a key again; a key changed on the source or on the target during the copy, or evicted from the target, makes it read every key and find the difference; the step says how long the copy and the check took'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-redis.sh"

# slowly NAME: a copy job NAME.yaml from src to dst that takes a few
# seconds (the load guard holds it to 2000 commands a second, two a key),
# started in the background: its pid in copier, its output in NAME.out.
slowly() {
	redis_job "$1.yaml" redis.copy "$(redis_url src)" "$(redis_url dst)" \
		"max_ops_per_sec: 2000" "batch: 50" "connections: 1" &&
	{ runjob run --journal "$PWD/$1.db" "$1.yaml" >"$1.out" 2>&1 & } &&
	copier=$!
}

# copied N: wait (at most 60 s) until the target has at least N keys,
# while the copy runs.
copied() {
	n=0
	until test "$(redis_dbsize dst)" -ge "$1"; do
		alive $copier || { cat "$2"; return 1; }
		n=$((n + 1))
		[ $n -lt 600 ] || { echo "fewer than $1 keys after 60 s" >&2; return 1; }
		sleep 0.1
	done
}

# a_copied_string: a key of the target, one of the strings it has.
a_copied_string() {
	while :; do
		k=$(redis_cli dst RANDOMKEY) &&
		test "$(redis_cli dst TYPE "$k")" = string && echo "$k" && return 0
	done
}

test_expect_success 'setup: a source of 3000 keys of several types, a source of 3000 strings, an empty target' '
	redis_start mixed &&
	redis_start src &&
	redis_start dst &&
	redis_fill mixed many 3000 --mixed --ttl-ms 3600000 &&
	redis_fill src many 3000 --size 100 &&
	test "$(redis_dbsize src)" = 3000
'

test_expect_success 'a copy nothing else writes to is checked without reading a key again, and says how long the copy and the check took' '
	redis_cli mixed CONFIG RESETSTAT >/dev/null &&
	redis_job quiet.yaml redis.copy "$(redis_url mixed)" "$(redis_url dst)" &&
	run_job quiet.yaml &&
	test_grep "copy | verify: 3000 keys restored from the source.s own payloads, and neither server written to during the copy but by it: no key read again" quiet.out &&
	test_grep "copy | split: copy [0-9]*\.[0-9][0-9][0-9]s, check [0-9]*\.[0-9][0-9][0-9]s, overlap 0\.000s" quiet.out &&
	test_grep -v "verifying key types and lengths" quiet.out &&
	# Not one length, type or TTL asked of the source after the copy.
	redis_cli mixed INFO commandstats >stats &&
	test_grep -v "cmdstat_\(type\|strlen\|hlen\|llen\|scard\|zcard\):" stats &&
	redis_compare mixed dst &&
	redis_cli dst FLUSHALL >/dev/null
'

test_expect_success 'a key changed on the source after it was copied is found: the check reads every key, saying why' '
	slowly src-changed &&
	test_when_finished "kill $copier 2>/dev/null; redis_cli dst FLUSHALL >/dev/null" &&
	copied 500 src-changed.out &&
	k=$(a_copied_string) &&
	redis_cli src APPEND "$k" longer >/dev/null &&
	{ wait $copier; code=$?; } &&
	cat src-changed.out &&
	test $code = 1 &&
	test_grep "copy | verifying key types and lengths: the source: it counted 1 changes, the copy made 0" src-changed.out &&
	test_grep "mismatch: .$k.: length 106 on the source, 100 on the target" src-changed.out &&
	test_grep "split: copy [0-9.]*s, check [0-9.]*s" src-changed.out &&
	redis_cli src SET "$k" "$(redis_cli dst GET "$k")" >/dev/null
'

test_expect_success 'a key another client changes on the target during the copy is found' '
	slowly dst-changed &&
	test_when_finished "kill $copier 2>/dev/null; redis_cli dst FLUSHALL >/dev/null" &&
	copied 500 dst-changed.out &&
	k=$(a_copied_string) &&
	redis_cli dst APPEND "$k" longer >/dev/null &&
	{ wait $copier; code=$?; } &&
	cat dst-changed.out &&
	test $code = 1 &&
	test_grep "copy | verifying key types and lengths: the target: it counted 3001 changes, the copy made 3000" dst-changed.out &&
	test_grep "mismatch: .$k.: length 100 on the source, 106 on the target" dst-changed.out
'

test_expect_success 'keys the target evicts to make room are found missing' '
	redis_start wide &&
	redis_fill wide many 3000 --size 2000 &&
	redis_start small &&
	used=$(redis_cli small INFO memory | tr -d "\r" | sed -n "s/^used_memory://p") &&
	redis_cli small CONFIG SET maxmemory-policy allkeys-random >/dev/null &&
	# Room for about a third of the keys, and for a batch of them in
	# flight beside.
	redis_cli small CONFIG SET maxmemory $((used + 2000000)) >/dev/null &&
	redis_job evicted.yaml redis.copy "$(redis_url wide)" "$(redis_url small)" "batch: 20" &&
	test_expect_code 1 run_job evicted.yaml &&
	test_grep "copy | verifying key types and lengths: the target: it evicted [0-9]* keys" evicted.out &&
	test_grep "mismatch: .key:[0-9]*.: missing on the target" evicted.out
'

test_done
