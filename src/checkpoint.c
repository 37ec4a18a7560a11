/* checkpoint: per-stream and group state on disk (include/checkpoint.h). */
#include <sys/file.h>
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <zlib.h>

#include "buf.h"
#include "checkpoint.h"
#include "log.h"
#include "schedule.h"

#define MAX_TIME_MS	253402300799999LL	/* 9999-12-31T23:59:59.999Z */
#define MAX_AGE_MS	(3650LL * 86400000)	/* ten years */
#define MAX_POLL_MS	86400000LL
#define TRAILER_LEN	15		/* "crc32 " 8 hex digits "\n" */
#define SEEN_LINE_MIN	19		/* "0 " 16 hex digits "\n" */
#define SEEN_TAIL_MIN	32
#define SEEN_TAIL_MAX	1024
#define TMP_PREFIX	".tmp-"
#define GROUP_FILE	"group.state"
#define JOURNAL_FILE	"journal"
#define LOCK_FILE	"lock"
#define WAY_OUT_STREAM	"restore it from a backup, or move it away: that " \
			"stream then forgets which records of the last " \
			"max_delay were shipped (some may be shipped twice, " \
			"none is missed); see vpcflowd(8), CORRUPT CHECKPOINTS"
#define WAY_OUT_GROUP	"move it away to restart the scan from " \
			"start_position, or restore it from a backup"
#define WAY_OUT_JOURNAL	"move it away (keep it for a bug report): vpcflowd " \
			"then starts from the stream and group files alone " \
			"and ships again what was acknowledged since they " \
			"were last written (none is missed); see " \
			"vpcflowd(8), CORRUPT CHECKPOINTS"

static const char hexdigits[] = "0123456789abcdef";

/* ---- hashing ------------------------------------------------------------- */

uint64_t
checkpoint_id_hash(const char *event_id, size_t len)
{
	const unsigned char *p = (const unsigned char *)event_id;
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	/* splitmix64's finalizer: every input bit reaches every output bit. */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	h ^= h >> 31;
	return h;
}

/* ---- the seen set ---------------------------------------------------------- */

static void
seen_resize(struct stream_state *s, size_t cap)
{
	struct seen_id *p;

	if ((p = reallocarray(s->seen, cap, sizeof(*p))) == NULL)
		fatal("out of memory (%zu seen eventIds)", cap);
	s->seen = p;
	s->seen_cap = cap;
}

/* Index of the first id in a[0..n) whose hash is >= h. */
static size_t
lower_bound(const struct seen_id *a, size_t n, uint64_t h)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (a[mid].id_hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int
run_has(const struct seen_id *a, size_t n, uint64_t h)
{
	size_t i;

	if (n == 0)
		return 0;
	i = lower_bound(a, n, h);
	return i < n && a[i].id_hash == h;
}

int
stream_seen_has(const struct stream_state *s, uint64_t id_hash)
{
	return run_has(s->seen, s->seen_main, id_hash) || (s->nseen >
	    s->seen_main && run_has(s->seen + s->seen_main,
	    s->nseen - s->seen_main, id_hash));
}

/* How long the second run may grow before it is merged into the first. */
static size_t
tail_limit(size_t nmain)
{
	size_t t = nmain / 64;

	return t < SEEN_TAIL_MIN ? SEEN_TAIL_MIN :
	    t > SEEN_TAIL_MAX ? SEEN_TAIL_MAX : t;
}

/*
 * Merge the second run into the first, from the end backwards: the second
 * run is copied out first (it is short), so nothing is overwritten unread.
 */
static void
seen_merge(struct stream_state *s)
{
	struct seen_id tail[SEEN_TAIL_MAX];
	size_t i = s->seen_main, j = s->nseen - s->seen_main, w = s->nseen;

	memcpy(tail, s->seen + s->seen_main, j * sizeof(tail[0]));
	while (j > 0) {
		if (i > 0 && s->seen[i - 1].id_hash > tail[j - 1].id_hash)
			s->seen[--w] = s->seen[--i];
		else
			s->seen[--w] = tail[--j];
	}
	s->seen_main = s->nseen;
}

/* Remember an id really added, for the next journal record. */
static void
fresh_add(struct stream_state *s, int64_t timestamp, uint64_t id_hash)
{
	struct seen_id *p;
	size_t cap;

	if (s->nfresh == s->fresh_cap) {
		cap = s->fresh_cap < 8 ? 8 : s->fresh_cap * 2;
		if ((p = reallocarray(s->fresh, cap, sizeof(*p))) == NULL)
			fatal("out of memory (%zu new eventIds)", cap);
		s->fresh = p;
		s->fresh_cap = cap;
	}
	s->fresh[s->nfresh].timestamp = timestamp;
	s->fresh[s->nfresh++].id_hash = id_hash;
}

/* Forget the fresh ids (journaled or written); a large array is freed. */
static void
fresh_clear(struct stream_state *s)
{
	s->nfresh = 0;
	if (s->fresh_cap > 1024) {
		free(s->fresh);
		s->fresh = NULL;
		s->fresh_cap = 0;
	}
}

static int
by_hash(const void *a, const void *b)
{
	const struct seen_id *x = a, *y = b;

	return x->id_hash < y->id_hash ? -1 : x->id_hash > y->id_hash;
}

/*
 * The fresh ids as a record lists them: by increasing hash, each once (an
 * id pruned, then added again, was appended twice: the later timestamp,
 * which a prune after the replay keeps longer, stays).
 */
static void
fresh_sort(struct stream_state *s)
{
	size_t i, w = 0;

	if (s->nfresh < 2)
		return;		/* also: no qsort of a NULL array */
	qsort(s->fresh, s->nfresh, sizeof(*s->fresh), by_hash);
	for (i = 0; i < s->nfresh; i++) {
		if (w > 0 && s->fresh[w - 1].id_hash == s->fresh[i].id_hash) {
			if (s->fresh[i].timestamp > s->fresh[w - 1].timestamp)
				s->fresh[w - 1].timestamp =
				    s->fresh[i].timestamp;
		} else
			s->fresh[w++] = s->fresh[i];
	}
	s->nfresh = w;
}

void
stream_seen_add(struct stream_state *s, int64_t timestamp, uint64_t id_hash)
{
	struct seen_id *tail;
	size_t nt, i;

	if (run_has(s->seen, s->seen_main, id_hash))
		return;
	if (s->nseen == s->seen_cap)
		seen_resize(s, s->seen_cap < 16 ? 16 :
		    s->seen_cap + s->seen_cap / 2);
	tail = s->seen + s->seen_main;
	nt = s->nseen - s->seen_main;
	i = lower_bound(tail, nt, id_hash);
	if (i < nt && tail[i].id_hash == id_hash)
		return;
	memmove(tail + i + 1, tail + i, (nt - i) * sizeof(*tail));
	tail[i].timestamp = timestamp;
	tail[i].id_hash = id_hash;
	s->nseen++;
	s->dirty = 1;
	fresh_add(s, timestamp, id_hash);
	if (nt + 1 >= tail_limit(s->seen_main))
		seen_merge(s);
}

size_t
stream_seen_prune(struct stream_state *s, int64_t horizon_ms)
{
	size_t i, w = 0, nmain = 0, removed;

	for (i = 0; i < s->nseen; i++) {
		if (i == s->seen_main)
			nmain = w;
		if (s->seen[i].timestamp >= horizon_ms)
			s->seen[w++] = s->seen[i];
	}
	if (s->seen_main >= s->nseen)
		nmain = w;
	if ((removed = s->nseen - w) == 0)
		return 0;
	s->nseen = w;
	s->seen_main = nmain;
	if (w == 0) {
		free(s->seen);
		s->seen = NULL;
		s->seen_cap = 0;
		s->dirty = 1;
	} else if (w < s->seen_cap / 4)
		seen_resize(s, w + w / 2);
	return removed;
}

void
stream_state_free(struct stream_state *s)
{
	free(s->name);
	free(s->seen);
	free(s->fresh);
	memset(s, 0, sizeof(*s));
}

/* ---- names ----------------------------------------------------------------- */

/* Bytes a name keeps as they are (a leading '.' excepted). */
static int
plain_byte(unsigned char c, int first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' ||
	    (c == '.' && !first);
}

static void
pct_encode(struct buf *out, const char *s, size_t len)
{
	static const char upper[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (plain_byte(c, i == 0))
			buf_addch(out, (char)c);
		else {
			buf_addch(out, '%');
			buf_addch(out, upper[c >> 4]);
			buf_addch(out, upper[c & 15]);
		}
	}
}

static int
upper_hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ?
	    c - 'A' + 10 : -1;
}

