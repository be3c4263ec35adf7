/* config.c -- YAML configuration into struct nodd_config, with errors that name the file,
 * the line and the key. The document is loaded whole (yaml_parser_load) so every node
 * keeps its line; then each section is walked against a table of known keys, so an
 * unknown key is an error instead of a silently ignored typo. */
#include "conf/config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "lib/dname.h"
#include "lib/log.h"

struct cctx {
	const char *file;
	yaml_document_t *doc;
	struct nodd_config *cfg;
	char *err;
	size_t errlen;
	int failed;
};

__attribute__((format(printf, 4, 5)))
static int cerr(struct cctx *c, const yaml_node_t *n, const char *key, const char *fmt, ...)
{
	if (c->failed)
		return -1;
	c->failed = 1;
	int o = snprintf(c->err, c->errlen, "%s:%lu: %s%s", c->file,
		n ? (unsigned long)n->start_mark.line + 1 : 1UL, key ? key : "", key ? ": " : "");
	if (o < 0 || (size_t)o >= c->errlen)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->err + o, c->errlen - (size_t)o, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *scalar(struct cctx *c, yaml_node_t *n, const char *key)
{
	if (n->type != YAML_SCALAR_NODE) {
		cerr(c, n, key, "expected a single value");
		return NULL;
	}
	return (const char *)n->data.scalar.value;
}

static int get_uint(struct cctx *c, yaml_node_t *n, const char *key, long long min,
	long long max, long long *out)
{
	const char *s = scalar(c, n, key);
	if (!s)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return cerr(c, n, key, "expected a whole number from %lld to %lld, not \"%s\"",
			min, max, s);
	*out = v;
	return 0;
}

/* "90", "90s", "5m", "2h", "1d" -> seconds. */
static int get_duration(struct cctx *c, yaml_node_t *n, const char *key, int64_t min,
	int64_t max, int64_t *out)
{
	const char *s = scalar(c, n, key);
	if (!s)
		return -1;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	long long mul = 1;
	if (end != s && *end && !end[1]) {
		switch (*end) {
		case 's': mul = 1; end++; break;
		case 'm': mul = 60; end++; break;
		case 'h': mul = 3600; end++; break;
		case 'd': mul = 86400; end++; break;
		default: break;
		}
	}
	if (errno || end == s || *end || v < 0 || v > max / mul || v * mul < min)
		return cerr(c, n, key, "expected a duration such as 30s, 5m or 1h (%lld..%lld s), not \"%s\"",
			(long long)min, (long long)max, s);
	*out = v * mul;
	return 0;
}

static int get_name(struct cctx *c, yaml_node_t *n, const char *key, char **out)
{
	const char *s = scalar(c, n, key);
	if (!s)
		return -1;
	char norm[DNAME_MAX_TEXT + 1];
	const char *why = NULL;
	if (dname_text_normalize(s, norm, sizeof norm, &why) < 0)
		return cerr(c, n, key, "\"%s\" is not a valid domain name: %s", s, why);
	free(*out);
	*out = strdup(norm);
	return *out ? 0 : cerr(c, n, key, "out of memory");
}

static int get_string(struct cctx *c, yaml_node_t *n, const char *key, char **out)
{
	const char *s = scalar(c, n, key);
	if (!s)
		return -1;
	if (!*s)
		return cerr(c, n, key, "must not be empty");
	free(*out);
	*out = strdup(s);
	return *out ? 0 : cerr(c, n, key, "out of memory");
}

int config_parse_addr(const char *s, int defport, struct config_addr *out, const char **why)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *at = strrchr(s, '@');
	long port = defport;
	size_t hl = at ? (size_t)(at - s) : strlen(s);
	if (hl == 0 || hl >= sizeof host) {
		*why = "expected address@port, e.g. 127.0.0.1@5353 or ::1@5353";
		return -1;
	}
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	if (at) {
		char *end;
		errno = 0;
		port = strtol(at + 1, &end, 10);
		if (errno || end == at + 1 || *end || port < 0 || port > 65535) {
			*why = "port must be a number from 0 to 65535";
			return -1;
		}
	}
	memset(out, 0, sizeof *out);
	struct sockaddr_in *a4 = (struct sockaddr_in *)&out->ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&out->ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		out->len = sizeof *a4;
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		out->len = sizeof *a6;
	} else {
		*why = "not an IPv4 or IPv6 address (expected address@port, e.g. 127.0.0.1@5353)";
		return -1;
	}
	snprintf(out->text, sizeof out->text, "%s@%ld", host, port);
	return 0;
}

