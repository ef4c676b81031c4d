#!/bin/sh
test_description='redis.verify: identical keyspaces pass; every kind of difference is reported by key and fails the step; mode: lengths; rechecks while keys change'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-redis.sh"

# src and dst hold the same fixture (t/redis-fill.py types: 24 keys, 6
# with TTLs of an hour, on both servers to the same millisecond), filled
# again after each test that changes them.
refill() {
	at=$(($(date +%s) * 1000 + 3600000)) &&
	redis_cli src FLUSHALL >/dev/null &&
	redis_cli dst FLUSHALL >/dev/null &&
	redis_fill src types --expire-at $at &&
	redis_fill dst types --expire-at $at
}

# verify NAME [SETTING...]: run a redis.verify of src against dst with
# rounds: 1 and these settings; NAME.out has its output.
verify() {
	local name=$1
	shift
	redis_job "$name.yaml" redis.verify "$(redis_url src)" "$(redis_url dst)" \
		"rounds: 1" "$@" &&
	run_job "$name.yaml"
}

test_expect_success 'setup: two servers with the same keys' '
	redis_start src &&
	redis_start dst &&
	refill &&
	redis_compare src dst >cmp &&
	test_grep "compared 24 keys: 0 differences" cmp
'

test_expect_success 'identical keyspaces pass, and the counts reach a dependent step' '
	verify same &&
	test_grep "verify: 24 keys checked, 0 mismatched" same.out &&
	test_grep -v "mismatch:" same.out &&
	test "$(output KEYS_CHECKED same.env)" = 24 &&
	test "$(output KEYS_MISMATCHED same.env)" = 0
'

test_expect_success 'a key missing on the target is reported by name and fails the step' '
	test_when_finished refill &&
	redis_cli dst DEL str:plain &&
	test_expect_code 1 verify missing &&
	test_grep "mismatch: '"'"'str:plain'"'"': missing on the target" missing.out &&
	test_grep "verify: 24 keys checked, 1 mismatched" missing.out &&
	test ! -f missing.env
'

test_expect_success 'a key name with binary bytes and a newline is shown quoted, its bytes as \xHH' '
	test_when_finished refill &&
	printf "DEL \"bin:\\\\x00\\\\xff\\\\n\\\\r key\\\\x01\"\n" | redis_cli dst &&
	test "$(redis_dbsize dst)" = 23 &&
	test_expect_code 1 verify binary &&
	grep -F "mismatch: '"'"'bin:\\x00\\xff\\x0a\\x0d key\\x01'"'"': missing on the target" binary.out
'

test_expect_success 'a key only on the target is not a mismatch without both_ways' '
	test_when_finished refill &&
	redis_cli dst SET only-here 1 &&
	verify extra &&
	test_grep "verify: 24 keys checked, 0 mismatched" extra.out
'

test_expect_success 'both_ways: true reports a key only on the target' '
	test_when_finished refill &&
	redis_cli dst SET only-here 1 &&
	test_expect_code 1 verify both "both_ways: true" &&
	test_grep "mismatch: '"'"'only-here'"'"': only on the target" both.out &&
	test_grep ", 1 mismatched" both.out
'

test_expect_success 'a key of another type on the target is reported with both types' '
	test_when_finished refill &&
	redis_cli dst DEL set:str &&
	redis_cli dst SET set:str x &&
	test_expect_code 1 verify type &&
	test_grep "mismatch: '"'"'set:str'"'"': type set on the source, string on the target" type.out &&
	test_grep ", 1 mismatched" type.out
'

test_expect_success 'one changed hash field is reported with the field, in a small and in a big hash' '
	test_when_finished refill &&
	redis_cli dst HSET hash:small f1 V1 &&
	redis_cli dst HSET hash:big field:1777 changed &&
	test_expect_code 1 verify hash &&
	test_grep "mismatch: '"'"'hash:small'"'"': value differs (hash field '"'"'f1'"'"')" hash.out &&
	test_grep "mismatch: '"'"'hash:big'"'"': value differs (hash field '"'"'field:1777'"'"')" hash.out &&
	test_grep ", 2 mismatched" hash.out
'

test_expect_success 'a list with the same elements in another order is reported with the element' '
	test_when_finished refill &&
	test "$(redis_cli dst LINDEX list:small 0)" = c &&
	redis_cli dst LSET list:small 0 a &&
	redis_cli dst LSET list:small 1 c &&
	redis_cli dst LSET list:big 15000 item:15001 &&
	redis_cli dst LSET list:big 15001 item:15000 &&
	test_expect_code 1 verify order &&
	test_grep "mismatch: '"'"'list:small'"'"': value differs (list element 0)" order.out &&
	test_grep "mismatch: '"'"'list:big'"'"': value differs (list element 15000)" order.out &&
	test_grep ", 2 mismatched" order.out
'

test_expect_success 'a changed zset score is reported with the member' '
	test_when_finished refill &&
	redis_cli dst ZADD zset:edge 0.2 a-tenth &&
	test_expect_code 1 verify score &&
	test_grep "mismatch: '"'"'zset:edge'"'"': value differs (zset member '"'"'a-tenth'"'"')" score.out &&
	test_grep ", 1 mismatched" score.out
'

