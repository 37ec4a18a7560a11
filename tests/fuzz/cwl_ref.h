/*
 * The tree-based FilterLogEvents page parser that src/cwl.c had before its
 * scanner (jansson json_loadb, then the member checks), kept word for word
 * but for the names: the fuzz target compares the scanner with it, the
 * micro-benchmark times both. Static functions: include it in one file.
 */
#ifndef VPCFLOWD_CWL_REF_H
#define VPCFLOWD_CWL_REF_H

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "cwl.h"
#include "log.h"

/* A page as the old parser gave it: the strings live in the tree. */
struct ref_page {
	json_t		*json;
	struct cwl_event *events;
	size_t		 nevents;
	const char	*next_token;
};

static const char *
ref_kind(const json_t *v)
{
	switch (v == NULL ? -1 : (int)json_typeof(v)) {
	case -1:
		return "nothing (missing)";
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	default:
		return "null";
	}
}

/* "events[3].timestamp: expected a string, got an integer" into err. */
static int
ref_bad_member(struct buf *err, size_t idx, const char *name, const char *want,
    const json_t *got)
{
	buf_printf(err, "FilterLogEvents response: events[%zu].%s: expected %s, "
	    "got %s", idx, name, want, ref_kind(got));
	return -1;
}

/*
 * A required string member of event idx. Names (cstr) are used as C
 * strings: they must be non-empty and hold no NUL; the message may.
 */
static int
ref_event_str(json_t *ev, size_t idx, const char *name, int cstr,
    const char **out, size_t *len, struct buf *err)
{
	json_t *v = json_object_get(ev, name);

	if (!json_is_string(v))
		return ref_bad_member(err, idx, name, "a string", v);
	if (cstr && (json_string_length(v) == 0 ||
	    strlen(json_string_value(v)) != json_string_length(v))) {
		buf_printf(err, "FilterLogEvents response: events[%zu].%s: "
		    "empty or holds a NUL character", idx, name);
		return -1;
	}
	*out = json_string_value(v);
	if (len != NULL)
		*len = json_string_length(v);
	return 0;
}

/* An integer member >= 0 of event idx; optional ones are -1 when absent. */
static int
ref_event_ms(json_t *ev, size_t idx, const char *name, int optional,
    int64_t *out, struct buf *err)
{
	json_t *v = json_object_get(ev, name);

	if (optional && (v == NULL || json_is_null(v))) {
		*out = -1;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return ref_bad_member(err, idx, name,
		    "milliseconds since the epoch (an integer >= 0)", v);
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static int
ref_parse_event(json_t *v, size_t idx, struct cwl_event *ev, struct buf *err)
{
	if (!json_is_object(v)) {
		buf_printf(err, "FilterLogEvents response: events[%zu]: "
		    "expected an object, got %s", idx, ref_kind(v));
		return -1;
	}
	if (ref_event_str(v, idx, "logStreamName", 1, &ev->log_stream, NULL,
	    err) == -1 ||
	    ref_event_str(v, idx, "eventId", 1, &ev->event_id, NULL, err) == -1 ||
	    ref_event_str(v, idx, "message", 0, &ev->message, &ev->message_len,
	    err) == -1 ||
	    ref_event_ms(v, idx, "timestamp", 0, &ev->timestamp, err) == -1 ||
	    ref_event_ms(v, idx, "ingestionTime", 1, &ev->ingestion_time,
	    err) == -1)
		return -1;
	return 0;
}

static int
ref_page_parse(struct ref_page *page, const char *body, size_t len,
    struct buf *err)
{
	json_t *root, *events, *token;
	json_error_t jerr;
	size_t i, n;

	memset(page, 0, sizeof(*page));
	if ((root = json_loadb(body, len, JSON_ALLOW_NUL | JSON_DECODE_ANY,
	    &jerr)) == NULL) {
		buf_printf(err, "FilterLogEvents response is not JSON: %s "
		    "(line %d, column %d)", jerr.text, jerr.line, jerr.column);
		return -1;
	}
	page->json = root;
	if (!json_is_object(root)) {
		buf_printf(err, "FilterLogEvents response: expected an object, "
		    "got %s", ref_kind(root));
		return -1;
	}
	events = json_object_get(root, "events");
	if (events != NULL && !json_is_null(events) && !json_is_array(events)) {
		buf_printf(err, "FilterLogEvents response: events: expected an "
		    "array, got %s", ref_kind(events));
		return -1;
	}
	token = json_object_get(root, "nextToken");
	if (token != NULL && !json_is_null(token) && !json_is_string(token)) {
		buf_printf(err, "FilterLogEvents response: nextToken: expected "
		    "a string, got %s", ref_kind(token));
		return -1;
	}
	if (json_is_string(token) && json_string_length(token) > 0) {
		if (strlen(json_string_value(token)) !=
		    json_string_length(token)) {
			buf_addstr(err, "FilterLogEvents response: nextToken: "
			    "holds a NUL character");
			return -1;
		}
		page->next_token = json_string_value(token);
	}
	n = json_is_array(events) ? json_array_size(events) : 0;
	if (n == 0)
		return 0;
	if ((page->events = calloc(n, sizeof(*page->events))) == NULL)
		fatal("FilterLogEvents response");
	for (i = 0; i < n; i++) {
		if (ref_parse_event(json_array_get(events, i), i, &page->events[i],
		    err) == -1)
			return -1;
		page->nevents++;
	}
	return 0;
}

static void
ref_page_free(struct ref_page *page)
{
	free(page->events);
	if (page->json != NULL)
		json_decref((json_t *)page->json);
	memset(page, 0, sizeof(*page));
}

#endif
