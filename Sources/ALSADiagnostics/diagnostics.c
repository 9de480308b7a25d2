#include "ALSADiagnostics.h"

#include <alsa/asoundlib.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum { messages_size = 512 };
static _Thread_local char messages[messages_size];

static void collect(const char *file, int line, const char *function, int err, const char *fmt, ...) {
    (void)file; (void)line; (void)function; (void)err;
    size_t used = strlen(messages);
    if (used + 3 >= messages_size) return;
    if (used > 0) { memcpy(messages + used, "; ", 3); used += 2; }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(messages + used, messages_size - used, fmt, ap);
    va_end(ap);
}

void hark_alsa_collect_messages(void) { snd_lib_error_set_handler(collect); }

void hark_alsa_clear_messages(void) { messages[0] = 0; }

const char *hark_alsa_messages_text(void) { return messages; }
