#!/bin/sh
test_description='the JSON Schema of the job file agrees with runjob check

Every example and every job in jobs/ must satisfy both the schema in
schema/ and runjob check (given the values of NAME.example.env, if any). Each t/data/schema/invalid-*.yaml holds one
mistake and must be refused by both, each for the reason named in its
"# loader:" and "# schema:" lines. Each t/data/schema/valid-*.yaml must
satisfy the schema, and runjob check may refuse in it only what it does
not support yet.'
. "$(dirname "$0")/test-lib.sh"

# Debian's python, not one on PATH: the modules are Debian packages.
PYTHON=/usr/bin/python3
SCHEMA="$RUNJOB_ROOT/schema/job.schema.json"
DATA="$TEST_DIRECTORY/data/schema"

"$PYTHON" -c 'import jsonschema, yaml' 2>/dev/null ||
	test_skip_all "$PYTHON lacks jsonschema or yaml (apt-get install python3-jsonschema python3-yaml)"

validate() {
	"$PYTHON" "$TEST_DIRECTORY/schema-validate.py" "$@"
}

# expect FILE WHAT: the text after "# WHAT: " in FILE.
expect() {
	sed -n "s/^# $2: //p" "$1"
}

test_expect_success 'the schema is a valid draft 2020-12 JSON Schema' '
	validate --check-schema "$SCHEMA"
'

test_expect_success 'the schema takes exactly the keys and words of the loader tables' '
	loader_keys >keys &&
	validate --keys "$SCHEMA" keys
'

test_expect_success 'the validator refuses to run without files' '
	test_expect_code 2 validate "$SCHEMA"
'

# A job whose required params have no default comes with example values
# in NAME.example.env beside it.
for f in "$RUNJOB_ROOT"/examples/*.yaml "$RUNJOB_ROOT"/jobs/*.yaml; do
	[ -e "$f" ] || continue
	rel=${f#"$RUNJOB_ROOT"/}
	env="${f%.yaml}.example.env"
	test_expect_success "$rel satisfies the schema and runjob check" '
		validate "$SCHEMA" "$f" &&
		if [ -e "$env" ]; then
			runjob check --env-file "$env" "$f"
		else
			runjob check "$f"
		fi
	'
done

test_expect_success 'there are invalid files for every kind of mistake' '
	ls "$DATA"/invalid-*.yaml >list &&
	test $(wc -l <list) -ge 12
'

for f in "$DATA"/invalid-*.yaml; do
	name=$(basename "$f" .yaml)
	test_expect_success "$name is refused by the schema and by runjob check" '
		loader=$(expect "$f" loader) &&
		schema=$(expect "$f" schema) &&
		test -n "$loader" && test -n "$schema" &&
		test_expect_code 1 validate "$SCHEMA" "$f" >schema.out &&
		cat schema.out &&
		grep -F -e "$schema" schema.out &&
		test_expect_code 3 runjob check "$f" 2>check.err &&
		cat check.err &&
		grep -F -e "$loader" check.err
	'
done

for f in "$DATA"/valid-*.yaml; do
	name=$(basename "$f" .yaml)
	test_expect_success "$name satisfies the schema and runjob check refuses nothing else" '
		validate "$SCHEMA" "$f" &&
		{ runjob check "$f" 2>check.err; code=$?; } &&
		cat check.err &&
		case $code in
		0) ;;
		3) grep ": error: " check.err >errors &&
		   ! grep -v "is not supported yet by this runjob" errors ;;
		*) false ;;
		esac
	'
done

test_done
