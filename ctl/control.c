/* control.c -- noddctl's control commands (see control.h): zone-status, retransfer,
 * refresh, notify, reload. Each is one request to the API's control endpoints; the
 * answer is printed as short aligned text (or as the server's JSON with --json), and a
 * refusal (an unknown zone, a wrong token, a configuration with an error) exits 1.
 * Knows the JSON shapes of docs/api.md; parses no command line. */
#include "ctl/control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

/* ---- helpers ----------------------------------------------------------------------- */

/* path + the zone name percent-encoded (the name is checked by the server) + tail. */
static void zone_path(char *out, size_t n, const char *zone, const char *tail)
{
	size_t k = (size_t)snprintf(out, n, "/api/v1/zones/");
	for (const unsigned char *p = (const unsigned char *)zone; *p && k + 4 < n; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_')
			out[k++] = (char)*p;
		else
			k += (size_t)snprintf(out + k, n - k, "%%%02X", *p);
	}
	out[k] = '\0';
	snprintf(out + k, n - k, "%s", tail);
}

/* The reply as-is on stdout (it is one line of JSON and a newline). */
static void print_raw(const struct http_reply *r)
{
	fwrite(r->body, 1, r->len, stdout);
	if (r->len && r->body[r->len - 1] != '\n')
		fputc('\n', stdout);
}

/* One request; on a 200 the parsed JSON body (caller decrefs), else the error printed
 * and NULL. With json, a 200 body is printed as it came. */
static json_t *call(struct http_client *c, const char *method, const char *path, int json,
	const char *what, struct http_reply *r)
{
	ctl_request(c, method, path, strcmp(method, "POST") == 0 ? "" : NULL, 0, r);
	if (r->status != 200) {
		ctl_print_error(r, what);
		return NULL;
	}
	if (json)
		print_raw(r);
	json_error_t e;
	json_t *j = json_loadb(r->body, r->len, 0, &e);
	if (!j)
		fprintf(stderr, "noddctl: %s: the answer is not JSON: %.200s\n", what, r->body);
	return j;
}

/* call() on /api/v1/zones/ZONE<tail>, or on all when zone is NULL; what names it in
 * errors when zone does not. */
static json_t *zone_call(struct http_client *c, const char *method, const char *zone,
	const char *tail, const char *all, int json, const char *what)
{
	char path[1200];
	if (zone)
		zone_path(path, sizeof path, zone, tail);
	else
		snprintf(path, sizeof path, "%s", all);
	struct http_reply r;
	json_t *j = call(c, method, path, json, zone ? zone : what, &r);
	free(r.body);
	return j;
}

