/* listen.c -- listening stream sockets (see listen.h). */
#include "lib/listen.h"

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

int listen_socket(const struct sockaddr *sa, socklen_t len, const char *what,
	struct nodd_err *e)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nodd_fail(e, NODD_E_SYSTEM, "%s: socket: %s", what, strerror(errno));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (sa->sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) < 0) {
		nodd_fail(e, NODD_E_SYSTEM, "%s: IPV6_V6ONLY: %s", what, strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, sa, len) < 0 || listen(fd, 128) < 0) {
		nodd_fail(e, NODD_E_SYSTEM, "%s: %s", what, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}
