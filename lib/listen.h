/* listen.h -- a bound, listening TCP socket for an address, made the same way for every
 * stream listener (DNS over TCP, HTTP): non-blocking, close-on-exec, SO_REUSEADDR, and
 * IPV6_V6ONLY on an IPv6 address so "0.0.0.0@53" and "::@53" can both be listened on, as
 * the UDP listener already allows. Knows no event loop: the caller wraps the descriptor. */
#ifndef NODD_LISTEN_H
#define NODD_LISTEN_H

#include <sys/socket.h>

#include "lib/err.h"

/* A listening socket on sa (backlog 128). what names it in errors ("listen 127.0.0.1@53
 * (tcp)"). Returns the descriptor, or -1 with e set (NODD_E_SYSTEM). */
int listen_socket(const struct sockaddr *sa, socklen_t len, const char *what,
	struct nodd_err *e);

#endif
