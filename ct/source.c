/* source.c -- the CT source's registry (see source.h): the shared HTTP client, store
 * statements and public suffix list; the set of followed logs, made from ct.logs and the
 * log list (usable and qualified logs followed, readonly ones read to their final tree
 * head, the others not followed); the periodic re-read of the list and pruning of the
 * deduplication tables. Follows no log itself (ct/follow.c) and parses nothing (ct/loglist.h). */
#define LOG_CATEGORY LOG_CAT_CT
#include "ct/source.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ct/fetch.h"
#include "ct/follow.h"
#include "ct/listread.h"
#include "ct/loglist.h"
#include "ct/names.h"
#include "ct/state.h"
#include "ct/sth.h"
#include "lib/clock.h"
#include "lib/grow.h"
#include "lib/log.h"

#define MAX_LIST_BYTES (16 << 20)

struct running {
	struct ct_follow *f;
	int from_list;
	int seen;               /* still wanted by the list just read */
	char *settings;         /* a ct.logs entry's settings as one string (spec_text): a
	                         * reload restarts the log when they change; NULL from the list */
};

struct ct_source {
	const struct nodd_config *cfg;
	struct ct_env env;
	struct running *logs;
	size_t nlogs, cap;
	struct event *timer, *rate_timer;
	struct ct_listread *list;   /* NULL without ct.log-list */
	int64_t last_prune;
};

static struct running *find(struct ct_source *s, const uint8_t id[32])
{
	for (size_t i = 0; i < s->nlogs; i++)
		if (memcmp(ct_follow_log_id(s->logs[i].f), id, 32) == 0)
			return &s->logs[i];
	return NULL;
}

/* A log's settings as one string, to see a reload change them. NULL when out of memory. */
static char *spec_text(const struct ct_log_spec *sp)
{
	char *out = NULL;
	if (asprintf(&out, "%s\n%s\n%s\n%s\n%s\n%d %d %d", sp->description ? sp->description : "",
		    sp->url ? sp->url : "", sp->monitoring_url ? sp->monitoring_url : "",
		    sp->submission_url ? sp->submission_url : "", sp->key_b64, sp->parallel,
		    sp->rate, sp->batch) < 0)
		return NULL;
	return out;
}

static void stop_at(struct ct_source *s, size_t i)
{
	ct_follow_stop(s->logs[i].f);
	free(s->logs[i].settings);
	s->logs[i] = s->logs[--s->nlogs];
}

static int add_log(struct ct_source *s, const struct ct_log_spec *spec, int from_list,
	struct nodd_err *e)
{
	if (grow_array(&s->logs, &s->cap, s->nlogs + 1, sizeof *s->logs) < 0)
		return nodd_fail(e, NODD_E_NOMEM, "out of memory");
	char *settings = NULL;
	if (!from_list && !(settings = spec_text(spec)))
		return nodd_fail(e, NODD_E_NOMEM, "out of memory");
	struct ct_follow *f = ct_follow_start(&s->env, spec, e);
	if (!f) {
		free(settings);
		return -1;
	}
	s->logs[s->nlogs++] = (struct running){ .f = f, .from_list = from_list, .seen = 1,
		.settings = settings };
	return 0;
}

static void spec_defaults(const struct nodd_config *cfg, struct ct_log_spec *sp)
{
	if (!sp->parallel)
		sp->parallel = cfg->ct_parallel;
	if (!sp->rate)
		sp->rate = cfg->ct_rate;
	if (!sp->batch)
		sp->batch = cfg->ct_batch_size;
}

/* The logs of a list just read: start those that appeared, stop those that left. */
static int apply_list(void *ctx, const char *json, size_t len, struct nodd_err *le)
{
	struct ct_source *s = ctx;
	struct ct_loginfo *li = NULL;
	size_t n = 0;
	struct nodd_err e = { 0 };
	if (ct_loglist_parse(json, len, &li, &n, le) < 0)
		return -1;
	for (size_t i = 0; i < s->nlogs; i++)
		s->logs[i].seen = !s->logs[i].from_list;
	for (size_t i = 0; i < n; i++) {
		const struct ct_loginfo *l = &li[i];
		if (l->state != CT_LOG_USABLE && l->state != CT_LOG_QUALIFIED &&
		    l->state != CT_LOG_READONLY)
			continue;
		struct running *r = find(s, l->log_id);
		if (r) {
			r->seen = 1;
			continue;
		}
		struct ct_log_spec sp = { .description = l->description, .url = l->url,
			.monitoring_url = l->monitoring_url, .submission_url = l->submission_url,
			.key_b64 = l->key_b64,
			.final_size = l->state == CT_LOG_READONLY ? l->final_tree_size : 0 };
		spec_defaults(s->cfg, &sp);
		if (add_log(s, &sp, 1, &e) < 0)
			log_err("ct: log list: %s: %s", l->description, e.msg);
	}
	for (size_t i = 0; i < s->nlogs;) {
		if (s->logs[i].seen) {
			i++;
			continue;
		}
		log_info("ct %s: no longer in the log list (or not usable): not followed any more",
			ct_follow_description(s->logs[i].f));
		stop_at(s, i);
	}
	ct_loglist_free(li, n);
	return 0;
}

