# lib-redis.sh - real redis-server processes for the redis tests.
#
# Source it after test-lib.sh. Then
#   redis_start NAME [--conf FILE] [redis-server args...]
# starts a server on a free loopback port (its data, log and pidfile in
# the scratch directory, redis-NAME/), waits until it answers PING and
# sets ${NAME}_PORT and ${NAME}_URL (redis://127.0.0.1:PORT/0) for the
# rest of that test. Tests run in subshells, so later tests ask with
#   redis_port NAME    redis_url NAME [DB]    redis_pid NAME
#   redis_cli NAME ARGS...          redis-cli on that server (with its
#                                   --requirepass password, if any)
#   redis_stop NAME                 SIGCONT then SIGTERM; waits for it to go
#   redis_kill NAME                 SIGKILL; waits for it to go
#   redis_restart NAME              stop and start again, same port, same args
#   redis_compare SRC DST [opts]    t/redis-compare.py on two servers' db 0
#   redis_fill NAME [opts]          t/redis-fill.py into a server's db 0
#   wait_keys NAME N PID OUT        wait until NAME has more than N keys
#                                   while runjob (PID, output OUT) runs
#   kill_tree PID                   SIGKILL PID and all below it at once
#   redis_cluster_start NAME PRIMARIES REPLICAS [args...]
#                                   a Redis Cluster of servers NAME1..NAMEn
#                                   (redis_cluster_url NAME, its first node)
# Every server started is killed when the test file ends, passed, failed
# or interrupted: their pids are kept beside the scratch directory (which
# test_done removes) and an EXIT trap kills them.
#
# The Python scripts need the redis module of the system's python
# (python3-redis): always run them with /usr/bin/python3.

PYTHON=/usr/bin/python3
export PYTHON

command -v redis-server >/dev/null 2>&1 ||
	test_skip_all 'no redis-server (make check installs redis-server)'
command -v redis-cli >/dev/null 2>&1 ||
	test_skip_all 'no redis-cli (make check installs redis-tools)'
"$PYTHON" -c 'import redis' 2>/dev/null ||
	test_skip_all 'no redis module for /usr/bin/python3 (make check installs python3-redis)'

# The registry of this file's servers: NAME.pid, NAME.port, NAME.args,
# NAME.pass. Outside the scratch directory, so that the EXIT trap still
# finds it after test_done has removed that.
REDIS_REGISTRY="$TEST_DIRECTORY/trash/.redis-$TEST_NAME"
export REDIS_REGISTRY

# redis_is_server PID: PID is a live (not zombie) redis-server.
redis_is_server() {
	test -n "$1" && kill -0 "$1" 2>/dev/null || return 1
	grep -q "^State:[[:space:]]*Z" "/proc/$1/status" 2>/dev/null && return 1
	tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q redis-server
}

# redis_gone PID [TENTHS]: wait until PID is no longer a live process
# (at most TENTHS tenths of a second, default 100).
redis_gone() {
	local r_n=0
	while kill -0 "$1" 2>/dev/null &&
		! grep -q "^State:[[:space:]]*Z" "/proc/$1/status" 2>/dev/null; do
		r_n=$((r_n + 1))
		[ $r_n -gt "${2:-100}" ] && return 1
		sleep 0.1
	done
	return 0
}

