/* sockaddr.h -- socket addresses as nodd writes and compares them: "host@port" text (the
 * BIND/NSD spelling of the configuration), address-only text for logs, and equality
 * that treats an IPv4-mapped IPv6 address (::ffff:a.b.c.d, what a dual-stack socket
 * reports) as the IPv4 address it carries. Owns no state; never resolves host names. */
#ifndef NODD_SOCKADDR_H
#define NODD_SOCKADDR_H

#include <stddef.h>
#include <sys/socket.h>

/* Longest text sa_text() writes: an IPv6 address, '@' and a port, with its NUL. */
#define SA_TEXT_MAX 64

/* Parse "address@port", "[v6]@port" or "address" (port = defport) into ss and len.
 * Numeric addresses only. Returns 0, or -1 with *why set to a static explanation. */
int sa_parse(const char *text, int defport, struct sockaddr_storage *ss, socklen_t *len,
	const char **why);

/* "127.0.0.1@53", "::1@53"; "?" for a family other than IPv4/IPv6. */
void sa_text(const struct sockaddr *sa, char *buf, size_t n);
/* The address alone: "127.0.0.1", "::1". */
void sa_host_text(const struct sockaddr *sa, char *buf, size_t n);

/* Port in host order (0 for other families). */
int sa_port(const struct sockaddr *sa);

/* Same address, ignoring the port; an IPv4-mapped IPv6 address equals its IPv4 address. */
int sa_same_host(const struct sockaddr *a, const struct sockaddr *b);
/* Same address and port, with the same IPv4-mapped rule. */
int sa_same(const struct sockaddr *a, const struct sockaddr *b);

/* The first prefix bits of the address of peer lie in net. An IPv4-mapped peer is
 * matched as IPv4 against an IPv4 net and as the IPv6 address it is against an IPv6 net
 * (so ::/0 takes every client of a dual-stack listener). 0 for prefix < 0. */
int sa_in_prefix(const struct sockaddr *peer, const struct sockaddr *net, int prefix);

#endif
