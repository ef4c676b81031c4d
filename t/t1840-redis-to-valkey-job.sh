#!/bin/sh
test_description='jobs/redis-to-valkey.yaml runs as its comments say: preflight, backup, copy, verify, switch, and the way back'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-redis.sh"
. "$TEST_DIRECTORY/lib-tls.sh"

# The job, with its params in an env file of mode 0600 as the job's
# comments ask; the switch commands write which server the application
# uses to app.uses.
setup_job() {
	# The health check is retried for over a minute; here a failure is
	# meant, so it is tried again at once.
	sed "s/retry: { attempts: 5, delay: 5s, backoff: 2, max_delay: 1m }/retry: { attempts: 2, delay: 100ms }/" \
		"$RUNJOB_ROOT"/jobs/redis-to-valkey.yaml >job.yaml &&
	grep -q "attempts: 2, delay: 100ms" job.yaml &&
	# The shell functions and the backup template it is built from.
	cp -R "$RUNJOB_ROOT"/jobs/lib lib &&
	cat >my.env <<-ENV &&
	SRC=$(redis_url old)
	DST=$(redis_url new)
	SWITCH=echo new >app.uses
	SWITCH_BACK=echo old >app.uses
	HEALTH=grep -q new app.uses
	ENV
	chmod 600 my.env
}

test_expect_success 'setup: an old server with keys of every type, an empty new one' '
	redis_start old &&
	redis_start new &&
	redis_fill old types &&
	setup_job
'

test_expect_success 'check, plan and --dry-run accept the job and write nothing' '
	runjob check --env-file my.env job.yaml &&
	runjob plan --env-file my.env job.yaml >plan &&
	test_grep "copy .*redis.copy" plan &&
	runjob run --dry-run --env-file my.env job.yaml >dry &&
	test_grep "would copy 24 keys" dry &&
	test "$(redis_dbsize new)" = 0
'

test_expect_success 'the run backs up the source, copies and verifies every key, and switches' '
	runjob run -q --journal "$PWD/j.db" --env-file my.env job.yaml &&
	test "$(cat app.uses)" = new &&
	run=$(sqlite3 j.db "select id from runs") &&
	test -s "backups/$run.rdb" &&
	test "$(sqlite3 j.db "select group_concat(name) from run_files")" = lib/redis-backup.yaml,lib/redis.sh &&
	redis_compare old new >cmp &&
	test_grep "0 differences" cmp &&
	test "$(sqlite3 j.db "select value from outputs where step_id = '"'"'verify'"'"' and name = '"'"'KEYS_MISMATCHED'"'"'")" = 0
'

test_expect_success 'runjob rollback copies what the application wrote on the new server back, then switches back' '
	redis_cli new SET written:after:switch yes >/dev/null &&
	redis_cli new HSET hash:small extra field >/dev/null &&
	runjob rollback -q --journal "$PWD/j.db" --env-file my.env job.yaml &&
	test "$(cat app.uses)" = old &&
	test "$(redis_cli old GET written:after:switch)" = yes &&
	test "$(redis_cli old HGET hash:small extra)" = field &&
	test "$(sqlite3 j.db "select state from runs")" = rolled-back
'

test_expect_success 'a failed health check after the switch undoes it: what was written on the new server comes back, and the application too' '
	redis_cli old FLUSHALL >/dev/null &&
	redis_cli new FLUSHALL >/dev/null &&
	redis_fill old types &&
	# The application writes to the new server, then is found unwell.
	sed -i "s/^HEALTH=.*/HEALTH=redis-cli -p $(redis_port new) SET written:before:failing 1 >\/dev\/null; false/" my.env &&
	test_expect_code 1 runjob run -q --journal "$PWD/j2.db" --env-file my.env job.yaml &&
	test "$(cat app.uses)" = old &&
	test "$(redis_cli old GET written:before:failing)" = 1 &&
	test "$(sqlite3 j2.db "select state from steps where step_id = '"'"'health'"'"'")" = failed &&
	test "$(sqlite3 j2.db "select state from steps where step_id = '"'"'on-target'"'"'")" = rolled-back &&
	test "$(sqlite3 j2.db "select state from steps where step_id = '"'"'switch'"'"'")" = rolled-back
'

test_expect_success 'over TLS with client certificates: preflight, backup, copy, verify and the way back all use TLS' '
	tls_ca ca &&
	tls_cert ca srv "IP:127.0.0.1" &&
	tls_cert ca client "DNS:runjob" &&
	# TLS only for clients: the plain port is for the test itself.
	redis_start_tls tlsold srv --tls-auth-clients yes &&
	redis_start_tls tlsnew srv --tls-auth-clients yes &&
	redis_fill tlsold types &&
	cat >tls.env <<-ENV &&
	SRC=$(tls_url tlsold)
	DST=$(tls_url tlsnew)
	TLS_CA=$PWD/ca.crt
	TLS_CERT=$PWD/client.crt
	TLS_KEY=$PWD/client.key
	SWITCH=echo new >app.uses
	SWITCH_BACK=echo old >app.uses
	HEALTH=true
	ENV
	chmod 600 tls.env &&
	runjob check --env-file tls.env job.yaml &&
	runjob run --journal "$PWD/tls.db" --env-file tls.env job.yaml >tls.out 2>&1 &&
	test_grep "preflight | source 127.0.0.1:[0-9]*/0: redis" tls.out &&
	test_grep "backup.check | backup: " tls.out &&
	test "$(cat app.uses)" = new &&
	redis_compare tlsold tlsnew >cmp &&
	test_grep "0 differences" cmp &&
	redis_cli tlsnew SET written:over:tls yes >/dev/null &&
	runjob rollback -q --journal "$PWD/tls.db" --env-file tls.env job.yaml &&
	test "$(redis_cli tlsold GET written:over:tls)" = yes &&
	test "$(cat app.uses)" = old
'

test_expect_success 'the preflight refuses a URL that is neither redis:// nor rediss://' '
	sed "s|^SRC=.*|SRC=http://127.0.0.1:1/0|" tls.env >bad.env &&
	chmod 600 bad.env &&
	test_expect_code 1 runjob run --journal "$PWD/bad.db" --env-file bad.env job.yaml >bad.out 2>&1 &&
	test_grep "the source is not a redis:// or rediss:// (TLS) URL" bad.out
'

test_done
