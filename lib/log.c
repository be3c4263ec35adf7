/* log.c -- leveled logging by category to stderr (the journal's "<N>" format or the
 * plain one) or syslog, escaping, and the rate limit of repeated lines (log.h).
 * One write(2) per line so lines from the UDP threads do not interleave. */
#include "lib/log.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"

static atomic_int cur_level = LOG_INFO;
static atomic_int cat_level[LOG_CAT_COUNT] = {
	[0 ... LOG_CAT_COUNT - 1] = -1,
};
static atomic_int journal;      /* 1: "<N>message" lines */
extern atomic_int log_syslog_on; /* lib/log_syslog.c */

static const char *const level_names[] = { "error", "warning", "info", "debug" };
/* syslog priorities (RFC 5424): err 3, warning 4, info 6, debug 7 */
static const int level_prio[] = { 3, 4, 6, 7 };
static const char *const cat_names[LOG_CAT_COUNT] = {
	"general", "xfr-in", "xfr-out", "notify", "api", "ct", "security", "queries",
};

void log_set_level(enum log_level lvl) { atomic_store(&cur_level, (int)lvl); }
enum log_level log_get_level(void) { return (enum log_level)atomic_load(&cur_level); }

int log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, level_names[i]) == 0)
			return i;
	if (strcasecmp(s, "warn") == 0)
		return LOG_WARN;
	return -1;
}

void log_set_cat_level(enum log_cat c, int lvl)
{
	if ((int)c >= 0 && c < LOG_CAT_COUNT)
		atomic_store(&cat_level[c], lvl < 0 ? -1 : lvl);
}

int log_cat_parse(const char *s)
{
	for (int i = 0; i < LOG_CAT_COUNT; i++)
		if (strcmp(s, cat_names[i]) == 0)
			return i;
	return -1;
}

const char *log_cat_name(enum log_cat c)
{
	return (int)c >= 0 && c < LOG_CAT_COUNT ? cat_names[c] : "general";
}

int log_cat_enabled(enum log_cat c, enum log_level lvl)
{
	int l = (int)c >= 0 && c < LOG_CAT_COUNT ? atomic_load_explicit(&cat_level[c],
		memory_order_relaxed) : -1;
	if (l < 0)
		l = atomic_load_explicit(&cur_level, memory_order_relaxed);
	return (int)lvl <= l;
}

int log_journal_stream_matches(const char *env, uint64_t dev, uint64_t ino)
{
	if (!env || !*env)
		return 0;
	char *end;
	unsigned long long d = strtoull(env, &end, 10);
	if (end == env || *end != ':')
		return 0;
	const char *p = end + 1;
	unsigned long long i = strtoull(p, &end, 10);
	if (end == p || *end)
		return 0;
	return d == dev && i == ino;
}

int log_detect_journal(void)
{
	struct stat st;
	int on = fstat(STDERR_FILENO, &st) == 0 &&
		log_journal_stream_matches(getenv("JOURNAL_STREAM"), (uint64_t)st.st_dev,
			(uint64_t)st.st_ino);
	atomic_store(&journal, on);
	return on;
}

void log_set_journal(int on) { atomic_store(&journal, on ? 1 : 0); }

size_t log_escape(const char *in, size_t n, char *out, size_t outsz)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 0x20 && c < 0x7f) {
			if (o + 1 >= outsz)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= outsz)
				break;
			snprintf(out + o, 5, "\\%03u", c);
			o += 4;
		}
	}
	out[o] = '\0';
	return o;
}

