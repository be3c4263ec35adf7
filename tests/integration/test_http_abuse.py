"""The HTTP listener against hostile clients: idle connection floods, descriptor
exhaustion, large unauthenticated bodies, and browser requests (cross-origin writes, DNS
rebinding), plus the bearer token nodd makes when none is configured."""
import os
import socket
import stat
import subprocess
import time

import dns.rcode
import pytest

import nodd_harness as h
from nodd_harness import DNSBL


def bl(name):
    return "%s.%s" % (name, DNSBL)


def _connect_many(port, count):
    """Open count TCP connections to port (those the server closes stay in the list)."""
    socks = []
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(("127.0.0.1", port))
        except OSError:
            s.close()
            continue
        socks.append(s)
    return socks


def _close_all(socks):
    for s in socks:
        s.close()


def _rss_kib(n):
    with open("/proc/%d/status" % n.proc.pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def _read_reply(s, timeout=5.0):
    """The status code and the bytes of one HTTP reply read from s; raises on timeout."""
    s.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    assert data.startswith(b"HTTP/1.1 "), data
    return int(data.split()[1]), data


def test_idle_http_connections_do_not_stop_dns_over_tcp(nodd_factory):
    """300 idle HTTP connections against a nodd limited to 256 descriptors: the HTTP caps
    hold them off, DNS over TCP still answers, and nothing floods the log."""
    n = nodd_factory(start=False, name="nodd (http flood)")
    n.nofile = 256
    n.start()
    idle = _connect_many(n.http_port, 300)
    try:
        time.sleep(1.0)
        r = n.query(bl("test"), "A", tcp=True, timeout=5.0)
        assert r.rcode() == dns.rcode.NOERROR
        assert n.alive()
    finally:
        _close_all(idle)
    log = n.log_text()
    assert "Error from accept" not in log, n.log_tail()
    assert log.count("http: cannot accept connections") <= 1, n.log_tail()
    assert log.count("http: connection limit reached") == 1, n.log_tail()
    h.wait_for(lambda: n.api("GET", "/api/v1/status")[0] == 200, 10, 0.2,
               "the API answers again once the idle clients are gone")
    assert h.metric_sum(n.metrics(), "nodd_http_connections_refused_total") >= 300 - 32


def test_descriptor_exhaustion_pauses_the_listener_once(nodd_factory):
    """With the caps above the descriptor limit, accept() runs out of descriptors: nodd
    logs one line for the episode (not one per failed accept), and accepts again once the
    clients are gone."""
    n = nodd_factory(start=False, name="nodd (fd exhaustion)",
                     server={"http-clients": 1000, "http-clients-per-ip": 1000})
    n.nofile = 96
    n.start()
    idle = _connect_many(n.http_port, 150)
    try:
        h.wait_for(lambda: "http: cannot accept connections" in n.log_text(), 10, 0.2,
                   "the pause logged")
        time.sleep(3.0)  # several resume attempts while still out of descriptors
        assert n.alive()
    finally:
        _close_all(idle)
    h.wait_for(lambda: n.api("GET", "/api/v1/status")[0] == 200, 10, 0.2,
               "the listener accepts again")
    log = n.log_text()
    assert "Error from accept" not in log, n.log_tail()
    assert log.count("http: cannot accept connections") == 1, n.log_tail()
    assert h.metric_sum(n.metrics(), "nodd_http_accept_paused_total") >= 1


@pytest.mark.parametrize("configured", [False, True], ids=["generated-token", "http-token"])
def test_unauthenticated_body_is_refused_before_it_is_read(nodd_factory, configured):
    """A POST without the token announcing a 10 MB body is answered 401 as soon as its
    headers are in, the connection is closed, and nodd's memory does not grow by the body."""
    server = {"http-token": "s3cret-token"} if configured else {}
    n = nodd_factory(server=server, name="nodd (early 401)")
    size = 10 * 1000 * 1000
    rss0 = _rss_kib(n)
    for _ in range(3):
        s = socket.create_connection(("127.0.0.1", n.http_port), timeout=5)
        s.sendall(("POST /api/v1/observations HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                   "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                   % (n.http_port, size)).encode())
        code, _ = _read_reply(s)   # before a single byte of the body is sent
        assert code == 401
        closed = False
        sent = 0
        chunk = b"x" * 65536
        try:
            s.settimeout(5)
            while sent < size:
                s.sendall(chunk)
                sent += len(chunk)
            closed = s.recv(65536) == b""
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            closed = True
        s.close()
        assert closed and sent < size, "the server read the body (%d bytes sent)" % sent
    assert n.alive()
    assert _rss_kib(n) - rss0 < 8 * 1024, "RSS grew by %d KiB" % (_rss_kib(n) - rss0)
    assert n.lookup("x.se")[0] == 404


def test_cross_origin_text_plain_post_changes_nothing(nodd_factory):
    """A browser's cross-site form post (text/plain, a foreign Origin, the attacker's Host)
    lists nothing; each check refuses on its own even with the right token."""
    n = nodd_factory(name="nodd (csrf)")
    body = b'{"domain": "csrf.se", "source": "evil"}'
    evil = {"Content-Type": "text/plain", "Origin": "http://evil.example",
            "Host": "evil.example:%d" % n.http_port}
    st, _ = n.api("POST", "/api/v1/observations", raw=body, token="", headers=evil)
    assert st in (401, 403, 415, 421), st
    token = n.file_token()
    host = {"Host": "127.0.0.1:%d" % n.http_port}
    st, resp = n.api("POST", "/api/v1/observations", raw=body, token=token,
                     headers=dict(host, **{"Content-Type": "text/plain"}))
    assert st == 415, resp
    st, resp = n.api("POST", "/api/v1/observations", raw=body, token=token,
                     headers=dict(host, Origin="http://evil.example"))
    assert st == 403, resp
    st, resp = n.api("POST", "/api/v1/observations", raw=body, token=token,
                     headers={"Host": "evil.example:%d" % n.http_port})
    assert st == 421, resp
    assert n.lookup("csrf.se")[0] == 404
    assert n.query(bl("csrf.se"), "A").rcode() == dns.rcode.NXDOMAIN
    # the same request from the listener's own origin, with the token, is taken
    st, resp = n.api("POST", "/api/v1/observations", raw=body, token=token,
                     headers=dict(host, Origin="http://127.0.0.1:%d" % n.http_port))
    assert st == 200, resp
    assert n.lookup("csrf.se")[0] == 200


def test_wrong_host_is_refused(nodd_factory):
    """A Host that is neither an address nor a configured name is refused with 421 on
    every endpoint (DNS rebinding); addresses, localhost and server.http-hosts pass."""
    n = nodd_factory(server={"http-hosts": ["api.nodd.example"]}, name="nodd (host)")
    for path in ("/api/v1/status", "/api/v1/domains/x.se", "/metrics"):
        st, body = n.api("GET", path, headers={"Host": "rebind.attacker.example"})
        assert st == 421, (path, st, body)
    for host in ("127.0.0.1:%d" % n.http_port, "[::1]:8053", "localhost:8053",
                 "API.nodd.example:80", "api.nodd.example"):
        assert n.api("GET", "/api/v1/status", headers={"Host": host})[0] == 200, host


def test_generated_token_file_and_noddctl(nodd_factory):
    """Without server.http-token, nodd makes <database>.token (mode 0600), keeps it across
    a restart, refuses writes without it, and noddctl finds it through -c or --token-file."""
    n = nodd_factory(name="nodd (token file)")
    path = n.db + ".token"
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600
    token = n.file_token()
    assert token and len(token) == 64 and int(token, 16) >= 0
    st, _ = n.api("POST", "/api/v1/observations", {"domain": "nt.se"}, token="")
    assert st == 401
    r = n.noddctl("observe", "ctl-token.se")          # the harness passes -c <config>
    assert r.returncode == 0, r.stderr
    assert n.lookup("ctl-token.se")[0] == 200
    exe = h.noddctl_binary()
    url = "http://127.0.0.1:%d" % n.http_port
    env = {k: v for k, v in os.environ.items() if not k.startswith("NODD_")}
    r = subprocess.run([exe, "-s", url, "--token-file", path, "observe", "ctl-file.se"],
                       capture_output=True, text=True, timeout=60, env=env)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([exe, "-s", url, "observe", "ctl-none.se"], capture_output=True,
                       text=True, timeout=60, env=env)
    assert r.returncode == 1 and "bearer token" in r.stderr, (r.returncode, r.stderr)
    assert n.lookup("ctl-none.se")[0] == 404
    n.restart()
    assert n.file_token() == token
    n.observe("after-restart.se")
