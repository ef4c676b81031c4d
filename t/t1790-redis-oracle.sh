#!/bin/sh
test_description='the redis test tools: real servers on free ports, the fixtures, and redis-compare.py, the oracle of the redis tests'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-redis.sh"

# refill: a and b filled alike again, their TTLs ending at the same
# millisecond.
refill() {
	at=$(($(date +%s) * 1000 + 3600000)) &&
	redis_cli a FLUSHALL &&
	redis_cli b FLUSHALL &&
	redis_fill a types --expire-at $at &&
	redis_fill b types --expire-at $at
}

test_expect_success 'setup: two servers filled with the same fixture' '
	redis_start a &&
	redis_start b &&
	test "$(redis_cli a PING)" = PONG &&
	test "$(redis_cli b PING)" = PONG &&
	test "$(redis_port a)" != "$(redis_port b)" &&
	refill &&
	test "$(redis_dbsize a)" = 24 &&
	test "$(redis_dbsize a)" = "$(redis_dbsize b)"
'

test_expect_success 'redis-compare.py passes on identical keyspaces' '
	redis_compare a b >out &&
	test_grep "compared $(redis_dbsize a) keys: 0 differences" out
'

test_expect_success 'redis-compare.py reports every kind of difference, by key' '
	test_when_finished refill &&
	redis_cli b DEL str:plain &&
	redis_cli b SET extra 1 &&
	redis_cli b DEL set:str && redis_cli b SET set:str x &&
	redis_cli b SETRANGE str:binary 100 X &&
	redis_cli b HSET hash:big field:77 changed &&
	redis_cli b LSET list:small 1 z &&
	redis_cli b LSET list:big 19999 z &&
	redis_cli b SREM set:big m:5 && redis_cli b SADD set:big other &&
	redis_cli b ZADD zset:edge 0.2 a-tenth &&
	redis_cli b ZADD zset:big 3 member:999 &&
	redis_cli b XDEL stream:events 6-0 &&
	redis_cli b XACK stream:events workers 2-0 &&
	redis_cli b PEXPIRE str:ttl 60000 &&
	redis_cli b PERSIST hash:ttl &&
	redis_cli b EXPIRE str:int 100 &&
	test_expect_code 1 redis_compare a b >out &&
	cat out &&
	test_grep "^'"'"'str:plain'"'"': missing on the target" out &&
	test_grep "^'"'"'extra'"'"': only on the target" out &&
	test_grep "^'"'"'set:str'"'"': type set on the source, string on the target" out &&
	test_grep "^'"'"'str:binary'"'"': string differs (length 1024, 1024; first difference at byte 100)" out &&
	test_grep "^'"'"'hash:big'"'"': hash field '"'"'field:77'"'"'" out &&
	test_grep "^'"'"'list:small'"'"': list element 1 " out &&
	test_grep "^'"'"'list:big'"'"': list element 19999 " out &&
	test_grep "^'"'"'set:big'"'"': set member '"'"'m:5'"'"' missing on the target" out &&
	test_grep "^'"'"'zset:edge'"'"': zset " out &&
	test_grep "^'"'"'zset:big'"'"': zset " out &&
	test_grep "^'"'"'stream:events'"'"': stream entry 6-0 missing on the target" out &&
	test_grep "^'"'"'stream:events'"'"': stream group '"'"'workers'"'"' pending " out &&
	test_grep "^'"'"'str:ttl'"'"': TTL [0-9]* ms on the source, [0-9]* ms on the target" out &&
	test_grep "^'"'"'hash:ttl'"'"': TTL [0-9]* ms on the source, persistent on the target" out &&
	test_grep "^'"'"'str:int'"'"': persistent on the source, TTL" out
'

test_expect_success 'redis-compare.py tells a score of inf from the largest finite one' '
	test_when_finished refill &&
	redis_cli b ZADD zset:edge 1.7976931348623157e308 plus-inf &&
	test_expect_code 1 redis_compare a b >out &&
	test_grep "^'"'"'zset:edge'"'"': zset member '"'"'plus-inf'"'"' score inf, 1.7976931348623157e+308" out
'

test_expect_success 'redis-compare.py quotes a key with binary bytes and a newline' '
	test_when_finished refill &&
	printf "DEL \"bin:\\\\x00\\\\xff\\\\n\\\\r key\\\\x01\"\n" | redis_cli b &&
	test_expect_code 1 redis_compare a b >out &&
	test_grep "^'"'"'bin:\\\\x00\\\\xff\\\\x0a\\\\x0d key\\\\x01'"'"': missing on the target" out
'

test_expect_success 'redis-compare.py --match and --types choose the keys on both sides' '
	test_when_finished refill &&
	redis_cli b DEL hash:small list:small &&
	test_expect_code 1 redis_compare a b --match "hash:*" >out &&
	test_grep "hash:small" out &&
	test_grep -v "list:small" out &&
	redis_compare a b --match "str:*" &&
	test_expect_code 1 redis_compare a b --types list >out &&
	test_grep "list:small" out &&
	redis_compare a b --types string,set,zset,stream
'

test_expect_success 'redis-compare.py --ttl-tolerance and --ignore-ttl' '
	test_when_finished refill &&
	# Five seconds earlier than on the source, to the millisecond,
	# however long ago the fixture was filled.
	at=$(redis_cli a PEXPIRETIME str:ttl) &&
	redis_cli b PEXPIREAT str:ttl $((at - 5000)) &&
	test_expect_code 1 redis_compare a b --ttl-tolerance 1000 >out &&
	test_grep "str:ttl" out &&
	redis_compare a b --ttl-tolerance 10000 &&
	redis_cli b PERSIST str:ttl &&
	redis_compare a b --ignore-ttl &&
	test_expect_code 1 redis_compare a b --ttl-dropped >out &&
	test_grep "TTL [0-9]* ms on the target, which should be persistent" out
'

test_expect_success 'redis-compare.py --digest compares whole servers' '
	redis_start c &&
	redis_start d &&
	redis_fill c many 5000 --mixed &&
	redis_fill d many 5000 --mixed &&
	redis_compare c d --digest &&
	redis_cli d HSET key:7 a changed &&
	test_expect_code 1 redis_compare c d --digest
'

test_expect_success 'a restarted server keeps its port; a stopped one is gone' '
	port=$(redis_port a) &&
	redis_restart a &&
	test "$(redis_port a)" = "$port" &&
	test "$(redis_cli a PING)" = PONG &&
	pid=$(redis_pid a) &&
	redis_stop a &&
	{ ! kill -0 $pid 2>/dev/null || grep -q "^State:[[:space:]]*Z" /proc/$pid/status; }
'

test_done
