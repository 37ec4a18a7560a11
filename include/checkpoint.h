/*
 * checkpoint: what vpcflowd has delivered, per log stream and per group, so
 * it resumes after a restart without loss or duplicates.
 *
 * Layout under state_dir:
 *   group.state             the scan schedule's positions (schedule.h) and totals
 *   streams/<name>.ckpt     one file per log stream (name made safe: see
 *                           checkpoint_file_name), holding the stream's name,
 *                           newest event timestamp, events shipped, and the
 *                           eventIds shipped inside the max_delay horizon
 *   journal                 what every checkpoint_sync since the last
 *                           compaction acknowledged, appended (see below)
 *   lock                    flock(2)ed while a daemon has the store open
 *
 * Every file is versioned and checksummed (CRC-32 over the content) and
 * written atomically: temporary file, fsync, rename, fsync of the directory;
 * the journal alone is appended to, one record a sync, then fdatasync.
 * A file that does not decode is an error naming the file and the way out,
 * never a silent restart. The encoding is a pure core (tested and fuzzed
 * without files); the file I/O is a thin layer around it.
 *
 * File format (text, one item a line, every number canonical decimal, no
 * leading zeros; hashes 16 lowercase hex digits; names percent-encoded:
 * every byte outside [A-Za-z0-9._-] as %XX, upper-case hex):
 *
 *   vpcflowd-stream 1            vpcflowd-group 1
 *   name eni-0a1b2c3d-all        poll_ms 30000
 *   last_timestamp 1700000000000 levels 5
 *   last_ingestion 1700000300000 level 0 1700000000000      (age_ms pos_ms)
 *   shipped 1234                 ... one line per level, ages increasing
 *   seen 2                       shipped 1234
 *   1700000000000 03f1...        rejected 0
 *   1700000000000 9a07...        parse_errors 0
 *   crc32 1a2b3c4d               duplicates 12
 *                                crc32 5e6f7a8b
 *
 * The seen ids (timestamp, hash) are listed by increasing hash, each once.
 * The last line is "crc32 " and the CRC-32 (zlib) of every byte before that
 * line, 8 lower-case hex digits. Decoding is strict: a file is accepted only
 * if it is exactly what the encoder would write for what it holds.
 *
 * Journal format: the line "vpcflowd-journal 1", then records, each
 * checksummed on its own (a record's "crc32" line is the CRC-32 of the
 * record's bytes from its "record" line on):
 *
 *   record                       one line per stream dirty since the
 *   stream eni-0a1b2c3d-all      last record (any order, each once),
 *   last_timestamp 1700000000000 values absolute as in the .ckpt file,
 *   last_ingestion 1700000300000 but "added" lists only the ids added
 *   shipped 1234                 since the previous record (by hash)
 *   added 1
 *   1700000000000 9a07...
 *   group                        when the group changed since it was
 *   poll_ms 30000                last journaled or written: the group
 *   ...                          file's lines between its first line
 *   duplicates 12                and its "crc32" line
 *   crc32 5e6f7a8b
 *
 * A record holds at least one stream or the group. Replaying is idempotent,
 * and safe over files newer than the records (a crash between compaction's
 * file writes and the journal's replacement): a stream's shipped is the
 * larger, its last_timestamp (with last_ingestion) the later, its ids the
 * union; the last group record's levels and positions replace the group's
 * (an older position only means reading again: the ids skip what was
 * shipped) and its totals are the larger.
 */
#ifndef VPCFLOWD_CHECKPOINT_H
#define VPCFLOWD_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "schedule.h"

#define CHECKPOINT_VERSION	1
#define CHECKPOINT_NAME_MAX	200	/* checkpoint_file_name, less ".ckpt" */
#define CHECKPOINT_JOURNAL_MAX	(32u << 20)	/* compaction past this size */

/* A shipped event remembered for de-duplication: its timestamp and the
 * 64-bit hash of its eventId (collisions: ~1e-8 at a million ids). */
struct seen_id {
	int64_t		timestamp;
	uint64_t	id_hash;
};

/*
 * The seen set is one array in two sorted runs: seen[0..seen_main) and
 * seen[seen_main..nseen), each by id_hash. New ids go into the short second
 * run, which is merged into the first when it reaches 1/64 of it (32 at
 * least, 1024 at most): lookups are two binary searches, insertions cost a
 * short move, memory is 16 bytes an id plus growth slack (300,000 ids: 6.5
 * MB). Use the functions.
 */
