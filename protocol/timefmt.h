/* Time: milliseconds since the epoch on the wire, RFC 3339 UTC for people
 * and JSON, and durations such as "7d", "12h", "30m", "10s". */
#ifndef LIAISON_TIMEFMT_H
#define LIAISON_TIMEFMT_H

#include <stdint.h>

#include "protocol/errors.h"

#define TIME_RFC3339_CHARS 24  /* 2026-11-29T23:31:38Z + NUL, with room */

uint64_t time_now_ms(void);
/* "2026-11-29T23:31:38Z" */
void time_format(uint64_t ms, char out[TIME_RFC3339_CHARS]);
/* The inverse, for exactly "YYYY-MM-DDTHH:MM:SSZ" (UTC), into ms. */
int time_parse(const char *text, uint64_t *ms) LIAISON_WUR;
/* "90s", "30m", "12h", "7d" or a bare number of seconds, into seconds;
 * refused when empty, negative, over ten years, or of another unit. "0" and
 * "0s" are accepted (the caller decides whether zero makes sense). */
int time_parse_duration(const char *text, uint64_t *seconds) LIAISON_WUR;

#endif
