/* log.h -- leveled logging, one line per event, by category, to stderr (with a syslog
 * priority prefix "<N>" when stderr is the systemd journal) or through syslog(3); and
 * rate-limited lines for events a peer can repeat at will (refused transfers, NOTIFYs).
 * The only writer of log lines; it never exits the process or buffers a line. Every byte
 * of a message that is not printable ASCII (control characters, newlines, bytes >= 0x7f)
 * is written as \DDD, as dig writes names, so peer input can neither forge nor split a
 * line.
 *
 * Categories: a .c file names its category once, before any include:
 *     #define LOG_CATEGORY LOG_CAT_XFR_IN
 * and every log_info()/log_debug()/... in it is of that category (default: general).
 * log_cat_*() name another category for one line. */
#ifndef NODD_LOG_H
#define NODD_LOG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

enum log_cat {
	LOG_CAT_GENERAL = 0,
	LOG_CAT_XFR_IN,     /* the secondary: SOA probes, transfers in, applying them */
	LOG_CAT_XFR_OUT,    /* transfers out of the published zones */
	LOG_CAT_NOTIFY,     /* NOTIFY in and out */
	LOG_CAT_API,        /* the HTTP listener and its API */
	LOG_CAT_CT,         /* Certificate Transparency logs */
	LOG_CAT_SECURITY,   /* refusals: ACLs, TSIG failures, NOTIFY from strangers */
	LOG_CAT_QUERIES,    /* the query log (log.queries) */
	LOG_CAT_COUNT
};

#ifndef LOG_CATEGORY
#define LOG_CATEGORY LOG_CAT_GENERAL
#endif

/* The global level: messages above it are dropped in every category that has no level of
 * its own. Default LOG_INFO. */
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/* Parse "error", "warning", "info", "debug"; returns -1 when unknown. */
int log_level_parse(const char *s);

/* A category's own level, or -1 to follow the global level (the default). */
void log_set_cat_level(enum log_cat c, int lvl);
/* "general", "xfr-in", "xfr-out", "notify", "api", "ct", "security", "queries" -> the
 * category, -1 when unknown; and back. */
int log_cat_parse(const char *s);
const char *log_cat_name(enum log_cat c);
/* 1 when a message of category c at lvl would be written. */
int log_cat_enabled(enum log_cat c, enum log_level lvl);
#define log_enabled(lvl) log_cat_enabled(LOG_CATEGORY, (lvl))

/* ---- where lines go ---- */

/* 1 when JOURNAL_STREAM ("device:inode", as systemd sets it for a service whose stderr
 * is the journal) names the file stderr is (dev, ino), else 0. Pure. */
int log_journal_stream_matches(const char *env, uint64_t dev, uint64_t ino);
/* Look at JOURNAL_STREAM and stderr: when they match, every line becomes "<N>message"
 * (N: 3 error, 4 warning, 6 info, 7 debug) without the time and pid the journal records
 * itself. Call once at start, before any thread logs. Returns 1 when on. */
int log_detect_journal(void);
/* Force the journal format on (1) or off (0); for tests. */
void log_set_journal(int on);

/* syslog(3) (lib/log_syslog.c): "daemon", "local0".."local7" -> a facility code, -1
 * when unknown. log_use_syslog() opens syslog as "nodd" with the pid and that facility
 * and sends every later line there instead of stderr; log_use_syslog(-1) returns to
 * stderr. Main thread, before the threads start (or at a reload). */
int log_facility_parse(const char *s);
void log_use_syslog(int facility);
/* The write of one line to syslog at priority prio (0..7); used by log.c only. */
void log_syslog_write(int prio, const char *line);

/* ---- writing ---- */

void log_cmsg(enum log_cat c, enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void log_cvmsg(enum log_cat c, enum log_level lvl, const char *fmt, va_list ap);

/* in (n bytes) with every byte outside printable ASCII (0x20..0x7e) as \DDD, into out
 * (outsz >= 1, always terminated; cut at a whole escape when too small). Returns the
 * length written. */
size_t log_escape(const char *in, size_t n, char *out, size_t outsz);

/* One line as written to stderr, newline included, into out: "<N>[cat: ]msg" in the
 * journal format, else "TIME nodd[pid] level: [cat: ]msg" with TIME in UTC to the
 * millisecond (unix_ms since the epoch); msg escaped (log_escape). The category is named
 * unless general. Returns the length. Pure, for tests. */
size_t log_format_line(char *out, size_t outsz, int journal, enum log_cat c,
	enum log_level lvl, int64_t unix_ms, int pid, const char *msg);

/* Rate-limited line: the same key (e.g. "xfr refused 192.0.2.1") is written at most once per
 * LOG_LIMIT_SECS (monotonic clock); lines in between are counted, and the next line written
 * for the key ends in "(N more suppressed)". Keys are compared up to LOG_LIMIT_KEY bytes; at
 * most LOG_LIMIT_SLOTS keys are remembered (the least recently logged one is forgotten).
 * Safe from any thread. */
#define LOG_LIMIT_SECS 60
#define LOG_LIMIT_KEY 96
#define LOG_LIMIT_SLOTS 256
void log_cat_limited(enum log_cat c, enum log_level lvl, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The decision alone, with the clock given: 1 when a line for key may be written at mono
 * (seconds), with *suppressed the lines counted since the last one written; 0 when it is
 * counted instead. */
int log_limit_admit(const char *key, int64_t mono, unsigned long *suppressed);

#define log_msg(lvl, ...)         log_cmsg(LOG_CATEGORY, (lvl), __VA_ARGS__)
#define log_limited(lvl, key, ...) log_cat_limited(LOG_CATEGORY, (lvl), (key), __VA_ARGS__)
#define log_err(...)   log_cmsg(LOG_CATEGORY, LOG_ERR, __VA_ARGS__)
#define log_warn(...)  log_cmsg(LOG_CATEGORY, LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_cmsg(LOG_CATEGORY, LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_cmsg(LOG_CATEGORY, LOG_DEBUG, __VA_ARGS__)

#endif
