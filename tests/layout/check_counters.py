#!/usr/bin/env python3
"""Every named counter nodd counts is on /metrics from the start: each name a
metrics_inc() call of ours passes (every string literal among its arguments) must be in
known_counters[] of server/metrics.c, which writes them with 0 before the first event.

    check_counters.py ROOT        exit 0 when every name is listed, else 1 and one line
                                  per missing name: FILE:LINE: "name" is not in known_counters
    check_counters.py --self-test exit 0 when the checker finds a planted unlisted name in a
                                  scratch tree and passes a clean one
"""
import os
import re
import sys
import tempfile

CALL = re.compile(r"\bmetrics_inc\s*\(([^;]*)\)\s*;", re.S)
LITERAL = re.compile(r'"([^"\\]*)"')
LIST = re.compile(r"known counters begin \*/(.*?)/\* known counters end", re.S)


def known(root):
    with open(os.path.join(root, "server", "metrics.c")) as f:
        m = LIST.search(f.read())
    return set(LITERAL.findall(m.group(1))) if m else set()


def check(root):
    names = known(root)
    problems = []
    for top in sorted(os.listdir(root)):
        path = os.path.join(root, top)
        if not os.path.isdir(path) or top.startswith(".") or top in ("tests", "build", "docs"):
            continue
        for dirpath, _, files in os.walk(path):
            for fn in sorted(files):
                if not fn.endswith(".c") or fn == "counters.c":
                    continue
                p = os.path.join(dirpath, fn)
                with open(p, errors="replace") as f:
                    text = f.read()
                for m in CALL.finditer(text):
                    line = text.count("\n", 0, m.start()) + 1
                    for name in LITERAL.findall(m.group(1)):
                        if name not in names:
                            problems.append('%s:%d: "%s" is not in known_counters (server/'
                                            'metrics.c)' % (os.path.relpath(p, root), line, name))
    return problems


def self_test():
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "server"))
        with open(os.path.join(d, "server", "metrics.c"), "w") as f:
            f.write('x[] = { /* known counters begin */ "a_b", "c" /* known counters end */ };\n')
        with open(os.path.join(d, "server", "x.c"), "w") as f:
            f.write('void f(int k) { metrics_inc("a_b", 1); metrics_inc(k ? "c" : "a_b", 1); }\n')
        clean = check(d) == []
        with open(os.path.join(d, "server", "y.c"), "w") as f:
            f.write('void g(int k)\n{\n\tmetrics_inc(k ? "c"\n\t\t: "unlisted", 1);\n}\n')
        found = check(d) == ['server/y.c:3: "unlisted" is not in known_counters (server/metrics.c)']
    print("1..2")
    print("%s 1 - a tree whose names are all listed passes" % ("ok" if clean else "not ok"))
    print("%s 2 - an unlisted name is found, with its line" % ("ok" if found else "not ok"))
    return 0 if clean and found else 1


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--self-test":
        return self_test()
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    problems = check(sys.argv[1])
    print("1..1")
    for p in problems:
        print("# " + p)
    print("%s 1 - every metrics_inc() name is in known_counters" % ("not ok" if problems else "ok"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
