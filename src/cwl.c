/* cwl: the CloudWatch Logs FilterLogEvents client (include/cwl.h). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws.h"
#include "awserr.h"
#include "buf.h"
#include "cwl.h"
#include "log.h"

/*
 * The eventIds already delivered whose timestamp is at or after the restart
 * point (the timestamp of the last event delivered): with events in
 * timestamp order, those of one millisecond (VPC flow records share the
 * second of their start: thousands). Kept as 64-bit hashes (a collision,
 * ~1e-13 at 10,000 ids, would skip one event after a rejected nextToken
 * only) in open addressing whose slots belong to the set only when they
 * carry its generation: a new millisecond empties it in O(1), with no
 * allocation per event.
 */
struct seen_slot {
	uint64_t	 h;
	int64_t		 ts;
	uint32_t	 gen;
};

struct seen {
	struct seen_slot *tab;
	size_t		 cap;	/* a power of two, or 0 */
	size_t		 n;
	uint32_t	 gen;	/* slots of other generations are free */
	int64_t		 lo, hi;	/* timestamps in the set, when n > 0 */
};

#define SEEN_MIN_CAP	64

static uint64_t
seen_hash(const char *id)
{
	return mem_hash(id, strlen(id));
}

/* The slot of h: where it is, or the free slot where it goes. */
static struct seen_slot *
seen_find(const struct seen *s, uint64_t h)
{
	size_t mask = s->cap - 1, i;

	for (i = (size_t)h & mask; s->tab[i].gen == s->gen &&
	    s->tab[i].h != h; i = (i + 1) & mask)
		;
	return &s->tab[i];
}

/* Empty the set: a new generation (all slots wiped when it wraps). */
static void
seen_clear(struct seen *s)
{
	s->n = 0;
	if (++s->gen == 0) {
		memset(s->tab, 0, s->cap * sizeof(*s->tab));
		s->gen = 1;
	}
}

/*
 * Keep the entries with ts >= keep_from, in a table of at least cap slots
 * (grown on demand, never shrunk).
 */
static void
seen_rebuild(struct seen *s, int64_t keep_from, size_t cap)
{
	struct seen_slot *old = s->tab, *slot;
	size_t oldcap = s->cap, i;
	uint32_t oldgen = s->gen;

	if (cap < s->cap)
		cap = s->cap;
	if ((s->tab = calloc(cap, sizeof(*s->tab))) == NULL)
		fatal("seen eventIds");
	s->cap = cap;
	s->gen = 1;
	s->n = 0;
	s->lo = INT64_MAX;
	s->hi = INT64_MIN;
	for (i = 0; i < oldcap; i++) {
		if (old[i].gen != oldgen || old[i].ts < keep_from)
			continue;
		slot = seen_find(s, old[i].h);
		*slot = old[i];
		slot->gen = s->gen;
		s->n++;
		s->lo = old[i].ts < s->lo ? old[i].ts : s->lo;
		s->hi = old[i].ts > s->hi ? old[i].ts : s->hi;
	}
	free(old);
}

static void
seen_free(struct seen *s)
{
	free(s->tab);
	memset(s, 0, sizeof(*s));
}

static int
seen_has(const struct seen *s, const char *id)
{
	return s->n > 0 && seen_find(s, seen_hash(id))->gen == s->gen;
}

/*
 * Remember that the event (id, ts) was delivered, ts becoming the restart
 * point: entries older than ts are no longer needed.
 */
static void
seen_delivered(struct seen *s, const char *id, int64_t ts)
{
	struct seen_slot *slot;
	uint64_t h = seen_hash(id);

	if (s->n > 0 && s->hi < ts)
		seen_clear(s);		/* in order: a new millisecond */
	else if (s->n > 0 && s->lo < ts)
		seen_rebuild(s, ts, s->cap);	/* out of order: rare */
	if (s->cap == 0 || 2 * (s->n + 1) > s->cap)
		seen_rebuild(s, INT64_MIN, s->cap ? 2 * s->cap : SEEN_MIN_CAP);
	if (s->n == 0)
		s->lo = s->hi = ts;
	slot = seen_find(s, h);
	if (slot->gen == s->gen)
		return;
	*slot = (struct seen_slot){ h, ts, s->gen };
	s->n++;
	s->lo = ts < s->lo ? ts : s->lo;
	s->hi = ts > s->hi ? ts : s->hi;
}

/* Request body. */

static void
set_str(json_t *o, const char *key, const char *value)
{
	if (value != NULL && *value != '\0')
		json_object_set_new(o, key, json_string(value));
}

