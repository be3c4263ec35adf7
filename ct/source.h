/* source.h -- the CT source as the daemon sees it: the logs to follow (from the
 * configuration and the log list, re-read periodically), one follower each, and their
 * status and metrics. Main thread only; the daemon starts it after the store and the
 * outbox and stops it before them. */
#ifndef NODD_CT_SOURCE_H
#define NODD_CT_SOURCE_H

#include <event2/event.h>
#include <jansson.h>
#include <stdio.h>

#include "conf/config.h"
#include "lib/err.h"
#include "policy/nod.h"
#include "policy/outbox.h"

struct ct_source;

/* NULL without error when cfg turns no CT on (e->kind stays 0); NULL with e set on a
 * failure (a bad log key, an unreadable log list file). cfg, nod and ob are borrowed. */
struct ct_source *ct_source_start(struct event_base *base, const struct nodd_config *cfg,
	nod_t *nod, outbox_t *ob, struct nodd_err *e);
void ct_source_stop(struct ct_source *s); /* NULL is a no-op */

/* The ct.logs entries of configuration n (borrowed) have keys a log can be followed with:
 * 0, or -1 with e set ("nodd.yaml:12: ct.logs: log key: ..."). */
int ct_source_check_logs(const struct nodd_config *n, struct nodd_err *e);
/* A reload (SIGHUP): follow the ct.logs of n (borrowed for the call; its keys checked by
 * ct_source_check_logs) from now on. A log it no longer names stops, unless the log list
 * names it; a log it adds starts (at n's ct.start when never read, else at its saved
 * position); a log whose settings there changed starts again with them from its saved
 * position. Call ct_source_reload_list after it. Returns how many logs stopped or started;
 * NULL: 0. */
int ct_source_set_logs(struct ct_source *s, const struct nodd_config *n);

/* Read the log list again now (SIGHUP): logs that appeared start, logs that left stop. */
void ct_source_reload_list(struct ct_source *s);
/* Every failing log is read again from its last verified position (SIGHUP). NULL: no-op. */
void ct_source_retry_failing(struct ct_source *s);

/* The HTTP status section (an array, one object per log) and the /metrics families. */
json_t *ct_source_status(void *s);
void ct_source_metrics(void *s, FILE *out);
/* The "ct_log_list" section: the log list's location, whether its signature is checked,
 * when it was last taken, lists refused and why (NULL status and no metrics without
 * ct.log-list). */
json_t *ct_source_list_status(void *s);
void ct_source_list_metrics(void *s, FILE *out);
/* The "rdap" section: the RDAP queue, its answers, confirmations by source. */
json_t *ct_source_rdap_status(void *s);
void ct_source_rdap_metrics(void *s, FILE *out);

#endif
