/* test_window.c -- window bounds and DNSBL codes at every edge. */
#include "policy/window.h"
#include "tests/unit/tap.h"

int main(void)
{
	static const struct { int64_t age; int code; } edge[] = {
		{ -30, 2 }, { 0, 2 }, { 299, 2 }, { 300, 3 }, { 599, 3 }, { 600, 4 },
		{ 1799, 4 }, { 1800, 5 }, { 3599, 5 }, { 3600, 6 }, { 10799, 6 }, { 10800, 7 },
		{ 43199, 7 }, { 43200, 8 }, { 86399, 8 }, { 86400, 0 }, { 900000, 0 },
	};
	for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
		is_int(window_code(edge[i].age), edge[i].code, "age %lld -> code %d",
			(long long)edge[i].age, edge[i].code);
	is_int(window_for_age(300), 1, "age 300 is in 10m, not 5m");
	is_int(window_for_age(86400), -1, "age 86400 is in no window");
	is_int(window_by_label("1h"), 3, "label lookup");
	is_int(window_by_label("2h"), -1, "unknown label");
	for (int i = 1; i < WINDOW_COUNT; i++)
		ok(window_secs[i] > window_secs[i - 1], "windows nest (%s)", window_label[i]);
	return tap_done();
}
