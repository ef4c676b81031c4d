/*
 * row.c - hashing, ordering and writing down the values of rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "row.h"
#include "util.h"

#define K1 0x9e3779b97f4a7c15ULL
#define K2 0xc2b2ae3d27d4eb4fULL
#define ROW_SEED 0x27d4eb2f165667c5ULL

static uint64_t
mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t
feed_word(uint64_t h, uint64_t w)
{
	w *= K2;
	w = (w << 31) | (w >> 33);
	h ^= w * K1;
	return ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
}

static uint64_t
feed(uint64_t h, const unsigned char *p, size_t n)
{
	uint64_t w;

	h = feed_word(h, n);
	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		h = feed_word(h, w);
	}
	if (n) {
		w = 0;
		memcpy(&w, p, n);
		h = feed_word(h, w);
	}
	return h;
}

/* Feed one value into h: its type, then its bytes. */
static uint64_t
feed_value(uint64_t h, sqlite3_value *v)
{
	uint64_t w;
	double d;
	int t = sqlite3_value_type(v);

	h = feed_word(h, (uint64_t)t);
	switch (t) {
	case SQLITE_INTEGER:
		h = feed_word(h, (uint64_t)sqlite3_value_int64(v));
		break;
	case SQLITE_FLOAT:
		d = sqlite3_value_double(v);
		memcpy(&w, &d, 8);
		h = feed_word(h, w);
		break;
	case SQLITE_TEXT:
		h = feed(h, sqlite3_value_text(v), (size_t)sqlite3_value_bytes(v));
		break;
	case SQLITE_BLOB:
		h = feed(h, sqlite3_value_blob(v), (size_t)sqlite3_value_bytes(v));
		break;
	default:
		break;
	}
	return h;
}

uint64_t
row_hash(sqlite3_stmt *st, int n)
{
	uint64_t h = ROW_SEED;
	int i;

	for (i = 0; i < n; i++)
		h = feed_value(h, sqlite3_column_value(st, i));
	return mix(h);
}

uint64_t
row_hash_values(sqlite3_value **v, int n)
{
	uint64_t h = ROW_SEED;
	int i;

	for (i = 0; i < n; i++)
		h = feed_value(h, v[i]);
	return mix(h);
}

uint64_t
row_fold(uint64_t table, uint64_t row)
{
	return mix(table ^ row) + K1;
}

/* SQLite's order of storage classes: NULL, numbers, text, blobs. */
static int
rank(int type)
{
	return type == SQLITE_NULL ? 0 : type == SQLITE_INTEGER ||
		type == SQLITE_FLOAT ? 1 : type == SQLITE_TEXT ? 2 : 3;
}

static int
num_cmp(sqlite3_value *a, sqlite3_value *b)
{
	if (sqlite3_value_type(a) == SQLITE_INTEGER &&
	    sqlite3_value_type(b) == SQLITE_INTEGER) {
		sqlite3_int64 x = sqlite3_value_int64(a),
			y = sqlite3_value_int64(b);

		return x < y ? -1 : x > y;
	} else {
		double x = sqlite3_value_double(a), y = sqlite3_value_double(b);

		return x < y ? -1 : x > y;
	}
}

static int
bytes_cmp(const void *a, int na, const void *b, int nb)
{
	int c = memcmp(a, b, (size_t)(na < nb ? na : nb));

	return c ? c : na < nb ? -1 : na > nb;
}

static int
value_cmp(sqlite3_value *a, sqlite3_value *b)
{
	int ta = sqlite3_value_type(a), tb = sqlite3_value_type(b);

	if (rank(ta) != rank(tb))
		return rank(ta) < rank(tb) ? -1 : 1;
	switch (rank(ta)) {
	case 0:
		return 0;
	case 1:
		return num_cmp(a, b);
	case 2:
		return bytes_cmp(sqlite3_value_text(a), sqlite3_value_bytes(a),
			sqlite3_value_text(b), sqlite3_value_bytes(b));
	default:
		return bytes_cmp(sqlite3_value_blob(a), sqlite3_value_bytes(a),
			sqlite3_value_blob(b), sqlite3_value_bytes(b));
	}
}

