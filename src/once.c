/* once: one pass over the log group, `vpcflowd --once` (include/once.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws.h"
#include "awssetup.h"
#include "buf.h"
#include "clock.h"
#include "config.h"
#include "creds.h"
#include "cwl.h"
#include "flow.h"
#include "kms.h"
#include "log.h"
#include "once.h"

int
once_window(const struct config_start *start, int64_t now_ms,
    int64_t *start_ms, int64_t *end_ms)
{
	*end_ms = now_ms;
	switch (start->kind) {
	case CONFIG_START_BEGINNING:
		*start_ms = -1;
		return 0;
	case CONFIG_START_RELATIVE:
		*start_ms = now_ms - (int64_t)start->seconds * 1000;
		if (*start_ms < 0)
			*start_ms = 0;
		return 0;
	case CONFIG_START_ABSOLUTE:
		*start_ms = start->epoch_ms;
		return start->epoch_ms > now_ms;
	case CONFIG_START_END:
		break;
	}
	*start_ms = now_ms;
	return 1;
}

/* Open ep on url for service, or say why not in err. */
static int
open_endpoint(struct aws_endpoint *ep, const char *url, const char *region,
    const char *service, const char *ca_file, struct buf *err)
{
	if (aws_endpoint_init(ep, url, region, service, ca_file,
	    ONCE_TIMEOUT_MS) == -1) {
		buf_printf(err, "cannot use %s as the %s endpoint (expected "
		    "https://HOST[:PORT])", url, service);
		return -1;
	}
	return 0;
}

int
once_aws_open(struct once_aws *a, const struct config *cfg,
    volatile int *stop, struct buf *err)
{
	struct creds_chain *chain;
	int rc;

	memset(a, 0, sizeof(*a));
	if (aws_setup_init(&a->setup, cfg, err) == -1)
		return -1;
	a->setup_done = 1;
	if ((chain = creds_chain_new(&a->setup.creds)) == NULL) {
		buf_addstr(err, "cannot set up the AWS credential chain");
		return -1;
	}
	aws_client_init(&a->client, chain, cfg->aws.max_rps, stop);
	a->client.max_attempts = ONCE_MAX_ATTEMPTS;
	rc = open_endpoint(&a->logs, a->setup.logs_url, a->setup.region,
	    "logs", cfg->ca_file, err);
	a->logs_open = rc == 0;
	return rc;
}

void
once_aws_close(struct once_aws *a)
{
	if (a->logs_open)
		aws_endpoint_free(&a->logs);
	if (a->client.creds != NULL)
		creds_chain_free(a->client.creds);
	if (a->setup_done)
		aws_setup_free(&a->setup);
	memset(a, 0, sizeof(*a));
}

int
once_kms_token(struct once_aws *a, const struct config *cfg,
    struct buf *token, struct buf *err)
{
	struct aws_endpoint ep;
	int rc = -1;

	if (cfg->logzio.token_kms == NULL) {
		buf_addstr(err, "logzio.token_kms is not set");
		return -1;
	}
	if (open_endpoint(&ep, a->setup.kms_url, a->setup.region, "kms",
	    cfg->ca_file, err) == 0) {
		rc = kms_decrypt_token(&a->client, &ep, cfg->logzio.token_kms,
		    &cfg->logzio.token_kms_context, token, err);
		aws_endpoint_free(&ep);
	}
	if (rc == 0)
		log_info("logzio.token_kms: decrypted with KMS at %s",
		    a->setup.kms_url);
	return rc;
}

/* The documents of one pass, on their way to stdout. */
struct once_out {
	const struct config	*cfg;
	struct flow_opts	 opts;
	struct buf		 docs;
	uint64_t		 parse_errors;
	uint64_t		 bytes;
	int			 write_failed;	/* stdout refused: stop writing */
};

static int
flush_docs(struct once_out *o)
{
	if (o->docs.len == 0)
		return 0;
	if (fwrite(o->docs.data, 1, o->docs.len, stdout) != o->docs.len ||
	    fflush(stdout) == EOF) {
		log_warn("stdout");
		o->write_failed = 1;
		return -1;
	}
	o->bytes += o->docs.len;
	buf_reset(&o->docs);
	return 0;
}