/*
 * Decode what pct_encode wrote, and only that: a %XX that did not need
 * encoding, lower-case hex or a NUL byte is refused. Returns 0, or -1
 * with the offset of the bad byte in *bad.
 */
static int
pct_decode(struct buf *out, const char *s, size_t len, size_t *bad)
{
	size_t i = 0, start = out->len;
	int hi, lo;

	while (i < len) {
		if (s[i] != '%') {
			if (!plain_byte((unsigned char)s[i], out->len == start))
				break;
			buf_addch(out, s[i++]);
			continue;
		}
		if (len - i < 3 || (hi = upper_hex(s[i + 1])) < 0 ||
		    (lo = upper_hex(s[i + 2])) < 0 || (hi == 0 && lo == 0) ||
		    plain_byte((unsigned char)(hi << 4 | lo), out->len == start))
			break;
		buf_addch(out, (char)(hi << 4 | lo));
		i += 3;
	}
	*bad = i;
	return i == len ? 0 : -1;
}

static void
add_hex(struct buf *out, uint64_t v, int digits)
{
	char tmp[16];
	int i;

	for (i = digits - 1; i >= 0; i--) {
		tmp[i] = hexdigits[v & 15];
		v >>= 4;
	}
	buf_add(out, tmp, (size_t)digits);
}

void
checkpoint_file_name(struct buf *out, const char *stream_name)
{
	size_t start = out->len, cut;

	if (*stream_name == '\0') {
		buf_addstr(out, "%00.ckpt");
		return;
	}
	pct_encode(out, stream_name, strlen(stream_name));
	if (out->len - start > CHECKPOINT_NAME_MAX) {
		/* A prefix that does not split a %XX, then the hash. */
		cut = start + CHECKPOINT_NAME_MAX - 17;
		if (out->data[cut - 1] == '%')
			cut -= 1;
		else if (out->data[cut - 2] == '%')
			cut -= 2;
		out->len = cut;
		buf_addch(out, '~');
		add_hex(out, checkpoint_id_hash(stream_name,
		    strlen(stream_name)), 16);
	}
	buf_addstr(out, ".ckpt");
}

/* ---- encoding -------------------------------------------------------------- */

static void
add_magic(struct buf *out, const char *kind)
{
	buf_addstr(out, "vpcflowd-");
	buf_addstr(out, kind);
	buf_addch(out, ' ');
	buf_add_u64(out, CHECKPOINT_VERSION);
	buf_addch(out, '\n');
}

static void
add_i64_line(struct buf *out, const char *key, int64_t v)
{
	buf_addstr(out, key);
	buf_addch(out, ' ');
	buf_add_i64(out, v);
	buf_addch(out, '\n');
}

static void
add_u64_line(struct buf *out, const char *key, uint64_t v)
{
	buf_addstr(out, key);
	buf_addch(out, ' ');
	buf_add_u64(out, v);
	buf_addch(out, '\n');
}

/* The trailer: the CRC-32 of everything from start. */
static void
add_trailer(struct buf *out, size_t start)
{
	uLong crc = crc32_z(0L, (const Bytef *)out->data + start,
	    out->len - start);

	buf_addstr(out, "crc32 ");
	add_hex(out, (uint64_t)crc, 8);
	buf_addch(out, '\n');
}

static void
add_id_line(struct buf *out, const struct seen_id *id)
{
	buf_add_i64(out, id->timestamp);
	buf_addch(out, ' ');
	add_hex(out, id->id_hash, 16);
	buf_addch(out, '\n');
}

/*
 * The lines a stream file and a journal record share: "key NAME" (key
 * "name" in the file, "stream" in a record), then the absolute values.
 */
static void
add_stream_values(struct buf *out, const char *key,
    const struct stream_state *s)
{
	const char *name = s->name != NULL ? s->name : "";

	buf_addstr(out, key);
	buf_addch(out, ' ');
	pct_encode(out, name, strlen(name));
	buf_addch(out, '\n');
	add_i64_line(out, "last_timestamp", s->last_timestamp);
	add_i64_line(out, "last_ingestion", s->last_ingestion);
	add_u64_line(out, "shipped", s->shipped);
}

void
checkpoint_encode_stream(struct buf *out, const struct stream_state *s)
{
	const struct seen_id *id;
	size_t start = out->len, i = 0, j = s->seen_main;

	add_magic(out, "stream");
	add_stream_values(out, "name", s);
	add_u64_line(out, "seen", s->nseen);
	buf_grow(out, s->nseen * 40);
	/* Both runs, merged: the file lists the ids by increasing hash. */
	while (i < s->seen_main || j < s->nseen) {
		if (j >= s->nseen || (i < s->seen_main &&
		    s->seen[i].id_hash < s->seen[j].id_hash))
			id = &s->seen[i++];
		else
			id = &s->seen[j++];
		add_id_line(out, id);
	}
	add_trailer(out, start);
}

/* The lines of a group file between its first line and its trailer. */
static void
add_group_body(struct buf *out, const struct group_state *g)
{
	int k, n = g->sched.nlevels > 0 ? g->sched.nlevels : 0;

	add_i64_line(out, "poll_ms", g->sched.poll_ms);
	add_u64_line(out, "levels", (uint64_t)n);
	for (k = 0; k < n && k < SCHEDULE_MAX_LEVELS; k++) {
		buf_addstr(out, "level ");
		buf_add_i64(out, g->sched.age_ms[k]);
		buf_addch(out, ' ');
		buf_add_i64(out, g->sched.pos_ms[k]);
		buf_addch(out, '\n');
	}
	add_u64_line(out, "shipped", g->shipped);
	add_u64_line(out, "rejected", g->rejected);
	add_u64_line(out, "parse_errors", g->parse_errors);
	add_u64_line(out, "duplicates", g->duplicates);
}

void
checkpoint_encode_group(struct buf *out, const struct group_state *g)
{
	size_t start = out->len;

	add_magic(out, "group");
	add_group_body(out, g);
	add_trailer(out, start);
}

/* A stream in a journal record: its absolute values, then ids[0..n). */
static void
add_record_stream(struct buf *out, const struct stream_state *s,
    const struct seen_id *ids, size_t n)
{
	size_t i;

	add_stream_values(out, "stream", s);
	add_u64_line(out, "added", n);
	buf_grow(out, n * 40);
	for (i = 0; i < n; i++)
		add_id_line(out, &ids[i]);
}

static void
add_record_group(struct buf *out, const struct group_state *g)
{
	buf_addstr(out, "group\n");
	add_group_body(out, g);
}

void
checkpoint_encode_journal_header(struct buf *out)
{
	add_magic(out, "journal");
}

void
checkpoint_encode_record(struct buf *out, const struct journal_record *r)
{
	size_t start = out->len, i;

	buf_addstr(out, "record\n");
	for (i = 0; i < r->nstreams; i++)
		add_record_stream(out, &r->streams[i], r->streams[i].seen,
		    r->streams[i].nseen);
	if (r->has_group)
		add_record_group(out, &r->group);
	add_trailer(out, start);
}

/* ---- decoding -------------------------------------------------------------- */

/* The body of a file between its version line and its trailer, line by line. */
struct cursor {
	const char	*p, *end;
	int		 line;
	struct buf	*err;
};

