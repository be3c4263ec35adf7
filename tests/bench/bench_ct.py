#!/usr/bin/python3
"""CT benchmark (make bench): how fast nodd reads a local CT log of BENCH_CT_ENTRIES
(1,000,000) generated entries, half precertificates, with nodd pinned to CPU 0 and the log
server (tests/ct/ctlog.py) to CPU 1: entries/s, names/s, nodd CPU, the log server's CPU
(a Python server can be the bottleneck: it is said when it is), and nodd's RSS at 10 %,
50 % and 100 % of the log (it must not grow with the log). Once over RFC 6962 get-entries,
once over static-ct-api data tiles. Then BENCH_CT_LOGS (30) logs growing by
BENCH_CT_RATE (2,000) entries/s in total for BENCH_CT_MINUTES (5) minutes: the max and
p99 lag, in entries and seconds, from /api/v1/status and against the log server's size.

The generated log is cached in BENCH_CT_CACHE (/var/tmp/nodd-bench-ct) and reused.
BENCH_CT_PERF=1 records `perf record -g` of nodd during each 1M run and prints the top
of its report. BENCH_CT_PROTOCOLS ("rfc6962 static") and BENCH_CT_PARTS ("log many")
select what runs; BENCH_CT_COMMIT_ENTRIES sets ct.commit-entries. Loopback only; everything started is stopped by PID."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import nodd_harness as h  # noqa: E402

CTLOG = os.path.join(HERE, "..", "ct", "ctlog.py")
PY = "/usr/bin/python3"
ENTRIES = int(os.environ.get("BENCH_CT_ENTRIES", "1000000"))
# entries read before the run stops (the generated log keeps ENTRIES: a cache is reused)
READ = min(ENTRIES, int(os.environ.get("BENCH_CT_READ", str(ENTRIES))))
CACHE = os.environ.get("BENCH_CT_CACHE", "/var/tmp/nodd-bench-ct")
MINUTES = float(os.environ.get("BENCH_CT_MINUTES", "5"))
NLOGS = int(os.environ.get("BENCH_CT_LOGS", "30"))
RATE = float(os.environ.get("BENCH_CT_RATE", "2000"))
PERF = os.environ.get("BENCH_CT_PERF", "0") == "1"
PROTOCOLS = os.environ.get("BENCH_CT_PROTOCOLS", "rfc6962 static").split()
PARTS = os.environ.get("BENCH_CT_PARTS", "log many").split()
COMMIT = os.environ.get("BENCH_CT_COMMIT_ENTRIES")
UA = "nodd-bench (ops@nodd.test)"
NODD_CPU, LOG_CPU = (0, 1) if os.cpu_count() >= 2 else (0, 0)
TICK = os.sysconf("SC_CLK_TCK")


def say(msg):
    sys.stderr.write("[bench ct] %s\n" % msg)
    sys.stderr.flush()


def cpu_s(pid):
    """User + system CPU seconds of process pid (all its threads)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK
    except OSError:
        return 0.0


