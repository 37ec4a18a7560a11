/*
 * Unit tests for checkpoint: the seen set, the file format (round trips and
 * every rejection), file names, and the store on disk (open, sync, reopen,
 * crash leftovers, damaged files, full or read-only state_dir, --status).
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <zlib.h>

#include "buf.h"
#include "checkpoint.h"
#include "schedule.h"

#define T0	1700000000000LL		/* 2023-11-14T22:13:20Z */
#define WAY_OUT	"; restore it from a backup, or move it away: that stream " \
		"then forgets which records of the last max_delay were " \
		"shipped (some may be shipped twice, none is missed); see " \
		"vpcflowd(8), CORRUPT CHECKPOINTS"

static uint64_t rng_state = 0x243f6a8885a308d3ULL;

/* splitmix64: any state, a well-mixed sequence. */
static uint64_t
rng(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- helpers ------------------------------------------------------------- */

static void
remove_tree(const char *path)
{
	struct buf sub = BUF_INIT;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			buf_reset(&sub);
			buf_printf(&sub, "%s/%s", path, de->d_name);
			remove_tree(sub.data);
		}
		closedir(d);
		rmdir(path);
	} else
		unlink(path);
	buf_free(&sub);
}

/* Each store test gets a fresh directory in *state. */
static int
setup_dir(void **state)
{
	char *dir = strdup("/tmp/vpcflowd-ckpt-XXXXXX");

	if (dir == NULL || mkdtemp(dir) == NULL)
		return -1;
	*state = dir;
	return 0;
}

static int
teardown_dir(void **state)
{
	remove_tree(*state);
	free(*state);
	return 0;
}

static char *
path_of(const char *dir, const char *rel)
{
	struct buf b = BUF_INIT;

	buf_printf(&b, "%s/%s", dir, rel);
	return buf_detach(&b);
}

static void
write_bytes(const char *path, const char *data, size_t len)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void
read_bytes(const char *path, struct buf *b)
{
	buf_reset(b);
	assert_int_equal(buf_read_file(b, path), 0);
}

static int
count_entries(const char *dir, const char *prefix)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	closedir(d);
	return n;
}

/* text + the trailer the encoder would add. */
static void
with_crc(struct buf *out, const char *text)
{
	buf_reset(out);
	buf_addstr(out, text);
	buf_printf(out, "crc32 %08lx\n", (unsigned long)crc32(0L,
	    (const Bytef *)text, (uInt)strlen(text)));
}

static void
stream_init(struct stream_state *s, const char *name)
{
	memset(s, 0, sizeof(*s));
	s->name = strdup(name);
	assert_non_null(s->name);
	s->last_timestamp = s->last_ingestion = -1;
}

/* Two stream states hold the same: they encode the same. */
static void
assert_same_stream(const struct stream_state *a, const struct stream_state *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;

	checkpoint_encode_stream(&x, a);
	checkpoint_encode_stream(&y, b);
	assert_int_equal(x.len, y.len);
	assert_memory_equal(x.data, y.data, x.len);
	buf_free(&x);
	buf_free(&y);
}

/* The two runs of the seen set are each sorted, without repeats. */
static void
assert_seen_sorted(const struct stream_state *s)
{
	size_t i;

	assert_true(s->seen_main <= s->nseen);
	assert_true(s->nseen <= s->seen_cap || s->seen_cap == 0);
	for (i = 1; i < s->nseen; i++)
		if (i != s->seen_main)
			assert_true(s->seen[i - 1].id_hash < s->seen[i].id_hash);
}

/* ---- seen set ------------------------------------------------------------ */

static void
test_id_hash(void **state)
{
	uint64_t *h;
	char id[64];
	size_t i, n = 100000;

	(void)state;
	assert_true(checkpoint_id_hash("a", 1) == checkpoint_id_hash("ab", 1));
	assert_true(checkpoint_id_hash("a", 1) != checkpoint_id_hash("b", 1));
	assert_true(checkpoint_id_hash("", 0) != 0);
	/* Real eventIds differ in their last digits only: no collisions. */
	h = calloc(n, sizeof(*h));
	assert_non_null(h);
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "3758787456892938466718902349873498"
		    "%020zu", i);
		h[i] = checkpoint_id_hash(id, strlen(id));
		assert_true(i == 0 || h[i] != h[i - 1]);
	}
	free(h);
}

static void
test_seen_set(void **state)
{
	struct stream_state s;
	uint64_t *ids;
	size_t i, n = 20000;

	(void)state;
	stream_init(&s, "eni-1");
	ids = calloc(n, sizeof(*ids));
	assert_non_null(ids);
	for (i = 0; i < n; i++)
		ids[i] = rng();
	for (i = 0; i < n; i++) {
		assert_false(stream_seen_has(&s, ids[i]));
		stream_seen_add(&s, T0 + (int64_t)i, ids[i]);
		assert_true(stream_seen_has(&s, ids[i]));
		stream_seen_add(&s, T0, ids[i]);	/* again: nothing */
		if (i % 997 == 0)
			assert_seen_sorted(&s);
	}
	assert_int_equal(s.nseen, n);
	assert_true(s.dirty);
	assert_seen_sorted(&s);
	for (i = 0; i < n; i++)
		assert_true(stream_seen_has(&s, ids[i]));
	for (i = 0; i < 1000; i++)
		assert_false(stream_seen_has(&s, rng()));
	/* Hashes 0 and ~0 are ids like any other. */
	stream_seen_add(&s, T0, 0);
	stream_seen_add(&s, T0, UINT64_MAX);
	assert_true(stream_seen_has(&s, 0) && stream_seen_has(&s, UINT64_MAX));
	assert_int_equal(s.nseen, n + 2);
	free(ids);
	stream_state_free(&s);
	assert_null(s.seen);
	assert_null(s.name);
}

static void
test_seen_prune(void **state)
{
	struct stream_state s;
	size_t i, removed;

	(void)state;
	stream_init(&s, "eni-1");
	for (i = 0; i < 5000; i++)
		stream_seen_add(&s, T0 + (int64_t)(i % 100) * 1000, rng());
	s.dirty = 0;
	assert_int_equal(stream_seen_prune(&s, T0), 0);
	/* Timestamps T0 .. T0 + 49 s go: half of them. */
	removed = stream_seen_prune(&s, T0 + 50000);
	assert_int_equal(removed, 2500);
	assert_int_equal(s.nseen, 2500);
	assert_false(s.dirty);	/* not emptied: no rewrite for this */
	assert_seen_sorted(&s);
	for (i = 0; i < s.nseen; i++)
		assert_true(s.seen[i].timestamp >= T0 + 50000);
	/* Still a working set after pruning. */
	stream_seen_add(&s, T0 + 99000, 42);
	assert_true(stream_seen_has(&s, 42));
	assert_int_equal(stream_seen_prune(&s, T0 + 100000), 2501);
	assert_int_equal(s.nseen, 0);
	assert_true(s.dirty);	/* emptied: written once more */
	assert_int_equal(s.seen_cap, 0);
	assert_false(stream_seen_has(&s, 42));
	stream_state_free(&s);
}

/*
 * 300,000 ids in memory: 1,000 streams of 300, then one stream of all of
 * them (a busy NAT gateway), in a few MB.
 */
/*
 * Lookups whatever the spread of the hashes (the search interpolates):
 * clusters at both ends of the range, 0 and UINT64_MAX, runs of neighbours;
 * every id added is found, its neighbours that were not added are not.
 */
static void
test_seen_lookup_spread(void **state)
{
	struct stream_state s;
	uint64_t h;
	size_t i;

	(void)state;
	memset(&s, 0, sizeof(s));
	for (i = 0; i < 3000; i += 2) {
		stream_seen_add(&s, T0, i);
		stream_seen_add(&s, T0, UINT64_MAX - i);
		stream_seen_add(&s, T0, (UINT64_MAX / 3) + i * 1000003);
	}
	stream_seen_add(&s, T0, 1ULL << 63);
	for (i = 0; i < 3000; i++) {
		assert_int_equal(stream_seen_has(&s, i), i % 2 == 0);
		assert_int_equal(stream_seen_has(&s, UINT64_MAX - i), i % 2 == 0);
		h = (UINT64_MAX / 3) + i * 1000003;
		assert_int_equal(stream_seen_has(&s, h), i % 2 == 0);
		assert_false(stream_seen_has(&s, h + 1));
	}
	assert_true(stream_seen_has(&s, 1ULL << 63));
	assert_false(stream_seen_has(&s, (1ULL << 63) + 1));
	assert_false(stream_seen_has(&s, UINT64_MAX / 2));
	stream_state_free(&s);
}

static void
test_seen_300k(void **state)
{
	struct stream_state *many, one, back;
	struct buf b = BUF_INIT, err = BUF_INIT;
	size_t i, j, bytes = 0;
	char name[32];
	uint64_t h;

	(void)state;
	many = calloc(1000, sizeof(*many));
	assert_non_null(many);
	for (i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "eni-%04zu-all", i);
		stream_init(&many[i], name);
		for (j = 0; j < 300; j++)
			stream_seen_add(&many[i], T0 + (int64_t)j, rng());
		bytes += many[i].seen_cap * sizeof(struct seen_id);
	}
	print_message("300,000 ids in 1,000 streams: %.1f MB\n",
	    (double)bytes / 1e6);
	assert_true(bytes <= 8000000);
	for (i = 0; i < 1000; i++)
		stream_state_free(&many[i]);
	free(many);

	stream_init(&one, "nat-gateway");
	rng_state = 7;
	for (i = 0; i < 300000; i++)
		stream_seen_add(&one, T0 + (int64_t)i, rng());
	assert_int_equal(one.nseen, 300000);
	assert_seen_sorted(&one);
	print_message("300,000 ids in one stream: %.1f MB\n",
	    (double)(one.seen_cap * sizeof(struct seen_id)) / 1e6);
	assert_true(one.seen_cap * sizeof(struct seen_id) <= 8000000);
	rng_state = 7;
	for (i = 0; i < 300000; i++)
		assert_true(stream_seen_has(&one, rng()));
	checkpoint_encode_stream(&b, &one);
	print_message("its checkpoint file: %.1f MB\n", (double)b.len / 1e6);
	assert_int_equal(checkpoint_decode_stream(&back, b.data, b.len, &err),
	    0);
	assert_same_stream(&one, &back);
	assert_int_equal(stream_seen_prune(&back, T0 + 150000), 150000);
	rng_state = 7;
	for (i = 0; i < 300000; i++) {
		h = rng();
		assert_int_equal(stream_seen_has(&back, h), i >= 150000);
	}
	stream_state_free(&one);
	stream_state_free(&back);
	buf_free(&b);
	buf_free(&err);
}

