/* test_refresh.c -- the refresh/retry/expire state machine, with time chosen here. */
#include "tests/unit/tap.h"
#include "zones/refresh.h"

int main(void)
{
	const struct refresh_bounds b = { 60, 86400, 30, 3600, 86400, 2419200 };
	struct refresh_state st;
	refresh_init(&st, &b);
	is_int(st.have_copy, 0, "no copy at first");
	is_int(refresh_after_probe(&st, 5), REFRESH_AXFR, "no copy: AXFR whatever the serial");
	is_int(st.refresh, 60, "refresh starts at its lower bound");
	is_int(st.retry, 30, "retry starts at its lower bound");

	/* SOA timers clamped to the bounds (NSD within_refresh_bounds) */
	refresh_set_soa(&st, &b, 10, 7200, 9999999);
	is_int(st.refresh, 60, "refresh below min is raised");
	is_int(st.retry, 3600, "retry above max is lowered");
	is_int(st.expire, 2419200, "expire above max is lowered");
	refresh_set_soa(&st, &b, 3600, 600, 1209600);
	is_int(st.refresh, 3600, "refresh within bounds kept");
	is_int(st.retry, 600, "retry within bounds kept");
	is_int(st.expire, 1209600, "expire within bounds kept");

	/* a copy at serial 100 */
	st.have_copy = 1;
	st.serial = 100;
	is_int(refresh_after_probe(&st, 100), REFRESH_UP_TO_DATE, "same serial: up to date");
	is_int(refresh_after_probe(&st, 101), REFRESH_IXFR, "newer: IXFR");
	is_int(refresh_after_probe(&st, 99), REFRESH_OLDER, "older: keep ours");
	is_int(refresh_after_probe(&st, 100 + 0x80000000u), REFRESH_OLDER, "2^31 away: not newer");
	st.serial = 0xFFFFFFF0u;
	is_int(refresh_after_probe(&st, 5), REFRESH_IXFR, "a wrapped serial is newer");
	st.serial = 100;

	/* success: next probe after refresh, at once after a NOTIFY that came in meanwhile */
	int64_t now = 1763800000;
	is_int(refresh_success(&st, now), 3600, "next probe after refresh");
	is_int(st.last_success, now, "success time kept");
	st.notified = 1;
	is_int(refresh_success(&st, now + 10), 0, "notified while busy: probe at once");
	is_int(st.notified, 0, "the NOTIFY is consumed");

	/* failures: retry, doubling, capped at retry-max; a success resets */
	is_int(refresh_failure(&st, &b), 600, "first failure waits retry");
	is_int(refresh_failure(&st, &b), 1200, "then doubles");
	is_int(refresh_failure(&st, &b), 2400, "doubles again");
	is_int(refresh_failure(&st, &b), 3600, "capped at retry-max");
	is_int(refresh_failure(&st, &b), 3600, "stays capped");
	refresh_success(&st, now + 20);
	is_int(st.backoff, 0, "a success resets the backoff");
	is_int(refresh_failure(&st, &b), 600, "next failure starts at retry again");

	/* expiry, pure in now */
	st.last_success = now;
	ok(!refresh_expired(&st, now + 1209600), "not expired at exactly expire");
	ok(refresh_expired(&st, now + 1209601), "expired one second later");
	st.have_copy = 0;
	ok(!refresh_expired(&st, now + 99999999), "no copy: never expired");
	return tap_done();
}
