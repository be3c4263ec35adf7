#!/usr/bin/python3
"""Benchmark: nodd as a secondary taking the AXFR of a generated zone of N
delegations (default 1,500,000, about .se) from a local NSD primary (seconds to serial held
and committed, peak RSS), then a re-AXFR of the same zone with 1,000 changes (NSD 4.6 has
no IXFR, so nodd diffs the new copy against the stored one). BIND as a secondary takes the
same transfers in the same run; the ratios nodd/BIND are printed. During the re-AXFR a
prober polls nodd over TCP and GET /api/v1/status and prints the longest wait for a
reply (how long the main thread was held); so does another during the first AXFR.

Usage: NODD_BUILD=build [BENCH_WRAP='perf record -g -o F --'] [BENCH_STATUS_PROBE=0]
       [BENCH_RESULTS=FILE (the figures as JSON)] tests/bench/bench_secondary.py [N]"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("NODD_BUILD", "build"))
ZONE = "benchtld"
CHANGES = 1000


def free_port():
    for _ in range(100):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        p = u.getsockname()[1]
        t = socket.socket()
        try:
            t.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError("no free port")


def write_zone(path, n, serial, extra=0):
    with open(path, "w") as f:
        f.write("$ORIGIN %s.\n$TTL 3600\n@ SOA ns1 hostmaster %d 3600 600 1209600 300\n"
                "@ NS ns1\nns1 A 127.0.0.1\n" % (ZONE, serial))
        # every 3rd delegation has a DS, every 10th glue, as in a real ccTLD
        for i in range(n):
            f.write("d%07d NS ns1.d%07d\nd%07d NS ns2.example.net.\n" % (i, i, i))
            if i % 3 == 0:
                f.write("d%07d DS 12345 13 2 %064X\n" % (i, i))
            if i % 10 == 0:
                f.write("ns1.d%07d A 192.0.2.%d\n" % (i, i % 250 + 1))
        for i in range(extra):
            f.write("new%05d NS ns2.example.net.\n" % i)


def wait(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def tcp_up(port):
    try:
        socket.create_connection(("127.0.0.1", port), 0.2).close()
        return True
    except OSError:
        return False


def dns_query_tcp(port, qid, qname=b"\x03nod\x07example\x00"):
    """One SOA query (for the published suffix) over TCP; True when an answer with our ID came."""
    q = qid.to_bytes(2, "big") + b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    q += qname + b"\x00\x06\x00\x01"
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.sendall(len(q).to_bytes(2, "big") + q)
        hdr = b""
        while len(hdr) < 4:
            b = s.recv(4 - len(hdr))
            if not b:
                return False
            hdr += b
        return hdr[2:4] == q[:2]


class Prober:
    """Polls nodd's TCP listener and /api/v1/status on two threads while running and keeps
    the longest wait for each reply: how long the main thread was held. Paced (the status
    reply itself costs the main thread time), so the probes do not slow what they measure."""
    PACE = {"tcp": 0.01, "http": 1.0}

    def __init__(self, dport, hport):
        self.dport, self.hport = dport, hport
        self.wait = {"tcp": 0.0, "http": 0.0}
        self.n = {"tcp": 0, "http": 0}
        self.stop = threading.Event()
        # BENCH_STATUS_PROBE=0: TCP only (a status reply holds the main thread itself)
        kinds = ("tcp", "http") if os.environ.get("BENCH_STATUS_PROBE", "1") != "0" else ("tcp",)
        self.threads = [threading.Thread(target=self.run, args=(k,), daemon=True)
                        for k in kinds]

    def once(self, kind, i):
        if kind == "tcp":
            return dns_query_tcp(self.dport, i & 0xFFFF)
        with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/status" % self.hport,
                                    timeout=600) as r:
            r.read()
            return r.status == 200

    def run(self, kind):
        i = 0
        while not self.stop.is_set():
            i += 1
            t0 = time.monotonic()
            try:
                ok = self.once(kind, i)
            except Exception:
                ok = False
            if ok:
                self.wait[kind] = max(self.wait[kind], time.monotonic() - t0)
                self.n[kind] += 1
            time.sleep(self.PACE[kind])

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *a):
        self.stop.set()
        for t in self.threads:
            t.join(610)


def cpu_s(pid):
    """CPU seconds (user + system) the process used so far, its ended threads included."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def hwm_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1500000
    d = tempfile.mkdtemp(prefix="bench-secondary-")
    procs = []
    wrap = os.environ.get("BENCH_WRAP", "").split()
    try:
        t0 = time.monotonic()
        zf = os.path.join(d, "zone")
        write_zone(zf, n, 1)
        print("zone of %d delegations written in %.1f s" % (n, time.monotonic() - t0), flush=True)
        # NSD primary; it notifies nodd and BIND of the second version
        nport = free_port()
        dport, hport, bport = free_port(), free_port(), free_port()
        with open(os.path.join(d, "nsd.conf"), "w") as f:
            f.write('server:\n  ip-address: 127.0.0.1@%d\n  port: %d\n  zonesdir: "%s"\n'
                    '  database: ""\n  pidfile: "%s/nsd.pid"\n  xfrdfile: "%s/xfrd.state"\n'
                    '  zonelistfile: "%s/zone.list"\n  username: ""\n  chroot: ""\n'
                    '  logfile: "%s/nsd.log"\n  verbosity: 1\n  server-count: 1\n'
                    'remote-control:\n  control-enable: no\n'
                    'zone:\n  name: %s.\n  zonefile: zone\n  provide-xfr: 127.0.0.0/8 NOKEY\n'
                    '  notify: 127.0.0.1@%d NOKEY\n  notify: 127.0.0.1@%d NOKEY\n'
                    % (nport, nport, d, d, d, d, d, ZONE, dport, bport))
        nsd = subprocess.Popen(["nsd", "-d", "-c", os.path.join(d, "nsd.conf")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(nsd)
        wait(lambda: tcp_up(nport), 600, "NSD to load the zone")
        # NSD opens its port before its server answers (seconds for a large zone): the
        # first secondary must not wait for that and the second not
        zone_wire = bytes([len(ZONE)]) + ZONE.encode() + b"\x00"

        def nsd_answers():
            try:
                return dns_query_tcp(nport, 1, zone_wire)
            except OSError:
                return False
        wait(nsd_answers, 600, "NSD to answer")
        time.sleep(1)
        print("NSD primary ready on %d" % nport, flush=True)

        # nodd
        cfg = os.path.join(d, "nodd.yaml")
        with open(cfg, "w") as f:
            f.write("server:\n  listen: [127.0.0.1@%d]\n  http: 127.0.0.1@%d\n  database: %s/nodd.db\n"
                    "publish:\n  suffix: nod.example.\n  ttl: 60\n"
                    "upstreams:\n  - zone: %s.\n    primaries: [127.0.0.1@%d]\n"
                    "    refresh-min: 1s\n    refresh-max: 2s\n    retry-min: 1s\n    retry-max: 2s\n"
                    % (dport, hport, d, ZONE, nport))

        def status():
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/api/v1/status" % hport, timeout=2) as r:
                    return json.load(r)["upstreams"][0]
            except Exception:
                return None

        nodd_bin = os.path.join(BUILD, "daemon", "nodd")
        if not os.path.exists(nodd_bin):
            nodd_bin = os.path.join(BUILD, "nodd")
        log = open(os.path.join(d, "nodd.log"), "w")
        t0 = time.monotonic()
        # BENCH_WRAP, e.g. "perf record -g -o /tmp/perf.data --", runs nodd under a profiler
        nodd = subprocess.Popen(wrap + [nodd_bin, "-c", cfg], stdout=log, stderr=log)
        procs.append(nodd)
        with Prober(dport, hport) as first:
            wait(lambda: (status() or {}).get("serial") == 1, 3600, "nodd to take the AXFR")
            nodd_axfr = time.monotonic() - t0
        nodd_rss = hwm_mb(nodd.pid)
        nodd_cpu = cpu_s(nodd.pid)
        res = {"n": n, "nodd_axfr_s": nodd_axfr, "nodd_hwm_mb": nodd_rss,
               "nodd_first_gap_tcp_s": first.wait["tcp"],
               "nodd_first_gap_http_s": first.wait["http"]}
        if not wrap:
            res["nodd_axfr_cpu_s"] = nodd_cpu
        print("nodd: AXFR of %d delegations taken and committed in %.1f s (%.1f s CPU), "
              "peak RSS %.0f MB" % (n, nodd_axfr, nodd_cpu, nodd_rss), flush=True)
        print("nodd during the first AXFR: longest wait for a TCP answer %.3f s (%d answers), "
              "for an HTTP status reply %.3f s (%d replies)"
              % (first.wait["tcp"], first.n["tcp"], first.wait["http"], first.n["http"]),
              flush=True)

        # BIND as a secondary of the same primary, same transfer
        bd = os.path.join(d, "bind")
        os.makedirs(bd)
        with open(os.path.join(bd, "named.conf"), "w") as f:
            f.write('options { directory "%s"; listen-on port %d { 127.0.0.1; }; listen-on-v6 { none; };'
                    ' pid-file "%s/named.pid"; recursion no; notify no; };\n'
                    'zone "%s" { type secondary; primaries { 127.0.0.1 port %d; }; file "sec.db";'
                    ' masterfile-format raw; allow-notify { 127.0.0.1; }; };\n'
                    % (bd, bport, bd, ZONE, nport))
        t0 = time.monotonic()
        named = subprocess.Popen(["/usr/sbin/named", "-g", "-u", "root", "-c",
                                  os.path.join(bd, "named.conf")],
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        procs.append(named)

        # named's log, read by a thread: when each serial was transferred
        bind_at = {}

        def reader():
            for line in named.stdout:
                if "zone %s/IN: transferred serial " % ZONE in line:
                    try:
                        bind_at[int(line.split("transferred serial ")[1].split()[0].rstrip(":"))] = \
                            time.monotonic()
                    except (IndexError, ValueError):
                        pass
        threading.Thread(target=reader, daemon=True).start()

        def named_done(serial):
            return wait(lambda: bind_at.get(serial), 3600, "BIND to take serial %d" % serial)
        bind_axfr = named_done(1) - t0
        bind_rss = hwm_mb(named.pid)
        bind_cpu = cpu_s(named.pid)
        res.update(bind_axfr_s=bind_axfr, bind_hwm_mb=bind_rss, bind_axfr_cpu_s=bind_cpu)
        print("BIND: AXFR taken in %.1f s (%.1f s CPU), peak RSS %.0f MB"
              % (bind_axfr, bind_cpu, bind_rss), flush=True)

        # a re-AXFR with 1,000 changes: new delegations on the primary, serial 2; NSD
        # reloads and notifies both secondaries, which take the new version at once
        write_zone(zf, n, 2, extra=CHANGES)
        nsd.send_signal(signal.SIGHUP)
        t0 = time.monotonic()
        with Prober(dport, hport) as prober:
            st = wait(lambda: (lambda s: s if s and s.get("serial") == 2 else None)(status()),
                      3600, "nodd to take the second AXFR")
            nodd_re = time.monotonic() - t0
            nodd_re_cpu = cpu_s(nodd.pid) - nodd_cpu
        bind_re = named_done(2) - t0
        print("nodd: re-AXFR with %d changes diffed and committed in %.1f s (%.1f s CPU, the "
              "probes' answers included) from the primary's reload (%d observations), peak RSS "
              "%.0f MB" % (CHANGES, nodd_re, nodd_re_cpu, st["observations"], hwm_mb(nodd.pid)),
              flush=True)
        print("BIND: re-AXFR taken in %.1f s from the primary's reload" % bind_re, flush=True)
        print("nodd during the re-AXFR: longest wait for a TCP answer %.3f s (%d answers), "
              "for an HTTP status reply %.3f s (%d replies)"
              % (prober.wait["tcp"], prober.n["tcp"], prober.wait["http"], prober.n["http"]),
              flush=True)
        log.flush()
        with open(os.path.join(d, "nodd.log")) as f:
            for line in f:
                if "applied:" in line:
                    print("nodd log: " + line.strip().split("upstream ", 1)[-1])
        print("ratios nodd/BIND: AXFR time %.2f, peak RSS %.2f, re-AXFR time %.2f"
              % (nodd_axfr / bind_axfr, nodd_rss / max(bind_rss, 1), nodd_re / bind_re))
        res.update(nodd_re_gap_tcp_s=prober.wait["tcp"], nodd_re_gap_http_s=prober.wait["http"])
        if not wrap:
            res["nodd_re_cpu_s"] = nodd_re_cpu
        res.update(nodd_re_s=nodd_re, bind_re_s=bind_re, nodd_hwm2_mb=hwm_mb(nodd.pid),
                   bind_hwm2_mb=hwm_mb(named.pid), nodd_db_bytes=sum(
                       os.path.getsize(os.path.join(d, f)) for f in os.listdir(d)
                       if f.startswith("nodd.db")))
        # BENCH_RESULTS=FILE: these figures as JSON (tests/bench/bench_growth.py reads them)
        if os.environ.get("BENCH_RESULTS"):
            with open(os.environ["BENCH_RESULTS"], "w") as f:
                json.dump(res, f)
    finally:
        for p in reversed(procs):
            if wrap and p is procs[1] and p.poll() is None:
                p.send_signal(signal.SIGINT)  # a profiler writes its data on SIGINT
                try:
                    p.wait(120)
                except subprocess.TimeoutExpired:
                    pass
            p.kill()
            p.wait(30)
        shutil.rmtree(d, ignore_errors=True) if not os.environ.get("BENCH_KEEP") else print(d)


if __name__ == "__main__":
    main()