/* ---- encoding ------------------------------------------------------------ */

static void
roundtrip_stream(const char *name, size_t nids)
{
	struct stream_state s, d;
	struct buf a = BUF_INIT, b = BUF_INIT, err = BUF_INIT;
	size_t i;

	stream_init(&s, name);
	s.last_timestamp = T0 + 5;
	s.last_ingestion = T0 + 300000;
	s.shipped = 18446744073709551615ULL;
	for (i = 0; i < nids; i++)
		stream_seen_add(&s, T0 + (int64_t)i, rng());
	checkpoint_encode_stream(&a, &s);
	assert_int_equal(checkpoint_decode_stream(&d, a.data, a.len, &err), 0);
	assert_int_equal(err.len, 0);
	assert_string_equal(d.name, name);
	assert_int_equal(d.last_timestamp, s.last_timestamp);
	assert_int_equal(d.last_ingestion, s.last_ingestion);
	assert_true(d.shipped == s.shipped);
	assert_int_equal(d.nseen, nids);
	assert_false(d.dirty);
	for (i = 0; i < s.nseen; i++)
		assert_true(stream_seen_has(&d, s.seen[i].id_hash));
	checkpoint_encode_stream(&b, &d);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	/* Printable, one item a line, whatever the name. */
	for (i = 0; i < a.len; i++)
		assert_true(a.data[i] == '\n' || (a.data[i] >= 0x20 &&
		    a.data[i] < 0x7f));
	stream_state_free(&s);
	stream_state_free(&d);
	buf_free(&a);
	buf_free(&b);
	buf_free(&err);
}

static void
test_stream_roundtrip(void **state)
{
	char long_name[301];

	(void)state;
	memset(long_name, 'x', 300);
	long_name[300] = '\0';
	roundtrip_stream("eni-0a1b2c3d4e5f60718-all", 0);
	roundtrip_stream("eni-0a1b2c3d4e5f60718-all", 500);
	roundtrip_stream("with spaces and\ttabs\nand newlines", 3);
	roundtrip_stream("a/b/../c", 3);
	roundtrip_stream("UTF-8: \xc3\xa9t\xc3\xa9 \xe2\x9c\x93 "
	    "\xf0\x9f\x9a\x80", 3);
	roundtrip_stream("\xff\xfe invalid UTF-8 %41 %%", 3);
	roundtrip_stream(".hidden", 1);
	roundtrip_stream("..", 1);
	roundtrip_stream("", 1);
	roundtrip_stream(long_name, 7);
}

static void
test_stream_format(void **state)
{
	struct stream_state s;
	struct buf b = BUF_INIT;

	(void)state;
	stream_init(&s, "eni-1 a/b");
	s.last_timestamp = T0;
	s.last_ingestion = T0 + 60000;
	s.shipped = 2;
	stream_seen_add(&s, T0, 0x9a07000000000001ULL);
	stream_seen_add(&s, T0 - 1, 0x03f1000000000002ULL);
	checkpoint_encode_stream(&b, &s);
	assert_string_equal(b.data,
	    "vpcflowd-stream 1\n"
	    "name eni-1%20a%2Fb\n"
	    "last_timestamp 1700000000000\n"
	    "last_ingestion 1700000060000\n"
	    "shipped 2\n"
	    "seen 2\n"
	    "1699999999999 03f1000000000002\n"
	    "1700000000000 9a07000000000001\n"
	    "crc32 b6aefda4\n");
	stream_state_free(&s);
	buf_free(&b);
}

static void
make_group(struct group_state *g)
{
	int k;

	memset(g, 0, sizeof(*g));
	schedule_init(&g->sched, 30, 900, T0);
	for (k = 0; k < g->sched.nlevels; k++)
		g->sched.pos_ms[k] = T0 - g->sched.age_ms[k] - 1000 * k;
	g->shipped = 123456;
	g->rejected = 7;
	g->parse_errors = 3;
	g->duplicates = 99;
}

static void
test_group_roundtrip(void **state)
{
	struct group_state g, d, same, other;
	struct buf a = BUF_INIT, b = BUF_INIT, err = BUF_INIT;
	int k;

	(void)state;
	make_group(&g);
	checkpoint_encode_group(&a, &g);
	assert_non_null(strstr(a.data, "vpcflowd-group 1\npoll_ms 30000\n"
	    "levels 5\nlevel 0 1700000000000\nlevel 30000 1699999969000\n"));
	/* No template: the file as it is. */
	memset(&d, 0x5a, sizeof(d));
	d.sched.nlevels = 0;
	assert_int_equal(checkpoint_decode_group(&d, a.data, a.len, &err), 0);
	assert_memory_equal(&d, &g, sizeof(g));
	checkpoint_encode_group(&b, &d);
	assert_string_equal(a.data, b.data);
	/* The same levels: positions kept. */
	memset(&same, 0, sizeof(same));
	schedule_init(&same.sched, 30, 900, 0);
	assert_int_equal(checkpoint_decode_group(&same, a.data, a.len, &err),
	    0);
	assert_memory_equal(&same, &g, sizeof(g));
	/* Other levels: each starts at the oldest stored position. */
	memset(&other, 0, sizeof(other));
	schedule_init(&other.sched, 20, 600, 0);
	assert_int_equal(checkpoint_decode_group(&other, a.data, a.len, &err),
	    0);
	assert_int_equal(other.sched.nlevels, 5);	/* 0 20s 80s 320s 600s */
	assert_int_equal(other.sched.age_ms[4], 600000);
	assert_int_equal(other.sched.poll_ms, 20000);
	for (k = 0; k < other.sched.nlevels; k++)
		assert_int_equal(other.sched.pos_ms[k],
		    schedule_horizon(&g.sched));
	assert_true(other.shipped == g.shipped && other.duplicates == 99);
	assert_int_equal(err.len, 0);
	buf_free(&a);
	buf_free(&b);
	buf_free(&err);
}

/* decode of text (with a correct trailer unless raw) fails saying want. */
static void
reject(int group, const char *text, int raw, const char *want)
{
	struct stream_state s;
	struct group_state g, before;
	struct buf file = BUF_INIT, err = BUF_INIT;
	int rc;

	if (raw) {
		buf_reset(&file);
		buf_addstr(&file, text);
	} else
		with_crc(&file, text);
	if (group) {
		make_group(&g);
		before = g;
		rc = checkpoint_decode_group(&g, file.data, file.len, &err);
		assert_memory_equal(&g, &before, sizeof(g));
	} else {
		rc = checkpoint_decode_stream(&s, file.data, file.len, &err);
		assert_null(s.name);
		assert_null(s.seen);
	}
	if (rc != -1 || err.data == NULL || strstr(err.data, want) == NULL)
		fail_msg("%s: got %d \"%s\", wanted \"%s\"", text, rc,
		    err.data ? err.data : "", want);
	assert_null(strchr(err.data, '\n'));
	buf_free(&file);
	buf_free(&err);
}

#define STREAM_HEAD	"vpcflowd-stream 1\nname x\n"
#define STREAM_NUMS	"last_timestamp 5\nlast_ingestion 6\nshipped 1\n"
#define GROUP_HEAD	"vpcflowd-group 1\npoll_ms 30000\n"
#define GROUP_TAIL	"shipped 1\nrejected 0\nparse_errors 0\nduplicates 0\n"

