/*
 * mask.c - secret masking.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mask.h"
#include "util.h"

/* A piece of a secret shorter than this is not hidden on its own: a
 * two-letter line or password hidden would hide every "ab" in a log. A
 * whole secret is hidden whatever its length. */
enum { MIN_PART = 3 };

static void
add_word(struct mask *m, const char *s, size_t n)
{
	size_t i, j;

	if (!n)
		return;
	for (i = 0; i < m->n; i++)
		if (m->lens[i] == n && memcmp(m->words[i], s, n) == 0)
			return;
	m->words = xreallocarray(m->words, m->n + 1, sizeof(*m->words));
	m->lens = xreallocarray(m->lens, m->n + 1, sizeof(*m->lens));
	/* Keep longest first so that a longer secret wins over its part. */
	for (i = 0; i < m->n && m->lens[i] >= n; i++)
		;
	for (j = m->n; j > i; j--) {
		m->words[j] = m->words[j - 1];
		m->lens[j] = m->lens[j - 1];
	}
	m->words[i] = xstrndup(s, n);
	m->lens[i] = n;
	m->first[(unsigned char)s[0] / 8] |= 1u << ((unsigned char)s[0] % 8);
	m->n++;
}

/* Hide s[0..n) with each byte of from in it written as the string at
 * the same place in to, when it holds one. */
static void
add_escaped(struct mask *m, const char *s, size_t n, const char *from,
	const char *const *to)
{
	struct buf b = {0};
	const char *c;
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] && (c = strchr(from, s[i])))
			buf_adds(&b, to[c - from]);
		else
			buf_addc(&b, s[i]);
	if (b.len != n)
		add_word(m, b.s, b.len);
	buf_free(&b);
}

/* Hide s[0..n) as it is, as bash's set -x quotes it ('it'\''s' shows
 * it'\''s between the outer quotes) and as a JSON string holds it (jq,
 * or a client's error message, print \" and \\, and a key's lines
 * joined with \n). */
static void
add_shown(struct mask *m, const char *s, size_t n)
{
	static const char *const bash[] = { "'\\''" };
	static const char *const json[] = { "\\\"", "\\\\", "\\n", "\\r",
		"\\t" };

	add_word(m, s, n);
	add_escaped(m, s, n, "'", bash);
	add_escaped(m, s, n, "\"\\\n\r\t", json);
}

/* Hide value percent-encoded, as a step that puts it in a URL writes it
 * (Python's quote(s, safe=''), jq's @uri): all but the unreserved
 * bytes as %XX. */
static void
add_pct_encoded(struct mask *m, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = {0};
	const unsigned char *p;

	for (p = (const unsigned char *)value; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
			buf_addc(&b, (char)*p);
		} else {
			buf_addc(&b, '%');
			buf_addc(&b, hex[*p >> 4]);
			buf_addc(&b, hex[*p & 15]);
		}
	}
	if (b.len != strlen(value))
		add_word(m, b.s, b.len);
	buf_free(&b);
}

/* s[0..n) in base64 (RFC 4648, padded) appended to b. */
static void
add_base64(struct buf *b, const unsigned char *s, size_t n)
{
	static const char digits[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		buf_addc(b, digits[v >> 18 & 63]);
		buf_addc(b, digits[v >> 12 & 63]);
		buf_addc(b, i + 1 < n ? digits[v >> 6 & 63] : '=');
		buf_addc(b, i + 2 < n ? digits[v & 63] : '=');
	}
}

/* A piece of a URL, s[0..n), hidden as written and percent-decoded,
 * each when it is long enough; the decoded one also as base64 when
 * basic is set (user:password, as an HTTP client sends it in an
 * "Authorization: Basic" header that curl -v prints). */
static void
add_part(struct mask *m, const char *s, size_t n, int basic)
{
	char *dec = xmalloc(n + 1);
	size_t dn = pct_decode(dec, s, n);

	if (n >= MIN_PART)
		add_shown(m, s, n);
	/* A decoded NUL would end the word: such a part is hidden as
	 * written only. */
	if (dn >= MIN_PART && !memchr(dec, '\0', dn))
		add_shown(m, dec, dn);
	if (basic && dn >= MIN_PART) {
		struct buf b = {0};

		add_base64(&b, (const unsigned char *)dec, dn);
		add_word(m, b.s, b.len);
		buf_free(&b);
	}
	free(dec);
}

static int
scheme_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		(c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.';
}

/* The query parameters that carry a credential, as libpq, JDBC and
 * HTTP APIs name them. */
static const char *const query_keys[] = {
	"password", "passwd", "pwd", "pass", "token", "access_token",
	"secret", "api_key", "apikey", NULL
};

/* The credentials in a URL's query, q up to its end: the value of each
 * parameter query_keys names, as written and decoded. Returns how many
 * there were. */
