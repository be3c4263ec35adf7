"""CT log list: logs that appear in and leave the list (ct.log-list, re-read on SIGHUP),
readonly logs read to their final tree head, a list fetched from a URL, and a list whose
detached signature is checked with ct.log-list-key (RSA and ECDSA keys made here with
python3-cryptography): taken when it verifies, refused (the last good list read on) when
it does not or is missing.

Each test starts its own log(s) and nodd (tests/ct/ctlog.py on test_ct.py's shared server);
waits are bounded."""
import contextlib
import os
import signal
import sys
import time

import nodd_harness as h
from test_ct import ct_status, ct_yaml, log_server, logs, wait_position  # noqa: F401

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ct"))
import ctlog  # noqa: E402


def list_of_a(logs, tmp_path, prefix):
    """log-a and log-b, one entry each (<prefix>-<name>.se), and a log list naming log-a
    alone: (a, b, path of the list)."""
    a = logs("a")
    b = logs("b", server=a.server)
    for lg in (a, b):
        lg.add(names=["%s-%s.se" % (prefix, lg.name)])
    ll = str(tmp_path / "log_list.json")
    ctlog.write_log_list(ll, [a.list_entry(description="log-a")])
    return a, b, ll


def test_log_added_to_and_removed_from_the_list(logs, nodd_factory, tmp_path):
    a, b, ll = list_of_a(logs, tmp_path, "in")
    n = nodd_factory(extra=ct_yaml([], log_list=ll))
    wait_position(n, "log-a", 1)
    assert "log-b" not in ct_status(n)
    ctlog.write_log_list(ll, [a.list_entry(description="log-a"),
                              b.list_entry(description="log-b")])
    n.send_signal(signal.SIGHUP)
    wait_position(n, "log-b", 1)
    assert n.lookup("in-b.se")[0] == 200
    ctlog.write_log_list(ll, [b.list_entry(description="log-b"),
                              a.list_entry(state="retired", description="log-a")])
    n.send_signal(signal.SIGHUP)
    h.wait_for(lambda: "log-a" not in ct_status(n), 10, what="log-a no longer followed")
    before = len(a.requests())
    a.add(names=["late-a.se"])
    time.sleep(1.5)
    assert len(a.requests()) == before and n.lookup("late-a.se")[0] == 404


def test_readonly_log_is_read_to_its_final_tree_head(logs, nodd_factory, tmp_path):
    a = logs("a")
    for i in range(3):
        a.add(names=["final%d.se" % i])
    ll = str(tmp_path / "log_list.json")
    ctlog.write_log_list(ll, [a.list_entry(state="readonly", description="log-a")])
    a.add(names=["beyond-final.se"])
    n = nodd_factory(extra=ct_yaml([], log_list=ll))
    st = h.wait_for(lambda: ct_status(n)["log-a"]["state"] == "drained" and ct_status(n)["log-a"],
                    20, what="log-a drained")
    assert st["position"] == 3
    assert n.lookup("final2.se")[0] == 200 and n.lookup("beyond-final.se")[0] == 404


