/* control.c -- the control endpoints of the HTTP API, what `noddctl zone-status`,
 * `retransfer`, `refresh`, `notify` and `reload` speak to: GET /api/v1/zones[/<zone>],
 * POST /api/v1/zones/<zone>/{refresh,retransfer,notify}, POST /api/v1/notify and
 * POST /api/v1/reload. docs/api.md is the contract.
 *
 * Reads the published zones through server/xfrout.h; the upstream zones and the reload
 * only through the functions the daemon registered (struct http_control), so the server
 * never includes the zones or the daemon. Starts work and answers at once: a refresh or
 * a transfer runs on after the answer, its outcome shows in the zone's status. */
#include "server/api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/http.h>
#include <jansson.h>

#include "lib/dname.h"
#include "lib/log.h"
#include "server/xfrout.h"

/* A zone named in a path: a published zone, an upstream zone, or neither. */
struct zone_ref {
	char norm[DNAME_MAX_TEXT + 2];  /* norm text, "" for the root */
	int published;                  /* 0..NOD_ZONE_COUNT-1, or -1 */
	int upstream;                   /* 1 when an upstream has this name */
};

static const char *shown(const char *norm)
{
	return norm[0] ? norm : ".";
}

/* raw (percent-encoded, up to len bytes) to a zone_ref. 0; or -1 after answering 400
 * for a name that is not one, or 404 for a zone nodd neither follows nor publishes. */
static int zone_resolve(struct http_server *h, struct evhttp_request *req, const char *raw,
	size_t len, struct zone_ref *z)
{
	char enc[4 * DNAME_MAX_TEXT];
	if (len >= sizeof enc) {
		http_send_error(req, 400, "invalid zone name: too long", "zone");
		return -1;
	}
	memcpy(enc, raw, len);
	enc[len] = '\0';
	size_t dlen = 0;
	char *name = evhttp_uridecode(enc, 0, &dlen);
	if (!name) {
		http_send_error(req, 500, "out of memory", NULL);
		return -1;
	}
	const char *why = "contains a NUL byte";
	int bad = dlen != strlen(name);
	if (!bad && strcmp(name, ".") == 0)
		z->norm[0] = '\0';
	else if (!bad)
		bad = dname_text_normalize(name, z->norm, sizeof z->norm, &why) < 0;
	free(name);
	if (bad) {
		char msg[200];
		snprintf(msg, sizeof msg, "invalid zone name: %s", why);
		http_send_error(req, 400, msg, "zone");
		return -1;
	}
	z->published = -1;
	for (int i = 0; i < NOD_ZONE_COUNT && h->env.cfg; i++) {
		char zn[DNAME_MAX_TEXT + 2];
		published_zone_name(i, h->env.cfg->suffix, zn, sizeof zn);
		if (strcmp(zn, z->norm) == 0)
			z->published = i;
	}
	json_t *up = h->env.control.upstream_status
		? h->env.control.upstream_status(h->env.control.upstream_ctx, z->norm) : NULL;
	z->upstream = up != NULL;
	json_decref(up);
	if (z->published < 0 && !z->upstream) {
		json_t *o = json_object();
		json_object_set_new(o, "error", json_string("no such zone: nodd neither follows nor "
			"publishes it"));
		json_object_set_new(o, "zone", json_string(shown(z->norm)));
		http_send_json(req, 404, o);
		return -1;
	}
	return 0;
}

static json_t *published_json(struct http_server *h, int z)
{
	json_t *o = h->env.xfr ? xfrout_zone_status(h->env.xfr, z) : json_object();
	char zn[DNAME_MAX_TEXT + 2];
	published_zone_name(z, h->env.cfg ? h->env.cfg->suffix : "", zn, sizeof zn);
	json_object_set_new(o, "zone", json_string(zn));
	json_object_set_new(o, "type", json_string("published"));
	if (!json_object_get(o, "serial"))
		json_object_set_new(o, "serial", json_integer(nod_serial(h->env.nod, z)));
	return o;
}

static json_t *upstream_json(struct http_server *h, const char *zone)
{
	const struct http_control *c = &h->env.control;
	json_t *v = c->upstream_status ? c->upstream_status(c->upstream_ctx, zone) : NULL;
	if (!zone) {
		json_t *a = json_is_array(v) ? v : json_array();
		if (a != v)
			json_decref(v);
		size_t i;
		json_t *e;
		json_array_foreach(a, i, e)
			json_object_set_new(e, "type", json_string("upstream"));
		return a;
	}
	if (v)
		json_object_set_new(v, "type", json_string("upstream"));
	return v;
}

/* GET /api/v1/zones */
static void zones_all(struct http_server *h, struct evhttp_request *req)
{
	json_t *pub = json_array();
	for (int z = 0; z < NOD_ZONE_COUNT; z++)
		json_array_append_new(pub, published_json(h, z));
	json_t *o = json_object();
	json_object_set_new(o, "upstreams", upstream_json(h, NULL));
	json_object_set_new(o, "published", pub);
	http_send_json(req, 200, o);
}

