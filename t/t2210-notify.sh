#!/bin/sh
test_description='notify: hooks run on run events with the facts in their environment, secrets masked in what runjob keeps; a failing or hanging hook changes nothing and is journaled; a gate notifies once, also across a crash; the webhook example posts to a server on loopback'
. "$(dirname "$0")/test-lib.sh"

SECRET=N0tify-s3cret-2210
export SECRET

rj() {
	runjob --journal "$PWD/j.db" "$@"
}

# start JOB: runjob in the background, its pid in $pid.
start() {
	runjob --journal "$PWD/j.db" "$@" >run.out 2>&1 &
	pid=$!
}

# notified: "EVENT HOOK STATE" for each notified event, in order.
notified() {
	q j.db "select json_extract(data, \"\$.event\") || \" \" || json_extract(data, \"\$.hook\") || \" \" || json_extract(data, \"\$.state\") from events where kind = \"notified\" order by seq"
}

test_expect_success 'hooks run on started and succeeded with the facts; a secret param is there, masked in the journal' '
	mkdir facts && cd facts &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: facts
	params:
	  TOKEN: { secret: true, env: SECRET }
	notify:
	  - on: [started, succeeded]
	    run: |
	      echo "$RUNJOB_EVENT|$RUNJOB_RUN_ID|$RUNJOB_JOB|$RUNJOB_OUTCOME|$RUNJOB_SUMMARY" >>hooks.log
	      test "$TOKEN" = "$SECRET" && echo "token $TOKEN"
	  - on: failed
	    run: touch failed.ran
	steps:
	  - { id: a, run: echo a }
	EOF
	rj job.yaml >out 2>&1 &&
	id=$(q j.db "select id from runs") &&
	test_grep "^started|$id|facts|running|job facts: run $id started on " hooks.log &&
	test_grep "^succeeded|$id|facts|succeeded|job facts: run $id succeeded after .* (exit 0)\$" hooks.log &&
	test "$(wc -l <hooks.log)" = 2 &&
	! test -e failed.ran &&
	printf "started 1 succeeded\nsucceeded 1 succeeded\n" >want &&
	notified >got &&
	test_cmp want got &&
	q j.db "select data from events where kind = \"notified\"" >data &&
	test_grep "token \*\*\*" data &&
	! grep -r "$SECRET" j.db* >/dev/null
'

test_expect_success 'a failing hook and a hanging one (own timeout) change nothing and are journaled' '
	mkdir bad && cd bad &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: bad
	notify:
	  - on: [succeeded]
	    run: echo broken; exit 3
	  - on: [succeeded]
	    run: sleep 61.2210
	    timeout: 1s
	steps:
	  - { id: a, run: echo a }
	EOF
	rj job.yaml >out 2>&1 &&
	test "$(q j.db "select state from runs")" = succeeded &&
	printf "succeeded 1 failed\nsucceeded 2 timeout\n" >want &&
	notified >got &&
	test_cmp want got &&
	test "$(q j.db "select json_extract(data, \"\$.exit_code\") || \" \" || json_extract(data, \"\$.output\") from events where kind = \"notified\" and json_extract(data, \"\$.hook\") = \"1\"")" = "3 broken" &&
	! pgrep -f "sleep 61.2210" >/dev/null
'

test_expect_success 'failed and needs-attention hooks run on their outcomes' '
	mkdir outcomes && cd outcomes &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: outcomes
	on_failure: rollback
	notify:
	  - { on: [failed], run: echo "$RUNJOB_OUTCOME" >>failed.log }
	  - { on: [needs-attention], run: echo "$RUNJOB_SUMMARY" >>attention.log }
	steps:
	  - { id: a, run: "true", rollback: exit 1 }
	  - { id: b, needs: [a], run: exit 1 }
	EOF
	test_expect_code 6 rj job.yaml >out 2>&1 &&
	test_grep "needs a person (rollback-failed, exit 6)" attention.log &&
	! test -e failed.log
'

test_expect_success 'a gate notifies once when it begins to wait, and not again when a runjob takes the wait up after a crash' '
	mkdir gate && cd gate &&
	cat >job.yaml <<-\EOF &&
	runjob: 1
	name: gate
	notify:
	  - { on: [gate], run: echo "$RUNJOB_SUMMARY" >>gate.log }
	steps:
	  - id: go-ahead
	    approve: { message: "Go?" }
	EOF
	start job.yaml &&
	wait_for gate.log &&
	id=$(q j.db "select id from runs") &&
	test_grep "job gate: run $id waits for approval of go-ahead (Go?): runjob approve $id go-ahead" gate.log &&
	kill -9 $pid && { wait $pid; test $? = 137; } &&
	runjob approve --journal "$PWD/j.db" "$id" go-ahead &&
	rj job.yaml >out 2>&1 &&
	test "$(wc -l <gate.log)" = 1 &&
	test "$(q j.db "select count(*) from events where kind = \"notified\"")" = 1
'

test_expect_success 'bad hooks are check errors at their place: an unknown event, no run, no on' '
	cat >hooks.yaml <<-\EOF &&
	runjob: 1
	name: hooks
	notify:
	  - { on: [succeded], run: "true" }
	  - { on: [failed] }
	  - { run: "true", timeout: 0s }
	steps:
	  - { id: a, run: "true" }
	EOF
	test_expect_code 3 runjob check hooks.yaml 2>err &&
	test_grep "hooks.yaml:4:12: error: notify.on: unknown event .succeded. (did you mean .succeeded.?)" err &&
	test_grep "hooks.yaml:5:5: error: a notify: hook without .run:." err &&
	test_grep "hooks.yaml:6:29: error: notify.timeout must be longer than 0" err &&
	test_grep "hooks.yaml:6:5: error: a notify: hook without .on:." err
'

# serve PORTFILE LOG: an HTTP server on loopback that appends each POST
# body to LOG; the port it took is written to PORTFILE.
serve() {
	python3 - "$1" "$2" <<-\EOF &
	import http.server, sys
	class H(http.server.BaseHTTPRequestHandler):
	    def do_POST(self):
	        body = self.rfile.read(int(self.headers["Content-Length"]))
	        with open(sys.argv[2], "ab") as f:
	            f.write(body + b"\n")
	        self.send_response(200)
	        self.end_headers()
	    def log_message(self, *a):
	        pass
	s = http.server.HTTPServer(("127.0.0.1", 0), H)
	with open(sys.argv[1] + ".tmp", "w") as f:
	    f.write(str(s.server_address[1]))
	import os
	os.rename(sys.argv[1] + ".tmp", sys.argv[1])
	s.serve_forever()
	EOF
	server=$!
}

test_expect_success 'the webhook example posts each event to a server on loopback' '
	mkdir webhook && cd webhook &&
	serve port posts &&
	test_when_finished "kill $server" &&
	wait_for port &&
	rj -p WEBHOOK="http://127.0.0.1:$(cat port)/hook" \
		"$RUNJOB_ROOT/examples/notify.yaml" >out 2>&1 &&
	id=$(q j.db "select id from runs") &&
	test_grep "^text=job+notify%3A+run+$id+started+on+" posts &&
	test_grep "^text=job+notify%3A+run+$id+succeeded+after+" posts &&
	printf "started 1 succeeded\nsucceeded 1 succeeded\n" >want &&
	notified >got &&
	test_cmp want got
'

test_done