static int
add_query_parts(struct mask *m, const char *q)
{
	const char *p, *eq, *amp;
	size_t i, n;
	int found = 0;

	for (p = q; *p && !strchr("# \t\r\n\"'", *p); p = amp + (*amp == '&')) {
		for (amp = p; *amp && !strchr("&# \t\r\n\"'", *amp); amp++)
			;
		eq = memchr(p, '=', (size_t)(amp - p));
		if (!eq)
			continue;
		n = (size_t)(eq - p);
		for (i = 0; query_keys[i]; i++)
			if (strlen(query_keys[i]) == n &&
			    strncasecmp(p, query_keys[i], n) == 0) {
				add_part(m, eq + 1, (size_t)(amp - eq - 1), 0);
				found++;
			}
	}
	return found;
}

/* The credentials of every URL in value, scheme://USER:PASSWORD@host or
 * scheme://TOKEN@host, and ?password=... in its query: a shell step
 * cuts them out of the whole (to pass a password on its own, or print
 * it with set -x) and decodes them. The user info ends at the last '@'
 * before the host's end, for a password with an '@' left unencoded is
 * still one to its client. The user name alone is not a secret. */
static void
add_url_parts(struct mask *m, const char *value)
{
	const char *p, *ui, *end, *at, *colon, *q;
	int in_query;

	for (p = strstr(value, "://"); p; p = strstr(p + 3, "://")) {
		if (p == value || !scheme_char((unsigned char)p[-1]))
			continue;
		ui = p + 3;
		at = NULL;
		for (end = ui; *end && !strchr("/?# \t\r\n", *end); end++)
			if (*end == '@')
				at = end;
		for (q = end; *q && !strchr("?# \t\r\n", *q); q++)
			;
		in_query = *q == '?' && add_query_parts(m, q + 1);
		if (!at)
			continue;
		colon = memchr(ui, ':', (size_t)(at - ui));
		if (!colon && !in_query) {
			/* redis-cli and others take it for a password; with
			 * one in the query it is a user name */
			add_part(m, ui, (size_t)(at - ui), 0);
		} else if (colon && colon + 1 < at) {
			add_part(m, colon + 1, (size_t)(at - colon - 1), 0);
			add_part(m, ui, (size_t)(at - ui), 1);
		}
	}
}

void
mask_add(struct mask *m, const char *value)
{
	const char *p = value, *nl;

	add_shown(m, value, strlen(value));
	add_pct_encoded(m, value);
	add_url_parts(m, value);
	if (!strchr(value, '\n'))
		return;
	for (; *p; p = nl + 1) {
		size_t n;

		nl = strchr(p, '\n');
		if (!nl)
			nl = p + strlen(p);
		n = (size_t)(nl - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (n >= MIN_PART)
			add_shown(m, p, n);
		if (!*nl)
			break;
	}
}

/* The length of the secret s[0..n) starts with, the longest first; 0
 * when none. */
static size_t
match_at(const struct mask *m, const char *s, size_t n)
{
	unsigned char c = (unsigned char)s[0];
	size_t i;

	if (!n || !(m->first[c / 8] & (1u << (c % 8))))
		return 0;
	for (i = 0; i < m->n; i++)
		if (m->lens[i] <= n && m->words[i][0] == s[0] &&
		    memcmp(s, m->words[i], m->lens[i]) == 0)
			return m->lens[i];
	return 0;
}

void
mask_append(const struct mask *m, struct buf *out, const char *s)
{
	size_t n = strlen(s), p = 0, start = 0, len;

	if (!m || !m->n) {
		buf_add(out, s, n);
		return;
	}
	while (p < n) {
		if (!(len = match_at(m, s + p, n - p))) {
			p++;
			continue;
		}
		buf_add(out, s + start, p - start);
		buf_adds(out, MASK_TEXT);
		p += len;
		start = p;
	}
	buf_add(out, s + start, p - start);
}

size_t
mask_longest(const struct mask *m)
{
	return m && m->n ? m->lens[0] : 0;
}

size_t
mask_cut(const struct mask *m, const char *s, size_t n)
{
	size_t longest = mask_longest(m), p = 0, len;

	if (!longest)
		return n;
	/* The scan mask_append makes: a position from which the longest
	 * secret would still fit is settled, matched or not. */
	while (p + longest <= n) {
		len = match_at(m, s + p, n - p);
		p += len ? len : 1;
	}
	return p;
}

const char *
mask_str(const struct mask *m, const char *s)
{
	static struct buf b;

	buf_reset(&b);
	mask_append(m, &b, s);
	return buf_str(&b);
}

void
mask_free(struct mask *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		free(m->words[i]);
	free(m->words);
	free(m->lens);
	memset(m, 0, sizeof(*m));
}
