/* test_metrics.c -- counters, label escaping and the Prometheus text of server/metrics.c and
 * lib/counters.c, written through lib/prom.h. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Included, not linked, to reach the static name sanitizer. */
#include "lib/counters.c"
#include "server/metrics.c"

#include "tests/unit/tap.h"

static int has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
	return 0;
}

/* The sample line prom_sample writes for x{l="s"} 1, as a malloc'd string. */
static char *sample_line(const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	prom_sample(f, "x", "l", s, NULL, NULL, 1);
	fclose(f);
	return buf;
}

/* What one prom_* call writes, as a malloc'd string. */
static char *written(int which)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	static const char *const kv3[] = { "a", "1", "b", "2", "c", "3", NULL };
	static const char *const kv0[] = { NULL };
	switch (which) {
	case 0: prom_family(f, "nodd_x", "gauge", "Help text."); break;
	case 1: prom_sample(f, "nodd_x", NULL, NULL, NULL, NULL, UINT64_MAX); break;
	case 2: prom_sample(f, "nodd_x", "a", "1", "b", "2", 0); break;
	case 3: prom_sample_i(f, "nodd_x", "a", "1", -5); break;
	case 4: prom_sample_kv(f, "nodd_x", kv3, 7); break;
	case 5: prom_sample_kv(f, "nodd_x", kv0, 7); break;
	case 6: prom_sample(f, "nodd_x", "a", NULL, NULL, NULL, 1); break;
	}
	fclose(f);
	return buf;
}

static void *count_thread(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10000; i++)
		metrics_query(0, 16, 3, 0);
	for (int i = 0; i < 1000; i++)
		metrics_inc("threaded", 1);
	return NULL;
}

/* Every line is a comment or "name[{labels}] value", and every family has HELP and TYPE
 * before its first sample. */
static int well_formed(const char *text)
{
	char *copy = strdup(text), *save = NULL;
	int good = 1;
	char typed[4096] = "";
	for (char *l = strtok_r(copy, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "# TYPE ", 7) == 0) {
			char nm[128];
			if (sscanf(l + 7, "%127s", nm) == 1 && strlen(typed) + strlen(nm) + 2 < sizeof typed) {
				strcat(typed, " ");
				strcat(typed, nm);
				strcat(typed, " ");
			}
			continue;
		}
		if (l[0] == '#')
			continue;
		char nm[128];
		size_t k = strcspn(l, "{ ");
		if (k == 0 || k >= sizeof nm || !strchr(l, ' ')) {
			good = 0;
			break;
		}
		memcpy(nm + 1, l, k);
		nm[0] = ' ';
		nm[k + 1] = ' ';
		nm[k + 2] = '\0';
		if (!strstr(typed, nm)) {
			printf("# no TYPE before %s\n", l);
			good = 0;
			break;
		}
	}
	free(copy);
	return good;
}

