#!/usr/bin/python3
"""gen_names.py -- fixed-seed benchmark data: N names over 24 h, the same data as an
rbldnsd dnset file, and a 50/50 listed/unlisted query list for loadgen and dnsperf.

Writes into OUTDIR:
  names.txt        "name first_seen" per line (noddctl import)
  rbldnsd/nod.dnset  ".name :127.0.0.N:first_seen=<fs>" per line, with $SOA/$NS/$TTL
  queries.txt      "name code" per line: code 2..8 = expected A 127.0.0.code, 0 = NXDOMAIN
  dnsperf.txt      "name.v1.bl.nod.example A" per line (a prefix of queries.txt)
  meta.txt         "key value" lines: now, counts

Names and ages are the same on every run (fixed seed); first_seen = now - age.
Listed queries only use names whose age code cannot change within MARGIN seconds, so the
expected answers stay right for the whole run on both servers (rbldnsd's codes are fixed
when the file is written; nodd computes them from the clock).
"""
import argparse
import os
import random
import sys
import time

TLDS = ["se", "ch", "li", "nu", "com", "net", "org"]
EDGES = [(300, 2), (600, 3), (1800, 4), (3600, 5), (10800, 6), (43200, 7), (86400, 8)]
LETTERS = "abcdefghijklmnopqrstuvwxyz"
PSL_FILE = "/usr/share/publicsuffix/public_suffix_list.dat"


def age_code(age):
    for edge, code in EDGES:
        if age < edge:
            return code
    return 0


def near_edge(age, margin):
    """True if the name's code changes within margin seconds."""
    for edge, _ in EDGES:
        if age < edge:
            return edge - age <= margin
    return True


def load_psl(path):
    rules = set()
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("//"):
                    rules.add(line.split()[0].lower())
    except OSError:
        pass
    return rules


def is_public_suffix(name, rules):
    tld = name.rsplit(".", 1)[1]
    return name in rules or ("*." + tld) in rules


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("--count", type=int, default=1000000)
    ap.add_argument("--queries", type=int, default=1000000)
    ap.add_argument("--dnsperf", type=int, default=200000)
    ap.add_argument("--seed", type=int, default=20240601)
    ap.add_argument("--margin", type=int, default=900)
    ap.add_argument("--zone", default="v1.bl.nod.example")
    ap.add_argument("--now", type=int, default=0)
    a = ap.parse_args()

    now = a.now or int(time.time())
    rng = random.Random(a.seed)
    psl = load_psl(PSL_FILE)
    for tld in TLDS:
        if "*." + tld in psl:
            sys.exit("gen_names: every name under .%s is a public suffix" % tld)

    def random_name():
        while True:
            label = "".join(rng.choices(LETTERS, k=rng.randint(6, 14)))
            name = label + "." + rng.choice(TLDS)
            if not is_public_suffix(name, psl):
                return name

    names = {}
    while len(names) < a.count:
        n = random_name()
        if n not in names:
            names[n] = rng.randrange(0, 86400 - 60)   # age in seconds
    order = list(names)

    os.makedirs(os.path.join(a.outdir, "rbldnsd"), exist_ok=True)
    with open(os.path.join(a.outdir, "names.txt"), "w") as f:
        f.writelines("%s %d\n" % (n, now - names[n]) for n in order)
    with open(os.path.join(a.outdir, "rbldnsd", "nod.dnset"), "w") as f:
        # Same shape of answers as nodd: SOA in NXDOMAIN authority, no NS in positive
        # answers (rbldnsd runs with -a), TTL 60.
        f.write("$SOA 60 localhost. hostmaster.nod.example. %d 60 60 21600 60\n" % now)
        f.write("$NS 60 localhost.\n$TTL 60\n")
        f.writelines(".%s :127.0.0.%d:first_seen=%d\n" % (n, age_code(names[n]), now - names[n])
                     for n in order)

    stable = [n for n in order if not near_edge(names[n], a.margin)]
    half = a.queries // 2
    queries = [(n, age_code(names[n])) for n in rng.choices(stable, k=half)]
    unlisted = set()
    while len(unlisted) < a.queries - half:
        n = random_name()
        if n not in names:
            unlisted.add(n)
    queries += [(n, 0) for n in sorted(unlisted)]
    rng.shuffle(queries)
    with open(os.path.join(a.outdir, "queries.txt"), "w") as f:
        f.writelines("%s %d\n" % q for q in queries)
    with open(os.path.join(a.outdir, "dnsperf.txt"), "w") as f:
        f.writelines("%s.%s A\n" % (q[0], a.zone) for q in queries[:a.dnsperf])
    with open(os.path.join(a.outdir, "meta.txt"), "w") as f:
        f.write("now %d\nnames %d\nqueries %d\nstable_names %d\n"
                % (now, len(order), len(queries), len(stable)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
