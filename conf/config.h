/* config.h -- the YAML configuration (libyaml), validated into one struct: the one place
 * that declares every option. Every key is a row of the schema in conf/schema.c (type,
 * default, bounds, whether a reload applies it); docs/configuration.md lists every key;
 * keep the three in step. Every error names the file, the line and the key:
 * "nodd.yaml:12: server.listen: ...". conf/ includes only lib/ and conf/. */
#ifndef NODD_CONFIG_H
#define NODD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "lib/err.h"

#define CONFIG_MAX_LISTEN 16
#define CONFIG_MAX_NS 8
#define CONFIG_MAX_PRIMARIES 8
#define CONFIG_MAX_ACL 64
#define CONFIG_MAX_HTTP_HOSTS 8
#define CONFIG_MAX_TEST_NAMES 4
#define CONFIG_MAX_ALLOW 1024
#define CONFIG_LOG_CATS 16       /* room for lib/log.h's categories (checked in schema.c) */

struct config_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[80];      /* address@port as sa_text writes it: "127.0.0.1@5353", "::1@53" */
};

/* keys: a TSIG key given inline, or a BIND key file holding "key" clauses. */
struct config_key {
	char *name;         /* norm text; NULL when file is set */
	char *algorithm;    /* "hmac-sha256", "hmac-sha512", ... */
	char *secret;       /* base64, as written */
	char *file;         /* BIND key file (key "name" { algorithm ...; secret "..."; };) */
	int line;           /* line in the config file, for later errors */
};

/* upstreams: a zone nodd follows as a secondary. */
struct config_upstream {
	char *zone;                              /* norm text; "" for the root */
	char *primaries[CONFIG_MAX_PRIMARIES];   /* "host@port" as written (host name or address) */
	int nprimaries;
	char *key;                               /* key name or NULL */
	int64_t refresh_min, refresh_max;        /* clamp the SOA timers (seconds) */
	int64_t retry_min, retry_max;
	int64_t expire_min, expire_max;
	int keep_first_seen;                     /* a deleted name that returns keeps its first_seen */
	/* a transfer in past one of these is cut and discarded (zones/xfrclient.c) */
	int64_t max_transfer_time;               /* seconds from the query to the last message */
	int64_t max_transfer_idle;               /* seconds without a complete message */
	int64_t max_records;                     /* records staged by one transfer */
	int64_t notify_min_interval;             /* least time between probes NOTIFYs cause (s) */
	int notify_key_required;                 /* notify-key: 0 optional (an unsigned NOTIFY
	                                          * from a primary is taken), 1 required */
	int line;
};

/* transfer.allow: who may AXFR/IXFR the published zones (a key, or an address prefix). */
struct config_acl {
	char *key;                  /* key name, or NULL */
	struct sockaddr_storage net;
	int prefix;                 /* -1 when no address */
	char text[80];
	int line;                   /* in the config file, for later errors */
};

/* transfer.notify: who is told of new versions. */
struct config_notify {
	struct config_addr addr;
	char *key;                  /* key name, or NULL */
	int line;                   /* in the config file, for later errors */
};

/* ct.logs: a Certificate Transparency log given in the configuration. */
struct config_ct_log {
	char *url;                  /* RFC 6962 prefix (ends in /), or NULL */
	char *monitoring_url;       /* static-ct-api read prefix, or NULL */
	char *submission_url;       /* static-ct-api submission prefix (the checkpoint origin) */
	char *key;                  /* base64 SubjectPublicKeyInfo DER */
	char *description;          /* NULL: the URL */
	int parallel;               /* requests in flight; 0: ct.parallel */
	int rate;                   /* requests per second; 0: ct.rate */
	int batch_size;             /* get-entries batch; 0: ct.batch-size */
	int line;
};

/* ct.start as written: a log nodd has never read starts at its end, at 0 or at an index */
#define CONFIG_CT_START_END (-1)
#define CONFIG_CT_START_EARLIEST 0

struct nodd_config {
	char *path;

	/* server: */
	struct config_addr listen[CONFIG_MAX_LISTEN];
	int nlisten;
	struct config_addr http;
	int has_http;              /* always 1: the HTTP listener cannot be turned off */
	char *http_token;          /* NULL: writes need the token of <database>.token */
	char *database;
	int udp_threads;           /* 0: one per core */
	int log_level;             /* enum log_level: log.level, or server.log-level */
	int tcp_idle_timeout;      /* seconds */
	int tcp_clients;           /* global cap on TCP connections */
	int tcp_clients_per_ip;
	int http_clients;          /* global cap on HTTP connections (WebSocket included) */
	int http_clients_per_ip;   /* per IPv4 address, per IPv6 /64 */
	int http_timeout;          /* seconds to send a whole request (headers and body) */
	char *http_hosts[CONFIG_MAX_HTTP_HOSTS]; /* Host names accepted besides addresses */
	int nhttp_hosts;

	/* log: */
	int log_syslog;            /* 1: through syslog(3) instead of stderr */
	char *log_facility;        /* "daemon", "local0".."local7" */
	int log_cat_level[CONFIG_LOG_CATS]; /* by enum log_cat: level + 1; 0 = the global level */
	int log_queries;           /* the query log of DNSBL and RPZ queries */
	int log_query_rate;        /* query log lines per second at most */

