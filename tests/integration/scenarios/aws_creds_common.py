"""Helpers shared by the aws_creds_* scenarios: a clean AWS environment, a
configuration pointing every AWS endpoint at fakeaws, and the secret check."""
import os
import tempfile

from vtest import check, write_config

AKID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

HOME = tempfile.mkdtemp(prefix="vpcflowd-it-home-")
STATE = tempfile.mkdtemp(prefix="vpcflowd-it-state-")


def clean_env(imds=False, **extra):
    """Nothing AWS inherited from the caller, HOME empty, IMDS off unless asked."""
    for k in list(os.environ):
        if k.startswith("AWS_") or k.lower() in ("http_proxy", "https_proxy", "no_proxy",
                                                 "all_proxy"):
            del os.environ[k]
    env = {"HOME": HOME}
    if not imds:
        env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.update(extra)
    return env


def static_env(**extra):
    """clean_env() with the fake's static keys in the environment."""
    return clean_env(AWS_ACCESS_KEY_ID=AKID, AWS_SECRET_ACCESS_KEY=SECRET, **extra)


def config(aws, extra_aws="", extra=""):
    """A configuration whose logs and STS endpoints are the fake's."""
    return write_config('''
log_group = "/vpc/flowlogs/test";
region = "us-east-1";
endpoint = "%s";
ca_file = "%s";
state_dir = "%s";
%s
aws : { sts_endpoint = "%s"; %s };
logzio : { token = "logzio-token-not-aws"; };
''' % (aws.url, aws.ca_file, STATE, extra, aws.url, extra_aws))


def no_secret(text, secrets, what):
    leaked = [s for s in secrets if s and s in text]
    check(not leaked, "%s: no secret in the output %s" % (what, leaked or ""))