static int
fail(struct cursor *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(struct cursor *c, const char *fmt, ...)
{
	va_list ap;

	buf_printf(c->err, "line %d: ", c->line);
	va_start(ap, fmt);
	buf_vprintf(c->err, fmt, ap);
	va_end(ap);
	return -1;
}

/* Up to 40 bytes of s as a JSON string: one line, whatever the bytes. */
static void
add_excerpt(struct buf *b, const char *s, size_t n)
{
	buf_add_json_str(b, s, n > 40 ? 40 : n);
	if (n > 40)
		buf_addstr(b, "...");
}

static int
fail_value(struct cursor *c, const char *key, const char *v, size_t n,
    const char *what)
{
	fail(c, "%s: ", key);
	add_excerpt(c->err, v, n);
	buf_printf(c->err, " is %s", what);
	return -1;
}

/* The next line (without its newline: every body line has one). */
static int
next_line(struct cursor *c, const char *what, const char **v, size_t *n)
{
	const char *nl;

	c->line++;
	*v = c->p;
	*n = 0;
	if (c->p >= c->end)
		return fail(c, "%s missing: the file ends early", what);
	nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
	*n = (size_t)(nl - c->p);
	c->p = nl + 1;
	return 0;
}

/* The next line, which must be "key value": the value in *v, *n. */
static int
field(struct cursor *c, const char *key, const char **v, size_t *n)
{
	size_t klen = strlen(key);
	const char *line;
	size_t len;

	if (next_line(c, key, &line, &len) == -1)
		return -1;
	if (len < klen + 1 || memcmp(line, key, klen) != 0 ||
	    line[klen] != ' ') {
		fail(c, "expected \"%s\", found ", key);
		add_excerpt(c->err, line, len);
		return -1;
	}
	*v = line + klen + 1;
	*n = len - klen - 1;
	return 0;
}

/* Canonical unsigned decimal ("0" or no leading zero), no overflow. */
static int
parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0, d;
	size_t i;

	if (n == 0 || n > 20 || (s[0] == '0' && n > 1))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		d = (uint64_t)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* Canonical signed decimal in [min, max] (min >= -INT64_MAX). */
static int
parse_i64(const char *s, size_t n, int64_t min, int64_t max, int64_t *out)
{
	uint64_t v;
	int neg = n > 0 && s[0] == '-';

	if (parse_u64(s + neg, n - (size_t)neg, &v) == -1 ||
	    (neg && v == 0) || v > (uint64_t)INT64_MAX)
		return -1;
	*out = neg ? -(int64_t)v : (int64_t)v;
	return *out >= min && *out <= max ? 0 : -1;
}

/* Exactly digits lower-case hex digits. */
static int
parse_hex(const char *s, size_t n, size_t digits, uint64_t *out)
{
	uint64_t v = 0;
	const char *d;
	size_t i;

	if (n != digits)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] == '\0' || (d = strchr(hexdigits, s[i])) == NULL)
			return -1;
		v = v << 4 | (uint64_t)(d - hexdigits);
	}
	*out = v;
	return 0;
}

static int
field_i64(struct cursor *c, const char *key, int64_t min, int64_t max,
    int64_t *out)
{
	const char *v;
	size_t n;
	char what[80];

	if (field(c, key, &v, &n) == -1)
		return -1;
	if (parse_i64(v, n, min, max, out) == -1) {
		snprintf(what, sizeof(what), "not a number in %lld..%lld",
		    (long long)min, (long long)max);
		return fail_value(c, key, v, n, what);
	}
	return 0;
}

static int
field_u64(struct cursor *c, const char *key, uint64_t *out)
{
	const char *v;
	size_t n;

	if (field(c, key, &v, &n) == -1)
		return -1;
	if (parse_u64(v, n, out) == -1)
		return fail_value(c, key, v, n, "not a number");
	return 0;
}

/* Split "a b" at its only space. */
static int
split_pair(const char *v, size_t n, size_t *alen, const char **b,
    size_t *blen)
{
	const char *sp = memchr(v, ' ', n);

	if (sp == NULL)
		return -1;
	*alen = (size_t)(sp - v);
	*b = sp + 1;
	*blen = n - *alen - 1;
	return 0;
}

/*
 * Check the first line: magic, then version (so a newer file says so
 * rather than failing its checksum). Returns 0 with *body after it, or -1
 * after appending why.
 */
static int
check_first_line(const char *data, size_t len, const char *kind,
    const char *other, const char **body, struct buf *err)
{
	char magic[32], omagic[32];
	const char *v, *nl;
	size_t mlen, n;
	uint64_t version;

	if (len == 0) {
		buf_addstr(err, "empty file (truncated)");
		return -1;
	}
	mlen = (size_t)snprintf(magic, sizeof(magic), "vpcflowd-%s ", kind);
	if (len < mlen || memcmp(data, magic, mlen) != 0) {
		n = (size_t)snprintf(omagic, sizeof(omagic), "vpcflowd-%s ",
		    other);
		if (len >= n && memcmp(data, omagic, n) == 0)
			buf_printf(err, "this is a %s file, not a %s file",
			    other, kind);
		else if (len < mlen && memcmp(data, magic, len) == 0)
			buf_addstr(err, "truncated in its first line");
		else {
			buf_printf(err, "not a vpcflowd %s file: it starts "
			    "with ", kind);
			nl = memchr(data, '\n', len);
			add_excerpt(err, data, nl != NULL ?
			    (size_t)(nl - data) : len);
		}
		return -1;
	}
	v = data + mlen;
	if ((nl = memchr(v, '\n', len - mlen)) == NULL) {
		buf_addstr(err, "truncated in its first line");
		return -1;
	}
	if (parse_u64(v, (size_t)(nl - v), &version) == -1) {
		buf_addstr(err, "bad version ");
		add_excerpt(err, v, (size_t)(nl - v));
		return -1;
	}
	if (version != CHECKPOINT_VERSION) {
		buf_printf(err, "version %llu: this vpcflowd knows version %d "
		    "only (was it written by a newer vpcflowd?)",
		    (unsigned long long)version, CHECKPOINT_VERSION);
		return -1;
	}
	*body = nl + 1;
	return 0;
}

/*
 * Check what surrounds the body: first line, trailer, checksum, in that
 * order. Sets up c for the lines in between. Returns 0, or -1 after
 * appending why.
 */
static int
open_envelope(struct cursor *c, const char *data, size_t len,
    const char *kind, const char *other, struct buf *err)
{
	char trailer[TRAILER_LEN + 1];
	const char *body, *end;
	uint64_t want;
	uLong crc;

	c->err = err;
	c->line = 1;
	if (check_first_line(data, len, kind, other, &body, err) == -1)
		return -1;
	end = len - (size_t)(body - data) >= TRAILER_LEN ?
	    data + len - TRAILER_LEN : NULL;
	if (end == NULL || memcmp(end, "crc32 ", 6) != 0 ||
	    end[-1] != '\n' || data[len - 1] != '\n' ||
	    parse_hex(end + 6, 8, 8, &want) == -1) {
		buf_addstr(err, "truncated or damaged: its last line is not "
		    "the \"crc32\" line that ends every checkpoint file");
		return -1;
	}
	crc = crc32_z(0L, (const Bytef *)data, (size_t)(end - data));
	if ((uint64_t)crc != want) {
		memcpy(trailer, end + 6, 8);
		trailer[8] = '\0';
		buf_printf(err, "checksum mismatch (the file says %s, its "
		    "content has %08lx): the file is damaged", trailer,
		    (unsigned long)crc);
		return -1;
	}
	c->p = body;
	c->end = end;
	return 0;
}

/* Nothing may follow the last field. */
static int
close_envelope(struct cursor *c)
{
	const char *v;
	size_t n;

	if (c->p >= c->end)
		return 0;
	next_line(c, "", &v, &n);
	fail(c, "unexpected ");
	add_excerpt(c->err, v, n);
	buf_addstr(c->err, " after the last field");
	return -1;
}

/*
 * The ids after the line key ("seen", or "added" in a record): n lines
 * "timestamp hash", hashes increasing.
 */
static int
decode_seen(struct cursor *c, struct stream_state *s, const char *key,
    uint64_t n)
{
	const char *v, *h;
	size_t len, tlen, hlen;
	uint64_t i;
	struct seen_id *id;
	char what[16];

	if (n > (uint64_t)(c->end - c->p) / SEEN_LINE_MIN)
		return fail(c, "%s: %llu ids announced, the file is too "
		    "short for them", key, (unsigned long long)n);
	if (n == 0)
		return 0;
	snprintf(what, sizeof(what), "%s id", key);
	seen_resize(s, (size_t)n);
	for (i = 0; i < n; i++) {
		if (next_line(c, what, &v, &len) == -1)
			return -1;
		id = &s->seen[i];
		if (split_pair(v, len, &tlen, &h, &hlen) == -1 ||
		    parse_i64(v, tlen, 0, MAX_TIME_MS, &id->timestamp) == -1 ||
		    parse_hex(h, hlen, 16, &id->id_hash) == -1)
			return fail_value(c, what, v, len, "not "
			    "\"TIMESTAMP HASH\" (decimal ms, 16 hex digits)");
		if (i > 0 && id->id_hash <= s->seen[i - 1].id_hash)
			return fail_value(c, what, v, len, "out of "
			    "order (hashes increase)");
		s->nseen = s->seen_main = (size_t)i + 1;
	}
	return 0;
}

