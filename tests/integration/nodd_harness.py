"""Harness for the nodd integration tests: start the real daemon on kernel-chosen loopback
ports with a config in a temporary directory, talk to it over DNS (dnspython, raw sockets,
dig, kdig) and HTTP (the JSON API, /metrics), and stop it by its PID.

Env: NODD_BUILD = meson build directory, relative to the repo root or absolute (default
"build"). The binaries are <build>/daemon/nodd and <build>/ctl/noddctl (or <build>/nodd).

A sanitizer build (ASan/UBSan, TSan) writes its reports to nodd's stderr, which is the log
file here: sanitizer_reports() finds them and conftest fails the test that ran the daemon.
"""
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time
import urllib.error
import urllib.request

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("NODD_BUILD", "build"))

SUFFIX = "nod.example"
DNSBL = "v1.bl." + SUFFIX
WINDOWS = ["5m", "10m", "30m", "1h", "3h", "12h", "24h"]
WINDOW_SECONDS = {"5m": 300, "10m": 600, "30m": 1800, "1h": 3600, "3h": 10800,
                  "12h": 43200, "24h": 86400}
RPZ = {w: "%s.rpz.%s" % (w, SUFFIX) for w in WINDOWS}
ZONES = [RPZ[w] for w in WINDOWS] + [DNSBL]
# the allow-list's passthru zone: published too, but its serial changes only with the list
ALLOW = "allow.rpz." + SUFFIX
PUBLISHED = ZONES + [ALLOW]
# DNSBL age code: the smallest window holding the name -> 127.0.0.N
CODE = {"5m": 2, "10m": 3, "30m": 4, "1h": 5, "3h": 6, "12h": 7, "24h": 8}

START_TIMEOUT = float(os.environ.get("NODD_START_TIMEOUT", "10"))
STOP_TIMEOUT = float(os.environ.get("NODD_STOP_TIMEOUT", "10"))

# The first line of every report of AddressSanitizer (and its LeakSanitizer), UBSan and
# ThreadSanitizer.
SANITIZER_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                     "WARNING: ThreadSanitizer")

# Every Nodd started in this session; conftest attaches the logs of those used by a failed
# test to its report.
INSTANCES = []


def find_binary(name):
    """Path of a built binary, or None."""
    for p in (os.path.join(BUILD, "daemon", name), os.path.join(BUILD, "ctl", name), os.path.join(BUILD, name)):
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def nodd_binary():
    return find_binary("nodd")


def noddctl_binary():
    return find_binary("noddctl")


def which(prog):
    return shutil.which(prog)


def expected_code(age):
    """127.0.0.N for a name of this age in seconds, None when it is in no window."""
    for w in WINDOWS:
        if age < WINDOW_SECONDS[w]:
            return "127.0.0.%d" % CODE[w]
    return None


def windows_for_age(age):
    return [w for w in WINDOWS if age < WINDOW_SECONDS[w]]


