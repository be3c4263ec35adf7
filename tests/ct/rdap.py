#!/usr/bin/python3
"""A local RDAP server for tests (RFC 9082 lookups, RFC 9083 answers) and a writer of the
IANA RDAP bootstrap file for DNS (RFC 9224, dns.json). Loopback only.

Owns: the answer table per domain, the request log and the bootstrap writer. It must not
know about CT or nodd.

Module API (add tests/ct to sys.path, then `import rdap`):
    srv = rdap.start(port=0)         serves http://127.0.0.1:<port>/ (srv.url ends in "/")
    srv.set(domain, *answers)        answers for GET /domain/<domain> (case-insensitive,
                                     a trailing dot ignored); each request takes the
                                     next answer, the last one stays. Answers:
        rdap.registered(when)        200 with a "registration" event at `when` (a datetime,
                                     or seconds ago as a number)
        rdap.no_events()             200 without any events
        rdap.not_found()             404 (also the answer for any domain not set)
        rdap.throttled(seconds, date=False)   429 with Retry-After: seconds, or the
                                     HTTP-date that many seconds ahead
    srv.requests(clear=False)        [{"time", "path", "domain", "user_agent", "accept", "status"}]
    srv.stop()
    rdap.write_bootstrap(path, {"test": srv.url, ...}) writes dns.json (TLD -> server URL)

Control endpoint: POST /control/set {"domain": d, "answers": [answer, ...]} with answers
as the functions above return them (JSON objects), GET /control/requests[?clear=1].

Command line: rdap.py [--port 0] [--bootstrap FILE --tlds test,example]; prints one JSON
line {"port", "pid", "url"} and serves until SIGTERM.
"""
import argparse
import datetime
import http.server
import json
import os
import signal
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import httputil  # noqa: E402


def registered(when):
    if not isinstance(when, datetime.datetime):
        when = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=when)
    return {"status": 200, "registration": when.strftime("%Y-%m-%dT%H:%M:%SZ")}


def no_events():
    return {"status": 200}


def not_found():
    return {"status": 404}


def throttled(seconds, date=False):
    return {"status": 429, "retry_after": seconds, "date": date}


def _domain_object(name, answer):
    obj = {"objectClassName": "domain", "rdapConformance": ["rdap_level_0"],
           "handle": name.upper().replace(".", "_") + "-TEST", "ldhName": name.upper(),
           "status": ["active"],
           "notices": [{"title": "Terms of Use", "description": ["test registry"]}]}
    if "registration" in answer:
        obj["events"] = [
            {"eventAction": "registration", "eventDate": answer["registration"]},
            {"eventAction": "last changed", "eventDate": answer["registration"]},
            {"eventAction": "last update of RDAP database",
             "eventDate": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}]
    return obj


class Server:
    def __init__(self, port=0):
        self.table = {}
        self.log = httputil.RequestLog()
        self.lock = threading.Lock()
        outer = self

        class Handler(_Handler):
            srv = outer

        self.httpd, self.port = httputil.serve(Handler, port)
        self.url = "http://127.0.0.1:%d/" % self.port

    @staticmethod
    def _key(domain):
        return domain.lower().rstrip(".")

    def set(self, domain, *answers):
        if not answers:
            raise ValueError("at least one answer")
        with self.lock:
            self.table[self._key(domain)] = list(answers)

    def answer(self, domain):
        with self.lock:
            queue = self.table.get(self._key(domain))
            if not queue:
                return not_found()
            return queue.pop(0) if len(queue) > 1 else queue[0]

    def requests(self, clear=False):
        return self.log.items(clear)

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    srv = None

    def log_message(self, *args):
        pass

    def _send(self, code, obj, headers=None, ctype="application/rdap+json", item=None):
        body = json.dumps(obj).encode()
        if item is not None:  # logged before the client can see the answer
            item["status"] = code
            self.srv.log.note(item)
        return httputil.send(self, code, body, ctype, headers)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path != "/control/set":
            self._send(404, {"error": "no such control"}, ctype="application/json")
            return
        try:
            args = json.loads(body)
            self.srv.set(args["domain"], *args["answers"])
        except (ValueError, KeyError, TypeError) as e:
            self._send(400, {"error": str(e)}, ctype="application/json")
            return
        self._send(200, {"ok": True}, ctype="application/json")

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/control/requests":
            clear = urllib.parse.parse_qs(url.query).get("clear", ["0"])[0] == "1"
            self._send(200, self.srv.requests(clear), ctype="application/json")
            return
        item = {"time": time.time(), "path": self.path, "domain": None,
                "user_agent": self.headers.get("User-Agent"),
                "accept": self.headers.get("Accept")}
        if not url.path.startswith("/domain/") or "/" in url.path[8:] or len(url.path) == 8:
            self._send(400, {"errorCode": 400, "title": "Bad Request"}, item=item)
            return
        name = urllib.parse.unquote(url.path[8:])
        item["domain"] = name
        answer = self.srv.answer(name)
        status = answer["status"]
        if status == 200:
            self._send(200, _domain_object(name.lower().rstrip("."), answer), item=item)
        elif status == 429:
            value = httputil.retry_after(answer.get("retry_after", 1), answer.get("date"))
            self._send(429, {"errorCode": 429, "title": "Too Many Requests"},
                       {"Retry-After": value}, item=item)
        else:
            self._send(status, {"errorCode": status, "title": "Not Found"}, item=item)


def start(port=0):
    return Server(port)


def write_bootstrap(path, servers):
    """dns.json: {tld: url} grouped per server URL, as IANA publishes it."""
    by_url = {}
    for tld, url in servers.items():
        by_url.setdefault(url, []).append(tld.lower().strip("."))
    doc = {"version": "1.0", "publication": "2026-01-01T00:00:00Z",
           "description": "RDAP bootstrap file for the nodd tests",
           "services": [[sorted(tlds), [url]] for url, tlds in sorted(by_url.items())]}
    with open(path + ".tmp", "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(path + ".tmp", path)
    return doc


def main(argv=None):
    p = argparse.ArgumentParser(description="local RDAP server")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--bootstrap")
    p.add_argument("--tlds", default="test")
    a = p.parse_args(argv)
    srv = start(a.port)
    if a.bootstrap:
        write_bootstrap(a.bootstrap, {t: srv.url for t in a.tlds.split(",")})
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    print(json.dumps({"port": srv.port, "pid": os.getpid(), "url": srv.url}), flush=True)
    while not done.wait(3600):
        pass
    srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
