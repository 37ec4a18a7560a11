/*
 * libFuzzer target: the FilterLogEvents response page parser (cwl.h), on
 * whatever a CloudWatch Logs endpoint (or a proxy in the way) may answer.
 *
 * Differential: every input is also parsed by the old tree-based parser
 * (cwl_ref.h: jansson json_loadb with JSON_ALLOW_NUL | JSON_DECODE_ANY, then
 * the member checks), and the two must agree on success or failure, on
 * every field of every event, on the nextToken, and on the error: the same
 * words for a bad member, "not JSON" for both when the text is not JSON.
 *
 * The one difference tolerated: jansson drops a NUL byte that directly
 * follows a number or true/false/null (its lexer "ungets" the byte after
 * the token, and an ungot NUL reads as "buffer empty"), so it accepts
 * "[1\0]"; the scanner rejects the NUL like any other stray byte. When the
 * scanner's syntax error is at such a NUL (outside a string, where it is a
 * control character to both), the comparison goes on with that byte
 * removed: jansson reads the input the same with or without it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cwl.h"
#include "cwl_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOT_JSON	"FilterLogEvents response is not JSON: "

static void
disagree(const char *what, const char *err, const char *ref_err)
{
	fprintf(stderr, "scanner and jansson disagree: %s\n  scanner: %s\n"
	    "  jansson: %s\n", what, err, ref_err);
	abort();
}

static int
same_str(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* Does the scanner reject only the NUL jansson drops? Its offset, or -1. */
static long
dropped_nul(const uint8_t *data, size_t size, const char *err)
{
	const char *p = strstr(err, ", offset ");
	unsigned long at;
	char c;

	if (strncmp(err, NOT_JSON, strlen(NOT_JSON)) != 0 || p == NULL ||
	    strstr(err, "control character") != NULL ||
	    sscanf(p, ", offset %lu)", &at) != 1 || at == 0 || at >= size ||
	    data[at] != '\0')
		return -1;
	c = (char)data[at - 1];
	if ((c >= '0' && c <= '9') || c == 'e' || c == 'l')
		return (long)at;
	return -1;
}

/* Touch everything a caller uses; checks the contract on its way. */
static size_t
touch(const struct cwl_page *page)
{
	size_t i, sum = 0;

	for (i = 0; i < page->nevents; i++) {
		sum += strlen(page->events[i].log_stream);
		sum += strlen(page->events[i].event_id);
		sum += page->events[i].message_len;
		if (page->events[i].message_len > 0)
			sum += (unsigned char)page->events[i].message[
			    page->events[i].message_len - 1];
		if (page->events[i].message[page->events[i].message_len] != '\0')
			__builtin_trap();
		if (page->events[i].timestamp < 0)
			__builtin_trap();
	}
	if (page->next_token != NULL)
		sum += strlen(page->next_token);
	return sum;
}

static void
compare(const struct cwl_page *page, const struct ref_page *ref)
{
	const struct cwl_event *a, *b;
	size_t i;

	if (page->nevents != ref->nevents)
		disagree("number of events", "", "");
	for (i = 0; i < page->nevents; i++) {
		a = &page->events[i];
		b = &ref->events[i];
		if (strcmp(a->log_stream, b->log_stream) != 0 ||
		    strcmp(a->event_id, b->event_id) != 0 ||
		    !same_str(a->message, a->message_len, b->message,
		    b->message_len) || a->timestamp != b->timestamp ||
		    a->ingestion_time != b->ingestion_time)
			disagree("an event", a->event_id, b->event_id);
	}
	if ((page->next_token == NULL) != (ref->next_token == NULL) ||
	    (page->next_token != NULL &&
	    strcmp(page->next_token, ref->next_token) != 0))
		disagree("nextToken", page->next_token ? page->next_token : "-",
		    ref->next_token ? ref->next_token : "-");
}

/* Parse with both; on the tolerated NUL, again without it. */
static size_t
check(const uint8_t *data, size_t size)
{
	struct cwl_page page;
	struct ref_page ref;
	struct buf err = BUF_INIT, ref_err = BUF_INIT, less = BUF_INIT;
	size_t sum = 0;
	long nul;
	int rc, ref_rc;

	rc = cwl_page_parse(&page, (const char *)data, size, &err);
	ref_rc = ref_page_parse(&ref, (const char *)data, size, &ref_err);
	if ((rc == 0) != (err.len == 0))
		__builtin_trap();	/* an error always says why, only then */
	if (rc == 0)
		sum += touch(&page);
	if (rc == -1 && (nul = dropped_nul(data, size, err.data)) >= 0) {
		buf_add(&less, data, (size_t)nul);
		buf_add(&less, data + nul + 1, size - (size_t)nul - 1);
		sum += check((const uint8_t *)less.data, less.len);
	} else if (rc != ref_rc)
		disagree(rc == 0 ? "scanner accepts" : "scanner rejects",
		    err.data ? err.data : "", ref_err.data ? ref_err.data : "");
	else if (rc == 0)
		compare(&page, &ref);
	else if (strncmp(ref_err.data, NOT_JSON, strlen(NOT_JSON)) == 0 ?
	    strncmp(err.data, NOT_JSON, strlen(NOT_JSON)) != 0 :
	    strcmp(err.data, ref_err.data) != 0)
		disagree("the error", err.data, ref_err.data);
	cwl_page_free(&page);
	ref_page_free(&ref);
	buf_free(&err);
	buf_free(&ref_err);
	buf_free(&less);
	return sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return check(data, size) == SIZE_MAX;
}