static void
test_rejections(void **state)
{
	(void)state;
	/* The envelope. */
	reject(0, "", 1, "empty file");
	reject(0, "hello world\n", 1, "not a vpcflowd stream file: it starts "
	    "with \"hello world\"");
	reject(0, "vpcflow", 1, "truncated");
	reject(0, "vpcflowd-stream 1", 1, "truncated in its first line");
	reject(0, GROUP_HEAD "levels 1\nlevel 0 5\n" GROUP_TAIL, 0,
	    "this is a group file, not a stream file");
	reject(1, STREAM_HEAD STREAM_NUMS "seen 0\n", 0,
	    "this is a stream file, not a group file");
	reject(0, "vpcflowd-stream 2\nanything new\n", 0,
	    "version 2: this vpcflowd knows version 1 only");
	reject(1, "vpcflowd-group 17\n", 1,
	    "version 17: this vpcflowd knows version 1 only");
	reject(0, "vpcflowd-stream one\n", 0, "bad version \"one\"");
	reject(0, STREAM_HEAD STREAM_NUMS "seen 0\n", 1, "truncated or "
	    "damaged: its last line is not the \"crc32\" line");
	reject(0, "vpcflowd-stream 1\ncrc32 0000000\n", 1, "truncated or "
	    "damaged");
	reject(0, STREAM_HEAD STREAM_NUMS "seen 0\ncrc32 00000000\n", 1,
	    "checksum mismatch (the file says 00000000, its content has ");
	reject(0, STREAM_HEAD STREAM_NUMS "seen 0\ncrc32 0000000G\n", 1,
	    "truncated");
	/* The body, under a correct checksum: garbage numbers and names. */
	reject(0, STREAM_HEAD "last_timestamp 12x\n", 0, "line 3: "
	    "last_timestamp: \"12x\" is not a number in -1..");
	reject(0, STREAM_HEAD "last_timestamp 007\n", 0, "\"007\" is not a "
	    "number");
	reject(0, STREAM_HEAD "last_timestamp -0\n", 0, "not a number");
	reject(0, STREAM_HEAD "last_timestamp -2\n", 0, "not a number");
	reject(0, STREAM_HEAD "last_timestamp +5\n", 0, "not a number");
	reject(0, STREAM_HEAD "last_timestamp 5 \n", 0, "not a number");
	reject(0, STREAM_HEAD "last_timestamp 99999999999999999999\n", 0,
	    "not a number");
	reject(0, STREAM_HEAD "last_timestamp\n", 0, "expected "
	    "\"last_timestamp\", found \"last_timestamp\"");
	reject(0, STREAM_HEAD "last_timestamp 5\nlast_ingestion 6\n"
	    "shipped 18446744073709551616\n", 0, "line 5: shipped: "
	    "\"18446744073709551616\" is not a number");
	reject(0, STREAM_HEAD "last_timestamp 5\n", 0, "line 4: "
	    "last_ingestion missing: the file ends early");
	reject(0, "vpcflowd-stream 1\nname a%2fb\n", 0, "line 2: name: bad "
	    "percent-encoding at byte 2");
	reject(0, "vpcflowd-stream 1\nname a%41\n", 0, "bad percent-encoding");
	reject(0, "vpcflowd-stream 1\nname a%4\n", 0, "bad percent-encoding");
	reject(0, "vpcflowd-stream 1\nname a%00b\n", 0, "bad percent-encoding");
	reject(0, "vpcflowd-stream 1\nname a b\n", 0, "bad percent-encoding");
	reject(0, "vpcflowd-stream 1\nname .x\n", 0, "bad percent-encoding");
	reject(0, STREAM_HEAD STREAM_NUMS "seen 2\n1 00000000000000ff\n", 0,
	    "seen: 2 ids announced, the file is too short");
	reject(0, STREAM_HEAD STREAM_NUMS "seen 2\n1 00000000000000ff\n"
	    "2 00000000000000fe\n", 0, "line 8: seen id: \"2 00000000000000fe\" "
	    "is out of order");
	reject(0, STREAM_HEAD STREAM_NUMS "seen 2\n1 00000000000000ff\n"
	    "2 00000000000000ff\n", 0, "out of order");
	reject(0, STREAM_HEAD STREAM_NUMS "seen 1\n1 00000000000000FF\n", 0,
	    "line 7: seen id: \"1 00000000000000FF\" is not \"TIMESTAMP HASH\"");
	reject(0, STREAM_HEAD STREAM_NUMS "seen 1\n-1 00000000000000ff\n", 0,
	    "not \"TIMESTAMP HASH\"");
	reject(0, STREAM_HEAD STREAM_NUMS "seen 1\n100000000000000ff  \n", 0,
	    "not \"TIMESTAMP HASH\"");
	reject(0, STREAM_HEAD STREAM_NUMS "seen 0\nextra 1\n", 0, "line 7: "
	    "unexpected \"extra 1\" after the last field");
	reject(1, GROUP_HEAD "levels 0\n" GROUP_TAIL, 0, "line 3: levels: 0 "
	    "is not in 1..12");
	reject(1, GROUP_HEAD "levels 13\n" GROUP_TAIL, 0, "13 is not in 1..12");
	reject(1, GROUP_HEAD "levels 2\nlevel 0 5\nlevel 0 6\n" GROUP_TAIL, 0,
	    "line 5: level: \"0 6\" is out of order (ages increase)");
	reject(1, GROUP_HEAD "levels 1\nlevel 0\n" GROUP_TAIL, 0,
	    "is not \"AGE_MS POSITION_MS\"");
	reject(1, GROUP_HEAD "levels 1\nlevel 0 -5\n" GROUP_TAIL, 0,
	    "is not \"AGE_MS POSITION_MS\"");
	reject(1, "vpcflowd-group 1\npoll_ms 0\n", 0, "poll_ms: \"0\" is not a "
	    "number in 1..");
	reject(1, GROUP_HEAD "levels 1\nlevel 0 5\nshipped 1\n", 0, "line 6: "
	    "rejected missing");
}

/* Any one byte changed, anywhere, or any truncation: refused. */
static void
test_every_flip_and_cut(void **state)
{
	struct stream_state s, d;
	struct group_state g;
	struct buf file = BUF_INIT, err = BUF_INIT;
	static const unsigned char masks[] = { 0x01, 0x20, 0x80, 0xff };
	size_t i, m;
	int pass, rc;

	(void)state;
	stream_init(&s, "eni-\xc3\xa9 1");
	s.last_timestamp = T0;
	stream_seen_add(&s, T0, 1);
	stream_seen_add(&s, T0, 0xdeadbeefcafef00dULL);
	for (pass = 0; pass < 2; pass++) {
		buf_reset(&file);
		if (pass == 0)
			checkpoint_encode_stream(&file, &s);
		else {
			make_group(&g);
			checkpoint_encode_group(&file, &g);
		}
		for (i = 0; i < file.len; i++)
			for (m = 0; m < sizeof(masks); m++) {
				file.data[i] ^= (char)masks[m];
				buf_reset(&err);
				rc = pass == 0 ? checkpoint_decode_stream(&d,
				    file.data, file.len, &err) :
				    checkpoint_decode_group(&g, file.data,
				    file.len, &err);
				assert_int_equal(rc, -1);
				assert_true(err.len > 0);
				file.data[i] ^= (char)masks[m];
			}
		for (i = 0; i < file.len; i++) {
			buf_reset(&err);
			rc = pass == 0 ? checkpoint_decode_stream(&d,
			    file.data, i, &err) :
			    checkpoint_decode_group(&g, file.data, i, &err);
			assert_int_equal(rc, -1);
			assert_non_null(strstr(err.data, i == 0 ? "empty" :
			    "truncated"));
		}
	}
	stream_state_free(&s);
	buf_free(&file);
	buf_free(&err);
}

/* ---- file names ---------------------------------------------------------- */

static void
assert_file_name(const char *name, const char *want)
{
	struct buf b = BUF_INIT;

	checkpoint_file_name(&b, name);
	assert_string_equal(b.data, want);
	buf_free(&b);
}

static void
test_file_names(void **state)
{
	static const char *names[] = { "a", "A", "a.", ".a", "%2Ea", "a b",
	    "a/b", "a%2Fb", "", "%00", "\xc3\xa9", "..", "...", "a~b" };
	struct buf b = BUF_INIT, c = BUF_INIT;
	char long_name[400];
	size_t i, j;

	(void)state;
	assert_file_name("eni-0a1b2c3d-all", "eni-0a1b2c3d-all.ckpt");
	assert_file_name("a/b", "a%2Fb.ckpt");
	assert_file_name("with space", "with%20space.ckpt");
	assert_file_name(".hidden", "%2Ehidden.ckpt");
	assert_file_name("..", "%2E..ckpt");
	assert_file_name("a.b_c-d", "a.b_c-d.ckpt");
	assert_file_name("\xc3\xa9", "%C3%A9.ckpt");
	assert_file_name("", "%00.ckpt");
	/* Different names, different files. */
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		for (j = i + 1; j < sizeof(names) / sizeof(names[0]); j++) {
			buf_reset(&b);
			buf_reset(&c);
			checkpoint_file_name(&b, names[i]);
			checkpoint_file_name(&c, names[j]);
			assert_string_not_equal(b.data, c.data);
		}
	/* Long names: a prefix and a hash, never a split %XX. */
	for (i = 0; i < 6; i++) {
		memset(long_name, 'x', sizeof(long_name) - 1);
		long_name[sizeof(long_name) - 1] = '\0';
		long_name[180 + i] = '/';
		long_name[181 + i] = '/';
		buf_reset(&b);
		checkpoint_file_name(&b, long_name);
		assert_true(b.len <= CHECKPOINT_NAME_MAX + 5);
		assert_null(strchr(b.data, '/'));
		assert_non_null(strchr(b.data, '~'));
		assert_string_equal(b.data + b.len - 5, ".ckpt");
		assert_int_equal(b.data[b.len - 22], '~');
		for (j = 0; j + 22 < b.len; j++)
			if (b.data[j] == '%')
				assert_true(j + 3 <= b.len - 22);
		/* Same 300 first bytes, different names: different files. */
		long_name[390] = 'y';
		buf_reset(&c);
		checkpoint_file_name(&c, long_name);
		assert_string_not_equal(b.data, c.data);
		assert_memory_equal(b.data, c.data, b.len - 22);
	}
	memset(long_name, 'x', 200);
	long_name[200] = '\0';
	buf_reset(&b);
	checkpoint_file_name(&b, long_name);
	assert_int_equal(b.len, 205);		/* exactly the limit: as is */
	assert_null(strchr(b.data, '~'));
	buf_free(&b);
	buf_free(&c);
}

/* ---- the store ----------------------------------------------------------- */

static void
fill_stream(struct stream_state *s, int n, int64_t ts)
{
	int i;

	for (i = 0; i < n; i++)
		stream_seen_add(s, ts + i, rng());
	s->shipped += (uint64_t)n;
	s->last_timestamp = ts + n - 1;
	s->last_ingestion = ts + n + 60000;
}