static int get_addr(struct cctx *c, yaml_node_t *n, const char *key, int defport,
	struct config_addr *out)
{
	const char *s = scalar(c, n, key);
	if (!s)
		return -1;
	const char *why = NULL;
	if (config_parse_addr(s, defport, out, &why) < 0)
		return cerr(c, n, key, "\"%s\": %s", s, why);
	return 0;
}

/* Walk a mapping: call fn(c, keynode, valuenode, key) for each pair; duplicate keys are
 * an error (YAML says they are, and a silent "last wins" hides mistakes). */
typedef int (*pair_fn)(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key);

static int each_pair(struct cctx *c, yaml_node_t *map, const char *section, pair_fn fn)
{
	if (map->type != YAML_MAPPING_NODE)
		return cerr(c, map, section, "expected a mapping of keys");
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		if (!k || !v || k->type != YAML_SCALAR_NODE)
			return cerr(c, k ? k : map, section, "keys must be plain names");
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *k2 = yaml_document_get_node(c->doc, q->key);
			if (k2 && k2->type == YAML_SCALAR_NODE &&
			    strcmp((char *)k2->data.scalar.value, (char *)k->data.scalar.value) == 0)
				return cerr(c, k, (char *)k->data.scalar.value,
					"duplicate key (first on line %lu)",
					(unsigned long)k2->start_mark.line + 1);
		}
		char full[128];
		snprintf(full, sizeof full, "%s%s%s", section ? section : "", section ? "." : "",
			(const char *)k->data.scalar.value);
		if (fn(c, k, v, full) < 0)
			return -1;
	}
	return 0;
}

#define KEY(name) (strcmp(key + off, name) == 0)

static int server_pair(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct nodd_config *cfg = c->cfg;
	size_t off = strlen("server.");
	long long n;
	if (KEY("listen")) {
		cfg->nlisten = 0;
		if (v->type == YAML_SCALAR_NODE)
			return get_addr(c, v, key, 53, &cfg->listen[cfg->nlisten++]);
		if (v->type != YAML_SEQUENCE_NODE)
			return cerr(c, v, key, "expected a list of address@port");
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			if (cfg->nlisten == CONFIG_MAX_LISTEN)
				return cerr(c, v, key, "at most %d addresses", CONFIG_MAX_LISTEN);
			yaml_node_t *e = yaml_document_get_node(c->doc, *it);
			if (get_addr(c, e, key, 53, &cfg->listen[cfg->nlisten++]) < 0)
				return -1;
		}
		if (cfg->nlisten == 0)
			return cerr(c, v, key, "needs at least one address");
		return 0;
	}
	if (KEY("http")) {
		cfg->has_http = 1;
		return get_addr(c, v, key, 8053, &cfg->http);
	}
	if (KEY("http-token"))
		return get_string(c, v, key, &cfg->http_token);
	if (KEY("database"))
		return get_string(c, v, key, &cfg->database);
	if (KEY("udp-threads")) {
		if (get_uint(c, v, key, 0, 64, &n) < 0)
			return -1;
		cfg->udp_threads = (int)n;
		return 0;
	}
	if (KEY("log-level")) {
		const char *s = scalar(c, v, key);
		if (!s)
			return -1;
		int l = log_level_parse(s);
		if (l < 0)
			return cerr(c, v, key, "expected error, warning, info or debug, not \"%s\"", s);
		cfg->log_level = l;
		return 0;
	}
	if (KEY("tcp-idle-timeout")) {
		int64_t d;
		if (get_duration(c, v, key, 1, 3600, &d) < 0)
			return -1;
		cfg->tcp_idle_timeout = (int)d;
		return 0;
	}
	if (KEY("tcp-clients")) {
		if (get_uint(c, v, key, 1, 100000, &n) < 0)
			return -1;
		cfg->tcp_clients = (int)n;
		return 0;
	}
	if (KEY("tcp-clients-per-ip")) {
		if (get_uint(c, v, key, 1, 100000, &n) < 0)
			return -1;
		cfg->tcp_clients_per_ip = (int)n;
		return 0;
	}
	return cerr(c, k, key, "unknown key");
}

