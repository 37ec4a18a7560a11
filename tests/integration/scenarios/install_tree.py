"""make install / make uninstall into a DESTDIR: exactly the binary under test,
both man pages, the systemd unit with ExecStart and the configuration path
rewritten for PREFIX and SYSCONFDIR, and etc/vpcflowd/example.conf mode 0600
that a second install never overwrites; uninstall removes what install put
there and keeps a configuration the operator changed.

make runs in the repository root with BIN set to the binary under test and
marked old (-o), so it installs that binary and never rebuilds one."""
import filecmp
import os
import shutil
import stat
import subprocess
import tempfile

from vtest import VPCFLOWD, check, done

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
BIN = os.path.abspath(VPCFLOWD)


def make(target, destdir, *variables):
    args = ["make", "--no-print-directory", "-o", BIN, target, "BIN=" + BIN,
            "DESTDIR=" + destdir] + list(variables)
    proc = subprocess.run(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          timeout=120)
    said = proc.stdout.decode("utf-8", "replace")
    check(proc.returncode == 0, "make %s %s exits 0%s" % (
        target, " ".join(variables), "" if proc.returncode == 0 else ": " + said[-800:]))
    return said


def tree(top):
    """Relative path -> permission bits of every file (not directory) below top."""
    out = {}
    for d, _, files in os.walk(top):
        for name in files:
            path = os.path.join(d, name)
            out[os.path.relpath(path, top)] = stat.S_IMODE(os.lstat(path).st_mode)
    return out


def unit_lines(path, key):
    with open(path, encoding="utf-8") as f:
        return [l.strip() for l in f if l.lstrip("#").startswith(key + "=")]


if not check(shutil.which("make") is not None, "make is installed"):
    done()
dest = tempfile.mkdtemp(prefix="vpcflowd-it-destdir-")
make("install", dest, "PREFIX=/usr/local")
want = {"usr/local/bin/vpcflowd": 0o755,
        "usr/local/share/man/man8/vpcflowd.8": 0o644,
        "usr/local/share/man/man5/vpcflowd.conf.5": 0o644,
        "lib/systemd/system/vpcflowd@.service": 0o644,
        "etc/vpcflowd/example.conf": 0o600}
got = tree(dest)
check(got == want, "the tree is exactly %s (got %s)"
      % (sorted("%s %o" % kv for kv in want.items()), sorted("%s %o" % kv for kv in got.items())))
for rel, src in (("usr/local/bin/vpcflowd", BIN),
                 ("usr/local/share/man/man8/vpcflowd.8", os.path.join(ROOT, "man", "vpcflowd.8")),
                 ("usr/local/share/man/man5/vpcflowd.conf.5", os.path.join(ROOT, "man", "vpcflowd.conf.5")),
                 ("etc/vpcflowd/example.conf", os.path.join(ROOT, "etc", "example.conf"))):
    path = os.path.join(dest, rel)
    check(os.path.exists(path) and filecmp.cmp(path, src, shallow=False), "%s is %s" % (rel, src))
unit = os.path.join(dest, "lib/systemd/system/vpcflowd@.service")
check(unit_lines(unit, "ExecStart") == ["ExecStart=/usr/local/bin/vpcflowd -c /etc/vpcflowd/%i.conf"],
      "the unit starts /usr/local/bin/vpcflowd -c /etc/vpcflowd/%i.conf")
proc = subprocess.run([os.path.join(dest, "usr/local/bin/vpcflowd"), "-V"], stdout=subprocess.PIPE)
check(proc.returncode == 0 and proc.stdout.startswith(b"vpcflowd "), "the installed binary runs")

# A second install keeps the operator's example.conf and other files.
example = os.path.join(dest, "etc/vpcflowd/example.conf")
with open(example, "a", encoding="utf-8") as f:
    f.write("# changed by the operator\n")
os.chmod(example, 0o640)
prod = os.path.join(dest, "etc/vpcflowd/prod.conf")
with open(prod, "w", encoding="utf-8") as f:
    f.write('log_group = "/vpc/flowlogs/prod";\n')
make("install", dest, "PREFIX=/usr/local")
with open(example, encoding="utf-8") as f:
    check(f.read().endswith("# changed by the operator\n"), "install does not overwrite example.conf")
check(stat.S_IMODE(os.stat(example).st_mode) == 0o640, "nor change its mode")

# uninstall: what install put there goes; the operator's configuration stays.
said = make("uninstall", dest, "PREFIX=/usr/local")
check("keeping %s/etc/vpcflowd/example.conf: it was changed" % dest in said,
      "uninstall says it keeps the changed example.conf")
left = tree(dest)
check(left == {"etc/vpcflowd/example.conf": 0o640, "etc/vpcflowd/prod.conf": 0o644},
      "uninstall leaves only the changed example.conf and prod.conf (%s)" % sorted(left))
shutil.rmtree(dest)

# Other places: the unit follows BINDIR and SYSCONFDIR; a clean uninstall
# leaves no file and no etc/vpcflowd directory.
dest = tempfile.mkdtemp(prefix="vpcflowd-it-destdir-")
places = ["PREFIX=/opt/vpcflowd", "SYSCONFDIR=/opt/vpcflowd/etc",
          "SYSTEMDUNITDIR=/usr/local/lib/systemd/system"]
make("install", dest, *places)
unit = os.path.join(dest, "usr/local/lib/systemd/system/vpcflowd@.service")
check(os.path.exists(os.path.join(dest, "opt/vpcflowd/bin/vpcflowd")), "BINDIR follows PREFIX")
check(os.path.exists(unit) and unit_lines(unit, "ExecStart") ==
      ["ExecStart=/opt/vpcflowd/bin/vpcflowd -c /opt/vpcflowd/etc/vpcflowd/%i.conf"],
      "the unit names the installed binary and SYSCONFDIR")
check(os.path.exists(unit) and unit_lines(unit, "LoadCredential") ==
      ["#LoadCredential=logzio-token:/opt/vpcflowd/etc/vpcflowd/%i.token"],
      "the commented LoadCredential= names SYSCONFDIR too")
check(os.path.exists(os.path.join(dest, "opt/vpcflowd/etc/vpcflowd/example.conf")),
      "example.conf goes to SYSCONFDIR/vpcflowd")
make("uninstall", dest, *places)
check(tree(dest) == {}, "uninstall removes every file install put there (%s)" % sorted(tree(dest)))
check(not os.path.exists(os.path.join(dest, "opt/vpcflowd/etc/vpcflowd")),
      "and the emptied SYSCONFDIR/vpcflowd")
shutil.rmtree(dest)
done()
