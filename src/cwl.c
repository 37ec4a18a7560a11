/* cwl: the CloudWatch Logs FilterLogEvents client (include/cwl.h). */
#include <errno.h>
#include <inttypes.h>
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
 * point (the timestamp of the last event delivered). With events in
 * timestamp order, that is the events of one millisecond: a handful.
 * Open addressing, linear probing; rebuilt to fit on growth and pruning.
 */
struct seen_entry {
	char	*id;		/* NULL: free slot */
	int64_t	 ts;
};

struct seen {
	struct seen_entry *tab;
	size_t		 cap;	/* a power of two, or 0 */
	size_t		 n;
	int64_t		 lo;	/* smallest ts in the set; INT64_MAX when empty */
};

#define SEEN_MIN_CAP	16

/* FNV-1a: the eventIds are long digit strings, this spreads them well. */
static uint64_t
seen_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s != '\0') {
		h ^= (unsigned char)*s++;
		h *= 1099511628211ULL;
	}
	return h;
}

static struct seen_entry *
seen_slot(const struct seen *s, const char *id)
{
	size_t i;

	for (i = seen_hash(id) & (s->cap - 1); s->tab[i].id != NULL;
	    i = (i + 1) & (s->cap - 1))
		if (strcmp(s->tab[i].id, id) == 0)
			break;
	return &s->tab[i];
}

/*
 * Move the entries with ts >= keep_from into a fresh table sized for them
 * (and for `extra` more), freeing the others. keep_from INT64_MIN keeps all.
 */
static void
seen_rebuild(struct seen *s, int64_t keep_from, size_t extra)
{
	struct seen_entry *old = s->tab, *slot;
	size_t oldcap = s->cap, i, keep = 0, cap = SEEN_MIN_CAP;

	for (i = 0; i < oldcap; i++)
		if (old[i].id != NULL && old[i].ts >= keep_from)
			keep++;
	while (cap < 2 * (keep + extra))
		cap *= 2;
	if (keep == 0 && cap == oldcap) {
		/* The usual case: a new millisecond, the table is reused. */
		for (i = 0; i < oldcap; i++)
			free(old[i].id);
		memset(old, 0, oldcap * sizeof(*old));
		s->n = 0;
		s->lo = INT64_MAX;
		return;
	}
	if ((s->tab = calloc(cap, sizeof(*s->tab))) == NULL)
		fatal("seen eventIds");
	s->cap = cap;
	s->n = 0;
	s->lo = INT64_MAX;
	for (i = 0; i < oldcap; i++) {
		if (old[i].id == NULL)
			continue;
		if (old[i].ts < keep_from) {
			free(old[i].id);
			continue;
		}
		slot = seen_slot(s, old[i].id);
		*slot = old[i];
		s->n++;
		if (slot->ts < s->lo)
			s->lo = slot->ts;
	}
	free(old);
}

static void
seen_free(struct seen *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->tab[i].id);
	free(s->tab);
	memset(s, 0, sizeof(*s));
}

static int
seen_has(const struct seen *s, const char *id)
{
	return s->n > 0 && seen_slot(s, id)->id != NULL;
}

/*
 * Remember that the event (id, ts) was delivered, ts becoming the restart
 * point: entries older than ts are no longer needed.
 */
static void
seen_delivered(struct seen *s, const char *id, int64_t ts)
{
	struct seen_entry *slot;

	if (s->n > 0 && s->lo < ts)
		seen_rebuild(s, ts, 1);
	else if (2 * (s->n + 1) > s->cap)
		seen_rebuild(s, INT64_MIN, s->n + 1);
	slot = seen_slot(s, id);
	if (slot->id != NULL)
		return;
	slot->id = buf_strdup(id);
	slot->ts = ts;
	s->n++;
	if (ts < s->lo)
		s->lo = ts;
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

/* Response page. */

static const char *
json_kind(const json_t *v)
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
bad_member(struct buf *err, size_t idx, const char *name, const char *want,
    const json_t *got)
{
	buf_printf(err, "FilterLogEvents response: events[%zu].%s: expected %s, "
	    "got %s", idx, name, want, json_kind(got));
	return -1;
}

/*
 * A required string member of event idx. Names (cstr) are used as C
 * strings: they must be non-empty and hold no NUL; the message may.
 */
static int
event_str(json_t *ev, size_t idx, const char *name, int cstr,
    const char **out, size_t *len, struct buf *err)
{
	json_t *v = json_object_get(ev, name);

	if (!json_is_string(v))
		return bad_member(err, idx, name, "a string", v);
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
event_ms(json_t *ev, size_t idx, const char *name, int optional,
    int64_t *out, struct buf *err)
{
	json_t *v = json_object_get(ev, name);

	if (optional && (v == NULL || json_is_null(v))) {
		*out = -1;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return bad_member(err, idx, name,
		    "milliseconds since the epoch (an integer >= 0)", v);
	*out = (int64_t)json_integer_value(v);
	return 0;
}

static int
parse_event(json_t *v, size_t idx, struct cwl_event *ev, struct buf *err)
{
	if (!json_is_object(v)) {
		buf_printf(err, "FilterLogEvents response: events[%zu]: "
		    "expected an object, got %s", idx, json_kind(v));
		return -1;
	}
	if (event_str(v, idx, "logStreamName", 1, &ev->log_stream, NULL,
	    err) == -1 ||
	    event_str(v, idx, "eventId", 1, &ev->event_id, NULL, err) == -1 ||
	    event_str(v, idx, "message", 0, &ev->message, &ev->message_len,
	    err) == -1 ||
	    event_ms(v, idx, "timestamp", 0, &ev->timestamp, err) == -1 ||
	    event_ms(v, idx, "ingestionTime", 1, &ev->ingestion_time,
	    err) == -1)
		return -1;
	return 0;
}

int
cwl_page_parse(struct cwl_page *page, const char *body, size_t len,
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
		    "got %s", json_kind(root));
		return -1;
	}
	events = json_object_get(root, "events");
	if (events != NULL && !json_is_null(events) && !json_is_array(events)) {
		buf_printf(err, "FilterLogEvents response: events: expected an "
		    "array, got %s", json_kind(events));
		return -1;
	}
	token = json_object_get(root, "nextToken");
	if (token != NULL && !json_is_null(token) && !json_is_string(token)) {
		buf_printf(err, "FilterLogEvents response: nextToken: expected "
		    "a string, got %s", json_kind(token));
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
		if (parse_event(json_array_get(events, i), i, &page->events[i],
		    err) == -1)
			return -1;
		page->nevents++;
	}
	return 0;
}

void
cwl_page_free(struct cwl_page *page)
{
	free(page->events);
	if (page->json != NULL)
		json_decref((json_t *)page->json);
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