redis_kill_all_() {
	local r_f r_p
	for r_f in "$REDIS_REGISTRY"/*.pid; do
		[ -f "$r_f" ] || continue
		r_p=$(cat "$r_f")
		if redis_is_server "$r_p"; then
			kill -CONT "$r_p" 2>/dev/null
			kill -KILL "$r_p" 2>/dev/null
		fi
	done
	rm -rf "$REDIS_REGISTRY"
}

# Left over from a run of this file that was itself killed.
redis_kill_all_
mkdir -p "$REDIS_REGISTRY" || exit 1
trap 'redis_kill_all_' EXIT
trap 'redis_kill_all_; exit 130' INT
trap 'redis_kill_all_; exit 143' TERM
trap 'redis_kill_all_; exit 129' HUP

# redis_free_port: a TCP port on 127.0.0.1 that nothing listens on now,
# below the kernel's range for outgoing connections.
# With REDIS_BUS_PORT=1, PORT+10000 too (a cluster node's bus).
redis_free_port() {
	"$PYTHON" - "${REDIS_BUS_PORT:-0}" <<-\EOF
	import random, socket, sys
	bus = sys.argv[1] == "1"
	def free(port):
	    s = socket.socket()
	    try:
	        s.bind(("127.0.0.1", port))
	        return True
	    except OSError:
	        return False
	    finally:
	        s.close()
	for _ in range(200):
	    port = random.randrange(20000, 30000 if bus else 32000)
	    if free(port) and (not bus or free(port + 10000)):
	        print(port)
	        break
	else:
	    raise SystemExit("no free port")
	EOF
}

# redis_quote ARG: ARG quoted for eval.
redis_quote() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

redis_port() { cat "$REDIS_REGISTRY/$1.port"; }
redis_pid() { cat "$REDIS_REGISTRY/$1.pid"; }
redis_dir() { printf '%s\n' "$TRASH_DIRECTORY/redis-$1"; }
redis_url() { printf 'redis://127.0.0.1:%s/%s\n' "$(redis_port "$1")" "${2:-0}"; }

redis_cli() {
	local r_name=$1
	shift
	if [ -s "$REDIS_REGISTRY/$r_name.pass" ]; then
		REDISCLI_AUTH=$(cat "$REDIS_REGISTRY/$r_name.pass") \
			redis-cli -h 127.0.0.1 -p "$(redis_port "$r_name")" "$@"
	else
		redis-cli -h 127.0.0.1 -p "$(redis_port "$r_name")" "$@"
	fi
}

# redis_start_on_ NAME PORT: start NAME's server on PORT with the args
# kept in the registry; 0 once it is up, 1 when it did not come up.
redis_start_on_() {
	local r_name=$1 r_port=$2 r_dir r_pid r_got r_n=0
	r_dir=$(redis_dir "$r_name")
	mkdir -p "$r_dir" || return 1
	rm -f "$r_dir/redis.pid"
	: >"$r_dir/redis.log"
	eval "set -- $(cat "$REDIS_REGISTRY/$r_name.args")"
	# A config file must be redis-server's first argument.
	if [ "$1" = --conf ]; then
		shift
	else
		set -- /dev/null "$@"
	fi
	redis-server "$@" --port "$r_port" --bind 127.0.0.1 \
		--dir "$r_dir" --daemonize yes \
		--pidfile "$r_dir/redis.pid" --logfile "$r_dir/redis.log" \
		</dev/null >>"$r_dir/start.out" 2>&1 || return 1
	echo "$r_port" >"$REDIS_REGISTRY/$r_name.port"
	while :; do
		r_pid=$(cat "$r_dir/redis.pid" 2>/dev/null)
		if [ -n "$r_pid" ]; then
			echo "$r_pid" >"$REDIS_REGISTRY/$r_name.pid"
			# Ours, not another file's server that took the port: it
			# answers with our directory. And done loading its data.
			if redis_is_server "$r_pid" &&
				r_got=$(redis_cli "$r_name" CONFIG GET dir 2>/dev/null | sed -n 2p) &&
				test "$r_got" = "$r_dir" &&
				test "$(redis_cli "$r_name" PING 2>/dev/null)" = PONG; then
				return 0
			fi
		fi
		r_n=$((r_n + 1))
		# It logged that it could not listen: try another port.
		if grep -q "Could not create server TCP listening socket" "$r_dir/redis.log" 2>/dev/null; then
			[ -n "$r_pid" ] && kill -KILL "$r_pid" 2>/dev/null
			return 1
		fi
		if [ $r_n -gt 150 ]; then
			echo "redis $r_name did not come up on port $r_port:" >&2
			tail -n 5 "$r_dir/redis.log" >&2
			[ -n "$r_pid" ] && kill -KILL "$r_pid" 2>/dev/null
			return 1
		fi
		sleep 0.1
	done
}

# The defaults, which the args given to redis_start may override.
REDIS_DEFAULT_ARGS="--save '' --appendonly no --enable-debug-command local"

redis_start() {
	local r_name=$1 r_a r_prev= r_pass= r_tries=0 r_port
	shift
	if [ "$1" = --conf ]; then
		printf -- '--conf %s ' "$(redis_quote "$2")" >"$REDIS_REGISTRY/$r_name.args"
		shift 2
	else
		: >"$REDIS_REGISTRY/$r_name.args"
	fi
	printf '%s ' "$REDIS_DEFAULT_ARGS" >>"$REDIS_REGISTRY/$r_name.args"
	for r_a in "$@"; do
		printf '%s ' "$(redis_quote "$r_a")" >>"$REDIS_REGISTRY/$r_name.args"
		[ "$r_prev" = --requirepass ] && r_pass=$r_a
		r_prev=$r_a
	done
	printf '%s' "$r_pass" >"$REDIS_REGISTRY/$r_name.pass"
	while :; do
		r_port=$(redis_free_port) || return 1
		redis_start_on_ "$r_name" "$r_port" && break
		r_tries=$((r_tries + 1))
		if [ $r_tries -ge 5 ]; then
			echo "redis $r_name: could not start" >&2
			return 1
		fi
	done
	eval "${r_name}_PORT=\$r_port; ${r_name}_URL=redis://127.0.0.1:\$r_port/0"
}

redis_stop() {
	local r_pid
	r_pid=$(redis_pid "$1")
	redis_is_server "$r_pid" || return 0
	kill -CONT "$r_pid" 2>/dev/null
	kill -TERM "$r_pid" 2>/dev/null
	redis_gone "$r_pid" 100 && return 0
	kill -KILL "$r_pid" 2>/dev/null
	redis_gone "$r_pid" 50
}

redis_kill() {
	local r_pid
	r_pid=$(redis_pid "$1")
	redis_is_server "$r_pid" || return 0
	kill -KILL "$r_pid" 2>/dev/null
	redis_gone "$r_pid" 50
}

redis_restart() {
	redis_stop "$1" &&
	redis_start_on_ "$1" "$(redis_port "$1")"
}

redis_compare() {
	local r_src=$1 r_dst=$2
	shift 2
	"$PYTHON" "$TEST_DIRECTORY/redis-compare.py" "$(redis_url_auth "$r_src")" \
		"$(redis_url_auth "$r_dst")" "$@"
}

# redis_url_auth NAME [DB]: the URL with the --requirepass password in it.
redis_url_auth() {
	if [ -s "$REDIS_REGISTRY/$1.pass" ]; then
		printf 'redis://:%s@127.0.0.1:%s/%s\n' "$(cat "$REDIS_REGISTRY/$1.pass")" \
			"$(redis_port "$1")" "${2:-0}"
	else
		redis_url "$@"
	fi
}

redis_fill() {
	local r_name=$1
	shift
	"$PYTHON" "$TEST_DIRECTORY/redis-fill.py" "$(redis_url_auth "$r_name")" "$@"
}

# redis_dbsize NAME [DB]
redis_dbsize() {
	redis_cli "$1" -n "${2:-0}" DBSIZE
}

# run_job NAME.yaml [runjob run options...]: runjob run with a journal of
# its own (NAME.db) and the output in NAME.out; its exit status.
run_job() {
	local r_job=$1 r_code
	shift
	runjob run --journal "$PWD/${r_job%.yaml}.db" "$@" "$r_job" >"${r_job%.yaml}.out" 2>&1
	r_code=$?
	cat "${r_job%.yaml}.out"
	return $r_code
}

# redis_job FILE ACTION SOURCE TARGET [SETTING...]: FILE, a job with one
# step of ACTION (redis.copy or redis.verify), its id 'copy' or 'verify',
# with the settings given ("match: a*"), and a step 'after' that needs it
# and writes the outputs it gets (KEYS_*, BYTES) to FILE's name with .env.
redis_job() {
	local r_file=$1 r_action=$2 r_src=$3 r_dst=$4 r_id r_s
	shift 4
	r_id=${r_action#redis.}
	{
		echo "runjob: 1"
		echo "name: $(basename "${r_file%.yaml}")"
		echo "steps:"
		echo "  - id: $r_id"
		echo "    $r_action:"
		echo "      source: \"$r_src\""
		echo "      target: \"$r_dst\""
		for r_s in "$@"; do
			echo "      $r_s"
		done
		echo "  - id: after"
		echo "    needs: [$r_id]"
		echo "    run: env | grep -E '^(KEYS_[A-Z]+|BYTES)=' | sort >$(basename "${r_file%.yaml}").env"
	} >"$r_file"
}

# output NAME FILE.env: the value of the output NAME that the step 'after'
# of a redis_job saw.
output() {
	sed -n "s/^$1=//p" "$2"
}

# redis_cluster_start NAME PRIMARIES REPLICAS [redis-server args...]: a
# Redis Cluster on loopback, PRIMARIES primaries with REPLICAS replicas
# each, its servers NAME1, NAME2, ... (made with redis-cli --cluster
# create); returns once every node says cluster_state:ok, knows every
# other and every replica is in sync, or fails after 60 s.
redis_cluster_start() {
	local r_name=$1 r_prim=$2 r_rep=$3 r_n r_i=1 r_addrs=
	shift 3
	r_n=$((r_prim * (r_rep + 1)))
	while [ $r_i -le $r_n ]; do
		REDIS_BUS_PORT=1 redis_start "$r_name$r_i" --cluster-enabled yes \
			--cluster-config-file nodes.conf --cluster-node-timeout 2000 \
			"$@" || return 1
		r_addrs="$r_addrs 127.0.0.1:$(redis_port "$r_name$r_i")"
		r_i=$((r_i + 1))
	done
	echo "$r_n" >"$REDIS_REGISTRY/$r_name.cluster"
	# redis-cli makes 3 primaries at least: fewer are made by hand, the
	# slots shared out evenly.
	if [ "$r_prim" -lt 3 ] && [ "$r_rep" = 0 ]; then
		r_i=1
		while [ $r_i -le "$r_prim" ]; do
			redis_cli "$r_name$r_i" CLUSTER ADDSLOTSRANGE \
				$(((r_i - 1) * 16384 / r_prim)) $((r_i * 16384 / r_prim - 1)) >/dev/null &&
			redis_cli "$r_name$r_i" CLUSTER MEET 127.0.0.1 "$(redis_port "${r_name}1")" >/dev/null ||
				return 1
			r_i=$((r_i + 1))
		done
		redis_cluster_wait "$r_name"
		return
	fi
	# shellcheck disable=SC2086
	timeout 60 redis-cli --cluster create $r_addrs --cluster-replicas "$r_rep" \
		--cluster-yes >"$TRASH_DIRECTORY/cluster-$r_name.out" 2>&1 || {
		cat "$TRASH_DIRECTORY/cluster-$r_name.out" >&2
		return 1
	}
	redis_cluster_wait "$r_name"
}

# redis_cluster_nodes NAME: the names of its servers that are up.
redis_cluster_nodes() {
	local r_i=1 r_n
	r_n=$(cat "$REDIS_REGISTRY/$1.cluster")
	while [ $r_i -le "$r_n" ]; do
		redis_is_server "$(redis_pid "$1$r_i")" && echo "$1$r_i"
		r_i=$((r_i + 1))
	done
}

# redis_cluster_wait NAME: wait (60 s at most) until each node of NAME
# that is up says cluster_state:ok, knows as many nodes as the others,
# has every slot, and each replica's link to its primary is up.
redis_cluster_wait() {
	local r_t=0 r_node r_ok r_info r_known
	while [ $r_t -lt 600 ]; do
		r_ok=1
		r_known=
		for r_node in $(redis_cluster_nodes "$1"); do
			r_info=$(redis_cli "$r_node" CLUSTER INFO 2>/dev/null | tr -d '\r')
			echo "$r_info" | grep -q '^cluster_state:ok$' &&
				echo "$r_info" | grep -q '^cluster_slots_assigned:16384$' || r_ok=0
			[ -z "$r_known" ] && r_known=$(echo "$r_info" | sed -n 's/^cluster_known_nodes://p')
			[ "$(echo "$r_info" | sed -n 's/^cluster_known_nodes://p')" = "$r_known" ] || r_ok=0
			if redis_cli "$r_node" INFO replication 2>/dev/null | grep -q '^role:slave'; then
				redis_cli "$r_node" INFO replication | tr -d '\r' |
					grep -q '^master_link_status:up$' || r_ok=0
			fi
		done
		[ $r_ok = 1 ] && return 0
		r_t=$((r_t + 1))
		sleep 0.1
	done
	echo "cluster $1 did not settle within 60 s" >&2
	for r_node in $(redis_cluster_nodes "$1"); do
		redis_cli "$r_node" CLUSTER NODES >&2
	done
	return 1
}

# redis_cluster_url NAME: redis+cluster:// of its first node that is up.
redis_cluster_url() {
	printf 'redis+cluster://127.0.0.1:%s\n' \
		"$(redis_port "$(redis_cluster_nodes "$1" | head -n 1)")"
}

# redis_cluster_primaries NAME: the names of its primaries.
redis_cluster_primaries() {
	local r_node
	for r_node in $(redis_cluster_nodes "$1"); do
		redis_cli "$r_node" INFO replication | tr -d '\r' | grep -q '^role:master$' &&
			echo "$r_node"
	done
}

# redis_cluster_dbsize NAME: the keys of its primaries, added up.
redis_cluster_dbsize() {
	local r_node r_sum=0
	for r_node in $(redis_cluster_primaries "$1"); do
		r_sum=$((r_sum + $(redis_cli "$r_node" DBSIZE)))
	done
	echo "$r_sum"
}

# wait_keys NAME N PID OUT: wait (at most 60 s) until NAME's server has
# more than N keys, while PID (the runjob copying, its output in OUT) runs.
wait_keys() {
	n=0
	while :; do
		got=$(redis_cli "$1" DBSIZE 2>/dev/null)
		case $got in *[!0-9]*|'') got=0 ;; esac
		test "$got" -gt "$2" && return 0
		if ! kill -0 "$3" 2>/dev/null ||
			grep -q "^State:[[:space:]]*Z" "/proc/$3/status" 2>/dev/null; then
			echo "runjob ended before $1 had more than $2 keys ($got):" >&2
			cat "$4" >&2
			return 1
		fi
		n=$((n + 1))
		if [ $n -gt 1200 ]; then
			echo "$1 has $got keys after 60 s, not more than $2:" >&2
			cat "$4" >&2
			return 1
		fi
		sleep 0.05
	done
}

# descendants PID: the pids of PID's children, their children...
descendants() {
	for c in $(pgrep -P "$1"); do
		echo "$c"
		descendants "$c"
	done
}

# kill_tree PID: SIGKILL PID and every process below it, at once.
kill_tree() {
	pids="$1 $(descendants "$1")"
	kill -KILL $pids 2>/dev/null
	return 0
}
