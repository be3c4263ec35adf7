#!/usr/bin/python3
"""Streams benchmark (make bench): an upstream burst of N added delegations in ONE IXFR
from a real BIND primary, and the time until every newly_registered_domain record has been
consumed by kcat (from the librdkafka mock cluster) and by WebSocket clients.

Round 1: one WebSocket client and kcat. Round 2: a second burst of N read by ten WebSocket
clients at once while nsupdate keeps adding delegations (ingestion goes on).
For each reader: records/s from its first record to its N-th (the stream's own rate,
after the transfer was applied), and the time from the resumed nodd to the N-th record
(which includes receiving and applying the transfer). WebSocket clients are
tests/bench/wsread (C, checks seq order) so the client is not the bottleneck.
Kafka is measured twice: the live kcat (the consumer's rate) and, read back afterwards,
the span of the burst's CreateTime stamps (the rate of nodd's producer, whatever the
consumer managed); the topic has enough partitions that the mock broker keeps the whole
burst (mock_partitions).
Loopback only; everything started is stopped by PID."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import nodd_harness as h  # noqa: E402
from bind_util import KEY, SECRET, Named, ZONE, upstream_yaml  # noqa: E402

# BENCH_STREAMS_PERF=FILE: perf record -g of nodd during round 1 into FILE, round 2 into FILE.round2
# (BENCH_STREAMS_ROUNDS=1: round 1 only)
N = int(os.environ.get("BENCH_STREAM_NAMES", "100000"))
NRD = "newly_registered_domain"


def nsupdate(named, names):
    script = "server 127.0.0.1 %d\nzone %s\n" % (named.port, ZONE)
    script += "".join("update add %s.%s. 300 NS ns1.%s.\n" % (d, ZONE, ZONE) for d in names)
    script += "send\n"
    subprocess.run(["nsupdate", "-y", "hmac-sha512:%s:%s" % (KEY, SECRET)], input=script,
                   text=True, check=True, timeout=600)


def burst(n, named, prefix):
    """N delegations added upstream while nodd is stopped (it fetches them in ONE IXFR)."""
    n.proc.send_signal(signal.SIGSTOP)
    t = time.monotonic()
    for c in range(0, N, 500):
        nsupdate(named, ["%s%06d" % (prefix, i) for i in range(c, min(N, c + 500))])
    print("nsupdate of %d delegations took %.1f s" % (N, time.monotonic() - t))


class Kcat:
    """A live kcat consumer of every partition, started before the burst at the end of the
    topic: the time of its first record and of the record that completes `want` distinct
    seqs (records of different partitions arrive interleaved, so it counts, not compares)."""

    def __init__(self, boot, want):
        self.first = self.last = None
        self.want = want
        self.seqs = set()
        self.p = subprocess.Popen(["kcat", "-b", boot, "-C", "-t", NRD, "-o", "end", "-u", "-q",
                                   "-f", "%h\n"], stdout=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            try:
                seq = int(line.strip().split("seq=")[1])
            except (IndexError, ValueError):
                continue
            t = time.monotonic()
            if self.first is None:
                self.first = t
            self.seqs.add(seq)
            if len(self.seqs) >= self.want:
                self.last = t
                return

    def stop(self):
        self.p.kill()
        self.p.wait(10)


def kafka_metric(n, name):
    """a /metrics figure, or None while nodd's main thread is too busy to reply in 5 s"""
    try:
        return sum(v for m, _, v in n.metrics() if m == name)
    except OSError:
        return None


def kcat_wait(n, kc, acked0):
    """Until kcat has the whole burst, or nodd has every record acked (its delivery reports)
    and kcat got nothing new for 10 s (then it missed some: printed as such). Bounded."""
    end = time.monotonic() + 600
    seen, quiet = -1, time.monotonic()
    while not kc.last and time.monotonic() < end:
        time.sleep(0.5)
        if len(kc.seqs) != seen:
            seen, quiet = len(kc.seqs), time.monotonic()
        elif (time.monotonic() - quiet > 10
              and (kafka_metric(n, "nodd_kafka_delivered_total") or 0) - acked0 >= N
              and kafka_metric(n, "nodd_outbox_backlog") == 0):
            return


def produce_times(boot):
    """The producer's side, whatever the consumer managed: every record of the burst read
    back from the start of the topic (all retained, see mock_partitions) with its CreateTime,
    which librdkafka stamps when nodd hands the record over (ms). Returns (first, last) in
    seconds, or None."""
    r = subprocess.run(["kcat", "-b", boot, "-C", "-t", NRD, "-o", "beginning", "-e", "-q",
                        "-f", "%T %h\n"], capture_output=True, text=True, timeout=300)
    stamp = {}
    for line in r.stdout.splitlines():
        try:
            ts, hdr = line.split(" ", 1)
            stamp.setdefault(int(hdr.split("seq=")[1]), int(ts))
        except (IndexError, ValueError):
            continue
    burst = sorted(stamp)[-N:]
    if len(burst) < N:
        return None
    times = [stamp[q] for q in burst]
    return min(times) / 1000.0, max(times) / 1000.0


def mock_partitions():
    """Partitions for the consumed topic: librdkafka's mock broker keeps only the newest
    5 MiB of message sets of a partition (a constant in its source, no setting), so a
    consumer that falls behind a burst by more than that has its offset deleted under it
    and is reset to the end (it then sees nothing of the burst). Keyed records spread over
    the partitions, so with one partition per 10,000 records of the burst (~2 MiB each)
    the whole burst stays readable however late the consumer fetches."""
    return N // 10000 + 1