def rss_mb(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def http_json(url, body=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=timeout) as r:
        return json.loads(r.read())


class LogServer:
    """tests/ct/ctlog.py serving `names` of state_dir, pinned to LOG_CPU."""

    def __init__(self, state_dir, names, rate=0.0):
        argv = ["taskset", "-c", str(LOG_CPU), PY, CTLOG, "--state", state_dir, "--logs",
                ",".join(names), "--port", "0", "--cap", "1000"]
        if rate:
            argv += ["--rate", "%.3f" % rate]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("ctlog.py did not start")
        info = json.loads(line)
        self.pid = self.proc.pid  # taskset execs the server: same pid
        self.urls = info["logs"]
        self.keys = {n: http_json(u + "control/state")["key"] for n, u in self.urls.items()}

    def size(self, name):
        return http_json(self.urls[name] + "control/state")["size"]

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def ct_yaml(server, tiled, parallel, rate, poll):
    out = ["ct:", "  user-agent: \"%s\"" % UA, "  start: earliest", "  learning-period: 0",
           "  poll-interval: %d" % poll, "  rate: %d" % rate, "  parallel: %d" % parallel,
           "  batch-size: 1000", "  partial-tile-wait: 1"]
    if COMMIT:
        out.append("  commit-entries: %s" % COMMIT)
    out.append("  logs:")
    for name, url in sorted(server.urls.items()):
        if tiled:
            out += ["    - monitoring-url: %s" % url, "      submission-url: %s" % url]
        else:
            out.append("    - url: %s" % url)
        out += ["      key: %s" % server.keys[name], "      description: %s" % name]
    return "\n".join(out) + "\n"


def start_nodd(workdir, extra):
    """nodd on NODD_CPU (the affinity is inherited from this process at fork)."""
    n = h.Nodd(workdir, server={"log-level": "warning"}, extra=extra)
    mine = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {NODD_CPU})
    try:
        n.start(wait=False)
    finally:
        os.sched_setaffinity(0, mine)
    t0 = time.monotonic()
    n.wait_ready(600)
    say("nodd ready after %.1f s" % (time.monotonic() - t0))
    return n


def ct_status(n):
    """Per-log status; {} when nodd does not answer within 60 s (a long commit)."""
    try:
        st, body = n.api("GET", "/api/v1/status", timeout=60)
    except OSError:
        return {}
    return {x["log"]: x for x in body.get("ct", [])} if st == 200 else {}


def cached_log():
    state = os.path.join(CACHE, str(ENTRIES))
    os.makedirs(state, exist_ok=True)
    t0 = time.monotonic()
    subprocess.run([PY, CTLOG, "--state", state, "--logs", "bench", "--generate", str(ENTRIES),
                    "--jobs", str(os.cpu_count() or 1)], check=True)
    say("log of %d entries ready in %s (%.0f s)" % (ENTRIES, state, time.monotonic() - t0))
    return state


def perf_report(data):
    out = subprocess.run(["perf", "report", "-i", data, "--no-children", "--stdio",
                          "--percent-limit", "1.5", "-g", "none", "--sort", "symbol"],
                         capture_output=True, text=True).stdout
    return "\n".join(line for line in out.splitlines() if line and not line.startswith("#"))


