#!/bin/sh
test_description='the password and user info of a URL-shaped secret, cut out of it by a shell step, stay masked in logs, outputs, status, show, report and the journal; the steps after get the values'
. "$(dirname "$0")/test-lib.sh"

# The password holds '@', ':', '/' and '%', percent-encoded in the URL.
URL='redis://mig-user:Zq%40rk%3Ast%2F9%25Wv@127.0.0.1:6379/0'
RAW='Zq%40rk%3Ast%2F9%25Wv'
DEC='Zq@rk:st/9%Wv'
export URL

# no_part FILE...: no piece of the secret is in FILE: the URL, its
# password as written and decoded, the halves of both, user:password in
# base64.
no_part() {
	for f
	do
		if grep -a -F -e "$URL" -e "$RAW" -e "$DEC" -e Zq@rk -e st/9%Wv \
		    -e Zq%40rk -e 2F9%25Wv -e bWlnLXVzZXI6 "$f" >/dev/null
		then
			echo "a part of the secret is in $f:" >&2
			grep -a -n -F -e "$URL" -e "$RAW" -e "$DEC" -e Zq@rk \
				-e st/9%Wv -e Zq%40rk -e 2F9%25Wv -e bWlnLXVzZXI6 "$f" >&2
			return 1
		fi
	done
}

test_expect_success 'set -x, split writes and outputs of the parts: all masked, and the step after gets them whole' '
	cat >parts.yaml <<-\EOF &&
	runjob: 1
	name: parts
	params:
	  URL: { secret: true, env: RUNJOB_TEST_URL }
	steps:
	  - id: a
	    run: |
	      set -x
	      userinfo=${URL#*://}
	      userinfo=${userinfo%@*}
	      pass=${userinfo#*:}
	      dec=$(python3 -c "import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))" "$pass")
	      : redis-cli -a "$dec" --user "${userinfo%%:*}"
	      set +x
	      echo "user: ${userinfo%%:*}"
	      echo "Authorization: Basic $(printf %s "${userinfo%%:*}:$dec" | base64)"
	      half=$(printf %s "$dec" | cut -c1-5)
	      printf "password: %s" "$half"
	      sleep 0.3
	      printf "%s.\n" "${dec#"$half"}"
	      half=$(printf %s "$pass" | cut -c1-7)
	      printf "encoded: %s" "$half"
	      sleep 0.3
	      printf "%s.\n" "${pass#"$half"}"
	      echo "PASS=$dec" >>"$RUNJOB_OUTPUT"
	      echo "RAW=$pass" >>"$RUNJOB_OUTPUT"
	      echo "AUTH=$userinfo" >>"$RUNJOB_OUTPUT"
	      echo "DSN=host=127.0.0.1 password=$dec" >>"$RUNJOB_OUTPUT"
	      echo "HOST=127.0.0.1" >>"$RUNJOB_OUTPUT"
	    outputs: [PASS, RAW, AUTH, DSN, HOST]
	  - id: b
	    needs: [a]
	    run: |
	      printf "%s\n" "$PASS" "$RAW" "$AUTH" "$DSN" "$HOST" >got
	      echo "got $PASS and $DSN"
	EOF
	RUNJOB_TEST_URL=$URL runjob --journal "$PWD/j.db" parts.yaml >out 2>&1 &&
	printf "%s\n" "$DEC" "$RAW" "mig-user:$RAW" "host=127.0.0.1 password=$DEC" \
		127.0.0.1 >want &&
	test_cmp want got &&
	no_part out &&
	find logs -type f >logfiles &&
	no_part $(cat logfiles) &&
	cat logs/*/a.1.log logs/*/b.1.log >all-logs &&
	test_grep "^+ : redis-cli -a \*\*\* --user mig-user$" all-logs &&
	test_grep "^user: mig-user$" all-logs &&
	test_grep "^Authorization: Basic \*\*\*$" all-logs &&
	test_grep "^password: \*\*\*\.$" all-logs &&
	test_grep "^encoded: \*\*\*\.$" all-logs &&
	test_grep "^got \*\*\* and host=127.0.0.1 password=\*\*\*$" all-logs
'

test_expect_success 'the outputs are recorded masked, and sealed for a resume; one with no secret is neither' '
	q j.db "select name, value, sealed is not null from outputs order by name" >recorded &&
	cat >want <<-\EOF &&
	AUTH|***|1
	DSN|host=127.0.0.1 password=***|1
	HOST|127.0.0.1|0
	PASS|***|1
	RAW|***|1
	EOF
	test_cmp want recorded
'

test_expect_success 'status, show, report and every text in the journal hold no part of the secret' '
	runjob status --journal "$PWD/j.db" >status &&
	test_grep "PASS.*\*\*\*" status &&
	test_grep "127.0.0.1" status &&
	runjob show --journal "$PWD/j.db" parts >show &&
	runjob show --json --journal "$PWD/j.db" parts >show.json &&
	runjob show --csv --journal "$PWD/j.db" parts >show.csv &&
	runjob report --journal "$PWD/j.db" parts >report &&
	runjob report --html -o report.html --journal "$PWD/j.db" parts &&
	test_grep "password=\*\*\*" show &&
	no_part status show show.json show.csv report report.html &&
	sqlite3 j.db .dump >dump &&
	test_grep "INSERT INTO attempts" dump &&
	no_part dump j.db*
'

test_expect_success 'a quote in the password, as bash set -x quotes it, is masked' '
	cat >quote.yaml <<-\EOF &&
	runjob: 1
	name: quote
	params:
	  URL: { secret: true, env: RUNJOB_TEST_URL }
	steps:
	  - id: a
	    shell: bash -e
	    run: |
	      pass=${URL#*://*:}
	      pass=${pass%@*}
	      set -x
	      q=$(printf "\047")
	      dec=${pass//%27/$q}
	      : "$dec"
	EOF
	RUNJOB_TEST_URL="redis://u:Kq7%27Wx'"'"'Vz4@h:1" \
		runjob --journal "$PWD/j.db" quote.yaml >out 2>&1 &&
	log=$(q j.db "select log from attempts where run_id = (select id from runs where job = \"quote\")") &&
	test_grep "^+ : '"'"'\*\*\*'"'"'$" "$log" &&
	! grep -e Kq7 -e Wx -e Vz4 "$log" out j.db*
'

test_expect_success 'a plain secret printed percent-encoded or as a JSON string is masked' '
	cat >forms.yaml <<-\EOF &&
	runjob: 1
	name: forms
	params:
	  PW: { secret: true, env: RUNJOB_TEST_PW }
	steps:
	  - id: a
	    run: |
	      python3 -c "import sys, urllib.parse; print(\"url:\", urllib.parse.quote(sys.argv[1], safe=\"\"))" "$PW"
	      python3 -c "import sys, json; print(\"json:\", json.dumps({\"pw\": sys.argv[1]}))" "$PW"
	EOF
	RUNJOB_TEST_PW="Jx9 \"q\\w/7@k" runjob --journal "$PWD/j.db" forms.yaml >out 2>&1 &&
	log=$(q j.db "select log from attempts where run_id = (select id from runs where job = \"forms\")") &&
	test_grep "^url: \*\*\*$" "$log" &&
	test_grep "^json: {\"pw\": \"\*\*\*\"}$" "$log" &&
	! grep -e Jx9 -e 7@k -e 7%40k "$log" out j.db*
'

test_done