/* The line "key NAME", NAME percent-encoded: the name into *out. */
static int
field_name(struct cursor *c, const char *key, char **out)
{
	struct buf name = BUF_INIT;
	const char *v;
	size_t n, bad;

	if (field(c, key, &v, &n) == -1)
		return -1;
	if (pct_decode(&name, v, n, &bad) == -1) {
		fail(c, "%s: bad percent-encoding at byte %zu of ", key,
		    bad + 1);
		add_excerpt(c->err, v, n);
		buf_free(&name);
		return -1;
	}
	*out = buf_detach(&name);
	return 0;
}

int
checkpoint_decode_stream(struct stream_state *s, const char *data,
    size_t len, struct buf *err)
{
	struct cursor c;
	uint64_t nseen;

	memset(s, 0, sizeof(*s));
	if (open_envelope(&c, data, len, "stream", "group", err) == -1 ||
	    field_name(&c, "name", &s->name) == -1)
		goto fail;
	if (field_i64(&c, "last_timestamp", -1, MAX_TIME_MS,
	    &s->last_timestamp) == -1 ||
	    field_i64(&c, "last_ingestion", -1, MAX_TIME_MS,
	    &s->last_ingestion) == -1 ||
	    field_u64(&c, "shipped", &s->shipped) == -1 ||
	    field_u64(&c, "seen", &nseen) == -1 ||
	    decode_seen(&c, s, "seen", nseen) == -1 ||
	    close_envelope(&c) == -1)
		goto fail;
	return 0;
fail:
	stream_state_free(s);
	return -1;
}

/* The levels of a group file: ages increasing, positions in time. */
static int
decode_levels(struct cursor *c, struct schedule *sc)
{
	const char *v, *p;
	size_t n, alen, plen;
	uint64_t nlevels;
	int k;

	if (field_i64(c, "poll_ms", 1, MAX_POLL_MS, &sc->poll_ms) == -1 ||
	    field_u64(c, "levels", &nlevels) == -1)
		return -1;
	if (nlevels < 1 || nlevels > SCHEDULE_MAX_LEVELS)
		return fail(c, "levels: %llu is not in 1..%d",
		    (unsigned long long)nlevels, SCHEDULE_MAX_LEVELS);
	sc->nlevels = (int)nlevels;
	for (k = 0; k < sc->nlevels; k++) {
		if (field(c, "level", &v, &n) == -1)
			return -1;
		if (split_pair(v, n, &alen, &p, &plen) == -1 ||
		    parse_i64(v, alen, 0, MAX_AGE_MS, &sc->age_ms[k]) == -1 ||
		    parse_i64(p, plen, 0, MAX_TIME_MS, &sc->pos_ms[k]) == -1)
			return fail_value(c, "level", v, n, "not \"AGE_MS "
			    "POSITION_MS\"");
		if (k > 0 && sc->age_ms[k] <= sc->age_ms[k - 1])
			return fail_value(c, "level", v, n, "out of order "
			    "(ages increase)");
	}
	return 0;
}

/* The lines of a group file between its first line and its trailer. */
static int
decode_group_body(struct cursor *c, struct group_state *d)
{
	memset(d, 0, sizeof(*d));
	if (decode_levels(c, &d->sched) == -1 ||
	    field_u64(c, "shipped", &d->shipped) == -1 ||
	    field_u64(c, "rejected", &d->rejected) == -1 ||
	    field_u64(c, "parse_errors", &d->parse_errors) == -1 ||
	    field_u64(c, "duplicates", &d->duplicates) == -1)
		return -1;
	return 0;
}

int
checkpoint_decode_group(struct group_state *g, const char *data, size_t len,
    struct buf *err)
{
	struct group_state d;
	struct cursor c;

	if (open_envelope(&c, data, len, "group", "stream", err) == -1 ||
	    decode_group_body(&c, &d) == -1 || close_envelope(&c) == -1)
		return -1;
	if (g->sched.nlevels > 0)
		schedule_reconfigure(&d.sched, &g->sched);
	*g = d;
	return 0;
}

/* ---- the journal ----------------------------------------------------------- */

static void
record_free(struct journal_record *r)
{
	size_t i;

	for (i = 0; i < r->nstreams; i++)
		stream_state_free(&r->streams[i]);
	free(r->streams);
	memset(r, 0, sizeof(*r));
}

static int
by_state_name(const void *a, const void *b)
{
	const struct stream_state *x = *(const struct stream_state *const *)a;
	const struct stream_state *y = *(const struct stream_state *const *)b;

	return strcmp(x->name, y->name);
}

/* No stream twice in a record. Returns 0, or -1 after saying which. */
static int
check_unique(struct cursor *c, const struct journal_record *r, int line)
{
	const struct stream_state **v;
	size_t i;
	int rc = 0;

	if (r->nstreams < 2)
		return 0;
	if ((v = reallocarray(NULL, r->nstreams, sizeof(*v))) == NULL)
		fatal("out of memory");
	for (i = 0; i < r->nstreams; i++)
		v[i] = &r->streams[i];
	qsort(v, r->nstreams, sizeof(*v), by_state_name);
	for (i = 1; i < r->nstreams && rc == 0; i++)
		if (strcmp(v[i - 1]->name, v[i]->name) == 0) {
			c->line = line;
			rc = fail(c, "the record names log stream ");
			buf_add_json_str(c->err, v[i]->name,
			    strlen(v[i]->name));
			buf_addstr(c->err, " twice");
		}
	free(v);
	return rc;
}

/* A stream of a record; s is initialized here. */
static int
decode_record_stream(struct cursor *c, struct stream_state *s)
{
	uint64_t n;

	memset(s, 0, sizeof(*s));
	if (field_name(c, "stream", &s->name) == -1 ||
	    field_i64(c, "last_timestamp", -1, MAX_TIME_MS,
	    &s->last_timestamp) == -1 ||
	    field_i64(c, "last_ingestion", -1, MAX_TIME_MS,
	    &s->last_ingestion) == -1 ||
	    field_u64(c, "shipped", &s->shipped) == -1 ||
	    field_u64(c, "added", &n) == -1)
		return -1;
	return decode_seen(c, s, "added", n);
}

/*
 * One record, strictly, from the cursor's lines (its "crc32" line checked
 * and left out). Returns 0, or -1 after appending why; r is for
 * record_free either way.
 */
static int
decode_record(struct cursor *c, struct journal_record *r)
{
	struct stream_state *p;
	const char *v;
	size_t n, cap = 0;
	int first = c->line + 1;

	if (next_line(c, "record", &v, &n) == -1)
		return -1;
	if (n != 6 || memcmp(v, "record", 6) != 0) {
		fail(c, "expected \"record\", found ");
		add_excerpt(c->err, v, n);
		return -1;
	}
	while (c->p < c->end) {
		if (c->end - c->p >= 6 && memcmp(c->p, "group\n", 6) == 0) {
			c->p += 6;
			c->line++;
			if (decode_group_body(c, &r->group) == -1)
				return -1;
			r->has_group = 1;
			break;
		}
		if (r->nstreams == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = reallocarray(r->streams, cap,
			    sizeof(*p))) == NULL)
				fatal("out of memory");
			r->streams = p;
		}
		if (decode_record_stream(c, &r->streams[r->nstreams++]) == -1)
			return -1;
	}
	if (close_envelope(c) == -1)
		return -1;
	if (r->nstreams == 0 && !r->has_group) {
		c->line = first;
		return fail(c, "empty record (neither a stream nor the group)");
	}
	return check_unique(c, r, first);
}

/*
 * Where the record starting at data[start] ends: its "crc32" line at
 * *crc, the record's end at *end, lines counted into *lines. Returns 1,
 * or 0 when the bytes end first; *inner says another "record" line came
 * before (the record is damaged, not torn).
 */