int
cwl_request_body(struct buf *out, const struct cwl_query *q,
    const char *next_token, struct buf *err)
{
	json_t *o;
	char *text;

	if ((q->log_group == NULL || *q->log_group == '\0') &&
	    (q->log_group_arn == NULL || *q->log_group_arn == '\0')) {
		buf_addstr(err, "FilterLogEvents: no log group given");
		return -1;
	}
	if (q->limit < 0 || q->limit > CWL_MAX_LIMIT) {
		buf_printf(err, "FilterLogEvents: limit %d is not in 1..%d",
		    q->limit, CWL_MAX_LIMIT);
		return -1;
	}
	if ((o = json_object()) == NULL)
		fatalx("FilterLogEvents request: out of memory");
	if (q->log_group_arn != NULL && *q->log_group_arn != '\0')
		set_str(o, "logGroupIdentifier", q->log_group_arn);
	else
		set_str(o, "logGroupName", q->log_group);
	set_str(o, "logStreamNamePrefix", q->log_stream_prefix);
	set_str(o, "filterPattern", q->filter_pattern);
	if (q->start_ms >= 0)
		json_object_set_new(o, "startTime", json_integer(q->start_ms));
	if (q->end_ms >= 0)
		json_object_set_new(o, "endTime", json_integer(q->end_ms));
	if (q->limit > 0)
		json_object_set_new(o, "limit", json_integer(q->limit));
	set_str(o, "nextToken", next_token);
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	if (text == NULL)
		fatalx("FilterLogEvents request: out of memory");
	buf_addstr(out, text);
	free(text);
	return 0;
}

/*
 * Response page: a strict single-pass JSON scanner (RFC 8259), no tree.
 * It accepts and rejects what jansson 2.14's json_loadb(JSON_ALLOW_NUL |
 * JSON_DECODE_ANY) does (the fuzz target checks it against jansson): UTF-8
 * checked everywhere, depth at most 2048 counting every value, integers in
 * int64_t, reals that do not overflow a double, no NUL in object keys,
 * duplicate keys: the last one wins. The body is copied once into the page;
 * strings are decoded there in place (a decoded string is never longer than
 * its escaped form) and NUL-terminated over their closing quote.
 */

#define JSON_MAX_DEPTH	2048	/* jansson's JSON_PARSER_MAX_DEPTH */

enum jkind {
	JK_MISSING, JK_OBJECT, JK_ARRAY, JK_STRING, JK_INTEGER, JK_REAL,
	JK_BOOL, JK_NULL
};

static const char *const jkind_names[] = {
	"nothing (missing)", "an object", "an array", "a string", "an integer",
	"a real number", "a boolean", "null"
};

/* One scanned value; containers are only checked, never kept. */
struct jval {
	enum jkind	 kind;
	const char	*s;		/* JK_STRING: decoded, NUL-terminated */
	size_t		 len;
	int		 escaped;	/* JK_STRING: had escapes (may hold NUL) */
	int64_t		 i;		/* JK_INTEGER */
};

struct scan {
	char		*p;		/* the cursor in the page's copy */
	char		*start;
	char		*end;
	const char	*why;		/* the syntax error */
	size_t		 at;		/* its offset */
	char		 detail[48];	/* why, when it quotes a value */
};

/* Byte classes: 0 a plain string byte, 1 '"', 2 '\\', 3 a control, 4 >= 0x80. */
static const unsigned char str_class[256] = {
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3, 3,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4,
	4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4
};

/* Record the syntax error why at p; returns -1 for the caller to return. */
static int
syntax(struct scan *sc, const char *p, const char *why)
{
	sc->why = why;
	sc->at = (size_t)(p - sc->start);
	return -1;
}

static inline void
skip_ws(struct scan *sc)
{
	while (sc->p < sc->end && (*sc->p == ' ' || *sc->p == '\n' ||
	    *sc->p == '\r' || *sc->p == '\t'))
		sc->p++;
}

