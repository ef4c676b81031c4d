#!/bin/sh
test_description='redis.copy and redis.verify over TLS (rediss://): the server certificate checked against tls_ca or the system store and against the name, client certificates, tls_insecure warned about, and clear errors for a wrong CA, an expired certificate, a name mismatch and a plain port'
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-redis.sh"
. "$TEST_DIRECTORY/lib-tls.sh"

command -v openssl >/dev/null 2>&1 ||
	test_skip_all 'no openssl (make check installs openssl)'

test_expect_success 'setup: a CA, another CA, and certificates: good, expired, for another name, a client' '
	tls_ca ca &&
	tls_ca other &&
	tls_cert ca srv "IP:127.0.0.1,DNS:localhost" &&
	tls_cert ca old "IP:127.0.0.1" expired &&
	tls_cert ca named "DNS:redis.internal" &&
	tls_cert ca client "DNS:runjob" &&
	openssl verify -CAfile ca.crt srv.crt &&
	test_must_fail openssl verify -CAfile ca.crt old.crt &&
	# Servers that take clients without a certificate, one that asks
	# for one, one with each bad certificate, and plain ones.
	redis_start_tls src srv --tls-auth-clients no &&
	redis_start_tls tdst srv --tls-auth-clients no &&
	redis_start_tls mtls srv --tls-auth-clients yes &&
	redis_start_tls old old --tls-auth-clients no &&
	redis_start_tls named named --tls-auth-clients no &&
	redis_start dst &&
	redis_fill src types &&
	test "$(redis_dbsize src)" -gt 10
'

test_expect_success 'runjob check takes a rediss:// URL and the tls_* settings' '
	redis_job ok.yaml redis.copy "$(tls_url src)" "$(redis_url dst)" \
		"tls_ca: ca.crt" "tls_cert: client.crt" "tls_key: client.key" \
		"tls_server_name: localhost" &&
	runjob check ok.yaml
'

test_expect_success 'runjob check refuses tls_* settings when neither side is rediss://, naming the setting' '
	redis_job plain.yaml redis.copy "$(redis_url src)" "$(redis_url dst)" \
		"tls_ca: ca.crt" &&
	test_expect_code 3 runjob check plain.yaml >out 2>&1 &&
	cat out &&
	test_grep "plain.yaml:[0-9]*:[0-9]*: .*tls_ca: is for a TLS server.*rediss://" out
'

test_expect_success 'runjob check refuses tls_cert without tls_key, and tls_insecure with tls_ca' '
	redis_job half.yaml redis.copy "$(tls_url src)" "$(redis_url dst)" \
		"tls_cert: client.crt" &&
	test_expect_code 3 runjob check half.yaml >out 2>&1 &&
	test_grep "tls_cert: goes with tls_key" out &&
	redis_job both.yaml redis.copy "$(tls_url src)" "$(redis_url dst)" \
		"tls_ca: ca.crt" "tls_insecure: true" &&
	test_expect_code 3 runjob check both.yaml >out 2>&1 &&
	test_grep "tls_insecure: contradicts tls_ca" out
'

test_expect_success 'a good chain: the copy from a TLS source checks the certificate against tls_ca and copies every key' '
	redis_job good.yaml redis.copy "$(tls_url src)" "$(redis_url dst)" \
		"tls_ca: $PWD/ca.crt" &&
	run_job good.yaml &&
	test_grep "source rediss://127.0.0.1:[0-9]*/0: redis" good.out &&
	test "$(output KEYS_COPIED good.env)" = "$(redis_dbsize src)" &&
	redis_compare src dst
'