static int publish_pair(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct nodd_config *cfg = c->cfg;
	size_t off = strlen("publish.");
	long long n;
	int64_t d;
	if (KEY("suffix"))
		return get_name(c, v, key, &cfg->suffix);
	if (KEY("ttl")) {
		if (get_uint(c, v, key, 0, 604800, &n) < 0)
			return -1;
		cfg->ttl = (uint32_t)n;
		return 0;
	}
	if (KEY("ns")) {
		for (int i = 0; i < cfg->nns; i++) {
			free(cfg->ns[i]);
			cfg->ns[i] = NULL;
		}
		cfg->nns = 0;
		if (v->type == YAML_SCALAR_NODE)
			return get_name(c, v, key, &cfg->ns[cfg->nns++]);
		if (v->type != YAML_SEQUENCE_NODE)
			return cerr(c, v, key, "expected a list of host names");
		for (yaml_node_item_t *it = v->data.sequence.items.start;
		     it < v->data.sequence.items.top; it++) {
			if (cfg->nns == CONFIG_MAX_NS)
				return cerr(c, v, key, "at most %d names", CONFIG_MAX_NS);
			if (get_name(c, yaml_document_get_node(c->doc, *it), key, &cfg->ns[cfg->nns++]) < 0)
				return -1;
		}
		if (cfg->nns == 0)
			return cerr(c, v, key, "needs at least one name");
		return 0;
	}
	if (KEY("hostmaster"))
		return get_name(c, v, key, &cfg->hostmaster);
	if (KEY("min-interval"))
		return get_duration(c, v, key, 1, 86400, &cfg->min_interval);
	uint32_t *soa = KEY("soa-refresh") ? &cfg->soa_refresh : KEY("soa-retry") ? &cfg->soa_retry :
		KEY("soa-expire") ? &cfg->soa_expire : KEY("soa-minimum") ? &cfg->soa_minimum : NULL;
	if (soa) {
		if (get_duration(c, v, key, 0, 2419200 * 4, &d) < 0)
			return -1;
		*soa = (uint32_t)d;
		return 0;
	}
	if (KEY("rpz-action")) {
		const char *s = scalar(c, v, key);
		if (!s)
			return -1;
		if (strcmp(s, "nxdomain") == 0)
			cfg->rpz_nodata = 0;
		else if (strcmp(s, "nodata") == 0)
			cfg->rpz_nodata = 1;
		else
			return cerr(c, v, key, "expected nxdomain or nodata, not \"%s\"", s);
		return 0;
	}
	return cerr(c, k, key, "unknown key");
}

static int policy_pair(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct nodd_config *cfg = c->cfg;
	size_t off = strlen("policy.");
	if (KEY("future-skew"))
		return get_duration(c, v, key, 0, 86400, &cfg->future_skew);
	if (KEY("public-suffix-list"))
		return get_string(c, v, key, &cfg->psl_file);
	return cerr(c, k, key, "unknown key");
}

static int get_bool(struct cctx *c, yaml_node_t *n, const char *key, int *out)
{
	const char *s = scalar(c, n, key);
	if (!s)
		return -1;
	if (!strcmp(s, "yes") || !strcmp(s, "true") || !strcmp(s, "on")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(s, "no") || !strcmp(s, "false") || !strcmp(s, "off")) {
		*out = 0;
		return 0;
	}
	return cerr(c, n, key, "expected yes or no, not \"%s\"", s);
}

/* Walk a sequence of mappings, growing *arr (element size sz) by one per item and
 * calling fn for each pair with c->item pointing at the new element. */
static void *cur_item;

static int each_item(struct cctx *c, yaml_node_t *seq, const char *key, void **arr, int *n,
	size_t sz, pair_fn fn, int (*done)(struct cctx *, yaml_node_t *, const char *))
{
	if (seq->type != YAML_SEQUENCE_NODE)
		return cerr(c, seq, key, "expected a list");
	for (yaml_node_item_t *it = seq->data.sequence.items.start;
	     it < seq->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(c->doc, *it);
		void *na = realloc(*arr, (size_t)(*n + 1) * sz);
		if (!na)
			return cerr(c, e, key, "out of memory");
		*arr = na;
		cur_item = (char *)na + (size_t)*n * sz;
		memset(cur_item, 0, sz);
		(*n)++;
		if (each_pair(c, e, key, fn) < 0 || (done && done(c, e, key) < 0))
			return -1;
	}
	return 0;
}

static const char *const tsig_algorithms[] = {
	"hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512", NULL
};

