"""--decode streams: memory stays flat whatever the input size."""
import os
import subprocess

from vtest import VPCFLOWD, check, done

REC = ("2 123456789010 eni-1235b8ca123456789 172.31.%d.%d 10.0.0.%d %d 443 6 20 4249 "
       "1418530010 1418530070 ACCEPT OK\n")


def peak_rss_kb(n):
    """Pipe n records through a fresh --decode; return (docs out, child peak RSS in KiB)."""
    r, w = os.pipe()
    proc = subprocess.Popen([VPCFLOWD, "--decode"], stdin=r, stdout=subprocess.PIPE)
    os.close(r)
    pid = os.fork()
    if pid == 0:
        os.close(proc.stdout.fileno())
        with os.fdopen(w, "w") as f:
            block = "".join(REC % (i % 256, (i * 7) % 256, i % 200, 1024 + i % 60000)
                            for i in range(1000))
            for _ in range(n // 1000):
                f.write(block)
        os._exit(0)
    os.close(w)
    lines = 0
    for chunk in iter(lambda: proc.stdout.read(1 << 20), b""):
        lines += chunk.count(b"\n")
    _, status, usage = os.wait4(proc.pid, 0)
    os.waitpid(pid, 0)
    return lines, usage.ru_maxrss, status


small_lines, small_rss, st1 = peak_rss_kb(10000)
big_lines, big_rss, st2 = peak_rss_kb(500000)
check(st1 == 0 and st2 == 0, "both runs exit 0")
check(small_lines == 10000 and big_lines == 500000, "every record decoded (%d, %d)" % (small_lines, big_lines))
check(big_rss < small_rss + 4096, "peak RSS flat: %d KiB for 10k records, %d KiB for 500k" % (small_rss, big_rss))
done()
