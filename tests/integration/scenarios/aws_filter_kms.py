"""logzio.token_kms: `vpcflowd -c FILE -n` checks the Logz.io token by
decrypting it with KMS Decrypt (signed for service "kms" at
aws.kms_endpoint, with token_kms_context as the EncryptionContext) and says
"token: token_kms (decrypts with KMS: ok)"; a wrong context or a denied key
fails with exit 1, AWS's error and what to check, after one Decrypt request
and no FilterLogEvents. With --once --output stdout the token is not needed
and KMS is not called. The decrypted token never appears in any output."""
from aws_filter_common import (FakeAWS, check, check_no_secrets, clean_env,
                               config_text, done, filter_requests, run, run_once, tail,
                               write_config)
from fakeaws import kms_encrypt

TOKEN = "kmsSecretLogzioToken0123456789ab"
CONTEXT = {"LambdaFunctionName": "logzio-vpcflow-shipper"}
SECRET_FORMS = [TOKEN, TOKEN[::-1]]


def kms_config(aws, context, blob=None):
    members = "".join('%s = "%s"; ' % kv for kv in context.items())
    return config_text(aws, extra='logzio : { url = "https://127.0.0.1:9"; '
                       'token_kms = "%s"; token_kms_context = { %s}; };\n'
                       % (blob or kms_encrypt(TOKEN, CONTEXT), members))


def check_config(aws, conf):
    """-n: the configuration, the AWS setup, then the token (decrypted)."""
    aws.clear_log()
    rc, out, err = run(["-c", write_config(conf), "-n"], env=clean_env())
    return rc, out.decode("utf-8", "replace"), err


def decrypts(aws):
    return aws.log(op="Decrypt")


def one_decrypt_only(aws, what):
    calls = decrypts(aws)
    check(len(calls) == 1 and not filter_requests(aws),
          "%s: one Decrypt request (%d), no FilterLogEvents" % (what, len(calls)))
    return calls


with FakeAWS() as aws:
    aws.generate_events(50)

    rc, out, err = check_config(aws, kms_config(aws, CONTEXT))
    check(rc == 0, "-n: exit 0 when the token decrypts (%d)%s" % (rc, tail(rc, err)))
    check("token: token_kms (decrypts with KMS: ok)" in out,
          "-n: says the token decrypts with KMS%s" % tail(0 if "token: token_kms" in out else 1,
                                                           out))
    calls = one_decrypt_only(aws, "-n")
    check(calls and calls[0]["status"] == 200, "-n: Decrypt answered 200")
    check(calls and calls[0]["params"].get("EncryptionContext") == CONTEXT,
          "the EncryptionContext is token_kms_context")
    check(calls and calls[0]["params"].get("CiphertextBlob") == kms_encrypt(TOKEN, CONTEXT),
          "the CiphertextBlob is token_kms")
    check("logzio.token_kms: decrypted with KMS at %s" % aws.url in err,
          "the decryption is logged (not the token)")
    check_no_secrets(out.encode(), err, extra=SECRET_FORMS, what="-n, KMS decrypt")

    rc, out, err = check_config(aws, kms_config(aws, {"LambdaFunctionName": "other"}))
    check(rc == 1, "wrong context: exit 1 (%d)" % rc)
    said = "InvalidCiphertextException" in err and "token_kms_context" in err
    check(said, "wrong context: AWS's error and what to check%s" % tail(said, err, True))
    check("token: token_kms (decrypts with KMS: FAILED)" in out,
          "wrong context: the token line says FAILED")
    one_decrypt_only(aws, "wrong context")
    check_no_secrets(out.encode(), err, extra=SECRET_FORMS, what="wrong context")

    aws.inject("access_denied", 5, target="Decrypt")
    rc, out, err = check_config(aws, kms_config(aws, CONTEXT))
    said = rc == 1 and "AccessDeniedException" in err and "kms:Decrypt" in err
    check(said, "denied key: exit 1 with the IAM hint (%d)%s" % (rc, tail(said, err, True)))
    one_decrypt_only(aws, "denied key")
    check_no_secrets(out.encode(), err, extra=SECRET_FORMS, what="denied key")
    aws.faults.clear()

    aws.clear_log()
    rc, out, err = run_once(aws, kms_config(aws, CONTEXT))
    check(rc == 0 and out.count(b"\n") == 50, "--output stdout: read without the token")
    check(not decrypts(aws), "--output stdout: KMS is not called")
    check_no_secrets(out, err, extra=SECRET_FORMS, what="--output stdout")
done()
