/* http.c -- the HTTP listener: evhttp set-up, routing by path, the reply helpers every
 * endpoint answers with, and the refusals of server/httpauth.c's checks (Host, Origin,
 * bearer token, Content-Type) before any endpoint runs. The endpoints themselves are in
 * server/api.c; /ws/ paths are handed to the WebSocket stream. Owns no data of its own
 * beyond the listener; never formats an endpoint's body here.
 *
 * DESIGN
 * One generic callback routes by path, so unknown paths and wrong methods get the same
 * JSON error shape as everything else (evhttp's own pages are HTML).
 *
 * The body cap is evhttp's (evhttp_set_max_body_size): a larger body is refused with 413
 * by libevent itself before this file sees the request; its body is libevent's text.
 * Connections (caps, deadline, the check before a body is read, the accept pause) are
 * server/httpconn.c's. */
#define LOG_CATEGORY LOG_CAT_API
#include "server/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <jansson.h>

#include "lib/listen.h"
#include "lib/log.h"
#include "policy/store.h"
#include "server/api.h"
#include "server/httpconn.h"
#include "server/metrics.h"
#include "streams/ws.h"

/* ---- replies ---------------------------------------------------------------------- */

static const char *reason_phrase(int code)
{
	switch (code) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 403: return "Forbidden";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 421: return "Misdirected Request";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Error";
	}
}

void http_send_text(struct evhttp_request *req, int code, const char *ctype, const char *body,
	size_t len)
{
	struct evkeyvalq *oh = evhttp_request_get_output_headers(req);
	evhttp_add_header(oh, "Content-Type", ctype);
	evhttp_add_header(oh, "Cache-Control", "no-store");
	struct evbuffer *b = evbuffer_new();
	if (b)
		evbuffer_add(b, body, len);
	evhttp_send_reply(req, code, reason_phrase(code), b);
	if (b)
		evbuffer_free(b);
	if (code >= 400)
		metrics_inc(code >= 500 ? "http_server_errors" : "http_client_errors", 1);
}

void http_send_json(struct evhttp_request *req, int code, json_t *o)
{
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s) {
		static const char oom[] = "{\"error\":\"out of memory\"}\n";
		http_send_text(req, 500, "application/json", oom, sizeof oom - 1);
		return;
	}
	size_t n = strlen(s);
	char *t = realloc(s, n + 2);
	if (t) {
		s = t;
		s[n++] = '\n';
		s[n] = '\0';
	}
	http_send_text(req, code, "application/json", s, n);
	free(s);
}

json_t *api_jstr(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;
	return j ? j : json_null();
}

void http_send_error(struct evhttp_request *req, int code, const char *msg, const char *field)
{
	json_t *o = json_object();
	json_object_set_new(o, "error", api_jstr(msg));
	if (field)
		json_object_set_new(o, "field", api_jstr(field));
	http_send_json(req, code, o);
}

void http_send_store_error(struct evhttp_request *req, const struct store *st, const char *msg)
{
	if (!store_busy(st)) {
		http_send_error(req, 500, msg, NULL);
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "1");
	http_send_error(req, 503, "store busy: a zone's first transfer is being written; "
		"nothing was stored, retry later", NULL);
}

void http_send_method_not_allowed(struct evhttp_request *req, const char *allow)
{
	evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", allow);
	http_send_error(req, 405, "method not allowed", NULL);
}

int http_refuse_unless_get(struct evhttp_request *req)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (cmd == EVHTTP_REQ_GET || cmd == EVHTTP_REQ_HEAD)
		return 0;
	http_send_method_not_allowed(req, "GET, HEAD");
	return 1;
}

/* ---- sections and routing ---------------------------------------------------------- */

int http_add_section(struct http_env *env, const char *name, json_t *(*status)(void *ctx),
	void (*metrics)(void *ctx, FILE *f), void *ctx)
{
	if (env->nsections >= HTTP_MAX_SECTIONS)
		return -1;
	env->sections[env->nsections++] = (struct http_section){ name, status, metrics, ctx };
	return 0;
}

#define DOMAINS_PREFIX "/api/v1/domains/"
#define ZONES_PREFIX "/api/v1/zones"