	/* publish: */
	char *suffix;              /* norm text, e.g. "nod.example" */
	uint32_t ttl;
	char *ns[CONFIG_MAX_NS];   /* norm text; default "localhost" */
	int nns;
	char *hostmaster;          /* SOA RNAME, norm text; default hostmaster.<suffix> */
	uint32_t soa_refresh, soa_retry, soa_expire, soa_minimum;
	int64_t min_interval;      /* seconds: publish.min-interval or transfer.min-interval */
	int rpz_nodata;            /* publish.rpz-action: nxdomain (0) or nodata (1) */
	char *test_names[CONFIG_MAX_TEST_NAMES]; /* publish.test-names: DNSBL test entries */
	int ntest_names;
	int64_t future_skew;       /* observations: allowed first_seen ahead of now */
	char *psl_file;            /* policy.public-suffix-list; NULL = Debian's */
	char *allow[CONFIG_MAX_ALLOW]; /* policy.allow: norm text, "*.x" for a wildcard */
	int nallow;

	/* keys: */
	struct config_key *keys;
	int nkeys;
	/* upstreams: */
	struct config_upstream *upstreams;
	int nupstreams;
	/* transfer: */
	struct config_acl *xfr_allow;
	int nxfr_allow;
	struct config_notify *notify;
	int nnotify;
	int64_t xfr_min_interval;  /* transfer.min-interval as written, 0 when not given (the
	                            * value in effect is min_interval; the two keys must agree) */
	/* files: */
	char *files_dir;           /* NULL: no files written */
	int64_t files_interval;
	int files_layout;          /* files.layout: nodd (0) or nod (1), see streams/files.h */
	/* kafka: */
	char *kafka_brokers;       /* NULL: Kafka off */
	char *kafka_topic_zone_diff;
	char *kafka_topic_nrd;
	char **kafka_props;        /* name, value, name, value, ... */
	int nkafka_props;          /* number of pairs */
	int64_t stream_history;    /* outbox history kept for /ws ?from= (seconds) */
	int64_t ws_max_lag;        /* streams.ws-max-lag: records a WebSocket client may lag */
	char *kafka_topic_nrfqdn;
	char *kafka_topic_confirmed;

	/* ct: Certificate Transparency logs (on when log-list or logs is given) */
	char *ct_log_list;         /* a log list v3 file, or an https:// URL; NULL: none */
	int64_t ct_log_list_interval; /* seconds between two reads of the log list */
	char *ct_log_list_key;     /* PEM public key file the list is signed with; NULL: unchecked */
	char *ct_log_list_signature; /* its detached signature (file or URL); NULL: list + ".sig" */
	struct config_ct_log *ct_logs;
	int nct_logs;
	int64_t ct_start;          /* CONFIG_CT_START_END, or the first index to read */
	char *ct_user_agent;       /* required when ct is on */
	int64_t ct_learning_period;/* seconds from the first CT read during which names are baseline */
	int ct_list_all;           /* ct.list: confirmed (0) | all (1) */
	int ct_parallel;           /* defaults of the per-log politeness keys */
	int ct_rate;
	int ct_batch_size;
	int64_t ct_poll_interval;  /* seconds between two reads of a log's tree head */
	int64_t ct_timeout;        /* seconds for one HTTP request */
	int64_t ct_max_response;   /* bytes of one HTTP response */
	int64_t ct_max_unverified; /* entries read ahead of a verified tree head, per log */
	int64_t ct_commit_entries; /* verified entries committed per transaction (a slice) */
	int64_t ct_partial_tile_wait; /* seconds before a static log's partial data tile is read */
	int64_t ct_dedup_keep;     /* issuance keys kept for precert/cert deduplication */

	/* rdap: CT candidates confirmed by their registry's creation date */
	int rdap_enabled;
	char *rdap_bootstrap;      /* the IANA dns.json, a file or an http(s) URL */
	int64_t rdap_interval_ms;  /* rdap.rate: milliseconds between two requests */
	int rdap_parallel;         /* requests in flight */
	int64_t rdap_max_queue;    /* candidates waiting at most */
	int64_t rdap_timeout;      /* seconds for one request */
	int64_t rdap_retry;        /* seconds before a candidate without an answer is asked again (doubling) */
	int rdap_max_tries;        /* requests per candidate at most */
};

/* Parse and validate a file. Returns a new config (config_free), or NULL with
 * "FILE:LINE: key: message" in e (NODD_E_INVALID for the file's content, NODD_E_NOTFOUND
 * for a key name that keys does not define, NODD_E_SYSTEM for a file it cannot read). */
struct nodd_config *config_load(const char *path, struct nodd_err *e);
void config_free(struct nodd_config *cfg); /* NULL is a no-op */

/* What a reload found changed that waits for a restart (an outcome, not an error). */
struct config_changes {
	int count;
	char names[512];   /* "server.listen, upstreams, files": comma-separated, in order */
};

/* The settings that differ between the running config and a newly loaded one and that a
 * reload (SIGHUP) does not apply, named once each in out. Returns how many. What a reload
 * does apply: log.level (server.log-level), log.categories, log.queries, log.query-rate, server.http-token, publish ttl, ns, hostmaster, soa-*,
 * rpz-action, policy.future-skew, keys, transfer.allow, ct.logs and ct.start (conf/schema.c
 * marks them). */
int config_restart_changes(const struct nodd_config *run, const struct nodd_config *n,
	struct config_changes *out);

/* The other changed settings: those a reload applies at once, named as above. Returns
 * how many. */
int config_reload_changes(const struct nodd_config *run, const struct nodd_config *n,
	struct config_changes *out);

#endif
