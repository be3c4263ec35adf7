/* loglist.c -- the CT log list v3 (Chrome's and Apple's JSON) into an array of logs. Parses
 * only: fetching the list and choosing what to follow belong to the caller. One bad log is
 * skipped with a warning, never the whole list, so a list update cannot stop every log. */
#define LOG_CATEGORY LOG_CAT_CT
#include "ct/loglist.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "ct/sth.h"
#include "lib/log.h"

static const char *const state_names[] = {
	[CT_LOG_PENDING] = "pending", [CT_LOG_QUALIFIED] = "qualified", [CT_LOG_USABLE] = "usable",
	[CT_LOG_READONLY] = "readonly", [CT_LOG_RETIRED] = "retired", [CT_LOG_REJECTED] = "rejected",
};

const char *ct_logstate_name(enum ct_logstate s)
{
	return (unsigned)s < sizeof state_names / sizeof *state_names ? state_names[s] : "unknown";
}

static void info_clear(struct ct_loginfo *l)
{
	free(l->description);
	free(l->url);
	free(l->monitoring_url);
	free(l->submission_url);
	free(l->key_b64);
	memset(l, 0, sizeof *l);
}

void ct_loglist_free(struct ct_loginfo *logs, size_t n)
{
	for (size_t i = 0; logs && i < n; i++)
		info_clear(&logs[i]);
	free(logs);
}

/* An http(s) prefix from the list, with the '/' the endpoints are appended to. */
static int take_url(json_t *log, const char *key, char **out, const char **why)
{
	json_t *v = json_object_get(log, key);
	if (!json_is_string(v)) {
		*why = key;
		return -1;
	}
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if ((strncmp(s, "https://", 8) != 0 && strncmp(s, "http://", 7) != 0) || len > 2048 ||
		memchr(s, '\0', len)) {
		*why = key;
		return -1;
	}
	int slash = len > 0 && s[len - 1] == '/';
	if (!(*out = malloc(len + 2))) {
		*why = "memory";
		return -1;
	}
	memcpy(*out, s, len);
	if (!slash)
		(*out)[len++] = '/';
	(*out)[len] = '\0';
	return 0;
}

/* state: {"<name>": {...}} with exactly one known name; readonly carries its final size. */
static int take_state(json_t *log, struct ct_loginfo *l, const char **why)
{
	json_t *st = json_object_get(log, "state");
	*why = "state (want one of pending qualified usable readonly retired rejected)";
	if (!json_is_object(st) || json_object_size(st) != 1)
		return -1;
	const char *name = json_object_iter_key(json_object_iter(st));
	for (size_t i = 0; i < sizeof state_names / sizeof *state_names; i++) {
		if (strcmp(name, state_names[i]) != 0)
			continue;
		l->state = (enum ct_logstate)i;
		if (i != CT_LOG_READONLY)
			return 0;
		json_t *fth = json_object_get(json_object_get(st, name), "final_tree_head");
		json_t *size = json_object_get(fth, "tree_size");
		*why = "state readonly without final_tree_head.tree_size";
		if (!json_is_integer(size) || json_integer_value(size) < 0)
			return -1;
		l->final_tree_size = (uint64_t)json_integer_value(size);
		return 0;
	}
	return -1;
}

/* One log object; -1 with *why naming what was wrong. */
static int take_log(json_t *log, int tiled, struct ct_loginfo *l, const char **why,
	struct nodd_err *e)
{
	json_t *key = json_object_get(log, "key"), *id = json_object_get(log, "log_id");
	*why = "key (no string)";
	if (!json_is_string(key))
		return -1;
	struct ct_logkey *k = ct_logkey_new(json_string_value(key), e);
	if (!k) {
		*why = e->msg;
		return -1;
	}
	memcpy(l->log_id, ct_logkey_id(k), 32);
	ct_logkey_free(k);
	uint8_t listed[32];
	*why = "log_id (not SHA-256 of the key)";
	if (!json_is_string(id) ||
		ct_base64_decode(json_string_value(id), json_string_length(id), listed, sizeof listed) != 32 ||
		memcmp(listed, l->log_id, 32) != 0)
		return -1;
	*why = "memory";
	if (!(l->key_b64 = strdup(json_string_value(key))))
		return -1;
	l->tiled = tiled;
	if (tiled) {
		if (take_url(log, "monitoring_url", &l->monitoring_url, why) < 0 ||
			take_url(log, "submission_url", &l->submission_url, why) < 0)
			return -1;
	} else if (take_url(log, "url", &l->url, why) < 0) {
		return -1;
	}
	if (take_state(log, l, why) < 0)
		return -1;
	json_t *mmd = json_object_get(log, "mmd");
	l->mmd = json_is_integer(mmd) ? (int64_t)json_integer_value(mmd) : 0;
	json_t *desc = json_object_get(log, "description");
	const char *d = json_is_string(desc) ? json_string_value(desc)
		: tiled ? l->monitoring_url : l->url;
	*why = "memory";
	return (l->description = strdup(d)) ? 0 : -1;
}

static int duplicate(const struct ct_loginfo *logs, size_t n, const uint8_t id[32])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(logs[i].log_id, id, 32) == 0)
			return 1;
	return 0;
}

int ct_loglist_parse(const char *json, size_t len, struct ct_loginfo **out, size_t *n,
	struct nodd_err *e)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr);
	if (!root)
		return nodd_fail(e, NODD_E_INVALID, "log list: not JSON: %s (line %d)", jerr.text,
			jerr.line);
	json_t *ops = json_object_get(root, "operators");
	if (!json_is_array(ops)) {
		json_decref(root);
		return nodd_fail(e, NODD_E_INVALID, "log list: no \"operators\" array");
	}
	size_t cap = 0, cnt = 0;
	for (size_t i = 0; i < json_array_size(ops); i++)
		for (int t = 0; t < 2; t++)
			cap += json_array_size(json_object_get(json_array_get(ops, i),
				t ? "tiled_logs" : "logs"));
	struct ct_loginfo *logs = calloc(cap ? cap : 1, sizeof *logs);
	if (!logs) {
		json_decref(root);
		return nodd_fail(e, NODD_E_NOMEM, "log list: out of memory");
	}
	for (size_t i = 0; i < json_array_size(ops); i++) {
		json_t *op = json_array_get(ops, i);
		for (int t = 0; t < 2; t++) {
			json_t *arr = json_object_get(op, t ? "tiled_logs" : "logs");
			for (size_t j = 0; j < json_array_size(arr); j++) {
				const char *why = "entry (not an object)";
				struct nodd_err ke = { NODD_OK, "" };
				struct ct_loginfo *l = &logs[cnt];
				json_t *log = json_array_get(arr, j);
				if (json_is_object(log) && take_log(log, t, l, &why, &ke) == 0) {
					if (!duplicate(logs, cnt, l->log_id)) {
						cnt++;
						continue;
					}
					why = "log_id (a duplicate of an earlier log)";
				}
				json_t *desc = json_object_get(log, "description");
				log_warn("log list: operator %zu, %s %zu (%.100s): bad %s; skipped", i,
					t ? "tiled log" : "log", j,
					json_is_string(desc) ? json_string_value(desc) : "no description", why);
				info_clear(l);
			}
		}
	}
	json_decref(root);
	*out = logs;
	*n = cnt;
	return 0;
}
