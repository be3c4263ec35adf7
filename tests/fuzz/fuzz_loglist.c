/* fuzz_loglist.c -- libFuzzer target: arbitrary bytes as a CT log list v3. Checked: a
 * failure says why; every log kept has a key, a description, the URLs of its kind (ending
 * in '/'), a known state, and a log ID no other kept log has. */
#include <stdlib.h>
#include <string.h>

#include "ct/loglist.h"
#include "lib/log.h"

static int url_ok(const char *u)
{
	return u && strlen(u) > 0 && u[strlen(u) - 1] == '/';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_set_level(LOG_ERR); /* skipped logs are warnings: not what is being tested */
	struct ct_loginfo *logs = NULL;
	size_t n = 0;
	struct nodd_err e = { NODD_OK, "" };
	if (ct_loglist_parse((const char *)data, size, &logs, &n, &e) < 0) {
		if (e.kind == NODD_OK || e.msg[0] == '\0')
			abort();
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		const struct ct_loginfo *l = &logs[i];
		if (!l->key_b64 || !l->description || l->state > CT_LOG_REJECTED ||
			(l->tiled ? !url_ok(l->monitoring_url) || !url_ok(l->submission_url) || l->url
				: !url_ok(l->url) || l->monitoring_url))
			abort();
		for (size_t j = 0; j < i; j++)
			if (memcmp(logs[j].log_id, l->log_id, 32) == 0)
				abort();
	}
	ct_loglist_free(logs, n);
	return 0;
}
