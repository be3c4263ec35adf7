#!/usr/bin/env python3
"""Which folder of nodd may include which: the rules of docs/architecture.md, checked on
the `#include "..."` lines of every C file of ours.

    check_includes.py ROOT        exit 0 when every include keeps the rules, else 1 and one
                                  line per offending include: FILE:LINE: A may not include B
    check_includes.py --self-test exit 0 when the checker finds a planted forbidden include
                                  in a scratch tree and passes a clean one

Also refused: an include of a file of ours that does not exist (a stale path after a
move) and a folder of C code the rules do not name (a new room must be placed first).
"""
import os
import re
import sys
import tempfile

# folder -> the folders it may include (itself always). daemon wires everything.
RULES = {
    "lib": set(),
    "conf": {"lib"},
    "policy": {"lib"},
    "ct": {"lib", "conf", "policy"},
    "zones": {"lib", "conf", "policy"},
    "streams": {"lib", "conf", "policy"},
    "server": {"lib", "conf", "policy", "streams"},
    "ctl": {"lib"},
    "daemon": {"lib", "conf", "policy", "ct", "zones", "streams", "server"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def check(root):
    problems = []
    for top in sorted(os.listdir(root)):
        path = os.path.join(root, top)
        if not os.path.isdir(path) or top.startswith(".") or top in ("tests", "build", "docs"):
            continue
        cfiles = [f for f in os.listdir(path) if f.endswith((".c", ".h"))]
        if not cfiles:
            continue
        if top not in RULES:
            problems.append("%s/: a folder of C code that docs/architecture.md does not place" % top)
            continue
        for name in sorted(cfiles):
            rel = "%s/%s" % (top, name)
            with open(os.path.join(path, name), encoding="utf-8", errors="replace") as f:
                for n, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if not m:
                        continue
                    target = m.group(1)
                    folder = target.split("/", 1)[0] if "/" in target else top
                    full = os.path.join(root, target) if "/" in target else os.path.join(path, target)
                    if not os.path.isfile(full):
                        problems.append("%s:%d: includes %s, which does not exist" % (rel, n, target))
                    elif folder != top and folder not in RULES[top]:
                        problems.append("%s:%d: %s may not include %s" % (rel, n, top, target))
    return problems


def self_test():
    with tempfile.TemporaryDirectory() as d:
        def put(rel, text):
            os.makedirs(os.path.dirname(os.path.join(d, rel)), exist_ok=True)
            with open(os.path.join(d, rel), "w") as f:
                f.write(text)
        put("lib/log.h", "")
        put("policy/store.h", '#include "lib/log.h"\n')
        put("server/udp.h", '#include "policy/store.h"\n')
        put("zones/up.c", '#include "lib/log.h"\n#include "policy/store.h"\n')
        if check(d):
            print("self-test: a clean tree was refused: %s" % check(d))
            return 1
        put("zones/bad.c", '#include "zones/up.h"\n#include "server/udp.h"\n')
        put("lib/bad.c", '#include "policy/store.h"\n')
        put("newroom/x.c", "")
        got = check(d)
        want = ["lib/bad.c:1: lib may not include policy/store.h",
                "newroom/: a folder of C code that docs/architecture.md does not place",
                "zones/bad.c:1: includes zones/up.h, which does not exist",
                "zones/bad.c:2: zones may not include server/udp.h"]
        if got != want:
            print("self-test: expected %s, got %s" % (want, got))
            return 1
    print("ok 1 - the checker refuses planted forbidden includes and passes a clean tree")
    return 0


def main(argv):
    if len(argv) == 2 and argv[1] == "--self-test":
        print("1..1")
        return self_test()
    root = argv[1] if len(argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..")
    problems = check(root)
    print("1..1")
    for p in problems:
        print("# " + p)
    print(("ok" if not problems else "not ok") + " 1 - every #include keeps the folder rules")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
