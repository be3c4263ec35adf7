"""Certificates for the local CT test log: a test CA, certificates and precertificates
issued by it, SCT lists, and the TLS/DER encodings CT needs (RFC 6962 sections 3.1-3.4).

Owns: the CA (key and self-signed certificate kept in a state directory), building an
issuance (precertificate with the critical poison, the precert TBS without it, and the
final certificate carrying an SCT list), and the byte layouts of TileLeaf / MerkleTreeLeaf
/ extra_data. It must not know about trees, HTTP or log state.

Certificates are made with python3-cryptography's CertificateBuilder (about 0.4 ms each);
names are written as given (upper case, wildcards, invalid A-labels, IP-shaped names, and
U-labels as raw UTF-8 in the IA5String, which the builder would otherwise refuse). The bulk generator (Templates) patches fixed-length
tokens and the serial inside pre-built TBS templates and signs each TBS again with the CA
key, so every generated certificate is a real one with a valid signature.
"""
import datetime
import hashlib
import ipaddress
import os
import struct

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID

SCT_LIST_OID = x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")
X509_ENTRY, PRECERT_ENTRY = 0, 1
NOT_BEFORE = datetime.datetime.utcnow().replace(microsecond=0) - datetime.timedelta(days=1)
NOT_AFTER = NOT_BEFORE + datetime.timedelta(days=90)
ECDSA_SHA256_ALGID = bytes.fromhex("300a06082a8648ce3d040302")


def u8(n):
    return struct.pack(">B", n)


def u16(n):
    return struct.pack(">H", n)


def u24(n):
    return struct.pack(">I", n)[1:]


def u64(n):
    return struct.pack(">Q", n)


def der_len(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def der_cert(tbs, signature):
    """Certificate ::= SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING signature }."""
    return der(0x30, tbs + ECDSA_SHA256_ALGID + der(0x03, b"\x00" + signature))


def load_or_make_key(path, kind="ec"):
    if os.path.exists(path):
        with open(path, "rb") as f:
            return serialization.load_pem_private_key(f.read(), None)
    if kind == "rsa":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        key = ec.generate_private_key(ec.SECP256R1())
    with open(path + ".tmp", "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    os.replace(path + ".tmp", path)
    return key


def spki_der(key):
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)


class CA:
    """The test CA: an ECDSA P-256 root that issues every logged certificate."""

    def __init__(self, state_dir):
        os.makedirs(state_dir, exist_ok=True)
        self.key = load_or_make_key(os.path.join(state_dir, "ca.key"))
        pem = os.path.join(state_dir, "ca.pem")
        if os.path.exists(pem):
            with open(pem, "rb") as f:
                self.cert = x509.load_pem_x509_certificate(f.read())
        else:
            name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "nodd test"),
                              x509.NameAttribute(NameOID.COMMON_NAME, "nodd test CT CA")])
            self.cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
                         .public_key(self.key.public_key()).serial_number(1)
                         .not_valid_before(datetime.datetime(2025, 1, 1))
                         .not_valid_after(datetime.datetime(2030, 1, 1))
                         .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
                         .sign(self.key, hashes.SHA256()))
            with open(pem + ".tmp", "wb") as f:
                f.write(self.cert.public_bytes(serialization.Encoding.PEM))
            os.replace(pem + ".tmp", pem)
        self.der = self.cert.public_bytes(serialization.Encoding.DER)
        self.fingerprint = hashlib.sha256(self.der).digest()
        self.key_hash = hashlib.sha256(spki_der(self.key)).digest()
        self.leaf_keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(4)]

    def sign_tbs(self, tbs):
        digest = hashlib.sha256(tbs).digest()
        return self.key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))


def _dns_name(name):
    """A dNSName as given: U-labels are invalid in certificates, but logs carry them."""
    try:
        return x509.DNSName(name)
    except ValueError:
        return x509.DNSName._init_without_validation(name)


