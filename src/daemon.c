/* daemon: poll, parse, batch, ship, checkpoint (include/daemon.h). */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "checkpoint.h"
#include "clock.h"
#include "config.h"
#include "cwl.h"
#include "daemon.h"
#include "flow.h"
#include "log.h"
#include "notify.h"
#include "once.h"
#include "ratelimit.h"
#include "schedule.h"
#include "shipper.h"

#define EXIT_CONFIG	78

/* A document in the batch: what to record once the listener has it. */
struct pending {
	struct stream_state	*stream;
	uint64_t		 id_hash;
	int64_t			 timestamp;
	int64_t			 ingestion;
};

/* Totals of this run, for the summary line. */
struct daemon_counts {
	uint64_t	read, shipped, duplicates, parse_errors;
};

struct daemon {
	const struct daemon_opts *opts;
	struct config		*cfg;		/* in use */
	struct config		*base;		/* the caller's; the AWS client refers to it */
	struct config		 live;		/* a reloaded one, when cfg == &live */
	int			 aws_answered;	/* FilterLogEvents has answered once */
	struct config		 next;		/* reloaded, applied at the next safe point */
	int			 have_next;

	struct checkpoint_store	*store;
	struct group_state	*group;
	struct once_aws		 aws;
	struct shipper		*shipper;
	struct buf		 token;		/* SECRET */
	struct flow_opts	 flow;

	/*
	 * The schedule as read: ranges whose events are all in the seen sets
	 * or in the batch. The group's schedule (what is written) catches up
	 * with it whenever the batch is empty.
	 */
	struct schedule		 cursor;

	struct batch		 batch;
	struct pending		*pend;
	size_t			 npend, pend_cap;
	size_t			 pend_done;	/* settled: recorded as shipped */
	uint64_t		*ids;		/* eventId hashes in the batch: */
	size_t			 ids_cap;	/* open addressing, 0 is empty */
	struct buf		 doc;		/* one encoded document */

	struct daemon_counts	 n;
	int64_t			 span_ms;	/* widest range to read next */
	int			 sync_failed;	/* checkpoints cannot be written */
	int64_t			 sync_failed_since, sync_warned;
	int			 read_errors;	/* AWS errors in a row */
	int64_t			 next_summary, next_watchdog;
	uint64_t		 watchdog_ms;
	int64_t			 next_forget;	/* monotonic */
};

#define now_ms()	clock_epoch_ms()	/* data */
#define mono_ms()	clock_mono_ms()		/* waits */

static int
stopping(const struct daemon *d)
{
	return *d->opts->stop != 0;
}

