/*
 * make bench: what shipping one record costs, without any I/O: encoding the
 * FilterLogEvents event into its document (style logzio, with log_group,
 * log_stream and a 56-digit event_id, as the daemon does), batching, and the
 * gzip of each 3,000,000-byte batch (the level the shipper uses). Records
 * shaped like the end-to-end benchmark's (tests/bench/bench_e2e.py).
 * Prints CPU seconds per million records for each step, the document size
 * and the compression ratio: the floor under the daemon's CPU per million.
 *
 *   build/bench/bench_ship [RECORDS]     (default 1,000,000)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
#include "flow.h"
#include "shipper.h"

#define BATCH_BYTES	3000000

/* xorshift64*: the same records on every run, no libc rand state. */
static uint64_t
next_rand(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static unsigned
pick(uint64_t *s, unsigned lo, unsigned hi)
{
	return lo + (unsigned)(next_rand(s) % (hi - lo + 1));
}

/* One v2 record of bench_e2e.py's shape, its stream and eventId. */
static void
make_record(uint64_t *rng, size_t i, int64_t ts_ms, struct buf *msg,
    struct buf *stream, struct buf *event_id)
{
	static const unsigned ports[] = { 443, 80, 22, 5432 };
	unsigned packets = pick(rng, 1, 500);
	char eni[32];

	snprintf(eni, sizeof(eni), "eni-%017" PRIx64, (uint64_t)((i % 1000) *
	    0x9e3779b97f4a7ULL & 0xfffffffffffffffULL));
	buf_reset(msg);
	buf_printf(msg, "2 123456789012 %s 10.0.%u.%u 10.1.%u.%u %u %u 6 %u "
	    "%u %" PRId64 " %" PRId64 " %s OK", eni, pick(rng, 0, 255),
	    pick(rng, 1, 254), pick(rng, 0, 255), pick(rng, 1, 254),
	    pick(rng, 1024, 65535), ports[next_rand(rng) % 4], packets,
	    packets * pick(rng, 40, 1500), ts_ms / 1000, ts_ms / 1000 + 60,
	    next_rand(rng) & 1 ? "ACCEPT" : "REJECT");
	buf_reset(stream);
	buf_printf(stream, "%s-all", eni);
	buf_reset(event_id);
	buf_printf(event_id, "%056" PRIu64, (uint64_t)(next_rand(rng) % 100000000000000000ULL));
}

/* Records generated ahead of the timed part: one batch's worth. */
#define CHUNK	4096

struct record {
	struct buf	msg, stream, id;
	int64_t		ts;
};

struct totals {
	double		encode_s, gzip_s;
	uint64_t	in_bytes, out_bytes;
	struct buf	gz;
};

/* gzip the batch as the shipper does (level 1), timed; then empty it. */
static void
flush(struct batch *b, struct totals *tt)
{
	double t = clock_cpu_s();

	buf_reset(&tt->gz);
	if (shipper_gzip(&tt->gz, b->docs.data, b->docs.len, 1) == -1) {
		fprintf(stderr, "bench_ship: gzip failed\n");
		exit(1);
	}
	tt->gzip_s += clock_cpu_s() - t;
	tt->in_bytes += b->docs.len;
	tt->out_bytes += tt->gz.len;
	batch_clear(b);
}

int
main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000000;
	size_t i, k, done;
	static struct record rec[CHUNK];
	struct totals tt = { 0, 0, 0, 0, BUF_INIT };
	struct buf doc = BUF_INIT;
	struct flow_format fmt;
	struct flow_opts opts = { FLOW_STYLE_LOGZIO, 1, NULL };
	struct flow_meta meta;
	struct batch b;
	uint64_t rng = 88172645463325252ULL;
	int64_t ts = 1764000000000;
	double t;
	char err[256];

	if (n == 0 || flow_format_parse(&fmt, "${version} ${account-id} "
	    "${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} "
	    "${protocol} ${packets} ${bytes} ${start} ${end} ${action} "
	    "${log-status}", err, sizeof(err)) == -1) {
		fprintf(stderr, "usage: bench_ship [RECORDS]\n");
		return 2;
	}
	batch_init(&b);
	for (done = 0; done < n; done += k) {
		k = n - done < CHUNK ? n - done : CHUNK;
		for (i = 0; i < k; i++) {
			ts += (int64_t)(next_rand(&rng) % 3);
			rec[i].ts = ts;
			make_record(&rng, done + i, ts, &rec[i].msg,
			    &rec[i].stream, &rec[i].id);
		}
		t = clock_cpu_s();
		for (i = 0; i < k; i++) {
			meta = (struct flow_meta){ "/vpc/flowlogs/bench",
			    rec[i].stream.data, rec[i].id.data, rec[i].ts };
			buf_reset(&doc);
			flow_encode(&doc, &fmt, &opts, &meta, rec[i].msg.data,
			    rec[i].msg.len);
			if (!batch_fits(&b, doc.len, BATCH_BYTES)) {
				tt.encode_s += clock_cpu_s() - t;
				flush(&b, &tt);
				t = clock_cpu_s();
			}
			batch_add(&b, doc.data, doc.len, 0);
		}
		tt.encode_s += clock_cpu_s() - t;
	}
	if (b.ndocs > 0)
		flush(&b, &tt);
	printf("shipping path without I/O: %zu records of the end-to-end "
	    "shape (style logzio, message included)\n", n);
	printf("  document               %.0f bytes on average\n",
	    (double)tt.in_bytes / (double)n);
	printf("  encode + batch         %.2f CPU-s per million\n",
	    tt.encode_s / (double)n * 1e6);
	printf("  gzip (level 1)         %.2f CPU-s per million  (%.0f MB/s, "
	    "ratio %.1f)\n", tt.gzip_s / (double)n * 1e6,
	    (double)tt.in_bytes / tt.gzip_s / 1e6, (double)tt.in_bytes /
	    (double)(tt.out_bytes ? tt.out_bytes : 1));
	for (i = 0; i < CHUNK; i++) {
		buf_free(&rec[i].msg);
		buf_free(&rec[i].stream);
		buf_free(&rec[i].id);
	}
	batch_free(&b);
	buf_free(&doc);
	buf_free(&tt.gz);
	return 0;
}
