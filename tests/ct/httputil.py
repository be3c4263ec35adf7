"""Pieces the local CT log and RDAP server share: a threaded loopback HTTP server started
in the background, a request log, and the Retry-After header value. Must not know about
CT or RDAP."""
import email.utils
import http.server
import threading
import time


def serve(handler_class, port):
    """A ThreadingHTTPServer on 127.0.0.1:port (0: kernel-chosen) serving in a thread."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler_class)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, httpd.server_address[1]


def retry_after(seconds, date=False):
    """Retry-After as delta-seconds, or as the HTTP-date `seconds` from now."""
    if date:
        return email.utils.formatdate(time.time() + seconds, usegmt=True)
    return str(int(seconds))


class RequestLog:
    def __init__(self):
        self._lock = threading.Lock()
        self._items = []

    def note(self, item):
        with self._lock:
            self._items.append(item)

    def items(self, clear=False):
        with self._lock:
            out = list(self._items)
            if clear:
                self._items = []
            return out


def send(handler, code, body, ctype, headers=None):
    """A complete HTTP/1.1 answer with Content-Length (keep-alive safe)."""
    handler.send_response(code)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        handler.send_header(k, v)
    handler.end_headers()
    handler.wfile.write(body)
    return code