int
key_cmp(sqlite3_stmt *a, const int *ka, sqlite3_stmt *b, const int *kb,
	int n)
{
	int i, c;

	for (i = 0; i < n; i++) {
		/* The common case, an integer key, without the value calls. */
		if (sqlite3_column_type(a, ka[i]) == SQLITE_INTEGER &&
		    sqlite3_column_type(b, kb[i]) == SQLITE_INTEGER) {
			sqlite3_int64 x = sqlite3_column_int64(a, ka[i]),
				y = sqlite3_column_int64(b, kb[i]);

			c = x < y ? -1 : x > y;
		} else {
			c = value_cmp(sqlite3_column_value(a, ka[i]),
				sqlite3_column_value(b, kb[i]));
		}
		if (c)
			return c;
	}
	return 0;
}

int
value_cmp_col(sqlite3_stmt *st, int ca, sqlite3_value *v)
{
	return value_cmp(sqlite3_column_value(st, ca), v);
}

static void
add_hex(struct buf *out, sqlite3_value *v)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = sqlite3_value_blob(v);
	int i, n = sqlite3_value_bytes(v);

	for (i = 0; i < n; i++) {
		buf_addc(out, hex[p[i] >> 4]);
		buf_addc(out, hex[p[i] & 15]);
	}
}

void
value_encode(struct buf *out, sqlite3_value *v)
{

	switch (sqlite3_value_type(v)) {
	case SQLITE_INTEGER:
		buf_addf(out, "i%lld", (long long)sqlite3_value_int64(v));
		break;
	case SQLITE_FLOAT:
		buf_addf(out, "r%a", sqlite3_value_double(v));
		break;
	case SQLITE_TEXT:
		buf_addc(out, 't');
		buf_add(out, (const char *)sqlite3_value_text(v),
			(size_t)sqlite3_value_bytes(v));
		break;
	case SQLITE_BLOB:
		buf_addc(out, 'b');
		add_hex(out, v);
		break;
	default:
		buf_addc(out, 'n');
	}
}

static int
unhex(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
		c - 'a' + 10 : -1;
}

int
value_bind(sqlite3_stmt *st, int i, const char *text)
{
	char *end;
	size_t n, k;
	unsigned char *b;

	switch (text[0]) {
	case 'n':
		return sqlite3_bind_null(st, i) == SQLITE_OK ? 0 : -1;
	case 'i':
		return sqlite3_bind_int64(st, i, strtoll(text + 1, &end, 10)) ==
			SQLITE_OK && !*end ? 0 : -1;
	case 'r':
		return sqlite3_bind_double(st, i, strtod(text + 1, &end)) ==
			SQLITE_OK && !*end ? 0 : -1;
	case 't':
		return sqlite3_bind_text(st, i, text + 1, -1, SQLITE_TRANSIENT) ==
			SQLITE_OK ? 0 : -1;
	case 'b':
		n = strlen(text + 1);
		if (n % 2)
			return -1;
		b = xmalloc(n / 2 + 1);
		for (k = 0; k < n / 2; k++) {
			int hi = unhex(text[1 + 2 * k]), lo = unhex(text[2 + 2 * k]);

			if (hi < 0 || lo < 0) {
				free(b);
				return -1;
			}
			b[k] = (unsigned char)(hi << 4 | lo);
		}
		return sqlite3_bind_blob(st, i, b, (int)(n / 2), free) ==
			SQLITE_OK ? 0 : -1;
	default:
		return -1;
	}
}

void
key_text(struct buf *out, sqlite3_stmt *st, const int *k, int n)
{
	int i;

	buf_addc(out, '(');
	for (i = 0; i < n; i++) {
		sqlite3_value *v = sqlite3_column_value(st, k[i]);

		if (i)
			buf_adds(out, ", ");
		switch (sqlite3_value_type(v)) {
		case SQLITE_NULL:
			buf_adds(out, "NULL");
			break;
		case SQLITE_TEXT:
			buf_addf(out, "'%.*s'", sqlite3_value_bytes(v) > 200 ? 200 :
				sqlite3_value_bytes(v),
				(const char *)sqlite3_value_text(v));
			break;
		case SQLITE_BLOB:
			buf_adds(out, "X'");
			add_hex(out, v);
			buf_addc(out, '\'');
			break;
		default:
			buf_adds(out, (const char *)sqlite3_value_text(v));
		}
	}
	buf_addc(out, ')');
}