static inline int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Four hex digits at p (p + 4 <= end checked by the caller), or -1. */
static long
hex4(const char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (is_digit(p[i]))
			v |= p[i] - '0';
		else if (p[i] >= 'a' && p[i] <= 'f')
			v |= p[i] - 'a' + 10;
		else if (p[i] >= 'A' && p[i] <= 'F')
			v |= p[i] - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * The escape at r (*r == '\\') decoded to *w (w <= r: the output never
 * overtakes the input). Returns the byte after the escape, or NULL.
 */
static char *
unescape(struct scan *sc, char *r, char **w)
{
	static const char simple[] = "\"\"\\\\//b\bf\fn\nr\rt\t";
	const char *s;
	long cp, lo;

	if (r + 1 == sc->end) {
		syntax(sc, r, "premature end of input");
		return NULL;
	}
	if (r[1] != 'u') {
		for (s = simple; *s != '\0'; s += 2)
			if (r[1] == s[0]) {
				*(*w)++ = s[1];
				return r + 2;
			}
		syntax(sc, r, "invalid escape");
		return NULL;
	}
	if (sc->end - r < 6 || (cp = hex4(r + 2)) < 0) {
		syntax(sc, r, "invalid escape");
		return NULL;
	}
	r += 6;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (sc->end - r < 2 || r[0] != '\\' || r[1] != 'u') {
			snprintf(sc->detail, sizeof(sc->detail),
			    "invalid Unicode '\\u%04lX'", cp);
			syntax(sc, r - 6, sc->detail);
			return NULL;
		}
		if (sc->end - r < 6 || (lo = hex4(r + 2)) < 0) {
			syntax(sc, r, "invalid escape");
			return NULL;
		}
		if (lo < 0xdc00 || lo > 0xdfff) {
			snprintf(sc->detail, sizeof(sc->detail),
			    "invalid Unicode '\\u%04lX\\u%04lX'", cp, lo);
			syntax(sc, r - 6, sc->detail);
			return NULL;
		}
		cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000;
		r += 6;
	} else if (cp >= 0xdc00 && cp <= 0xdfff) {
		snprintf(sc->detail, sizeof(sc->detail),
		    "invalid Unicode '\\u%04lX'", cp);
		syntax(sc, r - 6, sc->detail);
		return NULL;
	}
	if (cp < 0x80) {
		*(*w)++ = (char)cp;
	} else if (cp < 0x800) {
		*(*w)++ = (char)(0xc0 | cp >> 6);
		*(*w)++ = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*(*w)++ = (char)(0xe0 | cp >> 12);
		*(*w)++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*(*w)++ = (char)(0x80 | (cp & 0x3f));
	} else {
		*(*w)++ = (char)(0xf0 | cp >> 18);
		*(*w)++ = (char)(0x80 | ((cp >> 12) & 0x3f));
		*(*w)++ = (char)(0x80 | ((cp >> 6) & 0x3f));
		*(*w)++ = (char)(0x80 | (cp & 0x3f));
	}
	return r;
}

/* A control character or a byte that is no UTF-8 at r: the error. */
static int
bad_string_byte(struct scan *sc, const char *r)
{
	unsigned char c = (unsigned char)*r;

	if (c == '\n')
		return syntax(sc, r, "unexpected newline");
	snprintf(sc->detail, sizeof(sc->detail), c < 0x20 ?
	    "control character 0x%x" : "unable to decode byte 0x%x", c);
	return syntax(sc, r, sc->detail);
}

/*
 * The first byte at or after r that is not a plain string byte (a quote, a
 * backslash, a control or a byte >= 0x80), or end: 8 bytes a step.
 */
static inline char *
skip_plain(char *r, const char *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t x, q, b, m;

	while (end - r >= 8) {
		memcpy(&x, r, 8);
		q = x ^ (ones * '"');
		b = x ^ (ones * '\\');
		/*
		 * The high bit of each byte that is 0 in q or b, below 0x20,
		 * or >= 0x80. A borrow can only mark bytes above a marked
		 * one: the lowest mark is exact.
		 */
		m = (((q - ones) & ~q) | ((b - ones) & ~b) |
		    ((x - ones * 0x20) & ~x) | x) & high;
		if (m != 0)
			return r + __builtin_ctzll(m) / 8;
		r += 8;
	}
#endif
	while (r < end && str_class[(unsigned char)*r] == 0)
		r++;
	return r;
}

/*
 * The string at sc->p (*sc->p == '"') into v, decoded in place. The common
 * case, no escape, only looks for the closing quote and checks UTF-8.
 */
static int
scan_string(struct scan *sc, struct jval *v)
{
	char *r = sc->p + 1, *w, *end = sc->end;
	size_t n;

	v->kind = JK_STRING;
	v->s = r;
	v->escaped = 0;
	for (;;) {
		r = skip_plain(r, end);
		if (r == end)
			return syntax(sc, r, "premature end of input");
		switch (str_class[(unsigned char)*r]) {
		case 1:
			v->len = (size_t)(r - v->s);
			*r = '\0';
			sc->p = r + 1;
			return 0;
		case 2:
			break;
		case 4:
			if ((n = utf8_seq_len((const unsigned char *)r,
			    (size_t)(end - r))) == 0)
				return bad_string_byte(sc, r);
			r += n;
			continue;
		default:
			return bad_string_byte(sc, r);
		}
		break;
	}
	/* Escapes: from here on the output w trails the input r. */
	v->escaped = 1;
	w = r;
	for (;;) {
		if (r == end)
			return syntax(sc, r, "premature end of input");
		switch (str_class[(unsigned char)*r]) {
		case 0:
			n = (size_t)(skip_plain(r, end) - r);
			memmove(w, r, n);
			w += n;
			r += n;
			continue;
		case 1:
			v->len = (size_t)(w - v->s);
			*w = '\0';
			sc->p = r + 1;
			return 0;
		case 2:
			if ((r = unescape(sc, r, &w)) == NULL)
				return -1;
			continue;
		case 4:
			if ((n = utf8_seq_len((const unsigned char *)r,
			    (size_t)(end - r))) == 0)
				return bad_string_byte(sc, r);
			memmove(w, r, n);
			w += n;
			r += n;
			continue;
		default:
			return bad_string_byte(sc, r);
		}
	}
}

