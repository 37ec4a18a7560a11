/*
 * kms: the Logz.io token from logzio.token_kms, a KMS ciphertext (base64),
 * decrypted with KMS Decrypt (JSON 1.1, X-Amz-Target TrentService.Decrypt)
 * under logzio.token_kms_context, like the Logz.io Lambda shipper's
 * encrypted token.
 *
 * The plaintext is a secret: it is never logged nor put in an error
 * message, and every buffer that held it (the response, its base64) is
 * wiped before it is freed. Pure parts: base64, the request body, the
 * response parser.
 */
#ifndef VPCFLOWD_KMS_H
#define VPCFLOWD_KMS_H

#include <stddef.h>

#include "aws.h"
#include "buf.h"
#include "config.h"

#define KMS_TARGET		"TrentService.Decrypt"
#define KMS_MAX_CIPHERTEXT	6144	/* bytes, KMS's own limit */

/* Append the standard base64 (with padding) of p[0..n) to out. */
void	kms_base64_encode(struct buf *out, const void *p, size_t n);

/*
 * Append the bytes of the standard base64 text in[0..len) to out. White
 * space is ignored; padding is optional, but nothing may follow it.
 * Returns 0, or -1 (out unchanged) when the text is not base64.
 */
int	kms_base64_decode(struct buf *out, const char *in, size_t len);

/*
 * Append the Decrypt request body for the base64 ciphertext (normalized:
 * white space removed) and the encryption context (NULL or empty: none;
 * values that are numbers or booleans are sent as their text) to out.
 * Returns 0, or -1 after appending the reason to err.
 */
int	kms_request_body(struct buf *out, const char *ciphertext_b64,
	    const struct config_map *context, struct buf *err);

/*
 * Append the decoded Plaintext of a Decrypt response body[0..len) to
 * plaintext. Returns 0, or -1 after appending the reason to err (never the
 * plaintext).
 */
int	kms_response_parse(struct buf *plaintext, const char *body, size_t len,
	    struct buf *err);

/*
 * Check a decrypted token and trim the white space around it: it must be
 * non-empty visible ASCII (it goes into the listener's URL). Returns 0, or
 * -1 after appending the reason to err (never the token).
 */
int	kms_token_check(struct buf *token, struct buf *err);

/*
 * Decrypt ciphertext_b64 under context with KMS at ep and append the
 * checked token to token (free it with buf_wipe_free).
 * Returns 0, or -1 after appending to err why: what KMS answered and what
 * to do about it, or what is wrong with the plaintext.
 */
int	kms_decrypt_token(struct aws_client *c, struct aws_endpoint *ep,
	    const char *ciphertext_b64, const struct config_map *context,
	    struct buf *token, struct buf *err);

#endif
