/* schema.c -- every configuration key, once: the table config_schema[] (section, key,
 * type, field, default, bounds, what a reload does with it) and the readers of the keys
 * whose shape no type covers (key files, primaries, ACL prefixes, Kafka properties, the
 * min-interval that two sections spell). docs/configuration.md documents the same rows.
 * Declares no option struct (conf/config.h does) and walks no table (parse.c, config.c). */
#include "conf/schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include "lib/dname.h"
#include "lib/log.h"

/* ---- readers referenced by rows ---- */

/* server.log-level (the older spelling) and log.level are one setting: either may give
 * it; both must agree. */
/* A level word: its enum log_level, or -1 with the error. */
static int level_of(struct cctx *c, yaml_node_t *v, const char *key)
{
	const char *s = conf_scalar(c, v, key);
	if (!s)
		return -1;
	int l = log_level_parse(s);
	if (l < 0)
		return cerr(c, v, key, "expected error, warning, info or debug, not \"%s\"", s);
	return l;
}

static int parse_log_level(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *k,
	yaml_node_t *v, const char *key)
{
	(void)k;
	int l = level_of(c, v, key);
	if (l < 0)
		return -1;
	int in_log = strcmp(r->section, "log") == 0;
	int other = c->log_level_line[!in_log];
	if (other && l != (int)opt_get_num(r, base))
		return cerr(c, v, key, "differs from %s on line %d: the two keys are one setting "
			"(give log.level only)", in_log ? "server.log-level" : "log.level", other);
	c->log_level_line[in_log] = (int)v->start_mark.line + 1;
	opt_set_num(r, base, l);
	return 0;
}

_Static_assert(LOG_CAT_COUNT <= CONFIG_LOG_CATS, "config_log_cat_level has no room");

static int category_pair(struct cctx *c, void *arg, yaml_node_t *k, yaml_node_t *v,
	const char *key)
{
	struct nodd_config *cfg = arg;
	const char *name = (const char *)k->data.scalar.value;
	int cat = log_cat_parse(name);
	if (cat < 0)
		return cerr(c, k, key, "unknown category \"%s\" (general, xfr-in, xfr-out, notify, "
			"api, ct, security, queries)", name);
	int l = level_of(c, v, key);
	if (l < 0)
		return -1;
	cfg->log_cat_level[cat] = l + 1;
	return 0;
}

/* A mapping read pair by pair with fn; "key:" alone is an empty one. */
static int parse_pairs(struct cctx *c, yaml_node_t *v, const char *key, conf_pair_fn fn,
	void *base)
{
	if (v->type == YAML_SCALAR_NODE && !v->data.scalar.value[0])
		return 0;
	return conf_each_pair(c, v, key, fn, base);
}

/* log.categories: {xfr-in: debug, api: warning}; a category not named follows log.level. */
static int parse_categories(struct cctx *c, const struct opt_row *r, void *base,
	yaml_node_t *k, yaml_node_t *v, const char *key)
{
	(void)r;
	(void)k;
	struct nodd_config *cfg = base;
	memset(cfg->log_cat_level, 0, sizeof cfg->log_cat_level);
	return parse_pairs(c, v, key, category_pair, base);
}

static int parse_facility(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *k,
	yaml_node_t *v, const char *key)
{
	(void)k;
	const char *s = conf_scalar(c, v, key);
	if (!s)
		return -1;
	if (log_facility_parse(s) < 0)
		return cerr(c, v, key, "expected daemon or local0 .. local7, not \"%s\"", s);
	return conf_string(c, v, key, (char **)OPT_FIELD(r, base));
}

/* publish.min-interval and transfer.min-interval are one setting (the pace of versions,
 * hence of serials, NOTIFY and transfers): either may give it; both must agree. */
static int parse_min_interval(struct cctx *c, const struct opt_row *r, void *base,
	yaml_node_t *k, yaml_node_t *v, const char *key)
{
	(void)k;
	struct nodd_config *cfg = base;
	int xfr = strcmp(r->section, "transfer") == 0;
	int64_t d;
	if (conf_duration(c, v, key, r->min, r->max, &d) < 0)
		return -1;
	int other = c->min_interval_line[!xfr];
	if (other && d != cfg->min_interval)
		return cerr(c, v, key, "%llds differs from %s %llds on line %d: the two keys are one "
			"setting (give one of them, or both the same value)", (long long)d,
			xfr ? "publish.min-interval" : "transfer.min-interval",
			(long long)cfg->min_interval, other);
	c->min_interval_line[xfr] = (int)v->start_mark.line + 1;
	cfg->min_interval = d;
	if (xfr)
		cfg->xfr_min_interval = d;
	return 0;
}

/* A changed min-interval is named by the key the new file gives it with. */
static int same_min_interval(const struct opt_row *r, const void *a, const void *b)
{
	const struct nodd_config *x = a, *y = b;
	int named_by_transfer = y->xfr_min_interval != 0;
	return x->min_interval == y->min_interval ||
		named_by_transfer != (strcmp(r->section, "transfer") == 0);
}