static void on_request(struct evhttp_request *req, void *arg)
{
	struct http_server *h = arg;
	metrics_inc("http_requests", 1);
	const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(req);
	const char *path = u ? evhttp_uri_get_path(u) : NULL;
	if (!path || !*path) {
		http_send_error(req, 400, "bad request target", NULL);
		return;
	}
	const char *msg = NULL;
	int code = http_check_request(h, evhttp_request_get_command(req), path,
		evhttp_request_get_input_headers(req), &msg);
	int ws = !code && h->env.ws && strncmp(path, "/ws/", 4) == 0;
	httpconn_request_done(h, req, ws);
	if (code) {
		if (code == 401) {
			evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate",
				"Bearer realm=\"nodd\"");
			metrics_inc("http_unauthorized", 1);
		} else {
			metrics_inc(code == 421 ? "http_wrong_host" : code == 403 ? "http_cross_origin"
				: "http_wrong_content_type", 1);
		}
		http_send_error(req, code, msg, NULL);
		return;
	}
	if (strcmp(path, HTTP_OBSERVATIONS_PATH) == 0)
		api_observations(h, req);
	else if (strncmp(path, DOMAINS_PREFIX, sizeof DOMAINS_PREFIX - 1) == 0)
		api_domain(h, req, path + sizeof DOMAINS_PREFIX - 1);
	else if (strcmp(path, "/api/v1/status") == 0)
		api_status(h, req);
	else if (api_allow_path(path))
		api_allow(h, req, path + api_allow_path(path));
	else if (strcmp(path, "/metrics") == 0)
		api_metrics(h, req);
	else if (strncmp(path, ZONES_PREFIX, sizeof ZONES_PREFIX - 1) == 0)
		api_zones(h, req, path + sizeof ZONES_PREFIX - 1);
	else if (strcmp(path, "/api/v1/notify") == 0)
		api_notify(h, req);
	else if (strcmp(path, "/api/v1/reload") == 0)
		api_reload(h, req);
	else if (ws)
		ws_handle_request(h->env.ws, req);
	else
		http_send_error(req, 404, "no such endpoint", NULL);
}

/* ---- lifecycle -------------------------------------------------------------------- */

struct http_server *http_start(struct event_base *base, const struct http_env *env,
	struct nodd_err *e)
{
	const struct config_addr *a = &env->cfg->http;
	struct http_server *h = calloc(1, sizeof *h);
	if (!h) {
		nodd_fail(e, NODD_E_NOMEM, "http: out of memory");
		return NULL;
	}
	h->env = *env;
	if ((!env->cfg->http_token || !*env->cfg->http_token) &&
	    http_token_file(env->cfg->database, &h->file_token, e) < 0) {
		free(h);
		return NULL;
	}
	h->http = evhttp_new(base);
	if (!h->http) {
		nodd_fail(e, NODD_E_SYSTEM, "http: cannot create the HTTP server");
		free(h->file_token);
		free(h);
		return NULL;
	}
	evhttp_set_max_body_size(h->http, (ev_ssize_t)HTTP_MAX_BODY);
	evhttp_set_max_headers_size(h->http, 64 * 1024);
	evhttp_set_timeout(h->http, env->cfg->http_timeout);
	/* Let every method reach on_request, so a wrong one gets a JSON 405 with Allow. */
	evhttp_set_allowed_methods(h->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
		EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
	/* Read the rest of a refused (413) body before closing, so the client sees the reply. */
	evhttp_set_flags(h->http, EVHTTP_SERVER_LINGERING_CLOSE);
	evhttp_set_gencb(h->http, on_request, h);

	char what[sizeof a->text + 32];
	snprintf(what, sizeof what, "http: cannot listen on %s", a->text);
	int fd = listen_socket((const struct sockaddr *)&a->ss, a->len, what, e);
	/* backlog 0: the socket is listening already */
	struct evconnlistener *l = fd < 0 ? NULL : evconnlistener_new(base, NULL, NULL,
		LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 0, fd);
	if (!l) {
		if (fd >= 0) {
			close(fd);
			nodd_fail(e, NODD_E_SYSTEM, "%s: cannot watch the socket", what);
		}
		evhttp_free(h->http);
		free(h->file_token);
		free(h);
		return NULL;
	}
	if (!evhttp_bind_listener(h->http, l)) {
		nodd_fail(e, NODD_E_SYSTEM, "http: cannot bind the listener on %s", a->text);
		evconnlistener_free(l);
		evhttp_free(h->http);
		free(h->file_token);
		free(h);
		return NULL;
	}
	if (httpconn_start(h, l, e) < 0) {
		http_stop(h);
		return NULL;
	}
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	if (getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&ss, &sl) == 0)
		h->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
			: ((struct sockaddr_in *)&ss)->sin_port);
	if (a->ss.ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)&a->ss)->sin6_port == 0
	    : ((const struct sockaddr_in *)&a->ss)->sin_port == 0)
		log_info("http: listening on port %d (configured %s)", h->port, a->text);
	return h;
}

void http_stop(struct http_server *h)
{
	if (!h)
		return;
	httpconn_stopping(h);
	evhttp_free(h->http); /* frees the bound listener and open connections */
	httpconn_free(h);
	free(h->file_token);
	free(h);
}

int http_port(const struct http_server *h)
{
	return h ? h->port : 0;
}
