/*
 * Micro-benchmark: one FilterLogEvents page (10,000 events, about 3 MB,
 * as CloudWatch Logs sends them) parsed again and again by cwl_page_parse
 * (the scanner) and by the jansson tree parser it replaced (cwl_ref.h).
 * Prints CPU ns per event for each. Usage: bench_cwl [rounds [scanner|jansson]]
 * (default 50 rounds, both parsers; one of them alone for a profiler).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "clock.h"
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

/* One parse by the scanner; returns a length read from the page. */
static size_t
run_scanner(const struct buf *body, size_t n)
{
	struct cwl_page page;
	struct buf err = BUF_INIT;
	size_t len;

	if (cwl_page_parse(&page, body->data, body->len, &err) == -1 ||
	    page.nevents != n)
		fatalx("scanner: %s", err.data);
	len = page.events[n / 2].message_len;
	cwl_page_free(&page);
	return len;
}

/* One parse by the old jansson tree parser. */
static size_t
run_jansson(const struct buf *body, size_t n)
{
	struct ref_page ref;
	struct buf err = BUF_INIT;
	size_t len;

	if (ref_page_parse(&ref, body->data, body->len, &err) == -1 ||
	    ref.nevents != n)
		fatalx("jansson: %s", err.data);
	len = ref.events[n / 2].message_len;
	ref_page_free(&ref);
	return len;
}

/* Time rounds parses of body by run and print ns per event. */
static void
bench(const char *name, size_t (*run)(const struct buf *, size_t),
    const struct buf *body, size_t n, int rounds, double *secs)
{
	size_t sum = 0;
	double t0 = clock_cpu_s();
	int r;

	for (r = 0; r < rounds; r++)
		sum += run(body, n);
	*secs = clock_cpu_s() - t0;
	printf("  %s: %8.1f ns/event  %7.1f MB/s  (checksum %zu)\n", name,
	    *secs * 1e9 / ((double)n * rounds),
	    (double)body->len * rounds / *secs / 1e6, sum);
}

int
main(int argc, char **argv)
{
	struct buf body = BUF_INIT;
	int rounds = argc > 1 ? atoi(argv[1]) : 50;
	const char *only = argc > 2 ? argv[2] : "";
	size_t n = CWL_MAX_LIMIT;
	double scan_s = 0, tree_s = 0;

	log_init(-1);
	make_page(&body, n);
	printf("cwl page: %zu events, %zu bytes, %d rounds\n", n, body.len,
	    rounds);
	if (strcmp(only, "jansson") != 0)
		bench("scanner", run_scanner, &body, n, rounds, &scan_s);
	if (strcmp(only, "scanner") != 0)
		bench("jansson", run_jansson, &body, n, rounds, &tree_s);
	if (*only == '\0')
		printf("  speed-up: %.1fx\n", tree_s / scan_s);
	buf_free(&body);
	return 0;
}
