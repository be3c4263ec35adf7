"""Quick reloads while UDP threads answer: every SOA answer comes whole from one of the two
configurations the reloads alternate between (its TTL, refresh and retry agree), never a
mix or garbage, and nodd keeps answering and stops cleanly."""
import signal
import threading

import dns.rcode

import nodd_harness as h

STATES = {100: (1100, 2100), 200: (1200, 2200)}  # ttl -> (soa-refresh, soa-retry)


def test_answers_are_whole_during_quick_reloads(tmp_path, nodd_factory):
    n = nodd_factory(publish={"ttl": 100, "soa-refresh": 1100, "soa-retry": 2100})
    seen, bad, stop = [], [], threading.Event()

    def ask():
        while not stop.is_set():
            try:
                r = n.query(h.DNSBL, "SOA", timeout=1)
            except Exception:
                continue
            if r.rcode() != dns.rcode.NOERROR or len(r.answer) != 1:
                bad.append(r.to_text())
                continue
            rrs = r.answer[0]
            soa = rrs[0]
            seen.append(rrs.ttl)
            if STATES.get(rrs.ttl) != (soa.refresh, soa.retry):
                bad.append(rrs.to_text())

    threads = [threading.Thread(target=ask) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(40):
            ttl = 200 if i % 2 == 0 else 100
            n.publish_extra.update({"ttl": ttl, "soa-refresh": STATES[ttl][0],
                                    "soa-retry": STATES[ttl][1]})
            n.write_config()
            n.send_signal(signal.SIGHUP)
            h.wait_for(lambda: n.serial(h.DNSBL) and
                       n.query(h.DNSBL, "SOA").answer[0].ttl == ttl, 5, 0.02,
                       "TTL %d after reload %d" % (ttl, i))
    finally:
        stop.set()
        for t in threads:
            t.join(5)
    assert not bad, bad[:3]
    assert {100, 200} <= set(seen)
    assert n.stop() == 0, n.log_tail()
