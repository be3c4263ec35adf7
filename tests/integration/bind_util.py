"""A real BIND 9 named on loopback as the upstream primary of a dynamic zone, for the
secondary and stream tests: TSIG hmac-sha512, NOTIFY to nodd, updates with nsupdate."""
import base64
import os
import signal
import subprocess

import dns.message
import dns.query

import nodd_harness as h

ZONE = "nodtest"
KEY = "nod-up"
SECRET = base64.b64encode(b"nodd upstream test key, 64 octets long for hmac-sha512!!!!!!!!!!").decode()


def start_named(conf, workdir):
    """named in the foreground (-g) with its log in workdir/named.log: (process, log file)."""
    log = open(os.path.join(workdir, "named.log"), "w")
    args = ["/usr/sbin/named", "-g", "-n", "1", "-c", conf]
    if os.geteuid() == 0:
        args += ["-u", "root"]
    return subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT), log


class Named:
    def __init__(self, workdir, notify_port, names=(), ixfr=True, key=True, notify_key=None):
        """key: transfers need the TSIG key; notify_key: NOTIFYs are signed with it (default:
        as key)."""
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.port = h.free_port()
        self.key = key
        zone = ["$TTL 300",
                "@ IN SOA ns1.%s. hostmaster.%s. 1 60 60 3600 60" % (ZONE, ZONE),
                "@ IN NS ns1.%s." % ZONE,
                "ns1 IN A 127.0.0.1"]
        for n in names:
            zone.append("%s IN NS ns1.%s." % (n, ZONE))
        with open(os.path.join(self.dir, "db.zone"), "w") as f:
            f.write("\n".join(zone) + "\n")
        keyclause = 'key "%s" { algorithm hmac-sha512; secret "%s"; };\n' % (KEY, SECRET)
        acl = "key %s;" % KEY if key else "any;"
        conf = keyclause + """
options {
    directory "%(dir)s";
    pid-file "%(dir)s/named.pid";
    listen-on port %(port)d { 127.0.0.1; };
    listen-on-v6 { none; };
    recursion no;
    notify explicit;
    also-notify { 127.0.0.1 port %(nport)d %(nkey)s; };
    notify-delay 0;
    provide-ixfr %(ixfr)s;
    max-ixfr-ratio unlimited;
    dnssec-validation no;
};
zone "%(zone)s" {
    type primary;
    file "%(dir)s/db.zone";
    allow-update { key %(key)s; };
    allow-transfer { %(acl)s };
    ixfr-from-differences yes;
};
""" % {"dir": self.dir, "port": self.port, "nport": notify_port, "zone": ZONE, "key": KEY,
       "acl": acl, "ixfr": "yes" if ixfr else "no",
       "nkey": ("key %s" % KEY) if (key if notify_key is None else notify_key) else ""}
        self.conf = os.path.join(self.dir, "named.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        self.p, self.log = start_named(self.conf, self.dir)
        self.wait_ready()

    def wait_ready(self):
        def up():
            if self.p.poll() is not None:
                raise AssertionError("named exited: " + self.log_text()[-2000:])
            try:
                q = dns.message.make_query(ZONE, "SOA")
                r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=0.5)
                return r.answer
            except Exception:
                return None
        h.wait_for(up, 20, what="named ready")

    def log_text(self):
        self.log.flush()
        with open(os.path.join(self.dir, "named.log")) as f:
            return f.read()

    def serial(self):
        q = dns.message.make_query(ZONE, "SOA")
        r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=2)
        return r.answer[0][0].serial

    def update(self, *lines):
        """nsupdate with the TSIG key: lines like 'add x.nodtest. 300 NS ns1.nodtest.'"""
        script = "server 127.0.0.1 %d\nzone %s\n%s\nsend\n" % (self.port, ZONE, "\n".join(
            "update " + l for l in lines))
        r = subprocess.run(["nsupdate", "-y", "hmac-sha512:%s:%s" % (KEY, SECRET)],
                           input=script, capture_output=True, text=True, timeout=20)
        assert r.returncode == 0, "nsupdate failed: %s %s" % (r.stdout, r.stderr)

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(5)
        self.log.close()


def upstream_yaml(named, key=True, extra=""):
    """YAML for nodd to follow named's zone."""
    y = ""
    if key:
        y += "keys:\n  - name: %s\n    algorithm: hmac-sha512\n    secret: \"%s\"\n" % (KEY, SECRET)
    y += "upstreams:\n  - zone: %s.\n    primaries: [127.0.0.1@%d]\n" % (ZONE, named.port)
    if key:
        y += "    key: %s\n" % KEY
    y += "    refresh-min: 2s\n    retry-min: 1s\n    retry-max: 2s\n" + extra
    return y
