/* test_http_sections.c -- the status/metrics sections of the HTTP server: room for at
 * least 16 (twice what the daemon registers), kept in order, and a full table refused
 * with -1 rather than dropped. */
#include <string.h>

#include "server/http.h"
#include "tap.h"

static char names[HTTP_MAX_SECTIONS + 1][16];

int main(void)
{
	static struct http_env env;
	ok(HTTP_MAX_SECTIONS >= 16, "room for at least 16 sections (%d)", HTTP_MAX_SECTIONS);
	int added = 0;
	for (int i = 0; i < 16 && i < HTTP_MAX_SECTIONS; i++) {
		snprintf(names[i], sizeof names[i], "s%d", i);
		if (http_add_section(&env, names[i], NULL, NULL, NULL) == 0)
			added++;
	}
	is_int(added, 16, "16 sections are all taken");
	for (int i = added; i < HTTP_MAX_SECTIONS; i++) {
		snprintf(names[i], sizeof names[i], "s%d", i);
		http_add_section(&env, names[i], NULL, NULL, NULL);
	}
	is_int(env.nsections, HTTP_MAX_SECTIONS, "the table holds HTTP_MAX_SECTIONS");
	is_int(http_add_section(&env, "one-more", NULL, NULL, NULL), -1,
		"one more than HTTP_MAX_SECTIONS is refused with -1");
	is_int(env.nsections, HTTP_MAX_SECTIONS, "and the table is unchanged");
	is_str(env.sections[0].name, "s0", "sections keep their order (first)");
	is_str(env.sections[HTTP_MAX_SECTIONS - 1].name, names[HTTP_MAX_SECTIONS - 1],
		"sections keep their order (last)");
	return tap_done();
}
