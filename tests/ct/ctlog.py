#!/usr/bin/python3
"""A local Certificate Transparency log for tests and benchmarks: one Merkle tree served
over both RFC 6962 (/ct/v1/...) and static-ct-api (/checkpoint, /tile/..., /issuer/...),
with real certificates and precertificates from a test CA, ECDSA P-256 (or RSA) signed
tree heads, fault knobs and a request log. Nothing here talks to anything but loopback.

Owns: log state (entries file, published tree head), the HTTP server, control endpoint,
faults, the Chrome log list v3 writer and the command line. Certificates live in
ctcerts.py, the tree in merkle.py, bulk generation in ctgen.py, HTTP routes in cthttp.py,
the HTTP pieces shared with rdap.py in httputil.py.

Module API (add tests/ct to sys.path, then `import ctlog`):
    log = ctlog.start(state_dir, name="a", cap=1000, publish="auto", key="ec",
                      leaf_index=True, server=None)
        one log under http://127.0.0.1:<port>/<name>/; server=other_log.server puts a
        second log on the same port (same CA when the state_dir is the same).
    log.url            RFC 6962 base and static monitoring prefix (ends in "/")
    log.origin         checkpoint origin: "127.0.0.1:<port>/<name>"
    log.key_b64, log.log_id_b64, log.size (entries), log.published (tree size served)
    log.add(names=[...], cn=None|str|[str], ips=[...], kind="cert"|"precert"|"both",
            final_log=None) -> {"index", "kind", "serial", "names", ["final": {"log","index"}]}
        "both": the precertificate here, then the final certificate (SCT list with this
        log's SCT) here or in final_log.
    log.add_der(cert_der)          an arbitrary certificate as an x509 entry -> index
    log.grow(count, ratio=0.5)     append `count` generated entries (ctgen.py names, half
                                   precerts, about 0.1 ms each) -> first index
    log.publish(size=None)         sign a tree head for `size` (default: all entries);
                                   publish="auto" does this after every add
    log.fault(**knobs) / log.fault(reset=True)   see FAULTS below (reset: none, the
                                   cap given to start()); returns the knobs
    log.requests(clear=False)      [{"time","method","path","user_agent","accept_encoding",
                                     "status"}] of every non-control request, in order
    log.entry(i) -> (leaf_input, extra_data); log.entries(lo, hi) -> [(leaf_input,
    extra_data)]; log.root(size); log.sth() -> get-sth JSON; log.checkpoint() -> text
    log.list_entry(state="usable", tiled=False, description=None) -> log list v3 entry
    log.stop()                     stops the server (and every log on it)
    ctlog.write_log_list(path, [log | log.list_entry(...), ...]) writes a log list v3

FAULTS (log.fault(...) or POST <url>control/fault with the same JSON keys):
    cap=N            get-entries returns at most N entries (short answers); align=True
                     truncates at the next multiple of N like Trillian
    status={"code": 429|503, "count": N, "retry_after": S, "date": bool, "match": "str"}
                     the next N requests (count null: all) whose path contains "match" get
                     that status, with Retry-After: S seconds (or the HTTP-date S seconds
                     ahead when date; no header when retry_after is null)
    bad_signature=True|"sth"|"checkpoint"   tree heads signed over the wrong input
    shrink_to=N      get-sth and checkpoint serve a correctly signed head of size N
    time_shift=MS    get-sth and checkpoint serve their head dated MS milliseconds later
                     (negative: earlier) than it was published, correctly signed
    alter={index: [names]}   those entries are served as other certificates (same
                     timestamp and leaf_index) that do not match the tree
    gzip_tiles=True  data tiles sent with Content-Encoding: gzip whatever was asked
    delay=S          every request waits S seconds before its answer
    partial_404=True partial tiles (.p/W) answer 404

Control endpoint, under each log's URL: POST control/add (the add() keywords as JSON),
POST control/publish {"size": N}, POST control/fault {...}, GET control/requests[?clear=1],
POST control/grow {"count": N, "ratio": 0.5}, GET control/state. Control requests are
not in the request log.

Command line: ctlog.py --state DIR [--port 0] [--logs a,b] [--cap N] [--publish manual]
[--log-list FILE [--tiled]] [--generate N [--precert-ratio 0.5]] [--rate R]. With --port
it serves until SIGTERM and prints one JSON line {"port", "pid", "logs": {name: url}} on
stdout; --rate R grows every log by R generated entries per second (published at once);
--generate N first appends generated entries until each log has N (see ctgen.py) and,
without --port, exits.

State (DIR/<name>/): log.key, entries.bin (u32 length, u32 leaf part length, TileLeaf),
published.json. DIR/ca.key and DIR/ca.pem are the CA shared by all logs of DIR. A log
started again on the same directory reloads its entries and tree head.
"""
import argparse
import array
import base64
import hashlib
import json
import mmap
import os
import signal
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctcerts  # noqa: E402
import httputil  # noqa: E402
import merkle  # noqa: E402
from ctcerts import PRECERT_ENTRY, X509_ENTRY  # noqa: E402

