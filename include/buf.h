/*
 * buf: one growable byte buffer used everywhere (request bodies, documents,
 * batches, error messages). Allocation failure is fatal: a daemon that cannot
 * get a few kilobytes has nothing better to do than stop with a clear message.
 */
#ifndef VPCFLOWD_BUF_H
#define VPCFLOWD_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct buf {
	char	*data;	/* always NUL-terminated when non-NULL */
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

void	buf_init(struct buf *b);
void	buf_free(struct buf *b);
/* For secrets: wipe the whole allocation (explicit_bzero), then buf_free. */
void	buf_wipe_free(struct buf *b);
/* Forget the contents but keep the memory for reuse. */
static inline void buf_reset(struct buf *b) { b->len = 0; if (b->data) b->data[0] = '\0'; }
/*
 * Remove spaces, tabs, CRs and LFs at both ends, in place; the bytes given
 * up are wiped (explicit_bzero): b may hold a secret.
 */
void	buf_trim(struct buf *b);
/* Make room for at least n more bytes (plus the terminating NUL). */
void	buf_grow(struct buf *b, size_t n);
/* Hand the memory to the caller (NUL-terminated, never NULL); b is emptied. */
char	*buf_detach(struct buf *b);

/* Heap strings, allocation failure fatal as for buf. A copy of s[0..n). */
char	*buf_strndup(const char *s, size_t n);
/* A copy of s; NULL stays NULL. */
char	*buf_strdup(const char *s);
/* For secrets: wipe the string (explicit_bzero), free it, *s = NULL. */
void	buf_str_wipe_free(char **s);

void	buf_add(struct buf *b, const void *p, size_t n);
void	buf_addstr(struct buf *b, const char *s);
void	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));

static inline void
buf_addch(struct buf *b, char c)
{
	if (b->len + 1 >= b->cap)
		buf_grow(b, 1);
	b->data[b->len++] = c;
	b->data[b->len] = '\0';
}

/* Decimal integers without printf: these sit on the encoder's hot path. */
void	buf_add_u64(struct buf *b, uint64_t v);
void	buf_add_i64(struct buf *b, int64_t v);

/*
 * Append s[0..n) as a JSON string, quotes included. Control characters and
 * quotes are escaped; bytes that are not valid UTF-8 become U+FFFD so the
 * output is valid JSON whatever the input.
 */
void	buf_add_json_str(struct buf *b, const char *s, size_t n);
/*
 * The length of the valid UTF-8 sequence at s (n >= 1 bytes left), 0 when
 * it is not one: overlong forms, surrogates, code points past U+10FFFF and
 * truncated sequences are not.
 */
size_t	utf8_seq_len(const unsigned char *s, size_t n);

/* Read a whole file into b (appending). Returns 0, or -1 with errno set. */
int	buf_read_file(struct buf *b, const char *path);

/*
 * A fast 64-bit hash of p[0..n), eight bytes a step, for in-memory tables
 * only: never write it to a file (it may change between versions).
 */
uint64_t mem_hash(const void *p, size_t n);

#endif
