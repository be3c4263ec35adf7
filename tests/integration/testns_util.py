"""Scripted misbehaving upstreams with ldns-testns (Debian's ldnsutils): canned answers
for SOA, AXFR and IXFR of zone nodtest., one data file per scenario in testns/."""
import os
import re
import select
import subprocess

import nodd_harness as h

HERE = os.path.dirname(os.path.abspath(__file__))


class ScriptedUpstream:
    def __init__(self, scenario):
        path = os.path.join(HERE, "testns", scenario + ".data")
        self.p = subprocess.Popen(["ldns-testns", "-r", path], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        self.port = None
        deadline = 10
        while self.port is None:
            r, _, _ = select.select([self.p.stdout], [], [], deadline)
            assert r, "ldns-testns printed no port"
            line = self.p.stdout.readline()
            assert line, "ldns-testns exited"
            m = re.search(r"port[^0-9]*(\d+)", line)
            if m:
                self.port = int(m.group(1))

    def stop(self):
        self.p.kill()
        self.p.wait(5)


def upstream_yaml(port):
    return ("upstreams:\n  - zone: nodtest.\n    primaries: [127.0.0.1@%d]\n"
            "    refresh-min: 1s\n    refresh-max: 1s\n    retry-min: 1s\n    retry-max: 1s\n" % port)
