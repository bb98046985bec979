/* The one sanitiser for text from elsewhere before a person sees it
 * (DESIGN.md §11): C0 and C1 controls, escape sequences and bidi overrides
 * are shown escaped (\xNN, \u{NNNN}), never obeyed; invalid UTF-8 bytes
 * become \xNN. --json output keeps text exact instead (jansson escapes it). */
#ifndef LIAISON_SANITIZE_H
#define LIAISON_SANITIZE_H

#include <stddef.h>

/* A malloc'd, NUL-terminated safe copy of in[0..len), or NULL (no memory).
 * '\n' is kept (multi-line messages); '\t', '\r' and other controls are
 * escaped. */
char *sanitize_text(const char *in, size_t len);
/* The same for one-line text (names, titles, authority names): '\n' is
 * escaped too. */
char *sanitize_line(const char *in, size_t len);
/* A malloc'd copy of valid UTF-8 with invalid bytes replaced by U+FFFD, for
 * JSON output (json_string refuses invalid UTF-8), or NULL. */
char *sanitize_utf8(const char *in, size_t len);

#endif