/* A store in dir holding the streams names (n ids each) and a group. */
static void
seed_store(const char *dir, const char *const *names, int n)
{
	struct checkpoint_store *st;
	struct buf err = BUF_INIT;

	st = checkpoint_open(dir, &err);
	assert_non_null(st);
	for (; *names != NULL; names++)
		fill_stream(checkpoint_stream(st, *names), n, T0);
	schedule_init(&checkpoint_group(st)->sched, 30, 900, T0);
	assert_int_equal(checkpoint_sync(st, &err), 0);
	checkpoint_close(st);
	buf_free(&err);
}

static ino_t
inode_of(const char *dir, const char *stream)
{
	struct buf p = BUF_INIT;
	struct stat sb;

	buf_printf(&p, "%s/streams/", dir);
	checkpoint_file_name(&p, stream);
	assert_int_equal(stat(p.data, &sb), 0);
	buf_free(&p);
	return sb.st_ino;
}

static void
test_store_roundtrip(void **state)
{
	const char *tmp = *state;
	char *dir = path_of(tmp, "var/lib/vpcflowd/prod"), *streams, *gpath;
	static const char *odd[] = { "a/b", "with space", ".dot",
	    "\xc3\xa9t\xc3\xa9", "", "tab\there" };
	struct checkpoint_store *st;
	struct stream_state *s, *back;
	struct group_state *g, saved;
	struct buf err = BUF_INIT, copy = BUF_INIT;
	char name[64];
	struct stat sb;
	ino_t changed, unchanged, group_ino;
	int i;

	st = checkpoint_open(dir, &err);
	assert_non_null(st);
	assert_int_equal(err.len, 0);
	streams = path_of(dir, "streams");
	gpath = path_of(dir, "group.state");
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	assert_int_equal(stat(streams, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	g = checkpoint_group(st);
	assert_int_equal(g->sched.nlevels, 0);
	make_group(g);
	for (i = 0; i < 1500; i++) {
		snprintf(name, sizeof(name), "eni-%05d-all", i);
		s = checkpoint_stream(st, name);
		assert_true(s->dirty);
		assert_int_equal(s->last_timestamp, -1);
		fill_stream(s, i % 7, T0);
		assert_ptr_equal(checkpoint_stream(st, name), s);
	}
	for (i = 0; i < 6; i++)
		fill_stream(checkpoint_stream(st, odd[i]), 3, T0);
	assert_int_equal(checkpoint_sync(st, &err), 0);
	assert_int_equal(err.len, 0);
	assert_false(checkpoint_stream(st, "eni-00001-all")->dirty);
	assert_int_equal(count_entries(streams, ".tmp-"), 0);
	assert_int_equal(count_entries(dir, ".tmp-"), 0);
	assert_int_equal(count_entries(streams, ""), 1506 + 2);
	assert_int_equal(stat(gpath, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	saved = *g;

	/* What was written is what is read back. */
	checkpoint_close(st);
	st = checkpoint_open(dir, &err);
	assert_non_null(st);
	assert_memory_equal(checkpoint_group(st), &saved, sizeof(saved));
	for (i = 0; i < 6; i++) {
		back = checkpoint_stream(st, odd[i]);
		assert_false(back->dirty);
		assert_int_equal(back->nseen, 3);
		assert_int_equal(back->last_timestamp, T0 + 2);
	}
	back = checkpoint_stream(st, "eni-01403-all");
	assert_int_equal(back->nseen, 1403 % 7);
	assert_true(back->shipped == 1403 % 7);

	/* A sync journals; compaction rewrites only what changed. */
	changed = inode_of(dir, "eni-00010-all");
	unchanged = inode_of(dir, "eni-00011-all");
	assert_int_equal(stat(gpath, &sb), 0);
	group_ino = sb.st_ino;
	assert_int_equal(checkpoint_sync(st, &err), 0);	/* nothing to do */
	assert_int_equal(inode_of(dir, "eni-00010-all"), changed);
	assert_int_equal(stat(gpath, &sb), 0);
	assert_int_equal(sb.st_ino, group_ino);
	fill_stream(checkpoint_stream(st, "eni-00010-all"), 1, T0 + 5000);
	checkpoint_group(st)->shipped++;
	assert_int_equal(checkpoint_sync(st, &err), 0);
	assert_int_equal(inode_of(dir, "eni-00010-all"), changed);
	assert_int_equal(stat(gpath, &sb), 0);
	assert_int_equal(sb.st_ino, group_ino);
	assert_int_equal(checkpoint_compact(st, &err), 0);
	assert_true(inode_of(dir, "eni-00010-all") != changed);
	assert_int_equal(inode_of(dir, "eni-00011-all"), unchanged);
	assert_int_equal(stat(gpath, &sb), 0);
	assert_true(sb.st_ino != group_ino);
	read_bytes(gpath, &copy);
	assert_non_null(strstr(copy.data, "shipped 123457\n"));
	checkpoint_close(st);
	free(dir);
	free(streams);
	free(gpath);
	buf_free(&err);
	buf_free(&copy);
}

static void
test_lock(void **state)
{
	struct checkpoint_store *a, *b;
	struct buf err = BUF_INIT;

	a = checkpoint_open(*state, &err);
	assert_non_null(a);
	b = checkpoint_open(*state, &err);
	assert_null(b);
	assert_non_null(strstr(err.data, "in use by another vpcflowd"));
	checkpoint_close(a);
	buf_reset(&err);
	b = checkpoint_open(*state, &err);
	assert_non_null(b);
	checkpoint_close(b);
	buf_free(&err);
}

static void
test_crash_leftovers(void **state)
{
	const char *dir = *state;
	char *t1 = path_of(dir, "streams/.tmp-eni-1.ckpt");
	char *t2 = path_of(dir, ".tmp-group.state");
	char *t3 = path_of(dir, ".tmp-journal");
	char *other = path_of(dir, "streams/README");
	struct checkpoint_store *st;
	struct buf err = BUF_INIT;

	seed_store(dir, (const char *[]){ "eni-1", NULL }, 2);
	/* A crash in the middle of a write leaves half a temporary file. */
	write_bytes(t1, "vpcflowd-stream 1\nname eni-1\nlast_ti", 36);
	write_bytes(t2, "", 0);
	write_bytes(t3, "vpcflowd-jou", 12);
	write_bytes(other, "not ours\n", 9);
	st = checkpoint_open(dir, &err);
	assert_non_null(st);
	assert_int_equal(access(t1, F_OK), -1);
	assert_int_equal(access(t2, F_OK), -1);
	assert_int_equal(access(t3, F_OK), -1);
	assert_int_equal(access(other, F_OK), 0);
	assert_int_equal(checkpoint_stream(st, "eni-1")->nseen, 2);
	checkpoint_close(st);
	free(t1);
	free(t2);
	free(t3);
	free(other);
	buf_free(&err);
}

/* open fails with one line naming path, saying what and the way out. */
static void
assert_open_fails(const char *dir, const char *path, const char *what,
    const char *way_out)
{
	struct buf err = BUF_INIT;

	assert_null(checkpoint_open(dir, &err));
	if (strncmp(err.data, path, strlen(path)) != 0 ||
	    err.data[strlen(path)] != ':' || strstr(err.data, what) == NULL ||
	    strstr(err.data, way_out) == NULL)
		fail_msg("got \"%s\"", err.data);
	assert_null(strchr(err.data, '\n'));
	buf_free(&err);
}

static void
test_damaged_files(void **state)
{
	const char *dir = *state;
	char *a = path_of(dir, "streams/eni-a.ckpt");
	char *copy = path_of(dir, "streams/zz-copy.ckpt");
	char *sub = path_of(dir, "streams/d.ckpt");
	char *gpath = path_of(dir, "group.state");
	char *gpath_aside = path_of(dir, "eni-a.ckpt.damaged");
	struct checkpoint_store *st;
	struct buf err = BUF_INIT, good = BUF_INIT, ggood = BUF_INIT;

	seed_store(dir, (const char *[]){ "eni-a", "eni-b", NULL }, 3);
	read_bytes(a, &good);
	read_bytes(gpath, &ggood);

	good.data[40] ^= 1;
	write_bytes(a, good.data, good.len);
	assert_open_fails(dir, a, ": checksum mismatch", WAY_OUT);
	good.data[40] ^= 1;
	write_bytes(a, good.data, good.len - 3);
	assert_open_fails(dir, a, ": truncated", WAY_OUT);
	write_bytes(a, "", 0);
	assert_open_fails(dir, a, ": empty file", WAY_OUT);
	write_bytes(a, good.data, good.len);
	write_bytes(copy, good.data, good.len);
	assert_null(checkpoint_open(dir, &err));
	assert_non_null(strstr(err.data, "holds log stream \"eni-a\", and so "
	    "does"));
	assert_non_null(strstr(err.data, a));
	assert_non_null(strstr(err.data, copy));
	assert_non_null(strstr(err.data, WAY_OUT));
	buf_reset(&err);
	unlink(copy);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_open_fails(dir, sub, ": cannot read it: Is a directory",
	    WAY_OUT);
	rmdir(sub);
	write_bytes(gpath, "vpcflowd-group 2\n", 17);
	assert_open_fails(dir, gpath, "version 2: this vpcflowd knows version 1",
	    "move it away to restart the scan from start_position, or "
	    "restore it from a backup");
	write_bytes(gpath, ggood.data, ggood.len);
	/* Moved away: that stream starts over, the others are as they were. */
	good.data[40] ^= 1;
	write_bytes(a, good.data, good.len);
	assert_open_fails(dir, a, ": checksum mismatch", WAY_OUT);
	assert_int_equal(rename(a, gpath_aside), 0);
	st = checkpoint_open(dir, &err);
	assert_non_null(st);
	assert_int_equal(checkpoint_stream(st, "eni-a")->nseen, 0);
	assert_int_equal(checkpoint_stream(st, "eni-b")->nseen, 3);
	checkpoint_close(st);
	free(gpath_aside);
	free(a);
	free(copy);
	free(sub);
	free(gpath);
	buf_free(&err);
	buf_free(&good);
	buf_free(&ggood);
}

static void
test_sync_failures(void **state)
{
	const char *dir = *state;
	char *streams = path_of(dir, "streams");
	char *aside = path_of(dir, "streams.aside");
	char *gpath = path_of(dir, "group.state");
	struct checkpoint_store *st;
	struct stream_state *s;
	struct buf err = BUF_INIT, before = BUF_INIT, after = BUF_INIT;
	static const int errs[] = { ENOSPC, EROFS, EACCES, EDQUOT };
	size_t i;

	st = checkpoint_open(dir, &err);
	s = checkpoint_stream(st, "eni-1");
	fill_stream(s, 5, T0);
	schedule_init(&checkpoint_group(st)->sched, 30, 900, T0);
	/* Full, read-only, forbidden: nothing written, all still dirty. */
	for (i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		checkpoint_inject_error(st, errs[i]);
		buf_reset(&err);
		errno = 0;
		assert_int_equal(checkpoint_sync(st, &err), -1);
		assert_int_equal(errno, errs[i]);
		assert_non_null(strstr(err.data, "/streams/eni-1.ckpt: write: "));
		assert_non_null(strstr(err.data, strerror(errs[i])));
		assert_true(s->dirty);
		assert_int_equal(count_entries(streams, ""), 2);	/* . .. */
		assert_int_equal(access(gpath, F_OK), -1);
	}
	/* Space again: everything goes out. */
	checkpoint_inject_error(st, 0);
	assert_int_equal(checkpoint_sync(st, &err), 0);
	assert_false(s->dirty);
	assert_int_equal(count_entries(streams, "eni-1.ckpt"), 1);
	read_bytes(gpath, &before);

	/* A real failure in a compaction: streams/ is not a directory. */
	assert_int_equal(rename(streams, aside), 0);
	write_bytes(streams, "", 0);
	fill_stream(s, 1, T0 + 10000);
	checkpoint_group(st)->shipped = 77;
	buf_reset(&err);
	assert_int_equal(checkpoint_compact(st, &err), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_non_null(strstr(err.data, "eni-1.ckpt: create: Not a "
	    "directory"));
	assert_true(s->dirty);
	read_bytes(gpath, &after);
	assert_string_equal(before.data, after.data);	/* not after a failure */
	buf_reset(&err);
	assert_int_equal(checkpoint_sync(st, &err), -1);	/* compacts again */
	assert_int_equal(errno, ENOTDIR);
	assert_true(s->dirty);
	unlink(streams);
	assert_int_equal(rename(aside, streams), 0);
	assert_int_equal(checkpoint_sync(st, &err), 0);
	assert_false(s->dirty);
	read_bytes(gpath, &after);
	assert_non_null(strstr(after.data, "shipped 77\n"));
	checkpoint_close(st);
	st = checkpoint_open(dir, &err);
	assert_int_equal(checkpoint_stream(st, "eni-1")->nseen, 6);
	checkpoint_close(st);
	free(streams);
	free(aside);
	free(gpath);
	buf_free(&err);
	buf_free(&before);
	buf_free(&after);
}

static void
test_open_unwritable(void **state)
{
	char *file = path_of(*state, "file"), *under = path_of(file, "state");
	struct buf err = BUF_INIT;

	write_bytes(file, "", 0);
	assert_null(checkpoint_open(under, &err));
	assert_non_null(strstr(err.data, "/file/state/streams: cannot create "
	    "the directory: Not a directory"));
	buf_reset(&err);
	assert_null(checkpoint_open("/proc/vpcflowd-test/state", &err));
	assert_non_null(strstr(err.data, "cannot create the directory"));
	free(file);
	free(under);
	buf_free(&err);
}

static void
prune_cb(void *arg, struct stream_state *s)
{
	stream_seen_prune(s, *(int64_t *)arg);
}

static void
test_store_prune(void **state)
{
	struct checkpoint_store *st;
	struct stream_state *old, *fresh;
	struct buf err = BUF_INIT;
	int64_t horizon = T0 + 1000;

	st = checkpoint_open(*state, &err);
	old = checkpoint_stream(st, "idle");
	fresh = checkpoint_stream(st, "busy");
	fill_stream(old, 10, T0 - 60000);
	fill_stream(fresh, 10, T0 + 995);
	schedule_init(&checkpoint_group(st)->sched, 30, 900, T0);
	assert_int_equal(checkpoint_sync(st, &err), 0);
	checkpoint_foreach(st, prune_cb, &horizon);
	assert_int_equal(old->nseen, 0);
	assert_true(old->dirty);		/* emptied: rewritten once */
	assert_int_equal(fresh->nseen, 5);
	assert_false(fresh->dirty);
	assert_int_equal(checkpoint_sync(st, &err), 0);
	/* The journal says "no id added"; the file loses its ids when the
	 * stream is compacted (the daemon compacts when it stops). */
	assert_int_equal(checkpoint_compact(st, &err), 0);
	checkpoint_close(st);
	st = checkpoint_open(*state, &err);
	old = checkpoint_stream(st, "idle");
	assert_int_equal(old->nseen, 0);	/* ids gone, resume point kept */
	assert_int_equal(old->last_timestamp, T0 - 60000 + 9);
	assert_true(old->shipped == 10);
	checkpoint_close(st);
	buf_free(&err);
}

/* Is there a checkpoint file for stream in dir? */
static int
has_file(const char *dir, const char *stream)
{
	struct buf p = BUF_INIT;
	int rc;

	buf_printf(&p, "%s/streams/", dir);
	checkpoint_file_name(&p, stream);
	rc = access(p.data, F_OK) == 0;
	buf_free(&p);
	return rc;
}

/*
 * Streams without events since before the cut and without ids are
 * forgotten (file and state); one with ids left, or a recent one, stays,
 * still found by name after the table is rebuilt; a reopen agrees.
 */
static void
test_forget_idle(void **state)
{
	static const char *const names[] = { "gone-1", "gone-2", "gone-3",
	    "kept-ids", "recent", NULL };
	const char *dir = *state;
	struct checkpoint_store *st;
	struct stream_state *s;
	struct buf err = BUF_INIT;
	const char *const *n;
	int64_t cut = T0 + 1000;

	st = checkpoint_open(dir, &err);
	assert_non_null(st);
	for (n = names; *n != NULL; n++)
		fill_stream(checkpoint_stream(st, *n), 5,
		    strcmp(*n, "recent") == 0 ? T0 + 5000 : T0);
	schedule_init(&checkpoint_group(st)->sched, 30, 900, T0);
	assert_int_equal(checkpoint_compact(st, &err), 0);
	for (n = names; *n != NULL; n++) {
		assert_true(has_file(dir, *n));
		if (strncmp(*n, "gone", 4) == 0)
			stream_seen_prune(checkpoint_stream(st, *n), cut);
	}
	assert_int_equal(checkpoint_forget_idle(st, cut), 3);
	assert_int_equal(checkpoint_forget_idle(st, cut), 0);
	assert_false(has_file(dir, "gone-1") || has_file(dir, "gone-2") ||
	    has_file(dir, "gone-3"));
	assert_true(has_file(dir, "kept-ids") && has_file(dir, "recent"));
	s = checkpoint_stream(st, "recent");
	assert_int_equal(s->shipped, 5);
	assert_int_equal(s->last_timestamp, T0 + 5004);
	assert_int_equal(checkpoint_stream(st, "kept-ids")->nseen, 5);
	assert_int_equal(checkpoint_stream(st, "gone-2")->shipped, 0);
	assert_int_equal(checkpoint_sync(st, &err), 0);
	checkpoint_close(st);

	st = checkpoint_open(dir, &err);
	assert_non_null(st);
	assert_int_equal(checkpoint_stream(st, "recent")->shipped, 5);
	assert_int_equal(checkpoint_stream(st, "kept-ids")->shipped, 5);
	assert_int_equal(checkpoint_stream(st, "gone-1")->shipped, 0);
	checkpoint_close(st);
	buf_free(&err);
}

/* --status into a string. */
static int
status(const char *dir, int64_t now, struct buf *out, struct buf *err)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	int rc;

	assert_non_null(fp);
	rc = checkpoint_print_status(dir, now, fp, err);
	fclose(fp);
	buf_reset(out);
	buf_add(out, text, len);
	free(text);
	return rc;
}

static void
test_status(void **state)
{
	const char *dir = *state;
	char *missing = path_of(dir, "nowhere"), *bad, *gbad;
	struct checkpoint_store *st;
	struct stream_state *s;
	struct buf out = BUF_INIT, err = BUF_INIT;
	int64_t now = T0 + 192000;
	char *b, *a, *t;

	assert_int_equal(status(missing, now, &out, &err), -1);
	assert_non_null(strstr(err.data, "/nowhere: no such directory"));
	buf_reset(&err);

	st = checkpoint_open(dir, &err);
	s = checkpoint_stream(st, "eni-b");
	fill_stream(s, 42, T0 - 41);		/* last event: T0 */
	checkpoint_stream(st, "eni-a");		/* nothing shipped yet */
	fill_stream(checkpoint_stream(st, "tab\there"), 1, T0 - 7200000);
	make_group(checkpoint_group(st));
	assert_int_equal(checkpoint_sync(st, &err), 0);
	checkpoint_close(st);

	assert_int_equal(status(dir, now, &out, &err), 0);
	print_message("%s", out.data);
	assert_true(strncmp(out.data, "STREAM    LAST EVENT", 20) == 0);
	assert_non_null(strstr(out.data, "LAG       SHIPPED\n"));
	a = strstr(out.data, "\neni-a ");
	b = strstr(out.data, "\neni-b ");
	t = strstr(out.data, "\ntab?here ");
	assert_true(a != NULL && b != NULL && t != NULL && a < b && b < t);
	assert_non_null(strstr(b, "2023-11-14T22:13:20Z  3m12s     42\n"));
	assert_non_null(strstr(a, "-                     -         0\n"));
	assert_non_null(strstr(t, "2h03m"));
	assert_non_null(strstr(out.data, "group: 5 scan levels, scanned up to "
	    "3m12s ago (age 0s), 3m43s ago (age 30s), 5m14s ago (age "
	    "2m), 11m15s ago (age 8m), 18m16s ago (age 15m)\n"));
	assert_non_null(strstr(out.data, "group: shipped 123456, rejected 7, "
	    "parse errors 3, duplicates skipped 99\n"));

	/* A damaged file: the others are still shown, the bad one named. */
	bad = path_of(dir, "streams/eni-a.ckpt");
	write_bytes(bad, "junk", 4);
	assert_int_equal(status(dir, now, &out, &err), -1);
	assert_non_null(strstr(out.data, "\neni-b "));
	assert_null(strstr(out.data, "\neni-a "));
	assert_non_null(strstr(err.data, "streams/eni-a.ckpt: not a vpcflowd "
	    "stream file"));
	gbad = path_of(dir, "group.state");
	write_bytes(gbad, "", 0);
	buf_reset(&err);
	assert_int_equal(status(dir, now, &out, &err), -1);
	assert_non_null(strstr(out.data, "group: group.state cannot be read "
	    "(see below)\n"));
	assert_non_null(strstr(err.data, "group.state: empty file"));
	assert_non_null(strstr(err.data, "eni-a.ckpt: not a vpcflowd"));
	free(bad);
	free(gbad);
	free(missing);
	buf_free(&out);
	buf_free(&err);
}

static void
test_status_empty(void **state)
{
	struct buf out = BUF_INIT, err = BUF_INIT;

	assert_int_equal(status(*state, T0, &out, &err), 0);
	assert_non_null(strstr(out.data, "(no log stream has a checkpoint "
	    "yet)\n"));
	assert_non_null(strstr(out.data, "group: group.state not written "
	    "yet\n"));
	assert_int_equal(err.len, 0);
	buf_free(&out);
	buf_free(&err);
}

/* ---- the journal --------------------------------------------------------- */

#define JOURNAL_HEAD	"vpcflowd-journal 1\n"
#define WAY_OUT_J	"; move it away (keep it for a bug report): vpcflowd " \
			"then starts from the stream and group files alone"

static off_t
size_of(const char *path)
{
	struct stat sb;

	assert_int_equal(stat(path, &sb), 0);
	return sb.st_size;
}

static const char *const names3[] = { "eni-a", "eni-b", "new one/\xc3\xa9",
    NULL };

/* Everything the store holds of the streams names and the group, encoded. */
static void
encode_state(struct checkpoint_store *st, const char *const *names,
    struct buf *out)
{
	buf_reset(out);
	for (; *names != NULL; names++)
		checkpoint_encode_stream(out, checkpoint_stream(st, *names));
	checkpoint_encode_group(out, checkpoint_group(st));
}

/* dir reopened holds exactly want; the store is returned open. */
static struct checkpoint_store *
assert_reopens_to(const char *dir, const char *const *names,
    const struct buf *want)
{
	struct checkpoint_store *st;
	struct buf err = BUF_INIT, got = BUF_INIT;

	st = checkpoint_open(dir, &err);
	if (st == NULL)
		fail_msg("open: %s", err.data);
	encode_state(st, names, &got);
	if (got.len != want->len || memcmp(got.data, want->data,
	    got.len) != 0) {
		print_message("got:\n%s\n", got.data);
		print_message("want:\n%s\n", want->data);
		fail_msg("%s: not the state before the reopen", dir);
	}
	buf_free(&err);
	buf_free(&got);
	return st;
}

/* Close st; dir reopened holds exactly want (names3). */
static void
close_reopens_to(struct checkpoint_store *st, const char *dir,
    const struct buf *want)
{
	checkpoint_close(st);
	checkpoint_close(assert_reopens_to(dir, names3, want));
}

/* A journal test: its directory, the journal's path, err and want. */
struct jt {
	char		*dir, *jpath;
	struct buf	 err, want;
};

static int
setup_journal(void **state)
{
	struct jt *t = calloc(1, sizeof(*t));

	if (t == NULL || setup_dir(state) == -1)
		return -1;
	t->dir = *state;
	t->jpath = path_of(t->dir, "journal");
	*state = t;
	return 0;
}

static int
teardown_journal(void **state)
{
	struct jt *t = *state;

	*state = t->dir;
	teardown_dir(state);
	free(t->jpath);
	buf_free(&t->err);
	buf_free(&t->want);
	free(t);
	return 0;
}

/* A batch acknowledged: n new ids in stream name, the group moved on. */
static void
batch(struct checkpoint_store *st, const char *name, int n, int64_t ts)
{
	struct group_state *g = checkpoint_group(st);

	fill_stream(checkpoint_stream(st, name), n, ts);
	g->shipped += (uint64_t)n;
	g->sched.pos_ms[0] = ts;
}

/* A store with streams eni-a and eni-b and a group, compacted. */
static struct checkpoint_store *
journal_store(const char *dir)
{
	struct checkpoint_store *st;
	struct buf err = BUF_INIT;

	st = checkpoint_open(dir, &err);
	assert_non_null(st);
	make_group(checkpoint_group(st));
	fill_stream(checkpoint_stream(st, "eni-a"), 3, T0);
	fill_stream(checkpoint_stream(st, "eni-b"), 3, T0);
	assert_int_equal(checkpoint_sync(st, &err), 0);	/* compacts */
	buf_free(&err);
	return st;
}


static void
test_journal_append(void **state)
{
	struct jt *t = *state;
	const char *dir = t->dir, *jpath = t->jpath;
	struct buf *err = &t->err;
	char *a = path_of(dir, "streams/eni-a.ckpt"), *gpath = path_of(dir,
	    "group.state");
	struct checkpoint_store *st;
	struct buf abefore = BUF_INIT, gbefore = BUF_INIT,
	    now = BUF_INIT, j = BUF_INIT;
	off_t len;

	st = journal_store(dir);
	read_bytes(jpath, &j);
	assert_string_equal(j.data, JOURNAL_HEAD);
	read_bytes(a, &abefore);
	read_bytes(gpath, &gbefore);
	batch(st, "eni-a", 2, T0 + 1000);
	assert_int_equal(checkpoint_sync(st, err), 0);
	assert_false(checkpoint_stream(st, "eni-a")->dirty);
	/* The files are as they were; the journal has the record. */
	read_bytes(a, &now);
	assert_string_equal(now.data, abefore.data);
	read_bytes(gpath, &now);
	assert_string_equal(now.data, gbefore.data);
	read_bytes(jpath, &j);
	assert_true(strncmp(j.data, JOURNAL_HEAD "record\nstream eni-a\n"
	    "last_timestamp 1700000001001\n", 66) == 0);
	assert_non_null(strstr(j.data, "\nshipped 5\nadded 2\n"));
	assert_non_null(strstr(j.data, "\ngroup\npoll_ms 30000\n"));
	assert_null(strstr(j.data, "eni-b"));
	assert_int_equal(count_entries(dir, ".tmp-"), 0);
	/* Nothing dirty, group unchanged: nothing appended. */
	len = size_of(jpath);
	assert_int_equal(checkpoint_sync(st, err), 0);
	assert_int_equal(size_of(jpath), len);
	/* Only the group changed: a record with the group alone. */
	checkpoint_group(st)->duplicates++;
	assert_int_equal(checkpoint_sync(st, err), 0);
	read_bytes(jpath, &j);
	assert_non_null(strstr(j.data + len, "record\ngroup\n"));
	checkpoint_close(st);
	free(a);
	free(gpath);
	buf_free(&abefore);
	buf_free(&gbefore);
	buf_free(&now);
	buf_free(&j);
}

static void
test_journal_reopen(void **state)
{
	struct jt *t = *state;
	const char *dir = t->dir, *jpath = t->jpath;
	struct buf *err = &t->err, *want = &t->want;
	struct checkpoint_store *st;
	struct stream_state *s;
	struct buf got = BUF_INIT;
	int64_t horizon = T0 + 51;
	int i;

	st = journal_store(dir);
	for (i = 0; i < 5; i++) {
		batch(st, "eni-a", 40, T0 + 1000 * i);
		batch(st, names3[2], 1, T0 + 1000 * i + 7);
		if (i == 2)
			checkpoint_group(st)->rejected = 9;
		assert_int_equal(checkpoint_sync(st, err), 0);
	}
	/* An id pruned, then added again: appended twice to fresh. */
	s = checkpoint_stream(st, "eni-b");
	stream_seen_add(s, T0 + 50, 42);
	checkpoint_foreach(st, prune_cb, &horizon);
	stream_seen_add(s, T0 + 52, 42);
	assert_int_equal(checkpoint_sync(st, err), 0);
	encode_state(st, names3, want);
	assert_true(size_of(jpath) > (off_t)strlen(JOURNAL_HEAD));
	checkpoint_close(st);

	/* The files' ids below the horizon come back until the prune. */
	st = checkpoint_open(dir, err);
	assert_non_null(st);
	assert_int_equal(checkpoint_stream(st, "eni-b")->nseen, 4);
	checkpoint_foreach(st, prune_cb, &horizon);
	encode_state(st, names3, &got);
	assert_string_equal(got.data, want->data);
	assert_int_equal(checkpoint_stream(st, "eni-a")->nseen, 160);
	assert_false(checkpoint_stream(st, "eni-a")->dirty);
	assert_int_equal(checkpoint_stream(st, "eni-a")->nfresh, 0);
	/* Records found: the first sync compacts. */
	assert_int_equal(checkpoint_sync(st, err), 0);
	assert_int_equal(size_of(jpath), strlen(JOURNAL_HEAD));
	close_reopens_to(st, dir, want);
	buf_free(&got);
}

static void
test_journal_compact(void **state)
{
	struct jt *t = *state;
	const char *dir = t->dir, *jpath = t->jpath;
	struct buf *err = &t->err, *want = &t->want;
	char *a = path_of(dir, "streams/eni-a.ckpt");
	struct checkpoint_store *st;
	struct stream_state back;
	struct buf file = BUF_INIT;

	st = journal_store(dir);
	batch(st, "eni-a", 10, T0 + 1000);
	batch(st, names3[2], 10, T0 + 2000);
	assert_int_equal(checkpoint_sync(st, err), 0);
	encode_state(st, names3, want);
	assert_int_equal(checkpoint_compact(st, err), 0);
	read_bytes(jpath, &file);
	assert_string_equal(file.data, JOURNAL_HEAD);
	read_bytes(a, &file);
	assert_int_equal(checkpoint_decode_stream(&back, file.data, file.len,
	    err), 0);
	assert_same_stream(&back, checkpoint_stream(st, "eni-a"));
	stream_state_free(&back);
	assert_int_equal(count_entries(dir, ".tmp-"), 0);
	close_reopens_to(st, dir, want);
	free(a);
	buf_free(&file);
}

/*
 * A crash between compaction's files and the journal's replacement: the
 * records replayed are older than the files. Nothing goes back, nothing
 * counts twice; the group's positions are the last record's.
 */
static void
test_journal_replay_older(void **state)
{
	struct jt *t = *state;
	const char *dir = t->dir, *jpath = t->jpath;
	struct buf *err = &t->err, *want = &t->want;
	struct checkpoint_store *st;
	struct group_state *g;
	struct buf old = BUF_INIT;
	int64_t old_pos;
	int i;

	st = journal_store(dir);
	for (i = 0; i < 3; i++) {
		batch(st, "eni-a", 5, T0 + 1000 * i);
		batch(st, names3[2], 2, T0 + 1000 * i + 3);
		assert_int_equal(checkpoint_sync(st, err), 0);
	}
	read_bytes(jpath, &old);
	encode_state(st, names3, want);
	assert_int_equal(checkpoint_compact(st, err), 0);
	checkpoint_close(st);
	write_bytes(jpath, old.data, old.len);	/* the crash */
	checkpoint_close(assert_reopens_to(dir, names3, want));

	/* Files newer by a whole batch than the last record. */
	st = checkpoint_open(dir, err);
	assert_non_null(st);
	assert_int_equal(checkpoint_sync(st, err), 0);	/* compacts */
	batch(st, "eni-a", 5, T0 + 8000);
	assert_int_equal(checkpoint_sync(st, err), 0);
	old_pos = checkpoint_group(st)->sched.pos_ms[0];
	read_bytes(jpath, &old);
	batch(st, "eni-a", 5, T0 + 9000);
	checkpoint_group(st)->duplicates += 4;
	assert_int_equal(checkpoint_sync(st, err), 0);
	g = checkpoint_group(st);
	assert_int_equal(checkpoint_compact(st, err), 0);
	g->sched.pos_ms[0] = old_pos;	/* what the replay gives back */
	encode_state(st, names3, want);
	checkpoint_close(st);
	write_bytes(jpath, old.data, old.len);
	st = assert_reopens_to(dir, names3, want);
	assert_true(checkpoint_stream(st, "eni-a")->shipped == 3 + 25);
	assert_true(checkpoint_group(st)->shipped == 123456 + 15 + 6 + 10);
	assert_int_equal(checkpoint_group(st)->sched.pos_ms[0], T0 + 8000);
	assert_true(checkpoint_group(st)->duplicates == 99 + 4);
	checkpoint_close(st);
	buf_free(&old);
}

static void
test_journal_torn(void **state)
{
	struct jt *t = *state;
	const char *dir = t->dir, *jpath = t->jpath;
	struct buf *err = &t->err;
	struct checkpoint_store *st;
	struct buf want2 = BUF_INIT, want3 = BUF_INIT,
	    j = BUF_INIT;
	static const size_t cuts[] = { 1, 3, 15, 16, 40 };
	size_t i;

	st = journal_store(dir);
	batch(st, "eni-a", 5, T0 + 1000);
	assert_int_equal(checkpoint_sync(st, err), 0);
	batch(st, names3[2], 5, T0 + 2000);
	assert_int_equal(checkpoint_sync(st, err), 0);
	encode_state(st, names3, &want2);
	batch(st, "eni-b", 5, T0 + 3000);
	batch(st, "eni-a", 1, T0 + 3000);
	assert_int_equal(checkpoint_sync(st, err), 0);
	encode_state(st, names3, &want3);
	checkpoint_close(st);
	read_bytes(jpath, &j);

	/* Cut anywhere in the last record: that record alone is dropped. */
	for (i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
		write_bytes(jpath, j.data, j.len - cuts[i]);
		checkpoint_close(assert_reopens_to(dir, names3, &want2));
		assert_int_equal(size_of(jpath), j.len - cuts[i]);
	}
	/* A byte of the last record damaged: the same. */
	j.data[j.len - 30] ^= 4;
	write_bytes(jpath, j.data, j.len);
	checkpoint_close(assert_reopens_to(dir, names3, &want2));
	j.data[j.len - 30] ^= 4;
	/* Garbage after the last good record, no newline: dropped. */
	buf_addstr(&j, "record\nstream eni-");
	write_bytes(jpath, j.data, j.len);
	st = assert_reopens_to(dir, names3, &want3);
	/* The torn tail is never appended to: the first sync compacts. */
	assert_int_equal(checkpoint_sync(st, err), 0);
	assert_int_equal(size_of(jpath), strlen(JOURNAL_HEAD));
	checkpoint_close(st);
	checkpoint_close(assert_reopens_to(dir, names3, &want3));
	buf_free(&want2);
	buf_free(&want3);
	buf_free(&j);
}

/* Replace in j the first "crc32" line after from by the right one. */
static void
fix_crc(struct buf *j, size_t from)
{
	char *t = strstr(j->data + from, "crc32 "), tmp[16];

	assert_non_null(t);
	snprintf(tmp, sizeof(tmp), "%08lx", (unsigned long)crc32(0L,
	    (const Bytef *)j->data + from, (uInt)(t - j->data - from)));
	memcpy(t + 6, tmp, 8);
}

static void
test_journal_damaged(void **state)
{
	struct jt *t = *state;
	const char *dir = t->dir, *jpath = t->jpath;
	struct buf *err = &t->err;
	struct checkpoint_store *st;
	struct buf j = BUF_INIT, bad = BUF_INIT;
	size_t second, third;
	char *p;
	int k;

	st = journal_store(dir);
	batch(st, "eni-a", 5, T0 + 1000);
	assert_int_equal(checkpoint_sync(st, err), 0);
	batch(st, "eni-b", 5, T0 + 2000);
	assert_int_equal(checkpoint_sync(st, err), 0);
	batch(st, "eni-a", 5, T0 + 3000);
	assert_int_equal(checkpoint_sync(st, err), 0);
	checkpoint_close(st);
	read_bytes(jpath, &j);
	second = (size_t)(strstr(j.data + strlen(JOURNAL_HEAD) + 1,
	    "record\n") - j.data);
	third = (size_t)(strstr(j.data + second + 1, "record\n") - j.data);

	/* A byte of the middle record: corruption, not a torn tail. */
	buf_reset(&bad);
	buf_add(&bad, j.data, j.len);
	bad.data[second + 40] ^= 1;
	write_bytes(jpath, bad.data, bad.len);
	assert_open_fails(dir, jpath, ": line ", WAY_OUT_J);
	assert_open_fails(dir, jpath, "a record with a damaged \"crc32\" "
	    "line or checksum, followed by more", "CORRUPT CHECKPOINTS");
	/* Its "crc32" line gone: it runs into the next record. */
	buf_reset(&bad);
	buf_add(&bad, j.data, j.len);
	p = strstr(bad.data + second, "crc32 ");
	memcpy(p, "crc33 ", 6);
	write_bytes(jpath, bad.data, bad.len);
	assert_open_fails(dir, jpath, "a record without its \"crc32\" line "
	    "before the next one", WAY_OUT_J);
	/* The right checksum over what the encoder never writes. */
	buf_reset(&bad);
	buf_add(&bad, j.data, third);
	p = strstr(bad.data + second, "shipped ");
	memmove(p + 9, p + 8, strlen(p + 8) + 1);
	p[8] = '0';
	bad.len++;
	fix_crc(&bad, second);
	write_bytes(jpath, bad.data, bad.len);
	assert_open_fails(dir, jpath, "is not a number", WAY_OUT_J);
	/* The same stream twice in a record. */
	buf_reset(&bad);
	buf_add(&bad, j.data, second);
	buf_addstr(&bad, "record\n");
	for (k = 0; k < 2; k++)
		buf_addstr(&bad, "stream x\nlast_timestamp -1\n"
		    "last_ingestion -1\nshipped 0\nadded 0\n");
	buf_addstr(&bad, "crc32 00000000\n");
	fix_crc(&bad, second);
	write_bytes(jpath, bad.data, bad.len);
	assert_open_fails(dir, jpath, "the record names log stream \"x\" "
	    "twice", WAY_OUT_J);
	/* The first line. */
	write_bytes(jpath, "vpcflowd-journal 2\n", 19);
	assert_open_fails(dir, jpath, "version 2: this vpcflowd knows "
	    "version 1", WAY_OUT_J);
	write_bytes(jpath, "", 0);
	assert_open_fails(dir, jpath, "empty file", WAY_OUT_J);
	/* Moved away: the files alone. */
	write_bytes(jpath, j.data, j.len);
	checkpoint_close(checkpoint_open(dir, err));
	buf_free(&j);
	buf_free(&bad);
}

static void
test_journal_max(void **state)
{
	struct jt *t = *state;
	const char *dir = t->dir, *jpath = t->jpath;
	struct buf *err = &t->err, *want = &t->want;
	char *a = path_of(dir, "streams/eni-a.ckpt");
	struct checkpoint_store *st;
	struct buf file = BUF_INIT,
	    first = BUF_INIT;
	int i, compactions = 0;
	off_t len, prev = (off_t)strlen(JOURNAL_HEAD);

	st = journal_store(dir);
	checkpoint_set_journal_max(st, 2000);
	read_bytes(a, &first);
	for (i = 0; i < 40; i++) {
		batch(st, "eni-a", 3, T0 + 1000 * i);
		assert_int_equal(checkpoint_sync(st, err), 0);
		len = size_of(jpath);
		assert_true(len <= 2000);
		if (len < prev) {
			assert_int_equal(len, strlen(JOURNAL_HEAD));
			compactions++;
		}
		prev = len;
	}
	assert_true(compactions >= 5);
	read_bytes(a, &file);
	assert_string_not_equal(file.data, first.data);
	encode_state(st, names3, want);
	close_reopens_to(st, dir, want);
	free(a);
	buf_free(&file);
	buf_free(&first);
}

static void
test_journal_append_fails(void **state)
{
	struct jt *t = *state;
	const char *dir = t->dir, *jpath = t->jpath;
	struct buf *err = &t->err, *want = &t->want;
	struct checkpoint_store *st;
	struct stream_state *s;
	struct buf j = BUF_INIT, after = BUF_INIT;
	struct rlimit rl, small;
	off_t len;

	st = journal_store(dir);
	batch(st, "eni-a", 5, T0 + 1000);
	assert_int_equal(checkpoint_sync(st, err), 0);
	len = size_of(jpath);
	s = checkpoint_stream(st, "eni-a");
	batch(st, "eni-a", 5, T0 + 2000);
	checkpoint_inject_error(st, ENOSPC);
	errno = 0;
	assert_int_equal(checkpoint_sync(st, err), -1);
	assert_int_equal(errno, ENOSPC);
	assert_true(strstr(err->data, "/journal: write: ") != NULL &&
	    strstr(err->data, strerror(ENOSPC)) != NULL);
	assert_true(s->dirty);
	assert_int_equal(size_of(jpath), len);
	checkpoint_inject_error(st, 0);
	assert_int_equal(checkpoint_sync(st, err), 0);	/* compacts */
	assert_false(s->dirty);
	assert_int_equal(size_of(jpath), strlen(JOURNAL_HEAD));

	/* A real short write (file size limit): cut back to the last record. */
	batch(st, "eni-b", 5, T0 + 3000);
	assert_int_equal(checkpoint_sync(st, err), 0);
	len = size_of(jpath);
	read_bytes(jpath, &j);
	batch(st, "eni-a", 500, T0 + 4000);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &rl), 0);
	small = rl;
	small.rlim_cur = (rlim_t)len + 100;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	buf_reset(err);
	assert_int_equal(checkpoint_sync(st, err), -1);
	assert_int_equal(errno, EFBIG);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &rl), 0);
	signal(SIGXFSZ, SIG_DFL);
	assert_non_null(strstr(err->data, "/journal: write: "));
	read_bytes(jpath, &after);
	assert_int_equal(after.len, len);
	assert_memory_equal(after.data, j.data, j.len);
	assert_true(s->dirty);
	encode_state(st, names3, want);
	assert_int_equal(checkpoint_sync(st, err), 0);
	assert_int_equal(size_of(jpath), strlen(JOURNAL_HEAD));
	close_reopens_to(st, dir, want);
	buf_free(&j);
	buf_free(&after);
}

