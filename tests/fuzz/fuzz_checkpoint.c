/*
 * libFuzzer target: the checkpoint decoders (checkpoint.h) on any bytes.
 * Never crash; never accept a file whose trailer is not the CRC-32 of what
 * precedes it (checked here independently); what is accepted is exactly
 * what the encoder writes for it; a refusal says why in one line.
 *
 * Input: one control byte, then the file.
 *   bit 0	group file (else stream file)
 *   bit 1	append the right "crc32" line to the file first, so the
 *		parsers behind the checksum are explored too
 *   bit 2	group: decode over a template (schedule_init with poll
 *		bits 3-4, max_delay bits 5-7), as the daemon does
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf file = BUF_INIT, err = BUF_INIT;
	struct stream_state s;
	struct group_state g;
	struct schedule tmpl;
	uint8_t ctl;
	int rc;

	if (size < 1)
		return 0;
	ctl = data[0];
	buf_add(&file, data + 1, size - 1);
	if (ctl & 2)
		buf_printf(&file, "crc32 %08lx\n", (unsigned long)crc32(0L,
		    (const Bytef *)file.data, (uInt)file.len));
	if (ctl & 1) {
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
