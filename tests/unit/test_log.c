/* test_log -- the rate limit of repeated log lines: one line per key per LOG_LIMIT_SECS,
 * the count of the lines held back on the next one, keys apart, and the text written; the
 * line formats (the journal's "<N>" priority prefix, the plain one), the escaping of
 * hostile bytes, the level of each category, JOURNAL_STREAM matching and the syslog
 * facility names. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "tap.h"

static int saved_fd, cap_fd;
static char cap_path[32];

/* Send stderr to a scratch file until end_capture(), which returns what reached it. */
static void begin_capture(void)
{
	fflush(stderr);
	saved_fd = dup(STDERR_FILENO);
	snprintf(cap_path, sizeof cap_path, "/tmp/nodd-log-XXXXXX");
	cap_fd = mkstemp(cap_path);
	dup2(cap_fd, STDERR_FILENO);
}

static char *end_capture(void)
{
	static char buf[65536];
	int fd = cap_fd;
	dup2(saved_fd, STDERR_FILENO);
	close(saved_fd);
	ssize_t len = pread(fd, buf, sizeof buf - 1, 0);
	buf[len > 0 ? len : 0] = 0;
	close(fd);
	unlink(cap_path);
	return buf;
}

/* Run log_limited n times for key and return what reached stderr. */
static char *capture(const char *key, int n)
{
	begin_capture();
	for (int i = 0; i < n; i++)
		log_limited(LOG_INFO, key, "refused %d from %s", i, key);
	return end_capture();
}

static void test_format(void)
{
	char line[512];
	log_format_line(line, sizeof line, 1, LOG_CAT_GENERAL, LOG_ERR, 0, 1, "disk full");
	is_str(line, "<3>disk full\n", "journal: an error is <3>, no time or pid");
	log_format_line(line, sizeof line, 1, LOG_CAT_XFR_IN, LOG_WARN, 0, 1, "w");
	is_str(line, "<4>xfr-in: w\n", "journal: a warning is <4>, with its category");
	log_format_line(line, sizeof line, 1, LOG_CAT_API, LOG_INFO, 0, 1, "i");
	is_str(line, "<6>api: i\n", "journal: info is <6>");
	log_format_line(line, sizeof line, 1, LOG_CAT_SECURITY, LOG_DEBUG, 0, 1, "d");
	is_str(line, "<7>security: d\n", "journal: debug is <7>");
	log_format_line(line, sizeof line, 0, LOG_CAT_GENERAL, LOG_INFO, 1700000000123LL, 42, "up");
	is_str(line, "2023-11-14T22:13:20.123Z nodd[42] info: up\n", "plain: as before for general");
	log_format_line(line, sizeof line, 0, LOG_CAT_NOTIFY, LOG_WARN, 1700000000123LL, 42, "x");
	is_str(line, "2023-11-14T22:13:20.123Z nodd[42] warning: notify: x\n",
		"plain: the category after the level");
	/* hostile input: one line, no control bytes */
	log_format_line(line, sizeof line, 1, LOG_CAT_GENERAL, LOG_INFO, 0, 1,
		"a\nb\r\033[31mc\x7f\xff\td\\e");
	is_str(line, "<6>a\\010b\\013\\027[31mc\\127\\255\\009d\\e\n",
		"newline, CR, ESC, DEL, 0xff, tab as \\DDD; a backslash kept");
	char big[4000];
	memset(big, '\n', sizeof big - 1);
	big[sizeof big - 1] = 0;
	size_t n = log_format_line(line, sizeof line, 1, LOG_CAT_GENERAL, LOG_INFO, 0, 1, big);
	ok(n == strlen(line) && n < sizeof line && line[n - 1] == '\n' &&
		strchr(line, '\n') == line + n - 1, "a long hostile message is cut: one line");
	ok(strstr(line, "\\01\n") == NULL && strstr(line, "\\0\n") == NULL,
		"cut at a whole escape");
	char esc[8];
	is_int(log_escape("\x01\x02", 2, esc, sizeof esc), 4, "escape stops at the room left");
	is_str(esc, "\\001", "with a whole escape");
}

static void test_categories(void)
{
	log_set_level(LOG_INFO);
	ok(!log_cat_enabled(LOG_CAT_XFR_IN, LOG_DEBUG), "categories follow the global level");
	log_set_cat_level(LOG_CAT_XFR_IN, LOG_DEBUG);
	log_set_cat_level(LOG_CAT_API, LOG_WARN);
	ok(log_cat_enabled(LOG_CAT_XFR_IN, LOG_DEBUG), "xfr-in at debug shows debug");
	ok(!log_cat_enabled(LOG_CAT_GENERAL, LOG_DEBUG), "general still hides it");
	ok(!log_cat_enabled(LOG_CAT_API, LOG_INFO) && log_cat_enabled(LOG_CAT_API, LOG_WARN),
		"api at warning hides info");
	begin_capture();
	log_cmsg(LOG_CAT_XFR_IN, LOG_DEBUG, "shown %d", 1);
	log_cmsg(LOG_CAT_GENERAL, LOG_DEBUG, "hidden %d", 2);
	log_cmsg(LOG_CAT_API, LOG_INFO, "hidden %d", 3);
	log_debug("hidden %d", 4); /* this file's category: general */
	char *out = end_capture();
	ok(strstr(out, "debug: xfr-in: shown 1") && !strstr(out, "hidden"), "written: %s", out);
	log_set_cat_level(LOG_CAT_XFR_IN, -1);
	log_set_cat_level(LOG_CAT_API, -1);
	ok(!log_cat_enabled(LOG_CAT_XFR_IN, LOG_DEBUG), "-1: back to the global level");
	is_int(log_cat_parse("xfr-out"), LOG_CAT_XFR_OUT, "category names parse");
	is_int(log_cat_parse("queries"), LOG_CAT_QUERIES, "queries too");
	is_int(log_cat_parse("xfr_in"), -1, "unknown names do not");
	is_str(log_cat_name(LOG_CAT_SECURITY), "security", "and print");
}

static void test_outputs(void)
{
	ok(log_journal_stream_matches("8:1234", 8, 1234), "JOURNAL_STREAM naming stderr");
	ok(!log_journal_stream_matches("8:1234", 8, 1235), "another inode");
	ok(!log_journal_stream_matches("9:1234", 8, 1234), "another device");
	ok(!log_journal_stream_matches("8:1234x", 8, 1234), "trailing junk");
	ok(!log_journal_stream_matches("", 0, 0) && !log_journal_stream_matches(NULL, 0, 0),
		"unset");
	ok(!log_journal_stream_matches(":", 0, 0), "no numbers");
	log_set_journal(1);
	begin_capture();
	log_err("failed %s", "here");
	log_info("fine");
	char *out = end_capture();
	log_set_journal(0);
	is_str(out, "<3>failed here\n<6>fine\n", "journal lines written with their priority");
	ok(log_facility_parse("daemon") == 3 << 3 && log_facility_parse("local0") == 16 << 3 &&
		log_facility_parse("local7") == 23 << 3, "facility names (syslog.h codes)");
	ok(log_facility_parse("kern") < 0 && log_facility_parse("local8") < 0,
		"other facilities refused");
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
	test_format();
	test_categories();
	test_outputs();
	return tap_done();
}