static void
test_journal_status(void **state)
{
	struct jt *t = *state;
	const char *dir = t->dir, *jpath = t->jpath;
	struct buf *err = &t->err;
	struct checkpoint_store *st;
	struct buf out = BUF_INIT, j = BUF_INIT;

	st = journal_store(dir);
	batch(st, "eni-a", 40, T0 + 1);
	fill_stream(checkpoint_stream(st, "only-journaled"), 7, T0 - 6);
	checkpoint_group(st)->duplicates = 1000;
	assert_int_equal(checkpoint_sync(st, err), 0);
	checkpoint_close(st);
	assert_int_equal(status(dir, T0 + 60000, &out, err), 0);
	assert_non_null(strstr(out.data, "\neni-a           "
	    "2023-11-14T22:13:20Z  59s       43\n"));
	assert_non_null(strstr(out.data, "\nonly-journaled  "
	    "2023-11-14T22:13:20Z  1m        7\n"));
	assert_non_null(strstr(out.data, "shipped 123496, rejected 7, parse "
	    "errors 3, duplicates skipped 1000\n"));
	assert_int_equal(err->len, 0);
	/* A torn last record: ignored, as the daemon drops it. */
	read_bytes(jpath, &j);
	write_bytes(jpath, j.data, j.len - 5);
	assert_int_equal(status(dir, T0 + 60000, &out, err), 0);
	assert_null(strstr(out.data, "only-journaled"));
	assert_int_equal(err->len, 0);
	/* Damaged: named like a damaged file, the rest still shown. */
	j.data[strlen(JOURNAL_HEAD) + 20] ^= 1;
	buf_addstr(&j, "record\n");
	write_bytes(jpath, j.data, j.len);
	assert_int_equal(status(dir, T0 + 60000, &out, err), -1);
	assert_non_null(strstr(out.data, "\neni-b "));
	assert_non_null(strstr(err->data, "/journal: line 2: "));
	assert_non_null(strstr(err->data, WAY_OUT_J));
	buf_free(&out);
	buf_free(&j);
}

