#!/usr/bin/python3
"""Add up meson's and pytest's results into one line: N passed, N failed, N skipped.

Arguments: build directories, and `--junit FILE` for a pytest run of its own (the Debian
package test). For each build directory: a build-failed marker counts as a failure,
meson-logs/testlog.json (unit and fuzz tests run there) is counted when present, and
pytest-junit.xml (the integration tests run against that build's daemon) must be there:
a build whose integration run is missing counts as a failure. A --junit FILE must be
there too."""
import json
import os
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0


def count_junit(path):
    """Add a pytest junit file's results; False when the file is missing."""
    global passed, failed, skipped
    if not os.path.exists(path):
        return False
    root = ET.parse(path).getroot()
    for suite in root.iter("testsuite"):
        t = int(suite.get("tests", 0))
        f = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        s = int(suite.get("skipped", 0))
        passed += t - f - s
        failed += f
        skipped += s
    return True


args = sys.argv[1:]
junits = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--junit"]
builds = [a for i, a in enumerate(args) if a != "--junit" and (i == 0 or args[i - 1] != "--junit")]
for build in builds:
    if os.path.exists(os.path.join(build, "build-failed")):
        print(f"{build}: build failed")
        failed += 1
        continue
    log = os.path.join(build, "meson-logs", "testlog.json")
    if os.path.exists(log):
        for line in open(log):
            r = json.loads(line).get("result")
            if r in ("OK", "EXPECTEDFAIL"):
                passed += 1
            elif r == "SKIP":
                skipped += 1
            else:
                failed += 1
    if not count_junit(os.path.join(build, "pytest-junit.xml")):
        print(f"{build}: integration tests did not run")
        failed += 1
for junit in junits:
    if not count_junit(junit):
        print(f"{junit}: tests did not run")
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
