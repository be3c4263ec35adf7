/* control.h -- noddctl's control commands, as rndc and knotc have them: zone-status,
 * retransfer, refresh, notify and reload (docs/noddctl.md). They speak the API's control
 * endpoints through ctl/http.h and print short aligned text, or the server's JSON.
 * ctl/noddctl.c parses the command line and calls in here. */
#ifndef NODD_CTL_CONTROL_H
#define NODD_CTL_CONTROL_H

#include "ctl/http.h"

/* The exit codes every command keeps (docs/noddctl.md). */
#define EXIT_REFUSED 1
#define EXIT_UNREACHABLE 2
#define EXIT_USAGE 64

/* Run cmd with its one positional argument arg (NULL when none); json: print the
 * server's JSON instead of text. Returns the exit code, or -1 when cmd is none of the
 * control commands. Exits itself (2) when the daemon cannot be reached, and (64) on a
 * usage error of the command. */
int ctl_control(struct http_client *c, const char *cmd, const char *arg, int json);

/* Provided by ctl/noddctl.c: one request (exits 2 when the daemon cannot be reached),
 * and the server's error on stderr. */
void ctl_request(struct http_client *c, const char *method, const char *path,
	const char *body, size_t blen, struct http_reply *r);
void ctl_print_error(const struct http_reply *r, const char *what);

#endif