DEFAULT_FAULTS = {"cap": 1000, "align": False, "status": None, "bad_signature": False,
                  "shrink_to": None, "time_shift": 0, "alter": {}, "gzip_tiles": False,
                  "delay": 0, "partial_404": False}


def b64(data):
    return base64.b64encode(data).decode()


def now_ms():
    return int(time.time() * 1000)


class Log:
    def __init__(self, state_dir, name="log0", cap=1000, publish="auto", key="ec",
                 leaf_index=True, ca=None):
        self.name = name
        self.dir = os.path.join(state_dir, name)
        os.makedirs(self.dir, exist_ok=True)
        self.ca = ca or ctcerts.CA(state_dir)
        self.key = ctcerts.load_or_make_key(os.path.join(self.dir, "log.key"), key)
        self.spki = ctcerts.spki_der(self.key)
        self.log_id = hashlib.sha256(self.spki).digest()
        self.key_b64, self.log_id_b64 = b64(self.spki), b64(self.log_id)
        self.auto = publish == "auto"
        self.leaf_index = leaf_index
        self.issuers = {self.ca.fingerprint: self.ca.der}
        self.lock = threading.RLock()
        self.tree = merkle.Tree()
        self.offsets = array.array("Q")
        self.heads = array.array("I")
        self.cap = cap
        self.faults = dict(json.loads(json.dumps(DEFAULT_FAULTS)), cap=cap)
        self.altered = {}
        self._requests = httputil.RequestLog()
        self.server = None
        self.head = None  # (size, timestamp, root)
        self.path = os.path.join(self.dir, "entries.bin")
        self.end = 0
        self._load()
        self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)

    # --- storage ----------------------------------------------------------------------
    def _load(self):
        if not os.path.exists(self.path) or not os.path.getsize(self.path):
            return
        with open(self.path, "r+b") as f, mmap.mmap(f.fileno(), 0) as data:
            view, pos, total = memoryview(data), 0, len(data)
            while pos + 8 <= total:
                n, head = struct.unpack_from(">II", data, pos)
                if pos + 8 + n > total:
                    break  # a record cut by a crash: dropped, the file is truncated below
                self.offsets.append(pos + 8)
                self.heads.append(head)
                self.tree.append(hashlib.sha256(b"\x00\x00\x00" + view[pos + 8:pos + 8 + head]).digest())
                pos += 8 + n
            view.release()
        if pos != total:
            os.truncate(self.path, pos)
        self.end = pos
        meta = os.path.join(self.dir, "published.json")
        size, ts = self.tree.size, now_ms()
        if os.path.exists(meta) and not self.auto:
            with open(meta) as f:
                saved = json.load(f)
            size, ts = min(saved["size"], self.tree.size), saved["timestamp"]
        if size:
            self.head = (size, ts, self.tree.root(size))

    def append_records(self, records):
        """Append [(TileLeaf, head length)] in order; returns the first index."""
        with self.lock:
            first = self.tree.size
            blob = bytearray()
            end = self.end
            for rec, head in records:
                self.offsets.append(end + len(blob) + 8)
                self.heads.append(head)
                blob += struct.pack(">II", len(rec), head) + rec
                self.tree.append(merkle.leaf_hash(b"\x00\x00" + rec[:head]))
            os.write(self.fd, bytes(blob))
            self.end = end + len(blob)
            if self.auto:
                self.publish()
            return first

    def record(self, i):
        with self.lock:
            if i in self.altered:
                return self.altered[i]
            off, head = self.offsets[i], self.heads[i]
        n = struct.unpack(">I", os.pread(self.fd, 4, off - 8))[0]
        return os.pread(self.fd, n, off), head

    def records(self, lo, hi):
        """TileLeaf bytes of entries lo..hi-1 concatenated (altered ones substituted)."""
        with self.lock:
            start = self.offsets[lo]
            ends = [self.offsets[i + 1] - 8 if i + 1 < len(self.offsets) else self.end
                    for i in range(lo, hi)]
            altered = {i: self.altered[i][0] for i in self.altered if lo <= i < hi}
        raw = memoryview(os.pread(self.fd, ends[-1] - start, start))
        out = bytearray()
        for i in range(lo, hi):
            if i in altered:
                out += altered[i]
            else:
                out += raw[self.offsets[i] - start:ends[i - lo] - start]
        return bytes(out)

    # --- entries ----------------------------------------------------------------------
    @property
    def size(self):
        return self.tree.size

    @property
    def published(self):
        return self.head[0] if self.head else 0

    def _leaf(self, entry_type, body, timestamp, index, precert=None):
        ext = ctcerts.leaf_index_ext(index) if self.leaf_index else b""
        return ctcerts.tile_leaf(timestamp, entry_type, body, ext, self.ca, precert)

    def add(self, names=(), cn=None, ips=(), kind="cert", final_log=None, timestamp=None):
        if kind not in ("cert", "precert", "both"):
            raise ValueError("kind must be cert, precert or both")
        iss = ctcerts.Issuance(self.ca, names, cn, ips)
        out = {"kind": kind, "serial": str(iss.serial), "names": list(names)}
        with self.lock:
            ts = timestamp or now_ms()
            if kind == "cert":
                out["index"] = self.append_records([self._leaf(X509_ENTRY, iss.cert(), ts, self.size)])
                return out
            tbs = iss.precert_tbs()
            index = self.size
            out["index"] = self.append_records(
                [self._leaf(PRECERT_ENTRY, tbs, ts, index, iss.precert())])
            ext = ctcerts.leaf_index_ext(index) if self.leaf_index else b""
            sct = ctcerts.sct(self.key, self.log_id, ts, PRECERT_ENTRY, tbs, ext, self.ca)
        if kind == "both":
            target = final_log or self
            final = iss.cert(ctcerts.sct_list([sct]))
            out["final"] = {"log": target.name, "index": target.add_der(final)}
        return out

    def add_der(self, cert_der, timestamp=None):
        with self.lock:
            return self.append_records(
                [self._leaf(X509_ENTRY, cert_der, timestamp or now_ms(), self.size)])

    def grow(self, count, ratio=0.5):
        import ctgen
        return ctgen.grow(self, count, ratio)

    def entry(self, i):
        """(leaf_input, extra_data) of entry i as served."""
        return self._served(*self.record(i))

    def entries(self, lo, hi):
        """[(leaf_input, extra_data)] of entries lo..hi-1 as served, read at once."""
        data = self.records(lo, hi)
        with self.lock:
            heads = [self.altered[i][1] if i in self.altered else self.heads[i]
                     for i in range(lo, hi)]
        out, pos = [], 0
        for head in heads:
            end = pos + ctcerts.tile_leaf_length(data, pos, head)
            out.append(self._served(data[pos:end], head))
            pos = end
        return out

    def _served(self, rec, head):
        leaf_input, entry_type, precert, fps = ctcerts.split_tile_leaf(rec, head)
        chain = [self.issuers[fp] for fp in fps]
        return leaf_input, ctcerts.extra_data(entry_type, precert, chain)

    # --- tree heads -------------------------------------------------------------------
    def root(self, size=None):
        with self.lock:
            return self.tree.root(size)

    def publish(self, size=None):
        with self.lock:
            size = self.tree.size if size is None else int(size)
            if not 0 <= size <= self.tree.size:
                raise ValueError("size beyond the entries")
            ts = max(now_ms(), self.head[1] + 1 if self.head else 0)
            self.head = (size, ts, self.tree.root(size))
            with open(os.path.join(self.dir, "published.json.tmp"), "w") as f:
                json.dump({"size": size, "timestamp": ts}, f)
            os.replace(os.path.join(self.dir, "published.json.tmp"),
                       os.path.join(self.dir, "published.json"))
            return self.sth()

    def _served_head(self):
        with self.lock:
            size, ts, root = self.head or (0, now_ms(), merkle.EMPTY_ROOT)
            shrink = self.faults["shrink_to"]
            if shrink is not None and shrink < size:
                size, root = shrink, self.tree.root(shrink)
            return size, ts + int(self.faults["time_shift"]), root

    def _signature(self, which, size, ts, root):
        signed = b"\x00\x01" + ctcerts.u64(ts) + ctcerts.u64(size) + root
        bad = self.faults["bad_signature"]
        if bad is True or bad == which:
            signed = b"\x00\x01" + ctcerts.u64(ts + 1) + ctcerts.u64(size) + root
        return ctcerts.digitally_signed(self.key, signed)

    def sth(self):
        size, ts, root = self._served_head()
        return {"tree_size": size, "timestamp": ts, "sha256_root_hash": b64(root),
                "tree_head_signature": b64(self._signature("sth", size, ts, root))}

    @property
    def origin(self):
        return self.url.split("://", 1)[1].rstrip("/")

    @property
    def key_id(self):
        return hashlib.sha256(self.origin.encode() + b"\x0a\x05" + self.log_id).digest()[:4]

    def checkpoint(self):
        size, ts, root = self._served_head()
        sig = self.key_id + ctcerts.u64(ts) + self._signature("checkpoint", size, ts, root)
        return "%s\n%d\n%s\n\n\u2014 %s %s\n" % (self.origin, size, b64(root), self.origin, b64(sig))

    # --- faults and request log -------------------------------------------------------
    def fault(self, reset=False, **knobs):
        with self.lock:
            if reset:
                self.faults = dict(json.loads(json.dumps(DEFAULT_FAULTS)), cap=self.cap)
                self.altered = {}
            for k, v in knobs.items():
                if k not in DEFAULT_FAULTS:
                    raise ValueError("unknown fault " + k)
                self.faults[k] = v
            if "alter" in knobs:
                self._build_altered(knobs["alter"] or {})
            return dict(self.faults)

    def _build_altered(self, alter):
        if isinstance(alter, list):
            alter = {i: ["altered-%d.test" % int(i)] for i in alter}
        self.altered = {}
        for i, names in alter.items():
            i = int(i)
            rec, head = self.record(i)
            ts = struct.unpack(">Q", rec[:8])[0]
            cert = ctcerts.Issuance(self.ca, names, None, ()).cert()
            self.altered[i] = self._leaf(X509_ENTRY, cert, ts, i)
        self.faults["alter"] = {str(i): n for i, n in alter.items()}

    def take_status_fault(self, path):
        """The (code, headers) a request must get instead of its answer, or None."""
        with self.lock:
            st = self.faults["status"]
            if not st or st.get("match", "") not in path:
                return None
            count = st.get("count", 1)
            if count is not None:
                if count <= 0:
                    return None
                st["count"] = count - 1
            headers = {}
            if st.get("retry_after") is not None:
                headers["Retry-After"] = httputil.retry_after(st["retry_after"], st.get("date"))
            return st.get("code", 503), headers

    def note_request(self, item):
        self._requests.note(item)

    def requests(self, clear=False):
        return self._requests.items(clear)

    # --- serving ----------------------------------------------------------------------
    @property
    def url(self):
        if not self.server:
            raise RuntimeError("log %s is not served" % self.name)
        return "http://127.0.0.1:%d/%s/" % (self.server.port, self.name)

    def list_entry(self, state="usable", tiled=False, description=None, mmd=86400):
        st = {"timestamp": "2026-01-01T00:00:00Z"}
        if state == "readonly":
            size, _, root = self._served_head()
            st["final_tree_head"] = {"sha256_root_hash": b64(root), "tree_size": size}
        entry = {"description": description or "nodd test log " + self.name,
                 "log_id": self.log_id_b64, "key": self.key_b64, "mmd": mmd,
                 "state": {state: st}, "log_type": "test",
                 "temporal_interval": {"start_inclusive": "2026-01-01T00:00:00Z",
                                       "end_exclusive": "2027-06-01T00:00:00Z"}}
        if tiled:
            entry.update(submission_url=self.url, monitoring_url=self.url, _tiled=True)
        else:
            entry["url"] = self.url
        return entry

    def stop(self):
        if self.server:
            self.server.stop()
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def write_log_list(path, logs, operator="nodd test"):
    """Chrome log list v3 naming `logs` (Log objects or list_entry() dicts)."""
    plain, tiled = [], []
    for item in logs:
        entry = dict(item.list_entry() if isinstance(item, Log) else item)
        (tiled if entry.pop("_tiled", False) else plain).append(entry)
    doc = {"version": "1.0", "log_list_timestamp": "2026-01-01T00:00:00Z",
           "operators": [{"name": operator, "email": ["ct@nodd.test"], "logs": plain,
                          "tiled_logs": tiled}]}
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(path + ".tmp", path)
    return doc


