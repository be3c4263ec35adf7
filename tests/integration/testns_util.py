"""Scripted misbehaving upstreams with ldns-testns (Debian's ldnsutils): canned answers
for SOA, AXFR and IXFR of zone nodtest., one data file per scenario in testns/."""
import os
import socket
import subprocess

import dns.message

import nodd_harness as h

HERE = os.path.dirname(os.path.abspath(__file__))


class _Exited(Exception):
    """ldns-testns ended before answering."""


class ScriptedUpstream:
    def __init__(self, scenario):
        # a scenario name from testns/, or the path of a data file made by a test
        path = scenario if os.path.isabs(scenario) else os.path.join(HERE, "testns", scenario + ".data")
        # a kernel-picked port can be taken by another program before ldns-testns binds it
        # (it then exits at once): start again on a new port, a few times
        for attempt in range(3):
            self.port = h.free_port()
            self.p = subprocess.Popen(["ldns-testns", "-p", str(self.port), path],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                h.wait_for(self._answers, 10, what="ldns-testns answering on port %d" % self.port)
                return
            except _Exited:
                if attempt == 2:
                    raise AssertionError("ldns-testns exited with %s three times (ports taken?)"
                                         % self.p.returncode)

    def _answers(self):
        if self.p.poll() is not None:
            raise _Exited()
        # any reply will do: the raw bytes, since some scenarios answer with a TSIG
        # that dnspython would refuse to parse
        q = dns.message.make_query("nodtest.", "SOA").to_wire()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.settimeout(0.3)
            try:
                u.sendto(q, ("127.0.0.1", self.port))
                return len(u.recv(65535)) >= 12
            except OSError:
                return None

    def stop(self):
        self.p.kill()
        self.p.wait(5)


def upstream_yaml(port):
    return ("upstreams:\n  - zone: nodtest.\n    primaries: [127.0.0.1@%d]\n"
            "    refresh-min: 1s\n    refresh-max: 1s\n    retry-min: 1s\n    retry-max: 1s\n" % port)
