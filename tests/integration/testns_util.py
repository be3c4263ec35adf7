"""Scripted misbehaving upstreams with ldns-testns (Debian's ldnsutils): canned answers
for SOA, AXFR and IXFR of zone nodtest., one data file per scenario in testns/."""
import os
import subprocess

import dns.message
import dns.query

import nodd_harness as h

HERE = os.path.dirname(os.path.abspath(__file__))


class ScriptedUpstream:
    def __init__(self, scenario):
        path = os.path.join(HERE, "testns", scenario + ".data")
        self.port = h.free_port()
        self.p = subprocess.Popen(["ldns-testns", "-p", str(self.port), path],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

        def answers():
            if self.p.poll() is not None:
                raise AssertionError("ldns-testns exited with %s" % self.p.returncode)
            try:
                q = dns.message.make_query("nodtest.", "SOA")
                return dns.query.udp(q, "127.0.0.1", port=self.port, timeout=0.3)
            except Exception:
                return None
        h.wait_for(answers, 10, what="ldns-testns answering on port %d" % self.port)

    def stop(self):
        self.p.kill()
        self.p.wait(5)


def upstream_yaml(port):
    return ("upstreams:\n  - zone: nodtest.\n    primaries: [127.0.0.1@%d]\n"
            "    refresh-min: 1s\n    refresh-max: 1s\n    retry-min: 1s\n    retry-max: 1s\n" % port)