/* NULL-safe string equality. */
static int
same_str(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Keys that name where to read, where to keep state, and how to reach AWS. */
static const struct {
	const char	*name;
	size_t		 off;
} fixed_keys[] = {
	{ "log_group", offsetof(struct config, log_group) },
	{ "log_group", offsetof(struct config, log_group_arn) },
	{ "region", offsetof(struct config, region) },
	{ "endpoint", offsetof(struct config, endpoint) },
	{ "state_dir", offsetof(struct config, state_dir) },
	{ "ca_file", offsetof(struct config, ca_file) },
	{ "aws.profile", offsetof(struct config, aws.profile) },
	{ "aws.role_arn", offsetof(struct config, aws.role_arn) },
	{ "aws.external_id", offsetof(struct config, aws.external_id) },
	{ "aws.sts_endpoint", offsetof(struct config, aws.sts_endpoint) },
	{ "aws.kms_endpoint", offsetof(struct config, aws.kms_endpoint) },
};

const char *
daemon_fixed_key(const struct config *a, const struct config *b)
{
	const char *sa, *sb;
	size_t i;

	for (i = 0; i < sizeof(fixed_keys) / sizeof(fixed_keys[0]); i++) {
		sa = *(char *const *)(const void *)((const char *)a +
		    fixed_keys[i].off);
		sb = *(char *const *)(const void *)((const char *)b +
		    fixed_keys[i].off);
		if (!same_str(sa, sb))
			return fixed_keys[i].name;
	}
	if (a->aws.fips != b->aws.fips)
		return "aws.fips";
	return NULL;
}

static void	tick(struct daemon *d);
static int	flush(struct daemon *d, int64_t deadline_ms);
static void	prune(struct daemon *d);

/*
 * Sleep until mono_ms() reaches until, in short steps, each checking the
 * flags and the periodic work (summary, watchdog, reload).
 */
static void
wait_until(struct daemon *d, int64_t until)
{
	struct timespec ts;
	int64_t left;

	while (!stopping(d) && (left = until - mono_ms()) > 0) {
		if (left > DAEMON_STEP_MS)
			left = DAEMON_STEP_MS;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (long)(left % 1000) * 1000000;
		nanosleep(&ts, NULL);
		tick(d);
	}
}

/* ---- summary and watchdog ---------------------------------------------- */

static void
summary(struct daemon *d, const char *what)
{
	const struct shipper_stats *ss = shipper_stats(d->shipper);
	int64_t lag = schedule_lag(&d->group->sched, now_ms());

	log_info("%s: read %" PRIu64 ", shipped %" PRIu64 ", rejected %" PRIu64
	    ", duplicates skipped %" PRIu64 ", parse errors %" PRIu64
	    ", retries %lu AWS + %" PRIu64 " Logz.io, scan lag %" PRId64 " s",
	    what, d->n.read, d->n.shipped, ss->rejected_lines, d->n.duplicates,
	    d->n.parse_errors, d->aws.client.retries, ss->retries, lag / 1000);
	notify_status("shipped %" PRIu64 " records, scan lag %" PRId64 " s%s",
	    d->n.shipped, lag / 1000, d->sync_failed ?
	    "; CHECKPOINTS CANNOT BE WRITTEN" : "");
}

/* ---- configuration reload (SIGHUP) ------------------------------------- */

/*
 * Load the file again. Refused as a whole (the running configuration
 * stays) when it has errors, when a fixed key changed, or when its token
 * cannot be read; otherwise the token goes to the shipper at once (a 401
 * retry picks it up) and the rest waits for apply_next, between ranges.
 */
static void
reload(struct daemon *d)
{
	struct config nc;
	struct buf errors = BUF_INIT, token = BUF_INIT;
	const char *key, *path = d->base->path;

	*d->opts->reload = 0;
	notify_reloading();
	log_notice("SIGHUP: reloading %s", path);
	if (config_load(&nc, path, &errors) == -1) {
		log_warnx("SIGHUP: %s has errors; the running configuration "
		    "stays:\n%s", path, errors.data ? errors.data : "");
		config_free(&nc);
	} else if ((key = daemon_fixed_key(d->cfg, &nc)) != NULL) {
		log_warnx("SIGHUP: %s: %s cannot change while vpcflowd runs "
		    "(restart it for that); the running configuration stays",
		    path, key);
		config_free(&nc);
	} else if (once_token(&d->aws, &nc, &token, &errors) == -1) {
		log_warnx("SIGHUP: %s: the Logz.io token: %s; the running "
		    "configuration stays", path, errors.data);
		config_free(&nc);
	} else {
		shipper_set_token(d->shipper, token.data);
		buf_wipe_free(&d->token);
		d->token = token;
		buf_init(&token);
		if (d->have_next)
			config_free(&d->next);
		d->next = nc;
		d->have_next = 1;
		log_notice("SIGHUP: %s reloaded; the token is in use, the "
		    "other settings apply from the next range", path);
	}
	buf_wipe_free(&token);
	buf_free(&errors);
	notify_ready();
}

/* The watchdog and the summary, when they are due. */
static void
tick_quiet(struct daemon *d)
{
	int64_t now = mono_ms();

	if (d->watchdog_ms > 0 && now >= d->next_watchdog) {
		notify_watchdog();
		d->next_watchdog = now + (int64_t)d->watchdog_ms;
	}
	if (now >= d->next_summary) {
		summary(d, "summary");
		d->next_summary = now + DAEMON_SUMMARY_MS;
	}
}

/* Called often, from every wait: SIGHUP, the watchdog, the summary. */
static void
tick(struct daemon *d)
{
	if (d->opts->reload != NULL && *d->opts->reload)
		reload(d);
	tick_quiet(d);
}

/*
 * The AWS client's wait callback, during pacing and backoff: no reload
 * there (a KMS-decrypted token would use the client that is waiting).
 */
static void
on_aws_wait(void *arg)
{
	tick_quiet(arg);
}

/* The shipper's wait callback, every 200 ms while it retries. */
static void
on_ship_wait(void *arg)
{
	tick(arg);
}

/* Inside a listener request (at least once a second): no reload there. */
static void
on_ship_request(void *arg)
{
	tick_quiet(arg);
}

/* A shipper for the logzio settings of cfg, or NULL after saying why. */
static struct shipper *
open_shipper(struct daemon *d, const struct config *cfg)
{
	struct shipper_opts so;
	struct shipper *sh;
	struct buf dir = BUF_INIT;

	buf_printf(&dir, "%s/rejected", cfg->state_dir);
	memset(&so, 0, sizeof(so));
	so.url = cfg->logzio.url;
	so.type = cfg->logzio.type;
	so.compress = cfg->logzio.compress;
	so.ca_file = cfg->ca_file;
	so.timeout_ms = cfg->logzio.timeout * 1000;
	so.shutdown_ms = cfg->shutdown_timeout * 1000;
	so.keepalive = on_ship_request;
	so.keepalive_arg = d;
	so.rejected_dir = dir.data;
	if ((sh = shipper_new(&so, d->token.data)) == NULL)
		log_warnx("cannot set up the Logz.io shipper for %s",
		    cfg->logzio.url);
	buf_free(&dir);
	return sh;
}

/*
 * Make the group's schedule the one poll_interval and max_delay ask for
 * (schedule_reconfigure: changed levels read the last max_delay again).
 */
static void
fit_schedule(struct daemon *d)
{
	struct schedule want, *have = &d->group->sched;
	int before = have->nlevels;

	schedule_init(&want, d->cfg->poll_interval, d->cfg->max_delay, 0);
	if (before > 0 && (want.nlevels != before || memcmp(want.age_ms,
	    have->age_ms, sizeof(want.age_ms[0]) * (size_t)before) != 0))
		log_notice("poll_interval or max_delay changed: %d scan levels "
		    "instead of %d; the last %" PRId64 " s are read again "
		    "(what was shipped is skipped)", want.nlevels, before,
		    (now_ms() - schedule_horizon(have)) / 1000);
	schedule_reconfigure(have, &want);
	d->cursor = *have;
}

/*
 * Switch to the reloaded configuration between ranges, once the batch
 * (encoded with the old settings) is shipped: documents, batching,
 * schedule, pacing, the shipper's options.
 */
static void
apply_next(struct daemon *d)
{
	struct config *old = d->cfg;
	struct shipper *sh = NULL;
	double rps = d->next.aws.max_rps;

	if (!d->have_next || (d->batch.ndocs > 0 && flush(d, 0) == -1))
		return;
	if ((!same_str(old->logzio.url, d->next.logzio.url) ||
	    !same_str(old->logzio.type, d->next.logzio.type) ||
	    old->logzio.compress != d->next.logzio.compress ||
	    old->logzio.timeout != d->next.logzio.timeout ||
	    old->shutdown_timeout != d->next.shutdown_timeout) &&
	    (sh = open_shipper(d, &d->next)) == NULL) {
		log_warnx("SIGHUP: the new logzio settings cannot be used; "
		    "the running configuration stays");
		config_free(&d->next);
		d->have_next = 0;
		return;
	}
	if (sh != NULL) {
		shipper_free(d->shipper);
		d->shipper = sh;
	}
	if (rps != old->aws.max_rps)
		ratelimit_init(&d->aws.client.pacing, rps, rps > 1 ? rps : 1,
		    (double)mono_ms() / 1000);
	if (old == &d->live)
		config_free(&d->live);
	d->live = d->next;
	d->have_next = 0;
	d->cfg = &d->live;
	config_flow_opts(d->cfg, &d->flow);
	fit_schedule(d);
}

/* ---- checkpoints --------------------------------------------------------- */

/*
 * Write what changed. On failure (ENOSPC, EROFS ...) say so clearly once,
 * then every few minutes, and pause shipping until a retry works.
 */
static int
sync_store(struct daemon *d)
{
	struct buf err = BUF_INIT;
	int64_t now = mono_ms();

	if (checkpoint_sync(d->store, &err) == 0) {
		if (d->sync_failed)
			log_notice("checkpoints in %s written again after %"
			    PRId64 " s; shipping resumes", d->cfg->state_dir,
			    (now - d->sync_failed_since) / 1000);
		d->sync_failed = 0;
		buf_free(&err);
		return 0;
	}
	if (!d->sync_failed) {
		d->sync_failed_since = now;
		d->sync_warned = 0;
	}
	if (!d->sync_failed || now - d->sync_warned >= 300000) {
		log_errx("cannot write checkpoints: %s; shipping and polling "
		    "are paused (the records wait in CloudWatch Logs), retrying "
		    "every %ld s", err.data ? err.data : "unknown error",
		    d->cfg->poll_interval);
		d->sync_warned = now;
		notify_status("CHECKPOINTS CANNOT BE WRITTEN: %s",
		    err.data ? err.data : "");
	}
	d->sync_failed = 1;
	buf_free(&err);
	return -1;
}

/* Slot of h in the batch's id set (h, or the empty slot where it goes). */
static size_t
ids_slot(const struct daemon *d, uint64_t h)
{
	size_t mask = d->ids_cap - 1, i = (size_t)(h ^ (h >> 29)) & mask;

	while (d->ids[i] != 0 && d->ids[i] != h)
		i = (i + 1) & mask;
	return i;
}

/*
 * Is the eventId hash h in the batch? Two levels may read an event before
 * the batch that holds it is acknowledged: the second read must skip it.
 */
static int
ids_has(const struct daemon *d, uint64_t h)
{
	h = h != 0 ? h : 1;
	return d->ids_cap > 0 && d->ids[ids_slot(d, h)] == h;
}

/* Add h to the batch's id set, which stays at most half full. */
static void
ids_add(struct daemon *d, uint64_t h)
{
	uint64_t *old = d->ids;
	size_t i, n = d->ids_cap;

	if (2 * (d->npend + 1) > d->ids_cap) {
		d->ids_cap = n ? n * 2 : 4096;
		if ((d->ids = calloc(d->ids_cap, sizeof(*d->ids))) == NULL)
			fatal("calloc");
		for (i = 0; i < n; i++)
			if (old[i] != 0)
				d->ids[ids_slot(d, old[i])] = old[i];
		free(old);
	}
	h = h != 0 ? h : 1;
	d->ids[ids_slot(d, h)] = h;
}

/*
 * The first upto documents of the batch are settled (acknowledged, or
 * rejected for good): their events count as shipped.
 */
static void
acknowledge(struct daemon *d, size_t upto)
{
	struct pending *p;

	for (; d->pend_done < upto && d->pend_done < d->npend;
	    d->pend_done++) {
		p = &d->pend[d->pend_done];
		stream_seen_add(p->stream, p->timestamp, p->id_hash);
		p->stream->shipped++;
		if (p->timestamp > p->stream->last_timestamp) {
			p->stream->last_timestamp = p->timestamp;
			p->stream->last_ingestion = p->ingestion;
		}
		p->stream->dirty = 1;
		d->group->shipped++;
		d->n.shipped++;
	}
}

/*
 * Send the batch (the shipper retries inside) and checkpoint what it
 * settled. deadline_ms as for shipper_send. Returns 0, or -1 when stopped
 * before all of it was settled (the rest is kept) or when the checkpoints
 * could not be written.
 */
static int
flush(struct daemon *d, int64_t deadline_ms)
{
	const struct shipper_stats *ss = shipper_stats(d->shipper);
	uint64_t rejected = ss->rejected_lines;
	size_t before = d->pend_done;
	int rc;

	if (d->batch.ndocs == 0)
		return 0;
	rc = shipper_send(d->shipper, &d->batch, d->opts->stop, deadline_ms,
	    on_ship_wait, d);
	d->group->rejected += ss->rejected_lines - rejected;
	acknowledge(d, rc == 0 ? d->npend : d->batch.done_docs);
	if (rc == 0) {
		batch_clear(&d->batch);
		d->npend = d->pend_done = 0;
		if (d->ids_cap > 0)
			memset(d->ids, 0, d->ids_cap * sizeof(*d->ids));
		/* Every range read so far is shipped. */
		d->group->sched = d->cursor;
		prune(d);
	}
	if (d->pend_done == before && rc != 0)
		return -1;
	return sync_store(d) == 0 && rc == 0 ? 0 : -1;
}

/* ---- reading ------------------------------------------------------------- */

static void
pending_add(struct daemon *d, struct stream_state *s, uint64_t h,
    const struct cwl_event *ev)
{
	struct pending *p;

	if (d->npend == d->pend_cap) {
		d->pend_cap = d->pend_cap ? d->pend_cap * 2 : 1024;
		d->pend = reallocarray(d->pend, d->pend_cap, sizeof(*d->pend));
		if (d->pend == NULL)
			fatal("reallocarray");
	}
	ids_add(d, h);
	p = &d->pend[d->npend++];
	p->stream = s;
	p->id_hash = h;
	p->timestamp = ev->timestamp;
	p->ingestion = ev->ingestion_time;
}

/*
 * One event of a range: skipped when its stream has shipped its eventId,
 * else encoded into the batch; a full or old batch is flushed first.
 * Returns -1 to stop the read (stop, or checkpoints not written).
 */
static int
on_event(void *arg, const struct cwl_event *ev)
{
	struct daemon *d = arg;
	struct stream_state *s;
	struct flow_meta meta;
	uint64_t h;
	size_t limit = (size_t)d->cfg->logzio.batch_bytes;
	int64_t now;

	d->n.read++;
	s = checkpoint_stream(d->store, ev->log_stream);
	h = checkpoint_id_hash(ev->event_id, strlen(ev->event_id));
	if (stream_seen_has(s, h) || ids_has(d, h)) {
		d->n.duplicates++;
		d->group->duplicates++;
		return 0;
	}
	meta.log_group = d->cfg->log_group;
	meta.log_stream = ev->log_stream;
	meta.event_id = ev->event_id;
	meta.timestamp_ms = ev->timestamp;
	buf_reset(&d->doc);
	if (flow_encode(&d->doc, &d->cfg->flow_format, &d->flow, &meta,
	    ev->message, ev->message_len) == 1) {
		if (d->n.parse_errors++ == 0)
			log_notice("log stream %s, event %s: the record does "
			    "not parse; shipped tagged _vpcflow_parse_error "
			    "(check `format`)", ev->log_stream, ev->event_id);
		d->group->parse_errors++;
	}
	if (d->batch.ndocs > 0 && !batch_fits(&d->batch, d->doc.len, limit) &&
	    flush(d, 0) == -1)
		return -1;
	now = mono_ms();
	if (batch_add(&d->batch, d->doc.data, d->doc.len, now) == 0)
		pending_add(d, s, h, ev);
	else
		log_warnx("log stream %s, event %s: the document is over "
		    "%d bytes, the listener's limit; not shipped",
		    ev->log_stream, ev->event_id, SHIPPER_MAX_LINE);
	if ((d->n.read & 1023) == 0)
		tick(d);
	if (now - d->batch.opened_ms >= d->cfg->logzio.flush_interval * 1000)
		return flush(d, 0);
	return 0;
}

/* Forget eventIds that no level can fetch again. */
static void
prune_one(void *arg, struct stream_state *s)
{
	stream_seen_prune(s, *(const int64_t *)arg);
}

static void
prune(struct daemon *d)
{
	int64_t horizon = schedule_horizon(&d->group->sched);

	checkpoint_foreach(d->store, prune_one, &horizon);
}

/*
 * Is there any event in q's window? Pages of one event until one shows up
 * (an empty page with a nextToken is no answer). Returns 1 when there is
 * none, 0 when there is one, -1 on an AWS error or a stop.
 */
static int
probe(struct daemon *d, const struct cwl_query *window)
{
	struct cwl_query q = *window;
	struct buf body = BUF_INIT, resp = BUF_INIT, token = BUF_INIT;
	struct buf perr = BUF_INIT;
	struct cwl_page page;
	struct aws_error err;
	int rc = 2;

	q.limit = 1;
	while (rc == 2 && !stopping(d)) {
		buf_reset(&body);
		rc = -1;
		if (cwl_request_body(&body, &q, token.data, &perr) == -1 ||
		    aws_json_call(&d->aws.client, &d->aws.logs, CWL_TARGET,
		    body.data, &resp, &err) == -1)
			break;
		if (cwl_page_parse(&page, resp.data ? resp.data : "", resp.len,
		    &perr) == 0) {
			rc = page.nevents > 0 ? 0 : page.next_token ? 2 : 1;
			buf_reset(&token);
			if (rc == 2)
				buf_addstr(&token, page.next_token);
		}
		cwl_page_free(&page);
	}
	if (rc == -1 && perr.len > 0)
		log_warnx("log group %s: FilterLogEvents: %s", q.log_group,
		    perr.data);
	else if (rc == -1 && !stopping(d)) {
		log_warnx("log group %s: FilterLogEvents failed: %s (HTTP %ld) "
		    "%s", q.log_group, err.name, err.status, err.message);
		if (err.cls == AWSERR_FATAL)
			log_warnx("log group %s: %s", q.log_group,
			    awserr_advice(&err));
	}
	buf_free(&body);
	buf_free(&resp);
	buf_free(&token);
	buf_free(&perr);
	return rc == 2 ? -1 : rc;
}

/*
 * The width of the next range: a backlog without events (start_position
 * "beginning", a long stop) is crossed in ranges that double while they
 * are empty and halve when one holds events, down to DAEMON_MAX_SPAN_MS,
 * so that reaching the data takes a few requests and a range with events
 * is never wider than that (the eventIds of a range are kept until it is
 * done).
 */
static void
adapt_span(struct daemon *d, const struct scan_range *r, int empty)
{
	int64_t width = r->end_ms - r->start_ms;

	if (empty && width >= d->span_ms &&
	    r->end_ms < now_ms() - d->cfg->max_delay * 1000)
		d->span_ms = d->span_ms < DAEMON_PROBE_SPAN_MS / 2 ?
		    d->span_ms * 2 : DAEMON_PROBE_SPAN_MS;
	else if (!empty)
		d->span_ms = d->span_ms / 2 > DAEMON_MAX_SPAN_MS ?
		    d->span_ms / 2 : DAEMON_MAX_SPAN_MS;
}

/*
 * Read the range r, ship what it holds, mark it done. Returns 1 when the
 * range was read and checkpointed (or was too wide: it is asked for again,
 * narrower), 0 when stopped or the checkpoints could not be written, -1 on
 * an AWS error (logged).
 */
static int
read_range(struct daemon *d, const struct scan_range *r)
{
	struct cwl_client c = { &d->aws.client, &d->aws.logs, NULL, NULL };
	const struct config *cfg = d->cfg;
	struct cwl_query q;
	struct cwl_stats st;
	struct aws_error err;
	enum cwl_result res = CWL_DONE;
	int empty;

	q = (struct cwl_query){ cfg->log_group, cfg->log_group_arn,
	    cfg->log_stream_prefix, cfg->filter_pattern, r->start_ms,
	    r->end_ms, 0 };
	log_debug("level %d: reading %" PRId64 " .. %" PRId64 " ms", r->level,
	    r->start_ms, r->end_ms);
	if (r->end_ms - r->start_ms > DAEMON_MAX_SPAN_MS) {
		if ((empty = probe(d, &q)) == -1)
			return stopping(d) ? 0 : -1;
	} else {
		res = cwl_filter(&c, &q, on_event, d, d->opts->stop, &st, &err);
		empty = st.events == 0;
	}
	adapt_span(d, r, empty);
	if (res == CWL_DONE && !d->aws_answered) {
		d->aws_answered = 1;
		notify_status("polling %s: CloudWatch Logs answers",
		    cfg->log_group);
	}
	if (res == CWL_STOPPED || d->sync_failed || stopping(d))
		return 0;
	if (res == CWL_ERROR) {
		/* What was read before the error is valid: ship it. */
		flush(d, 0);
		return -1;
	}
	if (r->end_ms - r->start_ms > DAEMON_MAX_SPAN_MS && !empty)
		return 1;
	schedule_done(&d->cursor, r);
	if (d->batch.ndocs > 0)
		return 1;	/* the group's schedule follows with the batch */
	d->group->sched = d->cursor;
	prune(d);
	return sync_store(d) == 0;
}

/* ---- the loop ------------------------------------------------------------ */

/*
 * Every hour, between ranges and with the batch empty (no pointer to a
 * stream state is held then), forget the streams without events for
 * DAEMON_FORGET_MS before the horizon: interfaces that are gone.
 */
static void
forget_idle(struct daemon *d)
{
	size_t n;

	if (d->npend > 0 || d->group->sched.nlevels == 0 ||
	    mono_ms() < d->next_forget)
		return;
	d->next_forget = mono_ms() + DAEMON_FORGET_EVERY_MS;
	n = checkpoint_forget_idle(d->store,
	    schedule_horizon(&d->group->sched) - DAEMON_FORGET_MS);
	if (n > 0)
		log_info("forgot %zu log streams without events for %lld days "
		    "(network interfaces that are gone); their checkpoint "
		    "files are removed", n, DAEMON_FORGET_MS / 86400000);
}

/*
 * Poll until stopped (or, with --once, until nothing is due). Returns 0,
 * or 1 when --once could not read everything.
 */
static int
loop(struct daemon *d)
{
	struct scan_range r;
	int64_t next_poll = mono_ms(), wake, wait;
	int rc;

	while (!stopping(d)) {
		tick(d);
		apply_next(d);
		if (d->sync_failed && sync_store(d) == -1) {
			if (d->opts->once)
				return 1;
			wait_until(d, mono_ms() + d->cfg->poll_interval * 1000);
			continue;
		}
		if (d->batch.ndocs > 0 && mono_ms() - d->batch.opened_ms >=
		    d->cfg->logzio.flush_interval * 1000 && flush(d, 0) == -1)
			continue;
		forget_idle(d);
		if (schedule_next(&d->cursor, now_ms(), d->span_ms, &r) == 0) {
			if (d->opts->once)
				return 0;
			/* Sleep until the next poll, or until the batch is due. */
			while (next_poll <= mono_ms())
				next_poll += d->cfg->poll_interval * 1000;
			wake = next_poll;
			if (d->batch.ndocs > 0 && d->batch.opened_ms +
			    d->cfg->logzio.flush_interval * 1000 < wake)
				wake = d->batch.opened_ms +
				    d->cfg->logzio.flush_interval * 1000;
			wait_until(d, wake);
			continue;
		}
		if ((rc = read_range(d, &r)) == 1)
			d->read_errors = 0;
		else if (rc == -1) {
			if (d->opts->once)
				return 1;
			wait = d->cfg->poll_interval << (d->read_errors < 8 ?
			    d->read_errors : 8);
			if (wait > DAEMON_ERROR_WAIT_MAX)
				wait = DAEMON_ERROR_WAIT_MAX;
			d->read_errors++;
			log_notice("reading again in %ld s", (long)wait);
			wait_until(d, mono_ms() + wait * 1000);
		}
	}
	return 0;
}

/*
 * Open the store, the schedule, the token, AWS and the shipper. Returns 0,
 * or the exit status after saying why.
 */
static int
start(struct daemon *d)
{
	struct buf err = BUF_INIT;
	int64_t from, to;

	if (config_require_token(d->cfg, &err) == -1) {
		log_errx("%s", err.data);
		buf_free(&err);
		return EXIT_CONFIG;
	}
	if ((d->store = checkpoint_open(d->cfg->state_dir, &err)) == NULL) {
		while (err.len > 0 && err.data[err.len - 1] == '\n')
			err.data[--err.len] = '\0';
		log_errx("%s", err.len > 0 ? err.data : "cannot open the "
		    "checkpoints");
		buf_free(&err);
		return 1;
	}
	d->group = checkpoint_group(d->store);
	if (d->group->sched.nlevels == 0) {
		/* "beginning" is -1; a start in the future waits for it. */
		once_window(&d->cfg->start, now_ms(), &from, &to);
		schedule_init(&d->group->sched, d->cfg->poll_interval,
		    d->cfg->max_delay, from);
		log_info("log group %s: no checkpoint in %s; starting at %s "
		    "(start_position)", d->cfg->log_group, d->cfg->state_dir,
		    d->cfg->start_position ? d->cfg->start_position : "end");
	} else
		fit_schedule(d);
	d->cursor = d->group->sched;
	if (once_aws_open(&d->aws, d->cfg, d->opts->stop, &err) == -1 ||
	    once_token(&d->aws, d->cfg, &d->token, &err) == -1) {
		log_errx("%s", err.data ? err.data : "AWS setup failed");
		buf_free(&err);
		return 1;
	}
	d->aws.client.wait_cb = on_aws_wait;
	d->aws.client.wait_arg = d;
	buf_free(&err);
	if ((d->shipper = open_shipper(d, d->cfg)) == NULL)
		return 1;
	config_flow_opts(d->cfg, &d->flow);
	return 0;
}

/*
 * SIGTERM: the batch in flight gets up to shutdown_timeout, then what was
 * acknowledged is written. Returns 0, or 1 when checkpoints failed.
 */
static int
finish(struct daemon *d)
{
	struct buf err = BUF_INIT;
	long t = d->cfg->shutdown_timeout;
	int64_t deadline = mono_ms() + t * 1000, seen;

	notify_stopping();
	/* A request in flight at SIGTERM has used some of the time already. */
	if ((seen = shipper_stop_seen_ms(d->shipper)) != 0 &&
	    seen + t * 1000 < deadline)
		deadline = seen + t * 1000;
	if (d->batch.ndocs > 0) {
		log_info("stopping: delivering the batch in flight (%zu "
		    "records) for up to %ld s", d->batch.ndocs, t);
		if (flush(d, deadline) == -1 && d->batch.ndocs > 0)
			log_warnx("stopping: %zu records were not acknowledged "
			    "within %ld s; they are read again after the "
			    "restart", d->batch.ndocs, t);
	}
	if (sync_store(d) == -1) {
		log_errx("stopping without checkpoints for what was shipped "
		    "since the last write: those records are shipped again "
		    "after the restart");
		return 1;
	}
	/* The files hold everything; the journal is replayed otherwise. */
	if (checkpoint_compact(d->store, &err) == -1)
		log_warnx("stopping: %s; the checkpoint journal keeps what "
		    "was shipped until the next start", err.data);
	buf_free(&err);
	return 0;
}

int
daemon_run(struct config *cfg, const struct daemon_opts *opts)
{
	struct daemon d;
	int rc;

	memset(&d, 0, sizeof(d));
	d.opts = opts;
	d.base = d.cfg = cfg;
	d.span_ms = DAEMON_MAX_SPAN_MS;
	batch_init(&d.batch);
	if ((rc = start(&d)) == 0) {
		d.watchdog_ms = notify_watchdog_interval_usec() / 1000;
		d.next_summary = mono_ms() + DAEMON_SUMMARY_MS;
		log_info("log group %s: shipping to %s, polling every %ld s, "
		    "%d scan level%s up to %ld s", cfg->log_group,
		    cfg->logzio.url, cfg->poll_interval,
		    d.group->sched.nlevels,
		    d.group->sched.nlevels == 1 ? "" : "s", cfg->max_delay);
		notify_ready();
		notify_status("started: waiting for the first CloudWatch Logs "
		    "answer");
		rc = loop(&d);
		if (finish(&d) != 0)
			rc = 1;
		summary(&d, opts->once ? "once" : "stopped");
	}
	if (d.shipper != NULL)
		shipper_free(d.shipper);
	once_aws_close(&d.aws);
	if (d.store != NULL)
		checkpoint_close(d.store);
	buf_wipe_free(&d.token);
	batch_free(&d.batch);
	buf_free(&d.doc);
	free(d.pend);
	free(d.ids);
	if (d.have_next)
		config_free(&d.next);
	if (d.cfg == &d.live)
		config_free(&d.live);
	return rc;
}
