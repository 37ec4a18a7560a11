"""systemd/vpcflowd@.service: the settings the daemon relies on, an exposure
of 2.0 or less in `systemd-analyze security --offline=true` while the
sandbox still grants the network and the state directory, a clean
`systemd-analyze verify`, and the state directory the unit creates being the
one vpcflowd uses by default.

systemd-analyze works offline (systemd need not be PID 1); without it this
scenario fails and says how to install it."""
import os
import re
import shutil
import subprocess
import tempfile

from vtest import VPCFLOWD, check, done, run, write_config

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
UNIT = os.path.join(ROOT, "systemd", "vpcflowd@.service")
MAX_EXPOSURE = 2.0

with open(UNIT, encoding="utf-8") as f:
    TEXT = f.read()


def settings(text):
    """The [Service] assignments, in order, as (key, value); comments skipped."""
    out, section = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]" and "=" in line:
            key, value = line.split("=", 1)
            out.append((key.strip(), value.strip()))
    return out


SERVICE = settings(TEXT)
VALUES = {}
for k, v in SERVICE:
    VALUES.setdefault(k, []).append(v)

for key, want in (("Type", "notify"), ("NotifyAccess", "main"), ("WatchdogSec", "60"),
                  ("Restart", "on-failure"), ("RestartSec", "5"),
                  ("RestartPreventExitStatus", "78"),
                  ("ExecStart", "/usr/local/bin/vpcflowd -c /etc/vpcflowd/%i.conf"),
                  ("ExecReload", "/bin/kill -HUP $MAINPID"),
                  ("StateDirectory", "vpcflowd/%i"), ("StateDirectoryMode", "0700")):
    check(VALUES.get(key) == [want], "%s=%s (%s)" % (key, want, VALUES.get(key)))
check("DynamicUser" in VALUES or "User" in VALUES, "runs as an unprivileged user")
check(re.search(r"^#\s*LoadCredential=logzio-token:/etc/vpcflowd/%i\.token$", TEXT, re.M)
      is not None, "the LoadCredential= token option is shown, commented")
families = " ".join(VALUES.get("RestrictAddressFamilies", [])).split()
check(sorted(families) == ["AF_INET", "AF_INET6", "AF_UNIX"],
      "address families: IPv4, IPv6 and AF_UNIX for the notification socket (%s)" % families)
check(VALUES.get("PrivateNetwork", ["no"]) == ["no"], "the network is not taken away")
check(not any(v.strip() == "any" for v in VALUES.get("IPAddressDeny", [])),
      "IP traffic is not denied")
check("ReadOnlyPaths" not in VALUES and "InaccessiblePaths" not in VALUES,
      "nothing hides /etc/vpcflowd or the state directory")

# The state directory systemd creates is vpcflowd's default state_dir.
conf = write_config('log_group = "/vpc/x";\nregion = "eu-west-1";\n',
                    directory=tempfile.mkdtemp(prefix="vpcflowd-it-unit-"))
rc, out, err = run(["-c", conf, "-n"], env={"AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                                             "AWS_SECRET_ACCESS_KEY": "x" * 40,
                                             "AWS_EC2_METADATA_DISABLED": "true"})
check('state_dir = "/var/lib/vpcflowd/test";' in out.decode(),
      "default state_dir of test.conf is /var/lib/vpcflowd/test = StateDirectory=vpcflowd/%i")

ANALYZE = shutil.which("systemd-analyze")
if not check(ANALYZE is not None,
             "systemd-analyze is installed (as root: apt-get install -y systemd)"):
    done()

proc = subprocess.run([ANALYZE, "security", "--offline=true", UNIT],
                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
report = proc.stdout.decode("utf-8", "replace")
m = re.search(r"Overall exposure level for \S+: (\d+\.\d+)", report)
check(m is not None, "systemd-analyze security prints an overall exposure (%s)"
      % proc.stderr.decode("utf-8", "replace").strip()[:300])
if m:
    exposure = float(m.group(1))
    check(exposure <= MAX_EXPOSURE, "overall exposure %.1f <= %.1f" % (exposure, MAX_EXPOSURE))
    if exposure > MAX_EXPOSURE:
        print("".join(l + "\n" for l in report.splitlines() if l.startswith("\u2717")))

# verify: a copy whose ExecStart is the binary under test (the unit names the
# installed path), without the man page check (they are not installed here).
tmp = tempfile.mkdtemp(prefix="vpcflowd-it-unit-")
copy = os.path.join(tmp, "vpcflowd@test.service")
with open(copy, "w", encoding="utf-8") as f:
    f.write(TEXT.replace("/usr/local/bin/vpcflowd", os.path.abspath(VPCFLOWD)))
proc = subprocess.run([ANALYZE, "verify", "--man=no", copy],
                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=60)
said = proc.stdout.decode("utf-8", "replace").strip()
check(proc.returncode == 0 and said == "",
      "systemd-analyze verify: no complaint (rc %d: %s)" % (proc.returncode, said[:600]))
shutil.rmtree(tmp)
shutil.rmtree(os.path.dirname(conf))
done()
