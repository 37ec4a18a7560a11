"""`vpcflowd -h` and vpcflowd(8) document the same options, paired the same
way (-c with --config ...), and both man pages are lint-clean:
`groff -man -ww -z` prints nothing. Whatever options exist are compared;
nothing here lists them."""
import os
import re
import shutil
import subprocess

from vtest import check, done, run

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", ".."))
MAN8 = os.path.join(ROOT, "man", "vpcflowd.8")
MAN5 = os.path.join(ROOT, "man", "vpcflowd.conf.5")
OPTION = r"--[A-Za-z][\w-]*|-[A-Za-z0-9]\b"


def help_options(text):
    """Options of the -h option table: lines that begin with an option, each
    line giving one option in its short and/or long form."""
    entries = []
    for line in text.splitlines():
        m = re.match(r"^\s+((?:--?[A-Za-z][\w-]*)(?:,\s*--?[A-Za-z][\w-]*)*)", line)
        if m:
            entries.append(frozenset(re.findall(OPTION, m.group(1))))
    return entries


def man_options(text):
    """Options of the OPTIONS section: the tag line after each .TP, plus the
    one after each .TQ (another tag of the same item)."""
    entries, section, tag_next, item = [], None, None, set()
    for line in text.splitlines():
        if line.startswith(".SH"):
            section = line[3:].strip().strip('"')
            continue
        if section != "OPTIONS":
            continue
        if line.startswith((".TP", ".TQ")):
            tag_next = line[:3]
            continue
        if tag_next:
            if tag_next == ".TP":
                item = set()
                entries.append(item)
            tag_next = None
            tag = re.sub(r"\\f[IRBP]", " ", line).replace("\\-", "-")
            item.update(re.findall(r"(?<![\w-])(%s)" % OPTION, tag))
    return [frozenset(e) for e in entries if e]


def split(entries):
    opts = set().union(*entries) if entries else set()
    return ({o for o in opts if not o.startswith("--")}, {o for o in opts if o.startswith("--")})


rc, out, err = run(["-h"])
check(rc == 0, "vpcflowd -h exits 0")
from_help = help_options(out.decode("utf-8", "replace"))
with open(MAN8, encoding="utf-8") as f:
    from_man = man_options(f.read())
check(len(from_help) > 0, "-h lists options (%d)" % len(from_help))
check(len(from_man) > 0, "vpcflowd(8) OPTIONS lists options (%d)" % len(from_man))
(h_short, h_long), (m_short, m_long) = split(from_help), split(from_man)
check(h_short == m_short, "the same short options (only in -h: %s; only in the man page: %s)"
      % (sorted(h_short - m_short), sorted(m_short - h_short)))
check(h_long == m_long, "the same long options (only in -h: %s; only in the man page: %s)"
      % (sorted(h_long - m_long), sorted(m_long - h_long)))
check(set(from_help) == set(from_man), "the same short/long pairs (only in -h: %s; only in "
      "the man page: %s)" % (sorted(map(sorted, set(from_help) - set(from_man))),
                             sorted(map(sorted, set(from_man) - set(from_help)))))

# Every option of -h is one getopt knows (glibc names the others).
UNKNOWN = re.compile(r"unrecognized option|invalid option")
rc, o, e = run(["--no-such-option"], timeout=20)
check(rc == 2 and UNKNOWN.search(e) is not None, "an unknown option is named as such")
for opt in sorted(h_short | h_long):
    rc, o, e = run([opt], timeout=20)
    check(UNKNOWN.search(e) is None, "vpcflowd knows %s (%s)"
          % (opt, e.strip().splitlines()[0] if e.strip() else "rc %d" % rc))

GROFF = shutil.which("groff")
if not check(GROFF is not None, "groff is installed (as root: apt-get install -y groff-base)"):
    done()
for page in (MAN8, MAN5):
    proc = subprocess.run([GROFF, "-man", "-ww", "-z", page], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=60)
    said = proc.stdout.decode("utf-8", "replace").strip()
    check(proc.returncode == 0 and said == "", "groff -man -ww -z %s prints nothing (%s)"
          % (os.path.basename(page), said[:500]))
done()
