"""Bulk generation of a large local CT log for benchmarks (ctlog.py --generate N).

Owns: the certificate templates and the parallel generator. It must not serve anything.

Why templates: CertificateBuilder costs about 0.4 ms per certificate in Python, too slow
for a million entries. Each template is a real TBSCertificate built once by
CertificateBuilder, with one 8-character token in every name (SAN dNSNames and CN) and a
16-byte serial; an entry is made by replacing the token (same length, so no DER length
changes) and the serial, and signing the patched TBS with the CA key again (ECDSA P-256,
about 50 us). So every generated certificate and precertificate is a real, validly
signed one, with names no other entry has:

- precert entries (every entry where floor((i+1)*ratio) > floor(i*ratio); odd indexes at
  ratio 0.5): the precert TBS (no poison) in the leaf, and the precertificate (the same TBS
  with the critical poison, signed) in the TileLeaf / extra_data;
- x509 entries: the same TBS shapes without poison, signed; separate issuances (their
  names differ from every precert's), without SCT lists.

Names: token = 3 characters from the log name + the index in base 36 (5 characters), so
logs of one state directory do not share names; the shapes (SHAPES) vary the number of
names (1-4), wildcards, www/mail/api labels and TLDs, including a two-label ICANN suffix
(co.uk) and a private suffix (github.io). Timestamps are now - N ms + index.
Speed: about 10,000 entries/s with --jobs 2 on a busy 2-core machine (a million entries,
about 600 MB, in under two minutes); loading that log to serve it takes seconds.
"""
import hashlib
import multiprocessing
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctcerts  # noqa: E402
from ctcerts import PRECERT_ENTRY, X509_ENTRY  # noqa: E402

TOKEN = b"qzqzqzqz"
SERIAL = b"\x5a" + b"\xa5" * 15
SHAPES = [
    (["{t}.com", "www.{t}.com"], "{t}.com"),
    (["{t}.net"], "{t}.net"),
    (["*.{t}.de", "{t}.de"], "*.{t}.de"),
    (["{t}.co.uk", "www.{t}.co.uk", "mail.{t}.co.uk"], "{t}.co.uk"),
    (["api.{t}.io"], None),
    (["{t}.org", "www.{t}.org", "{t}.xyz", "www.{t}.xyz"], "{t}.org"),
    (["shop.{t}.app", "{t}.app"], "shop.{t}.app"),
    (["{t}.github.io"], "{t}.github.io"),
]
B36 = "0123456789abcdefghijklmnopqrstuvwxyz"

_G = {}


def b36(n, width):
    out = ""
    for _ in range(width):
        n, r = divmod(n, 36)
        out = B36[r] + out
    return out


def _templates(ca):
    """[(tbs without poison, tbs with poison, token count)] per shape."""
    out = []
    for names, cn in SHAPES:
        t = TOKEN.decode()
        iss = ctcerts.Issuance(ca, [n.format(t=t) for n in names],
                               cn.format(t=t) if cn else None, (),
                               serial=int.from_bytes(SERIAL, "big"))
        plain = iss.precert_tbs()
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        poison = iss.base().add_extension(x509.PrecertPoison(), critical=True).sign(
            ca.key, hashes.SHA256()).tbs_certificate_bytes
        want = len(names) + (1 if cn else 0)
        for tbs in (plain, poison):
            if tbs.count(TOKEN) != want or tbs.count(b"\x02\x10" + SERIAL) != 1:
                raise RuntimeError("template token or serial not unique")
        out.append((plain, poison))
    return out


def _patch(tbs, token, serial):
    return tbs.replace(TOKEN, token).replace(b"\x02\x10" + SERIAL, b"\x02\x10" + serial)


def _chunk(bounds, ctx=None):
    lo, hi = bounds
    ctx = ctx or _G
    ca, tpl, salt, ratio, leaf_index = (ctx[k] for k in ("ca", "tpl", "salt", "ratio", "leaf_index"))
    ts0 = ctx.get("ts0")
    out = []
    for i in range(lo, hi):
        token = (salt + b36(i, 5)).encode()
        serial = b"\x5a" + hashlib.sha256(token + b"serial").digest()[:15]
        plain, poison = tpl[(i // 2) % len(tpl)]
        ext = ctcerts.leaf_index_ext(i) if leaf_index else b""
        ts = ts0 + i if ts0 is not None else int(time.time() * 1000)
        tbs = _patch(plain, token, serial)
        if int((i + 1) * ratio) > int(i * ratio):
            pre_tbs = _patch(poison, token, serial)
            precert = ctcerts.der_cert(pre_tbs, ca.sign_tbs(pre_tbs))
            out.append(ctcerts.tile_leaf(ts, PRECERT_ENTRY, tbs, ext, ca, precert))
        else:
            cert = ctcerts.der_cert(tbs, ca.sign_tbs(tbs))
            out.append(ctcerts.tile_leaf(ts, X509_ENTRY, cert, ext, ca))
    return out


def _context(log, ratio):
    salt = b36(int.from_bytes(hashlib.sha256(log.name.encode()).digest()[:4], "big"), 3)
    return dict(ca=log.ca, tpl=_templates(log.ca), salt=salt, ratio=ratio,
                leaf_index=log.leaf_index)


def grow(log, count, ratio=0.5):
    """Append `count` generated entries to a running log (timestamps now), in this
    process; the names continue the generated series of that log. Returns the first index."""
    ctx = getattr(log, "_gen_ctx", None)
    if ctx is None or ctx["ratio"] != ratio:
        ctx = log._gen_ctx = _context(log, ratio)
    with log.lock:
        return log.append_records(_chunk((log.size, log.size + count), ctx))


def generate(state_dir, name, count, ratio=0.5, jobs=1, progress=None, chunk=2000):
    """Append generated entries to log `name` of `state_dir` until it has `count`."""
    import ctlog
    log = ctlog.Log(state_dir, name, publish="manual")
    if log.size >= count:
        return log
    _G.update(_context(log, ratio), ts0=int(time.time() * 1000) - count)
    bounds = [(lo, min(lo + chunk, count)) for lo in range(log.size, count, chunk)]
    started = time.time()
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(max(1, jobs)) as pool:
        for n, records in enumerate(pool.imap(_chunk, bounds)):
            log.append_records(records)
            if progress and (n % 50 == 49 or n == len(bounds) - 1):
                progress.write("%s: %d/%d entries, %.0f/s\n" % (
                    name, log.size, count, (log.size - bounds[0][0]) / (time.time() - started)))
                progress.flush()
    log.publish()
    return log
