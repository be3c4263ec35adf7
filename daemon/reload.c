/* reload.c -- SIGHUP: re-read the configuration and the TSIG keys, apply what can change
 * at once (log level, TTL, SOA timers and NS names, HTTP token, transfer ACL, keys, the
 * allow-list, the CT logs) and name in the log what waits for a restart; a file with an
 * error changes nothing. An allow-list the store refuses while an apply worker writes it
 * is tried again on a timer until applied or replaced by a newer reload's. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/keys.h"
#include "lib/clock.h"
#include "daemon/daemon.h"
#include "lib/log.h"
#include "server/metrics.h"
#include "server/query.h"
#include "server/xfrout.h"
#include "ct/source.h"
#include "zones/secondary.h"

/* Exchange a field of the running configuration with the one of the file just read (which
 * is freed after the reload, and with it what the running one held). */
#define SWAP(a, b) do { __typeof__(a) t_ = (a); (a) = (b); (b) = t_; } while (0)

/* Keys and key files are re-read by every reload (as BIND's reconfig re-reads its key
 * files), so a secret can be rotated without a restart, and take effect only when every
 * key named by transfer.allow, transfer.notify and upstreams is there. The replaced keyring
 * is not freed: a transfer in progress (in or out) goes on verifying or signing with the
 * key it began with, and a UDP thread may be checking a query with it at this moment.
 * Reloads that change keys are rare and a key is under 1 KB, so they are kept until exit;
 * a reload with the same keys keeps the running keyring.
 * Returns 1 when the keys were replaced, 0 when they are the same, -1 when they are
 * kept because the new ones cannot be used (why in out->keys_error). */
static int reload_keys(struct daemon *d, const struct nodd_config *n, struct http_reload *out)
{
	struct nodd_err err;
	struct tsig_keyring *kr = keys_load_checked(n, &err);
	if (!kr || keys_check_refs(d->cfg, kr, &err) < 0) {
		log_err("reload: %s (keeping the running keys)", err.msg);
		snprintf(out->keys_error, sizeof out->keys_error, "%s", err.msg);
		metrics_inc("reload_errors", 1);
		tsig_keyring_free(kr);
		return -1;
	}
	if (tsig_keyring_same(kr, d->kr)) {
		tsig_keyring_free(kr);
		return 0;
	}
	struct old_keys *o = malloc(sizeof *o);
	if (!o) {
		log_err("reload: out of memory (keeping the running keys)");
		snprintf(out->keys_error, sizeof out->keys_error, "out of memory");
		metrics_inc("reload_errors", 1);
		tsig_keyring_free(kr);
		return -1;
	}
	o->kr = d->kr;
	o->next = d->old_kr;
	d->old_kr = o;
	d->kr = kr;
	xfrout_set_keys(d->xfr, kr);
	query_set_keys(kr);
	secondary_set_keys(d->sec, kr);
	log_info("reload: TSIG keys replaced (%zu keys)", tsig_keyring_count(kr));
	return 1;
}

/* Add name to c unless it is there. */
static void changes_add(struct config_changes *c, const char *name)
{
	size_t o = strlen(c->names), len = strlen(name);
	for (const char *p = c->names; (p = strstr(p, name)) != NULL; p += len)
		if ((p == c->names || p[-1] == ' ') && (p[len] == ',' || p[len] == '\0'))
			return;
	snprintf(c->names + o, sizeof c->names - o, "%s%s", c->count ? ", " : "", name);
	c->count++;
}

