/* counters.h -- process-wide named event counters (TCP limits hit, WebSocket clients
 * dropped, NOTIFY retries, ...), bumped from any thread with relaxed atomics and written
 * as Prometheus counters nodd_<name>_total. Any folder may count; server/metrics.c
 * renders them on /metrics. Holds no other state and renders nothing but its own counters. */
#ifndef NODD_COUNTERS_H
#define NODD_COUNTERS_H

#include <stdint.h>
#include <stdio.h>

/* Add by to the counter name (a static string; at most 128 distinct names, increments
 * beyond them go to nodd_metrics_overflow_total). */
void metrics_inc(const char *name, uint64_t by);

/* Every counter counted so far, sorted by name, through lib/prom.h. */
void counters_write(FILE *f);

#endif
