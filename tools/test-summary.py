#!/usr/bin/python3
"""Add up meson's and pytest's results into one line: N passed, N failed, N skipped."""
import json
import os
import sys
import xml.etree.ElementTree as ET

passed = failed = skipped = 0
for build in sys.argv[1:]:
    if os.path.exists(os.path.join(build, "build-failed")):
        print(f"{build}: build failed")
        failed += 1
    log = os.path.join(build, "meson-logs", "testlog.json")
    if not os.path.exists(log):
        continue
    for line in open(log):
        r = json.loads(line).get("result")
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
junit = os.path.join(sys.argv[1], "pytest-junit.xml")
if os.path.exists(junit):
    root = ET.parse(junit).getroot()
    for suite in root.iter("testsuite"):
        t = int(suite.get("tests", 0))
        f = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        s = int(suite.get("skipped", 0))
        passed += t - f - s
        failed += f
        skipped += s
else:
    print("integration tests did not run")
    failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
