"""TSIG interop with BIND named: our signed requests are accepted by BIND, and every message
of BIND's signed multi-message AXFR verifies with our streaming verifier (lib/tsig.c).

The helper tests/tools/tsigtool (built by meson) signs the request, talks to named on
127.0.0.1 and prints key=value results. named runs in the foreground on a kernel-chosen
port with a config written into a temporary directory; the key clauses live in a separate
BIND key file that named includes and tsigtool reads with keyfile.c (-k).

Env: NODD_BUILD = meson build dir (default "build", relative to the repo root).
"""
import os
import shutil
import socket
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.path.join(ROOT, os.environ.get("NODD_BUILD", "build"))
TSIGTOOL = os.path.join(BUILD, "tests", "tools", "tsigtool")
NAMED = shutil.which("named") or ("/usr/sbin/named" if os.path.exists("/usr/sbin/named") else None)
DIG = shutil.which("dig")

ZONE = "interop.example"
NRECORDS = 3000
SECRET256 = "a2V5LXNlY3JldC1mb3Itbm9kZC11bml0LXRlc3RzLTI1Ng=="
SECRET512 = ("c2VjcmV0LWZvci1ub2RkLXRzaWctdW5pdC10ZXN0cy1obWFjLXNoYTUxMi1rZXktbWF0"
             "ZXJpYWwhIQ==")
WRONG256 = "d3Jvbmctc2VjcmV0LWZvci10aGUtc2FtZS1rZXktbmFtZQ=="

pytestmark = pytest.mark.skipif(NAMED is None, reason="BIND named is not installed (apt install bind9)")


