// libmosquitto (Debian libmosquitto-dev), the MQTT client library Hark's MQTT module wraps.
#include <mosquitto.h>