/*
 * The number at sc->p into v. Integers (no fraction, no exponent) must fit
 * int64_t; reals must not overflow a double (strtod reads the page's copy,
 * NUL-terminated; the daemon runs in the C locale).
 */
static int
scan_number(struct scan *sc, struct jval *v)
{
	char *p = sc->p, *end = sc->end, *num = sc->p;
	uint64_t u = 0, lim = INT64_MAX;
	int neg = 0, big = 0, real = 0, d;
	double x;

	if (*p == '-') {
		neg = 1;
		lim = (uint64_t)INT64_MAX + 1;
		p++;
	}
	if (p == end || !is_digit(*p))
		return syntax(sc, num, "invalid token");
	if (*p == '0') {
		if (++p < end && is_digit(*p))
			return syntax(sc, num, "invalid token");
	} else {
		for (; p < end && is_digit(*p); p++) {
			d = *p - '0';
			if (u > (lim - (uint64_t)d) / 10)
				big = 1;
			else
				u = u * 10 + (uint64_t)d;
		}
	}
	if (p < end && *p == '.') {
		real = 1;
		if (++p == end || !is_digit(*p))
			return syntax(sc, num, "invalid token");
		while (p < end && is_digit(*p))
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		real = 1;
		if (++p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || !is_digit(*p))
			return syntax(sc, num, "invalid token");
		while (p < end && is_digit(*p))
			p++;
	}
	sc->p = p;
	if (real) {
		errno = 0;
		x = strtod(num, NULL);
		if (errno == ERANGE && (x == HUGE_VAL || x == -HUGE_VAL))
			return syntax(sc, num, "real number overflow");
		v->kind = JK_REAL;
		return 0;
	}
	if (big)
		return syntax(sc, num, neg ? "too big negative integer" :
		    "too big integer");
	v->kind = JK_INTEGER;
	v->i = !neg ? (int64_t)u : u > INT64_MAX ? INT64_MIN : -(int64_t)u;
	return 0;
}

/* A string, number, true, false or null at sc->p into v. */
static int
scan_scalar(struct scan *sc, struct jval *v)
{
	size_t left = (size_t)(sc->end - sc->p);

	if (left == 0)
		return syntax(sc, sc->p, "unexpected token");
	switch (*sc->p) {
	case '"':
		return scan_string(sc, v);
	case 't':
	case 'f':
		v->kind = JK_BOOL;
		if (left >= 4 && memcmp(sc->p, "true", 4) == 0) {
			sc->p += 4;
			return 0;
		}
		if (left >= 5 && memcmp(sc->p, "false", 5) == 0) {
			sc->p += 5;
			return 0;
		}
		break;
	case 'n':
		v->kind = JK_NULL;
		if (left >= 4 && memcmp(sc->p, "null", 4) == 0) {
			sc->p += 4;
			return 0;
		}
		break;
	default:
		if (*sc->p == '-' || is_digit(*sc->p))
			return scan_number(sc, v);
		return syntax(sc, sc->p, "unexpected token");
	}
	return syntax(sc, sc->p, "invalid token");
}

/*
 * An object key at sc->p, with the colon after it; sc->p is left on the
 * value. Keys may not hold NUL (jansson's rule).
 */
static int
scan_key(struct scan *sc, struct jval *k)
{
	char *at = sc->p;

	if (at == sc->end || *at != '"')
		return syntax(sc, at, "string or '}' expected");
	if (scan_string(sc, k) == -1)
		return -1;
	if (k->escaped && memchr(k->s, '\0', k->len) != NULL)
		return syntax(sc, at, "NUL byte in object key not supported");
	skip_ws(sc);
	if (sc->p == sc->end || *sc->p != ':')
		return syntax(sc, sc->p, "':' expected");
	sc->p++;
	skip_ws(sc);
	return 0;
}

/* After a member or an element: ',' (1), the closing byte (0), else -1. */
static int
next_item(struct scan *sc, char close)
{
	skip_ws(sc);
	if (sc->p < sc->end && *sc->p == ',') {
		sc->p++;
		skip_ws(sc);
		return 1;
	}
	if (sc->p < sc->end && *sc->p == close) {
		sc->p++;
		return 0;
	}
	return syntax(sc, sc->p, close == '}' ? "'}' expected" :
	    "']' expected");
}

