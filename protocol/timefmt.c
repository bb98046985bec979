/* Time: milliseconds since the epoch on the wire, RFC 3339 in UTC for
 * people and JSON, durations typed by people ("7d", "12h"). Never uses the
 * local time zone: every text written or read here is UTC. */
#include "protocol/timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#define TIME_MAX_DURATION ((uint64_t)10 * 366 * 86400)	/* ten years, seconds */

uint64_t time_now_ms(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || ts.tv_sec < 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void time_format(uint64_t ms, char out[TIME_RFC3339_CHARS])
{
	static const char last[] = "9999-12-31T23:59:59Z";
	/* 253402300799 is 9999-12-31T23:59:59Z: later times are clamped so the
	 * text always fits and always has four year digits. */
	uint64_t s = ms / 1000;
	time_t t;
	struct tm tm;

	if (s > 253402300799ULL) {
		memcpy(out, last, sizeof(last));
		return;
	}
	t = (time_t)s;
	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(out, TIME_RFC3339_CHARS, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		memcpy(out, last, sizeof(last));
}

int time_parse(const char *text, uint64_t *ms)
{
	char again[TIME_RFC3339_CHARS];
	struct tm tm;
	const char *end;
	time_t t;

	if (text == NULL || strlen(text) != 20)
		return LIAISON_ERR_INVALID;
	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (end == NULL || *end != '\0')
		return LIAISON_ERR_INVALID;
	t = timegm(&tm);
	if (t < 0)
		return LIAISON_ERR_INVALID;
	/* strptime takes "02-30" and timegm rolls it over: refuse what does
	 * not come back as it was written. */
	time_format((uint64_t)t * 1000, again);
	if (strcmp(again, text) != 0)
		return LIAISON_ERR_INVALID;
	*ms = (uint64_t)t * 1000;
	return 0;
}

int time_parse_duration(const char *text, uint64_t *seconds)
{
	uint64_t v = 0, mult = 1;
	size_t i, digits = 0;

	if (text == NULL)
		return LIAISON_ERR_INVALID;
	for (i = 0; text[i] >= '0' && text[i] <= '9'; i++) {
		if (++digits > 12)
			return LIAISON_ERR_INVALID;
		v = v * 10 + (uint64_t)(text[i] - '0');
	}
	if (digits == 0)
		return LIAISON_ERR_INVALID;
	if (text[i] != '\0') {
		switch (text[i]) {
		case 's': mult = 1; break;
		case 'm': mult = 60; break;
		case 'h': mult = 3600; break;
		case 'd': mult = 86400; break;
		default: return LIAISON_ERR_INVALID;
		}
		if (text[i + 1] != '\0')
			return LIAISON_ERR_INVALID;
	}
	if (v > TIME_MAX_DURATION / mult)
		return LIAISON_ERR_INVALID;
	*seconds = v * mult;
	return 0;
}