def free_port():
    """A port free for both TCP and UDP on 127.0.0.1, chosen by the kernel."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        port = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", port))
        except OSError:
            t.close()
            continue
        t.close()
        u.close()
        return port
    raise RuntimeError("no free port")


def write_config(d, port):
    with open(os.path.join(d, "keys.conf"), "w") as f:
        f.write('// TSIG keys shared by named and tsigtool -k\n'
                'key "xfr-key" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n'
                '# the sha512 key, as registries publish them\n'
                'key xfr-512 { algorithm hmac-sha512; secret "%s"; };\n' % (SECRET256, SECRET512))
    with open(os.path.join(d, ZONE + ".zone"), "w") as f:
        f.write("$ORIGIN %s.\n$TTL 300\n" % ZONE)
        f.write("@ SOA ns hostmaster 2024010101 3600 600 86400 300\n")
        f.write("@ NS ns\nns A 127.0.0.1\n")
        for i in range(NRECORDS):
            f.write("host%d A 10.%d.%d.%d\n" % (i, (i >> 16) & 255, (i >> 8) & 255, i & 255))
    with open(os.path.join(d, "named.conf"), "w") as f:
        f.write('''options {
	directory "%(d)s";
	listen-on port %(p)d { 127.0.0.1; };
	listen-on-v6 { none; };
	pid-file "%(d)s/named.pid";
	session-keyfile "%(d)s/session.key";
	managed-keys-directory "%(d)s";
	recursion no;
	dnssec-validation no;
	notify no;
};
controls { };
include "%(d)s/keys.conf";
zone "%(z)s" {
	type primary;
	file "%(z)s.zone";
	allow-transfer { key xfr-key; key xfr-512; };
};
''' % {"d": d, "p": port, "z": ZONE})


@pytest.fixture(scope="module")
def named(tmp_path_factory):
    if not os.path.exists(TSIGTOOL):
        pytest.fail("%s not built: run ninja -C %s (NODD_BUILD selects the build dir)"
                    % (TSIGTOOL, BUILD))
    d = str(tmp_path_factory.mktemp("named"))
    port = free_port()
    write_config(d, port)
    log = open(os.path.join(d, "named.log"), "w")
    cmd = [NAMED, "-g", "-n", "1", "-c", os.path.join(d, "named.conf")]
    if os.geteuid() == 0:
        cmd[1:1] = ["-u", "root"]  # root stays root; no bind user needed in the tmp dir
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=d)
    ready = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            out = subprocess.run([DIG or "dig", "@127.0.0.1", "-p", str(port), ZONE, "SOA",
                                  "+short", "+time=1", "+tries=1"],
                                 capture_output=True, text=True, timeout=5).stdout
        except (subprocess.TimeoutExpired, FileNotFoundError):
            out = ""
        if "2024010101" in out:
            ready = True
            break
        time.sleep(0.2)
    if not ready:
        proc.kill()
        proc.wait(timeout=10)
        log.close()
        with open(os.path.join(d, "named.log")) as f:
            pytest.fail("named did not become ready:\n" + f.read()[-3000:])
    yield {"port": port, "dir": d}
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    log.close()


def tsigtool(named, *args, key=None, keyfile=False):
    cmd = [TSIGTOOL]
    if keyfile:
        cmd += ["-k", os.path.join(named["dir"], "keys.conf")]
    else:
        cmd += ["-y", key or ("hmac-sha256:xfr-key:" + SECRET256)]
    cmd += list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    res = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    res["rc"] = r.returncode
    res["stderr"] = r.stderr
    return res


def axfr(named, *opts, **kw):
    return tsigtool(named, *opts, "axfr", "127.0.0.1", str(named["port"]), ZONE, **kw)


def query(named, *opts, qtype="SOA", **kw):
    return tsigtool(named, *opts, "query", "127.0.0.1", str(named["port"]), ZONE, qtype, **kw)


def test_bind_multi_message_axfr_verifies_hmac_sha256(named):
    r = axfr(named)
    assert r["rc"] == 0, r
    assert r["verdict"] == "ok"
    assert int(r["messages"]) > 1, "zone too small to span several messages: %s" % r
    assert r["signed"] == r["messages"], "BIND signs every message"
    assert int(r["records"]) == NRECORDS + 4  # SOA, NS, ns A, hosts, SOA


def test_bind_multi_message_axfr_verifies_hmac_sha512_from_key_file(named):
    # keys.conf's first key is xfr-key; make a one-key file for the sha512 key.
    path = os.path.join(named["dir"], "k512.conf")
    with open(path, "w") as f:
        f.write('key "xfr-512" {\n  algorithm hmac-sha512;\n  secret "%s";\n};\n' % SECRET512)
    r = subprocess.run([TSIGTOOL, "-k", path, "axfr", "127.0.0.1", str(named["port"]), ZONE],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verdict=ok" in r.stdout
    assert "records=%d" % (NRECORDS + 4) in r.stdout


def test_key_file_shared_with_named(named):
    """A key file in named's format verifies named's signed AXFR."""
    r = axfr(named, keyfile=True)
    assert r["rc"] == 0 and r["verdict"] == "ok", r


def test_tampered_message_fails_verification(named):
    r = axfr(named, "-t", "1")
    assert r["rc"] == 1, r
    assert r["verdict"] == "BADSIG"
    assert r["messages"] == "2", "detected at the tampered message"


def test_bind_accepts_our_signed_query_tcp_and_udp(named):
    for opts in ([], ["-u"]):
        r = query(named, *opts)
        assert r["rc"] == 0, (opts, r)
        assert r["rcode"] == "0", "NOERROR, not NOTAUTH"
        assert r["signed"] == "1" and r["verdict"] == "ok"
        assert r["records"] == "1"


def test_bind_refuses_unsigned_transfer(named):
    # The ACL is what makes "accepted" above meaningful.
    if not DIG:
        pytest.skip("dig not installed")
    out = subprocess.run([DIG, "@127.0.0.1", "-p", str(named["port"]), ZONE, "AXFR",
                          "+time=5", "+tries=1"], capture_output=True, text=True,
                         timeout=30).stdout
    assert "Transfer failed" in out, out


def test_wrong_secret_gets_unsigned_badsig(named):
    r = axfr(named, key="hmac-sha256:xfr-key:" + WRONG256)
    assert r["rc"] == 1
    assert r["verdict"] == "peer BADSIG", r
    assert r["rcode"] == "9" and r["tsig_error"] == "16"


def test_unknown_key_gets_badkey(named):
    r = axfr(named, key="hmac-sha256:no-such-key:" + SECRET256)
    assert r["verdict"] == "peer BADKEY", r
    assert r["tsig_error"] == "17"


def test_algorithm_mismatch_gets_badkey(named):
    r = axfr(named, key="hmac-sha512:xfr-key:" + SECRET256)
    assert r["verdict"] == "peer BADKEY", r


def test_clock_skew_gets_signed_badtime_with_server_time(named):
    before = int(time.time())
    r = query(named, "-s", "-1000")
    after = int(time.time())
    assert r["verdict"] == "peer BADTIME", r
    assert r["rcode"] == "9" and r["tsig_error"] == "18"
    # Other Data carries named's clock: the same host, so it lies between our readings.
    assert before - 2 <= int(r["server_time"]) <= after + 2, r