#define BIT_SET(a, i, on) ((a)[(i) / 8] = (unsigned char)(on ? \
	(a)[(i) / 8] | 1u << (i) % 8 : (a)[(i) / 8] & ~(1u << (i) % 8)))
#define BIT_GET(a, i)	((a)[(i) / 8] >> (i) % 8 & 1)

/*
 * Check and skip the object or array at sc->p, at depth depth. Iterative,
 * one bit per open container, so a deep document costs no stack.
 */
static int
skip_container(struct scan *sc, int depth)
{
	unsigned char is_obj[JSON_MAX_DEPTH / 8 + 1] = { 0 };
	enum { FIRST, ITEM, AFTER } state = FIRST;
	struct jval tmp;
	int top = depth;
	char close;

	BIT_SET(is_obj, top, *sc->p == '{');
	sc->p++;
	for (;;) {
		skip_ws(sc);
		close = BIT_GET(is_obj, top) ? '}' : ']';
		if (state != ITEM && sc->p < sc->end && *sc->p == close) {
			sc->p++;
			if (--top < depth)
				return 0;
			state = AFTER;
			continue;
		}
		if (state == AFTER) {
			if (sc->p == sc->end || *sc->p != ',')
				return syntax(sc, sc->p, close == '}' ?
				    "'}' expected" : "']' expected");
			sc->p++;
			state = ITEM;
			continue;
		}
		if (close == '}' && scan_key(sc, &tmp) == -1)
			return -1;
		if (top + 1 > JSON_MAX_DEPTH)
			return syntax(sc, sc->p, "maximum parsing depth reached");
		state = AFTER;
		if (sc->p < sc->end && (*sc->p == '{' || *sc->p == '[')) {
			top++;
			BIT_SET(is_obj, top, *sc->p == '{');
			sc->p++;
			state = FIRST;
		} else if (scan_scalar(sc, &tmp) == -1)
			return -1;
	}
}

/* Any value at sc->p, at depth depth (the top level is 1), into v. */
static int
scan_value(struct scan *sc, int depth, struct jval *v)
{
	if (depth > JSON_MAX_DEPTH)
		return syntax(sc, sc->p, "maximum parsing depth reached");
	if (sc->p < sc->end && (*sc->p == '{' || *sc->p == '[')) {
		v->kind = *sc->p == '{' ? JK_OBJECT : JK_ARRAY;
		return skip_container(sc, depth);
	}
	return scan_scalar(sc, v);
}

/* What the members of an event must be, in the order they are checked. */
enum { EV_STREAM, EV_ID, EV_MESSAGE, EV_TS, EV_INGEST, EV_NFIELDS };

static const char *const ev_names[EV_NFIELDS] = {
	"logStreamName", "eventId", "message", "timestamp", "ingestionTime"
};

/* The first event that is wrong, reported once the document is known good. */
struct ev_error {
	int		 set;
	size_t		 idx;
	int		 field;		/* EV_*; -1: the event is no object */
	const char	*want;		/* NULL: empty or holds a NUL */
	enum jkind	 got;
};

struct page_scan {
	struct scan	 sc;
	struct buf	*events;	/* struct cwl_event[], the last "events" */
	size_t		 nevents;
	enum jkind	 events_kind;
	struct jval	 token;
	struct ev_error	 eerr;
};

/* EV_* for the key k, -1 for a member not used. */
static int
ev_field(const struct jval *k)
{
	switch (k->len) {
	case 7:
		return memcmp(k->s, "eventId", 7) == 0 ? EV_ID :
		    memcmp(k->s, "message", 7) == 0 ? EV_MESSAGE : -1;
	case 9:
		return memcmp(k->s, "timestamp", 9) == 0 ? EV_TS : -1;
	case 13:
		return memcmp(k->s, "logStreamName", 13) == 0 ? EV_STREAM :
		    memcmp(k->s, "ingestionTime", 13) == 0 ? EV_INGEST : -1;
	}
	return -1;
}

/* Set the event error (the first one only); returns -1. */
static int
ev_fail(struct page_scan *ps, size_t idx, int field, const char *want,
    enum jkind got)
{
	if (!ps->eerr.set) {
		ps->eerr.set = 1;
		ps->eerr.idx = idx;
		ps->eerr.field = field;
		ps->eerr.want = want;
		ps->eerr.got = got;
	}
	return -1;
}

/*
 * The checks the old tree-based parser made on an event, in its order:
 * names non-empty without NUL, the message any string, times >= 0.
 */
static int
ev_check(struct page_scan *ps, size_t idx, const struct jval *f,
    struct cwl_event *ev)
{
	static const char ms[] = "milliseconds since the epoch (an integer "
	    ">= 0)";
	const char **out[3] = { &ev->log_stream, &ev->event_id, &ev->message };
	int i;

