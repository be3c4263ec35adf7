/* window.c -- rolling window bounds and DNSBL age codes.
 * Pure functions and constants; no clock is read here. */
#include "policy/window.h"

#include <stdio.h>
#include <string.h>

const int64_t window_secs[WINDOW_COUNT] = { 300, 600, 1800, 3600, 10800, 43200, 86400 };
const char *const window_label[WINDOW_COUNT] = { "5m", "10m", "30m", "1h", "3h", "12h", "24h" };

int window_for_age(int64_t age)
{
	if (age < 0)
		age = 0;
	for (int i = 0; i < WINDOW_COUNT; i++)
		if (age < window_secs[i])
			return i;
	return -1;
}

int window_code(int64_t age)
{
	int w = window_for_age(age);
	return w < 0 ? 0 : w + 2;
}

int window_by_label(const char *label)
{
	for (int i = 0; i < WINDOW_COUNT; i++)
		if (strcmp(label, window_label[i]) == 0)
			return i;
	return -1;
}

const char *published_zone_label(int z)
{
	if (z == NOD_ZONE_DNSBL)
		return "dnsbl";
	if (z == NOD_ZONE_ALLOW)
		return "allow";
	return z >= 0 && z < WINDOW_COUNT ? window_label[z] : "?";
}

int published_zone_name(int z, const char *suffix, char *buf, size_t n)
{
	if (z < 0 || z >= NOD_ZONE_COUNT)
		return -1;
	const char *sfx = suffix ? suffix : "";
	const char *dot = *sfx ? "." : "";
	if (z == NOD_ZONE_DNSBL)
		return snprintf(buf, n, "v1.bl%s%s", dot, sfx);
	return snprintf(buf, n, "%s.rpz%s%s", published_zone_label(z), dot, sfx);
}
