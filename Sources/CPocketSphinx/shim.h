// The part of the PocketSphinx 5prealpha and SphinxBase C API that Hark's Speech module calls
// (Debian libpocketsphinx-dev, libsphinxbase-dev), declared here from their headers'
// prototypes (pocketsphinx.h, ps_search.h, sphinxbase/cmd_ln.h, sphinxbase/err.h,
// sphinxbase/fsg_model.h) instead of
// including them: pocketsphinx.h includes its siblings without a directory prefix, so importing it
// would need -I/usr/include/pocketsphinx in every module that imports this one (test discovery
// too), and pkg-config's sphinxbase.pc would link libsphinxad, SphinxBase's PulseAudio capture,
// which Hark does not use (audio comes from ALSA through the Audio module). Only libpocketsphinx
// and libsphinxbase are linked (module.modulemap). The handles are opaque; `arg_t` (the option
// table) only passes from ps_args() to cmd_ln_parse_r(), so it is a pointer to const here.
#ifndef HARK_CPOCKETSPHINX_SHIM_H
#define HARK_CPOCKETSPHINX_SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct ps_decoder_s ps_decoder_t;
typedef struct cmd_ln_s cmd_ln_t;
typedef struct fsg_model_s fsg_model_t;
typedef struct logmath_s logmath_t;

const void *ps_args(void);
cmd_ln_t *cmd_ln_parse_r(cmd_ln_t *inout_cmdln, const void *defn, int32_t argc, char *argv[], int32_t strict);
int cmd_ln_free_r(cmd_ln_t *cmdln);
void err_set_logfp(FILE *stream);

ps_decoder_t *ps_init(cmd_ln_t *config);
int ps_free(ps_decoder_t *ps);
int ps_set_jsgf_string(ps_decoder_t *ps, const char *name, const char *jsgf_string);
int ps_set_fsg(ps_decoder_t *ps, const char *name, fsg_model_t *fsg);
cmd_ln_t *ps_get_config(ps_decoder_t *ps);
logmath_t *ps_get_logmath(ps_decoder_t *ps);
double cmd_ln_float_r(cmd_ln_t *cmdln, char const *name);
fsg_model_t *fsg_model_read(FILE *fp, logmath_t *lmath, float lw);
int fsg_model_free(fsg_model_t *fsg);
int ps_set_keyphrase(ps_decoder_t *ps, const char *name, const char *keyphrase);
int ps_set_search(ps_decoder_t *ps, const char *name);
int ps_start_utt(ps_decoder_t *ps);
int ps_process_raw(ps_decoder_t *ps, const int16_t *data, size_t n_samples, int no_search, int full_utt);
int ps_end_utt(ps_decoder_t *ps);
const char *ps_get_hyp(ps_decoder_t *ps, int32_t *out_best_score);
uint8_t ps_get_in_speech(ps_decoder_t *ps);

#endif
