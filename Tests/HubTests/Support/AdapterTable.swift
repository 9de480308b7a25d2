/// One row of the adapter table: an action (canonical text, on `testHomeYAML`) and the exact
/// publishes it must make, in order, with `testRetainedStates` known.
struct AdapterCase: Sendable {
    var action: String
    var expected: [(topic: String, payload: String)]
    var note: String

    init(_ action: String, _ expected: [(String, String)], _ note: String = "") {
        self.action = action
        self.expected = expected.map { (topic: $0.0, payload: $0.1) }
        self.note = note
    }
}

/// Every intent each adapter supports, with the payload bytes Hark must send.
let adapterTable: [AdapterCase] = [
    // Zigbee2MQTT: JSON on <base>/<friendly_name>/set.
    AdapterCase("turn_on device=kitchen.ceiling", [("zigbee2mqtt/kitchen_ceiling/set", #"{"state":"ON"}"#)]),
    AdapterCase("turn_off device=kitchen.ceiling", [("zigbee2mqtt/kitchen_ceiling/set", #"{"state":"OFF"}"#)]),
    AdapterCase("set_brightness device=kitchen.ceiling brightness=30", [("zigbee2mqtt/kitchen_ceiling/set", #"{"brightness":76}"#)], "30 % of 254"),
    AdapterCase("set_brightness device=kitchen.ceiling brightness=100", [("zigbee2mqtt/kitchen_ceiling/set", #"{"brightness":254}"#)]),
    AdapterCase("brightness_up device=kitchen.ceiling", [("zigbee2mqtt/kitchen_ceiling/set", #"{"brightness_step":25}"#)], "default step 10 %"),
    AdapterCase("brightness_down device=kitchen.ceiling step=20", [("zigbee2mqtt/kitchen_ceiling/set", #"{"brightness_step":-51}"#)]),
    AdapterCase("set_color device=kitchen.ceiling color=blue", [("zigbee2mqtt/kitchen_ceiling/set", ##"{"color":{"hex":"#0040FF"}}"##)]),
    AdapterCase("set_color_temp device=kitchen.ceiling color_temp=2700", [("zigbee2mqtt/kitchen_ceiling/set", #"{"color_temp":370}"#)]),
    AdapterCase("open_cover device=living_room.blind", [("zigbee2mqtt/living_room_blind/set", #"{"state":"OPEN"}"#)]),
    AdapterCase("close_cover device=living_room.blind", [("zigbee2mqtt/living_room_blind/set", #"{"state":"CLOSE"}"#)]),
    AdapterCase("set_cover_position device=living_room.blind position=40", [("zigbee2mqtt/living_room_blind/set", #"{"position":40}"#)]),
    AdapterCase("lock device=hallway.front_door", [("zigbee2mqtt/front_door_lock/set", #"{"state":"LOCK"}"#)]),
    AdapterCase("unlock device=hallway.front_door", [("zigbee2mqtt/front_door_lock/set", #"{"state":"UNLOCK"}"#)]),
    AdapterCase("set_temperature device=hallway.radiator temperature=21.5",
                [("zigbee2mqtt/hallway_trv/set", #"{"current_heating_setpoint":21.5}"#)]),
    AdapterCase("turn_on device=hallway.radiator", [("zigbee2mqtt/hallway_trv/set", #"{"system_mode":"heat"}"#)]),
    AdapterCase("turn_off device=hallway.radiator", [("zigbee2mqtt/hallway_trv/set", #"{"system_mode":"off"}"#)]),
    AdapterCase("set_fan_speed device=bedroom.fan speed=high", [("zigbee2mqtt/bedroom_fan/set", #"{"fan_mode":"high"}"#)]),
    AdapterCase("turn_off device=bedroom.fan", [("zigbee2mqtt/bedroom_fan/set", #"{"state":"OFF"}"#)]),

    // Tasmota: cmnd/<topic>/<Command> with a plain payload.
    AdapterCase("turn_on device=kitchen.lamp", [("cmnd/counter_lamp/POWER", "ON")]),
    AdapterCase("turn_off device=kitchen.coffee", [("cmnd/coffee_plug/POWER", "OFF")]),
    AdapterCase("set_brightness device=kitchen.lamp brightness=30", [("cmnd/counter_lamp/Dimmer", "30")]),
    AdapterCase("brightness_up device=kitchen.lamp", [("cmnd/counter_lamp/Dimmer", "50")], "state known (Dimmer 40): 40 + default step 10"),
    AdapterCase("brightness_down device=kitchen.lamp step=25", [("cmnd/counter_lamp/Dimmer", "15")], "40 - 25"),
    AdapterCase("brightness_up device=office.lamp", [("cmnd/desk_lamp/Dimmer", "+")], "state unknown: Tasmota's own relative command"),
    AdapterCase("brightness_down device=office.lamp", [("cmnd/desk_lamp/Dimmer", "-")]),
    AdapterCase("set_color device=kitchen.lamp color=red", [("cmnd/counter_lamp/Color", "FF0000")]),
    AdapterCase("set_color_temp device=kitchen.lamp color_temp=6500", [("cmnd/counter_lamp/CT", "154")]),
    AdapterCase("set_color_temp device=kitchen.lamp color_temp=2000", [("cmnd/counter_lamp/CT", "500")]),
    AdapterCase("open_cover device=bedroom.shutter", [("cmnd/bedroom_shutter/ShutterOpen", "")]),
    AdapterCase("close_cover device=bedroom.shutter", [("cmnd/bedroom_shutter/ShutterClose", "")]),
    AdapterCase("set_cover_position device=bedroom.shutter position=70", [("cmnd/bedroom_shutter/ShutterPosition", "70")]),
    AdapterCase("set_fan_speed device=office.fan speed=medium", [("cmnd/desk_fan/FanSpeed", "2")]),
    AdapterCase("turn_off device=office.fan", [("cmnd/desk_fan/POWER", "OFF")]),

    // Home Assistant: JSON light schema, plain payloads for the other domains; a configured
    // command topic for switch.tv_plug.
    AdapterCase("turn_on device=living_room.lamp", [("homeassistant/light/floor_lamp/set", #"{"state":"ON"}"#)]),
    AdapterCase("turn_off device=living_room.lamp", [("homeassistant/light/floor_lamp/set", #"{"state":"OFF"}"#)]),
    AdapterCase("set_brightness device=living_room.lamp brightness=30",
                [("homeassistant/light/floor_lamp/set", #"{"state":"ON","brightness":77}"#)], "30 % of 255"),
    AdapterCase("brightness_up device=living_room.lamp", [("homeassistant/light/floor_lamp/set", #"{"state":"ON","brightness":153}"#)],
                "state 128/255 = 50 %, + 10 % = 60 % = 153"),
    AdapterCase("set_color device=living_room.lamp color=purple",
                [("homeassistant/light/floor_lamp/set", #"{"state":"ON","color":{"r":128,"g":0,"b":255}}"#)]),
    AdapterCase("set_color_temp device=living_room.lamp color_temp=4000",
                [("homeassistant/light/floor_lamp/set", #"{"state":"ON","color_temp":250}"#)]),
    AdapterCase("turn_off device=living_room.plug", [("tv/plug/cmd", "OFF")], "command_topic from mqtt.homeassistant"),
    AdapterCase("open_cover device=office.blind", [("homeassistant/cover/office_blind/set", "OPEN")]),
    AdapterCase("close_cover device=office.blind", [("homeassistant/cover/office_blind/set", "CLOSE")]),
    AdapterCase("set_cover_position device=office.blind position=25", [("homeassistant/cover/office_blind/position/set", "25")]),
    AdapterCase("lock device=office.door", [("homeassistant/lock/office_door/set", "LOCK")]),
    AdapterCase("unlock device=office.door", [("homeassistant/lock/office_door/set", "UNLOCK")]),
    AdapterCase("set_temperature device=office.thermostat temperature=19", [("homeassistant/climate/office/temperature/set", "19")]),
    AdapterCase("turn_off device=office.thermostat", [("homeassistant/climate/office/mode/set", "off")]),
    AdapterCase("media_pause device=living_room.speaker", [("homeassistant/media_player/living_room/set", "PAUSE")]),
    AdapterCase("media_play device=living_room.speaker", [("homeassistant/media_player/living_room/set", "PLAY")]),
    AdapterCase("set_volume device=living_room.speaker volume=30", [("homeassistant/media_player/living_room/volume/set", "30")]),
    AdapterCase("volume_up device=living_room.speaker", [("homeassistant/media_player/living_room/volume/set", "50")], "40 + 10"),
    AdapterCase("volume_down device=living_room.speaker step=15", [("homeassistant/media_player/living_room/volume/set", "25")]),
    AdapterCase("set_fan_speed device=bedroom.purifier speed=low", [("homeassistant/fan/purifier/preset_mode/set", "low")]),
    AdapterCase("turn_on device=bedroom.purifier", [("homeassistant/fan/purifier/set", "ON")]),
    AdapterCase("activate_scene scene=away", [("homeassistant/scene/away/set", "ON")], "scene kept by Home Assistant"),

    // Generic: the registry's topic and payload template.
    AdapterCase("set_brightness device=bedroom.lamp brightness=30",
                [("home/bedroom/lamp/set", #"{"intent":"set_brightness","state":"ON","brightness":30}"#)]),
    AdapterCase("brightness_up device=bedroom.lamp step=5",
                [("home/bedroom/lamp/set", #"{"intent":"brightness_up","state":"ON","brightness":55}"#)], "state 50 + 5"),
    AdapterCase("turn_off device=bedroom.lamp",
                [("home/bedroom/lamp/set", #"{"intent":"turn_off","state":"OFF","brightness":50}"#)], "{brightness} from the state"),
    AdapterCase("turn_on device=office.heater", [("cmnd/office_heater/POWER", "ON")]),
    AdapterCase("turn_on device=hallway.chime", [("home/hallway/chime", #"{"intent":"turn_on","device":"hallway.chime"}"#)],
                "no template: the action as JSON"),

    // Targets that reach several devices, and a scene of canonical actions.
    AdapterCase("turn_off area=kitchen domain=light",
                [("zigbee2mqtt/kitchen_ceiling/set", #"{"state":"OFF"}"#), ("cmnd/counter_lamp/POWER", "OFF")]),
    AdapterCase("activate_scene scene=movie_night",
                [("homeassistant/light/floor_lamp/set", #"{"state":"ON","brightness":51}"#),
                 ("zigbee2mqtt/living_room_blind/set", #"{"state":"CLOSE"}"#)]),
]

/// Actions a reached device cannot perform: an error naming the device, and no publish at all
/// (not even to the devices of the same action that could).
let cannotPerformTable: [(action: String, error: String)] = [
    ("lock device=hallway.back_door", "device 'hallway.back_door' cannot perform lock: Tasmota has no lock command"),
    ("media_play device=living_room.radio", "device 'living_room.radio' cannot perform media_play: Zigbee2MQTT has no media player commands"),
    ("media_pause area=living_room", "device 'living_room.radio' cannot perform media_pause: Zigbee2MQTT has no media player commands"),
    ("brightness_up device=office.lamp step=20",
     "device 'office.lamp' cannot perform brightness_up: its brightness is not known yet (nothing received on its state topics), so it cannot change by 20 %"),
]
