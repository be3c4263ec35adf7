/* daemon.h -- the running nodd: every part it started, and the three moments of its life
 * (start, reload, stop). The only place that knows all the rooms; each part is started
 * from its own options and knows nothing of the others but what it is handed here. */
#ifndef NODD_DAEMON_H
#define NODD_DAEMON_H

#include <event2/event.h>
#include <stdint.h>

#include "conf/config.h"
#include "lib/err.h"
#include "lib/tsig.h"
#include "policy/nod.h"
#include "policy/outbox.h"
#include "server/answer.h"
#include "server/http.h"

struct old_keys {
	struct tsig_keyring *kr;
	struct old_keys *next;
};

/* An answer configuration made by a reload; kept until exit (reload.c says why). */
struct reloaded_acfg {
	struct answer_cfg cfg;
	struct reloaded_acfg *next;
};

/* A reload's policy.allow that the store refused while an apply worker wrote it: tried
 * again every ALLOW_RETRY_MS (reload.c) until applied, or dropped for a newer reload's. */
struct allow_retry {
	struct event *ev;            /* the retry timer; made at the first refusal */
	char *allow[CONFIG_MAX_ALLOW];
	int nallow;
	int waiting;                 /* allow[] holds a list not applied yet */
	uint64_t retries;            /* since start: retries refused again */
};

struct daemon {
	struct nodd_config *cfg;
	struct event_base *base;
	nod_t *nod;
	outbox_t *ob;
	struct kafka_sink *kafka;
	struct ws_server *ws;
	struct secondary *sec;       /* upstream zones (NULL without upstreams) */
	struct ct_source *ct;        /* CT logs (NULL when ct is off) */
	struct tsig_keyring *kr;     /* the keys in use (conf/keys.h) */
	struct old_keys *old_kr;     /* replaced by reloads; freed at exit (reload.c says why) */
	int64_t last_prune;
	struct answer_cfg acfg[1];   /* the answer configuration of the start */
	struct reloaded_acfg *reloaded; /* those of reloads, newest first; freed at exit */
	struct answer_cfg *_Atomic active;
	int udp_threads;
	struct udp_server *udp;
	struct tcp_server *tcp;
	struct xfrout *xfr;          /* transfers and NOTIFY out, zone files */
	struct http_server *http;
	struct http_env henv;
	struct event *tick_ev, *sig_term, *sig_int, *sig_hup;
	struct allow_retry allow_retry;
};

/* The published zone names and records of cfg, as the answer path reads them. 0, or -1
 * with FILE: key: why in e. */
int daemon_answer_cfg(const struct nodd_config *cfg, struct answer_cfg *a, struct nodd_err *e);

/* Start every part of d (d->cfg loaded, d->acfg[0] built) in dependency order: keys,
 * store, sinks, sources, listeners, HTTP, timers and signals. 0, or -1 after logging why
 * (daemon_stop then frees what was started). */
int daemon_start(struct daemon *d);

/* Stop and free every part in reverse order; d->cfg too. Safe on a partial start. */
void daemon_stop(struct daemon *d);

/* The logging of cfg that a reload applies too: the global level, the level of each
 * category, the query log and its rate. */
void daemon_log_apply(const struct nodd_config *cfg);

/* The reload's part of GET /api/v1/status: a policy.allow waiting for the store. */
json_t *daemon_reload_status(void *d);

/* Drop a policy.allow waiting for the store (daemon_stop). */
void daemon_reload_free(struct daemon *d);

/* SIGHUP: re-read the configuration and keys and apply what can change at once. */
void daemon_reload(evutil_socket_t sig, short what, void *arg);

/* The same reload, saying in out what came of it (POST /api/v1/reload): ok 0 with error
 * when the file has an error (nothing changed), else the changed settings applied and
 * those that wait for a restart (with a new suffix the publish ones wait too). */
void daemon_reload_run(struct daemon *d, struct http_reload *out);

#endif