static const char *const tsig_algorithms[] = {
	"hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512", NULL
};

static int parse_algorithm(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *k,
	yaml_node_t *v, const char *key)
{
	(void)k;
	const char *s = conf_scalar(c, v, key);
	if (!s)
		return -1;
	for (int i = 0; tsig_algorithms[i]; i++)
		if (strcasecmp(s, tsig_algorithms[i]) == 0)
			return conf_string(c, v, key, OPT_FIELD(r, base));
	return cerr(c, v, key, "unsupported TSIG algorithm \"%s\" (use hmac-sha256 or hmac-sha512)", s);
}

static int parse_secret(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *k,
	yaml_node_t *v, const char *key)
{
	(void)k;
	const char *s = conf_scalar(c, v, key);
	if (!s)
		return -1;
	size_t n = strlen(s);
	if (n == 0 || n % 4 != 0 || strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") != n)
		return cerr(c, v, key, "not a base64 secret");
	return conf_string(c, v, key, OPT_FIELD(r, base));
}

static int parse_keyfile(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *k,
	yaml_node_t *v, const char *key)
{
	(void)k;
	char **file = OPT_FIELD(r, base);
	if (conf_string(c, v, key, file) < 0)
		return -1;
	FILE *f = fopen(*file, "r");
	if (!f)
		return conf_fail(c, NODD_E_SYSTEM, v, key, "cannot read %s: %s", *file, strerror(errno));
	fclose(f);
	return 0;
}

/* The line of the last pair of an element (key or value line): where later errors about
 * the element (a key reference, a key file) point. */
static int last_pair_line(struct cctx *c, yaml_node_t *e, int value)
{
	if (e->data.mapping.pairs.top == e->data.mapping.pairs.start)
		return (int)e->start_mark.line + 1;
	yaml_node_pair_t *p = e->data.mapping.pairs.top - 1;
	yaml_node_t *n = yaml_document_get_node(c->doc, value ? p->value : p->key);
	return n ? (int)n->start_mark.line + 1 : (int)e->start_mark.line + 1;
}

static int key_done(struct cctx *c, void *item, int index, yaml_node_t *e, const char *key)
{
	struct config_key *ck = item;
	ck->line = last_pair_line(c, e, 1);
	if (ck->file && (ck->name || ck->secret || ck->algorithm))
		return cerr(c, e, key, "give either file, or name, algorithm and secret");
	if (!ck->file && (!ck->name || !ck->secret))
		return cerr(c, e, key, "a key needs name and secret (and algorithm, default hmac-sha256), or file");
	/* the default algorithm only for an inline key: a file key must not have one */
	if (!ck->file && !ck->algorithm && !(ck->algorithm = strdup("hmac-sha256")))
		return conf_fail(c, NODD_E_NOMEM, e, key, "out of memory");
	for (int i = 0; ck->name && i < index; i++)
		if (c->cfg->keys[i].name && strcmp(c->cfg->keys[i].name, ck->name) == 0)
			return cerr(c, e, key, "key %s is defined twice", ck->name);
	return 0;
}

static int parse_zone(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *k,
	yaml_node_t *v, const char *key)
{
	(void)k;
	char **zone = OPT_FIELD(r, base);
	const char *s = conf_scalar(c, v, key);
	if (!s)
		return -1;
	if (strcmp(s, ".") != 0)
		return conf_name(c, v, key, zone);
	free(*zone);
	*zone = strdup(""); /* the root */
	return *zone ? 0 : conf_fail(c, NODD_E_NOMEM, v, key, "out of memory");
}

/* "host@port" strings, resolved later by the secondary. A single primary given as a scalar
 * is taken as written; the entries of a list are checked here. */
static int parse_primaries(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *k,
	yaml_node_t *v, const char *key)
{
	(void)k;
	struct config_upstream *u = base;
	(void)r;
	for (int i = 0; i < u->nprimaries; i++)
		free(u->primaries[i]);
	u->nprimaries = 0;
	if (v->type == YAML_SCALAR_NODE) {
		u->primaries[u->nprimaries++] = strdup((char *)v->data.scalar.value);
		return 0;
	}
	if (v->type != YAML_SEQUENCE_NODE)
		return cerr(c, v, key, "expected a list of host@port");
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		if (u->nprimaries == CONFIG_MAX_PRIMARIES)
			return cerr(c, v, key, "at most %d primaries", CONFIG_MAX_PRIMARIES);
		const char *s = conf_scalar(c, yaml_document_get_node(c->doc, *it), key);
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

/* policy.allow: names, or "*.name" for every name below name (as an RPZ wildcard);
 * a scalar or a list, empty allowed. */
static int parse_allow(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *k,
	yaml_node_t *v, const char *key)
{
	(void)k;
	char **out = OPT_FIELD(r, base);
	int *n = (int *)(void *)((char *)base + r->count_off);
	for (; *n > 0; (*n)--)
		free(out[*n - 1]), out[*n - 1] = NULL;
	int seq = v->type == YAML_SEQUENCE_NODE;
	if (!seq && v->type != YAML_SCALAR_NODE)
		return cerr(c, v, key, "expected a list of names or *.names");
	long count = seq ? (long)(v->data.sequence.items.top - v->data.sequence.items.start) : 1;
	for (long i = 0; i < count; i++) {
		yaml_node_t *e = seq ? yaml_document_get_node(c->doc, v->data.sequence.items.start[i])
			: v;
		if (!e)
			return cerr(c, v, key, "expected a list of names or *.names");
		if (*n == r->max)
			return cerr(c, e, key, "at most %lld entries", r->max);
		const char *s = conf_scalar(c, e, key);
		if (!s)
			return -1;
		int wild = strncmp(s, "*.", 2) == 0;
		char norm[DNAME_MAX_TEXT + 1];
		const char *why = NULL;
		if (dname_text_normalize(s + (wild ? 2 : 0), norm, sizeof norm, &why) < 0)
			return cerr(c, e, key, "\"%s\" is not a name or *.name: %s", s, why);
		out[*n] = malloc(strlen(norm) + 3);
		if (out[*n])
			sprintf(out[*n], "%s%s", wild ? "*." : "", norm);
		if (!out[(*n)++])
			return conf_fail(c, NODD_E_NOMEM, e, key, "out of memory");
	}
	return 0;
}

static int upstream_done(struct cctx *c, void *item, int index, yaml_node_t *e, const char *key)
{
	struct config_upstream *u = item;
	u->line = last_pair_line(c, e, 0);
	if (u->refresh_min > u->refresh_max || u->retry_min > u->retry_max || u->expire_min > u->expire_max)
		return cerr(c, e, key, "a -min bound is larger than its -max");
	for (int i = 0; i < index; i++)
		if (strcmp(c->cfg->upstreams[i].zone, u->zone) == 0)
			return cerr(c, e, key, "zone %s is listed twice", u->zone);
	return 0;
}

/* "192.0.2.0/24", "2001:db8::/32", or an address alone (a host prefix). */
static int parse_acl_address(struct cctx *c, const struct opt_row *r, void *base,
	yaml_node_t *k, yaml_node_t *v, const char *key)
{
	(void)k;
	(void)r;
	struct config_acl *a = base;
	const char *s = conf_scalar(c, v, key);
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

/* Two entries allow the same addresses when they were written the same ("host/prefix"). */
static int same_acl_address(const struct opt_row *r, const void *a, const void *b)
{
	(void)r;
	return strcmp(((const struct config_acl *)a)->text, ((const struct config_acl *)b)->text) == 0;
}

static int acl_done(struct cctx *c, void *item, int index, yaml_node_t *e, const char *key)
{
	(void)index;
	struct config_acl *a = item;
	a->line = (int)e->start_mark.line + 1;
	if (!a->key && !a->text[0])
		return cerr(c, e, key, "an entry needs key or address");
	if (!a->text[0])
		a->prefix = -1;
	return 0;
}

static int notify_done(struct cctx *c, void *item, int index, yaml_node_t *e, const char *key)
{
	(void)c;
	(void)index;
	(void)key;
	((struct config_notify *)item)->line = (int)e->start_mark.line + 1;
	return 0;
}

/* One string, or a list of host:port joined with commas, as librdkafka wants. */
static int parse_brokers(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *k,
	yaml_node_t *v, const char *key)
{
	(void)k;
	char **brokers = OPT_FIELD(r, base);
	if (v->type != YAML_SEQUENCE_NODE)
		return conf_string(c, v, key, brokers);
	char buf[2048] = "";
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++) {
		const char *s = conf_scalar(c, yaml_document_get_node(c->doc, *it), key);
		if (!s)
			return -1;
		if (strlen(buf) + strlen(s) + 2 > sizeof buf)
			return cerr(c, v, key, "too long");
		if (buf[0])
			strcat(buf, ",");
		strcat(buf, s);
	}
	free(*brokers);
	*brokers = strdup(buf);
	return *brokers ? 0 : conf_fail(c, NODD_E_NOMEM, v, key, "out of memory");
}

static int props_pair(struct cctx *c, void *arg, yaml_node_t *k, yaml_node_t *v, const char *key)
{
	struct nodd_config *cfg = arg;
	const char *val = conf_scalar(c, v, key);
	if (!val)
		return -1;
	char **np = realloc(cfg->kafka_props, (size_t)(cfg->nkafka_props + 1) * 2 * sizeof *np);
	if (!np)
		return conf_fail(c, NODD_E_NOMEM, k, key, "out of memory");
	cfg->kafka_props = np;
	np[cfg->nkafka_props * 2] = strdup((char *)k->data.scalar.value);
	np[cfg->nkafka_props * 2 + 1] = strdup(val);
	cfg->nkafka_props++;
	return 0;
}

/* Any librdkafka property, passed through as name and value; "properties:" alone is none. */
static int parse_props(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *k,
	yaml_node_t *v, const char *key)
{
	(void)r;
	(void)k;
	return parse_pairs(c, v, key, props_pair, base);
}

static int same_props(const struct opt_row *r, const void *a, const void *b)
{
	(void)r;
	const struct nodd_config *x = a, *y = b;
	if (x->nkafka_props != y->nkafka_props)
		return 0;
	for (int i = 0; i < 2 * x->nkafka_props; i++)
		if (strcmp(x->kafka_props[i], y->kafka_props[i]) != 0)
			return 0;
	return 1;
}

static void free_props(const struct opt_row *r, void *base)
{
	(void)r;
	struct nodd_config *cfg = base;
	for (int i = 0; i < cfg->nkafka_props * 2; i++)
		free(cfg->kafka_props[i]);
	free(cfg->kafka_props);
}

/* ct.start: "end", "earliest" or a first index. */
static int parse_ct_start(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *k,
	yaml_node_t *v, const char *key)
{
	(void)k;
	const char *s = conf_scalar(c, v, key);
	if (!s)
		return -1;
	long long n = CONFIG_CT_START_END;
	if (strcmp(s, "earliest") == 0) {
		n = CONFIG_CT_START_EARLIEST;
	} else if (strcmp(s, "end") != 0) {
		char *end;
		errno = 0;
		n = strtoll(s, &end, 10);
		if (!*s || *end || errno || n < 0)
			return cerr(c, v, key, "expected end, earliest or an entry index, not \"%s\"", s);
	}
	opt_set_num(r, base, n);
	return 0;
}

/* rdap.rate: "N/s", "N/m", "N/h" or a bare N (per second) -> milliseconds between two
 * requests. */
static int parse_rdap_rate(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *k,
	yaml_node_t *v, const char *key)
{
	(void)k;
	const char *s = conf_scalar(c, v, key);
	if (!s)
		return -1;
	long long n = 0;
	int used = 0;
	if (sscanf(s, "%lld%n", &n, &used) != 1)
		used = 0;
	const char *unit = s + used;
	long long per = !*unit || strcmp(unit, "/s") == 0 ? 1000
		: strcmp(unit, "/m") == 0 || strcmp(unit, "/min") == 0 ? 60000
		: strcmp(unit, "/h") == 0 ? 3600000 : 0;
	if (!used || !per || n < 1 || n > 1000)
		return cerr(c, v, key, "expected requests per second, minute or hour (2/s, "
			"30/m, 100/h; 1 to 1000), not \"%s\"", s);
	opt_set_num(r, base, per / n > 0 ? per / n : 1);
	return 0;
}

/* An http(s) prefix; a missing trailing slash is added (endpoints are appended to it). */
static int parse_ct_url(struct cctx *c, const struct opt_row *r, void *base, yaml_node_t *k,
	yaml_node_t *v, const char *key)
{
	(void)k;
	char **url = OPT_FIELD(r, base);
	const char *s = conf_scalar(c, v, key);
	if (!s)
		return -1;
	if (strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0)
		return cerr(c, v, key, "expected an http:// or https:// URL, not \"%s\"", s);
	size_t n = strlen(s);
	free(*url);
	*url = malloc(n + 2);
	if (!*url)
		return conf_fail(c, NODD_E_NOMEM, v, key, "out of memory");
	memcpy(*url, s, n + 1);
	if (s[n - 1] != '/')
		memcpy(*url + n, "/", 2);
	return 0;
}

static int ct_log_done(struct cctx *c, void *item, int index, yaml_node_t *e, const char *key)
{
	struct config_ct_log *l = item;
	l->line = (int)e->start_mark.line + 1;
	if (!l->url == !l->monitoring_url)
		return cerr(c, e, key, "a log needs url (RFC 6962) or monitoring-url and "
			"submission-url (static-ct-api), not both");
	if (l->monitoring_url && !l->submission_url)
		return cerr(c, e, key, "a static-ct-api log needs submission-url too (its "
			"checkpoint origin)");
	for (int i = 0; i < index; i++)
		if (strcmp(c->cfg->ct_logs[i].key, l->key) == 0)
			return cerr(c, e, key, "the log with this key is listed twice");
	return 0;
}

/* A top-level key node of the file, for errors about a section as a whole (root: none). */
static yaml_node_t *top_key(struct cctx *c, yaml_node_t *root, const char *name)
{
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, name) == 0)
			return k;
	}
	return root;
}