	for (i = EV_STREAM; i <= EV_MESSAGE; i++) {
		if (f[i].kind != JK_STRING)
			return ev_fail(ps, idx, i, "a string", f[i].kind);
		if (i != EV_MESSAGE && (f[i].len == 0 || (f[i].escaped &&
		    memchr(f[i].s, '\0', f[i].len) != NULL)))
			return ev_fail(ps, idx, i, NULL, f[i].kind);
		*out[i] = f[i].s;
	}
	ev->message_len = f[EV_MESSAGE].len;
	if (f[EV_TS].kind != JK_INTEGER || f[EV_TS].i < 0)
		return ev_fail(ps, idx, EV_TS, ms, f[EV_TS].kind);
	ev->timestamp = f[EV_TS].i;
	ev->ingestion_time = -1;
	if (f[EV_INGEST].kind == JK_MISSING || f[EV_INGEST].kind == JK_NULL)
		return 0;
	if (f[EV_INGEST].kind != JK_INTEGER || f[EV_INGEST].i < 0)
		return ev_fail(ps, idx, EV_INGEST, ms, f[EV_INGEST].kind);
	ev->ingestion_time = f[EV_INGEST].i;
	return 0;
}

/* The event object at sc->p (depth 3), appended when it is good. */
static int
scan_event(struct page_scan *ps, size_t idx)
{
	struct scan *sc = &ps->sc;
	struct jval f[EV_NFIELDS], k, v;
	struct cwl_event ev;
	int i, more;

	for (i = 0; i < EV_NFIELDS; i++)
		f[i].kind = JK_MISSING;
	sc->p++;
	skip_ws(sc);
	more = sc->p < sc->end && *sc->p == '}' ? (sc->p++, 0) : 1;
	while (more) {
		if (scan_key(sc, &k) == -1 || scan_value(sc, 4, &v) == -1 ||
		    (more = next_item(sc, '}')) == -1)
			return -1;
		if ((i = ev_field(&k)) >= 0)
			f[i] = v;
	}
	if (ps->eerr.set || ev_check(ps, idx, f, &ev) == -1)
		return 0;
	buf_add(ps->events, &ev, sizeof(ev));
	ps->nevents++;
	return 0;
}

/* The "events" array at sc->p (depth 2); it replaces an earlier one. */
static int
scan_events(struct page_scan *ps)
{
	struct scan *sc = &ps->sc;
	struct jval v;
	size_t idx;
	int more;

	buf_reset(ps->events);
	ps->nevents = 0;
	memset(&ps->eerr, 0, sizeof(ps->eerr));
	ps->events_kind = JK_ARRAY;
	sc->p++;
	skip_ws(sc);
	more = sc->p < sc->end && *sc->p == ']' ? (sc->p++, 0) : 1;
	for (idx = 0; more; idx++) {
		if (sc->p < sc->end && *sc->p == '{') {
			if (scan_event(ps, idx) == -1)
				return -1;
		} else if (scan_value(sc, 3, &v) == -1)
			return -1;
		else
			ev_fail(ps, idx, -1, NULL, v.kind);
		if ((more = next_item(sc, ']')) == -1)
			return -1;
	}
	return 0;
}

/* The members of the top-level object at sc->p. */
static int
scan_root(struct page_scan *ps)
{
	struct scan *sc = &ps->sc;
	struct jval k, v;
	int more;

	sc->p++;
	skip_ws(sc);
	more = sc->p < sc->end && *sc->p == '}' ? (sc->p++, 0) : 1;
	while (more) {
		if (scan_key(sc, &k) == -1)
			return -1;
		if (k.len == 6 && memcmp(k.s, "events", 6) == 0) {
			if (sc->p < sc->end && *sc->p == '[') {
				if (scan_events(ps) == -1)
					return -1;
			} else {
				if (scan_value(sc, 2, &v) == -1)
					return -1;
				buf_reset(ps->events);
				ps->nevents = 0;
				memset(&ps->eerr, 0, sizeof(ps->eerr));
				ps->events_kind = v.kind;
			}
		} else if (k.len == 9 && memcmp(k.s, "nextToken", 9) == 0) {
			if (scan_value(sc, 2, &ps->token) == -1)
				return -1;
		} else if (scan_value(sc, 2, &v) == -1)
			return -1;
		if ((more = next_item(sc, '}')) == -1)
			return -1;
	}
	return 0;
}

/* "line 3, column 7, offset 40" of offset at in body, as jansson counts. */
static void
syntax_error(struct buf *err, const struct scan *sc, const char *body)
{
	size_t i, line = 1, col = 1;

	for (i = 0; i < sc->at; i++) {
		if (body[i] == '\n') {
			line++;
			col = 1;
		} else if (((unsigned char)body[i] & 0xc0) != 0x80)
			col++;
	}
	buf_printf(err, "FilterLogEvents response is not JSON: %s%s (line %zu, "
	    "column %zu, offset %zu)", sc->why, sc->at == (size_t)(sc->end -
	    sc->start) ? " near end of file" : "", line, col, sc->at);
}