/* Names, sizes, times and inodes of what state_dir holds. */
static void
snapshot(const char *dir, struct buf *out)
{
	static const char *const subs[] = { "", "/streams" };
	struct buf p = BUF_INIT;
	struct dirent *de;
	struct stat sb;
	DIR *d;
	size_t i;

	buf_reset(out);
	for (i = 0; i < 2; i++) {
		buf_reset(&p);
		buf_printf(&p, "%s%s", dir, subs[i]);
		assert_non_null(d = opendir(p.data));
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, "..") == 0)
				continue;	/* /tmp: not ours */
			buf_reset(&p);
			buf_printf(&p, "%s%s/%s", dir, subs[i], de->d_name);
			assert_int_equal(lstat(p.data, &sb), 0);
			buf_printf(out, "%s %lld %lld.%09ld %llu\n", p.data,
			    (long long)sb.st_size, (long long)sb.st_mtim.tv_sec,
			    sb.st_mtim.tv_nsec, (unsigned long long)sb.st_ino);
		}
		closedir(d);
	}
	buf_free(&p);
}

static void
test_journal_open_writes_nothing(void **state)
{
	struct jt *t = *state;
	const char *dir = t->dir, *jpath = t->jpath;
	struct buf *err = &t->err, *want = &t->want;
	struct checkpoint_store *st;
	struct buf before = BUF_INIT, after = BUF_INIT,
	    j = BUF_INIT;

	st = journal_store(dir);
	batch(st, "eni-a", 5, T0 + 1000);
	batch(st, names3[2], 5, T0 + 1000);
	assert_int_equal(checkpoint_sync(st, err), 0);
	encode_state(st, names3, want);
	checkpoint_close(st);
	read_bytes(jpath, &j);
	buf_addstr(&j, "record\nstream eni-a\nlast_ti");
	write_bytes(jpath, j.data, j.len);
	snapshot(dir, &before);
	usleep(20000);
	/* Records to replay, then a torn one: still nothing written. */
	st = assert_reopens_to(dir, names3, want);
	checkpoint_close(st);
	snapshot(dir, &after);
	assert_string_equal(before.data, after.data);
	buf_free(&before);
	buf_free(&after);
	buf_free(&j);
}