static int key_pair(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct config_key *ck = cur_item;
	size_t off = strlen("keys.");
	ck->line = (int)v->start_mark.line + 1;
	if (KEY("name"))
		return get_name(c, v, key, &ck->name);
	if (KEY("algorithm")) {
		const char *s = scalar(c, v, key);
		if (!s)
			return -1;
		for (int i = 0; tsig_algorithms[i]; i++)
			if (strcasecmp(s, tsig_algorithms[i]) == 0)
				return get_string(c, v, key, &ck->algorithm);
		return cerr(c, v, key, "unsupported TSIG algorithm \"%s\" (use hmac-sha256 or hmac-sha512)", s);
	}
	if (KEY("secret")) {
		const char *s = scalar(c, v, key);
		if (!s)
			return -1;
		size_t n = strlen(s);
		if (n == 0 || n % 4 != 0 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != n)
			return cerr(c, v, key, "not a base64 secret");
		return get_string(c, v, key, &ck->secret);
	}
	if (KEY("file")) {
		if (get_string(c, v, key, &ck->file) < 0)
			return -1;
		FILE *f = fopen(ck->file, "r");
		if (!f)
			return cerr(c, v, key, "cannot read %s: %s", ck->file, strerror(errno));
		fclose(f);
		return 0;
	}
	return cerr(c, k, key, "unknown key");
}

static int key_done(struct cctx *c, yaml_node_t *e, const char *key)
{
	struct config_key *ck = cur_item;
	if (ck->file && (ck->name || ck->secret || ck->algorithm))
		return cerr(c, e, key, "give either file, or name, algorithm and secret");
	if (!ck->file && (!ck->name || !ck->secret))
		return cerr(c, e, key, "a key needs name and secret (and algorithm, default hmac-sha256), or file");
	if (!ck->file && !ck->algorithm)
		ck->algorithm = strdup("hmac-sha256");
	for (int i = 0; ck->name && i < c->cfg->nkeys - 1; i++)
		if (c->cfg->keys[i].name && strcmp(c->cfg->keys[i].name, ck->name) == 0)
			return cerr(c, e, key, "key %s is defined twice", ck->name);
	return 0;
}

static int upstream_pair(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct config_upstream *u = cur_item;
	size_t off = strlen("upstreams.");
	u->line = (int)k->start_mark.line + 1;
	if (KEY("zone")) {
		const char *s = scalar(c, v, key);
		if (!s)
			return -1;
		if (strcmp(s, ".") == 0) {
			free(u->zone);
			u->zone = strdup("");
			return 0;
		}
		return get_name(c, v, key, &u->zone);
	}
	if (KEY("primaries")) {
		u->nprimaries = 0;
		yaml_node_item_t *it, *end;
		if (v->type == YAML_SCALAR_NODE) {
			u->primaries[u->nprimaries++] = strdup((char *)v->data.scalar.value);
			return 0;
		}
		if (v->type != YAML_SEQUENCE_NODE)
			return cerr(c, v, key, "expected a list of host@port");
		for (it = v->data.sequence.items.start, end = v->data.sequence.items.top; it < end; it++) {
			if (u->nprimaries == CONFIG_MAX_PRIMARIES)
				return cerr(c, v, key, "at most %d primaries", CONFIG_MAX_PRIMARIES);
			const char *s = scalar(c, yaml_document_get_node(c->doc, *it), key);
			if (!s)
				return -1;
			const char *at = strrchr(s, '@');
			if (!*s || (at && (at[1] == '\0' || strspn(at + 1, "0123456789") != strlen(at + 1) ||
				atoi(at + 1) < 1 || atoi(at + 1) > 65535)))
				return cerr(c, v, key, "\"%s\": expected host or address, optionally @port", s);
			u->primaries[u->nprimaries++] = strdup(s);
		}
		return 0;
	}
	if (KEY("key"))
		return get_name(c, v, key, &u->key);
	if (KEY("keep-first-seen")) {
		int keep = 1;
		if (get_bool(c, v, key, &keep) < 0)
			return -1;
		u->keep_first_seen = keep ? 1 : 2;  /* 0 stays "not given" until upstream_done */
		return 0;
	}
	int64_t *d = KEY("refresh-min") ? &u->refresh_min : KEY("refresh-max") ? &u->refresh_max :
		KEY("retry-min") ? &u->retry_min : KEY("retry-max") ? &u->retry_max :
		KEY("expire-min") ? &u->expire_min : KEY("expire-max") ? &u->expire_max : NULL;
	if (d)
		return get_duration(c, v, key, 1, 365 * 86400, d);
	return cerr(c, k, key, "unknown key");
}

static int upstream_done(struct cctx *c, yaml_node_t *e, const char *key)
{
	struct config_upstream *u = cur_item;
	/* defaults first: the pair callback has set only what the file gives */
	if (!u->zone)
		return cerr(c, e, key, "missing required key zone");
	if (u->nprimaries == 0)
		return cerr(c, e, key, "missing required key primaries");
	u->keep_first_seen = u->keep_first_seen != 2; /* default yes */
	if (!u->refresh_min) u->refresh_min = 30;
	if (!u->refresh_max) u->refresh_max = 86400;
	if (!u->retry_min) u->retry_min = 10;
	if (!u->retry_max) u->retry_max = 3600;
	if (!u->expire_min) u->expire_min = 3600;
	if (!u->expire_max) u->expire_max = 30 * 86400;
	if (u->refresh_min > u->refresh_max || u->retry_min > u->retry_max || u->expire_min > u->expire_max)
		return cerr(c, e, key, "a -min bound is larger than its -max");
	for (int i = 0; i < c->cfg->nupstreams - 1; i++)
		if (strcmp(c->cfg->upstreams[i].zone, u->zone) == 0)
			return cerr(c, e, key, "zone %s is listed twice", u->zone);
	return 0;
}