static int
find_record_end(const char *data, size_t len, size_t start, size_t *crc,
    size_t *end, int *lines, int *inner)
{
	const char *nl;
	size_t pos = start, l;

	*inner = 0;
	while (pos < len && (nl = memchr(data + pos, '\n', len - pos)) != NULL) {
		l = (size_t)(nl - (data + pos));
		(*lines)++;
		if (l >= 6 && memcmp(data + pos, "crc32 ", 6) == 0) {
			*crc = pos;
			*end = pos + l + 1;
			return 1;
		}
		if (pos != start && l == 6 && memcmp(data + pos, "record",
		    6) == 0)
			*inner = 1;
		pos += l + 1;
	}
	return 0;
}

int
checkpoint_decode_journal(const char *data, size_t len, size_t *good_len,
    int (*fn)(void *arg, const struct journal_record *r), void *arg,
    struct buf *err)
{
	struct journal_record r;
	struct cursor c;
	const char *body;
	size_t pos, crc = 0, end = 0;
	uint64_t want;
	int line = 1, first, inner, found, rc;

	*good_len = 0;
	if (check_first_line(data, len, "journal", "stream", &body,
	    err) == -1)
		return -1;
	pos = *good_len = (size_t)(body - data);
	while (pos < len) {
		first = line + 1;
		found = find_record_end(data, len, pos, &crc, &end, &line,
		    &inner);
		if (!found || end - crc != TRAILER_LEN ||
		    parse_hex(data + crc + 6, 8, 8, &want) == -1 ||
		    want != (uint64_t)crc32_z(0L, (const Bytef *)data + pos,
		    crc - pos)) {
			if (inner)
				buf_printf(err, "line %d: a record without "
				    "its \"crc32\" line before the next one",
				    first);
			else if (found && end < len)
				buf_printf(err, "line %d: a record with a "
				    "damaged \"crc32\" line or checksum, "
				    "followed by more", first);
			else
				return 0;	/* torn: dropped */
			return -1;
		}
		memset(&r, 0, sizeof(r));
		c.p = data + pos;
		c.end = data + crc;
		c.line = first - 1;
		c.err = err;
		r.off = pos;
		r.len = end - pos;
		if ((rc = decode_record(&c, &r)) == 0)
			rc = fn(arg, &r);
		record_free(&r);
		if (rc == -1)
			return -1;
		pos = *good_len = end;
	}
	return 0;
}

/* ---- the store ------------------------------------------------------------- */

struct entry {
	struct stream_state	 s;	/* first: an entry is found from &e->s */
	char			*file;	/* its file name in streams/ */
	int			 written;	/* renamed in this sync, not yet durable */
	int			 unsaved;	/* journaled since its file was written */
};

struct checkpoint_store {
	char		*dir;		/* state_dir */
	struct group_state group;
	struct buf	 group_file;	/* group.state as last read or written */
	struct buf	 group_journaled;	/* as last journaled or written */
	struct entry	**slot;		/* open addressing, linear probing */
	size_t		 nslot, count;
	int		 lock_fd;
	int		 fail_errno;	/* checkpoint_inject_error */
	int		 journal_fd;	/* open for appending; -1: not yet */
	size_t		 journal_len;	/* its good length */
	size_t		 journal_max;	/* compaction past this */
	int		 need_compact;	/* the next sync compacts */
};

static void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n, size)) == NULL)
		fatal("out of memory");
	return p;
}

static struct entry **
find_slot(struct checkpoint_store *st, const char *name)
{
	size_t mask = st->nslot - 1;
	size_t i = (size_t)mem_hash(name, strlen(name)) & mask;

	while (st->slot[i] != NULL && strcmp(st->slot[i]->s.name, name) != 0)
		i = (i + 1) & mask;
	return &st->slot[i];
}

/*
 * Move the entries into a fresh table of nslot slots: linear probing needs
 * it to grow, and to close the gaps of entries taken out.
 */
static void
table_rebuild(struct checkpoint_store *st, size_t nslot)
{
	struct entry **old = st->slot;
	size_t i, n = st->nslot;

	st->nslot = nslot;
	st->slot = xcalloc(st->nslot, sizeof(*st->slot));
	for (i = 0; i < n; i++)
		if (old[i] != NULL)
			*find_slot(st, old[i]->s.name) = old[i];
	free(old);
}

/* Add e (whose name is not in the table), doubling the table past half full. */
static void
insert_entry(struct checkpoint_store *st, struct entry *e)
{
	if (st->count + 1 > st->nslot / 2)
		table_rebuild(st, st->nslot ? st->nslot * 2 : 64);
	*find_slot(st, e->s.name) = e;
	st->count++;
}

static void
entry_free(struct entry *e)
{
	stream_state_free(&e->s);
	free(e->file);
	free(e);
}

static struct checkpoint_store *
store_new(const char *state_dir)
{
	struct checkpoint_store *st = xcalloc(1, sizeof(*st));

	st->dir = buf_strdup(state_dir);
	st->lock_fd = -1;
	st->journal_fd = -1;
	st->journal_max = CHECKPOINT_JOURNAL_MAX;
	buf_init(&st->group_file);
	buf_init(&st->group_journaled);
	st->nslot = 64;
	st->slot = xcalloc(st->nslot, sizeof(*st->slot));
	return st;
}

void
checkpoint_close(struct checkpoint_store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nslot; i++)
		if (st->slot[i] != NULL)
			entry_free(st->slot[i]);
	free(st->slot);
	buf_free(&st->group_file);
	buf_free(&st->group_journaled);
	if (st->journal_fd != -1)
		close(st->journal_fd);
	if (st->lock_fd != -1)
		close(st->lock_fd);
	free(st->dir);
	free(st);
}

struct group_state *
checkpoint_group(struct checkpoint_store *st)
{
	return &st->group;
}

/* The entry of a stream; a new one (empty, not dirty) when *created. */
static struct entry *
get_entry(struct checkpoint_store *st, const char *name, int *created)
{
	struct entry **slot = find_slot(st, name), *e;
	struct buf file = BUF_INIT;

	if ((*created = *slot == NULL) == 0)
		return *slot;
	e = xcalloc(1, sizeof(*e));
	e->s.name = buf_strdup(name);
	e->s.last_timestamp = e->s.last_ingestion = -1;
	checkpoint_file_name(&file, name);
	e->file = buf_detach(&file);
	insert_entry(st, e);
	return e;
}

struct stream_state *
checkpoint_stream(struct checkpoint_store *st, const char *name)
{
	int created;
	struct entry *e = get_entry(st, name, &created);

	if (created)
		e->s.dirty = 1;
	return &e->s;
}

void
checkpoint_foreach(struct checkpoint_store *st,
    void (*fn)(void *arg, struct stream_state *s), void *arg)
{
	size_t i;

	for (i = 0; i < st->nslot; i++)
		if (st->slot[i] != NULL)
			fn(arg, &st->slot[i]->s);
}

void
checkpoint_inject_error(struct checkpoint_store *st, int errnum)
{
	st->fail_errno = errnum;
}

void
checkpoint_set_journal_max(struct checkpoint_store *st, size_t max)
{
	st->journal_max = max;
}

/* ---- loading --------------------------------------------------------------- */

/*
 * Read and decode one stream file into the table. Returns 0, or -1 after
 * appending one line to err naming the file and the way out.
 */
static int
load_stream(struct checkpoint_store *st, const char *name, struct buf *err)
{
	struct buf data = BUF_INIT, path = BUF_INIT, why = BUF_INIT;
	struct entry *e = NULL, **slot;
	int rc = -1;

	buf_printf(&path, "%s/streams/%s", st->dir, name);
	if (buf_read_file(&data, path.data) == -1) {
		buf_printf(&why, "cannot read it: %s", strerror(errno));
		goto out;
	}
	e = xcalloc(1, sizeof(*e));
	if (checkpoint_decode_stream(&e->s, data.data, data.len, &why) == -1)
		goto out;
	if (*(slot = find_slot(st, e->s.name)) != NULL) {
		buf_addstr(&why, "it holds log stream ");
		buf_add_json_str(&why, e->s.name, strlen(e->s.name));
		buf_printf(&why, ", and so does %s/streams/%s", st->dir,
		    (*slot)->file);
		goto out;
	}
	e->file = buf_strdup(name);
	insert_entry(st, e);
	e = NULL;
	rc = 0;
out:
	if (rc == -1)
		buf_printf(err, "%s: %s; %s\n", path.data, why.data,
		    WAY_OUT_STREAM);
	if (e != NULL)
		entry_free(e);
	buf_free(&data);
	buf_free(&path);
	buf_free(&why);
	return rc;
}

