#!/usr/bin/python3
"""Writes the fixtures of the ct unit tests (test_ct_*.c) into this folder: real DER
certificates and precertificate TBSs made by python3-cryptography, RFC 6962 leaves and a
static-ct-api data tile, Merkle roots and proofs computed here independently of ct/merkle.c,
signed tree heads and a checkpoint (ECDSA P-256 and RSA 2048), and a log list v3.

The output is committed; run it again (/usr/bin/python3 gen.py, from this folder) after
changing it. Keys are random each run, so every file changes together.

    certs.json     the certificates and leaves (hex) with the names and keys the tests expect
    merkle.json    leaf hashes, roots of sizes 1..9, inclusion and consistency proofs
    sth.json       log keys, get-sth bodies (good and bad), checkpoint, key IDs
    loglist.json   a log list with every state, a tiled log and broken logs

It also writes the named seeds of tests/fuzz/corpus/{ctleaf,ctjson,loglist} (the ctjson
ones signed with a key derived from a constant, whose public half fuzz_ctjson.c holds).
"""
import base64
import datetime
import hashlib
import json
import os

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = datetime.datetime(2026, 1, 1)
b64 = lambda b: base64.b64encode(b).decode()
u = lambda n, v: v.to_bytes(n, "big")


def der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def spki(key):
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


ca_key = ec.generate_private_key(ec.SECP256R1())
leaf_key = ec.generate_private_key(ec.SECP256R1())
ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "nodd test CA")])


def builder(serial, subject, sans):
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(ca_name)
         .public_key(leaf_key.public_key()).serial_number(serial)
         .not_valid_before(NOW).not_valid_after(NOW + datetime.timedelta(days=90)))
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return b


def cn(*names):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, n) for n in names])


# x509: SAN and CN cases; the expected names in the order ct_names_extract gives them
names_cert = builder(1001, x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example-NRD.com"),
                                      x509.NameAttribute(NameOID.COMMON_NAME, "Example Corp"),
                                      x509.NameAttribute(NameOID.COMMON_NAME, "second.Example.ORG")]), [
    x509.DNSName("Example-NRD.com"),
    x509.DNSName("*.example-nrd.com"),
    x509.DNSName("xn--bcher-kva.example"),
    x509.DNSName("xn--a.example"),
    x509.DNSName("xn--ls8h.example"),
    x509.DNSName("xn--bcher-kva-.example"),
    x509.DNSName("www.Example-NRD.com."),
    x509.DNSName("192.0.2.7"),
    x509.DNSName("*.*.example.net"),
    x509.DNSName("under_score.example"),
    x509.DNSName("localhost"),
    x509.IPAddress(__import__("ipaddress").ip_address("192.0.2.1")),
]).sign(ca_key, hashes.SHA256())
names_expected = ["example-nrd.com", "xn--bcher-kva.example", "www.example-nrd.com",
                  "second.example.org"]

cn_only = builder(1002, cn("OnlyCN.Example.NET"), None).sign(ca_key, hashes.SHA256())

# one issuance: the precertificate TBS (no poison) and the final certificate (with SCTs)
pre_sans = [x509.DNSName("shop.newdomain.co.uk"), x509.DNSName("*.user.github.io")]
pre_subject = cn("shop.newdomain.co.uk")
precert = builder(0x0123456789abcdef, pre_subject, pre_sans) \
    .add_extension(x509.PrecertPoison(), critical=True).sign(ca_key, hashes.SHA256())
tbs = builder(0x0123456789abcdef, pre_subject, pre_sans).sign(ca_key, hashes.SHA256()) \
    .tbs_certificate_bytes
sct = bytes(40)
final = builder(0x0123456789abcdef, pre_subject, pre_sans).add_extension(
    x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2"),
                               b"\x04" + bytes([len(sct) + 2]) + u(2, len(sct)) + sct),
    critical=False).sign(ca_key, hashes.SHA256())
assert final.tbs_precertificate_bytes == tbs
pre_expected = ["shop.newdomain.co.uk", "user.github.io"]
issuer_key_hash = hashlib.sha256(spki(ca_key)).digest()


def ext_leaf_index(i):
    return b"\x00" + u(2, 5) + u(5, i)


def entry(ts, cert=None, tbs_=None, ext=b""):
    """TimestampedEntry from the timestamp through the extensions."""
    if cert is not None:
        body = u(2, 0) + u(3, len(cert)) + cert
    else:
        body = u(2, 1) + issuer_key_hash + u(3, len(tbs_)) + tbs_
    return u(8, ts) + body + u(2, len(ext)) + ext


def leaf(ts, **kw):
    return b"\x00\x00" + entry(ts, **kw)


def leaf_hash(li):
    return hashlib.sha256(b"\x00" + li).digest()


