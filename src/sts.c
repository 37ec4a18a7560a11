/* sts: STS form bodies, endpoint and a minimal XML reader (include/sts.h). */
#include <stdlib.h>
#include <string.h>

#include "creds_provider.h"
#include "region.h"
#include "sts.h"

#define XML_NAME_MAX	64

/* Called for each element without child elements, with its text. */
typedef void (*xml_leaf_fn)(void *arg, char stack[][XML_NAME_MAX],
	    int depth, const char *text, size_t len);

struct xml_scan {
	const char	*p, *e;
	char		 stack[STS_XML_MAX_DEPTH][XML_NAME_MAX];
	int		 had_child[STS_XML_MAX_DEPTH];
	int		 depth;
	int		 roots;
	struct buf	 text;	/* text of the innermost element (may be secret) */
	xml_leaf_fn	 leaf;
	void		*arg;
};

void
sts_endpoint_url(struct buf *out, const char *region, int fips,
    const char *override, const char **signing)
{
	*signing = region != NULL && *region != '\0' ? region : "us-east-1";
	if ((override == NULL || *override == '\0') &&
	    (region == NULL || *region == '\0'))
		buf_addstr(out, fips ? "https://sts-fips.us-east-1.amazonaws.com" :
		    "https://sts.amazonaws.com");
	else
		region_endpoint_or(out, override, "sts", *signing, fips);
}

static int
sts_session_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("_+=,.@-", c) != NULL;
}

void
sts_session_name(struct buf *out, const char *given, time_t now)
{
	size_t start = out->len, i;

	if (given == NULL || *given == '\0') {
		buf_printf(out, "vpcflowd-%lld", (long long)now);
		return;
	}
	for (i = 0; given[i] != '\0' && i < 64; i++)
		buf_addch(out, sts_session_char(given[i]) ? given[i] : '-');
	while (out->len - start < 2)
		buf_addch(out, '-');
}

/* Append "&name=value" percent-encoded. */
static void
form_param(struct buf *out, const char *name, const char *value)
{
	buf_printf(out, "&%s=", name);
	sigv4_uri_encode(out, value, strlen(value), 0);
}

void
sts_assume_role_form(struct buf *out, const char *role_arn,
    const char *session, const char *external_id, long duration)
{
	buf_addstr(out, "Action=AssumeRole&Version=" STS_API_VERSION);
	form_param(out, "RoleArn", role_arn);
	form_param(out, "RoleSessionName", session);
	if (external_id != NULL && *external_id != '\0')
		form_param(out, "ExternalId", external_id);
	buf_printf(out, "&DurationSeconds=%ld", duration);
}

void
sts_web_identity_form(struct buf *out, const char *role_arn,
    const char *session, const char *web_token, long duration)
{
	buf_addstr(out, "Action=AssumeRoleWithWebIdentity&Version="
	    STS_API_VERSION);
	form_param(out, "RoleArn", role_arn);
	form_param(out, "RoleSessionName", session);
	form_param(out, "WebIdentityToken", web_token);
	buf_printf(out, "&DurationSeconds=%ld", duration);
}