def read_log(state, protocol, tmp):
    """One full read of the cached log; returns the result row."""
    tiled = protocol == "static"
    server = LogServer(state, ["bench"])
    n = perf = None
    row = {"protocol": protocol}
    try:
        extra = ct_yaml(server, tiled, parallel=8 if tiled else 4, rate=10000, poll=1)
        t0, s0 = time.monotonic(), cpu_s(server.pid)
        n = start_nodd(os.path.join(tmp, "log-" + protocol), extra)
        if PERF:
            perf = subprocess.Popen(["perf", "record", "-g", "-o",
                                     os.path.join(tmp, "perf-%s.data" % protocol), "-p",
                                     str(n.proc.pid)], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL)
        c0 = 0.0  # nodd's CPU since its start
        marks, rss, pos, st = [0.1, 0.5, 1.0], {}, 0, {}
        t_first = None
        deadline = t0 + 3600
        steps = []  # (position, nodd CPU s) at each new committed position
        while pos < READ and time.monotonic() < deadline:
            time.sleep(0.2)
            st = ct_status(n).get("bench", st)
            if st.get("position", 0) != pos:
                steps.append((st["position"], cpu_s(n.proc.pid)))
            pos = st.get("position", 0)
            if os.environ.get("BENCH_CT_DEBUG"):
                say("%.1f s: %s" % (time.monotonic() - t0, st))
            if pos and t_first is None:
                t_first = time.monotonic()
            while marks and pos >= marks[0] * READ:
                rss["%d%%" % (marks.pop(0) * 100)] = rss_mb(n.proc.pid)
            if st.get("state") == "failing":
                raise RuntimeError("log failing: %s" % st.get("last_error"))
        t1 = time.monotonic()
        if perf:
            perf.send_signal(2)
            perf.wait(60)
        cpu_n, cpu_l = cpu_s(n.proc.pid) - c0, cpu_s(server.pid) - s0
        el = t1 - t0
        row.update(entries=pos, seconds=el, eps=pos / el, nps=st.get("names", 0) / el,
                   candidates=st.get("candidates", 0), rss=rss, hwm=rss_mb(n.proc.pid),
                   nodd_cpu=100 * cpu_n / el, log_cpu=100 * cpu_l / el,
                   eps_cpu=pos / cpu_n if cpu_n else 0, cpu100k=0.0)
        try:
            m = n.metrics()
            row["slice_ms"] = 1000 * h.metric_sum(m, "nodd_ct_commit_slice_seconds_max",
                                                  log="bench")
            row["slice_cpu_ms"] = 1000 * h.metric_sum(
                m, "nodd_ct_commit_slice_cpu_seconds_max", log="bench")
        except OSError:
            row["slice_ms"] = row["slice_cpu_ms"] = 0.0
        if len(steps) >= 2 and steps[-1][0] > steps[0][0]:
            # nodd's CPU per 100k entries between its first and last commit: the rate
            # of reading alone, without the start (a commit is seen within 0.2 s)
            row["cpu100k"] = 1e5 * (steps[-1][1] - steps[0][1]) / (steps[-1][0] - steps[0][0])
        say("%s: %d entries in %.1f s: %.0f entries/s, %.0f names/s, nodd CPU %.0f %%, log "
            "server CPU %.0f %%, RSS %s, nodd CPU s per 100k entries %.2f, longest commit "
            "slice %.1f ms (%.1f ms CPU)" % (
                protocol, pos, el, row["eps"], row["nps"], row["nodd_cpu"], row["log_cpu"], rss,
                row["cpu100k"], row["slice_ms"], row["slice_cpu_ms"]))
        if perf:
            print("\nperf (nodd, %s, self time by symbol):\n%s" % (
                protocol, perf_report(os.path.join(tmp, "perf-%s.data" % protocol))))
    finally:
        if perf and perf.poll() is None:
            perf.kill()
            perf.wait()
        if n:
            n.stop()
        server.stop()
    return row


def percentile(xs, p):
    if not xs:
        return 0
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100))]


def many_logs(tmp):
    """NLOGS empty logs growing by RATE entries/s in total, followed for MINUTES."""
    names = ["l%02d" % i for i in range(NLOGS)]
    per_log = RATE / NLOGS
    server = LogServer(os.path.join(tmp, "many"), names, rate=per_log)
    n = None
    lag_e, lag_s, true_e = [], [], []
    try:
        n = start_nodd(os.path.join(tmp, "many-nodd"), ct_yaml(server, False, 1, 10, 1))
        c0, s0, t0 = cpu_s(n.proc.pid), cpu_s(server.pid), time.monotonic()
        end = t0 + MINUTES * 60
        warm = t0 + min(30, MINUTES * 60 / 5)  # the first reads of empty logs are not lag
        while time.monotonic() < end:
            time.sleep(1)
            st = ct_status(n)
            if time.monotonic() < warm:
                continue
            for name in names:
                s = st.get(name)
                if not s:
                    continue
                lag_e.append(s["lag_entries"])
                lag_s.append(s["lag_seconds"])
            # against the log server itself (includes the time to notice a new head); its
            # size is asked first, so a slow answer of the Python server cannot add lag
            name = names[int(time.monotonic()) % NLOGS]
            size = server.size(name)
            s = ct_status(n).get(name)
            if s:
                true_e.append(max(0, size - s["position"]))
        el = time.monotonic() - t0
        final = ct_status(n)
        if os.environ.get("BENCH_CT_DEBUG"):
            for name in names:
                s = final.get(name, {})
                say("%s: server %d, nodd tree %s position %s state %s" % (
                    name, server.size(name), s.get("tree_size"), s.get("position"),
                    s.get("state")))
        row = {"logs": NLOGS, "rate": RATE, "minutes": el / 60,
               "entries": sum(s["position"] for s in final.values()),
               "max_e": max(lag_e or [0]), "p99_e": percentile(lag_e, 99),
               "max_s": max(lag_s or [0]), "p99_s": percentile(lag_s, 99),
               "true_max_e": max(true_e or [0]), "true_p99_e": percentile(true_e, 99),
               "true_max_s": max(true_e or [0]) / per_log,
               "failing": sum(1 for s in final.values() if s["state"] == "failing"),
               "nodd_cpu": 100 * (cpu_s(n.proc.pid) - c0) / el,
               "log_cpu": 100 * (cpu_s(server.pid) - s0) / el, "rss": rss_mb(n.proc.pid)}
        say("many: %s" % row)
        return row
    finally:
        if n:
            n.stop()
        server.stop()