static int acl_pair(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct config_acl *a = cur_item;
	size_t off = strlen("transfer.allow.");
	if (KEY("key"))
		return get_name(c, v, key, &a->key);
	if (KEY("address")) {
		const char *s = scalar(c, v, key);
		if (!s)
			return -1;
		char host[INET6_ADDRSTRLEN];
		const char *slash = strchr(s, '/');
		size_t hl = slash ? (size_t)(slash - s) : strlen(s);
		if (hl >= sizeof host)
			return cerr(c, v, key, "\"%s\" is not an address or prefix", s);
		memcpy(host, s, hl);
		host[hl] = '\0';
		int max;
		memset(&a->net, 0, sizeof a->net);
		if (inet_pton(AF_INET, host, &((struct sockaddr_in *)&a->net)->sin_addr) == 1) {
			a->net.ss_family = AF_INET;
			max = 32;
		} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)&a->net)->sin6_addr) == 1) {
			a->net.ss_family = AF_INET6;
			max = 128;
		} else {
			return cerr(c, v, key, "\"%s\" is not an address or prefix (e.g. 127.0.0.1/32)", s);
		}
		a->prefix = max;
		if (slash) {
			char *end;
			long p = strtol(slash + 1, &end, 10);
			if (end == slash + 1 || *end || p < 0 || p > max)
				return cerr(c, v, key, "\"%s\": prefix length must be 0..%d", s, max);
			a->prefix = (int)p;
		}
		snprintf(a->text, sizeof a->text, "%s/%d", host, a->prefix);
		return 0;
	}
	return cerr(c, k, key, "unknown key");
}

static int acl_done(struct cctx *c, yaml_node_t *e, const char *key)
{
	struct config_acl *a = cur_item;
	a->line = (int)e->start_mark.line + 1;
	if (!a->key && !a->text[0])
		return cerr(c, e, key, "an entry needs key or address");
	if (!a->text[0])
		a->prefix = -1;
	return 0;
}

static int notify_pair(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct config_notify *n = cur_item;
	size_t off = strlen("transfer.notify.");
	if (KEY("address"))
		return get_addr(c, v, key, 53, &n->addr);
	if (KEY("key"))
		return get_name(c, v, key, &n->key);
	return cerr(c, k, key, "unknown key");
}

static int notify_done(struct cctx *c, yaml_node_t *e, const char *key)
{
	struct config_notify *n = cur_item;
	n->line = (int)e->start_mark.line + 1;
	if (!n->addr.len)
		return cerr(c, e, key, "missing required key address");
	return 0;
}

static int transfer_pair(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct nodd_config *cfg = c->cfg;
	size_t off = strlen("transfer.");
	if (KEY("allow"))
		return each_item(c, v, key, (void **)&cfg->xfr_allow, &cfg->nxfr_allow,
			sizeof *cfg->xfr_allow, acl_pair, acl_done);
	if (KEY("notify"))
		return each_item(c, v, key, (void **)&cfg->notify, &cfg->nnotify,
			sizeof *cfg->notify, notify_pair, notify_done);
	if (KEY("min-interval")) {
		if (get_duration(c, v, key, 1, 86400, &cfg->xfr_min_interval) < 0)
			return -1;
		cfg->min_interval = cfg->xfr_min_interval;
		return 0;
	}
	return cerr(c, k, key, "unknown key");
}

static int files_pair(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct nodd_config *cfg = c->cfg;
	size_t off = strlen("files.");
	if (KEY("dir"))
		return get_string(c, v, key, &cfg->files_dir);
	if (KEY("interval"))
		return get_duration(c, v, key, 1, 86400, &cfg->files_interval);
	return cerr(c, k, key, "unknown key");
}

static int topics_pair(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct nodd_config *cfg = c->cfg;
	size_t off = strlen("kafka.topics.");
	if (KEY("zone_diff"))
		return get_string(c, v, key, &cfg->kafka_topic_zone_diff);
	if (KEY("newly_registered_domain"))
		return get_string(c, v, key, &cfg->kafka_topic_nrd);
	return cerr(c, k, key, "unknown key (topics are zone_diff and newly_registered_domain)");
}