/* The applied settings whose names start with prefix go to the list to instead. */
static void changes_move(struct http_reload *out, struct config_changes *to, const char *prefix)
{
	struct config_changes applied = out->applied;
	memset(&out->applied, 0, sizeof out->applied);
	char *save = NULL;
	for (char *t = strtok_r(applied.names, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
		changes_add(strncmp(t, prefix, strlen(prefix)) == 0 ? to : &out->applied, t);
}

/* policy.allow refused while an apply worker writes the store (a zone's first transfer,
 * seconds to minutes): tried again this often, as a refused CT slice is (ct/commit.c). */
#define ALLOW_RETRY_MS 200

/* Make the list (allow, *nallow) the allow-list: the entries it no longer names end, new
 * ones start (policy/nod.h); the running configuration then holds it, so the next reload
 * compares with it, and (allow, *nallow) the list it replaced. 1 applied, 0 refused while
 * an apply worker writes the store (the entries changed before the refusal stay changed;
 * the list is not the running one yet), -1 failed (logged). */
static int allow_apply(struct daemon *d, char **allow, int *nallow, int retried)
{
	int changed = nod_allow_config(d->nod, allow, *nallow, unix_now());
	if (changed < 0 && store_busy(nod_store(d->nod)))
		return 0;
	if (changed < 0) {
		log_err("reload: policy.allow: %s", nod_errmsg(d->nod));
		metrics_inc("reload_errors", 1);
		return -1;
	}
	if (changed > 0 || retried)
		log_info("reload: policy.allow: %d entries added or removed%s", changed,
			retried ? " (the store takes writes again)" : "");
	for (int i = 0; i < CONFIG_MAX_ALLOW; i++)
		SWAP(d->cfg->allow[i], allow[i]);
	SWAP(d->cfg->nallow, *nallow);
	return 1;
}

/* The list waiting for the store is forgotten: freed, its timer stopped. */
static void allow_drop(struct allow_retry *r)
{
	for (int i = 0; i < r->nallow; i++)
		free(r->allow[i]);
	memset(r->allow, 0, sizeof r->allow);
	r->nallow = 0;
	r->waiting = 0;
	if (r->ev)
		evtimer_del(r->ev);
}

static void allow_retry_later(struct allow_retry *r)
{
	struct timeval later = { 0, ALLOW_RETRY_MS * 1000 };
	evtimer_add(r->ev, &later);
}

static void allow_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	struct allow_retry *r = &d->allow_retry;
	int rc = allow_apply(d, r->allow, &r->nallow, 1);
	if (rc == 0) {
		r->retries++;
		allow_retry_later(r);
		return;
	}
	allow_drop(r); /* applied (it holds the list replaced) or failed */
}

/* A newer reload's list replaces one still waiting; refused, it waits in its turn (logged
 * once, retried by the timer, shown in the status). */
static void reload_allow(struct daemon *d, struct nodd_config *n, struct http_reload *out)
{
	struct allow_retry *r = &d->allow_retry;
	allow_drop(r);
	if (allow_apply(d, n->allow, &n->nallow, 0) != 0)
		return;
	if (!r->ev && !(r->ev = evtimer_new(d->base, allow_retry_cb, d))) {
		log_err("reload: policy.allow: not applied: a zone's first transfer is being "
			"written to the store, and no retry could be set up (out of memory)");
		metrics_inc("reload_errors", 1);
		return;
	}
	for (int i = 0; i < CONFIG_MAX_ALLOW; i++)
		SWAP(r->allow[i], n->allow[i]);
	SWAP(r->nallow, n->nallow);
	r->waiting = 1;
	allow_retry_later(r);
	log_warn("reload: policy.allow: a zone's first transfer is being written to the store; "
		"applied when it is done (tried every %d ms)", ALLOW_RETRY_MS);
	changes_move(out, &out->pending, "policy.allow"); /* waiting, not applied */
	if (!out->pending.count)
		changes_add(&out->pending, "policy.allow");
}

json_t *daemon_reload_status(void *arg)
{
	struct daemon *d = arg;
	const struct allow_retry *r = &d->allow_retry;
	json_t *o = json_object();
	json_t *p = json_array();
	if (r->waiting)
		json_array_append_new(p, json_string("policy.allow"));
	json_object_set_new(o, "pending", p);
	json_object_set_new(o, "busy_retries", json_integer((json_int_t)r->retries));
	return o;
}

void daemon_reload_free(struct daemon *d)
{
	allow_drop(&d->allow_retry);
	if (d->allow_retry.ev)
		event_free(d->allow_retry.ev);
	d->allow_retry.ev = NULL;
}

/* ct.logs and ct.start: the CT source follows the logs n names from now on, and the
 * running configuration holds them, so the next reload compares with them. CT off since
 * the start is turned on by a restart only. */
static void reload_ct(struct daemon *d, struct nodd_config *n, struct http_reload *out)
{
	if (!d->ct) {
		changes_move(out, &out->restart, "ct.");
		return;
	}
	int changed = ct_source_set_logs(d->ct, n);
	if (changed > 0)
		log_info("reload: ct.logs: %d logs stopped or started", changed);
	SWAP(d->cfg->ct_logs, n->ct_logs);
	SWAP(d->cfg->nct_logs, n->nct_logs);
	d->cfg->ct_start = n->ct_start;
}

/* The answer configuration: each reload builds a new one and publishes it with one atomic
 * store; the one it replaces is never written again and is freed only at exit. A UDP thread
 * loads the pointer once per query and may still be reading the old one when the next
 * reload comes, so flipping between two buffers (or freeing) could change or free it under
 * that reader. Keeping them costs a few KB per reload, and reloads are rare; an epoch or
 * RCU scheme would add a per-query step to every UDP thread to save that. */
void daemon_reload_run(struct daemon *d, struct http_reload *out)
{
	memset(out, 0, sizeof *out);
	struct nodd_err cerr;
	struct nodd_config *n = config_load(d->cfg->path, &cerr);
	if (!n || (d->ct && ct_source_check_logs(n, &cerr) < 0)) {
		log_err("reload: %s (keeping the running configuration)", cerr.msg);
		snprintf(out->error, sizeof out->error, "%s", cerr.msg);
		metrics_inc("reload_errors", 1);
		config_free(n);
		return;
	}
	config_reload_changes(d->cfg, n, &out->applied);
	int nlater = config_restart_changes(d->cfg, n, &out->restart);
	const struct config_changes *later = &out->restart;
	/* A new suffix renames every zone: the whole publish section waits for the restart,
	 * so that the answers, the transfers and the files keep agreeing. */
	int same_suffix = strcmp(n->suffix, d->cfg->suffix) == 0;
	if (same_suffix) {
		struct reloaded_acfg *next = calloc(1, sizeof *next);
		if (!next || daemon_answer_cfg(n, &next->cfg, &cerr) < 0) {
			log_err("reload: %s (keeping the running configuration)",
				next ? cerr.msg : "out of memory");
			snprintf(out->error, sizeof out->error, "%s", next ? cerr.msg : "out of memory");
			memset(&out->applied, 0, sizeof out->applied);
			memset(&out->restart, 0, sizeof out->restart);
			metrics_inc("reload_errors", 1);
			free(next);
			config_free(n);
			return;
		}
		/* publish.test-names wait for a restart: every full transfer carries them */
		next->cfg.tests = atomic_load(&d->active)->tests;
		next->next = d->reloaded;
		d->reloaded = next;
		atomic_store(&d->active, &next->cfg);
		d->cfg->ttl = n->ttl;
	}
	daemon_log_apply(n);
	/* Swap in the fields read live (main thread: HTTP, the transfer handler); the rest needs
	 * a restart and is named in the log. */
	char *tok = d->cfg->http_token;
	d->cfg->http_token = n->http_token;
	n->http_token = tok;
	d->cfg->log_level = n->log_level;
	d->cfg->future_skew = n->future_skew;
	SWAP(d->cfg->xfr_allow, n->xfr_allow);
	SWAP(d->cfg->nxfr_allow, n->nxfr_allow);
	/* after the swap: the refs checked are the allow list now in use */
	if (reload_keys(d, n, out) > 0)
		changes_add(&out->applied, "keys"); /* a key file's secret, when not the config */
	reload_allow(d, n, out);
	reload_ct(d, n, out);
	config_free(n);
	ct_source_reload_list(d->ct); /* the log list file (or URL) is read again */
	ct_source_retry_failing(d->ct); /* and failing logs from their last verified position */
	if (!same_suffix)
		changes_move(out, &out->restart, "publish.");
	out->ok = 1;
	if (nlater)
		log_warn("reload: changed %s: %s at the next restart%s", later->names,
			nlater == 1 ? "takes effect" : "take effect",
			same_suffix ? "" : " (the publish section is kept as running until then)");
	log_info("reload: configuration re-read%s%s", out->applied.count ? "; applied: " : "",
		out->applied.names);
	metrics_inc("reloads", 1);
}

void daemon_reload(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	struct http_reload r;
	daemon_reload_run(arg, &r);
}
