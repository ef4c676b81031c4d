# lib-sqlite.sh - helpers for the tests of the sqlite built-ins. Source it
# after test-lib.sh.

# sq_run NAME.yaml [runjob run options...]: runjob run with a journal of
# its own (NAME.db), the output in NAME.out and shown; its exit status.
sq_run() {
	local s_job=$1 s_code
	shift
	runjob run --journal "$PWD/${s_job%.yaml}.db" "$@" "$s_job" >"${s_job%.yaml}.out" 2>&1
	s_code=$?
	cat "${s_job%.yaml}.out"
	return $s_code
}

# sq_out NAME FILE.env: the value of output NAME a step 'after' wrote.
sq_out() {
	sed -n "s/^$1=//p" "$2"
}

# sq_rows DB TABLE KEY: every row of TABLE, each column as its type and
# SQL literal, in KEY order: what two databases must agree on exactly.
sq_rows() {
	local s_cols
	s_cols=$(sqlite3 -batch -init /dev/null "$1" \
		"SELECT group_concat('typeof(\"' || name || '\") || '':'' || quote(\"' || name || '\")', ' || ''|'' || ') FROM pragma_table_info('$2')") &&
	sqlite3 -batch -init /dev/null "$1" "SELECT $s_cols FROM \"$2\" ORDER BY $3"
}

# sq_lock DB: hold DB's write lock (BEGIN IMMEDIATE) in the background
# until sq_unlock lets it go.
sq_lock() {
	rm -f locked unlock &&
	mkfifo unlock &&
	{ { printf '.timeout 20000\nBEGIN IMMEDIATE;\n.shell touch locked\n'; read s_ <unlock; } |
		sqlite3 -batch -init /dev/null "$1" >/dev/null 2>&1 & } &&
	sq_lock_pid=$! &&
	wait_for locked
}

sq_unlock() {
	echo >unlock &&
	wait "$sq_lock_pid"
}