test_expect_success 'copy and verify with both sides over TLS; verify finds a changed value through TLS' '
	redis_cli src SET tls:probe original &&
	redis_job both-tls.yaml redis.copy "$(tls_url src)" "$(tls_url tdst)" \
		"tls_ca: $PWD/ca.crt" &&
	run_job both-tls.yaml &&
	redis_compare src tdst &&
	redis_job v.yaml redis.verify "$(tls_url src)" "$(tls_url tdst)" \
		"tls_ca: $PWD/ca.crt" "mode: full" &&
	run_job v.yaml &&
	test "$(output KEYS_MISMATCHED v.env)" = 0 &&
	test "$(output KEYS_CHECKED v.env)" = "$(redis_dbsize src)" &&
	redis_cli tdst SET tls:probe changed &&
	redis_job v2.yaml redis.verify "$(tls_url src)" "$(tls_url tdst)" \
		"tls_ca: $PWD/ca.crt" "mode: full" "rounds: 1" &&
	test_must_fail run_job v2.yaml &&
	test_grep "tls:probe" v2.out
'

test_expect_success 'a password goes over TLS too: right, it copies; wrong, the error says the server refused it' '
	redis_start_tls locked srv --tls-auth-clients no --requirepass "s3cret" &&
	redis_cli locked SET p 1 &&
	port=$(cat "$REDIS_REGISTRY/locked.tlsport") &&
	redis_job pass.yaml redis.copy "rediss://:s3cret@127.0.0.1:$port/0" \
		"$(redis_url dst 2)" "tls_ca: $PWD/ca.crt" &&
	run_job pass.yaml &&
	test "$(redis_cli dst -n 2 GET p)" = 1 &&
	redis_job badpass.yaml redis.copy "rediss://:wrong@127.0.0.1:$port/0" \
		"$(redis_url dst 2)" "tls_ca: $PWD/ca.crt" &&
	test_expect_code 1 run_job badpass.yaml &&
	test_grep "source rediss://:\*\*\*@127.0.0.1:$port/0: the server refused the user or password" badpass.out &&
	test_grep -v wrong badpass.out
'

test_expect_success 'a wrong CA fails before anything is written, saying the certificate is not signed by a trusted CA and naming tls_ca' '
	redis_cli dst FLUSHALL &&
	redis_job wrong.yaml redis.copy "$(tls_url src)" "$(redis_url dst)" \
		"tls_ca: $PWD/other.crt" &&
	test_expect_code 1 run_job wrong.yaml &&
	test_grep "source rediss://127.0.0.1:[0-9]*/0: cannot connect: the server.s certificate is not signed by a CA runjob trusts.*tls_ca" wrong.out &&
	test "$(redis_dbsize dst)" = 0
'

test_expect_success 'without tls_ca the system store is used, which does not know the test CA' '
	redis_job sys.yaml redis.copy "$(tls_url src)" "$(redis_url dst)" &&
	test_expect_code 1 run_job sys.yaml &&
	test_grep "not signed by a CA runjob trusts" sys.out &&
	test "$(redis_dbsize dst)" = 0
'

test_expect_success 'an expired server certificate is refused, and said to be expired' '
	redis_job exp.yaml redis.copy "$(tls_url old)" "$(redis_url dst)" \
		"tls_ca: $PWD/ca.crt" &&
	test_expect_code 1 run_job exp.yaml &&
	test_grep "certificate has expired" exp.out
'

test_expect_success 'a certificate for another name is refused, naming tls_server_name; with it the copy works' '
	redis_cli named SET k v &&
	redis_job name.yaml redis.copy "$(tls_url named)" "$(redis_url dst)" \
		"tls_ca: $PWD/ca.crt" &&
	test_expect_code 1 run_job name.yaml &&
	test_grep "certificate is not for .127.0.0.1.; .*tls_server_name" name.out &&
	redis_job name2.yaml redis.copy "$(tls_url named)" "$(redis_url dst)" \
		"tls_ca: $PWD/ca.crt" "tls_server_name: redis.internal" &&
	run_job name2.yaml &&
	test "$(redis_cli dst GET k)" = v &&
	redis_cli dst FLUSHALL
'