test_expect_success 'a score of inf is not the largest finite score' '
	test_when_finished refill &&
	redis_cli dst ZADD zset:edge 1.7976931348623157e308 plus-inf &&
	test_expect_code 1 verify inf &&
	test_grep "mismatch: '"'"'zset:edge'"'"': value differs (zset member '"'"'plus-inf'"'"')" inf.out
'

test_expect_success 'a set with one member replaced by another is reported with the member' '
	test_when_finished refill &&
	redis_cli dst SREM set:str b &&
	redis_cli dst SADD set:str c &&
	test_expect_code 1 verify member &&
	test_grep "mismatch: '"'"'set:str'"'"': value differs (set member '"'"'[bc]'"'"')" member.out &&
	test_grep ", 1 mismatched" member.out
'

test_expect_success 'a stream entry missing on the target is reported with its id' '
	test_when_finished refill &&
	redis_cli dst XDEL stream:events 3-5 &&
	test_expect_code 1 verify entry &&
	test_grep "mismatch: '"'"'stream:events'"'"': value differs (stream entry 3-5)" entry.out &&
	test_grep ", 1 mismatched" entry.out
'

test_expect_success 'a consumer group whose pending entry was acknowledged on the target is a mismatch' '
	test_when_finished refill &&
	test "$(redis_cli dst XACK stream:events workers 2-0)" = 1 &&
	test_expect_code 1 verify group &&
	test_grep "mismatch: '"'"'stream:events'"'"': " group.out &&
	test_grep ", 1 mismatched" group.out
'

test_expect_success 'a TTL further off than ttl_tolerance is reported with both TTLs' '
	test_when_finished refill &&
	redis_cli dst PEXPIRE str:ttl 60000 &&
	test_expect_code 1 verify ttl &&
	test_grep "mismatch: '"'"'str:ttl'"'"': TTL [0-9][0-9]* ms on the source, [0-9][0-9]* ms on the target" ttl.out &&
	test_grep ", 1 mismatched" ttl.out
'

test_expect_success 'a key with a TTL on the source that is persistent on the target is a mismatch' '
	test_when_finished refill &&
	redis_cli dst PERSIST hash:ttl &&
	test_expect_code 1 verify persist &&
	test_grep "mismatch: '"'"'hash:ttl'"'"': TTL [0-9][0-9]* ms on the source, " persist.out &&
	test_grep ", 1 mismatched" persist.out
'

test_expect_success 'a TTL within ttl_tolerance is no mismatch' '
	test_when_finished refill &&
	ttl=$(redis_cli src PTTL str:ttl) &&
	redis_cli dst PEXPIRE str:ttl $((ttl - 1000)) &&
	verify near "ttl_tolerance: 2s" &&
	test_grep "verify: 24 keys checked, 0 mismatched" near.out
'

test_expect_success 'mode: lengths finds a missing list element' '
	test_when_finished refill &&
	redis_cli dst RPOP list:small &&
	test_expect_code 1 verify shorter "mode: lengths" &&
	test_grep "mismatch: '"'"'list:small'"'"': " shorter.out &&
	test_grep ", 1 mismatched" shorter.out
'

test_expect_success 'mode: lengths passes a changed element of the same length, which mode: full finds' '
	test_when_finished refill &&
	redis_cli dst LSET list:small 0 z &&
	verify lengths "mode: lengths" &&
	test_grep "verify: 24 keys checked, 0 mismatched" lengths.out &&
	test_expect_code 1 verify full "mode: full" &&
	test_grep "mismatch: '"'"'list:small'"'"': value differs (list element 0)" full.out
'

test_expect_success 'a difference that stays through every round is reported' '
	test_when_finished refill &&
	redis_cli dst HSET hash:small f1 V1 &&
	start=$(date +%s) &&
	redis_job stays.yaml redis.verify "$(redis_url src)" "$(redis_url dst)" \
		"rounds: 2" "interval: 1s" &&
	test_expect_code 1 run_job stays.yaml &&
	test_grep "mismatch: '"'"'hash:small'"'"': value differs" stays.out &&
	test $(($(date +%s) - start)) -ge 1
'

test_expect_success 'a key that differs at first and is brought in line within interval is not a mismatch' '
	test_when_finished refill &&
	redis_cli dst HSET hash:small f1 V1 &&
	redis_cli dst PEXPIRE str:ttl 60000 &&
	# The writer of a live system: it brings the keys in line once the
	# verify has connected to the target (and has had its first look).
	{
		(
			n=0
			while test "$(redis_cli dst CLIENT LIST | wc -l)" -lt 2; do
				n=$((n + 1))
				test $n -gt 600 && exit 1
				sleep 0.05
			done
			sleep 0.3
			redis_cli dst HSET hash:small f1 v1
			redis_cli dst PEXPIRE str:ttl "$(redis_cli src PTTL str:ttl)"
		) >writer.out 2>&1 &
	} &&
	writer=$! &&
	test_when_finished "kill $writer" &&
	redis_job live.yaml redis.verify "$(redis_url src)" "$(redis_url dst)" \
		"rounds: 3" "interval: 1s" &&
	run_job live.yaml &&
	wait $writer &&
	test_grep "verify: 24 keys checked, 0 mismatched" live.out &&
	test "$(output KEYS_MISMATCHED live.env)" = 0
'

test_done
