/* kafka_mock.c -- a librdkafka mock cluster on loopback, for tests and `make demo`.
 *
 * No Kafka broker is packaged in Debian; librdkafka's own mock cluster speaks the real
 * protocol, and kcat, nodd and any librdkafka client can use it across processes
 * (shared/REFERENCE.md section 0.7). The port cannot be chosen, so this program prints
 *     bootstrap=127.0.0.1:PORT
 * on stdout once it is listening, then reads commands on stdin:
 *     down N | up N    take broker N (1..brokers) down or up (an outage)
 *     topic NAME P     create topic NAME with P partitions
 *     quit             (or end of input) stop
 * usage: kafka_mock [-b brokers] [-t topic[,topic...]]  */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int brokers = 1, ch;
	char *topics = NULL;
	while ((ch = getopt(argc, argv, "b:t:h")) != -1) {
		switch (ch) {
		case 'b': brokers = atoi(optarg); break;
		case 't': topics = optarg; break;
		default:
			fprintf(stderr, "usage: kafka_mock [-b brokers] [-t topic[,topic...]]\n");
			return ch == 'h' ? 0 : 2;
		}
	}
	if (brokers < 1 || brokers > 9) {
		fprintf(stderr, "kafka_mock: -b takes 1 to 9 brokers\n");
		return 2;
	}
	char err[512];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
	if (!rk) {
		fprintf(stderr, "kafka_mock: %s\n", err);
		return 1;
	}
	rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (!mc) {
		fprintf(stderr, "kafka_mock: cannot create the mock cluster\n");
		return 1;
	}
	if (topics) {
		for (char *t = strtok(topics, ","); t; t = strtok(NULL, ","))
			rd_kafka_mock_topic_create(mc, t, 1, brokers < 3 ? brokers : 3);
	}
	printf("bootstrap=%s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	char line[256];
	while (fgets(line, sizeof line, stdin)) {
		char name[200];
		int n;
		if (sscanf(line, "down %d", &n) == 1) {
			rd_kafka_mock_broker_set_down(mc, n);
		} else if (sscanf(line, "up %d", &n) == 1) {
			rd_kafka_mock_broker_set_up(mc, n);
		} else if (sscanf(line, "topic %199s %d", name, &n) == 2) {
			rd_kafka_mock_topic_create(mc, name, n, 1);
		} else if (strncmp(line, "quit", 4) == 0) {
			break;
		} else {
			fprintf(stderr, "kafka_mock: unknown command: %s", line);
			continue;
		}
		printf("ok\n");
		fflush(stdout);
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	return 0;
}
