// alsa-lib (Debian libasound2-dev), the capture API Hark's Audio module reads the microphone with.
#include <alsa/asoundlib.h>