/*
 * Remove what a crash left: temporary files of interrupted writes, which
 * never replaced a checkpoint. Returns 0, or -1 after appending why.
 */
static int
remove_temporary(const char *dir, const char *name, struct buf *err)
{
	struct buf path = BUF_INIT;
	int rc = 0;

	buf_printf(&path, "%s/%s", dir, name);
	if (unlink(path.data) == -1 && errno != ENOENT) {
		buf_printf(err, "%s: cannot remove this temporary file: %s\n",
		    path.data, strerror(errno));
		rc = -1;
	} else
		log_info("%s: removed a temporary file left by an interrupted "
		    "write", path.data);
	buf_free(&path);
	return rc;
}

/*
 * Load every stream file. cleanup: remove temporary files, stop at the
 * first bad file (the daemon); else go on and report each (--status).
 * Returns the number of bad files (-1: the directory cannot be read).
 */
static int
load_streams(struct checkpoint_store *st, int cleanup, struct buf *err)
{
	struct buf dir = BUF_INIT;
	struct dirent *de;
	DIR *d;
	size_t n;
	int bad = 0;

	buf_printf(&dir, "%s/streams", st->dir);
	if ((d = opendir(dir.data)) == NULL) {
		if (errno == ENOENT && !cleanup) {
			buf_free(&dir);
			return 0;
		}
		buf_printf(err, "%s: cannot read the directory: %s\n",
		    dir.data, strerror(errno));
		buf_free(&dir);
		return -1;
	}
	while (bad == 0 || !cleanup) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				buf_printf(err, "%s: cannot read the "
				    "directory: %s\n", dir.data,
				    strerror(errno));
				bad = -1;
			}
			break;
		}
		n = strlen(de->d_name);
		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
			if (cleanup && remove_temporary(dir.data, de->d_name,
			    err) == -1)
				bad++;
		} else if (de->d_name[0] != '.' && n > 5 &&
		    strcmp(de->d_name + n - 5, ".ckpt") == 0) {
			if (load_stream(st, de->d_name, err) == -1)
				bad++;
		}
	}
	closedir(d);
	buf_free(&dir);
	return bad;
}

/*
 * Read group.state into st->group (none: no levels). Returns 0, or -1 after
 * appending a line naming the file and the way out.
 */
static int
load_group(struct checkpoint_store *st, struct buf *err)
{
	struct buf path = BUF_INIT, why = BUF_INIT;
	int rc = 0;

	buf_printf(&path, "%s/%s", st->dir, GROUP_FILE);
	if (buf_read_file(&st->group_file, path.data) == -1) {
		if (errno != ENOENT) {
			buf_printf(&why, "cannot read it: %s", strerror(errno));
			rc = -1;
		}
		buf_reset(&st->group_file);
	} else if (checkpoint_decode_group(&st->group, st->group_file.data,
	    st->group_file.len, &why) == -1) {
		buf_reset(&st->group_file);
		rc = -1;
	}
	if (rc == -1)
		buf_printf(err, "%s: %s; %s\n", path.data, why.data,
		    WAY_OUT_GROUP);
	buf_free(&path);
	buf_free(&why);
	return rc;
}

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

/*
 * Replay one record over the store: the larger shipped, the later
 * last_timestamp, the union of the ids; the group's levels and positions
 * replaced, its totals the larger. Idempotent.
 */
static int
apply_record(void *arg, const struct journal_record *r)
{
	struct checkpoint_store *st = arg;
	const struct stream_state *rs;
	struct stream_state *s;
	struct entry *e;
	struct group_state *g = &st->group;
	size_t i, k;
	int created;

	for (i = 0; i < r->nstreams; i++) {
		rs = &r->streams[i];
		e = get_entry(st, rs->name, &created);
		s = &e->s;
		s->shipped = max_u64(s->shipped, rs->shipped);
		if (rs->last_timestamp > s->last_timestamp) {
			s->last_timestamp = rs->last_timestamp;
			s->last_ingestion = rs->last_ingestion;
		}
		for (k = 0; k < rs->nseen; k++)
			stream_seen_add(s, rs->seen[k].timestamp,
			    rs->seen[k].id_hash);
		s->dirty = 0;
		fresh_clear(s);
		e->unsaved = 1;
	}
	if (r->has_group) {
		g->sched = r->group.sched;
		g->shipped = max_u64(g->shipped, r->group.shipped);
		g->rejected = max_u64(g->rejected, r->group.rejected);
		g->parse_errors = max_u64(g->parse_errors,
		    r->group.parse_errors);
		g->duplicates = max_u64(g->duplicates, r->group.duplicates);
		buf_reset(&st->group_journaled);
		checkpoint_encode_group(&st->group_journaled, g);
	}
	st->need_compact = 1;	/* the files are behind: the first sync writes them */
	return 0;
}

/*
 * Replay state_dir/journal over what the files hold (none is fine). quiet
 * (--status): a torn last record is dropped without a notice. Returns 0,
 * or -1 after appending a line naming the journal and the way out (the
 * records before a damaged one stay replayed).
 */
static int
load_journal(struct checkpoint_store *st, int quiet, struct buf *err)
{
	struct buf path = BUF_INIT, data = BUF_INIT, why = BUF_INIT;
	size_t good = 0;
	int rc = 0;

	buf_reset(&st->group_journaled);
	if (st->group_file.len > 0)
		buf_add(&st->group_journaled, st->group_file.data,
		    st->group_file.len);
	buf_printf(&path, "%s/%s", st->dir, JOURNAL_FILE);
	if (buf_read_file(&data, path.data) == -1) {
		if (errno != ENOENT) {
			buf_printf(&why, "cannot read it: %s", strerror(errno));
			rc = -1;
		}
		st->need_compact = 1;	/* the first sync creates it */
	} else if (checkpoint_decode_journal(data.data, data.len, &good,
	    apply_record, st, &why) == -1)
		rc = -1;
	else if (good < data.len) {
		if (!quiet)
			log_notice("%s: its last record is torn (vpcflowd "
			    "stopped while appending it) and is dropped: the "
			    "records of that batch are shipped again",
			    path.data);
		st->need_compact = 1;
	}
	st->journal_len = good;
	if (rc == -1)
		buf_printf(err, "%s: %s; %s\n", path.data, why.data,
		    WAY_OUT_JOURNAL);
	buf_free(&path);
	buf_free(&data);
	buf_free(&why);
	return rc;
}

/* mkdir -p with mode 0700 for what is created. Returns 0, or -1 (errno). */
static int
make_dirs(const char *path)
{
	struct buf p = BUF_INIT;
	size_t i;
	int rc = 0, saved = 0;
	char c;

	buf_addstr(&p, path);
	for (i = 1; i <= p.len && rc == 0; i++) {
		if (i < p.len && p.data[i] != '/')
			continue;
		c = p.data[i];
		p.data[i] = '\0';
		if (mkdir(p.data, 0700) == -1 && errno != EEXIST) {
			saved = errno;
			rc = -1;
		}
		p.data[i] = c;
	}
	buf_free(&p);
	errno = saved;
	return rc;
}

/* The lock: one daemon per state_dir. Returns 0, or -1 after saying why. */
static int
take_lock(struct checkpoint_store *st, struct buf *err)
{
	struct buf path = BUF_INIT;
	int rc = -1;

	buf_printf(&path, "%s/%s", st->dir, LOCK_FILE);
	if ((st->lock_fd = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC,
	    0600)) == -1)
		buf_printf(err, "%s: cannot open the lock file: %s\n",
		    path.data, strerror(errno));
	else if (flock(st->lock_fd, LOCK_EX | LOCK_NB) == -1)
		buf_printf(err, "%s: %s\n", st->dir, errno == EWOULDBLOCK ?
		    "in use by another vpcflowd (it holds the lock file)" :
		    strerror(errno));
	else
		rc = 0;
	buf_free(&path);
	return rc;
}