#define STORE_TEST(f)	cmocka_unit_test_setup_teardown(f, setup_dir, \
			    teardown_dir)
#define JOURNAL_TEST(f)	cmocka_unit_test_setup_teardown(f, setup_journal, \
			    teardown_journal)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_id_hash),
		cmocka_unit_test(test_seen_set),
		cmocka_unit_test(test_seen_prune),
		cmocka_unit_test(test_seen_lookup_spread),
		cmocka_unit_test(test_seen_300k),
		cmocka_unit_test(test_stream_roundtrip),
		cmocka_unit_test(test_stream_format),
		cmocka_unit_test(test_group_roundtrip),
		cmocka_unit_test(test_rejections),
		cmocka_unit_test(test_every_flip_and_cut),
		cmocka_unit_test(test_file_names),
		STORE_TEST(test_store_roundtrip),
		STORE_TEST(test_lock),
		STORE_TEST(test_crash_leftovers),
		STORE_TEST(test_damaged_files),
		STORE_TEST(test_sync_failures),
		STORE_TEST(test_open_unwritable),
		STORE_TEST(test_store_prune),
		STORE_TEST(test_forget_idle),
		STORE_TEST(test_status),
		STORE_TEST(test_status_empty),
		JOURNAL_TEST(test_journal_append),
		JOURNAL_TEST(test_journal_reopen),
		JOURNAL_TEST(test_journal_compact),
		JOURNAL_TEST(test_journal_replay_older),
		JOURNAL_TEST(test_journal_torn),
		JOURNAL_TEST(test_journal_damaged),
		JOURNAL_TEST(test_journal_max),
		JOURNAL_TEST(test_journal_append_fails),
		JOURNAL_TEST(test_journal_status),
		JOURNAL_TEST(test_journal_open_writes_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
