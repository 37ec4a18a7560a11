/*
 * ini: a pure parser of the AWS shared credentials / config file format.
 * "[section]" headers, "key = value" lines (':' also separates, as in the
 * AWS CLI), full-line comments starting with '#' or ';', inline comments
 * after white space, CRLF line ends and a UTF-8 BOM. Keys are lowercased.
 * Lines indented deeper than the key before them belong to that key
 * (nested sub-sections such as "s3 =\n  max_concurrent_requests = 20", or
 * continuation lines): they are kept as "parent.child" keys when they have
 * the "k = v" form and skipped otherwise.
 *
 * Values may be secrets: errors give a line number and never quote the
 * text, and ini_free() wipes every value.
 */
#ifndef VPCFLOWD_INI_H
#define VPCFLOWD_INI_H

#include <stddef.h>

#include "buf.h"

struct ini_entry {
	char	*section;	/* as written between the brackets, trimmed */
	char	*key;		/* lowercased; "parent.child" for nested keys */
	char	*value;		/* trimmed; may be "" */
	size_t	 line;		/* 1-based line of the key */
};

struct ini {
	struct ini_entry	*e;
	size_t			 n;
	char			**sections;	/* every section header seen, in order, once */
	size_t			 nsections;
};

#define INI_INIT { NULL, 0, NULL, 0 }

/*
 * Parse text[0..len) into ini (initialized here). Returns 0, or -1 after
 * appending "line N: what is wrong" to err (ini is then empty).
 */
int	ini_parse(struct ini *ini, const char *text, size_t len, struct buf *err);
/* Release ini, wiping values. */
void	ini_free(struct ini *ini);
/* 1 when a section of that exact name exists, else 0. */
int	ini_has_section(const struct ini *ini, const char *section);
/* The value of key (lowercase) in section (last one wins), or NULL. */
const struct ini_entry *ini_get(const struct ini *ini, const char *section,
	    const char *key);

#endif
