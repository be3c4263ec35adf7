/* loglist.h -- the Chrome/Apple CT log list v3 (JSON): which logs exist, their keys, URLs
 * and states. Parsing only: reading the file or URL and deciding what to follow belong to
 * the caller. A log entry that is wrong (no key, a log_id that is not SHA-256 of the key, no
 * URL, an unknown or missing state, a duplicate) is skipped with a warning; the rest of the
 * list is kept. */
#ifndef NODD_CT_LOGLIST_H
#define NODD_CT_LOGLIST_H

#include <stddef.h>
#include <stdint.h>

#include "lib/err.h"

enum ct_logstate {
	CT_LOG_PENDING,
	CT_LOG_QUALIFIED,
	CT_LOG_USABLE,
	CT_LOG_READONLY,
	CT_LOG_RETIRED,
	CT_LOG_REJECTED,
};

/* One log. Strings are owned by the array (ct_loglist_free). */
struct ct_loginfo {
	char *description;     /* the list's description, else the URL */
	char *url;             /* RFC 6962 logs: the prefix, ending in '/'; tiled: NULL */
	char *monitoring_url;  /* tiled logs: both prefixes, ending in '/'; else NULL */
	char *submission_url;
	char *key_b64;         /* base64 SPKI DER */
	uint8_t log_id[32];    /* SHA-256 of the SPKI, checked against the list's log_id */
	enum ct_logstate state;
	uint64_t final_tree_size; /* readonly: final_tree_head.tree_size; else 0 */
	int64_t mmd;           /* seconds; 0 when absent */
	int tiled;             /* 1 for tiled_logs (static-ct-api), 0 for logs (RFC 6962) */
};

/* Parse a v3 list (json, len bytes, borrowed). Returns 0 with *out (malloc'd array of *n
 * logs, caller frees with ct_loglist_free), or -1 with e set (NODD_E_INVALID) when the text
 * is not JSON or has no operators array. */
int ct_loglist_parse(const char *json, size_t len, struct ct_loginfo **out, size_t *n,
	struct nodd_err *e);
void ct_loglist_free(struct ct_loginfo *logs, size_t n);

/* "usable", "readonly", ... */
const char *ct_logstate_name(enum ct_logstate s);

#endif