/* Remove temporary files a crash left in state_dir itself. */
static int
clean_state_dir(const char *state_dir, struct buf *err)
{
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = opendir(state_dir)) == NULL) {
		buf_printf(err, "%s: cannot read the directory: %s\n",
		    state_dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0 &&
		    remove_temporary(state_dir, de->d_name, err) == -1)
			rc = -1;
	closedir(d);
	return rc;
}

struct checkpoint_store *
checkpoint_open(const char *state_dir, struct buf *err)
{
	struct checkpoint_store *st = store_new(state_dir);
	struct buf streams = BUF_INIT;
	int ok = 0;

	buf_printf(&streams, "%s/streams", state_dir);
	if (make_dirs(streams.data) == -1)
		buf_printf(err, "%s: cannot create the directory: %s\n",
		    streams.data, strerror(errno));
	else if (take_lock(st, err) == 0 && clean_state_dir(state_dir,
	    err) == 0 && load_group(st, err) == 0 &&
	    load_streams(st, 1, err) == 0 && load_journal(st, 0, err) == 0)
		ok = 1;
	buf_free(&streams);
	/* One line, without its newline, is what callers print. */
	if (!ok && err->len > 0 && err->data[err->len - 1] == '\n')
		err->data[--err->len] = '\0';
	if (!ok) {
		checkpoint_close(st);
		return NULL;
	}
	return st;
}

/* ---- writing --------------------------------------------------------------- */

static int
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/*
 * dir/name := data, atomically: dir/.tmp-name written, fsynced and renamed
 * over it (the caller fsyncs dir). Returns 0, or -1 with errno and "PATH:
 * step: strerror" in err; the temporary file is removed.
 */
static int
write_file(struct checkpoint_store *st, const char *dir, const char *name,
    const struct buf *data, struct buf *err)
{
	struct buf tmp = BUF_INIT, path = BUF_INIT;
	const char *step = "create";
	int fd, saved = 0;

	buf_printf(&tmp, "%s/%s%s", dir, TMP_PREFIX, name);
	buf_printf(&path, "%s/%s", dir, name);
	if ((fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		saved = errno;
		goto out;
	}
	if (st->fail_errno != 0) {
		step = "write";
		errno = st->fail_errno;
	} else if ((step = "write", write_all(fd, data->data,
	    data->len) == 0) && (step = "fsync", fsync(fd) == 0)) {
		step = "close";
		if (close(fd) == 0 && (step = "rename", rename(tmp.data,
		    path.data) == 0))
			goto out;
		fd = -1;
	}
	saved = errno;
	if (fd != -1)
		close(fd);
	unlink(tmp.data);
out:
	if (saved != 0)
		buf_printf(err, "%s: %s: %s", path.data, step,
		    strerror(saved));
	buf_free(&tmp);
	buf_free(&path);
	errno = saved;
	return saved != 0 ? -1 : 0;
}

/* fsync a directory, so the renames in it last. Returns 0, or -1 as above. */
static int
sync_dir(const char *dir, struct buf *err)
{
	int fd, saved;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    (fsync(fd) == -1 && errno != EINVAL)) {
		saved = errno;
		buf_printf(err, "%s: fsync of the directory: %s", dir,
		    strerror(saved));
		if (fd != -1)
			close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 0;
}

/*
 * After the stream files of a compaction: what was written is clean (in
 * its file for good) if the directory fsync went through.
 */
static void
finish_written(struct checkpoint_store *st, int ok)
{
	struct entry *e;
	size_t i;

	for (i = 0; i < st->nslot; i++)
		if ((e = st->slot[i]) != NULL && e->written) {
			e->written = 0;
			if (ok) {
				e->s.dirty = e->unsaved = 0;
				fresh_clear(&e->s);
			}
		}
}

/*
 * Replace the journal by its first line alone, durably, and open it for
 * appending. Returns 0, or -1 as write_file.
 */
static int
journal_reset(struct checkpoint_store *st, struct buf *err)
{
	struct buf head = BUF_INIT, path = BUF_INIT;
	int rc = -1, fd;

	checkpoint_encode_journal_header(&head);
	buf_printf(&path, "%s/%s", st->dir, JOURNAL_FILE);
	if (st->journal_fd != -1) {
		close(st->journal_fd);
		st->journal_fd = -1;
	}
	if (write_file(st, st->dir, JOURNAL_FILE, &head, err) == 0 &&
	    sync_dir(st->dir, err) == 0) {
		if ((fd = open(path.data, O_WRONLY | O_APPEND | O_CLOEXEC |
		    O_NOFOLLOW)) == -1)
			buf_printf(err, "%s: open: %s", path.data,
			    strerror(errno));
		else {
			st->journal_fd = fd;
			st->journal_len = head.len;
			rc = 0;
		}
	}
	buf_free(&head);
	buf_free(&path);
	return rc;
}

size_t
checkpoint_forget_idle(struct checkpoint_store *st, int64_t before_ms)
{
	struct buf path = BUF_INIT;
	struct entry *e;
	size_t i, gone = 0;

	for (i = 0; i < st->nslot; i++) {
		if ((e = st->slot[i]) == NULL || e->s.nseen > 0 ||
		    e->s.last_timestamp >= before_ms)
			continue;
		buf_reset(&path);
		buf_printf(&path, "%s/streams/%s", st->dir, e->file);
		if (unlink(path.data) == -1 && errno != ENOENT)
			continue;
		entry_free(e);
		st->slot[i] = NULL;
		gone++;
	}
	buf_free(&path);
	if (gone > 0) {
		st->count -= gone;
		table_rebuild(st, st->nslot);
	}
	return gone;
}

int
checkpoint_compact(struct checkpoint_store *st, struct buf *err)
{
	struct buf data = BUF_INIT, dir = BUF_INIT, swap;
	struct entry *e;
	size_t i;
	int rc = -1, saved;

	st->need_compact = 1;	/* until it went through */
	buf_printf(&dir, "%s/streams", st->dir);
	for (i = 0; i < st->nslot; i++) {
		if ((e = st->slot[i]) == NULL || !(e->s.dirty || e->unsaved))
			continue;
		buf_reset(&data);
		checkpoint_encode_stream(&data, &e->s);
		if (write_file(st, dir.data, e->file, &data, err) == -1)
			goto out;
		e->written = 1;
	}
	/* Always: renames a killed compaction left are made durable too. */
	if (sync_dir(dir.data, err) == -1)
		goto out;
	finish_written(st, 1);
	if (st->group.sched.nlevels > 0) {
		buf_reset(&data);
		checkpoint_encode_group(&data, &st->group);
		if (data.len != st->group_file.len || memcmp(data.data,
		    st->group_file.data, data.len) != 0) {
			if (write_file(st, st->dir, GROUP_FILE, &data,
			    err) == -1 || sync_dir(st->dir, err) == -1)
				goto out;
			swap = st->group_file;
			st->group_file = data;
			data = swap;
		}
		buf_reset(&st->group_journaled);
		buf_add(&st->group_journaled, st->group_file.data,
		    st->group_file.len);
	}
	/* Only now may the records go: the files hold all they said. */
	if (journal_reset(st, err) == -1)
		goto out;
	st->need_compact = 0;
	rc = 0;
out:
	saved = errno;
	finish_written(st, 0);
	buf_free(&data);
	buf_free(&dir);
	errno = saved;
	return rc;
}

/*
 * The first sync after open appends to the journal the load read: opened
 * once, checked to be what was read, its directory entry made durable (a
 * killed compaction may have renamed it without the directory fsync).
 * Returns 0 (need_compact set when it is gone or changed), or -1 as
 * sync_dir.
 */
static int
journal_reopen(struct checkpoint_store *st, struct buf *err)
{
	struct buf path = BUF_INIT;
	struct stat sb;
	int fd;

	buf_printf(&path, "%s/%s", st->dir, JOURNAL_FILE);
	fd = open(path.data, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW);
	buf_free(&path);
	if (fd == -1 || fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode) ||
	    (size_t)sb.st_size != st->journal_len) {
		if (fd != -1)
			close(fd);
		st->need_compact = 1;
		return 0;
	}
	if (sync_dir(st->dir, err) == -1) {
		close(fd);
		return -1;
	}
	st->journal_fd = fd;
	return 0;
}

/*
 * Append a record: one write, one fdatasync. On failure the journal is
 * cut back to its good length and the next sync compacts. Returns 0, or
 * -1 with errno and "PATH: step: strerror" in err.
 */