int conf_ct_finish(struct cctx *c, yaml_node_t *root)
{
	struct nodd_config *cfg = c->cfg;
	if (cfg->rdap_enabled && !cfg->rdap_bootstrap)
		return cerr(c, top_key(c, root, "rdap"), "rdap.bootstrap", "required when rdap is "
			"enabled: the IANA RDAP bootstrap file for DNS (dns.json) or its URL");
	yaml_node_t *at = top_key(c, root, "ct");
	if (cfg->ct_log_list_key && !cfg->ct_log_list)
		return cerr(c, at, "ct.log-list-key", "needs ct.log-list, the list it checks");
	if (cfg->ct_log_list_signature && !cfg->ct_log_list_key)
		return cerr(c, at, "ct.log-list-signature", "needs ct.log-list-key, the key that "
			"checks it");
	if (!cfg->ct_log_list && cfg->nct_logs == 0)
		return 0;
	if (!cfg->ct_user_agent)
		return cerr(c, at, "ct.user-agent", "required when ct reads logs: logs ask for a "
			"contact, e.g. user-agent: \"nodd (ops@example.org)\"");
	/* Some logs put a client without a contact in a small shared rate bucket. */
	if (!strchr(cfg->ct_user_agent, '@') || strstr(cfg->ct_user_agent, "example."))
		log_warn("%s: ct.user-agent \"%s\" has no contact address: CT logs may throttle "
			"it", c->file, cfg->ct_user_agent);
	return 0;
}

