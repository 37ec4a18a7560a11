/*
 * Micro-benchmark: one FilterLogEvents page (10,000 events, about 3 MB,
 * as CloudWatch Logs sends them) parsed again and again by cwl_page_parse
 * (the scanner) and by the jansson tree parser it replaced (cwl_ref.h).
 * Prints ns per event for each. Usage: bench_cwl [rounds [scanner|jansson]]
 * (default 50 rounds, both parsers; one of them alone for a profiler).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "cwl.h"
#include "../fuzz/cwl_ref.h"

/* A page like the service's: compact JSON, v2 records of ~110 bytes. */
static void
make_page(struct buf *b, size_t n)
{
	size_t i;

	buf_addstr(b, "{\"events\":[");
	for (i = 0; i < n; i++)
		buf_printf(b, "%s{\"logStreamName\":\"eni-0123456789abcdef0-all\","
		    "\"timestamp\":%zu,\"message\":\"2 123456789012 "
		    "eni-0123456789abcdef0 10.0.%zu.%zu 172.31.%zu.%zu %zu 443 6 "
		    "%zu %zu 1700000000 1700000060 ACCEPT OK\",\"ingestionTime\":"
		    "%zu,\"eventId\":\"3793405612345678901234567890123456789012"
		    "%016zu\"}", i ? "," : "", 1700000000000 + i, i / 256 % 256,
		    i % 256, i / 7 % 256, i * 13 % 256, 1024 + i * 37 % 60000,
		    1 + i % 90, 40 + i * 97 % 100000, 1700000060500 + i, i);
	buf_addstr(b, "],\"searchedLogStreams\":[{\"logStreamName\":"
	    "\"eni-0123456789abcdef0-all\",\"searchedCompletely\":true}],"
	    "\"nextToken\":\"Bxkq6kVGFtq2y_MoigeqscPOdhXVbhiVtLoAmXb5jCrI\"}");
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
report(const char *name, double s, size_t n, size_t len, int rounds)
{
	printf("  %s: %8.1f ns/event  %7.1f MB/s\n", name,
	    s * 1e9 / ((double)n * rounds), (double)len * rounds / s / 1e6);
}

int
main(int argc, char **argv)
{
	struct buf body = BUF_INIT, err = BUF_INIT;
	struct cwl_page page;
	struct ref_page ref;
	int rounds = argc > 1 ? atoi(argv[1]) : 50, r;
	const char *only = argc > 2 ? argv[2] : "";
	size_t n = CWL_MAX_LIMIT, sum = 0;
	double t0, scan_s, tree_s;

	log_init(-1);
	make_page(&body, n);
	t0 = now();
	for (r = 0; r < rounds && strcmp(only, "jansson") != 0; r++) {
		if (cwl_page_parse(&page, body.data, body.len, &err) == -1 ||
		    page.nevents != n)
			fatalx("scanner: %s", err.data);
		sum += page.events[r % n].message_len;
		cwl_page_free(&page);
	}
	scan_s = now() - t0;
	t0 = now();
	for (r = 0; r < rounds && strcmp(only, "scanner") != 0; r++) {
		if (ref_page_parse(&ref, body.data, body.len, &err) == -1 ||
		    ref.nevents != n)
			fatalx("jansson: %s", err.data);
		sum += ref.events[r % n].message_len;
		ref_page_free(&ref);
	}
	tree_s = now() - t0;
	printf("cwl page: %zu events, %zu bytes, %d rounds\n", n, body.len,
	    rounds);
	if (strcmp(only, "jansson") != 0)
		report("scanner", scan_s, n, body.len, rounds);
	if (strcmp(only, "scanner") != 0)
		report("jansson", tree_s, n, body.len, rounds);
	if (*only == '\0')
		printf("  speed-up: %.1fx\n", tree_s / scan_s);
	printf("  (checksum %zu)\n", sum);
	buf_free(&body);
	buf_free(&err);
	return 0;
}