leaves = {
    "names": leaf(1767225600000, cert=der(names_cert)),
    "cn_only": leaf(1767225600001, cert=der(cn_only)),
    "final": leaf(1767225600002, cert=der(final)),
    "precert": leaf(1767225600003, tbs_=tbs),
}
# a static-ct-api data tile: the final certificate at index 256, the precert at 257
chain = hashlib.sha256(der(final)).digest()  # any 32 bytes stand for a chain fingerprint
tile_entries = [entry(1767225600002, cert=der(final), ext=ext_leaf_index(256)),
                entry(1767225600003, tbs_=tbs, ext=ext_leaf_index(257))]
tile = (tile_entries[0] + u(2, 32) + chain +
        tile_entries[1] + u(3, len(der(precert))) + der(precert) + u(2, 0))

certs = {
    "names_cert": der(names_cert).hex(), "names_expected": names_expected,
    "cn_only": der(cn_only).hex(),
    "precert_tbs": tbs.hex(), "final_cert": der(final).hex(), "precert_full": der(precert).hex(),
    "pre_expected": pre_expected,
    "dedup_key": hashlib.sha256(
        final.issuer.public_bytes() + u(8, 0x0123456789abcdef)).hexdigest(),
    "issuer_key_hash": issuer_key_hash.hex(),
    "leaves": {k: v.hex() for k, v in leaves.items()},
    "leaf_hashes": {k: leaf_hash(v).hex() for k, v in leaves.items()},
    "tile": tile.hex(),
    "tile_hashes": [leaf_hash(b"\x00\x00" + t).hex() for t in tile_entries],
    "get_entries": json.dumps({"entries": [
        {"leaf_input": b64(leaves["final"]), "extra_data": b64(u(3, 0))},
        {"leaf_input": b64(leaves["precert"]),
         "extra_data": b64(u(3, len(der(precert))) + der(precert) + u(3, 0))}]}),
}


# ---- Merkle tree, written from RFC 6962 2.1 as recursion, unlike ct/merkle.c ----
def mth(hs):
    if len(hs) == 0:
        return hashlib.sha256(b"").digest()
    if len(hs) == 1:
        return hs[0]
    k = 1
    while k * 2 < len(hs):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(hs[:k]) + mth(hs[k:])).digest()


def path(m, hs):
    if len(hs) <= 1:
        return []
    k = 1
    while k * 2 < len(hs):
        k *= 2
    if m < k:
        return path(m, hs[:k]) + [mth(hs[k:])]
    return path(m - k, hs[k:]) + [mth(hs[:k])]


def subproof(m, hs, b):
    n = len(hs)
    if m == n:
        return [] if b else [mth(hs)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, hs[:k], b) + [mth(hs[k:])]
    return subproof(m - k, hs[k:], False) + [mth(hs[:k])]


mleaves = [leaf_hash(("leaf %d" % i).encode()) for i in range(9)]
merkle = {
    "leaf_hashes": [h.hex() for h in mleaves],
    "roots": [mth(mleaves[:n]).hex() for n in range(0, 10)],
    "inclusion": [{"index": i, "size": n, "path": [h.hex() for h in path(i, mleaves[:n])]}
                  for n in range(1, 10) for i in range(n)],
    "consistency": [{"m": m, "n": n, "proof": [h.hex() for h in subproof(m, mleaves[:n], True)]}
                    for n in range(1, 10) for m in range(1, n + 1)],
}

# ---- log keys, signed tree heads, a checkpoint ----
ec_log = ec.generate_private_key(ec.SECP256R1())
rsa_log = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ec_p384 = ec.generate_private_key(ec.SECP384R1())


def sign(key, msg):
    if isinstance(key, rsa.RSAPrivateKey):
        return b"\x04\x01" + (lambda s: u(2, len(s)) + s)(
            key.sign(msg, padding.PKCS1v15(), hashes.SHA256()))
    return b"\x04\x03" + (lambda s: u(2, len(s)) + s)(key.sign(msg, ec.ECDSA(hashes.SHA256())))


def tree_head_input(ts, size, root):
    return b"\x00\x01" + u(8, ts) + u(8, size) + root


def sth(key, ts, size, root, signed_size=None):
    sig = sign(key, tree_head_input(ts, size if signed_size is None else signed_size, root))
    return json.dumps({"tree_size": size, "timestamp": ts, "sha256_root_hash": b64(root),
                       "tree_head_signature": b64(sig)})


root9 = mth(mleaves)
origin = "log.example/2026h1"
ec_id = hashlib.sha256(spki(ec_log)).digest()
keyid = hashlib.sha256(origin.encode() + b"\n\x05" + ec_id).digest()[:4]
cp_ts = 1767225601234
cp_sig = keyid + u(8, cp_ts) + sign(ec_log, tree_head_input(cp_ts, 9, root9))
other = keyid[::-1] + u(8, cp_ts) + bytes(40)
cp_body = "%s\n9\n%s\n\n" % (origin, b64(root9))
checkpoint = (cp_body + "\u2014 grease.invalid %s\n" % b64(os.urandom(40)) +
              "\u2014 %s %s\n" % (origin, b64(other)) +
              "\u2014 %s %s\n" % (origin, b64(cp_sig)))
