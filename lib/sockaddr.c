/* sockaddr.c -- address text and equality (see sockaddr.h).
 * Never resolves names and never touches a socket. */
#include "lib/sockaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sa_parse(const char *s, int defport, struct sockaddr_storage *ss, socklen_t *len,
	const char **why)
{
	char host[INET6_ADDRSTRLEN + 8];
	const char *at = strrchr(s, '@');
	long port = defport;
	size_t hl = at ? (size_t)(at - s) : strlen(s);
	if (hl == 0 || hl >= sizeof host) {
		*why = "expected address@port, e.g. 127.0.0.1@5353 or ::1@5353";
		return -1;
	}
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
		memmove(host, host + 1, hl - 2);
		host[hl - 2] = '\0';
	}
	if (at) {
		char *end;
		errno = 0;
		port = strtol(at + 1, &end, 10);
		if (errno || end == at + 1 || *end || port < 0 || port > 65535) {
			*why = "port must be a number from 0 to 65535";
			return -1;
		}
	}
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof *a4;
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof *a6;
	} else {
		*why = "not an IPv4 or IPv6 address (expected address@port, e.g. 127.0.0.1@5353)";
		return -1;
	}
	return 0;
}

void sa_host_text(const struct sockaddr *sa, char *buf, size_t n)
{
	const void *a = NULL;
	if (sa && sa->sa_family == AF_INET)
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa && sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	if (!a || !inet_ntop(sa->sa_family, a, buf, (socklen_t)n))
		snprintf(buf, n, "?");
}

int sa_port(const struct sockaddr *sa)
{
	if (sa && sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)(const void *)sa)->sin_port);
	if (sa && sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)(const void *)sa)->sin6_port);
	return 0;
}

void sa_text(const struct sockaddr *sa, char *buf, size_t n)
{
	char host[INET6_ADDRSTRLEN];
	if (!sa || (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)) {
		snprintf(buf, n, "?");
		return;
	}
	sa_host_text(sa, host, sizeof host);
	snprintf(buf, n, "%s@%d", host, sa_port(sa));
}

/* The address bytes and family, an IPv4-mapped IPv6 address reduced to IPv4. */
static const uint8_t *host_bytes(const struct sockaddr *sa, int *fam)
{
	if (sa->sa_family == AF_INET) {
		*fam = AF_INET;
		return (const uint8_t *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a6)) {
			*fam = AF_INET;
			return a6->s6_addr + 12;
		}
		*fam = AF_INET6;
		return a6->s6_addr;
	}
	*fam = AF_UNSPEC;
	return NULL;
}

int sa_same_host(const struct sockaddr *a, const struct sockaddr *b)
{
	int fa, fb;
	const uint8_t *pa = host_bytes(a, &fa), *pb = host_bytes(b, &fb);
	if (!pa || !pb || fa != fb)
		return 0;
	return memcmp(pa, pb, fa == AF_INET ? 4 : 16) == 0;
}

int sa_same(const struct sockaddr *a, const struct sockaddr *b)
{
	return sa_same_host(a, b) && sa_port(a) == sa_port(b);
}

int sa_in_prefix(const struct sockaddr *peer, const struct sockaddr *net, int prefix)
{
	int fp, fn;
	if (prefix < 0 || !peer || !net)
		return 0;
	const uint8_t *na = host_bytes(net, &fn), *pa = host_bytes(peer, &fp);
	if (net->sa_family == AF_INET6 && peer->sa_family == AF_INET6) {
		/* an IPv6 net takes the peer's IPv6 bytes as they are, mapped or not */
		na = ((const struct sockaddr_in6 *)(const void *)net)->sin6_addr.s6_addr;
		pa = ((const struct sockaddr_in6 *)(const void *)peer)->sin6_addr.s6_addr;
		fn = fp = AF_INET6;
	}
	if (!pa || !na || fp != fn || prefix > (fp == AF_INET ? 32 : 128))
		return 0;
	int full = prefix / 8, rest = prefix % 8;
	if (memcmp(pa, na, (size_t)full) != 0)
		return 0;
	if (!rest)
		return 1;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));
	return (pa[full] & mask) == (na[full] & mask);
}