def free_port(host="127.0.0.1"):
    """A port on host (127.0.0.1, or ::1) free for both UDP and TCP, chosen by the kernel."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    for _ in range(100):
        u = socket.socket(family, socket.SOCK_DGRAM)
        u.bind((host, 0))
        port = u.getsockname()[1]
        t = socket.socket(family, socket.SOCK_STREAM)
        try:
            t.bind((host, port))
        except OSError:
            u.close()
            t.close()
            continue
        u.close()
        t.close()
        return port
    raise RuntimeError("no port free for both UDP and TCP")


class UdpServer:
    """A UDP socket on host with a port the kernel picks, served by a thread that calls
    handle(data, peer) for each datagram (answer with self.sock.sendto) until close()."""

    def __init__(self, host="127.0.0.1"):
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_DGRAM)
        self.sock.bind((host, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = False
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def handle(self, data, peer):
        raise NotImplementedError

    def _run(self):
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            self.handle(data, peer)

    def close(self):
        self._stop = True
        self._t.join(2)
        self.sock.close()


def free_tcp_port(exclude=()):
    for _ in range(100):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        t.close()
        if port not in exclude:
            return port
    raise RuntimeError("no free TCP port")


def yaml_value(v):
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(yaml_value(x) for x in v) + "]"
    return str(v)


class Nodd:
    """One nodd process with its own directory, ports, config and database.

    server/publish/policy: extra keys (name -> value, lists allowed) for those sections;
    extra: raw YAML appended to the file."""

    def __init__(self, workdir, server=None, publish=None, policy=None, extra="", name="nodd"):
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.name = name
        self.port = free_port()
        self.http_port = free_tcp_port(exclude=(self.port,))
        self.db = os.path.join(self.dir, "nodd.db")
        self.config_path = os.path.join(self.dir, "nodd.yaml")
        self.server_extra = dict(server or {})
        self.publish_extra = dict(publish or {})
        self.policy_extra = dict(policy or {})
        self.extra = extra
        self.token = self.server_extra.get("http-token")
        self.nofile = None  # RLIMIT_NOFILE for the process (None: inherited)
        self.proc = None
        self.log_path = os.path.join(self.dir, "nodd.log")
        self.logs = []      # log files of earlier runs of this instance (restarts)
        self.runs = 0
        self.last_rc = None
        self.scanned = {}   # log path -> octets already searched for sanitizer reports
        self.unscanned = False  # logs written since the last sanitizer_reports()
        self.write_config()
        INSTANCES.append(self)

    # ---- config -------------------------------------------------------------------
    def config_text(self):
        server = {"listen": "[127.0.0.1@%d]" % self.port,
                  "http": "127.0.0.1@%d" % self.http_port,
                  "database": self.db}
        server.update(self.server_extra)
        publish = {"suffix": SUFFIX + ".", "ttl": 60}
        publish.update(self.publish_extra)
        out = []
        for section, keys in (("server", server), ("publish", publish), ("policy", self.policy_extra)):
            if not keys:
                continue
            out.append(section + ":")
            for k, v in keys.items():
                if v is None:  # None removes a key
                    continue
                out.append("  %s: %s" % (k, yaml_value(v)))
        return "\n".join(out) + "\n" + self.extra

    def write_config(self, text=None):
        self.custom_config = text is not None
        with open(self.config_path, "w") as f:
            f.write(text if text is not None else self.config_text())

    # ---- lifecycle ----------------------------------------------------------------
    def start(self, wait=True):
        """Start and (wait) wait until DNS and HTTP answer. The ports are picked free by the
        kernel but only bound by nodd later, so another program (an outgoing connection of a
        peer under test takes an ephemeral port too) can take one in between: a first start
        that fails on "Address already in use" is retried on new ports, when the config is
        this harness's own (a test's own text may hold the old ports)."""
        for attempt in range(3):
            self._launch()
            if not wait:
                return self
            try:
                self.wait_ready()
                return self
            except RuntimeError:
                clash = (self.proc.poll() is not None and self.runs == 1 + attempt and
                         not self.custom_config and "Address already in use" in self.log_tail())
                if not clash or attempt == 2:
                    raise
            self._close_log()
            self.port = free_port()
            self.http_port = free_tcp_port(exclude=(self.port,))
            self.write_config()
        return self

    def _launch(self):
        binary = nodd_binary()
        if binary is None:
            raise RuntimeError("nodd is not built under %s (ninja -C %s; NODD_BUILD selects "
                               "the build dir)" % (BUILD, BUILD))
        self.runs += 1
        if self.runs > 1:
            self.log_path = os.path.join(self.dir, "nodd.%d.log" % self.runs)
        self.logs.append(self.log_path)
        self.unscanned = True
        self._logf = open(self.log_path, "wb")
        nofile = self.nofile

        def limit():
            if nofile is not None:
                import resource
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
        self.proc = subprocess.Popen([binary, "-c", self.config_path], stdout=self._logf,
                                     stderr=subprocess.STDOUT, cwd=self.dir,
                                     preexec_fn=limit if nofile is not None else None)
        self.last_rc = None

    def wait_ready(self, timeout=START_TIMEOUT):
        deadline = time.monotonic() + timeout
        dns_ok = http_ok = False
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nodd exited with %s during startup:\n%s"
                                   % (self.proc.returncode, self.log_tail()))
            if not dns_ok:
                try:
                    r = self.query(DNSBL, "SOA", timeout=0.3)
                    dns_ok = r.rcode() == dns.rcode.NOERROR and len(r.answer) == 1
                except Exception:
                    dns_ok = False
            if dns_ok and not http_ok:
                try:
                    st, _ = self.api("GET", "/api/v1/status", timeout=1)
                    http_ok = st == 200
                except Exception:
                    http_ok = False
            if dns_ok and http_ok:
                return
            time.sleep(0.05)
        raise RuntimeError("nodd not ready after %.0f s (dns %s, http %s):\n%s"
                           % (timeout, dns_ok, http_ok, self.log_tail()))

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        assert self.alive(), "nodd is not running:\n" + self.log_tail()
        os.kill(self.proc.pid, sig)

    def stop(self, sig=signal.SIGTERM, timeout=STOP_TIMEOUT):
        """Stop with sig, wait (bounded), SIGKILL when needed. Returns the exit status
        (negative: killed by that signal; None when it was not running)."""
        if self.proc is None:
            return self.last_rc
        if self.proc.poll() is None:
            try:
                os.kill(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
                self.last_rc = "SIGKILLed after not stopping within %.0f s" % timeout
                self._close_log()
                self.proc = None
                return self.last_rc
        self.last_rc = self.proc.returncode
        self._close_log()
        self.proc = None
        return self.last_rc

    def restart(self):
        rc = self.stop()
        self.start()
        return rc

    def _close_log(self):
        try:
            self._logf.close()
        except Exception:
            pass

    def log_text(self):
        out = []
        for p in self.logs:
            try:
                with open(p, "rb") as f:
                    out.append("== %s ==\n%s" % (p, f.read().decode("utf-8", "replace")))
            except OSError:
                pass
        return "\n".join(out)

    def log_tail(self, n=6000):
        return self.log_text()[-n:]

    def sanitizer_reports(self, context=4000):
        """Sanitizer reports written to the logs since the last call: a list of excerpts,
        each from its marker line on (context characters)."""
        found = []
        for p in self.logs:
            try:
                with open(p, "rb") as f:
                    f.seek(self.scanned.get(p, 0))
                    data = f.read()
            except OSError:
                continue
            # search whole lines only: a report being written is taken at the next call
            end = data.rfind(b"\n") + 1
            if self.proc is None:
                end = len(data)
            text = data[:end].decode("utf-8", "replace")
            self.scanned[p] = self.scanned.get(p, 0) + end
            at = min([i for i in (text.find(m) for m in SANITIZER_MARKERS) if i >= 0], default=-1)
            if at >= 0:
                start = text.rfind("\n", 0, at) + 1
                found.append("%s:\n%s" % (p, text[start:start + context]))
        self.unscanned = self.proc is not None
        return found

    # ---- DNS --------------------------------------------------------------------------
    def make_query(self, qname, qtype="A", edns=None, payload=None, options=None, want_dnssec=False,
                   rd=False):
        # dnspython turns EDNS on whenever a payload is given: pass one only with EDNS
        if edns is not None and payload is None:
            payload = 1232
        q = dns.message.make_query(qname, qtype, use_edns=edns, payload=payload,
                                   options=options, want_dnssec=want_dnssec)
        if not rd:
            q.flags &= ~dns.flags.RD
        return q

    def query(self, qname, qtype="A", tcp=False, timeout=2.0, **kw):
        """dnspython query; returns the dns.message.Message reply."""
        q = qname if isinstance(qname, dns.message.Message) else self.make_query(qname, qtype, **kw)
        if tcp:
            return dns.query.tcp(q, "127.0.0.1", port=self.port, timeout=timeout)
        return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=timeout)

    def udp_raw(self, data, timeout=1.0):
        """Send bytes as one UDP datagram; the reply bytes or None when none came."""
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.settimeout(timeout)
            s.sendto(data, ("127.0.0.1", self.port))
            try:
                return s.recv(65535)
            except socket.timeout:
                return None
        finally:
            s.close()

    def tcp_connect(self, timeout=3.0):
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.settimeout(timeout)
        return s

    def tcp_raw(self, data, timeout=2.0, frame=True):
        """Send one message (length-prefixed when frame) on a new TCP connection; the reply
        bytes, or None when the server closed or sent nothing in time."""
        s = self.tcp_connect(timeout)
        try:
            s.sendall((struct.pack("!H", len(data)) + data) if frame else data)
            return tcp_read_msg(s)
        finally:
            s.close()

    def serial(self, zone):
        r = self.query(zone, "SOA")
        assert r.rcode() == dns.rcode.NOERROR, "SOA %s: %s" % (zone, dns.rcode.to_text(r.rcode()))
        soa = [rr for rrs in r.answer for rr in rrs if rrs.rdtype == dns.rdatatype.SOA]
        assert len(soa) == 1, "SOA %s: %s" % (zone, r)
        return soa[0].serial

    def serials(self):
        return {z: self.serial(z) for z in ZONES}

    def wait_new_versions(self, before, timeout=15):
        """Wait until every zone of before ({zone: serial}, read before a change) has a new
        serial: a bounded wait instead of sleeping one min-interval, which a loaded machine
        (a late tick) outlasts."""
        return wait_for(lambda: all(self.serial(z) != s for z, s in before.items()), timeout,
                        0.1, "new versions of %s" % ", ".join(sorted(before)))

    def a_code(self, domain):
        """The DNSBL A answer for a domain: '127.0.0.N', or the rcode text when no A."""
        r = self.query("%s.%s" % (domain, DNSBL), "A")
        a = rdatas(r, dns.rdatatype.A)
        if a:
            return a[0]
        return dns.rcode.to_text(r.rcode())

    def in_rpz(self, domain, window):
        r = self.query("%s.%s" % (domain, RPZ[window]), "A")
        c = rdatas(r, dns.rdatatype.CNAME)
        if r.rcode() == dns.rcode.NOERROR and c == ["."]:
            return True
        if r.rcode() == dns.rcode.NXDOMAIN and not r.answer:
            return False
        raise AssertionError("unexpected RPZ answer for %s in %s: %s" % (domain, window, r))

    # ---- HTTP ------------------------------------------------------------------------
    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.http_port, path)

    def api(self, method, path, body=None, token=None, raw=None, timeout=5.0, headers=None):
        """HTTP request. body: JSON-encoded; raw: bytes sent as is. Returns (status, body)
        where body is the parsed JSON when it parses, else the text."""
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.url(path), data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if token is None and method == "POST":
            token = self.file_token()
        if token is not None:
            req.add_header("Authorization", "Bearer " + token)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, text = resp.status, resp.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read().decode("utf-8", "replace")
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def file_token(self):
        """The token nodd made in <database>.token when server.http-token is not set."""
        if self.server_extra.get("http-token"):
            return None
        try:
            with open(self.db + ".token") as f:
                return f.read().strip() or None
        except FileNotFoundError:
            return None

    def observe(self, domain, first_seen=None, source="integration-test", expect=200, token=None):
        body = {"domain": domain, "source": source}
        if first_seen is not None:
            body["first_seen"] = int(first_seen)
        st, resp = self.api("POST", "/api/v1/observations", body,
                            token=token if token is not None else self.token)
        if expect is not None:
            assert st == expect, "POST %s -> %s %s" % (body, st, resp)
        return st, resp

    def observe_many(self, items, expect=200):
        st, resp = self.api("POST", "/api/v1/observations", items, token=self.token)
        if expect is not None:
            assert st == expect, "POST batch of %d -> %s %s" % (len(items), st, resp)
        return st, resp

    def lookup(self, domain):
        return self.api("GET", "/api/v1/domains/" + domain)

    def metrics_text(self):
        req = urllib.request.Request(self.url("/metrics"))
        with urllib.request.urlopen(req, timeout=5) as resp:
            assert resp.status == 200
            return resp.read().decode()

    def metrics(self):
        return parse_prometheus(self.metrics_text())

    # ---- external clients -----------------------------------------------------------
    def dig(self, qname, qtype="A", tcp=False, extra=()):
        return run_dig("dig", self.port, qname, qtype, tcp, extra)

    def kdig(self, qname, qtype="A", tcp=False, extra=()):
        return run_dig("kdig", self.port, qname, qtype, tcp, extra)

    def noddctl(self, *args, timeout=120):
        binary = noddctl_binary()
        if binary is None:
            raise RuntimeError("noddctl is not built under %s" % BUILD)
        return subprocess.run([binary, "-c", self.config_path,
                               "-s", "http://127.0.0.1:%d" % self.http_port] + list(args),
                              capture_output=True, text=True, timeout=timeout)


def tcp_read_exact(s, n):
    buf = b""
    while len(buf) < n:
        try:
            chunk = s.recv(n - len(buf))
        except (socket.timeout, ConnectionResetError):
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_read_msg(s):
    hdr = tcp_read_exact(s, 2)
    if hdr is None:
        return None
    (n,) = struct.unpack("!H", hdr)
    return tcp_read_exact(s, n)


def rdatas(msg, rdtype, section="answer"):
    """Text of the rdatas of that type in a section of a dnspython reply."""
    out = []
    for rrs in getattr(msg, section):
        if rrs.rdtype == rdtype:
            out += [rd.to_text() for rd in rrs]
    return out


def header(data):
    """(id, flags, qd, an, ns, ar) of raw reply bytes."""
    return struct.unpack("!HHHHHH", data[:12])


def rcode_of(data):
    return header(data)[1] & 0xF


# ---- dig / kdig -------------------------------------------------------------------------
class DigResult:
    def __init__(self, tool, argv, text, rc):
        self.tool, self.argv, self.text, self.rc = tool, argv, text, rc
        self.status = None
        self.flags = set()
        self.sections = {"QUESTION": [], "ANSWER": [], "AUTHORITY": [], "ADDITIONAL": []}
        self.edns_udp = None
        self._parse()

    def _parse(self):
        section = None
        for line in self.text.splitlines():
            m = re.search(r"status: ([A-Z]+)", line)
            if m and "HEADER" in line:
                self.status = m.group(1)
                continue
            m = re.match(r";; [Ff]lags: ([a-z ]*)[;]", line)
            if m:
                self.flags = set(m.group(1).split())
                continue
            m = re.search(r"udp: (\d+)|UDP size: (\d+)", line)
            if m:
                self.edns_udp = int(m.group(1) or m.group(2))
                continue
            m = re.match(r";; ([A-Z]+) SECTION:", line)
            if m:
                section = m.group(1)
                continue
            if not line.strip():
                continue
            if line.startswith(";"):
                continue
            if section in self.sections:
                f = line.split(None, 4)
                if len(f) == 5:
                    self.sections[section].append((f[0], int(f[1]), f[3], f[4]))

    @property
    def answer(self):
        return self.sections["ANSWER"]

    @property
    def authority(self):
        return self.sections["AUTHORITY"]

    def types(self, section="ANSWER"):
        return [r[2] for r in self.sections[section]]

    def __repr__(self):
        return "%s: %s\n%s" % (self.tool, " ".join(self.argv), self.text)


def run_dig(tool, port, qname, qtype, tcp=False, extra=()):
    if which(tool) is None:
        raise RuntimeError("%s is not installed" % tool)
    argv = [tool, "@127.0.0.1", "-p", str(port), qname, qtype, "+norecurse"]
    if tool == "dig":
        argv += ["+time=2", "+tries=1"]
    else:
        argv += ["+timeout=2", "+retry=0"]
    if tcp:
        argv.append("+tcp")
    argv += list(extra)
    r = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    return DigResult(tool, argv, r.stdout + r.stderr, r.returncode)


# ---- Prometheus text --------------------------------------------------------------------
_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_prometheus(text):
    """List of (name, {labels}, value) samples."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line.strip())
        if not m:
            raise AssertionError("not a Prometheus sample line: %r" % line)
        labels = dict(_LABEL.findall(m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def metric_sum(samples, name=None, name_re=None, **labels):
    """Sum of the samples matching the name (or regex) and all the given label values."""
    total = 0.0
    for n, lab, v in samples:
        if name is not None and n != name:
            continue
        if name_re is not None and not re.search(name_re, n):
            continue
        if all(lab.get(k) == v for k, v in labels.items()):
            total += v
    return total


# ---- waiting ---------------------------------------------------------------------------
def wait_for(pred, timeout, interval=0.2, what="condition"):
    """Poll pred() until it returns a truthy value (returned) or the bounded timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.0f s waiting for %s (last: %r)"
                                 % (timeout, what, last))
        time.sleep(interval)


# ---- assertions on dnspython replies ------------------------------------------------------
def _show(r):
    return "\n" + r.to_text()


def assert_flags(r):
    """An authoritative answer: QR=1, AA=1, RA=0, TC=0."""
    assert r.flags & dns.flags.QR, "QR not set" + _show(r)
    assert r.flags & dns.flags.AA, "AA not set" + _show(r)
    assert not r.flags & dns.flags.RA, "RA set" + _show(r)
    assert not r.flags & dns.flags.TC, "TC set" + _show(r)


def _zone_of(qname):
    q = dns.name.from_text(qname)
    best = None
    for z in ZONES:
        zn = dns.name.from_text(z)
        if q.is_subdomain(zn) and (best is None or len(zn) > len(best)):
            best = zn
    return best


def assert_soa_authority(r, qname):
    """The authority section holds exactly the zone's SOA (negative answers)."""
    zone = _zone_of(qname)
    soa = [rrs for rrs in r.authority if rrs.rdtype == dns.rdatatype.SOA]
    assert len(soa) == 1 and len(soa[0]) == 1, "no single SOA in authority" + _show(r)
    assert soa[0].name == zone, "SOA owner %s, expected %s" % (soa[0].name, zone) + _show(r)


def assert_a(r, qname, code, ttl=60):
    assert r.rcode() == dns.rcode.NOERROR, "rcode %s, expected NOERROR" % dns.rcode.to_text(r.rcode()) + _show(r)
    assert_flags(r)
    assert len(r.answer) == 1, "expected one answer RRset" + _show(r)
    rrs = r.answer[0]
    assert rrs.rdtype == dns.rdatatype.A, _show(r)
    assert rrs.name == dns.name.from_text(qname), "owner %s, expected %s" % (rrs.name, qname) + _show(r)
    assert [rd.to_text() for rd in rrs] == [code], "A %s, expected %s" % (
        [rd.to_text() for rd in rrs], code) + _show(r)
    if ttl is not None:
        assert rrs.ttl == ttl, "TTL %d, expected %d" % (rrs.ttl, ttl) + _show(r)


def assert_txt_first_seen(r, qname, first_seen):
    assert r.rcode() == dns.rcode.NOERROR, _show(r)
    assert_flags(r)
    assert len(r.answer) == 1 and r.answer[0].rdtype == dns.rdatatype.TXT, _show(r)
    assert r.answer[0].name == dns.name.from_text(qname), _show(r)
    got = [b"".join(rd.strings) for rd in r.answer[0]]
    assert got == [b"first_seen=%d" % first_seen], "TXT %r, expected first_seen=%d" % (
        got, first_seen) + _show(r)


def assert_nxdomain(r, qname):
    assert r.rcode() == dns.rcode.NXDOMAIN, "rcode %s, expected NXDOMAIN" % dns.rcode.to_text(r.rcode()) + _show(r)
    assert_flags(r)
    assert not r.answer, "answer in NXDOMAIN" + _show(r)
    assert_soa_authority(r, qname)


def assert_nodata(r, qname):
    assert r.rcode() == dns.rcode.NOERROR, "rcode %s, expected NOERROR (NODATA)" % dns.rcode.to_text(r.rcode()) + _show(r)
    assert_flags(r)
    assert not r.answer, "answer in NODATA" + _show(r)
    assert_soa_authority(r, qname)


def assert_cname_dot(r, qname, ttl=60):
    """RPZ hit: qname CNAME . (owner = qname, also for wildcard synthesis)."""
    assert r.rcode() == dns.rcode.NOERROR, "rcode %s, expected NOERROR with CNAME" % dns.rcode.to_text(r.rcode()) + _show(r)
    assert_flags(r)
    assert len(r.answer) == 1, "expected one CNAME RRset" + _show(r)
    rrs = r.answer[0]
    assert rrs.rdtype == dns.rdatatype.CNAME, _show(r)
    assert rrs.name == dns.name.from_text(qname), "owner %s, expected %s" % (rrs.name, qname) + _show(r)
    assert [rd.to_text() for rd in rrs] == ["."], _show(r)
    if ttl is not None:
        assert rrs.ttl == ttl, _show(r)