struct stream_state {
	char		*name;		/* the log stream name */
	int64_t		 last_timestamp;	/* newest event shipped, ms; -1: none */
	int64_t		 last_ingestion;	/* its ingestionTime, ms; -1: none */
	uint64_t	 shipped;	/* events shipped, all time */
	struct seen_id	*seen;		/* two runs sorted by id_hash, see above */
	size_t		 nseen, seen_cap, seen_main;
	struct seen_id	*fresh;		/* ids added since the last sync */
	size_t		 nfresh, fresh_cap;
	int		 dirty;		/* changed since the last sync */
};

struct group_state {
	struct schedule	 sched;		/* scan positions */
	uint64_t	 shipped, rejected, parse_errors, duplicates;
};

/* The hash of an eventId (FNV-1a 64 over its bytes, then a mixer). */
uint64_t checkpoint_id_hash(const char *event_id, size_t len);

/*
 * Seen-set operations. Add only what the listener acknowledged: a sync
 * writes whatever the set holds. Adding an id already there does nothing;
 * an id really added is also appended to fresh, which the store's sync
 * journals and clears.
 */
int	stream_seen_has(const struct stream_state *s, uint64_t id_hash);
void	stream_seen_add(struct stream_state *s, int64_t timestamp, uint64_t id_hash);
/*
 * Forget ids older than horizon_ms (they can no longer be fetched again);
 * returns how many. The stream becomes dirty only when its set becomes
 * empty, so pruning does not rewrite every file at every poll; ids left in
 * a file below the horizon are pruned after the next load.
 */
size_t	stream_seen_prune(struct stream_state *s, int64_t horizon_ms);
void	stream_state_free(struct stream_state *s);

/*
 * Pure encoding. decode returns 0, or -1 with the reason appended to err
 * (no file name, one line).
 * checkpoint_decode_stream: s is initialized here; on failure it holds
 * nothing (stream_state_free is still safe).
 * checkpoint_decode_group: g->sched on entry is the template: with no
 * levels, the file's levels and positions are taken as they are (--status);
 * with levels (schedule_init for the current configuration), the positions
 * are fitted to them with schedule_reconfigure: kept when the ages are the
 * same, else every level at the oldest stored position. On failure g is
 * left as it was.
 */
void	checkpoint_encode_stream(struct buf *out, const struct stream_state *s);
int	checkpoint_decode_stream(struct stream_state *s, const char *data,
	    size_t len, struct buf *err);
void	checkpoint_encode_group(struct buf *out, const struct group_state *g);
int	checkpoint_decode_group(struct group_state *g, const char *data,
	    size_t len, struct buf *err);

/*
 * A journal record as checkpoint_decode_journal hands it over: the streams
 * it names, each with its absolute values and, in seen[0..nseen) (one run,
 * by increasing hash), only the ids the record adds; the group when
 * has_group. off and len locate the record in the journal's bytes.
 */
struct journal_record {
	struct stream_state	*streams;
	size_t			 nstreams;
	int			 has_group;
	struct group_state	 group;
	size_t			 off, len;
};

/*
 * Pure journal coding. checkpoint_encode_journal_header appends the first
 * line; checkpoint_encode_record one record (r's streams' seen runs sorted,
 * without repeats; at least one stream or the group).
 * checkpoint_decode_journal checks the header, then hands each record in
 * turn to fn (the record is freed when fn returns; fn returns 0, or -1 to
 * stop the decoding, which then returns -1 with what fn appended to err).
 * Returns 0 with *good_len the length of the header and the good records:
 * less than len when the bytes after them are a torn last record (a crash
 * while it was appended: incomplete, or failing its checksum, with no other
 * record after its start). Returns -1 after appending the reason (one line:
 * "line N: ...", no file name) for a bad header, a damaged record followed
 * by another, or a record that does not decode strictly (what the encoder
 * would write for what it holds, no stream twice).
 */
void	checkpoint_encode_journal_header(struct buf *out);
void	checkpoint_encode_record(struct buf *out, const struct journal_record *r);
int	checkpoint_decode_journal(const char *data, size_t len,
	    size_t *good_len, int (*fn)(void *arg,
	    const struct journal_record *r), void *arg, struct buf *err);

/*
 * A file name safe for any stream name, appended to out: the name
 * percent-encoded as in the files (a leading '.' too, so it is never
 * hidden); when that is longer than CHECKPOINT_NAME_MAX, a prefix of it,
 * '~' and 16 hex digits of a hash of the whole name; then ".ckpt". The
 * empty name is "%00.ckpt". Never holds '/', at most 205 bytes.
 */
