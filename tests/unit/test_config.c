/* test_config.c -- config parsing: defaults, values, and errors naming file, line, key. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "conf/config.h"
#include "tests/unit/tap.h"

static char path[64];
static struct nodd_err e;
#define err (e.msg)

static struct nodd_config *load(const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	memset(&e, 0, sizeof e);
	return config_load(path, &e);
}

/* the error must start with "PATH:LINE: " and contain want */
static void fails(const char *text, int line, const char *want, const char *what)
{
	struct nodd_config *c = load(text);
	char pfx[128];
	snprintf(pfx, sizeof pfx, "%s:%d: ", path, line);
	ok(!c && strncmp(err, pfx, strlen(pfx)) == 0 && strstr(err, want), "%s", what);
	if (c || !strstr(err, want) || strncmp(err, pfx, strlen(pfx)) != 0)
		printf("#   error was: %s\n", err);
	config_free(c);
}

#define GOOD "server:\n  listen:\n    - 127.0.0.1@5353\n    - ::1@5353\n  database: /tmp/x.db\n" \
	"publish:\n  suffix: Nod.Example.\n  ttl: 30\n"

/* log: the level under either key, categories, syslog facility, the query log. */
static void test_log_keys(void)
{
	struct nodd_config *c = load(GOOD);
	ok(c && c->log_level == 2 && !c->log_syslog && !strcmp(c->log_facility, "daemon") &&
		!c->log_queries && c->log_query_rate == 100 && c->log_cat_level[1] == 0,
		"log defaults: info, stderr, daemon, no query log, every category at the global level");
	config_free(c);
	c = load(GOOD "log:\n  level: warning\n  syslog: yes\n  facility: local3\n"
		"  categories: {xfr-in: debug, api: error}\n  queries: true\n  query-rate: 5\n");
	ok(c != NULL, "every log key (%s)", err);
	if (c) {
		is_int(c->log_level, 1, "log.level");
		ok(c->log_syslog && !strcmp(c->log_facility, "local3"), "syslog with a facility");
		is_int(c->log_cat_level[1], 4, "xfr-in: debug (level + 1)");
		is_int(c->log_cat_level[4], 1, "api: error");
		is_int(c->log_cat_level[2], 0, "xfr-out not named: the global level");
		ok(c->log_queries && c->log_query_rate == 5, "query log and its rate");
	}
	config_free(c);
	c = load("server:\n  database: /tmp/x.db\n  log-level: debug\npublish:\n  suffix: x.\n");
	ok(c && c->log_level == 3, "server.log-level is still read");
	config_free(c);
	c = load("server:\n  database: /tmp/x.db\n  log-level: debug\npublish:\n  suffix: x.\n"
		"log:\n  level: debug\n");
	ok(c && c->log_level == 3, "both keys with the same value");
	config_free(c);
	fails("server:\n  database: /tmp/x.db\n  log-level: debug\npublish:\n  suffix: x.\n"
		"log:\n  level: error\n", 7, "log.level: differs from server.log-level on line 3",
		"the two level keys disagreeing");
	fails(GOOD "log:\n  categories:\n    xfrin: debug\n", 11,
		"log.categories.xfrin: unknown category", "an unknown category");
	fails(GOOD "log:\n  categories:\n    xfr-in: loud\n", 11,
		"log.categories.xfr-in: expected error, warning, info or debug", "a bad level");
	fails(GOOD "log:\n  facility: kern\n", 10, "log.facility: expected daemon or local0",
		"a facility other than daemon, local0..7");
	fails(GOOD "log:\n  query-rate: 0\n", 10, "log.query-rate", "a rate of 0");
}

static void test_notify_key(void)
{
	const char *up = GOOD "upstreams:\n  - zone: ch.\n    primaries: [192.0.2.1]\n";
	char buf[512];
	struct nodd_config *c = load(up);
	ok(c && c->upstreams[0].notify_key_required == 0, "notify-key: optional by default");
	config_free(c);
	snprintf(buf, sizeof buf, "%s    notify-key: required\n", up);
	c = load(buf);
	ok(c && c->upstreams[0].notify_key_required == 1, "notify-key: required");
	config_free(c);
	snprintf(buf, sizeof buf, "%s    notify-key: yes\n", up);
	fails(buf, 12, "upstreams.notify-key: expected optional or required", "notify-key: another word");
}

