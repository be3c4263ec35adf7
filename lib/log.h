/* log.h -- leveled logging to stderr, one line per event, and rate-limited lines for events
 * a peer can repeat at will (refused transfers, refused NOTIFYs).
 * The only writer of log lines; it never exits the process or buffers a line. */
#ifndef NODD_LOG_H
#define NODD_LOG_H

#include <stdarg.h>
#include <stdint.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* Messages above this level are dropped. Default LOG_INFO. */
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Parse "error", "warning", "info", "debug"; returns -1 when unknown. */
int log_level_parse(const char *s);

void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_vmsg(enum log_level lvl, const char *fmt, va_list ap);

/* Rate-limited line: the same key (e.g. "xfr refused 192.0.2.1") is written at most once per
 * LOG_LIMIT_SECS (monotonic clock); lines in between are counted, and the next line written
 * for the key ends in "(N more suppressed)". Keys are compared up to LOG_LIMIT_KEY bytes; at
 * most LOG_LIMIT_SLOTS keys are remembered (the least recently logged one is forgotten).
 * Safe from any thread. */
#define LOG_LIMIT_SECS 60
#define LOG_LIMIT_KEY 96
#define LOG_LIMIT_SLOTS 256
void log_limited(enum log_level lvl, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The decision alone, with the clock given: 1 when a line for key may be written at mono
 * (seconds), with *suppressed the lines counted since the last one written; 0 when it is
 * counted instead. */
int log_limit_admit(const char *key, int64_t mono, unsigned long *suppressed);

#define log_err(...)   log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