void ct_source_reload_list(struct ct_source *s)
{
	struct nodd_err e = { 0 };
	if (s && s->list && ct_listread_start(s->list, &e) < 0)
		log_err("%s; the logs followed stay as they are", e.msg);
}

void ct_source_retry_failing(struct ct_source *s)
{
	for (size_t i = 0; s && i < s->nlogs; i++)
		ct_follow_retry(s->logs[i].f);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ct_source *s = arg;
	ct_source_reload_list(s);
	int64_t now = unix_now();
	if (now - s->last_prune >= 3600) {
		s->last_prune = now;
		if (ct_state_prune(s->env.st, now, s->cfg->ct_dedup_keep) < 0)
			log_warn("ct: cannot prune the deduplication tables: %s",
				ct_state_errmsg(s->env.st));
	}
}

static void on_rate_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct ct_source *s = arg;
	for (size_t i = 0; i < s->nlogs; i++)
		ct_follow_rates(s->logs[i].f);
}

static struct ct_log_spec config_spec(const struct nodd_config *cfg, const struct config_ct_log *c)
{
	struct ct_log_spec sp = { .description = c->description, .url = c->url,
		.monitoring_url = c->monitoring_url, .submission_url = c->submission_url,
		.key_b64 = c->key, .parallel = c->parallel, .rate = c->rate, .batch = c->batch_size };
	spec_defaults(cfg, &sp);
	return sp;
}

static int start_config_logs(struct ct_source *s, struct nodd_err *e)
{
	const struct nodd_config *cfg = s->cfg;
	for (int i = 0; i < cfg->nct_logs; i++) {
		struct ct_log_spec sp = config_spec(cfg, &cfg->ct_logs[i]);
		if (add_log(s, &sp, 0, e) < 0)
			return nodd_wrap(e, "%s:%d: ct.logs", cfg->path, cfg->ct_logs[i].line);
	}
	return 0;
}

int ct_source_check_logs(const struct nodd_config *n, struct nodd_err *e)
{
	for (int i = 0; i < n->nct_logs; i++) {
		struct ct_logkey *k = ct_logkey_new(n->ct_logs[i].key, e);
		if (!k)
			return nodd_wrap(e, "%s:%d: ct.logs", n->path, n->ct_logs[i].line);
		ct_logkey_free(k);
	}
	return 0;
}

/* A ct.logs entry of a reloaded configuration: its log ID and settings (spec_text). */
struct wanted {
	uint8_t id[32];
	char *settings;
};

/* The entry of w (n of them) with this log ID, or NULL. */
static const struct wanted *wanted_find(const struct wanted *w, int n, const uint8_t id[32])
{
	for (int i = 0; i < n; i++)
		if (memcmp(w[i].id, id, 32) == 0)
			return &w[i];
	return NULL;
}

/* The logs of the configuration that left it, or whose settings changed, stop; a log of
 * the list that the configuration now names too stops, to start with its settings. */
static int stop_unwanted(struct ct_source *s, const struct wanted *w, int nw)
{
	int changed = 0;
	for (size_t i = 0; i < s->nlogs;) {
		struct running *r = &s->logs[i];
		const struct wanted *c = wanted_find(w, nw, ct_follow_log_id(r->f));
		const char *why = !c ? (r->from_list ? NULL : "no longer in ct.logs: not followed "
				"any more")
			: r->from_list ? "now in ct.logs: followed with its settings there"
			: strcmp(r->settings, c->settings) != 0 ? "its ct.logs settings changed: "
				"followed again with them" : NULL;
		if (!why) {
			i++;
			continue;
		}
		log_info("ct %s: %s", ct_follow_description(r->f), why);
		stop_at(s, i);
		changed++;
	}
	return changed;
}

int ct_source_set_logs(struct ct_source *s, const struct nodd_config *n)
{
	if (!s)
		return 0;
	struct wanted *w = calloc((size_t)n->nct_logs + 1, sizeof *w);
	int nw = 0, changed = 0;
	for (int i = 0; w && i < n->nct_logs; i++) {
		struct ct_log_spec sp = config_spec(s->cfg, &n->ct_logs[i]);
		struct nodd_err e = { 0 };
		struct ct_logkey *k = ct_logkey_new(sp.key_b64, &e);
		if (k && (w[nw].settings = spec_text(&sp)) != NULL)
			memcpy(w[nw++].id, ct_logkey_id(k), 32);
		ct_logkey_free(k);
		if (nw != i + 1) {
			/* keys were checked (ct_source_check_logs): out of memory */
			log_err("ct: reload: out of memory; the logs followed stay as they are");
			goto out;
		}
	}
	if (!w) {
		log_err("ct: reload: out of memory; the logs followed stay as they are");
		return 0;
	}
	s->env.start = n->ct_start;
	changed = stop_unwanted(s, w, nw);
	for (int i = 0; i < n->nct_logs; i++) {
		if (find(s, w[i].id))
			continue;
		struct ct_log_spec sp = config_spec(s->cfg, &n->ct_logs[i]);
		struct nodd_err e = { 0 };
		if (add_log(s, &sp, 0, &e) < 0)
			log_err("%s:%d: ct.logs: %s", n->path, n->ct_logs[i].line, e.msg);
		else
			changed++;
	}
out:
	for (int i = 0; i < nw; i++)
		free(w[i].settings);
	free(w);
	return changed;
}