def ws_readers(n, clients):
    p = subprocess.Popen([os.path.join(h.BUILD, "tests", "bench", "wsread"), str(n.http_port),
                          "/ws/" + NRD, str(N), str(clients)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def ws_results(p, t0, label):
    out, _ = p.communicate(timeout=600)
    rates = []
    for line in out.splitlines():
        f = line.split()
        recs, first, last, errors = int(f[3]), float(f[5]), float(f[7]), int(f[9])
        if recs < N or errors:
            print("%s: a client got %d records, %d out of order" % (label, recs, errors))
            continue
        rates.append(N / (last - first))
    if rates:
        rates.sort()
        print("%s: %d of %d clients got all %d records in order; records/s from first record: "
              "min %.0f, median %.0f; last record %.1f s after nodd resumed"
              % (label, len(rates), len(out.splitlines()), N, rates[0], rates[len(rates) // 2],
                 max(float(line.split()[7]) for line in out.splitlines()) - t0))
    return rates, min(float(line.split()[5]) for line in out.splitlines())


def main():
    tmp = tempfile.mkdtemp(prefix="nodd-bench-streams.")
    mock = subprocess.Popen([os.path.join(h.BUILD, "tests", "tools", "kafka_mock"), "-t",
                             "zone_diff"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    boot = mock.stdout.readline().split("=", 1)[1].strip()
    mock.stdin.write("topic %s %d\n" % (NRD, mock_partitions()))
    mock.stdin.flush()
    assert mock.stdout.readline().strip() == "ok"
    n = h.Nodd(os.path.join(tmp, "nodd"))
    named = Named(os.path.join(tmp, "named"), n.port, names=["base"])
    kc = None
    try:
        n.extra = upstream_yaml(named) + "kafka:\n  brokers: %s\n" % boot
        n.write_config()
        n.start()
        h.wait_for(lambda: n.api("GET", "/api/v1/status")[1]["upstreams"][0]["serial"] == 1, 30,
                   what="baseline")
        # round 1: kcat and one WebSocket client
        ws = ws_readers(n, 1)
        kc = Kcat(boot, N)
        acked0 = kafka_metric(n, "nodd_kafka_delivered_total")
        burst(n, named, "b")
        perf = None
        if os.environ.get("BENCH_STREAMS_PERF"):
            # timestamps on CLOCK_MONOTONIC, as the readers': the window printed below selects
            # the streaming (perf report --time) apart from the apply before it
            perf = subprocess.Popen(["perf", "record", "-g", "-k", "CLOCK_MONOTONIC", "-o",
                                     os.environ["BENCH_STREAMS_PERF"], "-p", str(n.proc.pid)],
                                    stderr=subprocess.DEVNULL)
            time.sleep(2)
        t0 = time.monotonic()
        n.proc.send_signal(signal.SIGCONT)
        kcat_wait(n, kc, acked0)
        st = n.api("GET", "/api/v1/status")[1]["upstreams"][0]
        print("applied serial %s; observations %d" % (st["serial"], st["observations"]))
        if kc.last:
            print("kcat (live consumer from the end, %d partitions): all %d records, %.0f "
                  "records/s from its first record; the last %.1f s after nodd resumed"
                  % (mock_partitions(), N, N / (kc.last - kc.first), kc.last - t0))
        else:
            print("kcat: the live consumer got %d of %d records" % (len(kc.seqs), N))
        pt = produce_times(boot)
        if pt:
            print("nodd's Kafka producer: the %d records handed to librdkafka within %.3f s "
                  "(their CreateTime stamps): %.0f records/s"
                  % (N, pt[1] - pt[0], N / max(pt[1] - pt[0], 0.001)))
        else:
            print("nodd's Kafka producer: fewer than %d records of the burst on the topic" % N)
        ws_first = ws_results(ws, t0, "one WebSocket client")[1]
        if perf:
            print("streaming window for perf report --time: %.6f,%.6f"
                  % (min(kc.first or ws_first, ws_first), time.monotonic()))
            perf.send_signal(signal.SIGINT)
            perf.wait(60)
        kc.stop()
        kc = None
        if os.environ.get("BENCH_STREAMS_ROUNDS") == "1":
            return
        # round 2: ten WebSocket clients while nsupdate keeps adding delegations
        ws = ws_readers(n, 10)
        burst(n, named, "c")
        stop = threading.Event()

        def trickle():
            i = 0
            while not stop.is_set():
                nsupdate(named, ["t%06d" % (i + j) for j in range(50)])
                i += 50
                time.sleep(0.05)
        perf = None
        if os.environ.get("BENCH_STREAMS_PERF"):
            perf = subprocess.Popen(["perf", "record", "-g", "-o",
                                     os.environ["BENCH_STREAMS_PERF"] + ".round2", "-p",
                                     str(n.proc.pid)], stderr=subprocess.DEVNULL)
            time.sleep(2)
        t0 = time.monotonic()
        n.proc.send_signal(signal.SIGCONT)
        th = threading.Thread(target=trickle, daemon=True)
        th.start()
        ws_results(ws, t0, "ten WebSocket clients, ingestion going on")
        if perf:
            perf.send_signal(signal.SIGINT)
            perf.wait(60)
        stop.set()
        th.join(60)
    finally:
        if kc:
            kc.stop()
        n.stop()
        named.stop()
        mock.stdin.close()
        mock.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