int main(void)
{
	snprintf(path, sizeof path, "/tmp/nodd-test-config-%d.yaml", (int)getpid());
	struct nodd_config *c = load(GOOD);
	ok(c != NULL, "good file loads (%s)", err);
	if (c) {
		is_int(c->nlisten, 2, "two listen addresses");
		is_str(c->listen[1].text, "::1@5353", "IPv6 address");
		is_str(c->suffix, "nod.example", "suffix normalised");
		is_int(c->ttl, 30, "ttl");
		is_int(c->min_interval, 5, "default min-interval");
		is_str(c->ns[0], "localhost", "default NS");
		is_str(c->hostmaster, "hostmaster.nod.example", "default hostmaster");
		is_str(c->http.text, "127.0.0.1@8053", "default http");
		is_str(c->kafka_topic_nrd, "newly_registered_domain", "default topic");
	}
	config_free(c);

	c = load(GOOD "  min-interval: 2m\nkeys:\n  - name: k1\n    algorithm: hmac-sha512\n"
		"    secret: \"c2VjcmV0\"\nupstreams:\n  - zone: ch.\n    primaries: [zonedata.switch.ch@53, 192.0.2.1]\n"
		"    key: k1\ntransfer:\n  allow:\n    - key: k1\n    - address: 127.0.0.1/32\n"
		"  notify:\n    - address: 127.0.0.1@5310\n      key: k1\nfiles:\n  dir: /srv/nod\n"
		"kafka:\n  brokers: 127.0.0.1:9092\n  properties:\n    security.protocol: plaintext\n");
	ok(c != NULL, "full file loads (%s)", err);
	if (c) {
		is_int(c->min_interval, 120, "duration with unit");
		is_int(c->nkeys, 1, "one key");
		is_int(c->nupstreams, 1, "one upstream");
		is_int(c->upstreams[0].nprimaries, 2, "two primaries");
		is_int(c->nxfr_allow, 2, "two ACL entries");
		is_int(c->xfr_allow[1].prefix, 32, "prefix");
		ok(c->xfr_allow[0].prefix == -1 && c->xfr_allow[0].key, "key-only entry");
		is_int(c->nnotify, 1, "one notify target");
		is_int(c->nkafka_props, 1, "one kafka property");
	}
	config_free(c);

	/* policy.allow: names and *.names, normalised; a scalar; an empty list */
	c = load(GOOD "policy:\n  allow: [Example.COM., \"*.Bank.Example\"]\n");
	ok(c && c->nallow == 2 && strcmp(c->allow[0], "example.com") == 0 &&
		strcmp(c->allow[1], "*.bank.example") == 0, "policy.allow normalised (%s)", err);
	config_free(c);
	c = load(GOOD "policy:\n  allow: one.example\n");
	ok(c && c->nallow == 1 && strcmp(c->allow[0], "one.example") == 0, "policy.allow scalar");
	config_free(c);
	c = load(GOOD "policy:\n  allow: []\n");
	ok(c && c->nallow == 0, "policy.allow empty list (%s)", err);
	config_free(c);
	fails(GOOD "policy:\n  allow:\n    - ok.example\n    - bad..example\n", 12,
		"policy.allow: \"bad..example\" is not a name or *.name", "policy.allow: a bad name");
	fails(GOOD "policy:\n  allow: [\"a.*.example\"]\n", 10, "is not a name or *.name",
		"policy.allow: * inside a name");
	fails("server:\n  database: /tmp/x.db\n  colour: blue\npublish:\n  suffix: x.\n", 3,
		"server.colour: unknown key", "unknown key names its line");
	fails("server:\n  database: /tmp/x.db\npublish:\n  suffix: x.\n  ttl: abc\n", 5,
		"publish.ttl", "bad number");
	fails("server:\n  database: /tmp/x.db\n  listen: [nonsense]\npublish:\n  suffix: x.\n", 3,
		"server.listen", "bad address");
	fails("server:\n  database: /tmp/x.db\n  listen: [127.0.0.1@99999]\npublish:\n  suffix: x.\n", 3,
		"port", "bad port");
	fails("server:\n  database: /tmp/x.db\n", 1, "publish.suffix: missing required key",
		"missing suffix");
	fails("publish:\n  suffix: x.\n", 1, "server.database: missing required key",
		"missing database");
	fails("server:\n  database: /tmp/x.db\n  listen: [127.0.0.1@53\npublish:\n", 4,
		"invalid YAML", "unbalanced bracket");
	fails("server:\n  database: /tmp/x.db\npublish:\n  suffix: x..y\n", 4,
		"publish.suffix", "bad suffix");
	fails("server:\n  database: /tmp/x.db\n  database: /tmp/y.db\npublish:\n  suffix: x.\n", 3,
		"duplicate key", "duplicate key");
	fails(GOOD "upstreams:\n  - zone: ch.\n    primaries: [a@1]\n    key: nokey\n", 12,
		"no key named nokey", "upstream names an undefined key");
	fails(GOOD "keys:\n  - name: k\n    algorithm: hmac-md4\n    secret: abcd\n", 11,
		"unsupported TSIG algorithm", "bad algorithm");
	fails(GOOD "publish2: {}\n", 9, "publish2: unknown key", "unknown section");
	fails(GOOD "upstreams:\n  - zone: ch.\n    primaries: [a@1]\n    keep-first-seen: maybe\n", 12,
		"keep-first-seen", "keep-first-seen must be a boolean");
	c = load(GOOD "upstreams:\n  - zone: ch.\n    primaries: [a@1]\n    keep-first-seen: no\n"
		"  - zone: li.\n    primaries: [a@1]\n  - zone: se.\n    primaries: [a@1]\n"
		"    keep-first-seen: yes\n");
	ok(c != NULL, "keep-first-seen loads (%s)", err);
	if (c) {
		is_int(c->upstreams[0].keep_first_seen, 0, "keep-first-seen: no");
		is_int(c->upstreams[1].keep_first_seen, 1, "keep-first-seen defaults to yes");
		is_int(c->upstreams[2].keep_first_seen, 1, "keep-first-seen: yes");
	}
	config_free(c);

	/* the limits of transfers in: defaults, given values, and no zero */
	c = load(GOOD "upstreams:\n  - zone: ch.\n    primaries: [a@1]\n"
		"  - zone: li.\n    primaries: [a@1]\n    max-transfer-time: 3s\n"
		"    max-transfer-idle: 2m\n    max-records: 50\n");
	ok(c != NULL, "transfer limits load (%s)", err);
	if (c) {
		is_int(c->upstreams[0].max_transfer_time, 7200, "max-transfer-time defaults to 2h");
		is_int(c->upstreams[0].max_transfer_idle, 60, "max-transfer-idle defaults to 60s");
		is_int(c->upstreams[0].max_records, 100000000, "max-records defaults to 100000000");
		is_int(c->upstreams[1].max_transfer_time, 3, "max-transfer-time: 3s");
		is_int(c->upstreams[1].max_transfer_idle, 120, "max-transfer-idle: 2m");
		is_int(c->upstreams[1].max_records, 50, "max-records: 50");
	}
	config_free(c);
	fails(GOOD "upstreams:\n  - zone: ch.\n    primaries: [a@1]\n    max-records: 0\n", 12,
		"max-records", "max-records: 0 is refused");
	fails(GOOD "upstreams:\n  - zone: ch.\n    primaries: [a@1]\n    max-transfer-idle: 0s\n",
		12, "max-transfer-idle", "max-transfer-idle: 0s is refused");

	/* publish.min-interval and transfer.min-interval are one setting: either gives it,
	 * both must agree, and a disagreement is an error at the second naming the first. */
	{
		static const struct {
			const char *text;
			int line;         /* 0: loads */
			long long value;  /* min_interval in effect */
			const char *want; /* in the error */
		} t[] = {
			{ "", 0, 5, NULL },
			{ "  min-interval: 7\n", 0, 7, NULL },
			{ "transfer:\n  min-interval: 9s\n", 0, 9, NULL },
			{ "  min-interval: 2m\ntransfer:\n  min-interval: 120\n", 0, 120, NULL },
			{ "  min-interval: 5s\ntransfer:\n  min-interval: 9s\n", 11,
			  0, "transfer.min-interval: 9s differs from publish.min-interval 5s on line 9" },
		};
		for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
			char text[512];
			snprintf(text, sizeof text, GOOD "%s", t[i].text);
			if (t[i].line) {
				fails(text, t[i].line, t[i].want, t[i].want);
				continue;
			}
			c = load(text);
			ok(c != NULL, "min-interval case %zu loads (%s)", i, err);
			if (c)
				is_int(c->min_interval, t[i].value, "min-interval in effect: %lld s", t[i].value);
			config_free(c);
		}
		/* transfer first, publish second: the error is at publish's line */
		fails("server:\n  database: /tmp/x.db\ntransfer:\n  min-interval: 9s\npublish:\n"
			"  suffix: x.\n  min-interval: 3s\n", 7,
			"publish.min-interval: 3s differs from transfer.min-interval 9s on line 4",
			"the second of two different min-intervals is the error");
	}

	/* Each error is one kind a caller may branch on. */
	c = load(GOOD "  soa-retry: -1\n");
	ok(!c && e.kind == NODD_E_INVALID && strstr(err, ":9: publish.soa-retry: expected a duration"),
		"a bad value is invalid (%s)", err);
	config_free(c);
	c = load(GOOD "transfer:\n  allow:\n    - key: nokey\n");
	ok(!c && e.kind == NODD_E_NOTFOUND && strstr(err, ":11: transfer.allow.key: no key named nokey"),
		"an undefined key name is not found (%s)", err);
	config_free(c);
	fails(GOOD "kafka:\n  topics:\n    nrd: x\n", 11,
		"kafka.topics.nrd: unknown key (topics are zone_diff, newly_registered_domain, "
		"newly_registered_fqdn and confirmed_newly_registered_domain)",
		"an unknown topic names the topics");
	fails(GOOD "publish:\n  rpz-action: drop\n", 9, "publish: duplicate key",
		"a section given twice");
	fails("server:\n  database: /tmp/x.db\npublish:\n  suffix: x.\n  rpz-action: drop\n", 5,
		"publish.rpz-action: expected nxdomain or nodata, not \"drop\"", "an enum names its words");
	fails(GOOD "upstreams:\n  - zone: ch.\n", 10, "upstreams: missing required key primaries",
		"an upstream needs primaries");
	fails(GOOD "transfer:\n  notify:\n    - key: k\n", 11,
		"transfer.notify: missing required key address", "a notify target needs an address");
	fails(GOOD "  ns: []\n", 9, "publish.ns: needs at least one name", "an empty ns list");

	/* Addresses read by sa_parse, written back by sa_text; defaults stand until a key is given. */
	c = load("server:\n  listen: \"[::1]@5300\"\n  http: 127.0.0.1\n  database: /tmp/x.db\n"
		"publish:\n  suffix: x.\n  ns: ns1.x.\n  rpz-action: nodata\n"
		"upstreams:\n  - zone: .\n    primaries: a@1\n    refresh-min: 1m\n"
		"kafka:\n  brokers: [b1:9092, b2:9092]\n  topics:\n    zone_diff: zd\n");
	ok(c != NULL, "addresses, lists and defaults load (%s)", err);
	if (c) {
		is_int(c->nlisten, 1, "one listen address");
		is_str(c->listen[0].text, "::1@5300", "bracketed IPv6 address");
		is_str(c->http.text, "127.0.0.1@8053", "http without a port takes 8053");
		is_int(c->nns, 1, "one NS");
		is_str(c->ns[0], "ns1.x", "the NS given replaces localhost");
		is_int(c->rpz_nodata, 1, "rpz-action: nodata");
		is_int(c->tcp_clients, 150, "tcp-clients default");
		is_int(c->soa_expire, 21600, "soa-expire default");
		is_int(c->ws_max_lag, 100000, "ws-max-lag default");
		is_str(c->upstreams[0].zone, "", "the root zone");
		is_int(c->upstreams[0].refresh_min, 60, "refresh-min given");
		is_int(c->upstreams[0].refresh_max, 86400, "refresh-max default");
		is_int(c->upstreams[0].retry_min, 10, "retry-min default");
		is_int(c->upstreams[0].expire_max, 30 * 86400, "expire-max default");
		is_str(c->kafka_brokers, "b1:9092,b2:9092", "brokers joined with commas");
		is_str(c->kafka_topic_zone_diff, "zd", "topic given");
		is_str(c->kafka_topic_nrd, "newly_registered_domain", "topic default");
	}
	config_free(c);

	/* A changed min-interval waits for a restart, named by the key the new file uses. */
	{
		static const struct {
			const char *run, *next, *names;
		} t[] = {
			{ "", "  min-interval: 7s\n", "publish.min-interval" },
			{ "", "transfer:\n  min-interval: 7s\n", "transfer.min-interval" },
			{ "transfer:\n  min-interval: 7s\n", "", "publish.min-interval" },
			{ "transfer:\n  min-interval: 7s\n", "  min-interval: 7s\n", "" },
			{ "  min-interval: 5s\n", "", "" },
		};
		for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
			char text[512];
			snprintf(text, sizeof text, GOOD "%s", t[i].run);
			struct nodd_config *a = load(text);
			snprintf(text, sizeof text, GOOD "%s", t[i].next);
			struct nodd_config *b = load(text);
			struct config_changes why = { 0 };
			ok(a && b, "min-interval reload case %zu loads (%s)", i, err);
			if (a && b)
				config_restart_changes(a, b, &why);
			is_str(why.names, t[i].names, "min-interval reload case %zu: what waits is named", i);
			config_free(a);
			config_free(b);
		}
	}

	/* What a reload cannot apply is named; what it applies is not. */
	{
		struct config_changes why;
		struct nodd_config *a = load(GOOD "transfer:\n  allow:\n    - address: 127.0.0.1/32\n");
		struct nodd_config *b = load(GOOD "  soa-refresh: 99\ntransfer:\n  allow:\n"
			"    - address: 10.0.0.0/8\n");
		ok(a && b, "two configs load (%s)", err);
		if (a && b) {
			is_int(config_restart_changes(a, b, &why), 0,
				"SOA timers and transfer.allow are applied by a reload");
			is_str(why.names, "", "nothing named");
			is_int(config_reload_changes(a, b, &why), 2, "two settings applied");
			is_str(why.names, "publish.soa-refresh, transfer.allow",
				"the applied ones are named, in order");
			is_int(config_reload_changes(a, a, &why), 0, "no change: nothing applied");
		}
		config_free(b);
		b = load("server:\n  listen: 127.0.0.1@5354\n  database: /tmp/x.db\n"
			"  tcp-clients: 9\npublish:\n  suffix: other.example\n  ttl: 30\n"
			"keys:\n  - name: k1\n    algorithm: hmac-sha256\n    secret: \"AAAA\"\n"
			"transfer:\n  min-interval: 9s\n  notify:\n    - address: 127.0.0.1@5399\n"
			"files:\n  dir: /tmp\n");
		ok(b != NULL, "a config changing much loads (%s)", err);
		if (a && b) {
			is_int(config_restart_changes(a, b, &why), 6,
				"six settings wait (keys are applied by a reload)");
			is_str(why.names, "server.listen, server.tcp-clients, publish.suffix, "
				"transfer.notify, transfer.min-interval, files", "each named once, in order");
			is_int(why.count, 6, "and counted");
			config_reload_changes(a, b, &why);
			is_str(why.names, "publish.hostmaster, keys, transfer.allow",
				"what a reload applies is named apart from what waits");
		}
		config_free(a);
		config_free(b);
	}
	test_log_keys();
	test_notify_key();
	unlink(path);
	c = config_load("/nonexistent/nodd.yaml", &e);
	ok(!c && strstr(err, "/nonexistent/nodd.yaml") && strstr(err, "cannot read"),
		"unreadable file named (%s)", err);
	is_int(e.kind, NODD_E_SYSTEM, "an unreadable file is a system error");
	return tap_done();
}
