"""The local CT test log (tests/ct) checked by code that is not its own: certspotter 0.16
(Debian) reads its RFC 6962 side and must report exactly the names each entry was given;
the static-ct-api side is checked against the spec's tile path vectors and by verifying
the checkpoint and recomputing the root from tiles here, with a separate tree and parser;
proofs are verified with the RFC 9162 algorithms; the fault knobs and the RDAP server do
what their API says. No nodd involved."""
import base64
import glob
import gzip
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_public_key
from cryptography import x509

CT_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "ct")
sys.path.insert(0, CT_DIR)
import ctgen  # noqa: E402
import ctlog  # noqa: E402
import merkle  # noqa: E402
import rdap  # noqa: E402


@pytest.fixture
def logs(tmp_path):
    started = []

    def make(name="a", **kw):
        log = ctlog.start(str(tmp_path / "ct"), name, **kw)
        started.append(log)
        return log
    yield make
    for log in started:
        log.stop()


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {"User-Agent": "nodd-test (t@nodd.test)"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


def get_json(url):
    status, _, body = get(url)
    assert status == 200, (url, status, body)
    return json.loads(body)


def post(url, obj):
    req = urllib.request.Request(url, json.dumps(obj).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


# --- independent checks (no code shared with tests/ct) -----------------------------------

def h(data):
    return hashlib.sha256(data).digest()


def mth(leaves):
    """RFC 6962 MTH over a list of leaf hashes."""
    if not leaves:
        return h(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return h(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 section 2.1.3.2."""
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = h(b"\x01" + p + r)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = h(b"\x01" + r + p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def verify_consistency(first, second, root1, root2, proof):
    """RFC 9162 section 2.1.4.2."""
    if first == second:
        return not proof and root1 == root2
    if first & (first - 1) == 0:
        proof = [root1] + proof
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = h(b"\x01" + c + fr), h(b"\x01" + c + sr)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = h(b"\x01" + sr + c)
        fn, sn = fn >> 1, sn >> 1
    return fr == root1 and sr == root2 and sn == 0


def verify_tree_head(key_b64, size, ts, root, digitally_signed):
    assert digitally_signed[:2] == b"\x04\x03"  # SHA-256, ECDSA
    n = struct.unpack(">H", digitally_signed[2:4])[0]
    assert len(digitally_signed) == 4 + n
    signed = b"\x00\x01" + struct.pack(">QQ", ts, size) + root
    load_der_public_key(base64.b64decode(key_b64)).verify(
        digitally_signed[4:], signed, ec.ECDSA(hashes.SHA256()))


def parse_tile_leaves(data):
    """static-ct-api TileLeaf records -> dicts with leaf_input and the parts."""
    out, pos = [], 0

    def take(n):
        nonlocal pos
        pos += n
        return data[pos - n:pos]
    while pos < len(data):
        start = pos
        ts, et = struct.unpack(">QH", take(10))
        rec = {"timestamp": ts, "entry_type": et}
        if et == 1:
            rec["issuer_key_hash"] = take(32)
        rec["body"] = take(int.from_bytes(take(3), "big"))
        rec["extensions"] = take(struct.unpack(">H", take(2))[0])
        rec["leaf_input"] = b"\x00\x00" + data[start:pos]
        if et == 1:
            rec["precert"] = take(int.from_bytes(take(3), "big"))
        fps = take(struct.unpack(">H", take(2))[0])
        rec["chain"] = [fps[i:i + 32] for i in range(0, len(fps), 32)]
        out.append(rec)
    return out


def der_tlv(data, at):
    """(tag, value) of the DER element at `at`."""
    tag, n, at = data[at], data[at + 1], at + 2
    if n & 0x80:
        n, at = int.from_bytes(data[at:at + (n & 0x7f)], "big"), at + (n & 0x7f)
    return tag, data[at:at + n]


def parse_checkpoint(text):
    body, _, sigs = text.partition("\n\n")
    origin, size, root = body.split("\n")
    lines = sigs.rstrip("\n").split("\n")
    assert len(lines) == 1 and lines[0].startswith("\u2014 ")
    name, sig = lines[0][2:].split(" ")
    sig = base64.b64decode(sig)
    return origin, int(size), base64.b64decode(root), name, sig


# --- certspotter -------------------------------------------------------------------------

def certspotter_state(state):
    found = glob.glob(os.path.join(state, "logs", "*", "state.json"))
    if not found:
        return {}
    try:
        with open(found[0]) as f:
            return json.load(f)
    except ValueError:
        return {}  # being written


def stop(proc):
    """SIGTERM by PID, SIGKILL if still running after 10 s; the exit status."""
    proc.terminate()
    deadline = time.time() + 10
    while proc.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    if proc.poll() is None:
        proc.kill()
    return proc.wait(5)


def run_certspotter(tmp, log_list, done, timeout=30):
    """certspotter 0.16 on `log_list` until done(state_dict, stderr_text), then SIGTERM.
    Returns (state, stdout, stderr, [certs/*.v1.json dicts with their file name])."""
    if not shutil.which("certspotter"):
        pytest.fail("certspotter is not installed (Makefile TEST_PKGS)")
    os.makedirs(tmp / "home", exist_ok=True)
    (tmp / "watch.txt").write_text(".\n")
    out, err = open(tmp / "cs.out", "wb"), open(tmp / "cs.err", "wb")
    proc = subprocess.Popen(["certspotter", "-logs", str(log_list), "-watchlist",
                             str(tmp / "watch.txt"), "-stdout", "-verbose", "-state_dir",
                             str(tmp / "state")], stdout=out, stderr=err,
                            env=dict(os.environ, HOME=str(tmp / "home")))
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            state = certspotter_state(str(tmp / "state"))
            if done(state, (tmp / "cs.err").read_text()):
                break
            time.sleep(0.1)
        else:
            pytest.fail("certspotter did not get there in %ds: %s" % (timeout, (tmp / "cs.err").read_text()))
    finally:
        stop(proc)
        out.close()
        err.close()
    certs = []
    for path in glob.glob(str(tmp / "state" / "certs" / "*" / "*.v1.json")):
        with open(path) as f:
            item = json.load(f)
        item["sha256"] = os.path.basename(path)[:64]
        certs.append(item)
    return (certspotter_state(str(tmp / "state")), (tmp / "cs.out").read_text(),
            (tmp / "cs.err").read_text(), certs)


def cs_errors(err):
    """certspotter's error lines, without the one SIGTERM itself causes."""
    return [l for l in err.splitlines() if "error" in l and "context canceled" not in l]


def verified_size(size):
    return lambda state, err: state.get("verified_position", {}).get("size") == size


def logged_cert_sha256(log, index):
    """SHA-256 of the certificate or precertificate of an entry (certspotter's file name)."""
    leaf_input, extra = log.entry(index)
    if leaf_input[10:12] == b"\x00\x00":
        n = int.from_bytes(leaf_input[12:15], "big")
        return h(leaf_input[15:15 + n]).hex()
    n = int.from_bytes(extra[:3], "big")
    return h(extra[3:3 + n]).hex()


NAME_CASES = [
    # (add() keywords, certspotter dns_names, certspotter ip_addresses)
    (dict(names=["Example-NRD.test", "*.example-nrd.test", "xn--bcher-kva.test"],
          cn="example-nrd.test", ips=["192.0.2.1"]),
     {"example-nrd.test", "*.example-nrd.test", "xn--bcher-kva.test"}, {"192.0.2.1"}),
    (dict(names=["Pre-Only.TEST"], kind="precert"), {"pre-only.test"}, set()),
    (dict(names=["issued.example", "www.issued.example"], cn="issued.example", kind="both"),
     {"issued.example", "www.issued.example"}, set()),
    (dict(cn="CN-Only.test"), {"cn-only.test"}, set()),
    (dict(names=["xn--a.test", "192.0.2.9"], cn="10.0.0.1", ips=["2001:db8::1"]),
     {"xn--a.test"}, {"192.0.2.9", "10.0.0.1", "2001:db8::1"}),
    (dict(names=["*.wild.test"], cn=["first.test", "Second.test"], kind="precert"),
     {"*.wild.test", "first.test", "second.test"}, set()),
]


def test_certspotter_reports_the_names_of_certs_and_precerts(logs, tmp_path):
    log = logs(cap=3)
    expected = {}
    for kw, names, ips in NAME_CASES:
        out = log.add(**kw)
        indexes = [out["index"]] + ([out["final"]["index"]] if "final" in out else [])
        for i in indexes:
            expected[logged_cert_sha256(log, i)] = (names, ips, kw.get("kind", "cert"), i)
    assert log.size == 7
    ctlog.write_log_list(str(tmp_path / "list.json"), [log])
    state, _, err, certs = run_certspotter(tmp_path, tmp_path / "list.json", verified_size(7))
    assert cs_errors(err) == []
    assert state["verified_sth"]["tree_size"] == 7
    got = {c["sha256"]: (set(c["dns_names"]), set(c["ip_addresses"])) for c in certs}
    assert got == {k: v[:2] for k, v in expected.items()}
    # the precertificate and the final certificate of one issuance: one TBS
    both = [c["tbs_sha256"] for c in certs if "issued.example" in c["dns_names"]]
    assert len(both) == 2 and both[0] == both[1]
    # short answers of at most 3: certspotter asks 0..999, then from each next start
    starts = [r["path"] for r in log.requests() if r["path"].startswith("ct/v1/get-entries")]
    assert starts == ["ct/v1/get-entries?start=%d&end=%d" % (s, s + 999) for s in (0, 3, 6)]
    assert all(r["user_agent"] is None for r in log.requests())  # certspotter 0.16 sends none


def test_names_are_written_as_given(logs):
    log = logs()
    names = ["B\u00fccher.test", "UPPER.test", "a" * 70 + ".test", "bad name.test", "*.*.x.test"]
    i = log.add(names, cn="\u00fc.test")["index"]
    leaf = log.entry(i)[0]
    der = leaf[15:15 + int.from_bytes(leaf[12:15], "big")]
    for n in names:  # IA5String, the bytes as given (UTF-8 for the U-label)
        raw = n.encode()
        assert bytes([0x82, len(raw)]) + raw in der, n
    assert b"\x0c\x07\xc3\xbc.test" in der  # the CN as a UTF8String


def test_certspotter_reads_a_generated_log(tmp_path):
    state_dir = str(tmp_path / "ct")
    ctgen.generate(state_dir, "gen", 600, ratio=0.5, jobs=2)
    log = ctlog.start(state_dir, "gen")
    try:
        assert log.size == log.published == 600
        ctlog.write_log_list(str(tmp_path / "list.json"), [log])
        state, _, err, certs = run_certspotter(tmp_path, tmp_path / "list.json", verified_size(600))
        assert cs_errors(err) == []
        by_sha = {c["sha256"]: c for c in certs}
        assert len(by_sha) == 600
        salt = ctgen.b36(int.from_bytes(hashlib.sha256(b"gen").digest()[:4], "big"), 3)
        for i in range(600):
            names, cn = ctgen.SHAPES[(i // 2) % len(ctgen.SHAPES)]
            token = salt + ctgen.b36(i, 5)
            want = {n.format(t=token) for n in names} | ({cn.format(t=token)} if cn else set())
            assert set(by_sha[logged_cert_sha256(log, i)]["dns_names"]) == want, i
            assert (log.entry(i)[0][10:12] == b"\x00\x01") == (i % 2 == 1)
    finally:
        log.stop()


def test_generated_certificates_are_signed_by_the_test_ca(tmp_path):
    state_dir = str(tmp_path / "ct")
    log = ctgen.generate(state_dir, "gen", 40, ratio=0.5, jobs=1)
    ca = x509.load_pem_x509_certificate(open(os.path.join(state_dir, "ca.pem"), "rb").read())
    serials = set()
    for i in range(40):
        leaf_input, extra = log.entry(i)
        if i % 2:
            cert = x509.load_der_x509_certificate(extra[3:3 + int.from_bytes(extra[:3], "big")])
            tbs = leaf_input[47:47 + int.from_bytes(leaf_input[44:47], "big")]
            assert any(e.oid.dotted_string == "1.3.6.1.4.1.11129.2.4.3" and e.critical
                       for e in cert.extensions)
            assert len(tbs) < len(cert.tbs_certificate_bytes)  # the poison removed
        else:
            cert = x509.load_der_x509_certificate(leaf_input[15:15 + int.from_bytes(leaf_input[12:15], "big")])
        ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))
        serials.add(cert.serial_number)
    assert len(serials) == 40


def test_certspotter_rejects_a_bad_sth_signature(logs, tmp_path):
    log = logs()
    log.add(["signed.test"])
    log.fault(bad_signature="sth")
    ctlog.write_log_list(str(tmp_path / "list.json"), [log])
    state, _, err, certs = run_certspotter(
        tmp_path, tmp_path / "list.json", lambda s, e: "invalid signature" in e)
    assert "STH returned by server has invalid signature" in err
    assert certs == [] and "verified_position" not in state


def test_certspotter_rejects_entries_that_do_not_match_the_root(logs, tmp_path):
    log = logs()
    for i in range(4):
        log.add(["m%d.test" % i])
    log.fault(alter={2: ["evil.test"]})
    ctlog.write_log_list(str(tmp_path / "list.json"), [log])
    state, _, err, _ = run_certspotter(tmp_path, tmp_path / "list.json",
                                       lambda s, e: "root hash" in e)
    assert "error verifying" in err
    assert state.get("verified_position", {}).get("size", 0) == 0


def test_tile_paths_follow_the_spec_vectors():
    vectors = {0: "000", 5: "005", 999: "999", 1000: "x001/000", 1234067: "x001/x234/067",
               1999001: "x001/x999/001", 256000000: "x256/x000/000"}
    for n, path in vectors.items():
        assert merkle.tile_index_path(n) == path
        assert merkle.parse_tile_index(path.split("/")) == n
    for bad in ("1234", "x001", "001/000", "x1/000", "x001/00a", ""):
        assert merkle.parse_tile_index(bad.split("/")) is None, bad
    # partial widths: floor(s / 256^l) mod 256
    assert merkle.tile_width(0, 1, 300) == 44 and merkle.tile_width(1, 0, 300) == 1
    assert merkle.tile_width(0, 0, 300) == 256 and merkle.tile_width(0, 2, 300) == 0
    assert merkle.tile_width(2, 0, 70000) == 1 and merkle.tile_width(1, 0, 70000) == 256
    assert merkle.tile_width(1, 1, 70000) == 17


def make_300(tmp_path):
    """A log of 300 entries: 290 generated, then certs, precerts and one issuance in both."""
    state_dir = str(tmp_path / "ct")
    ctgen.generate(state_dir, "t", 290, ratio=0.5, jobs=1)
    log = ctlog.start(state_dir, "t", publish="manual")
    for i in range(4):
        log.add(["late%d.test" % i], kind="precert" if i % 2 else "cert")
    for i in range(3):
        log.add(["both%d.test" % i], kind="both")
    log.publish()
    assert log.size == 300
    return log


def test_checkpoint_and_tiles_give_the_signed_root(tmp_path):
    log = make_300(tmp_path)
    try:
        entry = log.list_entry(tiled=True)
        assert entry["submission_url"] == entry["monitoring_url"] == log.url
        status, headers, body = get(log.url + "checkpoint")
        assert status == 200 and headers["Content-Type"].startswith("text/plain")
        origin, size, root, name, sig = parse_checkpoint(body.decode())
        assert origin == name == log.url[len("http://"):].rstrip("/") and size == 300
        log_id = h(base64.b64decode(entry["key"]))
        assert base64.b64decode(entry["log_id"]) == log_id
        assert sig[:4] == h(origin.encode() + b"\x0a\x05" + log_id)[:4]
        ts = struct.unpack(">Q", sig[4:12])[0]
        verify_tree_head(entry["key"], size, ts, root, sig[12:])
        sth = get_json(log.url + "ct/v1/get-sth")  # the same tree head over RFC 6962
        assert (sth["tree_size"], sth["timestamp"], base64.b64decode(sth["sha256_root_hash"])) == (size, ts, root)

        level0 = get(log.url + "tile/0/000")[2] + get(log.url + "tile/0/001.p/44")[2]
        assert len(level0) == 300 * 32
        leaves = [level0[i:i + 32] for i in range(0, len(level0), 32)]
        assert mth(leaves) == root
        assert get(log.url + "tile/1/000.p/1")[2] == mth(leaves[:256])
        for missing in ("tile/0/001", "tile/0/001.p/45", "tile/1/000", "tile/0/002.p/1",
                        "tile/data/001", "tile/0/001.p/0", "tile/0/1", "tile/6/000"):
            assert get(log.url + missing)[0] == 404, missing

        data = get(log.url + "tile/data/000")[2] + get(log.url + "tile/data/001.p/44")[2]
        records = parse_tile_leaves(data)
        assert [h(b"\x00" + r["leaf_input"]) for r in records] == leaves
        for i, r in enumerate(records):
            assert r["extensions"] == b"\x00\x00\x05" + i.to_bytes(5, "big")
            assert r["leaf_input"] == log.entry(i)[0]
        assert {r["entry_type"] for r in records} == {0, 1}
        fps = {fp for r in records for fp in r["chain"]}
        assert len(fps) == 1
        status, headers, issuer = get(log.url + "issuer/" + fps.pop().hex())
        assert status == 200 and headers["Content-Type"] == "application/pkix-cert"
        assert h(issuer) == records[0]["chain"][0]
        ikh = h(x509.load_der_x509_certificate(issuer).public_key().public_bytes(
            Encoding.DER, PublicFormat.SubjectPublicKeyInfo))
        assert all(r["issuer_key_hash"] == ikh for r in records if r["entry_type"] == 1)

        log.fault(gzip_tiles=True)
        status, headers, raw = get(log.url + "tile/data/000")
        assert headers.get("Content-Encoding") == "gzip" and gzip.decompress(raw) == data[:len(gzip.decompress(raw))]
        assert parse_tile_leaves(gzip.decompress(raw)) == records[:256]
    finally:
        log.stop()


def test_rfc6962_proofs_and_entries(tmp_path):
    log = make_300(tmp_path)
    try:
        root300 = base64.b64decode(get_json(log.url + "ct/v1/get-sth")["sha256_root_hash"])
        leaves = [h(b"\x00" + log.entry(i)[0]) for i in range(300)]
        for first in (1, 100, 256, 299, 300):
            proof = [base64.b64decode(p) for p in get_json(
                log.url + "ct/v1/get-sth-consistency?first=%d&second=300" % first)["consistency"]]
            assert verify_consistency(first, 300, mth(leaves[:first]), root300, proof), first
            assert not verify_consistency(first, 300, mth(leaves[:first]), h(b"x"), proof)
        for index in (0, 137, 255, 256, 299):
            leaf = base64.b64encode(leaves[index]).decode()
            got = get_json(log.url + "ct/v1/get-proof-by-hash?tree_size=300&hash=" + urllib.request.quote(leaf))
            assert got["leaf_index"] == index
            path = [base64.b64decode(p) for p in got["audit_path"]]
            assert verify_inclusion(index, 300, leaves[index], path, root300)
            got = get_json(log.url + "ct/v1/get-entry-and-proof?tree_size=200&leaf_index=%d" % min(index, 199))
            path = [base64.b64decode(p) for p in got["audit_path"]]
            assert verify_inclusion(min(index, 199), 200, h(b"\x00" + base64.b64decode(got["leaf_input"])),
                                    path, mth(leaves[:200]))
        roots = get_json(log.url + "ct/v1/get-roots")["certificates"]
        assert len(roots) == 1
        # get-entries: end clamped to the tree and to the cap; nothing at or past the size
        got = get_json(log.url + "ct/v1/get-entries?start=298&end=5000")["entries"]
        assert [base64.b64decode(e["leaf_input"]) for e in got] == [log.entry(298)[0], log.entry(299)[0]]
        assert get(log.url + "ct/v1/get-entries?start=300&end=300")[0] == 400
        assert get(log.url + "ct/v1/get-entries?start=5&end=4")[0] == 400
        log.fault(cap=64)
        assert len(get_json(log.url + "ct/v1/get-entries?start=10&end=999")["entries"]) == 64
        log.fault(align=True)
        assert len(get_json(log.url + "ct/v1/get-entries?start=10&end=999")["entries"]) == 54
        # extra_data: the chain, and for precerts the precertificate first
        leaf_input, extra = log.entry(1)
        assert leaf_input[10:12] == b"\x00\x01"
        n = int.from_bytes(extra[:3], "big")
        pre = x509.load_der_x509_certificate(extra[3:3 + n])
        chain = extra[3 + n:]
        assert int.from_bytes(chain[:3], "big") == len(chain) - 3
        assert chain[6:] == base64.b64decode(roots[0])
        assert pre.issuer == x509.load_der_x509_certificate(chain[6:]).subject
    finally:
        log.stop()


def test_faults_and_request_log(logs):
    log = logs()
    for i in range(5):
        log.add(["f%d.test" % i])
    root5 = log.root(5)
    log.fault(status={"code": 429, "count": 2, "retry_after": 7, "match": "get-entries"})
    assert get(log.url + "ct/v1/get-sth")[0] == 200
    for _ in range(2):
        status, headers, _ = get(log.url + "ct/v1/get-entries?start=0&end=1")
        assert status == 429 and headers["Retry-After"] == "7"
    assert get(log.url + "ct/v1/get-entries?start=0&end=1")[0] == 200
    log.fault(status={"code": 503, "count": 1, "retry_after": 120, "date": True})
    status, headers, _ = get(log.url + "checkpoint")
    import email.utils
    when = email.utils.parsedate_to_datetime(headers["Retry-After"]).timestamp()
    assert status == 503 and 100 < when - time.time() <= 121
    assert get(log.url + "checkpoint")[0] == 200
    log.fault(status={"code": 503, "count": None, "match": "get-sth"})
    assert [get(log.url + "ct/v1/get-sth")[0] for _ in range(3)] == [503] * 3
    assert "Retry-After" not in get(log.url + "ct/v1/get-sth")[1]
    log.fault(status=None)
    reqs = log.requests(clear=True)
    assert [r["status"] for r in reqs] == [200, 429, 429, 200, 503, 200] + [503] * 4
    assert {r["user_agent"] for r in reqs} == {"nodd-test (t@nodd.test)"}
    assert log.requests() == []

    # a correctly signed, smaller tree head
    log.fault(shrink_to=3)
    sth = get_json(log.url + "ct/v1/get-sth")
    assert sth["tree_size"] == 3 and base64.b64decode(sth["sha256_root_hash"]) == log.root(3)
    verify_tree_head(log.key_b64, 3, sth["timestamp"], log.root(3),
                     base64.b64decode(sth["tree_head_signature"]))
    _, size, root, _, sig = parse_checkpoint(get(log.url + "checkpoint")[2].decode())
    assert size == 3 and root == log.root(3)
    # a correctly signed head dated an hour earlier than it was published
    published = get_json(log.url + "ct/v1/get-sth")["timestamp"]
    log.fault(shrink_to=None, time_shift=-3600 * 1000)
    sth = get_json(log.url + "ct/v1/get-sth")
    assert sth["timestamp"] == published - 3600 * 1000 and sth["tree_size"] == 5
    verify_tree_head(log.key_b64, 5, sth["timestamp"], root5,
                     base64.b64decode(sth["tree_head_signature"]))
    _, size, root, _, sig = parse_checkpoint(get(log.url + "checkpoint")[2].decode())
    assert struct.unpack(">Q", sig[4:12])[0] == sth["timestamp"]
    verify_tree_head(log.key_b64, size, sth["timestamp"], root, sig[12:])
    log.fault(time_shift=0, bad_signature="checkpoint")
    sth = get_json(log.url + "ct/v1/get-sth")
    verify_tree_head(log.key_b64, 5, sth["timestamp"], root5, base64.b64decode(sth["tree_head_signature"]))
    _, size, root, _, sig = parse_checkpoint(get(log.url + "checkpoint")[2].decode())
    with pytest.raises(Exception):
        verify_tree_head(log.key_b64, size, struct.unpack(">Q", sig[4:12])[0], root, sig[12:])

    # altered entries: served leaves no longer give the signed root
    log.fault(bad_signature=False, alter={3: ["evil.test"]})
    served = [base64.b64decode(e["leaf_input"]) for e in
              get_json(log.url + "ct/v1/get-entries?start=0&end=4")["entries"]]
    assert mth([h(b"\x00" + li) for li in served]) != root5
    assert served[3][:12] == log.entry(3)[0][:12] and b"evil.test" in served[3]
    tile = parse_tile_leaves(get(log.url + "tile/data/000.p/5")[2])
    assert tile[3]["leaf_input"] == served[3] and tile[3]["extensions"][-1] == 3
    assert get(log.url + "tile/0/000.p/5")[2][96:128] != h(b"\x00" + served[3])
    log.fault(reset=True)
    assert mth([h(b"\x00" + log.entry(i)[0]) for i in range(5)]) == root5
    log.fault(partial_404=True)
    assert get(log.url + "tile/0/000.p/5")[0] == 404


def test_two_logs_share_one_issuance_and_reload(tmp_path):
    state_dir = str(tmp_path / "ct")
    a = ctlog.start(state_dir, "a", publish="manual")
    b = ctlog.start(state_dir, "b", server=a.server)
    out = a.add(["shared.test"], kind="both", final_log=b)
    assert out["index"] == 0 and out["final"] == {"log": "b", "index": 0}
    assert a.published == 0 and b.published == 1  # a publishes on request
    assert get_json(a.url + "ct/v1/get-sth")["tree_size"] == 0
    a.publish()
    assert get_json(a.url + "ct/v1/get-sth")["tree_size"] == 1
    pre_leaf = a.entry(0)[0]
    pre_tbs = pre_leaf[47:47 + int.from_bytes(pre_leaf[44:47], "big")]
    final_leaf = b.entry(0)[0]
    final_der = final_leaf[15:15 + int.from_bytes(final_leaf[12:15], "big")]
    final = x509.load_der_x509_certificate(final_der)
    assert final.tbs_precertificate_bytes == pre_tbs
    # the SCT list holds a's SCT for the precert entry, signed over that entry
    oid = bytes.fromhex("060a2b06010401d679020402")
    tag, outer = der_tlv(final_der, final_der.index(oid) + len(oid))
    assert tag == 0x04
    tag, tls = der_tlv(outer, 0)
    assert tag == 0x04
    assert struct.unpack(">HH", tls[:4]) == (len(tls) - 2, len(tls) - 4)
    sct = tls[4:]
    ext_len = struct.unpack(">H", sct[41:43])[0]
    assert sct[0] == 0 and sct[1:33] == base64.b64decode(a.log_id_b64)
    assert sct[33:41] == pre_leaf[2:10] and sct[43:43 + ext_len] == b"\x00\x00\x05" + bytes(5)
    ds = sct[43 + ext_len:]
    signed = b"\x00\x00" + pre_leaf[2:]
    assert ds[:2] == b"\x04\x03" and len(ds) == 4 + struct.unpack(">H", ds[2:4])[0]
    load_der_public_key(base64.b64decode(a.key_b64)).verify(ds[4:], signed, ec.ECDSA(hashes.SHA256()))
    root_a, key_a = a.root(), a.key_b64
    a.stop()
    again = ctlog.start(state_dir, "a", publish="manual")
    try:
        assert (again.size, again.published, again.root(), again.key_b64) == (1, 1, root_a, key_a)
    finally:
        again.stop()


def test_program_control_endpoint_and_log_list(tmp_path):
    proc = subprocess.Popen([sys.executable, os.path.join(CT_DIR, "ctlog.py"), "--state",
                             str(tmp_path / "ct"), "--port", "0", "--logs", "p,q", "--log-list",
                             str(tmp_path / "list.json"), "--publish", "manual"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        info = json.loads(proc.stdout.readline())
        assert info["pid"] == proc.pid and set(info["logs"]) == {"p", "q"}
        p, q = info["logs"]["p"], info["logs"]["q"]
        out = post(p + "control/add", {"names": ["ctl.test"], "kind": "both", "final_log": "q"})
        assert out["index"] == 0 and out["final"] == {"log": "q", "index": 0}
        assert get_json(p + "control/state")["published"] == 0
        post(p + "control/publish", {})
        post(q + "control/publish", {})
        state = get_json(p + "control/state")
        assert state["size"] == state["published"] == 1
        assert post(p + "control/fault", {"cap": 7})["cap"] == 7
        get(p + "ct/v1/get-sth")
        assert [r["path"] for r in get_json(p + "control/requests")] == ["ct/v1/get-sth"]
        assert post(q + "control/grow", {"count": 3})["index"] == 1
        assert get_json(q + "control/state")["size"] == 4
        doc = json.load(open(tmp_path / "list.json"))
        listed = doc["operators"][0]["logs"]
        assert sorted(e["url"] for e in listed) == sorted([p, q])
        for e in listed:
            assert base64.b64decode(e["log_id"]) == h(base64.b64decode(e["key"]))
            assert list(e["state"]) == ["usable"]
    finally:
        assert stop(proc) == 0


def test_program_grows_its_logs_at_a_rate(tmp_path):
    proc = subprocess.Popen([sys.executable, os.path.join(CT_DIR, "ctlog.py"), "--state",
                             str(tmp_path / "ct"), "--port", "0", "--logs", "g1,g2", "--rate", "200"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        urls = json.loads(proc.stdout.readline())["logs"]
        deadline = time.time() + 20
        while min(get_json(u + "ct/v1/get-sth")["tree_size"] for u in urls.values()) < 100:
            assert time.time() < deadline
            time.sleep(0.1)
        for u in urls.values():
            got = get_json(u + "ct/v1/get-entries?start=0&end=99")["entries"]
            types = [base64.b64decode(e["leaf_input"])[10:12] for e in got]
            assert types == [b"\x00\x00", b"\x00\x01"] * 50
    finally:
        assert stop(proc) == 0


def test_log_list_states(logs, tmp_path):
    a, b, c = logs("a"), logs("b"), logs("c")
    a.add(["ro.test"])
    doc = ctlog.write_log_list(str(tmp_path / "list.json"), [
        a.list_entry(state="readonly", tiled=True), b, c.list_entry(state="retired", description="C")])
    op = doc["operators"][0]
    assert json.load(open(tmp_path / "list.json")) == doc
    (ro,) = op["tiled_logs"]
    assert ro["state"]["readonly"]["final_tree_head"] == {
        "tree_size": 1, "sha256_root_hash": base64.b64encode(a.root(1)).decode()}
    assert "url" not in ro and ro["monitoring_url"] == a.url
    assert [(list(e["state"]), e["url"]) for e in op["logs"]] == [(["usable"], b.url), (["retired"], c.url)]
    assert op["logs"][1]["description"] == "C"


def test_rdap_server_answers_from_its_table(tmp_path):
    srv = rdap.start()
    try:
        srv.set("recent.test", rdap.registered(3600))
        srv.set("old.test", rdap.registered(86400 * 400))
        srv.set("bare.test", rdap.no_events())
        srv.set("busy.test", rdap.throttled(9), rdap.throttled(30, date=True), rdap.registered(60))
        base = srv.url
        got = get_json(base + "domain/RECENT.test.")
        assert got["objectClassName"] == "domain" and got["ldhName"] == "RECENT.TEST"
        (reg,) = [e for e in got["events"] if e["eventAction"] == "registration"]
        import datetime
        when = datetime.datetime.strptime(reg["eventDate"], "%Y-%m-%dT%H:%M:%SZ")
        age = datetime.datetime.utcnow() - when
        assert datetime.timedelta(minutes=59) < age < datetime.timedelta(minutes=62)
        old = get_json(base + "domain/old.test")["events"][0]["eventDate"]
        assert old < (datetime.datetime.utcnow() - datetime.timedelta(days=399)).strftime("%Y-%m-%d")
        assert "events" not in get_json(base + "domain/bare.test")
        status, headers, body = get(base + "domain/unknown.test")
        assert status == 404 and headers["Content-Type"] == "application/rdap+json"
        assert json.loads(body)["errorCode"] == 404
        status, headers, _ = get(base + "domain/busy.test")
        assert status == 429 and headers["Retry-After"] == "9"
        status, headers, _ = get(base + "domain/busy.test")
        import email.utils
        assert status == 429 and email.utils.parsedate_to_datetime(headers["Retry-After"])
        for _ in range(2):  # the last answer stays
            assert get(base + "domain/busy.test")[0] == 200
        post(base + "control/set", {"domain": "later.test", "answers": [rdap.not_found(), rdap.registered(5)]})
        assert [get(base + "domain/later.test")[0] for _ in range(3)] == [404, 200, 200]
        reqs = get_json(base + "control/requests?clear=1")
        assert [r["status"] for r in reqs] == [200, 200, 200, 404, 429, 429, 200, 200, 404, 200, 200]
        assert reqs[0]["domain"] == "RECENT.test." and reqs[0]["user_agent"] == "nodd-test (t@nodd.test)"
        assert srv.requests() == []
        doc = rdap.write_bootstrap(str(tmp_path / "dns.json"), {"test": base, "Example": base, "org": "http://x.invalid/"})
        assert json.load(open(tmp_path / "dns.json")) == doc
        assert doc["version"] == "1.0"
        assert sorted(map(tuple, (tuple(s[0]) for s in doc["services"]))) == [("example", "test"), ("org",)]
        assert [s[1] for s in doc["services"] if "test" in s[0]] == [[base]]
    finally:
        srv.stop()


def test_rsa_log_signs_tree_heads_with_pkcs1(logs):
    from cryptography.hazmat.primitives.asymmetric import padding
    log = logs("r", key="rsa")
    log.add(["rsa.test"])
    sth = get_json(log.url + "ct/v1/get-sth")
    sig = base64.b64decode(sth["tree_head_signature"])
    assert sig[:2] == b"\x04\x01" and len(sig) == 4 + 256
    signed = b"\x00\x01" + struct.pack(">QQ", sth["timestamp"], 1) + log.root(1)
    load_der_public_key(base64.b64decode(log.key_b64)).verify(
        sig[4:], signed, padding.PKCS1v15(), hashes.SHA256())
    _, _, _, _, csig = parse_checkpoint(get(log.url + "checkpoint")[2].decode())
    assert csig[12:14] == b"\x04\x01"


def test_rdap_program_writes_the_bootstrap_and_serves(tmp_path):
    boot = tmp_path / "dns.json"
    proc = subprocess.Popen([sys.executable, os.path.join(CT_DIR, "rdap.py"), "--port", "0",
                             "--bootstrap", str(boot), "--tlds", "test,example"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        info = json.loads(proc.stdout.readline())
        assert info["pid"] == proc.pid and info["url"] == "http://127.0.0.1:%d/" % info["port"]
        assert json.load(open(boot))["services"] == [[["example", "test"], [info["url"]]]]
        post(info["url"] + "control/set", {"domain": "x.example", "answers": [rdap.no_events()]})
        assert get_json(info["url"] + "domain/x.example")["ldhName"] == "X.EXAMPLE"
        assert get(info["url"] + "domain/y.example")[0] == 404
        assert get(info["url"] + "nameserver/ns.example")[0] == 400
    finally:
        assert stop(proc) == 0