def _san(names, ips):
    general = [_dns_name(n) for n in names]
    general += [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
    return x509.SubjectAlternativeName(general)


class Issuance:
    """One certificate issuance: base() gives the same builder every time, so the
    precertificate, the precert TBS and the final certificate differ only in the poison
    and SCT list extensions (added last, as RFC 6962 section 3.2 expects)."""

    def __init__(self, ca, names=(), cn=None, ips=(), serial=None):
        self.ca = ca
        self.names, self.ips = list(names), list(ips)
        self.cns = [cn] if isinstance(cn, str) else list(cn or [])
        self.serial = serial or x509.random_serial_number()
        self.key = ca.leaf_keys[self.serial % len(ca.leaf_keys)]

    def base(self):
        attrs = [x509.NameAttribute(NameOID.COMMON_NAME, c, _validate=False) for c in self.cns]
        b = (x509.CertificateBuilder().subject_name(x509.Name(attrs))
             .issuer_name(self.ca.cert.subject).public_key(self.key.public_key())
             .serial_number(self.serial).not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER))
        if self.names or self.ips:
            b = b.add_extension(_san(self.names, self.ips), critical=False)
        return b

    def precert(self):
        return self.base().add_extension(x509.PrecertPoison(), critical=True).sign(
            self.ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)

    def precert_tbs(self):
        return self.base().sign(self.ca.key, hashes.SHA256()).tbs_certificate_bytes

    def cert(self, sct_list=None):
        b = self.base()
        if sct_list is not None:
            b = b.add_extension(x509.UnrecognizedExtension(SCT_LIST_OID, der(0x04, sct_list)), False)
        return b.sign(self.ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


# --- TLS structures --------------------------------------------------------------------

def leaf_index_ext(index):
    """static-ct-api leaf_index extension: type 0, length 5, uint40 index."""
    return b"\x00" + u16(5) + index.to_bytes(5, "big")


def signed_entry(entry_type, body, ca):
    """The x509 or precert part of a TimestampedEntry."""
    if entry_type == X509_ENTRY:
        return u24(len(body)) + body
    return ca.key_hash + u24(len(body)) + body


def tile_leaf(timestamp, entry_type, body, ext, ca, precert=None):
    """(TileLeaf bytes, length of its timestamp..extensions part). leaf_input is
    00 00 followed by that part."""
    head = u64(timestamp) + u16(entry_type) + signed_entry(entry_type, body, ca) + u16(len(ext)) + ext
    tail = u24(len(precert)) + precert if entry_type == PRECERT_ENTRY else b""
    return head + tail + u16(32) + ca.fingerprint, len(head)


def split_tile_leaf(record, head_len):
    """(leaf_input, entry_type, precert DER or None, [chain fingerprints])."""
    entry_type = struct.unpack(">H", record[8:10])[0]
    pos, precert = head_len, None
    if entry_type == PRECERT_ENTRY:
        n = int.from_bytes(record[pos:pos + 3], "big")
        precert = record[pos + 3:pos + 3 + n]
        pos += 3 + n
    n = struct.unpack(">H", record[pos:pos + 2])[0]
    fps = [record[pos + 2 + i:pos + 34 + i] for i in range(0, n, 32)]
    return b"\x00\x00" + record[:head_len], entry_type, precert, fps


def tile_leaf_length(data, pos, head_len):
    """Length of the TileLeaf at data[pos:] whose timestamp..extensions part is head_len."""
    end = pos + head_len
    if struct.unpack(">H", data[pos + 8:pos + 10])[0] == PRECERT_ENTRY:
        end += 3 + int.from_bytes(data[end:end + 3], "big")
    return end + 2 + struct.unpack(">H", data[end:end + 2])[0] - pos


def extra_data(entry_type, precert, chain):
    certs = b"".join(u24(len(c)) + c for c in chain)
    body = u24(len(certs)) + certs
    if entry_type == PRECERT_ENTRY:
        return u24(len(precert)) + precert + body
    return body


def digitally_signed(key, data):
    """TLS DigitallySigned with SHA-256: ECDSA (3) or RSA PKCS#1 v1.5 (1)."""
    from cryptography.hazmat.primitives.asymmetric import padding
    if isinstance(key, rsa.RSAPrivateKey):
        sig = key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return b"\x04\x01" + u16(len(sig)) + sig
    sig = key.sign(data, ec.ECDSA(hashes.SHA256()))
    return b"\x04\x03" + u16(len(sig)) + sig


def sct(log_key, log_id, timestamp, entry_type, body, ext, ca):
    """A v1 SignedCertificateTimestamp (RFC 6962 section 3.2), signed by the log."""
    signed = (b"\x00\x00" + u64(timestamp) + u16(entry_type) + signed_entry(entry_type, body, ca)
              + u16(len(ext)) + ext)
    return b"\x00" + log_id + u64(timestamp) + u16(len(ext)) + ext + digitally_signed(log_key, signed)


def sct_list(scts):
    body = b"".join(u16(len(s)) + s for s in scts)
    return u16(len(body)) + body
