/* log.c -- leveled logging to stderr, and the rate limit of repeated lines (log.h).
 * One write(2) per line so lines from the UDP threads do not interleave. */
#include "lib/log.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"

static volatile int cur_level = LOG_INFO;

void log_set_level(enum log_level lvl) { cur_level = (int)lvl; }
enum log_level log_get_level(void) { return (enum log_level)cur_level; }

int log_level_parse(const char *s)
{
	static const char *names[] = { "error", "warning", "info", "debug" };
	for (int i = 0; i < 4; i++)
		if (strcasecmp(s, names[i]) == 0)
			return i;
	if (strcasecmp(s, "warn") == 0)
		return LOG_WARN;
	return -1;
}

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	static const char *tag[] = { "error", "warning", "info", "debug" };
	if ((int)lvl > cur_level)
		return;
	char line[2048];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ nodd[%d] %s: ",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000, (int)getpid(), tag[lvl]);
	if (n < 0)
		return;
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	if (m < 0)
		return;
	size_t len = (size_t)n + (size_t)m;
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, line, len);
	(void)w;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
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

void log_limited(enum log_level lvl, const char *key, const char *fmt, ...)
{
	if ((int)lvl > cur_level)
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
		log_msg(lvl, "%s (%lu more suppressed)", msg, n);
	else
		log_msg(lvl, "%s", msg);
}
