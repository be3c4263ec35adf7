/* log_syslog.c -- the syslog(3) output of lib/log.h: facility names, openlog, one
 * syslog() call per line. Apart from log.c because <syslog.h> defines LOG_ERR, LOG_INFO
 * and LOG_DEBUG as macros that clash with enum log_level; so this file does not include
 * lib/log.h and declares the three functions it defines itself. Holds no other state than
 * whether syslog is in use. */
#include <stdatomic.h>
#include <string.h>
#include <syslog.h>

int log_facility_parse(const char *s);
void log_use_syslog(int facility);
void log_syslog_write(int prio, const char *line);

atomic_int log_syslog_on; /* read by log.c for every line */

static const struct {
	const char *name;
	int code;
} facilities[] = {
	{ "daemon", LOG_DAEMON }, { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 }, { "local4", LOG_LOCAL4 },
	{ "local5", LOG_LOCAL5 }, { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

int log_facility_parse(const char *s)
{
	for (size_t i = 0; i < sizeof facilities / sizeof facilities[0]; i++)
		if (strcmp(s, facilities[i].name) == 0)
			return facilities[i].code;
	return -1;
}

void log_use_syslog(int facility)
{
	if (facility < 0) {
		atomic_store(&log_syslog_on, 0);
		closelog();
		return;
	}
	/* LOG_NDELAY: the socket is opened now, not by the first line a UDP thread writes */
	openlog("nodd", LOG_PID | LOG_NDELAY, facility);
	atomic_store(&log_syslog_on, 1);
}

void log_syslog_write(int prio, const char *line)
{
	syslog(prio, "%s", line);
}