/* The event error, in the old parser's words. */
static void
event_error(struct buf *err, const struct ev_error *e)
{
	buf_printf(err, "FilterLogEvents response: events[%zu]", e->idx);
	if (e->field < 0)
		buf_printf(err, ": expected an object, got %s",
		    jkind_names[e->got]);
	else if (e->want == NULL)
		buf_printf(err, ".%s: empty or holds a NUL character",
		    ev_names[e->field]);
	else
		buf_printf(err, ".%s: expected %s, got %s", ev_names[e->field],
		    e->want, jkind_names[e->got]);
}

int
cwl_page_parse(struct cwl_page *page, const char *body, size_t len,
    struct buf *err)
{
	struct page_scan ps;
	struct scan *sc = &ps.sc;
	struct jval root;
	int rc;

	memset(page, 0, sizeof(*page));
	memset(&ps, 0, sizeof(ps));
	buf_grow(&page->text, len);
	if (len > 0)
		memcpy(page->text.data, body, len);
	page->text.data[len] = '\0';
	page->text.len = len;
	sc->p = sc->start = page->text.data;
	sc->end = sc->start + len;
	ps.events = &page->store;
	skip_ws(sc);
	if (sc->p < sc->end && *sc->p == '{') {
		root.kind = JK_OBJECT;
		rc = scan_root(&ps);
	} else
		rc = scan_value(sc, 1, &root);
	if (rc == 0) {
		skip_ws(sc);
		if (sc->p != sc->end)
			rc = syntax(sc, sc->p, "end of file expected");
	}
	if (rc == -1) {
		syntax_error(err, sc, body);
		return -1;
	}
	if (root.kind != JK_OBJECT) {
		buf_printf(err, "FilterLogEvents response: expected an object, "
		    "got %s", jkind_names[root.kind]);
		return -1;
	}
	if (ps.events_kind != JK_MISSING && ps.events_kind != JK_NULL &&
	    ps.events_kind != JK_ARRAY) {
		buf_printf(err, "FilterLogEvents response: events: expected an "
		    "array, got %s", jkind_names[ps.events_kind]);
		return -1;
	}
	if (ps.token.kind != JK_MISSING && ps.token.kind != JK_NULL &&
	    ps.token.kind != JK_STRING) {
		buf_printf(err, "FilterLogEvents response: nextToken: expected "
		    "a string, got %s", jkind_names[ps.token.kind]);
		return -1;
	}
	if (ps.token.kind == JK_STRING && ps.token.len > 0) {
		if (ps.token.escaped && memchr(ps.token.s, '\0',
		    ps.token.len) != NULL) {
			buf_addstr(err, "FilterLogEvents response: nextToken: "
			    "holds a NUL character");
			return -1;
		}
		page->next_token = ps.token.s;
	}
	if (ps.eerr.set) {
		event_error(err, &ps.eerr);
		return -1;
	}
	page->events = (struct cwl_event *)page->store.data;
	page->nevents = ps.nevents;
	if (page->nevents == 0)
		page->events = NULL;
	return 0;
}

void
cwl_page_free(struct cwl_page *page)
{
	buf_free(&page->text);
	buf_free(&page->store);
	memset(page, 0, sizeof(*page));
}

/* The read loop. */

struct filter_run {
	struct cwl_client	*c;
	const struct cwl_query	*q;
	struct cwl_query	 cur;	/* q, with start_ms moved on restarts */
	struct buf		 token;	/* nextToken of the next request */
	struct buf		 body;
	struct buf		 resp;
	struct seen		 seen;
	struct cwl_stats	*st;
	struct aws_error	*err;
	int			 no_progress;	/* restarts since an event was delivered */
};

static int
default_call(struct cwl_client *c, const char *body, struct buf *out,
    struct aws_error *err)
{
	if (c->call != NULL)
		return c->call(c->call_arg, body, out, err);
	return aws_json_call(c->aws, c->ep, CWL_TARGET, body, out, err);
}

static const char *
group_name(const struct cwl_query *q)
{
	return q->log_group_arn != NULL ? q->log_group_arn : q->log_group;
}

/* Log why the read stopped, and what to do about fatal errors. */
static void
report(const struct filter_run *r)
{
	const struct aws_error *e = r->err;

	if (e->cls == AWSERR_NONE) {
		log_warnx("log group %s: %s", group_name(r->q), e->message);
		return;
	}
	if (e->status > 0)
		log_warnx("log group %s: FilterLogEvents failed: %s (HTTP %ld) "
		    "%s", group_name(r->q), e->name, e->status, e->message);
	else
		log_warnx("log group %s: FilterLogEvents failed: %s: %s",
		    group_name(r->q), e->name, e->message);
	if (e->cls == AWSERR_FATAL)
		log_warnx("log group %s: %s", group_name(r->q),
		    awserr_advice(e));
}

