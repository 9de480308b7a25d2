// PocketSphinx 5prealpha and SphinxBase (Debian libpocketsphinx-dev, libsphinxbase-dev), the speech
// recogniser Hark's Speech module wraps. Only libpocketsphinx and libsphinxbase are linked: the
// pkg-config files also name libsphinxad, SphinxBase's PulseAudio capture, which Hark does not use
// (audio comes from ALSA through the Audio module).
#include <pocketsphinx.h>
#include <sphinxbase/err.h>
#include <sphinxbase/logmath.h>