bad_sig = bytearray(cp_sig)
bad_sig[-5] ^= 1
sthj = {
    "ec_key": b64(spki(ec_log)), "ec_log_id": ec_id.hex(),
    "rsa_key": b64(spki(rsa_log)), "p384_key": b64(spki(ec_p384)),
    "root9": root9.hex(),
    "ec_good": sth(ec_log, 1767225600999, 9, root9),
    "ec_bad": sth(ec_log, 1767225600999, 9, root9, signed_size=8),
    "rsa_good": sth(rsa_log, 1767225600999, 9, root9),
    "rsa_bad": sth(rsa_log, 1767225600999, 9, root9, signed_size=10),
    "origin": origin, "keyid": keyid.hex(), "checkpoint_ts": cp_ts,
    "checkpoint": checkpoint,
    "checkpoint_badsig": cp_body + "\u2014 %s %s\n" % (origin, b64(bytes(bad_sig))),
    "checkpoint_unsigned": cp_body + "\u2014 grease.invalid %s\n" % b64(os.urandom(40)),
}

# ---- a log list v3 ----
def log(desc, key, state, tiled=False, log_id=None, extra_state=None):
    d = {"description": desc, "log_id": b64(log_id or hashlib.sha256(spki(key)).digest()),
         "key": b64(spki(key)), "mmd": 86400,
         "state": {state: dict({"timestamp": "2026-01-01T00:00:00Z"}, **(extra_state or {}))}}
    if tiled:
        d["submission_url"] = "https://log.example/2026h1/"
        d["monitoring_url"] = "https://mon.example/2026h1"
    else:
        d["url"] = "https://ct.example/%s/" % desc
    return d


keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(10)]
loglist = {"version": "3.0", "log_list_timestamp": "2026-01-01T00:00:00Z", "operators": [
    {"name": "One", "email": ["ct@example"], "logs": [
        log("usable", keys[0], "usable"),
        log("qualified", keys[1], "qualified"),
        log("readonly", keys[2], "readonly",
            extra_state={"final_tree_head": {"sha256_root_hash": b64(root9), "tree_size": 9}}),
        log("retired", keys[3], "retired"),
        log("bad-log-id", keys[4], "usable", log_id=hashlib.sha256(b"other").digest()),
    ], "tiled_logs": [log("tiled", keys[5], "usable", tiled=True)]},
    {"name": "Two", "logs": [
        log("rejected", keys[6], "rejected"),
        log("pending", keys[7], "pending"),
        log("unknown-state", keys[8], "frozen"),
        log("duplicate", keys[0], "usable"),
        {"description": "no key", "url": "https://ct.example/x/", "state": {"usable": {}}},
        log("rsa", rsa_log, "usable"),
    ]},
]}

for name, obj in (("certs", certs), ("merkle", merkle), ("sth", sthj)):
    with open(os.path.join(HERE, name + ".json"), "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
with open(os.path.join(HERE, "loglist.json"), "w") as f:
    json.dump(loglist, f, indent=1)
    f.write("\n")

# ---- seed corpora of the fuzz targets (tests/fuzz/corpus/{ctleaf,ctjson,loglist}) ----
# ctjson verifies with a fixed key: derived here from a constant, its SPKI in fuzz_ctjson.c.
fuzz_log = ec.derive_private_key(0x6e6f6464, ec.SECP256R1())
fuzz_id = hashlib.sha256(spki(fuzz_log)).digest()
fuzz_kid = hashlib.sha256(origin.encode() + b"\n\x05" + fuzz_id).digest()[:4]
fuzz_cp = cp_body + "\u2014 grease.invalid %s\n" % b64(bytes(40)) + "\u2014 %s %s\n" % (
    origin, b64(fuzz_kid + u(8, cp_ts) + sign(fuzz_log, tree_head_input(cp_ts, 9, root9))))
incl = [h.hex() for h in path(8, mleaves)]
seeds = {
    "ctleaf": {"leaf_names": b"\x00" + leaves["names"], "leaf_precert": b"\x00" + leaves["precert"],
               "leaf_cn_only": b"\x00" + leaves["cn_only"], "tile": b"\x01" + tile,
               "name_wildcard": b"\x02*.Example-NRD.co.uk.", "name_idn": b"\x02www.xn--bcher-kva.ch",
               "tbs": b"\x03" + tbs},
    "ctjson": {
        "sth": b"\x00" + sth(fuzz_log, 1767225600999, 9, root9).encode(),
        "checkpoint": b"\x01" + fuzz_cp.encode(),
        "entries": b"\x02" + certs["get_entries"].encode(),
        "entry_and_proof": b"\x03" + json.dumps({
            "leaf_input": b64(leaves["final"]), "extra_data": "",
            "audit_path": [b64(bytes.fromhex(h)) for h in incl]}).encode(),
        "consistency": b"\x07" + json.dumps({"consistency": [
            b64(h) for h in subproof(3, mleaves, True)]}).encode(),
    },
    "loglist": {"loglist": json.dumps(loglist).encode()},
}
for target, files in seeds.items():
    d = os.path.join(HERE, "..", "..", "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