static void
set_error(struct aws_error *err, const char *msg)
{
	memset(err, 0, sizeof(*err));
	snprintf(err->message, sizeof(err->message), "%s", msg);
}

/*
 * A nextToken was rejected: read the window again from the timestamp of the
 * last event delivered. Returns 0, or -1 when restarts make no progress.
 */
static int
restart(struct filter_run *r)
{
	if (++r->no_progress > CWL_MAX_RESTARTS)
		return -1;
	r->st->restarts++;
	if (r->st->last_timestamp > r->cur.start_ms)
		r->cur.start_ms = r->st->last_timestamp;
	buf_reset(&r->token);
	log_notice("log group %s: nextToken rejected (%s); reading again from "
	    "%" PRId64 " ms, skipping the %zu events already delivered there",
	    group_name(r->q), r->err->name, r->cur.start_ms, r->seen.n);
	return 0;
}

/* Hand the events of a page to fn, skipping those delivered already. */
static int
deliver(struct filter_run *r, const struct cwl_page *page, cwl_event_fn fn,
    void *arg)
{
	const struct cwl_event *ev;
	size_t i;

	for (i = 0; i < page->nevents; i++) {
		ev = &page->events[i];
		if (seen_has(&r->seen, ev->event_id)) {
			r->st->duplicates++;
			continue;
		}
		if (fn(arg, ev) == -1) {
			set_error(r->err, "reading stopped: the event could "
			    "not be handled");
			return -1;
		}
		seen_delivered(&r->seen, ev->event_id, ev->timestamp);
		r->st->events++;
		r->st->last_timestamp = ev->timestamp;
		r->no_progress = 0;
	}
	return 0;
}

/*
 * One request and its page. Returns 1 when there is a next page, 0 at the
 * end of the window, -1 on error (r->err filled).
 */
static int
one_page(struct filter_run *r, cwl_event_fn fn, void *arg)
{
	struct cwl_page page;
	struct buf perr = BUF_INIT;
	int rc;

	buf_reset(&r->body);
	buf_reset(&r->resp);
	if (cwl_request_body(&r->body, &r->cur, r->token.data, &perr) == -1 ||
	    default_call(r->c, r->body.data, &r->resp, r->err) == -1) {
		if (perr.len > 0)
			set_error(r->err, perr.data);
		buf_free(&perr);
		return -1;
	}
	if (cwl_page_parse(&page, r->resp.data ? r->resp.data : "",
	    r->resp.len, &perr) == -1) {
		set_error(r->err, perr.data);
		rc = -1;
	} else {
		r->st->pages++;
		if (page.nevents == 0)
			r->st->empty_pages++;
		log_trace("FilterLogEvents page %" PRIu64 ": %zu events%s",
		    r->st->pages, page.nevents,
		    page.next_token ? ", nextToken" : ", last");
		rc = deliver(r, &page, fn, arg);
		if (rc == 0 && page.next_token != NULL) {
			buf_reset(&r->token);
			buf_addstr(&r->token, page.next_token);
			rc = 1;
		}
	}
	cwl_page_free(&page);
	buf_free(&perr);
	return rc;
}

enum cwl_result
cwl_filter(struct cwl_client *c, const struct cwl_query *q,
    cwl_event_fn fn, void *arg, volatile int *stop,
    struct cwl_stats *stats, struct aws_error *err)
{
	struct filter_run r;
	enum cwl_result res;
	int rc;

	memset(&r, 0, sizeof(r));
	memset(stats, 0, sizeof(*stats));
	memset(err, 0, sizeof(*err));
	stats->last_timestamp = -1;
	r.c = c;
	r.q = q;
	r.cur = *q;
	r.st = stats;
	r.err = err;
	for (;;) {
		if (stop != NULL && *stop) {
			res = CWL_STOPPED;
			break;
		}
		rc = one_page(&r, fn, arg);
		if (rc == 1)
			continue;
		if (rc == 0) {
			res = CWL_DONE;
			break;
		}
		if (stop != NULL && *stop) {
			res = CWL_STOPPED;
			break;
		}
		if (err->cls == AWSERR_BAD_NEXT_TOKEN && r.token.len > 0 &&
		    restart(&r) == 0)
			continue;
		report(&r);
		res = CWL_ERROR;
		break;
	}
	buf_free(&r.token);
	buf_free(&r.body);
	buf_free(&r.resp);
	seen_free(&r.seen);
	return res;
}
