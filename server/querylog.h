/* querylog.h -- the optional query log (log.queries): one line per DNSBL or RPZ query,
 * with the client, the name, the type and the answer, in log category "queries". Called
 * from the UDP threads: it takes no lock and never waits for another thread; lines beyond
 * log.query-rate per second are dropped and counted (query_log_suppressed), and the next
 * line written says how many. Off by default. */
#ifndef NODD_QUERYLOG_H
#define NODD_QUERYLOG_H

#include <stdint.h>
#include <sys/socket.h>

#include "server/answer.h"

/* on: log queries; rate: lines per second at most (a burst of one second's worth is
 * allowed). Any thread, any time (a reload). */
void querylog_set(int on, int rate);

/* Log the query r from peer answered as info says, when the log is on, the query is a
 * standard query for one of the published zones, and the rate allows. cfg names the zone. */
void querylog_note(const struct answer_cfg *cfg, const struct answer_req *r,
	const struct answer_info *info, const struct sockaddr *peer);

/* The decision of the token bucket alone, with the clock given (ns, monotonic): 1 when a
 * line may be written, else 0 (counted). For tests. */
int querylog_admit(int64_t now_ns);

#endif