@contextlib.contextmanager
def served(d):
    """The files of folder d over HTTP on loopback: yields the base URL (ends in /)."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                          functools.partial(Quiet, directory=str(d)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield "http://127.0.0.1:%d/" % srv.server_address[1]
    finally:
        srv.shutdown()
        srv.server_close()


def test_log_list_from_a_url(logs, nodd_factory, tmp_path):
    a = logs("a")
    a.add(names=["from-url.se"])
    d = tmp_path / "www"
    d.mkdir()
    ctlog.write_log_list(str(d / "log_list.json"), [a.list_entry(description="log-a")])
    with served(d) as base:
        url = base + "log_list.json"
        n = nodd_factory(extra=ct_yaml([], log_list=url))
        wait_position(n, "log-a", 1)
        assert n.lookup("from-url.se")[0] == 200
        assert ("ct: the log list %s is not authenticated" % url) in n.log_text()
        st = list_status(n)
        assert st["authenticated"] is False and st["signature"] is None, st


def list_key(tmp_path, kind):
    """A log list signing key (kind "rsa" or "ec"), its public PEM written to a file:
    (private key, path of the PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    key = (rsa.generate_private_key(65537, 2048) if kind == "rsa"
           else ec.generate_private_key(ec.SECP256R1()))
    pem = tmp_path / ("list-%s.pem" % kind)
    pem.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return key, str(pem)


def sign_list(path, key, out=None):
    """The detached signature of the file at path, as Chrome publishes log_list.sig: RSA
    PKCS#1 v1.5 (or ECDSA) with SHA-256 over its exact bytes, written to out (path.sig)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding
    data = open(path, "rb").read()
    sig = (key.sign(data, ec.ECDSA(hashes.SHA256())) if isinstance(key, ec.EllipticCurvePrivateKey)
           else key.sign(data, padding.PKCS1v15(), hashes.SHA256()))
    with open(out or path + ".sig", "wb") as f:
        f.write(sig)


def list_status(n):
    st, body = n.api("GET", "/api/v1/status")
    assert st == 200, body
    return body["ct_log_list"]


def test_signed_log_list_file_refused_when_its_signature_fails(logs, nodd_factory, tmp_path):
    """An RSA-signed list: taken when its signature verifies; a list changed after signing,
    or without its signature file, is refused and the logs of the last good list are read on."""
    key, pem = list_key(tmp_path, "rsa")
    a, b, ll = list_of_a(logs, tmp_path, "signed")
    sign_list(ll, key)
    n = nodd_factory(extra=ct_yaml([], log_list=ll) + "  log-list-key: %s\n" % pem)
    wait_position(n, "log-a", 1)
    st = list_status(n)
    assert st["authenticated"] is True and st["signature"] == ll + ".sig", st
    assert st["last_error"] is None and st["refused"] == 0 and st["last_read"] > 0, st
    assert "is not authenticated" not in n.log_text()
    # log-b added to the list, the signature of the old list left in place
    ctlog.write_log_list(ll, [a.list_entry(description="log-a"),
                              b.list_entry(description="log-b")])
    n.send_signal(signal.SIGHUP)
    st = h.wait_for(lambda: list_status(n)["refused"] == 1 and list_status(n), 10,
                    what="list refused")
    assert st["last_error"] == ("refused: signature %s.sig: does not verify with "
                                "ct.log-list-key" % ll), st
    assert h.metric_sum(n.metrics(), "nodd_ct_log_list_refused_total", reason="signature") == 1
    a.add(names=["still-a.se"])
    wait_position(n, "log-a", 2)
    assert "log-b" not in ct_status(n) and not b.requests()
    # no signature at all
    os.unlink(ll + ".sig")
    n.send_signal(signal.SIGHUP)
    st = h.wait_for(lambda: list_status(n)["refused"] == 2 and list_status(n), 10,
                    what="list refused")
    assert st["last_error"] == ("refused: signature {0}.sig: cannot read {0}.sig: No such "
                                "file or directory".format(ll)), st
    assert "log-b" not in ct_status(n) and "log-a" in ct_status(n)
    # signed: taken
    sign_list(ll, key)
    n.send_signal(signal.SIGHUP)
    wait_position(n, "log-b", 1)
    st = list_status(n)
    assert st["last_error"] is None and st["refused"] == 2, st
    assert n.lookup("signed-b.se")[0] == 200


def test_signed_log_list_from_a_url(logs, nodd_factory, tmp_path):
    """An ECDSA-signed list and its signature at a URL named by ct.log-list-signature."""
    key, pem = list_key(tmp_path, "ec")
    a = logs("a")
    a.add(names=["signed-url.se"])
    d = tmp_path / "www"
    d.mkdir()
    ctlog.write_log_list(str(d / "log_list.json"), [a.list_entry(description="log-a")])
    sign_list(str(d / "log_list.json"), key, out=str(d / "list-signature"))
    with served(d) as base:
        n = nodd_factory(extra=ct_yaml([], log_list=base + "log_list.json") +
                         "  log-list-key: %s\n  log-list-signature: %slist-signature\n"
                         % (pem, base))
        wait_position(n, "log-a", 1)
        st = list_status(n)
        assert st["signature"] == base + "list-signature" and st["refused"] == 0, st
        assert n.lookup("signed-url.se")[0] == 200
        assert "is not authenticated" not in n.log_text()
