/* Logging: one line per event, "TIME LEVEL tag: text", to stderr or a file
 * given at start. Never to stdout (scripts read results there), and never a
 * secret, a plaintext or a full account id (log_short_id shortens them). */
#include "protocol/log.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "protocol/encoding.h"
#include "protocol/timefmt.h"

#define LOG_LINE_MAX 1024

static enum log_level log_level_now = LOG_INFO;
static FILE *log_fp;

static const char *const level_words[] = { "error", "warn", "info", "debug" };

void log_set_level(enum log_level level)
{
	if (level >= LOG_ERR && level <= LOG_DEBUG)
		log_level_now = level;
}

void log_set_file(FILE *fp)
{
	log_fp = fp;
}

/* Formats the line in one buffer and writes it with one call, so lines from
 * one process do not interleave; control characters in the text are
 * replaced so that a peer's words cannot forge a log line. */
static void log_write(enum log_level level, const char *tag, const char *suffix,
		      const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));
static void log_write(enum log_level level, const char *tag, const char *suffix,
		      const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX], when[TIME_RFC3339_CHARS];
	FILE *fp = log_fp != NULL ? log_fp : stderr;
	int n;
	size_t used, i;

	time_format(time_now_ms(), when);
	n = snprintf(line, sizeof(line), "%s %s %s: ", when, level_words[level],
		     tag != NULL ? tag : "-");
	if (n < 0)
		return;
	used = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
	n = vsnprintf(line + used, sizeof(line) - used, fmt, ap);
	if (n < 0)
		return;
	used += (size_t)n < sizeof(line) - used ? (size_t)n : sizeof(line) - used - 1;
	if (suffix != NULL) {
		n = snprintf(line + used, sizeof(line) - used, ": %s", suffix);
		if (n < 0)
			return;
		used += (size_t)n < sizeof(line) - used ? (size_t)n : sizeof(line) - used - 1;
	}
	for (i = 0; i < used; i++)
		if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f)
			line[i] = '?';
	/* A log line that cannot be written has nowhere else to go. */
	if (fprintf(fp, "%.*s\n", (int)used, line) < 0)
		return;
	(void)fflush(fp);
}

void log_msg(enum log_level level, const char *tag, const char *fmt, ...)
{
	va_list ap;

	if (level < LOG_ERR || level > log_level_now)
		return;
	va_start(ap, fmt);
	log_write(level, tag, NULL, fmt, ap);
	va_end(ap);
}

void log_msg_f(enum log_level level, const char *tag, const char *fmt, ...)
{
	char words[128];
	const char *why;
	int saved = errno;
	va_list ap;

	if (level < LOG_ERR || level > log_level_now) {
		errno = saved;
		return;
	}
	why = strerror_r(saved, words, sizeof(words));
	va_start(ap, fmt);
	log_write(level, tag, why, fmt, ap);
	va_end(ap);
	errno = saved;
}

const char *log_short_id(const uint8_t id[16], char out[9])
{
	char full[ID_CHARS + 1];

	id_encode(id, full);
	memcpy(out, full, 8);
	out[8] = '\0';
	return out;
}
