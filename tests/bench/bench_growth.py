#!/usr/bin/python3
"""Growth benchmark (make bench BENCH_GROWTH=1): how nodd's time and memory grow with the
data, next to the peer's in the same run. It only drives the other benchmarks and reads
their figures; it measures nothing itself and starts no server of its own:

- serving: tests/bench/run_bench.sh with BENCH_NAMES=each of GROWTH_NAMES (1M 4M) and
  BENCH_SERVING_ONLY=1, nodd vs rbldnsd (figures read from its BENCH_RESULTS file);
- ingest: tests/bench/bench_secondary.py with each of GROWTH_DELEGATIONS (0.5M 1.5M 3M),
  nodd vs BIND as secondaries of the same NSD primary (figures from its BENCH_RESULTS).

It prints each run's own output as it goes, then one table per part: every figure per
size for nodd and the peer with the ratio nodd/peer, and how it grew from the smallest
size to the largest (x1.00 per name = linear). Exits 0 whenever the harness worked.

usage: tests/bench/bench_growth.py [BUILD_DIR]
Environment: GROWTH_NAMES ("1000000 4000000"), GROWTH_DELEGATIONS ("500000 1500000
3000000"), GROWTH_PARTS ("serving ingest"); BENCH_DNSPERF defaults to 0 here (the q/s per
server CPU second comes from the max-rate and server-bound runs); the other BENCH_*
settings pass through."""
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
MB = (1048576, "B")   # a total in MB: its cost per added name in bytes
SEC = (1e6, "us")     # a total in seconds: per added name in microseconds


def run_serving(build, n, tmp):
    res = os.path.join(tmp, "serving-%d" % n)
    env = dict(os.environ, BENCH_NAMES=str(n), BENCH_SERVING_ONLY="1", BENCH_RESULTS=res)
    env.setdefault("BENCH_DNSPERF", "0")
    print("\n[growth] serving, %d names: run_bench.sh" % n, flush=True)
    subprocess.run(["bash", os.path.join(HERE, "run_bench.sh"), build], env=env, check=False)
    r = {}
    try:
        with open(res) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                r[k] = v
    except OSError:
        print("[growth] serving at %d names gave no figures" % n, flush=True)
    return r


def run_ingest(build, n, tmp):
    res = os.path.join(tmp, "ingest-%d" % n)
    env = dict(os.environ, NODD_BUILD=build, BENCH_RESULTS=res)
    print("\n[growth] ingest, %d delegations: bench_secondary.py" % n, flush=True)
    subprocess.run([PY, os.path.join(HERE, "bench_secondary.py"), str(n)], env=env, check=False)
    try:
        with open(res) as f:
            return json.load(f)
    except (OSError, ValueError):
        print("[growth] ingest at %d delegations gave no figures" % n, flush=True)
        return {}


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def serving_rows(r, n):
    """(label, nodd, rbldnsd, slope) for one serving run: slope is (factor, unit) for a total
    whose cost per added name the table prints (MB -> bytes, s -> us), else None."""
    def both(f):
        return f("nodd"), f("rbldnsd")

    def get(s, k):
        return num(r.get("%s.%s" % (s, k)))

    def per_name_bytes(s):
        v = get(s, "rss")
        return v * 1024 / n if v else None

    def startcpu_us(s):
        v = get(s, "startcpu")
        return v * 1e6 / n if v is not None else None
    rows = [
        ("RSS serving, MB", *both(lambda s: get(s, "rss") and get(s, "rss") / 1024), MB),
        ("RSS per name, bytes", *both(per_name_bytes), None),
        ("start-up to first answer, s", *both(lambda s: get(s, "startup")), SEC),
        ("start-up CPU, s", *both(lambda s: get(s, "startcpu")), SEC),
        ("start-up CPU per name, us", *both(startcpu_us), None),
        ("q/s per server CPU s, max rate", *both(lambda s: get(s, "qcore")), None),
        ("server CPU % in max-rate run", *both(lambda s: get(s, "cpu")), None),
        ("q/s per server CPU s, bound", *both(lambda s: get(s, "capcore")), None),
    ]
    mb, mn = get("nodd", "membytes"), get("nodd", "memnames")
    rows.append(("index, MB (status memory_bytes)", mb and mb / 1048576, None, MB))
    rows.append(("index per name, bytes (status)", mb / mn if mb and mn else None, None, None))
    db = get("nodd", "dbbytes")
    rows.append(("database on disk, MB", db and db / 1048576, None, MB))
    rows.append(("database per name, bytes", db / n if db else None, None, None))
    imp = get("nodd", "import")
    rows.append(("import (noddctl), names/s", n / imp if imp else None, None, None))
    return rows


