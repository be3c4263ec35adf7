/* httpconn.h -- the connections of the HTTP listener (server/httpconn.c): admission under
 * server.http-clients and http-clients-per-ip, the request deadline (server.http-timeout),
 * the gate that applies server/httpauth.c's checks before a body is read, and the pause of
 * the listener when the process is out of file descriptors. Internal to server/. */
#ifndef NODD_HTTPCONN_H
#define NODD_HTTPCONN_H

#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/listener.h>

#include "lib/err.h"
#include "server/api.h"

/* Take over l's errors and every new connection of h->http (evhttp_set_bevcb). */
int httpconn_start(struct http_server *h, struct evconnlistener *l, struct nodd_err *e);

/* Called by the router when req's headers and body are in: stops its deadline; a
 * connection taken over (a WebSocket) leaves the gate, another one waits for its next
 * request (or is closed after this reply when the client sent more already). */
void httpconn_request_done(struct http_server *h, struct evhttp_request *req, int takeover);

/* Before evhttp_free: connections closing from now on leave the listener alone. */
void httpconn_stopping(struct http_server *h);
/* After evhttp_free (every connection closed): free what is left. */
void httpconn_free(struct http_server *h);

#endif
