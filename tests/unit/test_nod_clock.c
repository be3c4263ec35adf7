/* test_nod_clock -- zone versions under a wall clock stepped back: versions keep being made
 * min-interval apart on the monotonic clock, serials and version times only go forward,
 * and every version holds the names committed before it. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/dname.h"
#include "policy/nod.h"
#include "tap.h"

#define T0 1760000000
#define MIN_INTERVAL 5

/* first_seen of every name observed so far, by its index */
static char names[400][32];

/* 1 when every name observed before version time vt (zone 5m: first_seen within 300 s of
 * the wall clock it was observed at) is stamped at or before vt: the version holds it. */
static int version_holds(nod_t *nod, int upto, int64_t vt)
{
	for (int i = 0; i < upto; i++) {
		uint8_t w[DNAME_MAX_WIRE];
		int wl = dname_text_to_wire(names[i], w);
		int64_t added;
		if (wl <= 1 || !nindex_get_added(nod_index(nod), w, (size_t)wl - 1, &added) ||
		    added > vt)
			return 0;
	}
	return 1;
}

int main(void)
{
	char dir[] = "/tmp/nodd-clock-XXXXXX", path[64];
	struct nodd_err err = { 0 };
	ok(mkdtemp(dir) != NULL, "temp dir");
	snprintf(path, sizeof path, "%s/t.db", dir);
	struct nod_options o = { .database = path, .min_interval = MIN_INTERVAL,
		.future_skew = 3600 };
	nod_t *nod = nod_open(&o, T0, &err);
	ok(nod != NULL, "nod_open: %s", nod ? "" : err.msg);
	if (!nod)
		return tap_done();

	/* 60 s of ticks with a new name every second; at 20 s the wall clock steps back 1 h. */
	int64_t mono = 1000, last_version_mono = -1000;
	uint32_t last_serial = nod_serial(nod, 0);
	int64_t last_vtime = nod_version_time(nod, 0);
	int versions = 0, versions_stepped = 0, paced = 1, serial_up = 1, vtime_up = 1;
	int holds = 1, n = 0;
	for (int s = 0; s < 60; s++, mono++) {
		int64_t wall = s < 20 ? T0 + s : T0 + s - 3600;
		snprintf(names[n], sizeof names[n], "n%d.example.se", n);
		enum nod_outcome out;
		if (nod_observe(nod, names[n], wall, "test", 0, wall, NULL, &out, NULL) < 0 ||
		    out != NOD_NEW)
			holds = 0;
		n++;
		unsigned mask = nod_tick_at(nod, wall, mono);
		if (!(mask & 1))
			continue;
		versions++;
		versions_stepped += s >= 20;
		uint32_t serial = nod_serial(nod, 0);
		int64_t vt = nod_version_time(nod, 0);
		paced &= mono - last_version_mono >= MIN_INTERVAL;
		serial_up &= (int32_t)(serial - last_serial) > 0;
		vtime_up &= vt > last_vtime;
		holds &= version_holds(nod, n, vt);
		last_version_mono = mono;
		last_serial = serial;
		last_vtime = vt;
	}
	ok(versions_stepped >= 7, "versions go on after the step back (%d in 40 s)",
		versions_stepped);
	ok(versions >= 11 && versions <= 12, "one version per min-interval (%d in 60 s)", versions);
	ok(paced, "versions are at least min-interval apart on the monotonic clock");
	ok(serial_up, "serials only go up");
	ok(vtime_up, "version times only go forward");
	ok(holds, "every version holds the names committed before it");
	ok((int32_t)(nod_serial(nod, 0) - (uint32_t)T0) > 0, "the serial stayed past the step");

	/* The wall clock catches up: versions are dated now again. */
	int64_t wall = T0 + 100;
	snprintf(names[n], sizeof names[n], "late.example.se");
	enum nod_outcome out;
	nod_observe(nod, names[n++], wall, "test", 0, wall, NULL, &out, NULL);
	mono += MIN_INTERVAL;
	ok(nod_tick_at(nod, wall, mono) & 1, "a version once the wall clock is past");
	is_int(nod_version_time(nod, 0), wall, "dated now");
	is_int(nod_serial(nod, 0), (uint32_t)wall, "serial is the unix time again");

	nod_close(nod);
	char cmd[128];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return tap_done();
}
