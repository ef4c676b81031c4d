/*
 * row.h - the values of a row as sqlite.sync handles them: hashed by
 * type and bytes, keys compared in the order SQLite sorts them (BINARY
 * collation), and written into a checkpoint and read back exactly.
 */
#ifndef RUNJOB_SQLITE_ROW_H
#define RUNJOB_SQLITE_ROW_H

#include <sqlite3.h>
#include <stdint.h>

struct buf;

/* The hash of columns 0..n-1 of st's current row: types and bytes, so
 * that 1 and 1.0 and '1' all differ. */
uint64_t row_hash(sqlite3_stmt *st, int n);
/* The same hash of the values v[0..n-1]. */
uint64_t row_hash_values(sqlite3_value **v, int n);
/* Fold a row's hash into a table's, in key order. */
uint64_t row_fold(uint64_t table, uint64_t row);

/* Compare the key columns at ka in a's row and kb in b's row (n of
 * them, at the same places): <0, 0, >0, as ORDER BY sorts them. */
int key_cmp(sqlite3_stmt *a, const int *ka, sqlite3_stmt *b, const int *kb,
	int n);
/* Compare column ca of st's row with v. */
int value_cmp_col(sqlite3_stmt *st, int ca, sqlite3_value *v);

/* A value as text that value_decode reads back exactly: "n", "i42",
 * "r0x1.8p+1", "t" and the text, "b" and hex. */
void value_encode(struct buf *out, sqlite3_value *v);
/* Bind the value encoded in text to st's parameter i. Returns 0, or -1
 * when text is not such a value. */
int value_bind(sqlite3_stmt *st, int i, const char *text);
/* The key of st's current row (columns k[0..n-1]), for a message:
 * (1, 'a'). */
void key_text(struct buf *out, sqlite3_stmt *st, const int *k, int n);

#endif
