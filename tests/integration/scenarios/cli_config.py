"""Command line and configuration checking: -h, -V, usage errors (2),
-n on good and bad files (0 / 78), token protection and redaction, and the
token check that ends -n (readable: 0; unreadable: 1; none: 0 and a warning)."""
import os
import re
import tempfile

from vtest import check, done, run, write_config

SECRET = "SECRET-TOKEN-abc123xyz"
GOOD = '''
log_group = "/vpc/flowlogs/prod";
region = "eu-west-1";
poll_interval = "45s";
max_delay = "15m";
state_dir = "%s";
logzio : { token = "%s"; type = "vpcflow"; };
fields : { style = "ecs"; add = { env = "prod"; }; };
'''

rc, out, err = run(["-h"])
text = out.decode()
check(rc == 0, "-h exits 0")
for opt in ("-c", "--config", "-n", "--check", "--decode", "--format", "--style",
            "-v", "-q", "-V", "-h"):
    check(re.search(r"(^|[\s,])%s\b" % re.escape(opt), text) is not None, "-h documents %s" % opt)
rc, out, err = run(["-V"])
check(rc == 0 and re.fullmatch(r"vpcflowd \d+\.\d+\.\d+\n", out.decode()) is not None, "-V prints the version")
rc, out, err = run(["--no-such-option"])
check(rc == 2, "unknown option exits 2 (%d)" % rc)
rc, out, err = run(["-n"])
check(rc == 2 and "-c" in err, "-n without -c is a usage error")

state = tempfile.mkdtemp(prefix="vpcflowd-it-state-")
path = write_config(GOOD % (state, SECRET))
# -n also says where AWS credentials and the region come from (never a key).
AWS_ENV = {"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
           "AWS_EC2_METADATA_DISABLED": "true"}
rc, out, err = run(["-c", path, "-n"], env=AWS_ENV)
check(rc == 0, "-n on a good file exits 0 (%d: %s)" % (rc, err.strip()))
check("credentials: environment, region: eu-west-1" in out.decode(), "-n names the credential source and region")
check(AWS_ENV["AWS_SECRET_ACCESS_KEY"] not in out.decode() + err, "-n never prints the AWS secret key")
check("/vpc/flowlogs/prod" in out.decode() and "45" in out.decode(), "-n prints the effective settings")
check("900" in out.decode() or "15m" in out.decode(), "-n shows max_delay")
check(SECRET not in out.decode() and SECRET not in err, "-n never prints the token")
check("redacted" in out.decode(), "-n says the token is redacted")
check("token: inline (readable: ok)" in out.decode(), "-n says the inline token is readable")

# The other token sources: read at the end of -n, never printed.
NO_TOKEN = GOOD.replace('token = "%s"; ', "")
tdir = tempfile.mkdtemp(prefix="vpcflowd-it-token-")
tfile = os.path.join(tdir, "logzio-token")
with open(tfile, "w") as f:
    f.write(SECRET + "\n")
os.chmod(tfile, 0o600)
conf = write_config(NO_TOKEN.replace("logzio : {", 'logzio : { token_file = "%s";' % tfile) % state)
rc, out, err = run(["-c", conf, "-n"], env=AWS_ENV)
check(rc == 0 and "token: token_file (readable: ok)" in out.decode(),
      "-n reads token_file (%d: %s)" % (rc, err.strip()))
check(SECRET not in out.decode() + err, "-n never prints the token_file token")
rc, out, err = run(["-c", conf, "-n"], env=dict(AWS_ENV, CREDENTIALS_DIRECTORY=tdir))
check(rc == 0 and "token: token_file (readable: ok)" in out.decode(),
      "token_file wins over a systemd credential")
with open(tfile, "w") as f:
    f.write("  \n")
rc, out, err = run(["-c", conf, "-n"], env=AWS_ENV)
check(rc == 1 and "token: token_file (readable: FAILED)" in out.decode()
      and "logzio.token_file" in err and "empty" in err,
      "-n: an empty token_file: exit 1 naming it (%d: %s)" % (rc, err.strip()))
with open(tfile, "w") as f:
    f.write(SECRET)
conf = write_config(NO_TOKEN % state)
rc, out, err = run(["-c", conf, "-n"], env=dict(AWS_ENV, CREDENTIALS_DIRECTORY=tdir))
check(rc == 0 and "token: systemd credential (readable: ok)" in out.decode(),
      "-n reads the systemd credential (%d: %s)" % (rc, err.strip()))
check(SECRET not in out.decode() + err, "-n never prints the systemd credential")
rc, out, err = run(["-c", conf, "-n"], env=dict(AWS_ENV, CREDENTIALS_DIRECTORY=""))
check(rc == 0 and "token: none" in out.decode(), "-n without a token: exit 0, token: none (%d)" % rc)
check("warning" in err and "logzio.token_file" in err and "logzio.token_kms" in err,
      "-n without a token warns and says how to configure one: %r" % err.strip())

# Secrets in a file others can read are refused, with the way out.
os.chmod(path, 0o644)
rc, out, err = run(["-c", path, "-n"])
check(rc == 78, "token in a 0644 file: exit 78 (%d)" % rc)
check("chmod 600" in err and path in err, "the refusal names the file and says chmod 600: %r" % err.strip())
check(SECRET not in err and SECRET.encode() not in out, "the refusal does not print the token")

# Errors name file, line and key.
bad = write_config('log_group = "/x";\npoll_interval = 30;\nlogzio : {\n  batch_bytes = 99999999999;\n  colour = "red";\n};\n')
rc, out, err = run(["-c", bad, "-n"])
check(rc == 78, "bad values: exit 78 (%d)" % rc)
check(re.search(re.escape(bad) + r":4: logzio\.batch_bytes", err) is not None, "out of range names file:4:logzio.batch_bytes: %r" % err)
check(re.search(re.escape(bad) + r":5: logzio\.colour", err) is not None, "unknown key names file:5:logzio.colour")

syn = write_config('log_group = "/x"\npoll_interval = ;\n')
rc, out, err = run(["-c", syn, "-n"])
check(rc == 78 and (syn + ":2") in err, "syntax error names file and line: %r" % err.strip())

fmt = write_config('log_group = "/x";\nformat = "${version} ${srcaddr} ${nonsense}";\n')
rc, out, err = run(["-c", fmt, "-n"])
check(rc == 78 and "nonsense" in err and "format" in err, "unknown field in format is a config error naming it")

rc, out, err = run(["-c", "/nonexistent/vpcflowd.conf", "-n"])
check(rc == 78 and "/nonexistent/vpcflowd.conf" in err, "missing file: exit 78 naming it")
done()