static int props_pair(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct nodd_config *cfg = c->cfg;
	const char *val = scalar(c, v, key);
	if (!val)
		return -1;
	char **np = realloc(cfg->kafka_props, (size_t)(cfg->nkafka_props + 1) * 2 * sizeof *np);
	if (!np)
		return cerr(c, k, key, "out of memory");
	cfg->kafka_props = np;
	np[cfg->nkafka_props * 2] = strdup((char *)k->data.scalar.value);
	np[cfg->nkafka_props * 2 + 1] = strdup(val);
	cfg->nkafka_props++;
	return 0;
}

static int kafka_pair(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct nodd_config *cfg = c->cfg;
	size_t off = strlen("kafka.");
	if (KEY("brokers")) {
		if (v->type == YAML_SEQUENCE_NODE) {
			/* a list of host:port joined with commas, as librdkafka wants */
			char buf[2048] = "";
			for (yaml_node_item_t *it = v->data.sequence.items.start;
			     it < v->data.sequence.items.top; it++) {
				const char *s = scalar(c, yaml_document_get_node(c->doc, *it), key);
				if (!s)
					return -1;
				if (strlen(buf) + strlen(s) + 2 > sizeof buf)
					return cerr(c, v, key, "too long");
				if (buf[0])
					strcat(buf, ",");
				strcat(buf, s);
			}
			free(cfg->kafka_brokers);
			cfg->kafka_brokers = strdup(buf);
			return 0;
		}
		return get_string(c, v, key, &cfg->kafka_brokers);
	}
	if (KEY("topics"))
		return each_pair(c, v, key, topics_pair);
	if (KEY("properties")) {
		if (v->type == YAML_SCALAR_NODE && !v->data.scalar.value[0])
			return 0;
		return each_pair(c, v, key, props_pair);
	}
	return cerr(c, k, key, "unknown key");
}

static int streams_pair(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct nodd_config *cfg = c->cfg;
	size_t off = strlen("streams.");
	if (KEY("history"))
		return get_duration(c, v, key, 60, 30 * 86400, &cfg->stream_history);
	if (KEY("ws-max-lag")) {
		long long n;
		if (get_uint(c, v, key, 1, 100000000, &n) < 0)
			return -1;
		cfg->ws_max_lag = n;
		return 0;
	}
	return cerr(c, k, key, "unknown key");
}

static int top_pair(struct cctx *c, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct nodd_config *cfg = c->cfg;
	if (strcmp(key, "keys") == 0)
		return each_item(c, v, key, (void **)&cfg->keys, &cfg->nkeys, sizeof *cfg->keys,
			key_pair, key_done);
	if (strcmp(key, "upstreams") == 0)
		return each_item(c, v, key, (void **)&cfg->upstreams, &cfg->nupstreams,
			sizeof *cfg->upstreams, upstream_pair, upstream_done);
	if (strcmp(key, "transfer") == 0)
		return each_pair(c, v, key, transfer_pair);
	if (strcmp(key, "files") == 0)
		return each_pair(c, v, key, files_pair);
	if (strcmp(key, "kafka") == 0)
		return each_pair(c, v, key, kafka_pair);
	if (strcmp(key, "streams") == 0)
		return each_pair(c, v, key, streams_pair);
	if (strcmp(key, "server") == 0)
		return each_pair(c, v, key, server_pair);
	if (strcmp(key, "publish") == 0)
		return each_pair(c, v, key, publish_pair);
	if (strcmp(key, "policy") == 0)
		return each_pair(c, v, key, policy_pair);
	return cerr(c, k, key, "unknown key");
}

static void defaults(struct nodd_config *cfg)
{
	const char *why;
	config_parse_addr("127.0.0.1@5353", 53, &cfg->listen[0], &why);
	cfg->nlisten = 1;
	config_parse_addr("127.0.0.1@8053", 8053, &cfg->http, &why);
	cfg->has_http = 1;
	cfg->log_level = LOG_INFO;
	cfg->tcp_idle_timeout = 30;
	cfg->tcp_clients = 150;
	cfg->tcp_clients_per_ip = 20;
	cfg->ttl = 60;
	cfg->soa_refresh = 60;
	cfg->soa_retry = 60;
	cfg->soa_expire = 21600;   /* staleness bound for consumers: hours, not weeks */
	cfg->soa_minimum = 60;
	cfg->min_interval = 5;
	cfg->future_skew = 300;
	cfg->files_interval = 60;
	cfg->stream_history = 86400;
	cfg->ws_max_lag = 100000;
}