/* Append the code point cp as UTF-8; -1 when it is not a valid XML Char. */
static int
xml_add_utf8(struct buf *b, unsigned long cp)
{
	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff ||
	    (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r'))
		return -1;
	if (cp < 0x80)
		buf_addch(b, (char)cp);
	else if (cp < 0x800) {
		buf_addch(b, (char)(0xc0 | (cp >> 6)));
		buf_addch(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_addch(b, (char)(0xe0 | (cp >> 12)));
		buf_addch(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_addch(b, (char)(0xf0 | (cp >> 18)));
		buf_addch(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_addch(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_addch(b, (char)(0x80 | (cp & 0x3f)));
	}
	return 0;
}

/* One entity or character reference at x->p ('&'), decoded into the text. */
static int
xml_entity(struct xml_scan *x)
{
	static const struct { const char *name; char c; } ents[] = {
		{ "amp;", '&' }, { "lt;", '<' }, { "gt;", '>' },
		{ "quot;", '"' }, { "apos;", '\'' } };
	const char *s = x->p + 1, *semi;
	unsigned long cp = 0;
	size_t i, n;
	int hex, digits = 0;

	if ((semi = memchr(s, ';', (size_t)(x->e - s))) == NULL ||
	    semi - s > 12)
		return -1;
	n = (size_t)(semi - s) + 1;
	x->p = semi + 1;
	for (i = 0; i < sizeof(ents) / sizeof(ents[0]); i++)
		if (strlen(ents[i].name) == n && memcmp(s, ents[i].name, n) == 0) {
			buf_addch(&x->text, ents[i].c);
			return 0;
		}
	if (*s++ != '#')
		return -1;
	hex = s < semi && *s == 'x';
	for (s += hex; s < semi; s++, digits++) {
		if (*s >= '0' && *s <= '9')
			cp = cp * (hex ? 16 : 10) + (unsigned long)(*s - '0');
		else if (hex && ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'f'))
			cp = cp * 16 + (unsigned long)((*s | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return digits == 0 ? -1 : xml_add_utf8(&x->text, cp);
}

/* Skip past the terminator term (markup that carries nothing for us). */
static int
xml_skip_to(struct xml_scan *x, const char *term)
{
	size_t n = strlen(term);

	for (; x->e - x->p >= (long)n; x->p++)
		if (memcmp(x->p, term, n) == 0) {
			x->p += n;
			return 0;
		}
	return -1;
}

static int
xml_name_char(char c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	    c == ':' || (unsigned char)c >= 0x80 ||
	    (!first && ((c >= '0' && c <= '9') || c == '-' || c == '.'));
}

/* Read an element name at x->p into name, without its namespace prefix. */
static int
xml_name(struct xml_scan *x, char name[XML_NAME_MAX])
{
	const char *s = x->p, *local;

	if (x->p >= x->e || !xml_name_char(*x->p, 1))
		return -1;
	while (x->p < x->e && xml_name_char(*x->p, 0))
		x->p++;
	if ((local = memchr(s, ':', (size_t)(x->p - s))) != NULL)
		s = local + 1;
	if (x->p - s == 0 || x->p - s >= XML_NAME_MAX)
		return -1;
	memcpy(name, s, (size_t)(x->p - s));
	name[x->p - s] = '\0';
	return 0;
}

/* The attributes and the end of a start tag; *empty for "/>". */
static int
xml_tag_end(struct xml_scan *x, int *empty)
{
	char q;

	while (x->p < x->e) {
		if (*x->p == '"' || *x->p == '\'') {
			q = *x->p++;
			if ((x->p = memchr(x->p, q, (size_t)(x->e - x->p))) == NULL)
				return -1;
			x->p++;
		} else if (*x->p == '>') {
			x->p++;
			*empty = 0;
			return 0;
		} else if (*x->p == '/' && x->e - x->p >= 2 && x->p[1] == '>') {
			x->p += 2;
			*empty = 1;
			return 0;
		} else if (*x->p == '<')
			return -1;
		else
			x->p++;
	}
	return -1;
}

/* Close the innermost element (named name when name is not NULL). */
static int
xml_close(struct xml_scan *x, const char *name)
{
	if (x->depth == 0 || (name != NULL &&
	    strcmp(x->stack[x->depth - 1], name) != 0))
		return -1;
	if (!x->had_child[x->depth - 1])
		x->leaf(x->arg, x->stack, x->depth, x->text.data ?
		    x->text.data : "", x->text.len);
	x->depth--;
	buf_reset(&x->text);
	return 0;
}

/* One piece of markup at x->p ('<'). */
static int
xml_markup(struct xml_scan *x)
{
	char name[XML_NAME_MAX];
	const char *s;
	int empty;

	if (x->e - x->p >= 2 && x->p[1] == '?')
		return xml_skip_to(x, "?>");
	if (x->e - x->p >= 4 && memcmp(x->p, "<!--", 4) == 0)
		return xml_skip_to(x, "-->");
	if (x->e - x->p >= 9 && memcmp(x->p, "<![CDATA[", 9) == 0) {
		if (x->depth == 0)
			return -1;
		s = x->p += 9;
		if (xml_skip_to(x, "]]>") == -1)
			return -1;
		buf_add(&x->text, s, (size_t)(x->p - 3 - s));
		return 0;
	}
	if (x->e - x->p >= 2 && x->p[1] == '/') {
		x->p += 2;
		if (xml_name(x, name) == -1)
			return -1;
		while (x->p < x->e && strchr(" \t\r\n", *x->p) != NULL)
			x->p++;
		if (x->p >= x->e || *x->p++ != '>')
			return -1;
		return xml_close(x, name);
	}
	x->p++;
	if (xml_name(x, name) == -1 || xml_tag_end(x, &empty) == -1 ||
	    x->depth >= STS_XML_MAX_DEPTH || (x->depth == 0 && x->roots++ > 0))
		return -1;
	if (x->depth > 0)
		x->had_child[x->depth - 1] = 1;
	memcpy(x->stack[x->depth], name, sizeof(name));
	x->had_child[x->depth++] = 0;
	buf_reset(&x->text);
	return empty ? xml_close(x, NULL) : 0;
}

/*
 * Walk a whole document, calling leaf for each leaf element. Returns 0 for
 * a well-formed tree, -1 otherwise.
 */
static int
xml_walk(const char *xml, size_t len, xml_leaf_fn leaf, void *arg)
{
	struct xml_scan *x;
	const char *t;
	int r = -1;

	x = calloc(1, sizeof(*x));
	if (x == NULL)
		return -1;
	x->p = xml;
	x->e = xml + len;
	x->leaf = leaf;
	x->arg = arg;
	while (x->p < x->e) {
		if (*x->p == '<') {
			if (x->e - x->p >= 2 && x->p[1] == '!' &&
			    !(x->e - x->p >= 4 && memcmp(x->p, "<!--", 4) == 0) &&
			    !(x->e - x->p >= 9 && memcmp(x->p, "<![CDATA[", 9) == 0))
				goto out;	/* DOCTYPE and friends */
			if (xml_markup(x) == -1)
				goto out;
		} else if (*x->p == '&') {
			if (x->depth == 0 || xml_entity(x) == -1)
				goto out;
		} else {
			for (t = x->p; t < x->e && *t != '<' && *t != '&'; t++)
				if (*t == '\0' || (x->depth == 0 &&
				    strchr(" \t\r\n", *t) == NULL))
					goto out;
			buf_add(&x->text, x->p, (size_t)(t - x->p));
			x->p = t;
		}
	}
	r = x->depth == 0 && x->roots == 1 ? 0 : -1;
out:
	buf_wipe_free(&x->text);
	free(x);
	return r;
}

/* What the credential and error walks collect. */
struct sts_found {
	struct aws_creds	*creds;
	char			*expiration;
	struct buf		*code;
	struct buf		*message;
	int			 is_error;
};

/* Append s[0..n) as printable ASCII, at most max bytes. */
static void
sts_add_safe(struct buf *b, const char *s, size_t n, size_t max)
{
	size_t i;

	buf_reset(b);
	for (i = 0; i < n && i < max; i++)
		buf_addch(b, (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?');
}

static int
sts_suffix(const char *name, const char *suffix)
{
	size_t n = strlen(name), m = strlen(suffix);

	return n >= m && strcmp(name + n - m, suffix) == 0;
}

/*
 * Leaf callback: the fields under ...Result/Credentials and under
 * Error/{Code,Message}.
 */
static void
sts_leaf(void *arg, char stack[][XML_NAME_MAX], int depth, const char *text,
    size_t len)
{
	struct sts_found *f = arg;
	const char *name = stack[depth - 1];
	char **dst = NULL;

	if (depth >= 2 && strcmp(stack[depth - 2], "Error") == 0) {
		f->is_error = 1;
		if (strcmp(name, "Code") == 0 && f->code != NULL)
			sts_add_safe(f->code, text, len, 128);
		else if (strcmp(name, "Message") == 0 && f->message != NULL)
			sts_add_safe(f->message, text, len, 400);
		return;
	}
	if (f->creds == NULL || depth < 3 ||
	    strcmp(stack[depth - 2], "Credentials") != 0 ||
	    !sts_suffix(stack[depth - 3], "Result"))
		return;
	if (strcmp(name, "AccessKeyId") == 0)
		dst = &f->creds->access_key_id;
	else if (strcmp(name, "SecretAccessKey") == 0)
		dst = &f->creds->secret_access_key;
	else if (strcmp(name, "SessionToken") == 0)
		dst = &f->creds->session_token;
	else if (strcmp(name, "Expiration") == 0)
		dst = &f->expiration;
	if (dst == NULL)
		return;
	buf_str_wipe_free(dst);
	while (len > 0 && strchr(" \t\r\n", *text) != NULL) {
		text++;
		len--;
	}
	while (len > 0 && strchr(" \t\r\n", text[len - 1]) != NULL)
		len--;
	if (memchr(text, '\0', len) == NULL) {
		struct buf b = BUF_INIT;

		buf_add(&b, text, len);
		*dst = buf_detach(&b);
	}
}

int
sts_parse_error(const char *xml, size_t len, struct buf *code,
    struct buf *message)
{
	struct sts_found f;

	memset(&f, 0, sizeof(f));
	f.code = code;
	f.message = message;
	buf_reset(code);
	buf_reset(message);
	if (xml_walk(xml, len, sts_leaf, &f) == -1 || !f.is_error ||
	    code->len == 0)
		return -1;
	return 0;
}

int
sts_parse_credentials(const char *xml, size_t len, struct aws_creds *out,
    struct buf *err)
{
	struct buf code = BUF_INIT, message = BUF_INIT;
	struct sts_found f;
	int r = -1;

	memset(out, 0, sizeof(*out));
	memset(&f, 0, sizeof(f));
	f.creds = out;
	f.code = &code;
	f.message = &message;
	if (xml_walk(xml, len, sts_leaf, &f) == -1)
		buf_addstr(err, "the STS answer is not well-formed XML");
	else if (f.is_error)
		buf_printf(err, "STS error %s: %s", code.len ? code.data :
		    "(no code)", message.len ? message.data : "(no message)");
	else if (out->access_key_id == NULL || out->secret_access_key == NULL ||
	    out->session_token == NULL || f.expiration == NULL)
		buf_printf(err, "%s missing in the STS answer",
		    out->access_key_id == NULL ? "AccessKeyId" :
		    out->secret_access_key == NULL ? "SecretAccessKey" :
		    out->session_token == NULL ? "SessionToken" : "Expiration");
	else if (creds_parse_iso8601(f.expiration, strlen(f.expiration),
	    &out->expiration) == -1)
		buf_addstr(err, "the STS Expiration is not an ISO-8601 time");
	else if (creds_validate(out, err) == 0)
		r = 0;
	if (r == -1)
		aws_creds_clear(out);
	buf_str_wipe_free(&f.expiration);
	buf_free(&code);
	buf_free(&message);
	return r;
}