/* ---- the table ---- */

#define ROW(s, k, t) .section = s, .key = k, .type = t
#define AT(type, m) .off = offsetof(type, m), .size = sizeof(((type *)0)->m)
#define CFG(m) AT(struct nodd_config, m)
#define COUNT(type, m) .count_off = offsetof(type, m)
#define LIST(name, sec, type, arr, count, done_fn) \
	static const struct opt_list name = { .section = sec, \
		.arr_off = offsetof(struct nodd_config, arr), \
		.count_off = offsetof(struct nodd_config, count), .elem_size = sizeof(type), \
		.done = done_fn }

LIST(keys_list, "keys", struct config_key, keys, nkeys, key_done);
LIST(upstreams_list, "upstreams", struct config_upstream, upstreams, nupstreams, upstream_done);
LIST(allow_list, "transfer.allow", struct config_acl, xfr_allow, nxfr_allow, acl_done);
LIST(notify_list, "transfer.notify", struct config_notify, notify, nnotify, notify_done);
LIST(ct_logs_list, "ct.logs", struct config_ct_log, ct_logs, nct_logs, ct_log_done);

static const char *const rpz_actions[] = { "nxdomain", "nodata", NULL };
static const char *const files_layouts[] = { "nodd", "nod", NULL };
static const char *const notify_key_modes[] = { "optional", "required", NULL };
static const char *const ct_lists[] = { "confirmed", "all", NULL };

