/* buf: the growable byte buffer (see include/buf.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <fcntl.h>

#include "buf.h"
#include "log.h"

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

void
buf_wipe_free(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

void
buf_grow(struct buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (n > SIZE_MAX / 2 - b->len)
		fatalx("buffer size overflow");
	need = b->len + n + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if ((p = realloc(b->data, cap)) == NULL)
		fatal("out of memory (%zu bytes)", cap);
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
}

char *
buf_detach(struct buf *b)
{
	char *p;

	if (b->data == NULL)
		buf_grow(b, 0);
	p = b->data;
	buf_init(b);
	return p;
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
buf_trim(struct buf *b)
{
	size_t s = 0, e = b->len;

	if (b->data == NULL)
		return;
	while (s < e && is_blank(b->data[s]))
		s++;
	while (e > s && is_blank(b->data[e - 1]))
		e--;
	memmove(b->data, b->data + s, e - s);
	explicit_bzero(b->data + (e - s), b->len - (e - s));
	b->len = e - s;
}

char *
buf_strndup(const char *s, size_t n)
{
	struct buf b = BUF_INIT;

	buf_add(&b, s, n);
	return buf_detach(&b);
}

char *
buf_strdup(const char *s)
{
	return s == NULL ? NULL : buf_strndup(s, strlen(s));
}

void
buf_str_wipe_free(char **s)
{
	if (*s == NULL)
		return;
	explicit_bzero(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	if (b->len + n >= b->cap)
		buf_grow(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(b->data ? b->data + b->len : NULL,
	    b->data ? b->cap - b->len : 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		fatalx("buf_printf: bad format");
	if (b->data == NULL || (size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

void
buf_add_u64(struct buf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	buf_add(b, tmp + i, sizeof(tmp) - i);
}

void
buf_add_i64(struct buf *b, int64_t v)
{
	if (v < 0) {
		buf_addch(b, '-');
		buf_add_u64(b, (uint64_t)0 - (uint64_t)v);
	} else
		buf_add_u64(b, (uint64_t)v);
}

size_t
utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];

	if (c >= 0xc2 && c <= 0xdf)
		return (n >= 2 && (s[1] & 0xc0) == 0x80) ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
			return 0;
		if (c == 0xe0 && s[1] < 0xa0)	/* overlong */
			return 0;
		if (c == 0xed && s[1] >= 0xa0)	/* UTF-16 surrogates */
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 ||
		    (s[3] & 0xc0) != 0x80)
			return 0;
		if (c == 0xf0 && s[1] < 0x90)	/* overlong */
			return 0;
		if (c == 0xf4 && s[1] >= 0x90)	/* above U+10FFFF */
			return 0;
		return 4;
	}
	return 0;
}

/* Bytes that can be copied into a JSON string as they are. */
static const unsigned char json_plain[256] = {
	['\x20'] = 1, ['!'] = 1, ['#'] = 1, ['$'] = 1, ['%'] = 1, ['&'] = 1,
	['\''] = 1, ['('] = 1, [')'] = 1, ['*'] = 1, ['+'] = 1, [','] = 1,
	['-'] = 1, ['.'] = 1, ['/'] = 1, ['0'] = 1, ['1'] = 1, ['2'] = 1,
	['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1,
	['9'] = 1, [':'] = 1, [';'] = 1, ['<'] = 1, ['='] = 1, ['>'] = 1,
	['?'] = 1, ['@'] = 1, ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1,
	['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
	['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1,
	['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1, ['U'] = 1, ['V'] = 1,
	['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['['] = 1, [']'] = 1,
	['^'] = 1, ['_'] = 1, ['`'] = 1, ['a'] = 1, ['b'] = 1, ['c'] = 1,
	['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1,
	['j'] = 1, ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1,
	['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1, ['u'] = 1,
	['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1, ['{'] = 1,
	['|'] = 1, ['}'] = 1, ['~'] = 1,
};

void
buf_add_json_str(struct buf *b, const char *str, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run, k;
	char *o;

	/* Worst case: every byte becomes "\ufffd" (6 bytes) or "\u00XX". */
	if (b->len + 6 * n + 3 >= b->cap)
		buf_grow(b, 6 * n + 3);
	o = b->data + b->len;
	*o++ = '"';
	while (i < n) {
		for (run = i; run < n && json_plain[s[run]]; run++)
			;
		memcpy(o, s + i, run - i);
		o += run - i;
		if ((i = run) >= n)
			break;
		switch (s[i]) {
		case '"':  *o++ = '\\'; *o++ = '"'; i++; continue;
		case '\\': *o++ = '\\'; *o++ = '\\'; i++; continue;
		case '\n': *o++ = '\\'; *o++ = 'n'; i++; continue;
		case '\r': *o++ = '\\'; *o++ = 'r'; i++; continue;
		case '\t': *o++ = '\\'; *o++ = 't'; i++; continue;
		}
		if (s[i] < 0x20 || s[i] == 0x7f) {
			memcpy(o, "\\u00", 4);
			o[4] = hex[s[i] >> 4];
			o[5] = hex[s[i] & 15];
			o += 6;
			i++;
		} else if ((k = utf8_seq_len(s + i, n - i)) > 0) {
			memcpy(o, s + i, k);
			o += k;
			i += k;
		} else {
			memcpy(o, "\\ufffd", 6);	/* invalid UTF-8 byte */
			o += 6;
			i++;
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
}

int
buf_read_file(struct buf *b, const char *path)
{
	char tmp[65536];
	ssize_t n;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			errno = saved;
			return -1;
		}
		buf_add(b, tmp, (size_t)n);
	}
	close(fd);
	return 0;
}

/*
 * Words are mixed by xor, an odd multiply and a shift: each step is a
 * bijection of the state, so inputs of one length that differ in a single
 * word never collide; splitmix64's finalizer spreads the bits at the end.
 */
uint64_t
mem_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n, w;

	for (; n >= 8; s += 8, n -= 8) {
		memcpy(&w, s, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s, n);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}
