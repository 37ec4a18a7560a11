/*
 * libFuzzer target: the checkpoint decoders (checkpoint.h) on any bytes.
 * Never crash; never accept a file or journal record whose trailer is not
 * the CRC-32 of what precedes it (checked here independently); what is
 * accepted is exactly what the encoder writes for it; a refusal says why
 * in one line.
 *
 * Input: one control byte, then the file.
 *   bit 0	group file (else stream file, or journal)
 *   bit 1	append the right "crc32" line to the file first, so the
 *		parsers behind the checksum are explored too (journal: put
 *		the right checksum in every record's "crc32" line)
 *   bit 2	group: decode over a template (schedule_init with poll
 *		bits 3-4, max_delay bits 5-7), as the daemon does;
 *		else the journal decoder
 *   bit 3	journal: prepend its first line
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "buf.h"
#include "checkpoint.h"
#include "schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The last line is "crc32 " + 8 lower-case hex digits of the CRC of the rest. */
static int
trailer_ok(const char *p, size_t len)
{
	char want[16];
	uLong crc;

	if (len < 15 || (len > 15 && p[len - 16] != '\n'))
		return 0;
	crc = crc32(0L, (const Bytef *)p, (uInt)(len - 15));
	snprintf(want, sizeof(want), "crc32 %08lx\n", (unsigned long)crc);
	return memcmp(p + len - 15, want, 15) == 0;
}

static void
check_refusal(const struct buf *err)
{
	if (err->len == 0 || memchr(err->data, '\n', err->len) != NULL)
		__builtin_trap();
}

/* An accepted stream: canonical, a working seen set, a safe file name. */
static void
check_stream(struct stream_state *s, const struct buf *file)
{
	struct buf again = BUF_INIT, name = BUF_INIT;
	size_t i, n = s->nseen;

	checkpoint_encode_stream(&again, s);
	if (again.len != file->len ||
	    memcmp(again.data, file->data, file->len) != 0)
		__builtin_trap();
	if (s->seen_main != n || s->dirty)
		__builtin_trap();
	for (i = 0; i < n; i++)
		if ((i > 0 && s->seen[i - 1].id_hash >= s->seen[i].id_hash) ||
		    !stream_seen_has(s, s->seen[i].id_hash))
			__builtin_trap();
	checkpoint_file_name(&name, s->name);
	if (name.len > CHECKPOINT_NAME_MAX + 5 || name.data[0] == '.' ||
	    memchr(name.data, '/', name.len) != NULL ||
	    strcmp(name.data + name.len - 5, ".ckpt") != 0)
		__builtin_trap();
	stream_seen_add(s, 0, 0x5555555555555555ULL);
	if (!stream_seen_has(s, 0x5555555555555555ULL))
		__builtin_trap();
	if (n > 0) {
		stream_seen_prune(s, s->seen[n / 2].timestamp);
		for (i = 0; i < s->nseen; i++)
			if (s->seen[i].timestamp < 0)
				__builtin_trap();
	}
	buf_free(&again);
	buf_free(&name);
}

/* An accepted group file: canonical, or fitted to the template. */
static void
check_group(const struct group_state *g, const struct schedule *tmpl,
    const struct buf *file)
{
	struct buf again = BUF_INIT;
	int k;

	if (g->sched.nlevels < 1 || g->sched.nlevels > SCHEDULE_MAX_LEVELS)
		__builtin_trap();
	for (k = 1; k < g->sched.nlevels; k++)
		if (g->sched.age_ms[k] <= g->sched.age_ms[k - 1])
			__builtin_trap();
	if (tmpl == NULL) {
		checkpoint_encode_group(&again, g);
		if (again.len != file->len ||
		    memcmp(again.data, file->data, file->len) != 0)
			__builtin_trap();
		buf_free(&again);
		return;
	}
	if (g->sched.nlevels != tmpl->nlevels || memcmp(g->sched.age_ms,
	    tmpl->age_ms, sizeof(tmpl->age_ms)) != 0)
		__builtin_trap();
}

/* The right checksum in every "crc32" line: of the record before it. */
static void
fix_record_crcs(struct buf *file)
{
	char *p = file->data, *end = file->data + file->len, *nl, *rec;
	char hex[16];

	if (file->len == 0 || (nl = memchr(p, '\n', file->len)) == NULL)
		return;
	rec = p = nl + 1;
	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (nl - p == 14 && memcmp(p, "crc32 ", 6) == 0) {
			snprintf(hex, sizeof(hex), "%08lx", (unsigned long)
			    crc32(0L, (const Bytef *)rec, (uInt)(p - rec)));
			memcpy(p + 6, hex, 8);
			rec = nl + 1;
		}
		p = nl + 1;
	}
}