def main():
    tmp = tempfile.mkdtemp(prefix="nodd-bench-ct.")
    rows, many = [], None
    try:
        if "log" in PARTS:
            state = cached_log()
            for protocol in PROTOCOLS:
                say("%s: reading %d of %d entries, nodd on CPU %d, log server on CPU %d"
                    % (protocol, READ, ENTRIES, NODD_CPU, LOG_CPU))
                rows.append(read_log(state, protocol, tmp))
        if "many" in PARTS:
            say("%d logs at %.0f entries/s in total for %.1f min" % (NLOGS, RATE, MINUTES))
            many = many_logs(tmp)
    finally:
        h.INSTANCES.clear()
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
    print("\nCT: %d entries of one log of %d (half precerts), nodd on CPU %d, log server "
          "(Python) on CPU %d" % (READ, ENTRIES, NODD_CPU, LOG_CPU))
    print("%-8s %9s %9s %9s %8s %8s %8s %8s %9s %9s %11s %9s %9s" % (
        "protocol", "entries/s", "names/s", "seconds", "RSS@10%", "RSS@50%", "RSS@100%",
        "nodd CPU", "log CPU", "cand.", "entries/CPUs", "CPUs/100k", "slice ms"))
    for r in rows:
        rss = r["rss"]
        print("%-8s %9.0f %9.0f %9.1f %8.0f %8.0f %8.0f %7.0f%% %8.0f%% %9d %11.0f %9.2f %9.1f" % (
            r["protocol"], r["eps"], r["nps"], r["seconds"], rss.get("10%", 0),
            rss.get("50%", 0), rss.get("100%", 0), r["nodd_cpu"], r["log_cpu"],
            r["candidates"], r["eps_cpu"], r["cpu100k"], r["slice_ms"]))
        if r["log_cpu"] > 85:
            print("  (%s: the log server used %.0f %% of its CPU: it, not nodd, bounds the "
                  "rate; nodd's own limit is about entries/CPUs)" % (r["protocol"], r["log_cpu"]))
    if many:
        print("\nCT: %d logs growing by %.0f entries/s in total for %.1f min (poll-interval 1 s)"
              % (many["logs"], many["rate"], many["minutes"]))
        print("lag from /api/v1/status: max %d entries / %d s, p99 %d entries / %d s; against "
              "the log server: max %d entries (%.1f s), p99 %d entries; %d failing; "
              "nodd CPU %.0f %%, log CPU %.0f %%, RSS %.0f MB" % (
                  many["max_e"], many["max_s"], many["p99_e"], many["p99_s"],
                  many["true_max_e"], many["true_max_s"], many["true_p99_e"], many["failing"],
                  many["nodd_cpu"], many["log_cpu"], many["rss"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