#define DAY 86400LL
#define UPS(m) AT(struct config_upstream, m)

const struct opt_row config_schema[] = {
	{ ROW("", "server", OPT_SECTION) },
	{ ROW("", "log", OPT_SECTION) },
	{ ROW("", "publish", OPT_SECTION) },
	{ ROW("", "policy", OPT_SECTION) },
	{ ROW("", "keys", OPT_LIST), .list = &keys_list, .reload = OPT_RELOADED },
	{ ROW("", "upstreams", OPT_LIST), .list = &upstreams_list, .reload = OPT_RESTART },
	{ ROW("", "transfer", OPT_SECTION) },
	{ ROW("", "files", OPT_SECTION) },
	{ ROW("", "kafka", OPT_SECTION) },
	{ ROW("", "streams", OPT_SECTION) },
	{ ROW("", "ct", OPT_SECTION) },
	{ ROW("", "rdap", OPT_SECTION) },

	{ ROW("server", "listen", OPT_ADDRS), CFG(listen), COUNT(struct nodd_config, nlisten),
	  .max = CONFIG_MAX_LISTEN, .def_text = "127.0.0.1@5353", .defport = 53,
	  .reload = OPT_RESTART },
	{ ROW("server", "http", OPT_ADDR), CFG(http), .def_text = "127.0.0.1@8053", .defport = 8053,
	  .reload = OPT_RESTART },
	{ ROW("server", "http-token", OPT_STRING), CFG(http_token), .reload = OPT_RELOADED },
	{ ROW("server", "database", OPT_STRING), CFG(database), .reload = OPT_RESTART,
	  .required = "database: /var/lib/nodd/nodd.db" },
	{ ROW("server", "udp-threads", OPT_INT), CFG(udp_threads), .min = 0, .max = 64,
	  .reload = OPT_RESTART },
	{ ROW("server", "log-level", OPT_INT), CFG(log_level), .def = LOG_INFO,
	  .parse = parse_log_level, .reload = OPT_RELOADED, .alias = 1 },
	{ ROW("server", "tcp-idle-timeout", OPT_DURATION), CFG(tcp_idle_timeout), .def = 30,
	  .min = 1, .max = 3600, .reload = OPT_RESTART },
	{ ROW("server", "tcp-clients", OPT_INT), CFG(tcp_clients), .def = 150, .min = 1,
	  .max = 100000, .reload = OPT_RESTART },
	{ ROW("server", "tcp-clients-per-ip", OPT_INT), CFG(tcp_clients_per_ip), .def = 20,
	  .min = 1, .max = 100000, .reload = OPT_RESTART },
	{ ROW("server", "http-clients", OPT_INT), CFG(http_clients), .def = 64, .min = 1,
	  .max = 100000, .reload = OPT_RESTART },
	{ ROW("server", "http-clients-per-ip", OPT_INT), CFG(http_clients_per_ip), .def = 32,
	  .min = 1, .max = 100000, .reload = OPT_RESTART },
	{ ROW("server", "http-timeout", OPT_DURATION), CFG(http_timeout), .def = 30, .min = 1,
	  .max = 3600, .reload = OPT_RESTART },
	{ ROW("server", "http-hosts", OPT_NAMES), CFG(http_hosts), COUNT(struct nodd_config,
	  nhttp_hosts), .max = CONFIG_MAX_HTTP_HOSTS, .reload = OPT_RESTART },

	{ ROW("log", "level", OPT_INT), CFG(log_level), .def = LOG_INFO, .parse = parse_log_level,
	  .reload = OPT_RELOADED },
	{ ROW("log", "categories", OPT_CUSTOM), .parse = parse_categories, .reload = OPT_RELOADED },
	{ ROW("log", "syslog", OPT_BOOL), CFG(log_syslog), .reload = OPT_RESTART },
	{ ROW("log", "facility", OPT_STRING), CFG(log_facility), .def_text = "daemon",
	  .parse = parse_facility, .reload = OPT_RESTART },
	{ ROW("log", "queries", OPT_BOOL), CFG(log_queries), .reload = OPT_RELOADED },
	{ ROW("log", "query-rate", OPT_INT), CFG(log_query_rate), .def = 100, .min = 1,
	  .max = 1000000, .reload = OPT_RELOADED },

	{ ROW("publish", "suffix", OPT_NAME), CFG(suffix), .reload = OPT_RESTART,
	  .required = "suffix: nod.example." },
	{ ROW("publish", "ttl", OPT_INT), CFG(ttl), .def = 60, .min = 0, .max = 604800 },
	{ ROW("publish", "ns", OPT_NAMES), CFG(ns), COUNT(struct nodd_config, nns),
	  .max = CONFIG_MAX_NS, .def_text = "localhost" },
	{ ROW("publish", "hostmaster", OPT_NAME), CFG(hostmaster) }, /* default hostmaster.<suffix> */
	{ ROW("publish", "min-interval", OPT_DURATION), CFG(min_interval), .def = 5, .min = 1,
	  .max = DAY, .parse = parse_min_interval, .same = same_min_interval,
	  .reload = OPT_RESTART },
	{ ROW("publish", "soa-refresh", OPT_DURATION), CFG(soa_refresh), .def = 60, .max = 4 * 28 * DAY },
	{ ROW("publish", "soa-retry", OPT_DURATION), CFG(soa_retry), .def = 60, .max = 4 * 28 * DAY },
	/* the staleness bound for consumers: hours, not weeks */
	{ ROW("publish", "soa-expire", OPT_DURATION), CFG(soa_expire), .def = 21600, .max = 4 * 28 * DAY },
	{ ROW("publish", "soa-minimum", OPT_DURATION), CFG(soa_minimum), .def = 60, .max = 4 * 28 * DAY },
	{ ROW("publish", "rpz-action", OPT_ENUM), CFG(rpz_nodata), .words = rpz_actions },
	/* in every transfer of the DNSBL zone: a change waits for a restart */
	{ ROW("publish", "test-names", OPT_NAMES), CFG(test_names), COUNT(struct nodd_config,
	  ntest_names), .max = CONFIG_MAX_TEST_NAMES, .reload = OPT_RESTART },

	{ ROW("policy", "future-skew", OPT_DURATION), CFG(future_skew), .def = 300, .max = DAY },
	{ ROW("policy", "public-suffix-list", OPT_STRING), CFG(psl_file), .reload = OPT_RESTART },
	{ ROW("policy", "allow", OPT_NAMES), CFG(allow), COUNT(struct nodd_config, nallow),
	  .max = CONFIG_MAX_ALLOW, .parse = parse_allow },

	{ ROW("keys", "name", OPT_NAME), AT(struct config_key, name) },
	{ ROW("keys", "algorithm", OPT_STRING), AT(struct config_key, algorithm),
	  .parse = parse_algorithm },
	{ ROW("keys", "secret", OPT_STRING), AT(struct config_key, secret), .parse = parse_secret },
	{ ROW("keys", "file", OPT_STRING), AT(struct config_key, file), .parse = parse_keyfile },

	{ ROW("upstreams", "zone", OPT_NAME), UPS(zone), .parse = parse_zone, .required = "" },
	{ ROW("upstreams", "primaries", OPT_NAMES), UPS(primaries),
	  COUNT(struct config_upstream, nprimaries), .max = CONFIG_MAX_PRIMARIES,
	  .parse = parse_primaries, .required = "" },
	{ ROW("upstreams", "key", OPT_NAME), UPS(key) },
	{ ROW("upstreams", "refresh-min", OPT_DURATION), UPS(refresh_min), .def = 30, .min = 1, .max = 365 * DAY },
	{ ROW("upstreams", "refresh-max", OPT_DURATION), UPS(refresh_max), .def = DAY, .min = 1, .max = 365 * DAY },
	{ ROW("upstreams", "retry-min", OPT_DURATION), UPS(retry_min), .def = 10, .min = 1, .max = 365 * DAY },
	{ ROW("upstreams", "retry-max", OPT_DURATION), UPS(retry_max), .def = 3600, .min = 1, .max = 365 * DAY },
	{ ROW("upstreams", "expire-min", OPT_DURATION), UPS(expire_min), .def = 3600, .min = 1, .max = 365 * DAY },
	{ ROW("upstreams", "expire-max", OPT_DURATION), UPS(expire_max), .def = 30 * DAY, .min = 1,
	  .max = 365 * DAY },
	{ ROW("upstreams", "keep-first-seen", OPT_BOOL), UPS(keep_first_seen), .def = 1 },
	/* transfers in: BIND's max-transfer-time-in default; a record count far above any TLD */
	{ ROW("upstreams", "max-transfer-time", OPT_DURATION), UPS(max_transfer_time), .def = 7200,
	  .min = 1, .max = 7 * DAY },
	{ ROW("upstreams", "max-transfer-idle", OPT_DURATION), UPS(max_transfer_idle), .def = 60,
	  .min = 1, .max = DAY },
	{ ROW("upstreams", "max-records", OPT_INT), UPS(max_records), .def = 100000000, .min = 1,
	  .max = 4000000000LL },
	{ ROW("upstreams", "notify-min-interval", OPT_DURATION), UPS(notify_min_interval), .def = 1,
	  .max = 3600 },
	/* a NOTIFY only wakes a (signed) SOA query: unsigned ones from a primary are taken */
	{ ROW("upstreams", "notify-key", OPT_ENUM), UPS(notify_key_required),
	  .words = notify_key_modes },

	{ ROW("transfer", "allow", OPT_LIST), .list = &allow_list, .reload = OPT_RELOADED },
	{ ROW("transfer", "notify", OPT_LIST), .list = &notify_list, .reload = OPT_RESTART },
	{ ROW("transfer", "min-interval", OPT_DURATION), CFG(xfr_min_interval), .min = 1, .max = DAY,
	  .parse = parse_min_interval, .same = same_min_interval, .reload = OPT_RESTART },
	{ ROW("transfer.allow", "key", OPT_NAME), AT(struct config_acl, key) },
	{ ROW("transfer.allow", "address", OPT_CUSTOM), .parse = parse_acl_address,
	  .same = same_acl_address },
	{ ROW("transfer.notify", "address", OPT_ADDR), AT(struct config_notify, addr), .defport = 53,
	  .required = "" },
	{ ROW("transfer.notify", "key", OPT_NAME), AT(struct config_notify, key) },

	{ ROW("files", "dir", OPT_STRING), CFG(files_dir), .reload = OPT_RESTART_SECTION },
	{ ROW("files", "interval", OPT_DURATION), CFG(files_interval), .def = 60, .min = 1, .max = DAY,
	  .reload = OPT_RESTART_SECTION },
	{ ROW("files", "layout", OPT_ENUM), CFG(files_layout), .words = files_layouts,
	  .reload = OPT_RESTART_SECTION },

	{ ROW("kafka", "brokers", OPT_STRING), CFG(kafka_brokers), .parse = parse_brokers,
	  .reload = OPT_RESTART_SECTION },
	{ ROW("kafka", "topics", OPT_SECTION),
	  .hint = " (topics are zone_diff, newly_registered_domain, newly_registered_fqdn and "
		"confirmed_newly_registered_domain)" },
	{ ROW("kafka", "properties", OPT_CUSTOM), .parse = parse_props, .same = same_props,
	  .free = free_props, .reload = OPT_RESTART_SECTION },
	{ ROW("kafka.topics", "zone_diff", OPT_STRING), CFG(kafka_topic_zone_diff),
	  .def_text = "zone_diff", .reload = OPT_RESTART_SECTION },
	{ ROW("kafka.topics", "newly_registered_domain", OPT_STRING), CFG(kafka_topic_nrd),
	  .def_text = "newly_registered_domain", .reload = OPT_RESTART_SECTION },
	{ ROW("kafka.topics", "newly_registered_fqdn", OPT_STRING), CFG(kafka_topic_nrfqdn),
	  .def_text = "newly_registered_fqdn", .reload = OPT_RESTART_SECTION },
	{ ROW("kafka.topics", "confirmed_newly_registered_domain", OPT_STRING),
	  CFG(kafka_topic_confirmed), .def_text = "confirmed_newly_registered_domain",
	  .reload = OPT_RESTART_SECTION },

	{ ROW("streams", "history", OPT_DURATION), CFG(stream_history), .def = DAY, .min = 60,
	  .max = 30 * DAY, .reload = OPT_RESTART_SECTION },
	{ ROW("streams", "ws-max-lag", OPT_INT), CFG(ws_max_lag), .def = 100000, .min = 1,
	  .max = 100000000, .reload = OPT_RESTART_SECTION },

#define CTL(m) AT(struct config_ct_log, m)
	{ ROW("ct", "log-list", OPT_STRING), CFG(ct_log_list), .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "log-list-interval", OPT_DURATION), CFG(ct_log_list_interval), .def = 3600,
	  .min = 60, .max = 7 * DAY, .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "log-list-key", OPT_STRING), CFG(ct_log_list_key), .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "log-list-signature", OPT_STRING), CFG(ct_log_list_signature),
	  .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "logs", OPT_LIST), .list = &ct_logs_list, .reload = OPT_RELOADED },
	{ ROW("ct", "start", OPT_INT), CFG(ct_start), .def = CONFIG_CT_START_END,
	  .parse = parse_ct_start, .reload = OPT_RELOADED },
	{ ROW("ct", "user-agent", OPT_STRING), CFG(ct_user_agent), .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "learning-period", OPT_DURATION), CFG(ct_learning_period), .def = 7 * DAY,
	  .max = 365 * DAY, .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "list", OPT_ENUM), CFG(ct_list_all), .words = ct_lists,
	  .reload = OPT_RESTART_SECTION },
	/* politeness: one request at a time, 2 per second, batches of 256 (the common cap) */
	{ ROW("ct", "parallel", OPT_INT), CFG(ct_parallel), .def = 1, .min = 1, .max = 64,
	  .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "rate", OPT_INT), CFG(ct_rate), .def = 2, .min = 1, .max = 10000,
	  .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "batch-size", OPT_INT), CFG(ct_batch_size), .def = 256, .min = 1,
	  .max = 10000, .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "poll-interval", OPT_DURATION), CFG(ct_poll_interval), .def = 60, .min = 1,
	  .max = DAY, .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "timeout", OPT_DURATION), CFG(ct_timeout), .def = 60, .min = 1, .max = 3600,
	  .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "max-response", OPT_INT), CFG(ct_max_response), .def = 64LL << 20,
	  .min = 1 << 16, .max = 1LL << 30, .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "max-unverified", OPT_INT), CFG(ct_max_unverified), .def = 100000,
	  .min = 16, .max = 10000000, .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "commit-entries", OPT_INT), CFG(ct_commit_entries), .def = 1024, .min = 1,
	  .max = 10000000, .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "partial-tile-wait", OPT_DURATION), CFG(ct_partial_tile_wait), .def = 300,
	  .max = DAY, .reload = OPT_RESTART_SECTION },
	{ ROW("ct", "dedup-keep", OPT_INT), CFG(ct_dedup_keep), .def = 1000000, .min = 1000,
	  .max = 100000000, .reload = OPT_RESTART_SECTION },
	{ ROW("rdap", "enabled", OPT_BOOL), CFG(rdap_enabled), .reload = OPT_RESTART_SECTION },
	{ ROW("rdap", "bootstrap", OPT_STRING), CFG(rdap_bootstrap), .reload = OPT_RESTART_SECTION },
	{ ROW("rdap", "rate", OPT_INT), CFG(rdap_interval_ms), .def = 500,
	  .parse = parse_rdap_rate, .reload = OPT_RESTART_SECTION },
	{ ROW("rdap", "parallel", OPT_INT), CFG(rdap_parallel), .def = 2, .min = 1, .max = 64,
	  .reload = OPT_RESTART_SECTION },
	{ ROW("rdap", "max-queue", OPT_INT), CFG(rdap_max_queue), .def = 100000, .min = 1,
	  .max = 100000000, .reload = OPT_RESTART_SECTION },
	{ ROW("rdap", "timeout", OPT_DURATION), CFG(rdap_timeout), .def = 30, .min = 1,
	  .max = 600, .reload = OPT_RESTART_SECTION },
	{ ROW("rdap", "retry", OPT_DURATION), CFG(rdap_retry), .def = 3600, .min = 1,
	  .max = 7 * DAY, .reload = OPT_RESTART_SECTION },
	{ ROW("rdap", "max-tries", OPT_INT), CFG(rdap_max_tries), .def = 5, .min = 1, .max = 100,
	  .reload = OPT_RESTART_SECTION },
	{ ROW("ct.logs", "url", OPT_STRING), CTL(url), .parse = parse_ct_url },
	{ ROW("ct.logs", "monitoring-url", OPT_STRING), CTL(monitoring_url), .parse = parse_ct_url },
	{ ROW("ct.logs", "submission-url", OPT_STRING), CTL(submission_url), .parse = parse_ct_url },
	{ ROW("ct.logs", "key", OPT_STRING), CTL(key), .required = "" },
	{ ROW("ct.logs", "description", OPT_STRING), CTL(description) },
	{ ROW("ct.logs", "parallel", OPT_INT), CTL(parallel), .min = 1, .max = 64 },
	{ ROW("ct.logs", "rate", OPT_INT), CTL(rate), .min = 1, .max = 10000 },
	{ ROW("ct.logs", "batch-size", OPT_INT), CTL(batch_size), .min = 1, .max = 10000 },

	{ .key = NULL },
};