def ingest_rows(r, n):
    def g(k):
        return num(r.get(k))

    def per(k):
        v = g(k)
        return v * 1048576 / n if v else None
    db = g("nodd_db_bytes")
    return [
        ("first AXFR, s", g("nodd_axfr_s"), g("bind_axfr_s"), SEC),
        ("first AXFR, CPU s (process)", g("nodd_axfr_cpu_s"), g("bind_axfr_cpu_s"), SEC),
        ("peak RSS after AXFR, MB", g("nodd_hwm_mb"), g("bind_hwm_mb"), MB),
        ("peak RSS per delegation, bytes", per("nodd_hwm_mb"), per("bind_hwm_mb"), None),
        ("re-AXFR, 1,000 changes, s", g("nodd_re_s"), g("bind_re_s"), SEC),
        ("peak RSS after re-AXFR, MB", g("nodd_hwm2_mb"), g("bind_hwm2_mb"), MB),
        ("database on disk, MB", db and db / 1048576, None, MB),
        ("database per delegation, bytes", db / n if db else None, None, None),
    ]


def fmt(v):
    if v is None:
        return "-"
    if v >= 100:
        return "{:,.0f}".format(v)
    if v >= 10:
        return "%.1f" % v
    return "%.2f" % v


def table(title, peer, sizes, rows_by_size):
    """rows_by_size: one list of rows per size, same labels in the same order."""
    print("\n" + title)
    head = "%-32s" % ""
    sub = "%-32s" % ""
    for n in sizes:
        head += " | %-28s" % ("{:,}".format(n))
        sub += " | %9s %9s %8s" % ("nodd", peer, "ratio")
    if len(sizes) > 1:
        head += " | %s -> %s: growth, per added name" % (short(sizes[0]), short(sizes[-1]))
        sub += " | %7s %7s | %9s %9s" % ("nodd", peer, "nodd", peer)
    print(head)
    print(sub)
    for i, row in enumerate(rows_by_size[0]):
        line = "%-32s" % row[0]
        for rows in rows_by_size:
            a, b = rows[i][1], rows[i][2]
            ratio = "%.2f" % (a / b) if a and b else "-"
            line += " | %9s %9s %8s" % (fmt(a), fmt(b), ratio)
        if len(sizes) > 1:
            first, last = rows_by_size[0][i], rows_by_size[-1][i]
            line += " | %7s %7s" % tuple(growth(first[k], last[k]) for k in (1, 2))
            if row[3]:
                line += " | %9s %9s" % tuple(slope(first[k], last[k], sizes, row[3])
                                             for k in (1, 2))
        print(line)
    if len(sizes) > 1:
        print("growth: the figure at %s over the figure at %s (x%.1f the names; a per-name "
              "figure that stays x1.00 grows linearly in total); per added name: the "
              "difference of the totals over the difference of the sizes, in bytes or "
              "microseconds (the cost of each name beyond the fixed part)"
              % (short(sizes[-1]), short(sizes[0]), sizes[-1] / sizes[0]))


def slope(a, b, sizes, unit):
    if a is None or b is None:
        return "-"
    return "%s %s" % (fmt((b - a) * unit[0] / (sizes[-1] - sizes[0])), unit[1])


def short(n):
    return "%gM" % (n / 1e6) if n >= 1e6 else "%gk" % (n / 1e3)


def growth(a, b):
    return "x%.2f" % (b / a) if a and b else "-"


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    names = [int(x) for x in os.environ.get("GROWTH_NAMES", "1000000 4000000").split()]
    dels = [int(x) for x in os.environ.get("GROWTH_DELEGATIONS",
                                           "500000 1500000 3000000").split()]
    parts = os.environ.get("GROWTH_PARTS", "serving ingest").split()
    tmp = tempfile.mkdtemp(prefix="nodd-bench-growth.")
    t0 = time.monotonic()
    serving = [serving_rows(run_serving(build, n, tmp), n) for n in names] \
        if "serving" in parts else []
    ingest = [ingest_rows(run_ingest(build, n, tmp), n) for n in dels] \
        if "ingest" in parts else []
    print("\n[growth] done in %.0f s; %s, %d CPUs, %s" % (time.monotonic() - t0, os.uname().release,
                                                        os.cpu_count(), time.strftime("%Y-%m-%d")))
    if serving:
        table("Growth, serving: nodd vs rbldnsd, the same names (queries 50 % listed), server on "
              "one core", "rbldnsd", names, serving)
    if ingest:
        table("Growth, ingest: nodd vs BIND 9 as secondaries of the same NSD primary (every "
              "3rd delegation with DS, every 10th with glue)", "BIND", dels, ingest)
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