static long long jint(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static const char *jstr(const json_t *o, const char *key, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : dflt;
}

/* A unix time as "2026-12-03T16:30:01Z (12 s ago)", "(now)" or "(in 48 s)"; "-" for
 * none. */
static const char *when(long long t, char *buf, size_t n)
{
	if (t <= 0)
		return "-";
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	char iso[32];
	strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	long long d = t - (long long)time(NULL);
	if (d > 0)
		snprintf(buf, n, "%s (in %lld s)", iso, d);
	else if (d == 0)
		snprintf(buf, n, "%s (now)", iso);
	else
		snprintf(buf, n, "%s (%lld s ago)", iso, -d);
	return buf;
}

/* ---- zone-status ------------------------------------------------------------------- */

/* "IXFR 4 -> 5 applied" */
static const char *transfer_text(const json_t *u, char *buf, size_t n)
{
	const json_t *t = json_object_get(u, "last_transfer");
	if (!json_is_object(t))
		return "-";
	snprintf(buf, n, "%s %lld -> %lld %s", jstr(t, "kind", "?"), jint(t, "serial_from"),
		jint(t, "serial_to"), jstr(t, "result", "?"));
	return buf;
}

static void serial_text(const json_t *o, char *buf, size_t n)
{
	const json_t *s = json_object_get(o, "serial");
	if (json_is_integer(s))
		snprintf(buf, n, "%lld", (long long)json_integer_value(s));
	else
		snprintf(buf, n, "-");
}

static void upstream_detail(const json_t *u)
{
	char b1[96], b2[96], ser[24];
	const json_t *t = json_object_get(u, "last_transfer");
	const json_t *x = json_object_get(u, "transfers");
	serial_text(u, ser, sizeof ser);
	printf("zone:           %s\n", jstr(u, "zone", "?"));
	printf("type:           upstream\n");
	printf("serial:         %s\n", ser);
	printf("state:          %s%s%s\n", jstr(u, "state", "?"),
		json_is_true(json_object_get(u, "expired")) ? ", expired" : "",
		json_is_true(json_object_get(u, "retransfer_pending")) ? ", retransfer pending" : "");
	printf("last transfer:  %s%s%s\n", transfer_text(u, b1, sizeof b1),
		json_is_object(t) ? " at " : "", json_is_object(t) ? when(jint(t, "at"), b2, sizeof b2)
		: "");
	printf("last success:   %s\n", when(jint(u, "last_success"), b1, sizeof b1));
	printf("next refresh:   %s\n", json_is_integer(json_object_get(u, "next_refresh"))
		? when(jint(u, "next_refresh"), b1, sizeof b1) : "now (an exchange is running)");
	printf("transfers:      ixfr %lld, axfr %lld, failed %lld, up to date %lld\n",
		jint(x, "ixfr"), jint(x, "axfr"), jint(x, "failed"), jint(x, "up_to_date"));
	printf("errors:         %lld\n", jint(u, "errors"));
	printf("last error:     %s%s%s\n", jstr(u, "last_error", "-"),
		json_is_string(json_object_get(u, "last_error")) ? " at " : "",
		json_is_string(json_object_get(u, "last_error"))
		? when(jint(u, "last_error_at"), b1, sizeof b1) : "");
}

static void published_detail(const json_t *p)
{
	char b1[96];
	size_t i;
	const json_t *e;
	printf("zone:           %s\n", jstr(p, "zone", "?"));
	printf("type:           published\n");
	printf("serial:         %lld\n", jint(p, "serial"));
	const json_t *cons = json_object_get(p, "consumers");
	if (!json_array_size(cons))
		printf("consumers:      -\n");
	json_array_foreach(cons, i, e)
		printf("%-16s%s%s%s serial %lld%s, %s at %s\n", i ? "" : "consumers:", jstr(e, "peer", "?"),
			json_is_string(json_object_get(e, "key")) ? " key " : "", jstr(e, "key", ""),
			jint(e, "serial"), json_is_true(json_object_get(e, "current")) ? " (current)" : "",
			jstr(e, "last", "?"), when(jint(e, "at"), b1, sizeof b1));
	const json_t *nt = json_object_get(p, "notify");
	if (!json_array_size(nt))
		printf("notify:         -\n");
	json_array_foreach(nt, i, e) {
		printf("%-16s%s %s", i ? "" : "notify:", jstr(e, "address", "?"), jstr(e, "state", "?"));
		if (json_object_get(e, "tries"))
			printf(", serial %lld, %lld tries, at %s", jint(e, "serial"), jint(e, "tries"),
				when(jint(e, "at"), b1, sizeof b1));
		printf("\n");
	}
}

/* Notify targets of a published zone as "1/2 acknowledged". */
static void notify_summary(const json_t *p, char *buf, size_t n)
{
	size_t i, acked = 0;
	const json_t *e, *nt = json_object_get(p, "notify");
	json_array_foreach(nt, i, e)
		acked += strcmp(jstr(e, "state", ""), "acknowledged") == 0;
	if (!json_array_size(nt))
		snprintf(buf, n, "-");
	else
		snprintf(buf, n, "%zu/%zu acknowledged", acked, json_array_size(nt));
}

/* The widest zone name of the list, at least min: the first column's width. */
static int zone_width(const json_t *list, int min)
{
	size_t i, w = (size_t)min;
	const json_t *e;
	json_array_foreach(list, i, e)
		if (strlen(jstr(e, "zone", "")) > w)
			w = strlen(jstr(e, "zone", ""));
	return (int)w;
}

static void zones_table(const json_t *all)
{
	size_t i;
	const json_t *e;
	char ser[24], b1[96], b2[96];
	const json_t *ups = json_object_get(all, "upstreams");
	const json_t *pub = json_object_get(all, "published");
	int w = zone_width(ups, zone_width(pub, 9));
	if (json_array_size(ups)) {
		printf("%-*s %-10s %-40s %-34s %s\n", w, "UPSTREAM", "SERIAL", "LAST TRANSFER",
			"NEXT REFRESH", "ERRORS");
		json_array_foreach(ups, i, e) {
			serial_text(e, ser, sizeof ser);
			printf("%-*s %-10s %-40s %-34s %lld\n", w, jstr(e, "zone", "?"), ser,
				transfer_text(e, b1, sizeof b1),
				json_is_integer(json_object_get(e, "next_refresh"))
				? when(jint(e, "next_refresh"), b2, sizeof b2) : "running", jint(e, "errors"));
		}
		printf("\n");
	}
	printf("%-*s %-10s %-10s %s\n", w, "PUBLISHED", "SERIAL", "CONSUMERS", "NOTIFY");
	json_array_foreach(pub, i, e) {
		notify_summary(e, b1, sizeof b1);
		printf("%-*s %-10lld %-10zu %s\n", w, jstr(e, "zone", "?"), jint(e, "serial"),
			json_array_size(json_object_get(e, "consumers")), b1);
	}
}

/* The CT logs of the status, when CT is on: state, position, and why a failing log is
 * not read (it stays so until a restart or SIGHUP). Nothing when the status is not there. */
static void ct_table(struct http_client *c)
{
	struct http_reply r;
	ctl_request(c, "GET", "/api/v1/status", NULL, 0, &r);
	json_t *st = r.status == 200 ? json_loadb(r.body, r.len, 0, NULL) : NULL;
	free(r.body);
	const json_t *logs = json_object_get(st, "ct");
	if (json_array_size(logs)) {
		size_t i;
		const json_t *e;
		printf("\n%-24s %-10s %-12s %-12s %s\n", "CT LOG", "STATE", "POSITION", "TREE SIZE",
			"LAST ERROR");
		json_array_foreach(logs, i, e)
			printf("%-24s %-10s %-12lld %-12lld %s\n", jstr(e, "log", "?"),
				jstr(e, "state", "?"), jint(e, "position"), jint(e, "tree_size"),
				jstr(e, "last_error", "-"));
	}
	json_decref(st);
}

static int zone_status(struct http_client *c, const char *zone, int json)
{
	json_t *j = zone_call(c, "GET", zone, "", "/api/v1/zones", json, "zone-status");
	if (!j)
		return EXIT_REFUSED;
	if (!json && !zone) { /* with --json, call() printed the answer */
		zones_table(j);
		ct_table(c);
	}
	else if (!json && strcmp(jstr(j, "type", ""), "upstream") == 0)
		upstream_detail(j);
	else if (!json)
		published_detail(j);
	json_decref(j);
	return 0;
}

/* ---- actions ----------------------------------------------------------------------- */

static int zone_action(struct http_client *c, const char *zone, const char *action, int json)
{
	char tail[32];
	snprintf(tail, sizeof tail, "/%s", action);
	json_t *j = zone_call(c, "POST", zone, tail, NULL, json, NULL);
	if (!j)
		return EXIT_REFUSED;
	if (!json)
		printf("%s %s: started %s\n", action, jstr(j, "zone", zone), jstr(j, "started", "?"));
	json_decref(j);
	return 0;
}

static int notify(struct http_client *c, const char *zone, int json)
{
	json_t *j = zone_call(c, "POST", zone, "/notify", "/api/v1/notify", json, "notify");
	if (!j)
		return EXIT_REFUSED;
	if (!json && jint(j, "targets") == 0) {
		printf("no transfer.notify targets are configured: nothing sent\n");
	} else if (!json) {
		size_t i;
		const json_t *e;
		json_array_foreach(json_object_get(j, "zones"), i, e)
			printf("NOTIFY %s serial %lld\n", jstr(e, "zone", "?"), jint(e, "serial"));
		printf("sent %lld NOTIFY messages to %lld targets\n", jint(j, "sent"), jint(j, "targets"));
	}
	json_decref(j);
	return 0;
}

static void names_line(const char *label, const json_t *a)
{
	size_t i;
	const json_t *e;
	printf("%-16s", label);
	if (!json_array_size(a))
		printf("-");
	json_array_foreach(a, i, e)
		printf("%s%s", i ? ", " : "", json_string_value(e) ? json_string_value(e) : "?");
	printf("\n");
}

static int reload(struct http_client *c, int json)
{
	json_t *j = zone_call(c, "POST", NULL, NULL, "/api/v1/reload", json, "reload");
	if (!j)
		return EXIT_REFUSED;
	if (!json) {
		printf("configuration reloaded\n");
		names_line("applied:", json_object_get(j, "applied"));
		names_line("restart needed:", json_object_get(j, "restart_needed"));
		if (json_array_size(json_object_get(j, "pending")))
			names_line("pending:", json_object_get(j, "pending"));
		if (json_is_string(json_object_get(j, "keys_error")))
			printf("%-16s%s (the running keys are kept)\n", "keys error:",
				jstr(j, "keys_error", ""));
	}
	json_decref(j);
	return 0;
}

/* ---- dispatch ---------------------------------------------------------------------- */

static void need_zone(const char *cmd, const char *arg)
{
	if (!arg) {
		fprintf(stderr, "noddctl: usage: noddctl %s ZONE\n", cmd);
		exit(EXIT_USAGE);
	}
}

int ctl_control(struct http_client *c, const char *cmd, const char *arg, int json)
{
	if (strcmp(cmd, "zone-status") == 0)
		return zone_status(c, arg, json);
	if (strcmp(cmd, "retransfer") == 0 || strcmp(cmd, "refresh") == 0) {
		need_zone(cmd, arg);
		return zone_action(c, arg, cmd, json);
	}
	if (strcmp(cmd, "notify") == 0)
		return notify(c, arg, json);
	if (strcmp(cmd, "reload") == 0) {
		if (arg) {
			fprintf(stderr, "noddctl: reload takes no argument\n");
			exit(EXIT_USAGE);
		}
		return reload(c, json);
	}
	return -1;
}
