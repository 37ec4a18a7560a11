/* kms: the Logz.io token from a KMS ciphertext (include/kms.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws.h"
#include "awserr.h"
#include "buf.h"
#include "config.h"
#include "kms.h"
#include "log.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
kms_base64_encode(struct buf *out, const void *p, size_t n)
{
	const unsigned char *s = p;
	uint32_t v;
	size_t i;

	buf_grow(out, (n + 2) / 3 * 4);
	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		buf_addch(out, b64_alphabet[v >> 18]);
		buf_addch(out, b64_alphabet[(v >> 12) & 63]);
		buf_addch(out, b64_alphabet[(v >> 6) & 63]);
		buf_addch(out, b64_alphabet[v & 63]);
	}
	if (i == n)
		return;
	v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0);
	buf_addch(out, b64_alphabet[v >> 18]);
	buf_addch(out, b64_alphabet[(v >> 12) & 63]);
	buf_addch(out, i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=');
	buf_addch(out, '=');
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The 6-bit value of a base64 digit, -1 for anything else. */
static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int
kms_base64_decode(struct buf *out, const char *in, size_t len)
{
	size_t i, start = out->len, ndigits = 0, npad = 0;
	uint32_t acc = 0;
	int v;

	/* Room for all of it now: a realloc would leave unwiped copies. */
	buf_grow(out, len / 4 * 3 + 3);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];

		if (is_space((char)c))
			continue;
		if (c == '=') {
			npad++;
			continue;
		}
		if ((v = b64_value(c)) < 0 || npad > 0)
			goto bad;
		acc = acc << 6 | (uint32_t)v;
		if (++ndigits % 4 == 0) {
			buf_addch(out, (char)(acc >> 16));
			buf_addch(out, (char)(acc >> 8));
			buf_addch(out, (char)acc);
			acc = 0;
		}
	}
	/* 2 or 3 digits left make 1 or 2 bytes; padding completes a quad. */
	if (ndigits % 4 == 1 || npad > 2 ||
	    (npad > 0 && (ndigits + npad) % 4 != 0))
		goto bad;
	if (ndigits % 4 == 2)
		buf_addch(out, (char)(acc >> 4));
	else if (ndigits % 4 == 3) {
		buf_addch(out, (char)(acc >> 10));
		buf_addch(out, (char)(acc >> 2));
	}
	return 0;
bad:
	if (out->data != NULL)
		explicit_bzero(out->data + start, out->len - start);
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
	return -1;
}

int
kms_request_body(struct buf *out, const char *ciphertext_b64,
    const struct config_map *context, struct buf *err)
{
	struct buf blob = BUF_INIT, canon = BUF_INIT;
	size_t i;
	int rc = -1;

	if (ciphertext_b64 == NULL ||
	    kms_base64_decode(&blob, ciphertext_b64, strlen(ciphertext_b64)) ==
	    -1)
		buf_addstr(err, "token_kms is not base64 text");
	else if (blob.len == 0 || blob.len > KMS_MAX_CIPHERTEXT)
		buf_printf(err, "token_kms decodes to %zu bytes: a KMS "
		    "ciphertext has 1 to %d", blob.len, KMS_MAX_CIPHERTEXT);
	else
		rc = 0;
	if (rc == -1) {
		buf_free(&blob);
		return -1;
	}
	kms_base64_encode(&canon, blob.data, blob.len);
	buf_addstr(out, "{\"CiphertextBlob\":");
	buf_add_json_str(out, canon.data, canon.len);
	for (i = 0; context != NULL && i < context->n; i++) {
		buf_addstr(out, i == 0 ? ",\"EncryptionContext\":{" : ",");
		buf_add_json_str(out, context->kv[i].key,
		    strlen(context->kv[i].key));
		buf_addch(out, ':');
		buf_add_json_str(out, context->kv[i].value,
		    strlen(context->kv[i].value));
	}
	buf_addstr(out, context != NULL && context->n > 0 ? "}}" : "}");
	buf_free(&blob);
	buf_free(&canon);
	return 0;
}

int
kms_response_parse(struct buf *plaintext, const char *body, size_t len,
    struct buf *err)
{
	json_t *root, *v;
	json_error_t jerr;
	int rc = -1;

	if ((root = json_loadb(body, len, 0, &jerr)) == NULL) {
		buf_printf(err, "KMS Decrypt response is not JSON (line %d, "
		    "column %d)", jerr.line, jerr.column);
		return -1;
	}
	v = json_object_get(root, "Plaintext");
	if (!json_is_object(root))
		buf_addstr(err, "KMS Decrypt response is not a JSON object");
	else if (!json_is_string(v))
		buf_addstr(err, "KMS Decrypt response: Plaintext is missing "
		    "or not a string");
	else if (kms_base64_decode(plaintext, json_string_value(v),
	    json_string_length(v)) == -1)
		buf_addstr(err, "KMS Decrypt response: Plaintext is not "
		    "base64");
	else
		rc = 0;
	/* The parsed copy of the secret: jansson would free it unwiped. */
	if (json_is_string(v))
		explicit_bzero((char *)(uintptr_t)json_string_value(v),
		    json_string_length(v));
	json_decref(root);
	return rc;
}

int
kms_token_check(struct buf *token, struct buf *err)
{
	size_t i;

	buf_trim(token);
	if (token->len == 0) {
		buf_addstr(err, "token_kms decrypts to an empty token");
		return -1;
	}
	for (i = 0; i < token->len; i++) {
		if (token->data[i] < 0x21 || token->data[i] > 0x7e) {
			buf_printf(err, "token_kms decrypts to %zu bytes that "
			    "are not a token (byte %zu is not visible ASCII): "
			    "encrypt the Logz.io token itself", token->len,
			    i + 1);
			return -1;
		}
	}
	return 0;
}

int
kms_decrypt_token(struct aws_client *c, struct aws_endpoint *ep,
    const char *ciphertext_b64, const struct config_map *context,
    struct buf *token, struct buf *err)
{
	struct buf body = BUF_INIT, resp = BUF_INIT, plain = BUF_INIT;
	struct aws_error aerr;
	int rc = -1;

	if (kms_request_body(&body, ciphertext_b64, context, err) == -1)
		goto out;
	memset(&aerr, 0, sizeof(aerr));
	if (aws_json_call(c, ep, KMS_TARGET, body.data, &resp, &aerr) == -1) {
		buf_printf(err, "KMS Decrypt at %s failed: %s (HTTP %ld) %s",
		    ep->url, *aerr.name ? aerr.name : "error", aerr.status,
		    aerr.message);
		if (aerr.cls == AWSERR_FATAL)
			buf_printf(err, "; %s", awserr_advice(&aerr));
		goto out;
	}
	if (kms_response_parse(&plain, resp.data ? resp.data : "", resp.len,
	    err) == -1 || kms_token_check(&plain, err) == -1)
		goto out;
	buf_add(token, plain.data, plain.len);
	rc = 0;
out:
	buf_free(&body);
	buf_wipe_free(&resp);
	buf_wipe_free(&plain);
	return rc;
}