/* POST /api/v1/zones/<zone>/refresh and /retransfer */
static void zone_kick(struct http_server *h, struct evhttp_request *req,
	const struct zone_ref *z, int full)
{
	const char *action = full ? "retransfer" : "refresh";
	const struct http_control *c = &h->env.control;
	int rc = z->upstream && c->upstream_kick ? c->upstream_kick(c->upstream_ctx, z->norm, full)
		: -1;
	if (rc < 0) {
		char msg[DNAME_MAX_TEXT + 200];
		snprintf(msg, sizeof msg, "%s is a published zone: %s is for the upstream zones nodd "
			"follows", shown(z->norm), action);
		http_send_error(req, 400, msg, "zone");
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "zone", json_string(shown(z->norm)));
	json_object_set_new(o, "action", json_string(action));
	json_object_set_new(o, "started", json_string(rc ? "now" : "after the exchange in progress"));
	http_send_json(req, 200, o);
}

/* NOTIFY zone (-1: all) again; the answer names the zones and targets. */
static void send_notify(struct http_server *h, struct evhttp_request *req, int zone)
{
	int sent = h->env.xfr ? xfrout_notify(h->env.xfr, zone) : 0;
	int targets = h->env.cfg ? h->env.cfg->nnotify : 0;
	log_info("http: NOTIFY of %s sent again to %d targets (%d messages)",
		zone < 0 ? "every published zone" : "one published zone", targets, sent);
	json_t *zs = json_array();
	for (int z = 0; z < NOD_ZONE_COUNT; z++) {
		if (zone >= 0 && z != zone)
			continue;
		char zn[DNAME_MAX_TEXT + 2];
		published_zone_name(z, h->env.cfg ? h->env.cfg->suffix : "", zn, sizeof zn);
		json_array_append_new(zs, json_pack("{s:s, s:I}", "zone", zn, "serial",
			(json_int_t)nod_serial(h->env.nod, z)));
	}
	json_t *o = json_object();
	json_object_set_new(o, "zones", zs);
	json_object_set_new(o, "targets", json_integer(targets));
	json_object_set_new(o, "sent", json_integer(sent));
	http_send_json(req, 200, o);
}

void api_zones(struct http_server *h, struct evhttp_request *req, const char *rest)
{
	if (!*rest) {
		if (!http_refuse_unless_get(req))
			zones_all(h, req);
		return;
	}
	if (*rest != '/' || !rest[1]) {
		http_send_error(req, 404, "no such endpoint", NULL);
		return;
	}
	rest++;
	const char *slash = strchr(rest, '/');
	const char *action = slash ? slash + 1 : NULL;
	int full = action && strcmp(action, "retransfer") == 0;
	if (action && !full && strcmp(action, "refresh") != 0 && strcmp(action, "notify") != 0) {
		http_send_error(req, 404, "no such endpoint", NULL);
		return;
	}
	if (action ? evhttp_request_get_command(req) != EVHTTP_REQ_POST
		   : http_refuse_unless_get(req)) {
		if (action)
			http_send_method_not_allowed(req, "POST");
		return;
	}
	struct zone_ref z;
	if (zone_resolve(h, req, rest, slash ? (size_t)(slash - rest) : strlen(rest), &z) < 0)
		return;
	if (!action) {
		http_send_json(req, 200, z.upstream ? upstream_json(h, z.norm)
			: published_json(h, z.published));
	} else if (strcmp(action, "notify") != 0) {
		zone_kick(h, req, &z, full);
	} else if (z.published < 0) {
		char msg[DNAME_MAX_TEXT + 200];
		snprintf(msg, sizeof msg, "%s is an upstream zone: nodd does not serve it, so it "
			"notifies nobody of it", shown(z.norm));
		http_send_error(req, 400, msg, "zone");
	} else {
		send_notify(h, req, z.published);
	}
}

void api_notify(struct http_server *h, struct evhttp_request *req)
{
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		http_send_method_not_allowed(req, "POST");
		return;
	}
	send_notify(h, req, -1);
}

/* "a, b, c" (struct config_changes) as ["a", "b", "c"] */
static json_t *names_json(const struct config_changes *c)
{
	json_t *a = json_array();
	const char *p = c->names;
	while (*p) {
		size_t n = strcspn(p, ",");
		json_array_append_new(a, json_stringn(p, n));
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return a;
}

void api_reload(struct http_server *h, struct evhttp_request *req)
{
	if (evhttp_request_get_command(req) != EVHTTP_REQ_POST) {
		http_send_method_not_allowed(req, "POST");
		return;
	}
	const struct http_control *c = &h->env.control;
	if (!c->reload) {
		http_send_error(req, 503, "reload is not available", NULL);
		return;
	}
	struct http_reload r;
	memset(&r, 0, sizeof r);
	c->reload(c->reload_ctx, &r);
	if (!r.ok) {
		json_t *o = json_object();
		json_object_set_new(o, "error", api_jstr(r.error));
		json_object_set_new(o, "reloaded", json_false());
		http_send_json(req, 409, o);
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "reloaded", json_true());
	json_object_set_new(o, "applied", names_json(&r.applied));
	json_object_set_new(o, "restart_needed", names_json(&r.restart));
	json_object_set_new(o, "pending", names_json(&r.pending));
	if (r.keys_error[0])
		json_object_set_new(o, "keys_error", api_jstr(r.keys_error));
	http_send_json(req, 200, o);
}
