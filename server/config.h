/* config.h -- the YAML configuration (libyaml), validated into one struct.
 * Every error names the file, the line and the key: "nodd.yaml:12: server.listen: ...".
 * docs/configuration.md lists every key; keep the two in step. */
#ifndef NODD_CONFIG_H
#define NODD_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CONFIG_MAX_LISTEN 16
#define CONFIG_MAX_NS 8

struct config_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[80];      /* as written: "127.0.0.1@5353" */
};

struct nodd_config {
	char *path;

	/* server: */
	struct config_addr listen[CONFIG_MAX_LISTEN];
	int nlisten;
	struct config_addr http;
	int has_http;
	char *http_token;          /* NULL: write endpoints open (listener is loopback) */
	char *database;
	int udp_threads;           /* 0: one per core */
	int log_level;             /* enum log_level */
	int tcp_idle_timeout;      /* seconds */
	int tcp_clients;           /* global cap on TCP connections */
	int tcp_clients_per_ip;

	/* publish: */
	char *suffix;              /* norm text, e.g. "nod.example" */
	uint32_t ttl;
	char *ns[CONFIG_MAX_NS];   /* norm text; default "localhost" */
	int nns;
	char *hostmaster;          /* SOA RNAME, norm text; default hostmaster.<suffix> */
	uint32_t soa_refresh, soa_retry, soa_expire, soa_minimum;
	int64_t min_interval;      /* seconds */
	int rpz_nodata;            /* publish.rpz-action: nxdomain (0) or nodata (1) */
	int64_t future_skew;       /* observations: allowed first_seen ahead of now */
	char *psl_file;            /* policy.public-suffix-list; NULL = Debian's */
};

/* Parse and validate a file. Returns a new config, or NULL with "FILE:LINE: message" in
 * err (errlen bytes). */
struct nodd_config *config_load(const char *path, char *err, size_t errlen);
void config_free(struct nodd_config *cfg); /* NULL is a no-op */

/* "127.0.0.1@5353", "::1@53", "127.0.0.1" (port defport) to a socket address.
 * Returns 0, or -1 with *why set. */
int config_parse_addr(const char *s, int defport, struct config_addr *out, const char **why);

#endif
