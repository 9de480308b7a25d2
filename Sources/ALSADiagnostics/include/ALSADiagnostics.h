// alsa-lib prints its own diagnostics ("ALSA lib confmisc.c:855:(parse_card) cannot find card
// '0'") to stderr through one process-wide handler. Hark collects them per thread instead, so the
// error it reports for a failed open carries them and nothing else reaches the daemon's stderr.
#pragma once

/// Routes alsa-lib's diagnostics to the calling thread's message buffer (idempotent).
void hark_alsa_collect_messages(void);

/// Empties the calling thread's message buffer.
void hark_alsa_clear_messages(void);

/// alsa-lib's diagnostics on the calling thread since the last clear, "; "-separated ("" when none;
/// at most 511 bytes).
const char *hark_alsa_messages_text(void);
