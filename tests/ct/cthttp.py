"""HTTP front of the local CT test log (see ctlog.py for the API and the fault knobs).

Owns: the threaded HTTP/1.1 server (keep-alive, one port, several logs under
/<name>/), the RFC 6962 and static-ct-api routes, the control routes, applying the
request-level faults (status, delay, gzip, partial 404) and the request log. It must not
build certificates or change the tree except through Log methods.
"""
import base64
import gzip
import http.server
import json
import socket
import threading
import time
import urllib.parse

import httputil
import merkle

JSON = "application/json"


class HTTPError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


def _int(query, key):
    try:
        return int(query[key][0])
    except (KeyError, ValueError, IndexError):
        raise HTTPError(400, "missing or bad parameter " + key)


class Server:
    def __init__(self, port, ca):
        self.ca = ca
        self.logs = {}
        self.conns = set()
        self.stopped = False
        self.lock = threading.Lock()
        outer = self

        class Handler(_Handler):
            server_ref = outer

        self.httpd, self.port = httputil.serve(Handler, port)

    def add(self, log):
        self.logs[log.name] = log
        log.server = self

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        self.httpd.shutdown()
        self.httpd.server_close()
        with self.lock:
            conns = list(self.conns)
        for c in conns:  # keep-alive connections end with the server
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_ref = None

    def log_message(self, *args):
        pass

    def setup(self):
        super().setup()
        with self.server_ref.lock:
            self.server_ref.conns.add(self.connection)

    def finish(self):
        with self.server_ref.lock:
            self.server_ref.conns.discard(self.connection)
        super().finish()

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def _send(self, code, body, ctype="text/plain", headers=None):
        if isinstance(body, str):
            body = body.encode()
        item, self.pending = getattr(self, "pending", None), None
        if item is not None:  # logged before the client can see the answer
            item["status"] = code
            item.pop("log").note_request(item)
        return httputil.send(self, code, body, ctype, headers)

    def _dispatch(self, method):
        self.pending = None
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.split("/")
        log = self.server_ref.logs.get(parts[1]) if len(parts) > 2 else None
        if log is None:
            self._send(404, "no such log\n")
            return
        rest = "/".join(parts[2:])
        query = urllib.parse.parse_qs(url.query)
        body = b""
        if "Content-Length" in self.headers:
            body = self.rfile.read(int(self.headers["Content-Length"]))
        if rest.startswith("control/"):
            try:
                self._control(log, method, rest[8:], query, body)
            except (HTTPError, ValueError, TypeError, KeyError) as e:
                self._send(getattr(e, "code", 400), json.dumps({"error": str(e)}), JSON)
            return
        item = {"time": time.time(), "method": method,
                "path": rest + ("?" + url.query if url.query else ""),
                "user_agent": self.headers.get("User-Agent"),
                "accept_encoding": self.headers.get("Accept-Encoding"), "log": log}
        self.pending = item
        delay = log.faults["delay"]
        if delay:
            time.sleep(delay)
        forced = log.take_status_fault(rest)
        if forced:
            self._send(forced[0], "slow down\n", headers=forced[1])
            return
        try:
            self._route(log, method, rest, query)
        except HTTPError as e:
            self._send(e.code, json.dumps({"error": str(e)}), JSON)
        except Exception as e:  # a bug here must show as a 500, not a dropped connection
            self._send(500, json.dumps({"error": repr(e)}), JSON)

    # --- control ----------------------------------------------------------------------
    def _control(self, log, method, what, query, body):
        args = json.loads(body or b"{}") if method == "POST" else {}
        if what == "add" and method == "POST":
            final = args.pop("final_log", None)
            if final is not None:
                final = self.server_ref.logs[final]
            out = log.add(final_log=final, **args)
        elif what == "grow" and method == "POST":
            out = {"index": log.grow(int(args["count"]), float(args.get("ratio", 0.5)))}
        elif what == "publish" and method == "POST":
            out = log.publish(args.get("size"))
        elif what == "fault" and method == "POST":
            out = log.fault(**args)
        elif what == "requests":
            out = log.requests(clear=query.get("clear", ["0"])[0] == "1")
        elif what == "state":
            out = {"name": log.name, "url": log.url, "size": log.size,
                   "published": log.published, "sth": log.sth(), "key": log.key_b64,
                   "log_id": log.log_id_b64, "origin": log.origin}
        else:
            raise HTTPError(404, "no such control " + what)
        self._send(200, json.dumps(out), JSON)

    # --- log routes -------------------------------------------------------------------
    def _route(self, log, method, rest, query):
        if method != "GET":
            raise HTTPError(405, "GET only")
        if rest.startswith("ct/v1/"):
            return self._rfc6962(log, rest[6:], query)
        if rest == "checkpoint":
            return self._send(200, log.checkpoint())
        if rest.startswith("tile/"):
            return self._tile(log, rest[5:].split("/"))
        if rest.startswith("issuer/"):
            fp = rest[7:]
            for k, der in log.issuers.items():
                if k.hex() == fp:
                    return self._send(200, der, "application/pkix-cert")
        raise HTTPError(404, "not found")

    def _rfc6962(self, log, call, query):
        if call == "get-sth":
            out = log.sth()
        elif call == "get-entries":
            # written by hand: json.dumps of a thousand entries costs more than the rest
            span = _entries_range(log, query)
            items = [b'{"leaf_input":"%s","extra_data":"%s"}'
                     % (base64.b64encode(li), base64.b64encode(ed))
                     for li, ed in log.entries(span.start, span.stop)]
            return self._send(200, b'{"entries":[' + b",".join(items) + b"]}", JSON)
        elif call == "get-sth-consistency":
            first, second = _int(query, "first"), _int(query, "second")
            if not 0 < first <= second <= log.published:
                raise HTTPError(400, "bad first/second")
            out = {"consistency": [_b64(h) for h in log.tree.consistency(first, second)]}
        elif call == "get-proof-by-hash":
            size = _tree_size(log, query)
            try:
                want = base64.b64decode(query["hash"][0], validate=True)
            except (KeyError, ValueError):
                raise HTTPError(400, "bad hash")
            index = log.tree.levels[0].find(want)
            while index >= 0 and index % 32:
                index = log.tree.levels[0].find(want, index + 1)
            if index < 0 or len(want) != 32 or index // 32 >= size:
                raise HTTPError(404, "hash not in the tree")
            out = {"leaf_index": index // 32,
                   "audit_path": [_b64(h) for h in log.tree.audit_path(index // 32, size)]}
        elif call == "get-entry-and-proof":
            size, index = _tree_size(log, query), _int(query, "leaf_index")
            if not 0 <= index < size:
                raise HTTPError(400, "leaf_index beyond tree_size")
            li, ed = log.entry(index)
            out = {"leaf_input": _b64(li), "extra_data": _b64(ed),
                   "audit_path": [_b64(h) for h in log.tree.audit_path(index, size)]}
        elif call == "get-roots":
            out = {"certificates": [_b64(d) for d in log.issuers.values()]}
        else:
            raise HTTPError(404, "no such call")
        return self._send(200, json.dumps(out), JSON)

    def _tile(self, log, parts):
        width = 256
        if len(parts) >= 3 and parts[-2].endswith(".p"):
            if log.faults["partial_404"]:
                raise HTTPError(404, "no partial tiles")
            if not parts[-1].isdigit() or not 1 <= int(parts[-1]) <= 255 or parts[-1][0] == "0":
                raise HTTPError(404, "bad width")
            width = int(parts[-1])
            parts = parts[:-2] + [parts[-2][:-2]]
        level = parts[0]
        index = merkle.parse_tile_index(parts[1:])
        size = log.published
        if index is None:
            raise HTTPError(404, "bad tile path")
        if level == "data":
            if index * 256 + width > size:
                raise HTTPError(404, "no such tile")
            body = log.records(index * 256, index * 256 + width)
            if log.faults["gzip_tiles"]:
                return self._send(200, gzip.compress(body, 1), "application/octet-stream",
                                  {"Content-Encoding": "gzip"})
            return self._send(200, body, "application/octet-stream")
        if level not in ("0", "1", "2", "3", "4", "5"):
            raise HTTPError(404, "bad level")
        with log.lock:
            body = log.tree.tile(int(level), index, width, size)
        if body is None:
            raise HTTPError(404, "no such tile")
        return self._send(200, body, "application/octet-stream")


def _b64(data):
    return base64.b64encode(data).decode()


def _tree_size(log, query):
    size = _int(query, "tree_size")
    if not 0 < size <= log.published:
        raise HTTPError(400, "tree_size beyond the published tree")
    return size


def _entries_range(log, query):
    """get-entries: end clamped to the published tree and to the cap (RFC 6962 4.6)."""
    start, end = _int(query, "start"), _int(query, "end")
    size = log.published
    if start < 0 or end < start:
        raise HTTPError(400, "bad start/end")
    if start >= size:
        raise HTTPError(400, "need tree size")
    cap = max(1, int(log.faults["cap"]))
    end = min(end, size - 1, start + cap - 1)
    if log.faults["align"]:
        end = min(end, (start // cap + 1) * cap - 1)
    return range(start, end + 1)