static int
journal_append(struct checkpoint_store *st, const struct buf *rec,
    struct buf *err)
{
	const char *step = "write";
	int saved;

	if (st->fail_errno != 0)
		errno = st->fail_errno;
	else if (write_all(st->journal_fd, rec->data, rec->len) == 0 &&
	    (step = "fdatasync", fdatasync(st->journal_fd) == 0)) {
		st->journal_len += rec->len;
		return 0;
	}
	saved = errno;
	if (ftruncate(st->journal_fd, (off_t)st->journal_len) == -1)
		log_warnx("%s/%s: cannot cut off a failed append: %s (the "
		    "next sync replaces the file)", st->dir, JOURNAL_FILE,
		    strerror(errno));
	st->need_compact = 1;
	buf_printf(err, "%s/%s: %s: %s", st->dir, JOURNAL_FILE, step,
	    strerror(saved));
	errno = saved;
	return -1;
}

int
checkpoint_sync(struct checkpoint_store *st, struct buf *err)
{
	struct buf rec = BUF_INIT, gdata = BUF_INIT, swap;
	struct entry *e;
	size_t i;
	int any = 0, group = 0, rc = -1, saved;

	if (!st->need_compact && st->journal_fd == -1 &&
	    journal_reopen(st, err) == -1)
		return -1;
	if (st->need_compact)
		return checkpoint_compact(st, err);
	buf_addstr(&rec, "record\n");
	for (i = 0; i < st->nslot; i++) {
		if ((e = st->slot[i]) == NULL || !e->s.dirty)
			continue;
		fresh_sort(&e->s);
		add_record_stream(&rec, &e->s, e->s.fresh, e->s.nfresh);
		any = 1;
	}
	if (st->group.sched.nlevels > 0) {
		checkpoint_encode_group(&gdata, &st->group);
		if (gdata.len != st->group_journaled.len || memcmp(gdata.data,
		    st->group_journaled.data, gdata.len) != 0) {
			add_record_group(&rec, &st->group);
			group = 1;
		}
	}
	if (!any && !group) {
		rc = 0;
		goto out;
	}
	add_trailer(&rec, 0);
	if (st->journal_len + rec.len > st->journal_max) {
		rc = checkpoint_compact(st, err);
		goto out;
	}
	if (journal_append(st, &rec, err) == -1)
		goto out;
	for (i = 0; i < st->nslot; i++)
		if ((e = st->slot[i]) != NULL && e->s.dirty) {
			e->s.dirty = 0;
			e->unsaved = 1;
			fresh_clear(&e->s);
		}
	if (group) {
		swap = st->group_journaled;
		st->group_journaled = gdata;
		gdata = swap;
	}
	rc = 0;
out:
	saved = errno;
	buf_free(&rec);
	buf_free(&gdata);
	errno = saved;
	return rc;
}

/* ---- --status -------------------------------------------------------------- */

/* A duration for people: 45s, 3m12s, 2h05m, 4d03h; 2m, not 2m00s. */
static void
add_duration(struct buf *b, int64_t ms)
{
	long long s = ms > 0 ? (long long)(ms / 1000) : 0, big, small;
	char bu, su;

	if (s < 60) {
		buf_printf(b, "%llds", s);
		return;
	}
	if (s < 3600) {
		big = s / 60, small = s % 60, bu = 'm', su = 's';
	} else if (s < 86400) {
		big = s / 3600, small = s % 3600 / 60, bu = 'h', su = 'm';
	} else {
		big = s / 86400, small = s % 86400 / 3600, bu = 'd', su = 'h';
	}
	buf_printf(b, "%lld%c", big, bu);
	if (small != 0)
		buf_printf(b, "%02lld%c", small, su);
}

static void
add_iso(struct buf *b, int64_t ms)
{
	char tmp[64];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		buf_add_i64(b, ms);
	else
		buf_addstr(b, tmp);
}

/* A stream name for a terminal: control bytes shown as '?'. */
static void
add_display_name(struct buf *b, const char *name)
{
	for (; *name != '\0'; name++)
		buf_addch(b, (unsigned char)*name < 0x20 || *name == 0x7f ?
		    '?' : *name);
}

static int
by_name(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a;
	const struct entry *y = *(struct entry *const *)b;

	return strcmp(x->s.name, y->s.name);
}

/* The rows, sorted by name, in columns as wide as the longest name. */
static void
print_streams(struct checkpoint_store *st, int64_t now_ms, FILE *fp)
{
	struct entry **v = xcalloc(st->count + 1, sizeof(*v));
	struct buf name = BUF_INIT, last = BUF_INIT, lag = BUF_INIT;
	size_t i, n = 0, width = 6;
	struct stream_state *s;

	for (i = 0; i < st->nslot; i++)
		if (st->slot[i] != NULL) {
			v[n++] = st->slot[i];
			if (strlen(st->slot[i]->s.name) > width)
				width = strlen(st->slot[i]->s.name);
		}
	qsort(v, n, sizeof(*v), by_name);
	if (width > 64)
		width = 64;
	fprintf(fp, "%-*s  %-20s  %-8s  %s\n", (int)width, "STREAM",
	    "LAST EVENT", "LAG", "SHIPPED");
	for (i = 0; i < n; i++) {
		s = &v[i]->s;
		buf_reset(&name);
		add_display_name(&name, s->name);
		buf_reset(&last);
		buf_reset(&lag);
		if (s->last_timestamp >= 0) {
			add_iso(&last, s->last_timestamp);
			add_duration(&lag, now_ms - s->last_timestamp);
		} else {
			buf_addch(&last, '-');
			buf_addch(&lag, '-');
		}
		fprintf(fp, "%-*s  %-20s  %-8s  %llu\n", (int)width,
		    name.data, last.data, lag.data,
		    (unsigned long long)s->shipped);
	}
	if (n == 0)
		fprintf(fp, "(no log stream has a checkpoint yet)\n");
	free(v);
	buf_free(&name);
	buf_free(&last);
	buf_free(&lag);
}

/* The group's lines; damaged: group.state could not be read. */
static void
print_group(const struct group_state *g, int damaged, int64_t now_ms,
    FILE *fp)
{
	struct buf line = BUF_INIT;
	int k;

	if (damaged || g->sched.nlevels <= 0) {
		fprintf(fp, "group: %s %s\n", GROUP_FILE, damaged ?
		    "cannot be read (see below)" : "not written yet");
		return;
	}
	buf_printf(&line, "group: %d scan level%s, scanned up to",
	    g->sched.nlevels, g->sched.nlevels == 1 ? "" : "s");
	for (k = 0; k < g->sched.nlevels; k++) {
		buf_addstr(&line, k == 0 ? " " : ", ");
		add_duration(&line, now_ms - g->sched.pos_ms[k]);
		buf_addstr(&line, " ago (age ");
		add_duration(&line, g->sched.age_ms[k]);
		buf_addch(&line, ')');
	}
	fprintf(fp, "%s\n", line.data);
	fprintf(fp, "group: shipped %llu, rejected %llu, parse errors %llu, "
	    "duplicates skipped %llu\n", (unsigned long long)g->shipped,
	    (unsigned long long)g->rejected,
	    (unsigned long long)g->parse_errors,
	    (unsigned long long)g->duplicates);
	buf_free(&line);
}

int
checkpoint_print_status(const char *state_dir, int64_t now_ms, FILE *fp,
    struct buf *err)
{
	struct checkpoint_store *st;
	struct stat sb;
	int bad, damaged;

	if (stat(state_dir, &sb) == -1) {
		if (errno == ENOENT)
			buf_printf(err, "%s: no such directory: nothing has "
			    "been checkpointed there yet (is state_dir "
			    "right?)", state_dir);
		else
			buf_printf(err, "%s: %s", state_dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		buf_printf(err, "%s: not a directory", state_dir);
		return -1;
	}
	st = store_new(state_dir);
	damaged = load_group(st, err) == -1;
	bad = load_streams(st, 0, err) != 0 || damaged;
	if (load_journal(st, 1, err) == -1)
		bad = 1;
	print_streams(st, now_ms, fp);
	print_group(&st->group, damaged, now_ms, fp);
	checkpoint_close(st);
	if (err->len > 0 && err->data[err->len - 1] == '\n')
		err->data[--err->len] = '\0';
	return bad ? -1 : 0;
}