test_expect_success 'a server that asks for a client certificate: without one the error says to give tls_cert and tls_key; with one the copy works' '
	redis_job nocert.yaml redis.copy "$(tls_url mtls)" "$(redis_url dst)" \
		"tls_ca: $PWD/ca.crt" &&
	test_expect_code 1 run_job nocert.yaml &&
	test_grep "source rediss://127.0.0.1:[0-9]*/0: .*give tls_cert and tls_key" nocert.out &&
	redis_cli mtls SET m 1 &&
	redis_job cert.yaml redis.copy "$(tls_url mtls)" "$(redis_url dst)" \
		"tls_ca: $PWD/ca.crt" "tls_cert: $PWD/client.crt" \
		"tls_key: $PWD/client.key" &&
	run_job cert.yaml &&
	test "$(redis_cli dst GET m)" = 1
'

test_expect_success 'a client certificate signed by a CA the server does not know is refused' '
	tls_cert other stranger "DNS:runjob" &&
	redis_job stranger.yaml redis.copy "$(tls_url mtls)" "$(redis_url dst)" \
		"tls_ca: $PWD/ca.crt" "tls_cert: $PWD/stranger.crt" \
		"tls_key: $PWD/stranger.key" &&
	test_expect_code 1 run_job stranger.yaml &&
	test_grep "source rediss://127.0.0.1:[0-9]*/0: .*TLS.*client certificate in tls_cert" stranger.out
'

test_expect_success 'a key that is not the certificate'"'"'s, and a CA file that is missing, are named' '
	redis_job mism.yaml redis.copy "$(tls_url mtls)" "$(redis_url dst)" \
		"tls_ca: $PWD/ca.crt" "tls_cert: $PWD/client.crt" \
		"tls_key: $PWD/srv.key" &&
	test_expect_code 1 run_job mism.yaml &&
	test_grep "tls_key: .*srv.key. is not the key of the certificate" mism.out &&
	redis_job miss.yaml redis.copy "$(tls_url src)" "$(redis_url dst)" \
		"tls_ca: $PWD/nowhere.crt" &&
	test_expect_code 1 run_job miss.yaml &&
	test_grep "tls_ca: cannot read .*nowhere.crt.: No such file" miss.out
'

test_expect_success 'tls_insecure: plan and the run warn, the step log in the journal keeps the warning, and the copy goes through' '
	redis_cli dst FLUSHALL &&
	redis_job insecure.yaml redis.copy "$(tls_url src)" "$(redis_url dst)" \
		"tls_insecure: true" &&
	runjob plan insecure.yaml >plan.out 2>&1 &&
	test_grep "insecure.yaml:[0-9]*:[0-9]*: warning: redis.copy: tls_insecure: .*not checked" plan.out &&
	run_job insecure.yaml &&
	test_grep "copy | redis.copy: warning: tls_insecure" insecure.out &&
	log=$(q insecure.db "select log from attempts where step_id = \"copy\"") &&
	test_grep "warning: tls_insecure: the TLS server.s certificate is not checked" "$log" &&
	redis_compare src dst
'

test_expect_success 'rediss:// to a plain port fails the run and says it may not be a TLS port' '
	redis_job plainport.yaml redis.copy "rediss://127.0.0.1:$(redis_port dst)/0" \
		"$(redis_url dst 1)" "tls_ca: $PWD/ca.crt" "io_timeout: 2s" &&
	test_expect_code 1 run_job plainport.yaml &&
	test_grep "source rediss://127.0.0.1:[0-9]*/0: cannot connect: .*TLS handshake.*is it a TLS port" plainport.out
'

test_expect_success 'redis:// to a TLS port fails and says so' '
	redis_job tlsport.yaml redis.copy "redis://127.0.0.1:$(cat "$REDIS_REGISTRY/src.tlsport")/0" \
		"$(redis_url dst 1)" "io_timeout: 2s" &&
	test_expect_code 1 run_job tlsport.yaml &&
	test_grep "source redis://127.0.0.1:[0-9]*/0: " tlsport.out
'

test_done