int main(void)
{
	struct metrics_gauges g;
	memset(&g, 0, sizeof g);
	for (int w = 0; w < 7; w++)
		g.names_in_window[w] = (size_t)(w + 1) * 10;
	g.store_names = 12345;
	g.index_names = 70;
	g.index_bytes = 4096;
	for (int z = 0; z < 8; z++)
		g.serial[z] = 1760000000u + (uint32_t)z;
	g.tcp_connections = 3;
	g.start_time = 1760000000;

	char *t = metrics_render(&g);
	ok(t != NULL, "render with no counters");
	ok(has_line(t, "# TYPE nodd_dns_queries_total counter"), "queries family declared");
	/* before any event: the series of the answered RCODEs and the known counters, at 0 */
	static const char *const at_zero[] = {
		"nodd_dns_queries_total{proto=\"udp\",qtype=\"A\",rcode=\"NOERROR\"} 0",
		"nodd_dns_queries_total{proto=\"tcp\",qtype=\"other\",rcode=\"dropped\"} 0",
		"nodd_dns_queries_total{proto=\"udp\",qtype=\"TXT\",rcode=\"BADVERS\"} 0",
		"nodd_tcp_timeouts_total 0",
		"nodd_notify_in_refused_total 0",
		"nodd_query_log_suppressed_total 0",
	};
	for (size_t i = 0; i < sizeof at_zero / sizeof at_zero[0]; i++)
		ok(has_line(t, at_zero[i]), "from the start: %s", at_zero[i]);
	ok(!strstr(t, "rcode=\"YXDOMAIN\""), "no series of an RCODE nodd never sends");
	ok(has_line(t, "nodd_zone_serial{zone=\"5m\"} 1760000000"), "short zone labels by default");
	static const char *const full[8] = { "5m.rpz.nod.example", "10m.rpz.nod.example",
		"30m.rpz.nod.example", "1h.rpz.nod.example", "3h.rpz.nod.example",
		"12h.rpz.nod.example", "24h.rpz.nod.example", "v1.bl.nod.example" };
	metrics_set_zone_names(full, 8);
	free(t);
	t = metrics_render(&g);
	ok(has_line(t, "nodd_names_in_window{window=\"5m\"} 10"), "5m gauge");
	ok(has_line(t, "nodd_names_in_window{window=\"24h\"} 70"), "24h gauge");
	ok(has_line(t, "# TYPE nodd_names_in_window gauge"), "window gauge TYPE");
	ok(has_line(t, "nodd_store_names 12345"), "store names");
	ok(has_line(t, "nodd_index_names 70"), "index names");
	ok(has_line(t, "nodd_index_bytes 4096"), "index bytes");
	ok(has_line(t, "nodd_zone_serial{zone=\"5m.rpz.nod.example\"} 1760000000"),
		"5m serial, labelled with the zone's full name");
	ok(has_line(t, "nodd_zone_serial{zone=\"v1.bl.nod.example\"} 1760000007"), "dnsbl serial");
	ok(has_line(t, "nodd_tcp_connections_open 3"), "tcp open");
	ok(has_line(t, "nodd_start_time_seconds 1760000000"), "start time");
	ok(well_formed(t), "exposition well formed");
	free(t);

	for (int i = 0; i < 12; i++)
		metrics_query(0, 1, 0, 0);              /* udp A NOERROR */
	metrics_query(1, 1, 0, 0);                  /* tcp A NOERROR */
	metrics_query(0, 16, 3, 0);                 /* udp TXT NXDOMAIN */
	metrics_query(0, 99, 5, 0);                 /* unlisted type */
	metrics_query(0, 1, 0, 1);                  /* dropped */
	metrics_query(0, 252, 9, 0);                /* AXFR NOTAUTH */
	metrics_query(1, 28, 16, 0);                /* BADVERS */
	metrics_query(0, 6, 40, 0);                 /* out of range rcode */
	metrics_inc("tcp_timeouts", 2);
	metrics_inc("tcp_timeouts", 3);
	char same_text[] = "tcp_timeouts";          /* same name, other address */
	metrics_inc(same_text, 1);
	metrics_inc("bad-name.x", 1);
	metrics_inc("bad_name_x", 1);

	t = metrics_render(&g);
	ok(has_line(t, "nodd_dns_queries_total{proto=\"udp\",qtype=\"A\",rcode=\"NOERROR\"} 12"),
		"udp A NOERROR counted 12");
	ok(has_line(t, "nodd_dns_queries_total{proto=\"tcp\",qtype=\"A\",rcode=\"NOERROR\"} 1"),
		"tcp counted apart");
	ok(has_line(t, "nodd_dns_queries_total{proto=\"udp\",qtype=\"TXT\",rcode=\"NXDOMAIN\"} 1"),
		"TXT NXDOMAIN");
	ok(has_line(t, "nodd_dns_queries_total{proto=\"udp\",qtype=\"other\",rcode=\"REFUSED\"} 1"),
		"unknown qtype is other");
	ok(has_line(t, "nodd_dns_queries_total{proto=\"udp\",qtype=\"A\",rcode=\"dropped\"} 1"),
		"dropped query");
	ok(has_line(t, "nodd_dns_queries_total{proto=\"udp\",qtype=\"AXFR\",rcode=\"NOTAUTH\"} 1"),
		"AXFR NOTAUTH");
	ok(has_line(t, "nodd_dns_queries_total{proto=\"tcp\",qtype=\"AAAA\",rcode=\"BADVERS\"} 1"),
		"BADVERS");
	ok(has_line(t, "nodd_dns_queries_total{proto=\"udp\",qtype=\"SOA\",rcode=\"other\"} 1"),
		"rcode out of range is other");
	ok(has_line(t, "nodd_dns_queries_total{proto=\"tcp\",qtype=\"TXT\",rcode=\"NXDOMAIN\"} 0"),
		"an answered RCODE not seen stays at 0");
	ok(!strstr(t, "rcode=\"SERVFAIL\""), "other RCODEs only once counted");
	ok(has_line(t, "nodd_tcp_timeouts_total 6"), "named counter summed across addresses");
	ok(has_line(t, "# TYPE nodd_tcp_timeouts_total counter"), "named counter TYPE");
	ok(has_line(t, "nodd_bad_name_x_total 2"), "names sanitized and merged");
	ok(!strstr(t, "bad-name"), "no invalid metric name");
	ok(well_formed(t), "exposition well formed with counters");
	free(t);

	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, count_thread, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	t = metrics_render(&g);
	ok(has_line(t, "nodd_dns_queries_total{proto=\"udp\",qtype=\"TXT\",rcode=\"NXDOMAIN\"} 40001"),
		"no increment lost across threads");
	ok(has_line(t, "nodd_threaded_total 4000"), "named counter across threads");
	free(t);

	/* Fill the name table: increments past 128 names are counted as overflow. */
	static char names[160][16];
	for (int i = 0; i < 160; i++) {
		snprintf(names[i], sizeof names[i], "fill%02d", i);
		metrics_inc(names[i], 1);
	}
	t = metrics_render(&g);
	ok(has_line(t, "nodd_fill00_total 1"), "first names kept");
	ok(strstr(t, "nodd_metrics_overflow_total ") != NULL, "overflow reported");
	free(t);

	char *e = sample_line("a\"b\\c\nd");
	is_str(e, "x{l=\"a\\\"b\\\\c\\nd\"} 1\n", "label value escaping");
	free(e);
	e = sample_line("plain 5m");
	is_str(e, "x{l=\"plain 5m\"} 1\n", "plain label value unchanged");
	free(e);

	static const struct {
		const char *want, *what;
	} lines[] = {
		{ "# HELP nodd_x Help text.\n# TYPE nodd_x gauge\n", "family header" },
		{ "nodd_x 18446744073709551615\n", "no labels, largest counter" },
		{ "nodd_x{a=\"1\",b=\"2\"} 0\n", "two labels" },
		{ "nodd_x{a=\"1\"} -5\n", "signed value" },
		{ "nodd_x{a=\"1\",b=\"2\",c=\"3\"} 7\n", "three labels" },
		{ "nodd_x 7\n", "empty label list" },
		{ "nodd_x{a=\"\"} 1\n", "NULL label value is empty" },
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
		e = written((int)i);
		is_str(e, lines[i].want, "%s", lines[i].what);
		free(e);
	}
	char nm[32];
	sanitize_name("xfr.out-9_Z", nm, sizeof nm);
	is_str(nm, "xfr_out_9_Z", "metric name sanitizing");
	return tap_done();
}
