/* Logging: levels, a component tag, account ids shortened. Logs go to stderr
 * (or a file given at start), never to stdout where scripts read results.
 * Never log a secret, a plaintext or a full account id. */
#ifndef LIAISON_LOG_H
#define LIAISON_LOG_H

#include <stdint.h>
#include <stdio.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void log_set_level(enum log_level level);
/* Redirects logs to fp (not closed by us); NULL restores stderr. */
void log_set_file(FILE *fp);
void log_msg(enum log_level level, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* As log_msg, with ": strerror(errno)" appended. */
void log_msg_f(enum log_level level, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The first 8 characters of an account id's base32, for logs. */
const char *log_short_id(const uint8_t id[16], char out[9]);

#define log_err(tag, ...)   log_msg(LOG_ERR, tag, __VA_ARGS__)
#define log_warn(tag, ...)  log_msg(LOG_WARN, tag, __VA_ARGS__)
#define log_info(tag, ...)  log_msg(LOG_INFO, tag, __VA_ARGS__)
#define log_debug(tag, ...) log_msg(LOG_DEBUG, tag, __VA_ARGS__)
#define log_err_f(tag, ...) log_msg_f(LOG_ERR, tag, __VA_ARGS__)

#endif
