/* main.c -- nodd's command line: -c FILE, --check-config, --version; then start the
 * daemon (start.c), run its event loop until SIGTERM/SIGINT, and stop it.
 * Holds no logic of a part: it parses the command line and calls start.c. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "conf/keys.h"
#include "daemon/daemon.h"
#include "lib/log.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: nodd -c FILE [--check-config]\n"
		"  -c, --config FILE   YAML configuration (see nodd.yaml(5))\n"
		"      --check-config  validate FILE and exit: 0 when good, 1 with FILE:LINE: message\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n"
		"nodd runs in the foreground and logs to stderr (or syslog: log.syslog).\n"
		"SIGHUP reloads, SIGTERM stops.\n");
}

/* A message that stops the start: an error line in the journal (priority 3), else the
 * bare message on stderr. */
static void start_error(int journal, const char *msg)
{
	if (journal)
		log_err("%s", msg);
	else
		fprintf(stderr, "%s\n", msg);
}

/* --check-config: the key files too, and the key names they bring (as named-checkconf
 * reads the files a configuration includes): what the start would refuse, this refuses. */
static int check_config(const char *path, const struct nodd_config *cfg, int journal)
{
	struct nodd_err e;
	struct tsig_keyring *kr = keys_load_checked(cfg, &e);
	if (!kr) {
		start_error(journal, e.msg);
		return 1;
	}
	tsig_keyring_free(kr);
	printf("%s: configuration is valid (min-interval %llds)\n", path,
		(long long)cfg->min_interval);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int journal = log_detect_journal(); /* under systemd: "<N>" priority prefixes */
	const char *path = NULL;
	int check = 0, ch;
	while ((ch = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 'C': check = 1; break;
		case 'V': printf("nodd %s\n", NODD_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!path || optind != argc) {
		usage(stderr);
		return 2;
	}
	struct daemon d;
	memset(&d, 0, sizeof d);
	struct nodd_err e;
	d.cfg = config_load(path, &e);
	if (!d.cfg) {
		start_error(journal, e.msg);
		return 1;
	}
	if (daemon_answer_cfg(d.cfg, &d.acfg[0], &e) < 0) {
		start_error(journal, e.msg);
		config_free(d.cfg);
		return 1;
	}
	if (check) {
		int rc = check_config(path, d.cfg, journal);
		config_free(d.cfg);
		return rc;
	}
	int rc = 1;
	if (daemon_start(&d) == 0) {
		event_base_dispatch(d.base);
		rc = 0;
		log_info("stopped");
	}
	daemon_stop(&d);
	log_use_syslog(-1);
	return rc;
}