struct jcheck {
	const struct buf	*file;
	size_t			 next;	/* where the next record must start */
};

/* A record accepted: contiguous, checksummed, canonical, not empty. */
static int
check_record(void *arg, const struct journal_record *r)
{
	struct jcheck *j = arg;
	struct buf again = BUF_INIT;
	const struct stream_state *s;
	size_t i, k;

	if (r->off != j->next || r->len > j->file->len - r->off ||
	    !trailer_ok(j->file->data + r->off, r->len) ||
	    (r->nstreams == 0 && !r->has_group))
		__builtin_trap();
	checkpoint_encode_record(&again, r);
	if (again.len != r->len ||
	    memcmp(again.data, j->file->data + r->off, r->len) != 0)
		__builtin_trap();
	for (i = 0; i < r->nstreams; i++) {
		s = &r->streams[i];
		for (k = 1; k < s->nseen; k++)
			if (s->seen[k - 1].id_hash >= s->seen[k].id_hash)
				__builtin_trap();
		for (k = 0; k < i; k++)
			if (strcmp(r->streams[k].name, s->name) == 0)
				__builtin_trap();
	}
	if (r->has_group && (r->group.sched.nlevels < 1 ||
	    r->group.sched.nlevels > SCHEDULE_MAX_LEVELS))
		__builtin_trap();
	j->next = r->off + r->len;
	buf_free(&again);
	return 0;
}

/*
 * The journal decoder: the records it hands over are the good prefix;
 * what it drops as torn, the prefix alone decodes to the same length.
 */
static int
fuzz_journal(struct buf *file, struct buf *err)
{
	struct jcheck j;
	size_t good, good2;
	const char *nl;
	int rc;

	if (file->len == 0)
		return checkpoint_decode_journal(file->data, 0, &good,
		    check_record, NULL, err);
	j.file = file;
	j.next = (nl = memchr(file->data, '\n', file->len)) != NULL ?
	    (size_t)(nl - file->data) + 1 : 0;
	rc = checkpoint_decode_journal(file->data, file->len, &good,
	    check_record, &j, err);
	if (rc == 0 && (good != j.next || good > file->len))
		__builtin_trap();
	if (rc == 0 && good < file->len) {
		j.next = (size_t)(nl - file->data) + 1;
		if (checkpoint_decode_journal(file->data, good, &good2,
		    check_record, &j, err) != 0 || good2 != good)
			__builtin_trap();
	}
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf file = BUF_INIT, err = BUF_INIT;
	struct stream_state s;
	struct group_state g;
	struct schedule tmpl;
	uint8_t ctl;
	int rc, journal;

	if (size < 1)
		return 0;
	ctl = data[0];
	journal = (ctl & 5) == 4;
	if (journal && (ctl & 8))
		checkpoint_encode_journal_header(&file);
	buf_add(&file, data + 1, size - 1);
	if (journal && (ctl & 2))
		fix_record_crcs(&file);
	else if (ctl & 2)
		buf_printf(&file, "crc32 %08lx\n", (unsigned long)crc32(0L,
		    (const Bytef *)file.data, (uInt)file.len));
	if (journal)
		rc = fuzz_journal(&file, &err);
	else if (ctl & 1) {
		memset(&g, 0, sizeof(g));
		if (ctl & 4)
			schedule_init(&g.sched, 1 + 29 * ((ctl >> 3) & 3),
			    150 * ((ctl >> 5) & 7), 1700000000000LL);
		tmpl = g.sched;
		rc = checkpoint_decode_group(&g, file.data, file.len, &err);
		if (rc == 0 && !trailer_ok(file.data, file.len))
			__builtin_trap();
		if (rc == 0)
			check_group(&g, (ctl & 4) ? &tmpl : NULL, &file);
		else if (memcmp(&g.sched, &tmpl, sizeof(tmpl)) != 0)
			__builtin_trap();	/* untouched on failure */
	} else {
		rc = checkpoint_decode_stream(&s, file.data, file.len, &err);
		if (rc == 0 && !trailer_ok(file.data, file.len))
			__builtin_trap();
		if (rc == 0)
			check_stream(&s, &file);
		else if (s.name != NULL || s.seen != NULL)
			__builtin_trap();
		stream_state_free(&s);
	}
	if (rc != 0)
		check_refusal(&err);
	buf_free(&file);
	buf_free(&err);
	return 0;
}