/* A key name used by another section must be one of keys: (inline names only). */
static int key_ref(struct cctx *c, const struct nodd_config *cfg, const char *what,
	const char *name, int line)
{
	if (!name)
		return 0;
	for (int j = 0; j < cfg->nkeys; j++)
		if (cfg->keys[j].name && strcmp(cfg->keys[j].name, name) == 0)
			return 0;
	c->failed = 1;
	snprintf(c->err, c->errlen, "%s:%d: %s: no key named %s under keys", c->file, line, what, name);
	return -1;
}

struct nodd_config *config_load(const char *path, char *err, size_t errlen)
{
	struct nodd_config *cfg = calloc(1, sizeof *cfg);
	if (!cfg) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	defaults(cfg);
	cfg->path = strdup(path);
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s:0: cannot read the file: %s", path, strerror(errno));
		config_free(cfg);
		return NULL;
	}
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, errlen, "%s:%lu: invalid YAML: %s%s%s", path,
			(unsigned long)(parser.problem_mark.line + 1),
			parser.problem ? parser.problem : "syntax error",
			parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		fclose(f);
		config_free(cfg);
		return NULL;
	}
	yaml_parser_delete(&parser);
	fclose(f);

	struct cctx c = { .file = path, .doc = &doc, .cfg = cfg, .err = err, .errlen = errlen };
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	int rc = 0;
	if (!root)
		rc = cerr(&c, NULL, NULL, "the file is empty");
	else
		rc = each_pair(&c, root, NULL, top_pair);
	if (rc == 0 && !cfg->suffix)
		rc = cerr(&c, root, "publish.suffix", "missing required key (e.g. suffix: nod.example.)");
	if (rc == 0 && !cfg->database)
		rc = cerr(&c, root, "server.database", "missing required key (e.g. database: /var/lib/nodd/nodd.db)");
	int file_keys = 0;
	for (int i = 0; i < cfg->nkeys; i++)
		file_keys += cfg->keys[i].file != NULL;
	/* Names from key files are only known once the files are read (zones/keyfile.c, and
	 * the same check again where the keyring is built); inline names are checked here. */
	for (int i = 0; rc == 0 && !file_keys && i < cfg->nupstreams; i++)
		rc = key_ref(&c, cfg, "upstreams.key", cfg->upstreams[i].key, cfg->upstreams[i].line);
	for (int i = 0; rc == 0 && !file_keys && i < cfg->nxfr_allow; i++)
		rc = key_ref(&c, cfg, "transfer.allow.key", cfg->xfr_allow[i].key, cfg->xfr_allow[i].line);
	for (int i = 0; rc == 0 && !file_keys && i < cfg->nnotify; i++)
		rc = key_ref(&c, cfg, "transfer.notify.key", cfg->notify[i].key, cfg->notify[i].line);
	if (!cfg->kafka_topic_zone_diff)
		cfg->kafka_topic_zone_diff = strdup("zone_diff");
	if (!cfg->kafka_topic_nrd)
		cfg->kafka_topic_nrd = strdup("newly_registered_domain");
	yaml_document_delete(&doc);
	if (rc < 0) {
		config_free(cfg);
		return NULL;
	}
	if (cfg->nns == 0)
		cfg->ns[cfg->nns++] = strdup("localhost");
	if (!cfg->hostmaster) {
		char buf[512];
		snprintf(buf, sizeof buf, "hostmaster.%s", cfg->suffix);
		cfg->hostmaster = strdup(buf);
	}
	return cfg;
}

void config_free(struct nodd_config *cfg)
{
	if (!cfg)
		return;
	free(cfg->path);
	free(cfg->http_token);
	free(cfg->database);
	free(cfg->suffix);
	for (int i = 0; i < cfg->nns; i++)
		free(cfg->ns[i]);
	free(cfg->hostmaster);
	free(cfg->psl_file);
	for (int i = 0; i < cfg->nkeys; i++) {
		free(cfg->keys[i].name);
		free(cfg->keys[i].algorithm);
		free(cfg->keys[i].secret);
		free(cfg->keys[i].file);
	}
	free(cfg->keys);
	for (int i = 0; i < cfg->nupstreams; i++) {
		free(cfg->upstreams[i].zone);
		free(cfg->upstreams[i].key);
		for (int j = 0; j < cfg->upstreams[i].nprimaries; j++)
			free(cfg->upstreams[i].primaries[j]);
	}
	free(cfg->upstreams);
	for (int i = 0; i < cfg->nxfr_allow; i++)
		free(cfg->xfr_allow[i].key);
	free(cfg->xfr_allow);
	for (int i = 0; i < cfg->nnotify; i++)
		free(cfg->notify[i].key);
	free(cfg->notify);
	free(cfg->files_dir);
	free(cfg->kafka_brokers);
	free(cfg->kafka_topic_zone_diff);
	free(cfg->kafka_topic_nrd);
	for (int i = 0; i < cfg->nkafka_props * 2; i++)
		free(cfg->kafka_props[i]);
	free(cfg->kafka_props);
	free(cfg);
}

