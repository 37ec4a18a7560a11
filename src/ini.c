/* ini: parser of the AWS shared credentials/config file format (include/ini.h). */
#include <stdlib.h>
#include <string.h>

#include "ini.h"

/* Parser state across lines. */
struct ini_state {
	struct buf	 entries;	/* struct ini_entry[] */
	struct buf	 sections;	/* char *[] */
	char		*section;	/* current section or NULL */
	long		 key_indent;	/* indentation of the last key, -1: none */
	char		*parent;	/* the last key when its value was empty, else NULL */
};

static int
ini_space(char c)
{
	return c == ' ' || c == '\t' || c == '\f' || c == '\v';
}

/* Trim white space on both sides of [*s, *e). */
static void
ini_trim(const char **s, const char **e)
{
	while (*s < *e && ini_space(**s))
		(*s)++;
	while (*e > *s && ini_space((*e)[-1]))
		(*e)--;
}

/* The current section's shared name: one copy per distinct header. */
static char *
ini_section(struct ini_state *st, const char *s, size_t n)
{
	char **v = (char **)(void *)st->sections.data;
	size_t i, cnt = st->sections.len / sizeof(char *);
	char *name;

	for (i = 0; i < cnt; i++)
		if (strlen(v[i]) == n && memcmp(v[i], s, n) == 0)
			return v[i];
	name = buf_strndup(s, n);
	buf_add(&st->sections, &name, sizeof(name));
	return name;
}

/*
 * Add one entry to the current section: key lowercased, prefixed by
 * "prefix." for nested keys; value copied as given.
 */
static void
ini_add(struct ini_state *st, const char *prefix, const char *k, size_t klen,
    const char *v, size_t vlen, size_t line)
{
	struct ini_entry ent;
	struct buf key = BUF_INIT;
	size_t i;

	if (prefix != NULL)
		buf_printf(&key, "%s.", prefix);
	for (i = 0; i < klen; i++)
		buf_addch(&key, (k[i] >= 'A' && k[i] <= 'Z') ?
		    (char)(k[i] - 'A' + 'a') : k[i]);
	ent.section = st->section;
	ent.key = buf_detach(&key);
	ent.value = buf_strndup(v, vlen);
	ent.line = line;
	buf_add(&st->entries, &ent, sizeof(ent));
}

/*
 * Split "key = value [# comment]" (':' also separates): returns 0 with the
 * trimmed key and value, -1 when there is no separator or no key.
 */
static int
ini_split(const char *s, const char *e, const char **ks, const char **ke,
    const char **vs, const char **ve)
{
	const char *d, *c;

	for (d = s; d < e && *d != '=' && *d != ':'; d++)
		;
	if (d == e)
		return -1;
	*ks = s;
	*ke = d;
	ini_trim(ks, ke);
	if (*ks == *ke)
		return -1;
	*vs = d + 1;
	*ve = e;
	for (c = *vs; c < e; c++)
		if ((*c == '#' || *c == ';') && c > *vs && ini_space(c[-1])) {
			*ve = c;
			break;
		}
	ini_trim(vs, ve);
	return 0;
}

/* One non-blank, non-comment line; returns NULL or what is wrong with it. */
static const char *
ini_line(struct ini_state *st, const char *s, const char *e, long indent,
    size_t lineno)
{
	const char *ks, *ke, *vs, *ve, *c;

	if (st->key_indent >= 0 && indent > st->key_indent) {
		/* Belongs to the key above: nested "k = v" or continuation. */
		if (st->parent != NULL &&
		    ini_split(s, e, &ks, &ke, &vs, &ve) == 0)
			ini_add(st, st->parent, ks, (size_t)(ke - ks), vs,
			    (size_t)(ve - vs), lineno);
		return NULL;
	}
	if (*s == '[') {
		if ((c = memchr(s, ']', (size_t)(e - s))) == NULL)
			return "section header without ']'";
		for (ve = c + 1; ve < e && ini_space(*ve); ve++)
			;
		if (ve < e && *ve != '#' && *ve != ';')
			return "unexpected text after the section header";
		ks = s + 1;
		ke = c;
		ini_trim(&ks, &ke);
		if (ks == ke)
			return "empty section name";
		st->section = ini_section(st, ks, (size_t)(ke - ks));
		st->key_indent = -1;
		st->parent = NULL;
		return NULL;
	}
	if (st->section == NULL)
		return "'key = value' before any [section] header";
	if (ini_split(s, e, &ks, &ke, &vs, &ve) == -1)
		return "expected 'key = value' or '[section]'";
	ini_add(st, NULL, ks, (size_t)(ke - ks), vs, (size_t)(ve - vs), lineno);
	st->key_indent = indent;
	st->parent = vs == ve ? ((struct ini_entry *)(void *)(st->entries.data +
	    st->entries.len - sizeof(struct ini_entry)))->key : NULL;
	return NULL;
}

/* Hand the arrays built in st to ini. */
static void
ini_finish(struct ini *ini, struct ini_state *st)
{
	ini->n = st->entries.len / sizeof(struct ini_entry);
	ini->nsections = st->sections.len / sizeof(char *);
	ini->e = (struct ini_entry *)(void *)buf_detach(&st->entries);
	ini->sections = (char **)(void *)buf_detach(&st->sections);
}

int
ini_parse(struct ini *ini, const char *text, size_t len, struct buf *err)
{
	struct ini_state st;
	const char *p = text, *end = text + len, *s, *e, *why;
	size_t lineno = 0;
	long indent;

	memset(ini, 0, sizeof(*ini));
	memset(&st, 0, sizeof(st));
	st.key_indent = -1;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		lineno++;
		s = p;
		if ((e = memchr(s, '\n', (size_t)(end - s))) == NULL)
			e = end;
		p = e < end ? e + 1 : end;
		if (memchr(s, '\0', (size_t)(e - s)) != NULL) {
			why = "NUL byte";
			goto bad;
		}
		for (indent = 0; s < e && ini_space(*s); s++)
			indent++;
		while (e > s && (ini_space(e[-1]) || e[-1] == '\r'))
			e--;
		if (s == e || *s == '#' || *s == ';')
			continue;
		if ((why = ini_line(&st, s, e, indent, lineno)) != NULL)
			goto bad;
	}
	ini_finish(ini, &st);
	return 0;
bad:
	buf_printf(err, "line %zu: %s", lineno, why);
	ini_finish(ini, &st);
	ini_free(ini);
	return -1;
}

void
ini_free(struct ini *ini)
{
	size_t i;

	for (i = 0; i < ini->n; i++) {
		buf_str_wipe_free(&ini->e[i].value);
		free(ini->e[i].key);
	}
	for (i = 0; i < ini->nsections; i++)
		free(ini->sections[i]);
	free(ini->e);
	free(ini->sections);
	memset(ini, 0, sizeof(*ini));
}

int
ini_has_section(const struct ini *ini, const char *section)
{
	size_t i;

	for (i = 0; i < ini->nsections; i++)
		if (strcmp(ini->sections[i], section) == 0)
			return 1;
	return 0;
}

const struct ini_entry *
ini_get(const struct ini *ini, const char *section, const char *key)
{
	const struct ini_entry *found = NULL;
	size_t i;

	for (i = 0; i < ini->n; i++)
		if (strcmp(ini->e[i].section, section) == 0 &&
		    strcmp(ini->e[i].key, key) == 0)
			found = &ini->e[i];
	return found;
}