def start(state_dir, name="log0", server=None, port=0, **opts):
    import cthttp
    log = Log(state_dir, name, ca=server.ca if server else None, **opts)
    if server is None:
        server = cthttp.Server(port, log.ca)
    server.add(log)
    return log


def _feed(logs, rate, ratio, done):
    """Until done: grow each log by `rate` entries per second, in steps of 0.1 s."""
    if rate <= 0:
        while not done.wait(3600):
            pass
        return
    started, added = time.time(), 0
    while not done.wait(0.1):
        due = int((time.time() - started) * rate) - added
        if due > 0:
            for log in logs:
                log.grow(due, ratio)
            added += due


def main(argv=None):
    p = argparse.ArgumentParser(description="local CT log (RFC 6962 + static-ct-api)")
    p.add_argument("--state", required=True)
    p.add_argument("--port", type=int)
    p.add_argument("--logs", default="log0")
    p.add_argument("--cap", type=int, default=1000)
    p.add_argument("--publish", choices=["auto", "manual"], default="auto")
    p.add_argument("--key", choices=["ec", "rsa"], default="ec")
    p.add_argument("--log-list")
    p.add_argument("--tiled", action="store_true", help="list the logs as tiled_logs")
    p.add_argument("--generate", type=int)
    p.add_argument("--precert-ratio", type=float, default=0.5)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--rate", type=float, default=0, help="generated entries/s added to each log")
    a = p.parse_args(argv)
    names = a.logs.split(",")
    if a.generate:
        import ctgen
        for name in names:
            ctgen.generate(a.state, name, a.generate, a.precert_ratio, a.jobs, sys.stderr)
        if a.port is None:
            return 0
    if a.port is None:
        p.error("--port or --generate is required")
    first = start(a.state, names[0], port=a.port, cap=a.cap, publish=a.publish, key=a.key)
    logs = [first] + [start(a.state, n, server=first.server, cap=a.cap, publish=a.publish,
                            key=a.key) for n in names[1:]]
    if a.log_list:
        write_log_list(a.log_list, [lg.list_entry(tiled=a.tiled) for lg in logs])
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(json.dumps({"port": first.server.port, "pid": os.getpid(),
                      "logs": {lg.name: lg.url for lg in logs}}), flush=True)
    _feed(logs, a.rate, a.precert_ratio, done)
    first.server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