size_t log_format_line(char *out, size_t outsz, int jrnl, enum log_cat c,
	enum log_level lvl, int64_t unix_ms, int pid, const char *msg)
{
	if (outsz < 2)
		return 0;
	const char *cat = c == LOG_CAT_GENERAL ? "" : log_cat_name(c);
	const char *sep = c == LOG_CAT_GENERAL ? "" : ": ";
	int n;
	if (jrnl) {
		n = snprintf(out, outsz, "<%d>%s%s", level_prio[lvl], cat, sep);
	} else {
		time_t secs = (time_t)(unix_ms / 1000);
		struct tm tm;
		gmtime_r(&secs, &tm);
		n = snprintf(out, outsz, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ nodd[%d] %s: %s%s",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			tm.tm_sec, (int)(unix_ms % 1000), pid, level_names[lvl], cat, sep);
	}
	if (n < 0)
		n = 0;
	size_t len = (size_t)n < outsz - 1 ? (size_t)n : outsz - 2;
	len += log_escape(msg, strlen(msg), out + len, outsz - len - 1);
	out[len++] = '\n';
	out[len] = '\0';
	return len;
}

void log_cvmsg(enum log_cat c, enum log_level lvl, const char *fmt, va_list ap)
{
	if ((int)lvl < LOG_ERR || lvl > LOG_DEBUG || !log_cat_enabled(c, lvl))
		return;
	char msg[2048];
	if (vsnprintf(msg, sizeof msg, fmt, ap) < 0)
		return;
	if (atomic_load_explicit(&log_syslog_on, memory_order_relaxed)) {
		char line[4 * sizeof msg];
		const char *cat = c == LOG_CAT_GENERAL ? "" : log_cat_name(c);
		int n = snprintf(line, sizeof line, "%s%s", cat, *cat ? ": " : "");
		log_escape(msg, strlen(msg), line + n, sizeof line - (size_t)n);
		log_syslog_write(level_prio[lvl], line);
		return;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	char line[4 * sizeof msg + 128];
	size_t len = log_format_line(line, sizeof line, atomic_load(&journal), c, lvl,
		(int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, (int)getpid(), msg);
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

void log_cmsg(enum log_cat c, enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_cvmsg(c, lvl, fmt, ap);
	va_end(ap);
}

/* ---- rate limit ---- */

struct limit_slot {
	char key[LOG_LIMIT_KEY];
	int64_t last;              /* monotonic second of the last line written */
	unsigned long suppressed;  /* lines counted since */
	int used;
};

#define LIMIT_PROBE 8

static struct limit_slot limit_slots[LOG_LIMIT_SLOTS];
static pthread_mutex_t limit_lock = PTHREAD_MUTEX_INITIALIZER;

static uint32_t key_hash(const char *k)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; k[i] && i < LOG_LIMIT_KEY - 1; i++)
		h = (h ^ (uint8_t)k[i]) * 16777619u;
	return h;
}

/* The key's slot, or the slot to give it: a free one, else the least recently logged of
 * the probed ones. */
static struct limit_slot *limit_slot(const char *key)
{
	uint32_t h = key_hash(key);
	struct limit_slot *victim = NULL;
	for (int i = 0; i < LIMIT_PROBE; i++) {
		struct limit_slot *s = &limit_slots[(h + (uint32_t)i) % LOG_LIMIT_SLOTS];
		if (s->used && strncmp(s->key, key, LOG_LIMIT_KEY - 1) == 0)
			return s;
		if (!s->used) {
			if (!victim || victim->used)
				victim = s; /* the first free slot */
		} else if (!victim || (victim->used && s->last < victim->last)) {
			victim = s;
		}
	}
	memset(victim, 0, sizeof *victim);
	snprintf(victim->key, sizeof victim->key, "%s", key);
	return victim;
}

int log_limit_admit(const char *key, int64_t mono, unsigned long *suppressed)
{
	pthread_mutex_lock(&limit_lock);
	struct limit_slot *s = limit_slot(key);
	int admit = !s->used || mono - s->last >= LOG_LIMIT_SECS;
	if (admit) {
		*suppressed = s->suppressed;
		s->used = 1;
		s->last = mono;
		s->suppressed = 0;
	} else {
		s->suppressed++;
	}
	pthread_mutex_unlock(&limit_lock);
	return admit;
}

void log_cat_limited(enum log_cat c, enum log_level lvl, const char *key, const char *fmt, ...)
{
	if (!log_cat_enabled(c, lvl))
		return;
	unsigned long n;
	if (!log_limit_admit(key, mono_now(), &n))
		return;
	char msg[1900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (n)
		log_cmsg(c, lvl, "%s (%lu more suppressed)", msg, n);
	else
		log_cmsg(c, lvl, "%s", msg);
}