/* One event: one document, one line. */
static int
on_event(void *arg, const struct cwl_event *ev)
{
	struct once_out *o = arg;
	struct flow_meta meta;

	meta.log_group = o->cfg->log_group;
	meta.log_stream = ev->log_stream;
	meta.event_id = ev->event_id;
	meta.timestamp_ms = ev->timestamp;
	if (flow_encode(&o->docs, &o->cfg->flow_format, &o->opts, &meta,
	    ev->message, ev->message_len) == 1) {
		if (o->parse_errors++ == 0)
			log_debug("log stream %s, event %s: the record does "
			    "not parse; shipped tagged _vpcflow_parse_error",
			    ev->log_stream, ev->event_id);
	}
	buf_addch(&o->docs, '\n');
	return o->docs.len >= ONCE_FLUSH_BYTES ? flush_docs(o) : 0;
}

static void
query_from_config(struct cwl_query *q, const struct config *cfg)
{
	memset(q, 0, sizeof(*q));
	q->log_group = cfg->log_group;
	q->log_group_arn = cfg->log_group_arn;
	q->log_stream_prefix = cfg->log_stream_prefix;
	q->filter_pattern = cfg->filter_pattern;
}

/* Read the window [start_ms, end_ms] to stdout. Returns the exit status. */
static int
read_to_stdout(struct once_aws *a, const struct config *cfg,
    int64_t start_ms, int64_t end_ms, volatile int *stop)
{
	struct cwl_client c = { &a->client, &a->logs, NULL, NULL };
	struct cwl_query q;
	struct cwl_stats st;
	struct aws_error err;
	struct once_out o;
	enum cwl_result res;
	double t0 = clock_mono_s();

	memset(&o, 0, sizeof(o));
	o.cfg = cfg;
	config_flow_opts(cfg, &o.opts);
	query_from_config(&q, cfg);
	q.start_ms = start_ms;
	q.end_ms = end_ms;
	log_debug("log group %s: reading %" PRId64 " .. %" PRId64 " ms from "
	    "%s (region %s from %s)", cfg->log_group, start_ms, end_ms,
	    a->logs.url, a->setup.region, a->setup.region_from);
	res = cwl_filter(&c, &q, on_event, &o, stop, &st, &err);
	/* What was read before an AWS error or a stop is still written. */
	if (!o.write_failed && flush_docs(&o) == -1)
		res = CWL_ERROR;
	buf_free(&o.docs);
	log_info("once: log group %s: %" PRIu64 " events (%" PRIu64 " did not "
	    "parse), %" PRIu64 " pages (%" PRIu64 " empty), %" PRIu64
	    " restarts, %" PRIu64 " bytes out in %.1f s%s%s",
	    cfg->log_group, st.events, o.parse_errors, st.pages,
	    st.empty_pages, st.restarts, o.bytes, clock_mono_s() - t0,
	    res == CWL_STOPPED ? "; stopped early" : "",
	    res == CWL_ERROR ? "; FAILED" : "");
	return res == CWL_ERROR ? 1 : 0;
}

int
once_token(struct once_aws *a, const struct config *cfg, struct buf *token,
    struct buf *err)
{
	if (cfg->logzio.token_source == CONFIG_TOKEN_KMS)
		return once_kms_token(a, cfg, token, err);
	return config_read_token(cfg, token, err);
}

int
once_run(const struct config *cfg, volatile int *stop)
{
	struct once_aws a;
	struct buf err = BUF_INIT;
	int64_t start_ms, end_ms;
	int rc = 1;

	if (once_window(&cfg->start, clock_epoch_ms(), &start_ms,
	    &end_ms) == 1) {
		log_info("once: log group %s: start_position \"%s\" leaves "
		    "nothing to read up to now", cfg->log_group,
		    cfg->start_position ? cfg->start_position : "end");
		return 0;
	}
	if (once_aws_open(&a, cfg, stop, &err) == -1)
		log_warnx("%s", err.data);
	else
		rc = read_to_stdout(&a, cfg, start_ms, end_ms, stop);
	once_aws_close(&a);
	buf_free(&err);
	return rc;
}