/* ---- what a reload cannot change ---- */

static int str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static int upstreams_same(const struct nodd_config *a, const struct nodd_config *b)
{
	if (a->nupstreams != b->nupstreams)
		return 0;
	for (int i = 0; i < a->nupstreams; i++) {
		const struct config_upstream *x = &a->upstreams[i], *y = &b->upstreams[i];
		if (!str_same(x->zone, y->zone) || !str_same(x->key, y->key) ||
		    x->nprimaries != y->nprimaries || x->refresh_min != y->refresh_min ||
		    x->refresh_max != y->refresh_max || x->retry_min != y->retry_min ||
		    x->retry_max != y->retry_max || x->expire_min != y->expire_min ||
		    x->expire_max != y->expire_max || x->keep_first_seen != y->keep_first_seen)
			return 0;
		for (int j = 0; j < x->nprimaries; j++)
			if (!str_same(x->primaries[j], y->primaries[j]))
				return 0;
	}
	return 1;
}

static int notify_same(const struct nodd_config *a, const struct nodd_config *b)
{
	if (a->nnotify != b->nnotify)
		return 0;
	for (int i = 0; i < a->nnotify; i++)
		if (strcmp(a->notify[i].addr.text, b->notify[i].addr.text) != 0 ||
		    !str_same(a->notify[i].key, b->notify[i].key))
			return 0;
	return 1;
}

static int kafka_same(const struct nodd_config *a, const struct nodd_config *b)
{
	if (!str_same(a->kafka_brokers, b->kafka_brokers) ||
	    !str_same(a->kafka_topic_zone_diff, b->kafka_topic_zone_diff) ||
	    !str_same(a->kafka_topic_nrd, b->kafka_topic_nrd) || a->nkafka_props != b->nkafka_props)
		return 0;
	for (int i = 0; i < 2 * a->nkafka_props; i++)
		if (!str_same(a->kafka_props[i], b->kafka_props[i]))
			return 0;
	return 1;
}

int config_restart_changes(const struct nodd_config *run, const struct nodd_config *n, char *out,
	size_t outlen)
{
	int listen_same = run->nlisten == n->nlisten;
	for (int i = 0; listen_same && i < run->nlisten; i++)
		listen_same = strcmp(run->listen[i].text, n->listen[i].text) == 0;
	const struct {
		int changed;
		const char *what;
	} t[] = {
		{ !listen_same, "server.listen" },
		{ run->has_http != n->has_http || strcmp(run->http.text, n->http.text) != 0, "server.http" },
		{ !str_same(run->database, n->database), "server.database" },
		{ run->udp_threads != n->udp_threads, "server.udp-threads" },
		{ run->tcp_idle_timeout != n->tcp_idle_timeout, "server.tcp-idle-timeout" },
		{ run->tcp_clients != n->tcp_clients, "server.tcp-clients" },
		{ run->tcp_clients_per_ip != n->tcp_clients_per_ip, "server.tcp-clients-per-ip" },
		{ !str_same(run->suffix, n->suffix), "publish.suffix" },
		{ run->min_interval != n->min_interval && run->xfr_min_interval == n->xfr_min_interval,
		  "publish.min-interval" },
		{ !str_same(run->psl_file, n->psl_file), "policy.public-suffix-list" },
		{ !upstreams_same(run, n), "upstreams" },
		{ !notify_same(run, n), "transfer.notify" },
		{ run->xfr_min_interval != n->xfr_min_interval, "transfer.min-interval" },
		{ !str_same(run->files_dir, n->files_dir) || run->files_interval != n->files_interval,
		  "files" },
		{ !kafka_same(run, n), "kafka" },
		{ run->stream_history != n->stream_history || run->ws_max_lag != n->ws_max_lag,
		  "streams" },
	};
	int count = 0;
	size_t o = 0;
	if (outlen)
		out[0] = '\0';
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (!t[i].changed)
			continue;
		if (outlen > o) {
			int w = snprintf(out + o, outlen - o, "%s%s", count ? ", " : "", t[i].what);
			o = w < 0 ? outlen : o + (size_t)w;
		}
		count++;
	}
	return count;
}
