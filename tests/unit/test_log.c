/* test_log -- the rate limit of repeated log lines: one line per key per LOG_LIMIT_SECS,
 * the count of the lines held back on the next one, keys apart, and the text written. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "tap.h"

/* Run log_limited n times for key and return what reached stderr. */
static char *capture(const char *key, int n)
{
	static char buf[65536];
	fflush(stderr);
	int saved = dup(STDERR_FILENO);
	char path[] = "/tmp/nodd-log-XXXXXX";
	int fd = mkstemp(path);
	dup2(fd, STDERR_FILENO);
	for (int i = 0; i < n; i++)
		log_limited(LOG_INFO, key, "refused %d from %s", i, key);
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t len = pread(fd, buf, sizeof buf - 1, 0);
	buf[len > 0 ? len : 0] = 0;
	close(fd);
	unlink(path);
	return buf;
}

static int lines(const char *s)
{
	int n = 0;
	for (; *s; s++)
		n += *s == '\n';
	return n;
}

int main(void)
{
	unsigned long sup = 99;
	const int64_t t = 1000;
	ok(log_limit_admit("a", t, &sup) && sup == 0, "the first line of a key is written");
	ok(!log_limit_admit("a", t, &sup), "the same key in the same second is held back");
	ok(!log_limit_admit("a", t + LOG_LIMIT_SECS - 1, &sup), "and until the period ends");
	ok(log_limit_admit("b", t + 1, &sup) && sup == 0, "another key is apart");
	ok(log_limit_admit("a", t + LOG_LIMIT_SECS, &sup), "written again after the period");
	is_int(sup, 2, "with the count of the lines held back");
	ok(!log_limit_admit("a", t + LOG_LIMIT_SECS, &sup), "then held back again");
	ok(log_limit_admit("a", t + 3 * LOG_LIMIT_SECS, &sup) && sup == 1, "count restarts");

	/* many keys: each is written once; the table forgets the oldest, never blocks one */
	int all = 1;
	char key[32];
	for (int i = 0; i < 4 * LOG_LIMIT_SLOTS; i++) {
		snprintf(key, sizeof key, "peer-%d", i);
		all &= log_limit_admit(key, t + 10, &sup);
	}
	ok(all, "%d distinct keys are each written", 4 * LOG_LIMIT_SLOTS);

	/* the lines themselves (the real clock: the 100 calls run within one period) */
	char *out = capture("xfr refused 192.0.2.7", 100);
	is_int(lines(out), 1, "100 repeats write one line");
	ok(strstr(out, "refused 0 from xfr refused 192.0.2.7") != NULL, "the first one: %s", out);
	log_set_level(LOG_WARN);
	out = capture("dropped below the level", 3);
	is_int(lines(out), 0, "below the level nothing is written or counted");
	log_set_level(LOG_INFO);
	out = capture("dropped below the level", 1);
	ok(strstr(out, "suppressed") == NULL, "nothing counted while the level dropped it");
	return tap_done();
}