void	checkpoint_file_name(struct buf *out, const char *stream_name);

/*
 * The store: all stream states of one state_dir, in memory, looked up by
 * name (hash table). Loading reads every file; a file that cannot be read or
 * decoded fails the load with a message naming it and the way out.
 */
struct checkpoint_store;

/*
 * Create state_dir and state_dir/streams when missing (mode 0700), lock
 * state_dir (a second vpcflowd on it is refused), remove temporary files a
 * crash left (".tmp-*"), load group.state (none: group->sched.nlevels is 0,
 * the caller initializes it from start_position) and every .ckpt file in
 * streams/, then replay the journal over them (none is fine). Nothing is
 * written: a torn last record is dropped with a notice (its batch is
 * shipped again), and when the journal had records, a torn one or none at
 * all, the first checkpoint_sync compacts. Ids below the horizon that the
 * replay brings back are for the caller to prune, as for the files.
 * Returns NULL after appending one line to err: "FILE: reason; way out"
 * for a file that cannot be read or decoded, two files holding the same
 * stream, or a damaged journal.
 */
struct checkpoint_store *checkpoint_open(const char *state_dir, struct buf *err);
void	checkpoint_close(struct checkpoint_store *st);
struct group_state *checkpoint_group(struct checkpoint_store *st);
/* The state of a stream, created (empty, dirty) when new. */
struct stream_state *checkpoint_stream(struct checkpoint_store *st, const char *name);
/* Visit every stream (for --status and pruning), in no particular order. */
void	checkpoint_foreach(struct checkpoint_store *st,
	    void (*fn)(void *arg, struct stream_state *s), void *arg);
/*
 * Make every dirty stream and the group (when it changed and has levels)
 * durable: one record appended to the journal with one write and one
 * fdatasync; no stream file is written. Once it returned 0, no crash loses
 * that state. It compacts instead when the journal would pass its limit
 * (CHECKPOINT_JOURNAL_MAX), after a failure, and at the first sync after
 * checkpoint_open found records, a torn record or no journal.
 * Returns 0, or -1 with errno and "FILE: what: strerror" in err (ENOSPC,
 * EROFS, EACCES ...); what was not written for sure stays dirty for the
 * next try, a failed append is cut off the journal, and the next sync
 * compacts.
 */
int	checkpoint_sync(struct checkpoint_store *st, struct buf *err);
/*
 * Compaction: write every stream changed since the last compaction, then
 * the group file when it changed, each atomically, fsync both directories,
 * then replace the journal by one holding its first line alone (atomically,
 * directory fsynced). A crash at any point leaves files and journal that
 * replay to the state of the last sync or later. Returns as checkpoint_sync
 * (the daemon calls it when it stops).
 */
int	checkpoint_compact(struct checkpoint_store *st, struct buf *err);
/*
 * Forget the streams whose newest event is older than before_ms and which
 * hold no eventId (network interfaces that are gone: VPC flow logs write
 * one stream per interface, and their checkpoints would pile up and be read
 * at every start forever): file removed, state freed. Every pointer to a
 * stream_state may become invalid: call it only when none is held. A file
 * that cannot be removed keeps its stream. Returns how many were forgotten.
 */
size_t	checkpoint_forget_idle(struct checkpoint_store *st, int64_t before_ms);
/* Tests: the journal size past which checkpoint_sync compacts. */
void	checkpoint_set_journal_max(struct checkpoint_store *st, size_t max);
/*
 * Tests: make every following file write and journal append of
 * checkpoint_sync and checkpoint_compact fail with errno errnum (ENOSPC: a
 * full disk, EROFS ...) until called again with 0.
 */
void	checkpoint_inject_error(struct checkpoint_store *st, int errnum);

/*
 * --status: from the files and the journal replayed over them (no AWS, no
 * lock, nothing written; a torn last record ignored, as the daemon drops
 * it): a table STREAM, LAST EVENT (ISO-8601 UTC), LAG, SHIPPED sorted by
 * stream name, then the group's scan positions (as ages) and totals.
 * Returns 0, or -1 after appending to err why state_dir cannot be read or
 * which files are damaged (one line each; the readable ones are still
 * printed, with the journal's records before a damaged one).
 */
int	checkpoint_print_status(const char *state_dir, int64_t now_ms, FILE *fp,
	    struct buf *err);

#endif
