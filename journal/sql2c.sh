#!/bin/sh
# sql2c.sh FILE.sql... - the SQL files as C strings, for journal.c: each
# FILE.sql becomes journal_FILE_sql (with '-' read as '_').
echo '/* Generated from the journal'"'"'s .sql files by make; do not edit. */'
for f in "$@"; do
	name=journal_$(basename "$f" .sql | tr -- '-.' '__')_sql
	echo "extern const char $name[];"
	echo "const char $name[] ="
	sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$/\\n"/' "$f"
	echo ';'
done
