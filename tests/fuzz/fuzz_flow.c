/*
 * libFuzzer target: the flow core (flow.h) on any record, format and header
 * line. Every document flow_encode() writes must be one valid JSON object
 * (checked with jansson) with the members its return code promises.
 *
 * Input: one control byte, then the rest.
 *   bit 0	style ecs		bit 1	include_message
 *   bit 2	add_json		bit 3	CloudWatch metadata
 *   bits 4-5	format: 0 AWS default, 1 v5 (29 fields), 2 all 42 fields,
 *		3 "format\nrecord": the text up to the first newline is
 *		parsed as a format, the rest is the record
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "buf.h"
#include "flow.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char v5_format[] =
    "${version} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} "
    "${start} ${end} ${type} ${packets} ${bytes} ${account-id} ${vpc-id} "
    "${subnet-id} ${instance-id} ${interface-id} ${region} ${az-id} "
    "${sublocation-type} ${sublocation-id} ${action} ${tcp-flags} "
    "${pkt-srcaddr} ${pkt-dstaddr} ${pkt-src-aws-service} "
    "${pkt-dst-aws-service} ${traffic-path} ${flow-direction} ${log-status}";

/* No key of v, at any depth, holds a dot. */
static int
keys_without_dots(json_t *v)
{
	const char *key;
	json_t *member;
	size_t i;

	if (json_is_object(v)) {
		json_object_foreach(v, key, member)
			if (strchr(key, '.') != NULL ||
			    !keys_without_dots(member))
				return 0;
	} else if (json_is_array(v)) {
		json_array_foreach(v, i, member)
			if (!keys_without_dots(member))
				return 0;
	}
	return 1;
}

/* Encode and check the document; traps on any broken promise. */
static void
encode_and_check(const struct flow_format *fmt, const struct flow_opts *opts,
    const struct flow_meta *meta, const char *line, size_t len)
{
	struct buf out = BUF_INIT;
	json_error_t jerr;
	json_t *doc, *msg;
	int rc;

	rc = flow_encode(&out, fmt, opts, meta, line, len);
	if (rc != 0 && rc != 1)
		__builtin_trap();
	if (out.data == NULL || out.data[out.len] != '\0' ||
	    memchr(out.data, '\0', out.len) != NULL ||
	    memchr(out.data, '\n', out.len) != NULL)
		__builtin_trap();
	doc = json_loadb(out.data, out.len,
	    JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (doc == NULL || !json_is_object(doc))
		__builtin_trap();
	msg = json_object_get(doc, "message");
	if ((rc == 1 || opts->include_message) &&
	    (msg == NULL || !json_is_string(msg)))
		__builtin_trap();
	if ((json_object_get(doc, "tags") != NULL) != (rc == 1))
		__builtin_trap();
	if (rc == 1 && opts->style == FLOW_STYLE_LOGZIO &&
	    !json_is_string(json_object_get(doc, "parse_error")))
		__builtin_trap();
	if (opts->style == FLOW_STYLE_ECS && !keys_without_dots(doc))
		__builtin_trap();
	json_decref(doc);
	buf_free(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct flow_format formats[3];
	static int ready;
	static const struct flow_meta meta = { "/vpc/\"flow\\logs",
	    "eni-1-all", "3692658129641643625893063355738904951342738538078617",
	    1418530010123 };
	static const struct flow_meta no_meta = { NULL, NULL, NULL, -1 };
	struct flow_format custom;
	struct flow_opts opts;
	const char *line, *nl;
	char err[256], *spec;
	size_t len, i;
	uint8_t ctl;
	struct buf all = BUF_INIT;

	if (!ready) {
		if (flow_format_parse(&formats[0], FLOW_DEFAULT_FORMAT, NULL,
		    0) || flow_format_parse(&formats[1], v5_format, NULL, 0))
			abort();
		for (i = 0; i < (size_t)flow_field_count(); i++) {
			buf_addstr(&all, flow_field_name((int)i));
			buf_addch(&all, ' ');
		}
		if (flow_format_parse(&formats[2], all.data, NULL, 0))
			abort();
		buf_free(&all);
		ready = 1;
	}
	if (size < 1)
		return 0;
	ctl = data[0];
	line = (const char *)data + 1;
	len = size - 1;
	opts.style = (ctl & 1) ? FLOW_STYLE_ECS : FLOW_STYLE_LOGZIO;
	opts.include_message = (ctl >> 1) & 1;
	opts.add_json = (ctl & 4) ? "\"env\":\"prod\",\"n\":1" : NULL;

	/* A header line is a format that parses. */
	if (flow_line_is_header(line, len)) {
		spec = malloc(len + 1);
		memcpy(spec, line, len);
		spec[len] = '\0';
		if (flow_format_parse(&custom, spec, err, sizeof(err)) != 0)
			__builtin_trap();
		free(spec);
	}

	if (((ctl >> 4) & 3) == 3) {
		nl = memchr(line, '\n', len);
		i = nl != NULL ? (size_t)(nl - line) : len;
		spec = malloc(i + 1);
		memcpy(spec, line, i);
		spec[i] = '\0';
		err[0] = 'x';
		if (flow_format_parse(&custom, spec, err, sizeof(err)) != 0) {
			/* An error says something, in one clean line. */
			if (custom.nfields != 0 || err[0] == '\0' ||
			    strlen(err) >= sizeof(err) ||
			    strpbrk(err, "\n\r") != NULL)
				__builtin_trap();
			free(spec);
			return 0;
		}
		free(spec);
		if (custom.nfields < 1 || custom.nfields > FLOW_MAX_FIELDS)
			__builtin_trap();
		for (i = 0; i < (size_t)custom.nfields; i++)
			if (flow_field_name(custom.field[i]) == NULL)
				__builtin_trap();
		if (nl == NULL)
			return 0;
		len -= (size_t)(nl + 1 - line);
		line = nl + 1;
		encode_and_check(&custom, &opts, (ctl & 8) ? &meta : &no_meta,
		    line, len);
		return 0;
	}
	encode_and_check(&formats[(ctl >> 4) & 3], &opts,
	    (ctl & 8) ? &meta : &no_meta, line, len);
	return 0;
}
