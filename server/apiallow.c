/* apiallow.c -- the allow-list endpoints: GET /api/v1/allow (every entry that applies,
 * with its origin), POST /api/v1/allow {"name": ...} and DELETE /api/v1/allow/<name>.
 * Writes pass the same gate as observations (token, Origin, Content-Type for POST:
 * server/httpauth.c). Reads and changes the core's allow-list through nod_allow_*;
 * decides nothing about the zones. docs/api.md is the contract. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/http.h>
#include <jansson.h>

#include "lib/clock.h"
#include "policy/allow_store.h"
#include "server/api.h"

static void entry_cb(void *ctx, const struct allow_entry *e)
{
	if (e->until != ALLOW_OPEN)
		return;
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(e->pattern));
	json_object_set_new(o, "origin", json_string(allow_origin_name(e->origin)));
	json_object_set_new(o, "since", json_integer(e->since));
	json_array_append_new(ctx, o);
}

static void allow_list(struct http_server *h, struct evhttp_request *req)
{
	json_t *arr = json_array();
	allow_each(nod_allow(h->env.nod), entry_cb, arr);
	json_t *o = json_object();
	json_object_set_new(o, "entries", arr);
	http_send_json(req, 200, o);
}

/* The answer to a change: the entry, whether it changed, and whether the name is still
 * allowed by the other origin. */
static void reply_change(struct http_server *h, struct evhttp_request *req, const char *norm,
	int changed)
{
	json_t *o = json_object();
	json_object_set_new(o, "name", json_string(norm));
	json_object_set_new(o, "origin", json_string("api"));
	json_object_set_new(o, "changed", json_boolean(changed));
	json_object_set_new(o, "config", json_boolean(allow_is_open(nod_allow(h->env.nod), norm,
		ALLOW_CONFIG)));
	http_send_json(req, 200, o);
}

static void allow_change(struct http_server *h, struct evhttp_request *req, const char *name,
	int on)
{
	char norm[ALLOW_MAX_TEXT + 3];
	enum nod_allow_outcome out;
	const char *why = NULL;
	if (nod_allow_set(h->env.nod, name, ALLOW_API, on, unix_now(), norm, sizeof norm, &out,
		    &why) < 0) {
		http_send_store_error(req, nod_store(h->env.nod), nod_errmsg(h->env.nod));
		return;
	}
	if (out == NOD_ALLOW_INVALID) {
		char msg[300];
		snprintf(msg, sizeof msg, "invalid name: %s", why ? why : "?");
		http_send_error(req, 400, msg, "name");
		return;
	}
	if (!on && out == NOD_ALLOW_UNCHANGED) {
		int cfg = allow_is_open(nod_allow(h->env.nod), norm, ALLOW_CONFIG);
		http_send_error(req, cfg ? 409 : 404, cfg ? "allowed by the configuration "
			"(policy.allow): remove it there and reload" : "not on the allow-list", "name");
		return;
	}
	reply_change(h, req, norm, out == NOD_ALLOW_CHANGED);
}

static void allow_post(struct http_server *h, struct evhttp_request *req)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(in);
	const char *data = len ? (const char *)evbuffer_pullup(in, -1) : "";
	json_error_t jerr;
	json_t *body = data ? json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr) : NULL;
	json_t *name = json_is_object(body) ? json_object_get(body, "name") : NULL;
	if (!json_is_string(name))
		http_send_error(req, 400, "expected {\"name\": \"example.com\"} (or \"*.example.com\")",
			"name");
	else
		allow_change(h, req, json_string_value(name), 1);
	json_decref(body);
}

size_t api_allow_path(const char *path)
{
	size_t n = sizeof HTTP_ALLOW_PATH - 1;
	return strncmp(path, HTTP_ALLOW_PATH, n) == 0 && (path[n] == '\0' || path[n] == '/') ? n
		: 0;
}

void api_allow(struct http_server *h, struct evhttp_request *req, const char *rest)
{
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	if (!*rest) {
		if (cmd == EVHTTP_REQ_POST)
			allow_post(h, req);
		else if (!http_refuse_unless_get(req))
			allow_list(h, req);
		return;
	}
	if (*rest != '/' || !rest[1]) {
		http_send_error(req, 404, "no such endpoint", NULL);
		return;
	}
	if (cmd != EVHTTP_REQ_DELETE) {
		http_send_method_not_allowed(req, "DELETE");
		return;
	}
	size_t dlen = 0;
	char *name = evhttp_uridecode(rest + 1, 0, &dlen);
	if (!name) {
		http_send_error(req, 500, "out of memory", NULL);
		return;
	}
	if (dlen != strlen(name))
		http_send_error(req, 400, "invalid name: contains a NUL byte", "name");
	else
		allow_change(h, req, name, 0);
	free(name);
}