struct ct_source *ct_source_start(struct event_base *base, const struct nodd_config *cfg,
	nod_t *nod, outbox_t *ob, struct nodd_err *e)
{
	if (!cfg->ct_log_list && cfg->nct_logs == 0)
		return NULL;
	struct ct_source *s = nodd_calloc(1, sizeof *s, e);
	if (!s)
		return NULL;
	s->cfg = cfg;
	s->env = (struct ct_env){ .base = base, .nod = nod, .ob = ob, .list_all = cfg->ct_list_all,
		.start = cfg->ct_start, .poll = cfg->ct_poll_interval,
		.max_unverified = (uint64_t)cfg->ct_max_unverified,
		.commit_entries = (uint64_t)cfg->ct_commit_entries,
		.partial_wait = cfg->ct_partial_tile_wait };
	struct ct_fetch_options fo = { .user_agent = cfg->ct_user_agent, .timeout = (long)cfg->ct_timeout,
		.max_body = (size_t)cfg->ct_max_response };
	if (!(s->env.fetch = ct_fetch_new(base, &fo, e)) ||
	    !(s->env.st = ct_state_open(nod_store(nod), e)) ||
	    !(s->env.psl = ct_psl_open(cfg->psl_file, e)) ||
	    !(s->env.confirm = ct_confirm_start(base, cfg, nod, e)))
		goto fail;
	int64_t now = unix_now(), learn = now;
	if (ct_state_learning_start(s->env.st, now, &learn) < 0) {
		nodd_fail(e, NODD_E_STORE, "ct: %s", ct_state_errmsg(s->env.st));
		goto fail;
	}
	s->env.learning_end = learn + cfg->ct_learning_period;
	if (now < s->env.learning_end)
		log_info("ct: learning period until %lld: names read until then are baseline",
			(long long)s->env.learning_end);
	if (start_config_logs(s, e) < 0)
		goto fail;
	s->last_prune = now;
	s->timer = event_new(base, -1, EV_PERSIST, on_timer, s);
	s->rate_timer = event_new(base, -1, EV_PERSIST, on_rate_timer, s);
	struct timeval tv = { (time_t)cfg->ct_log_list_interval, 0 }, ten = { 10, 0 };
	if (!s->timer || event_add(s->timer, &tv) < 0 || !s->rate_timer ||
	    event_add(s->rate_timer, &ten) < 0) {
		nodd_fail(e, NODD_E_NOMEM, "out of memory");
		goto fail;
	}
	if (cfg->ct_log_list) {
		struct ct_listread_options lo = { .location = cfg->ct_log_list,
			.key_file = cfg->ct_log_list_key, .signature = cfg->ct_log_list_signature,
			.max_bytes = MAX_LIST_BYTES };
		/* a file is read now (unreadable: an error), a URL in the background */
		if (!(s->list = ct_listread_new(s->env.fetch, &lo, apply_list, s, e)) ||
		    ct_listread_start(s->list, e) < 0)
			goto fail;
	}
	return s;
fail:
	ct_source_stop(s);
	return NULL;
}

void ct_source_stop(struct ct_source *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nlogs; i++) {
		ct_follow_stop(s->logs[i].f);
		free(s->logs[i].settings);
	}
	free(s->logs);
	ct_listread_free(s->list);
	if (s->timer)
		event_free(s->timer);
	ct_confirm_stop(s->env.confirm);
	if (s->rate_timer)
		event_free(s->rate_timer);
	ct_fetch_free(s->env.fetch);
	ct_state_close(s->env.st);
	ct_psl_close(s->env.psl);
	free(s);
}

json_t *ct_source_status(void *arg)
{
	struct ct_source *s = arg;
	json_t *a = json_array();
	for (size_t i = 0; s && i < s->nlogs; i++)
		json_array_append_new(a, ct_follow_status(s->logs[i].f));
	return a;
}

void ct_source_metrics(void *arg, FILE *out)
{
	struct ct_source *s = arg;
	if (!s || !s->nlogs)
		return;
	struct ct_follow **fs = malloc(s->nlogs * sizeof *fs);
	if (!fs)
		return;
	for (size_t i = 0; i < s->nlogs; i++)
		fs[i] = s->logs[i].f;
	ct_follow_metrics(fs, s->nlogs, out);
	free(fs);
}

json_t *ct_source_rdap_status(void *s)
{
	return ct_confirm_status(((struct ct_source *)s)->env.confirm);
}

void ct_source_rdap_metrics(void *s, FILE *out)
{
	ct_confirm_metrics(((struct ct_source *)s)->env.confirm, out);
}

json_t *ct_source_list_status(void *s)
{
	return ct_listread_status(((struct ct_source *)s)->list);
}

void ct_source_list_metrics(void *s, FILE *out)
{
	ct_listread_metrics(((struct ct_source *)s)->list, out);
}
