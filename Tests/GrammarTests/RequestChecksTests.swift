import Foundation
import Grammar
import Intents
import XCTest

/// The lexical checks after the model: words asking for a capability the action lacks
/// (`CapabilityWords`), common names the home lacks (`AbsentNames`), effects and settings no
/// action has (`EffectWords`), questions (`QuestionForm`), times other than now
/// (`ScheduleWords`), two requests at once (`CompoundWords`), negations (`NegationWords`) and
/// commands that ask nothing (`EmptyRequest`). `HARK_CHECKED_EXAMPLES` sets how many generated actions must pass (4000).
final class RequestChecksTests: XCTestCase {
    static func home() -> Registry {
        func device(_ id: String, _ name: String, _ aliases: [String] = [], _ area: String, _ type: DeviceType) -> Device {
            Device(id: id, name: name, aliases: aliases, area: area, type: type, adapter: .zigbee2mqtt(friendlyName: id))
        }
        return Registry(site: "den", areas: [Area(id: "den", name: "den"), Area(id: "bedroom", name: "bedroom"), Area(id: "porch", name: "porch")],
                        devices: [
                            device("porch.light", "porch light", [], "porch", .light),
                            device("den.lamp", "reading lamp", [], "den", .dimmableLight),
                            device("den.fan", "box fan", [], "den", .fan),
                            device("den.switch", "dimmer switch", [], "den", .switch),
                            device("den.speaker", "speaker", [], "den", .mediaPlayer),
                            device("den.thermostat", "thermostat", [], "den", .thermostat),
                            device("porch.lock", "shed lock", [], "porch", .lock),
                        ])
    }

    func mismatch(_ command: String, _ action: String) throws -> String? {
        let catalog = try Catalog.load()
        let words = CapabilityWords(catalog: catalog, registry: Self.home())
        return words.mismatch(command: command, action: try CanonicalAction(parsing: action))
    }

    func testRefusesAnActionOfAnotherCapabilityThanTheCommandAsksFor() throws {
        XCTAssertNotNil(try mismatch("dim the porch light", "turn_off device=porch.light"))
        XCTAssertNotNil(try mismatch("set the box fan to 20 degrees", "set_fan_speed device=den.fan speed=high"))
        XCTAssertNotNil(try mismatch("box fan to 3000 kelvin", "set_fan_speed device=den.fan speed=high"))
        XCTAssertNotNil(try mismatch("make the porch light blue", "turn_on device=porch.light"))
        XCTAssertNotNil(try mismatch("make the reading lamp louder", "brightness_up device=den.lamp"))
        XCTAssertNotNil(try mismatch("lock the box fan", "turn_off device=den.fan"))
        // Opening and closing are what covers do, not switches ("open the kettle plug").
        XCTAssertNotNil(try mismatch("open the dimmer switch", "turn_on device=den.switch"))
        XCTAssertNotNil(try mismatch("close the speaker", "turn_off device=den.speaker"))
        let reason = try XCTUnwrap(try mismatch("dim the porch light", "turn_off device=porch.light"))
        XCTAssertTrue(reason.contains("'dim'") && reason.contains("brightness"), reason)
    }

    func testAcceptsWhatTheCommandAsksFor() throws {
        XCTAssertNil(try mismatch("dim the reading lamp", "brightness_down device=den.lamp"))
        XCTAssertNil(try mismatch("reading lamp to full brightness", "set_brightness device=den.lamp brightness=100"))
        XCTAssertNil(try mismatch("dim the reading lamp to 30", "set_brightness device=den.lamp brightness=30"))
        XCTAssertNil(try mismatch("how many degrees is it in here", "query_temperature"))
        XCTAssertNil(try mismatch("thermostat to 21 degrees", "set_temperature device=den.thermostat temperature=21"))
        XCTAssertNil(try mismatch("is the shed lock locked", "query_lock device=porch.lock"))
        XCTAssertNil(try mismatch("turn up the volume", "volume_up"))
        // Words inside the home's names never count.
        XCTAssertNil(try mismatch("turn on the dimmer switch", "turn_on device=den.switch"))
        // Verbs that apply to anything do not ask for one capability.
        XCTAssertNil(try mismatch("stop the box fan", "turn_off device=den.fan"))
        XCTAssertNil(try mismatch("close and lock the shed lock", "lock device=porch.lock"))
        XCTAssertNil(try mismatch("open the shed lock", "unlock device=porch.lock"), "the training data's 'open the lock on …'")
        XCTAssertNil(try mismatch("close the blinds to 20 percent", "set_cover_position domain=cover position=20"))
        XCTAssertNil(try mismatch("warm the den up to 23", "set_temperature area=den temperature=23"))
    }

    func testRefusesAQueryTheCommandDoesNotAsk() throws {
        let words = CapabilityWords(catalog: try Catalog.load(), registry: Self.home())
        func unasked(_ command: String, _ action: String) throws -> String? {
            words.unaskedQuery(command: command, action: try CanonicalAction(parsing: action))
        }
        XCTAssertNotNil(try unasked("how humid is the bedroom", "query_temperature area=bedroom"))
        XCTAssertNotNil(try unasked("how bright is it on the porch", "query_temperature area=porch"))
        XCTAssertNotNil(try unasked("is the den tidy", "query_temperature area=den"))
        XCTAssertNil(try unasked("how warm is the bedroom", "query_temperature area=bedroom"))
        XCTAssertNil(try unasked("whats the temp in the den", "query_temperature area=den"))
        XCTAssertNil(try unasked("what's the tempp on the porch", "query_temperature area=porch"))
        XCTAssertNil(try unasked("how many degrees is it", "query_temperature"))
        XCTAssertNil(try unasked("what does the thermostat say", "query_temperature device=den.thermostat"), "names the device it asks")
        XCTAssertNil(try unasked("is the shed lock secure", "query_lock device=porch.lock"))
        XCTAssertNil(try unasked("is the bedroom light on", "query_state area=bedroom domain=light"), "on/off queries are not checked")
    }

    func testFindsCommonNamesTheHomeLacks() throws {
        let absent = AbsentNames(catalog: try Catalog.load(), registry: Self.home())
        XCTAssertEqual(absent.absentName(in: "unlock the front door"), "front door")
        XCTAssertEqual(absent.absentName(in: "turn on the kitchen lights"), "kitchen")
        XCTAssertEqual(absent.absentName(in: "dim the lights in the music room"), "music room")
        XCTAssertNil(absent.absentName(in: "turn on the bedroom lights"))
        XCTAssertNil(absent.absentName(in: "turn on the master bedroom lights"), "a qualified name of the home's bedroom")
        XCTAssertNil(absent.absentName(in: "bolt the shed lock"))
        XCTAssertNil(absent.absentName(in: "turn on the porch light"))
        XCTAssertEqual(absent.absentName(in: "is the car locked"), "car")
        let withCharger = Registry(site: "garage", areas: [Area(id: "garage", name: "garage")],
                                   devices: [Device(id: "garage.charger", name: "car charger", area: "garage", type: .outlet,
                                                    adapter: .tasmota(topic: "charger"))])
        XCTAssertNil(AbsentNames(catalog: try Catalog.load(), registry: withCharger).absentName(in: "turn off the car charger"))
    }

    func testFindsPlacesAndScenesTheHomeLacksByWhereTheyStand() throws {
        let catalog = try Catalog.load()
        var registry = Self.home()
        registry.scenes = [Scene(id: "movie", name: "movie night")]
        let absent = AbsentNames(catalog: catalog, registry: registry)
        XCTAssertEqual(absent.unknownName(in: "switch off the lights in the milking parlour"), "milking parlour")
        XCTAssertEqual(absent.unknownName(in: "turn on the lamp in our gazebo"), "gazebo")
        XCTAssertNil(absent.unknownName(in: "the sun is in my eyes"))
        XCTAssertNil(absent.unknownName(in: "okay scene movie night"))
        XCTAssertNil(absent.unknownName(in: "put the box fan on high mode"))
        XCTAssertEqual(absent.unknownName(in: "start the harvest scene"), "harvest scene")
        XCTAssertEqual(absent.unknownName(in: "put the box fan in turbo mode"), "turbo mode")
        XCTAssertNil(absent.unknownName(in: "turn off the lights in the bedroom please"))
        XCTAssertNil(absent.unknownName(in: "dim the lights in the bedrom"), "a typo of the home's bedroom")
        XCTAssertNil(absent.unknownName(in: "turn off every light in the house"))
        XCTAssertNil(absent.unknownName(in: "start the movie scene"))
        XCTAssertNil(absent.unknownName(in: "movie night mode"))
        XCTAssertNil(absent.unknownName(in: "set the scene for movie night"))
    }

    func testFindsEffectsNoActionDoes() throws {
        let effects = EffectWords(catalog: try Catalog.load(), registry: Self.home())
        XCTAssertEqual(effects.unknownEffect(in: "make the reading lamp twinkle"), "twinkle")
        XCTAssertEqual(effects.unknownEffect(in: "please make the porch light blink twice"), "blink twice")
        XCTAssertEqual(effects.unknownEffect(in: "make the lights in the den shimmer like water"), "shimmer water")
        XCTAssertEqual(effects.unknownEffect(in: "can you make it dance"), "dance")
        XCTAssertNil(effects.unknownEffect(in: "make the reading lamp brighter"))
        XCTAssertNil(effects.unknownEffect(in: "make the reading lamp a bit brigter"), "a misspelt action word")
        XCTAssertNil(effects.unknownEffect(in: "set the reading lamp to pik"), "a misspelt colour")
        XCTAssertNil(effects.unknownEffect(in: "play it on the speakesr"), "a misspelt name")
        XCTAssertEqual(effects.unknownEffect(in: "make the reading lamp blink"), "blink", "not a misspelt 'blind'")
        XCTAssertNil(effects.unknownEffect(in: "make the den lights forty percent"))
        XCTAssertNil(effects.unknownEffect(in: "make the reading lamp 40"))
        XCTAssertNil(effects.unknownEffect(in: "make the box fan go fast"))
        XCTAssertNil(effects.unknownEffect(in: "could you make it 29.5 in the bedroom cheers"))
        XCTAssertNil(effects.unknownEffect(in: "make the reading lamp 5700k"))
        XCTAssertNil(effects.unknownEffect(in: "make it warmer in here"))
        XCTAssertNil(effects.unknownEffect(in: "make the reading lamp sky blue"))
        XCTAssertNil(effects.unknownEffect(in: "make sure the shed lock is locked"), "no target after make")
        XCTAssertNil(effects.unknownEffect(in: "make coffee"), "no target after make")
        XCTAssertNil(effects.unknownEffect(in: "make the reading lamp"), "nothing after the target")
        XCTAssertNil(effects.unknownEffect(in: "turn on the reading lamp"))
        // Settings and media content that no action has.
        XCTAssertEqual(effects.unknownEffect(in: "put the reading lamp on a rainbow cycle"), "rainbow cycle")
        XCTAssertEqual(effects.unknownEffect(in: "set the thermostat to eco"), "eco")
        XCTAssertEqual(effects.unknownEffect(in: "put on some abba on the speaker"), "abba")
        XCTAssertEqual(effects.unknownEffect(in: "play something relaxing"), "relaxing")
        XCTAssertNil(effects.unknownEffect(in: "put the box fan on high"))
        XCTAssertNil(effects.unknownEffect(in: "turn the box fan on for the dog"), "a purpose, not a setting")
        XCTAssertNil(effects.unknownEffect(in: "turn the speaker on please"))
        XCTAssertNil(effects.unknownEffect(in: "switch the lights on in the bedroom"))
        XCTAssertNil(effects.unknownEffect(in: "set the thermostat to twenty one"))
        XCTAssertNil(effects.unknownEffect(in: "play some music on the speaker"))
        XCTAssertNil(effects.unknownEffect(in: "hit play on the speaker"))
        XCTAssertNil(effects.unknownEffect(in: "put on the speaker"))
        // What is asked of a device before "on the <device>".
        XCTAssertEqual(effects.unknownEffect(in: "turn on subtitles on the speaker"), "subtitles")
        XCTAssertEqual(effects.unknownEffect(in: "whats the air pressure on the thermostat"), "air pressure")
        XCTAssertNil(effects.unknownEffect(in: "turn the volume up on the speaker"))
        XCTAssertNil(effects.unknownEffect(in: "full brightness on the reading lamp"))
        XCTAssertNil(effects.unknownEffect(in: "hit play on the speaker"))
        XCTAssertNil(effects.unknownEffect(in: "20 degrees on the thermostat"))
        // Every word a command has that no name, polite word or action accounts for.
        XCTAssertEqual(effects.unexplainedWords(in: "how much energy is the speaker using"), ["much", "energy", "using"])
        XCTAssertEqual(effects.unexplainedWords(in: "could you turn the reading lamp on please"), [])
        XCTAssertEqual(effects.unexplainedWords(in: "make the reading lamp a bit brigter"), [], "a misspelt action word")
        XCTAssertEqual(effects.unexplainedWords(in: "is the shed lock locked"), [])
    }

    func testFindsOperationsNoActionDoes() throws {
        let effects = EffectWords(catalog: try Catalog.load(), registry: Self.home())
        XCTAssertEqual(effects.unsupportedOperation(in: "skip this song on the speaker"), "skip")
        XCTAssertEqual(effects.unsupportedOperation(in: "rewind the speaker"), "rewind")
        XCTAssertEqual(effects.unsupportedOperation(in: "make the box fan oscillate"), "oscillate")
        XCTAssertNil(effects.unsupportedOperation(in: "pause the speaker"))
        XCTAssertNil(effects.unsupportedOperation(in: "play the song on the speaker"))
        XCTAssertEqual(effects.unsupportedOperation(in: "next song on the speaker"), "next")
        XCTAssertEqual(effects.unsupportedOperation(in: "go back to the previous track"), "previous")
        XCTAssertEqual(effects.unsupportedOperation(in: "change the channel"), "channel")
        XCTAssertNil(effects.unsupportedOperation(in: "turn on the lamp next to the bed"), "'next to' says where")
        XCTAssertEqual(effects.unsupportedOperation(in: "mute the speaker"), "mute")
        XCTAssertEqual(effects.unsupportedOperation(in: "fast forward the speaker"), "forward")
        XCTAssertEqual(effects.unsupportedOperation(in: "cancel that"), "cancel")
        XCTAssertEqual(effects.unsupportedOperation(in: "go back thirty seconds on the speaker"), "thirty seconds")
        XCTAssertNil(effects.unsupportedOperation(in: "pause the speaker for a few seconds"), "no number of seconds")
        // A command that opens with its target and leaves the verb out.
        XCTAssertEqual(effects.unknownEffect(in: "thermostat on eco"), "eco")
        XCTAssertNil(effects.unknownEffect(in: "box fan on high"))
        XCTAssertNil(effects.unknownEffect(in: "reading lamp to 40"))
        XCTAssertNil(effects.unknownEffect(in: "speaker on"))
    }

    func testFindsDomainsTheActionDoesNotReach() throws {
        let domains = DomainWords(catalog: try Catalog.load(), registry: Self.home())
        let resolver = ActionResolver(catalog: try Catalog.load(), registry: Self.home())
        func mismatch(_ command: String, _ action: String) throws -> String? {
            let resolved = try resolver.resolve(text: action)
            return domains.mismatch(command: command, action: resolved.canonical, devices: resolved.devices.compactMap(Self.home().device(id:)))
        }
        XCTAssertNotNil(try mismatch("turn the den heater on", "turn_on area=den domain=fan"))
        XCTAssertNotNil(try mismatch("lights off", "turn_off domain=switch"))
        XCTAssertNotNil(try mismatch("turn the porch heater on", "turn_on area=porch"), "the porch has a light and a lock")
        XCTAssertNil(try mismatch("turn the den fan on", "turn_on area=den domain=fan"))
        XCTAssertNil(try mismatch("turn off the heating", "turn_off domain=climate"))
        XCTAssertNil(try mismatch("turn everything off in the den", "turn_off area=den"))
        XCTAssertNil(try mismatch("turn off the lights in the den", "turn_off area=den"), "the den has a lamp")
        XCTAssertNil(try mismatch("turn the den heater on", "turn_on device=den.fan"), "a device, not a domain")
        XCTAssertNil(try mismatch("box fan off", "turn_off domain=switch"), "the domain word is inside a device's name")
        XCTAssertEqual(domains.said(in: "turn off the lights and the heater").map(\.domain), [.light, .climate])
        XCTAssertEqual(domains.said(in: "turn off the heater and the lights").map(\.domain), [.climate, .light])
        XCTAssertNil(try mismatch("let some light in", "turn_on area=den domain=fan"), "daylight, not the lights")
    }

    func testFindsTheOppositeOfWhatWasSaid() throws {
        let directions = DirectionWords(catalog: try Catalog.load(), registry: Self.home())
        XCTAssertEqual(directions.opposite(of: "open_cover", in: "can you close up the blind"), "close_cover")
        XCTAssertEqual(directions.opposite(of: "turn_off", in: "pop the box fan on please"), "turn_on")
        XCTAssertEqual(directions.opposite(of: "turn_on", in: "box fan off"), "turn_off")
        XCTAssertEqual(directions.opposite(of: "unlock", in: "please lock the shed lock"), "lock")
        XCTAssertEqual(directions.opposite(of: "media_play", in: "pause the speaker"), "media_pause")
        XCTAssertNil(directions.opposite(of: "unlock", in: "open the lock on the shed"), "a noun, not the verb")
        XCTAssertNil(directions.opposite(of: "turn_off", in: "cut the power on the box fan"), "'on' that says where")
        XCTAssertNil(directions.opposite(of: "turn_off", in: "turn the lights on the porch off"))
        XCTAssertNil(directions.opposite(of: "open_cover", in: "open the blind"))
        XCTAssertNil(directions.opposite(of: "set_brightness", in: "shut the reading lamp down to 10"))
    }

    func testTellsCommandsThatAskADeviceToWork() throws {
        let words = CapabilityWords(catalog: try Catalog.load(), registry: Self.home())
        XCTAssertTrue(words.asksToOperate("start the box fan"))
        XCTAssertTrue(words.asksToOperate("turn on the box fan"))
        XCTAssertTrue(words.asksToOperate("switch the speaker off"))
        XCTAssertFalse(words.asksToOperate("turn the box fan up"))
        XCTAssertFalse(words.asksToOperate("how long has the box fan been running"))
        XCTAssertTrue(words.asksToOperate("could you power up the speaker"))
        XCTAssertTrue(words.asksToOperate("warm up the thermostat"))
        XCTAssertTrue(words.asksToOperate("shut down the box fan"))
        XCTAssertFalse(words.asksToOperate("warm the den up to 20"), "'up' is not right after the verb")
        // A percentage asks for the capabilities that take one, whatever the verb.
        XCTAssertEqual(words.askedCapabilities("set the reading lamp to forty percent"), [.brightness, .position, .volume])
        XCTAssertEqual(words.askedCapabilities("reading lamp to 40%"), [.brightness, .position, .volume])
        XCTAssertEqual(words.askedCapabilities("set the thermostat to 20 degrees"), [.setpoint])
        XCTAssertEqual(words.askedCapabilities("set the reading lamp to forty"), [])
    }

    /// A question about a named device that also asks about something no action is asked with
    /// ("battery") is not the device's reading; "how much" and "how long" are not yes or no.
    func testRefusesAReadingOfANamedDeviceForAnotherTopic() throws {
        let catalog = try Catalog.load()
        let words = CapabilityWords(catalog: catalog, registry: Self.home())
        let effects = EffectWords(catalog: catalog, registry: Self.home())
        func unasked(_ command: String, _ action: String) throws -> String? {
            words.unaskedQuery(command: command, action: try CanonicalAction(parsing: action), unexplained: effects.unexplainedWords(in: command))
        }
        XCTAssertNotNil(try unasked("is the thermostat battery low", "query_temperature device=den.thermostat"))
        XCTAssertNil(try unasked("what does the thermostat say", "query_temperature device=den.thermostat"))
        XCTAssertNil(try unasked("how warm is the thermostat showing", "query_temperature device=den.thermostat"))
        // Whether something is on is asked in general words; another state is another question.
        XCTAssertNotNil(try unasked("is the reading lamp connected", "query_state device=den.lamp"))
        XCTAssertNil(try unasked("is the box fan still running", "query_state device=den.fan"))
        XCTAssertNil(try unasked("did the kids leave the reading lamp on", "query_state device=den.lamp"))
        XCTAssertTrue(QuestionForm.asksHowMuch("how much power is the speaker using"))
        XCTAssertTrue(QuestionForm.asksHowMuch("um, how long has the box fan been on"))
        XCTAssertFalse(QuestionForm.asksHowMuch("how warm is it in the den"))
        XCTAssertFalse(QuestionForm.asksHowMuch("is the box fan on"))
    }

    func testTellsQuestionsFromCommands() {
        XCTAssertTrue(QuestionForm.isYesNoQuestion("is the shed door open"))
        XCTAssertTrue(QuestionForm.isYesNoQuestion("um hey, did someone lock the back door?"))
        XCTAssertTrue(QuestionForm.isYesNoQuestion("do the lights work"))
        XCTAssertFalse(QuestionForm.isYesNoQuestion("do me a favour and turn the lights on"))
        XCTAssertFalse(QuestionForm.isYesNoQuestion("could you close the blinds"))
        XCTAssertFalse(QuestionForm.isYesNoQuestion("open the blinds is what i said"))
        XCTAssertFalse(QuestionForm.isYesNoQuestion(""))
        XCTAssertFalse(QuestionForm.isYesNoQuestion("we're ready for movie night"), "a contraction, not 'were'")
        XCTAssertTrue(QuestionForm.isYesNoQuestion("isn't the porch light on"))
        XCTAssertFalse(QuestionForm.isYesNoQuestion("do not open the garage door"), "a negation")
        XCTAssertTrue(QuestionForm.isOpenQuestion("who unlocked the front door"))
        XCTAssertTrue(QuestionForm.isOpenQuestion("hey, when was the garage door opened"))
        XCTAssertFalse(QuestionForm.isOpenQuestion("what's the temperature in here"), "a query of the catalog")
        XCTAssertFalse(QuestionForm.isOpenQuestion("how about turning the lights on"))
        // Whether something is on is asked as a question, a check or a status.
        XCTAssertTrue(QuestionForm.asksWhetherOn("is the washer on"))
        XCTAssertTrue(QuestionForm.asksWhetherOn("status of the pump"))
        XCTAssertTrue(QuestionForm.asksWhetherOn("check if the fan is on"))
        XCTAssertFalse(QuestionForm.asksWhetherOn("washer on please"))
        XCTAssertTrue(QuestionForm.asksWhetherOn("quick question, are the fans on"))
        XCTAssertTrue(QuestionForm.asksWhetherOn("what is the stae of the fans"))
        XCTAssertTrue(QuestionForm.asksWhetherOn("hae i got the speakers on"))
        XCTAssertTrue(QuestionForm.asksWhetherOn("hey there hey are all the lamps still on"))
        XCTAssertFalse(QuestionForm.asksWhetherOn("what's playing on the radio"))
        XCTAssertTrue(QuestionForm.isQuestion("what's playing on the radio"))
        XCTAssertFalse(QuestionForm.isQuestion("washer on please"))
    }

    func testFindsTimesOtherThanNow() {
        XCTAssertEqual(ScheduleWords.schedule(in: "turn off the lights in ten minutes"), "in ten minutes")
        XCTAssertEqual(ScheduleWords.schedule(in: "run the box fan for half an hour"), "for half an hour")
        XCTAssertEqual(ScheduleWords.schedule(in: "heating on at 6 am please"), "at 6 am")
        XCTAssertEqual(ScheduleWords.schedule(in: "switch the porch light on at 7pm"), "at 7pm")
        XCTAssertEqual(ScheduleWords.schedule(in: "unlock the door at seven o'clock"), "at seven oclock")
        XCTAssertEqual(ScheduleWords.schedule(in: "close the blinds at sunset"), "at sunset")
        XCTAssertEqual(ScheduleWords.schedule(in: "open the blinds every morning"), "every morning")
        XCTAssertEqual(ScheduleWords.schedule(in: "turn the heating up when i get home"), "when i get home")
        XCTAssertEqual(ScheduleWords.schedule(in: "lights off in 5 mins"), "in 5 mins")
        XCTAssertEqual(ScheduleWords.schedule(in: "put the fan on tomorrow"), "tomorrow")
        XCTAssertNil(ScheduleWords.schedule(in: "set the lamp at 40"))
        XCTAssertNil(ScheduleWords.schedule(in: "pause it for a sec"))
        XCTAssertEqual(ScheduleWords.schedule(in: "we're ready for sunset"), "for sunset")
        XCTAssertNil(ScheduleWords.schedule(in: "we're ready for sunset", names: ["sunset"]), "a scene called sunset")
        XCTAssertNil(ScheduleWords.schedule(in: "turn off the lights in the bedroom"))
        XCTAssertNil(ScheduleWords.schedule(in: "dim the lights for movie night"))
        XCTAssertNil(ScheduleWords.schedule(in: "it's freezing in here"))
        XCTAssertNil(ScheduleWords.schedule(in: "set the thermostat to 21 for me"))
        XCTAssertNil(ScheduleWords.schedule(in: "start the good morning scene"))
        // "half six" is half past six; a condition waits for a change or an arrival.
        XCTAssertEqual(ScheduleWords.schedule(in: "switch the kettle on at half six"), "at half six")
        XCTAssertNil(ScheduleWords.schedule(in: "set the lamp at half brightness"))
        XCTAssertNil(ScheduleWords.schedule(in: "put the fan at half"))
        XCTAssertEqual(ScheduleWords.schedule(in: "close the blinds when it gets dark"), "when it gets dark")
        XCTAssertEqual(ScheduleWords.schedule(in: "once the sun sets turn on the porch light"), "once the sun sets")
        XCTAssertEqual(ScheduleWords.schedule(in: "if it drops below fifteen put the heating on"), "if it drops below")
        XCTAssertNil(ScheduleWords.schedule(in: "tell me if the shed lock is locked"), "a question, not a condition")
        XCTAssertNil(ScheduleWords.schedule(in: "switch the printer off when you get a sec"), "polite")
        XCTAssertNil(ScheduleWords.schedule(in: "if you could get the lights on"), "polite")
        XCTAssertEqual(ScheduleWords.schedule(in: "keep the lights on until i get back"), "until i get back")
        XCTAssertEqual(ScheduleWords.schedule(in: "open the blind this afternoon"), "this afternoon")
        XCTAssertEqual(ScheduleWords.schedule(in: "put the heating on tonight"), "tonight")
        XCTAssertEqual(ScheduleWords.schedule(in: "lock the door at night"), "at night")
        XCTAssertNil(ScheduleWords.schedule(in: "start the good night scene", names: ["good", "night"]))
        XCTAssertEqual(ScheduleWords.schedule(in: "turn on the lights unless it's daytime"), "unless")
        XCTAssertEqual(ScheduleWords.schedule(in: "fade the lamp over ten minutes"), "over ten minutes")
    }

    /// A command for two things is found where something the home has stands before "and" or
    /// "then" and another request follows; one request with "and" in it is not.
    func testFindsCommandsForTwoThings() throws {
        let compound = CompoundWords(catalog: try Catalog.load(), registry: Self.home())
        XCTAssertEqual(compound.secondRequest(in: "turn on the reading lamp and lock the shed lock"), "lock the shed lock")
        XCTAssertEqual(compound.secondRequest(in: "turn on the reading lamp and the box fan"), "the box fan")
        XCTAssertEqual(compound.secondRequest(in: "switch off the box fan, then the porch light"), "the porch light")
        XCTAssertEqual(compound.secondRequest(in: "lights on and music on"), "music on")
        XCTAssertNil(compound.secondRequest(in: "close and lock the shed lock"), "one target")
        XCTAssertNil(compound.secondRequest(in: "go ahead and turn the box fan off"))
        XCTAssertNil(compound.secondRequest(in: "oh and dim the reading lamp"))
        let home = Self.home()
        let withComputer = Registry(site: home.site, areas: home.areas, devices: home.devices + [
            Device(id: "den.computer", name: "computer", area: "den", type: .outlet, adapter: .tasmota(topic: "den_computer")),
        ])
        let computer = CompoundWords(catalog: try Catalog.load(), registry: withComputer)
        XCTAssertNil(computer.secondRequest(in: "computer do me a favour and turn the box fan off"), "a name in a polite opening")
        XCTAssertEqual(computer.secondRequest(in: "turn the computer off and the box fan"), "the box fan")
        XCTAssertNil(compound.secondRequest(in: "set the thermostat to twenty and a half"))
        XCTAssertNil(compound.secondRequest(in: "turn the reading lamp off and on again"))
    }

    /// A device or room named alone, or "on" and "turn it off" with no target, ask for nothing the
    /// action could be chosen from; a scene named alone and a kind of device with "on" do.
    func testFindsCommandsThatAskNothing() throws {
        let empty = EmptyRequest(catalog: try Catalog.load(), registry: Self.home())
        func reason(_ command: String, _ action: String) throws -> String? {
            empty.reason(command: command, action: try CanonicalAction(parsing: action))
        }
        XCTAssertNotNil(try reason("the reading lamp", "turn_on device=den.lamp"))
        XCTAssertNotNil(try reason("reading lamp please", "turn_on device=den.lamp"))
        XCTAssertNotNil(try reason("on", "turn_on domain=switch"))
        XCTAssertNotNil(try reason("turn it off", "turn_off domain=switch"))
        XCTAssertNil(try reason("reading lamp on", "turn_on device=den.lamp"))
        XCTAssertNil(try reason("lights on", "turn_on domain=light"))
        XCTAssertNil(try reason("lights please", "turn_on domain=light"), "a kind of device may be a verb: 'light the fire'")
        XCTAssertNil(try reason("it's pitch black in here", "turn_on domain=light"))
        XCTAssertNil(try reason("turn it up", "volume_up"))
    }

    /// A negated verb is found; polite and reminding phrasings and "i do not need" are not negations.
    func testFindsNegatedRequests() {
        XCTAssertEqual(NegationWords.negation(in: "don't turn off the lights"), "dont turn")
        XCTAssertEqual(NegationWords.negation(in: "do not open the garage door"), "do not open")
        XCTAssertEqual(NegationWords.negation(in: "never ever unlock the back door"), "never unlock")
        XCTAssertNil(NegationWords.negation(in: "i do not need the loft lamps anymore"))
        XCTAssertNil(NegationWords.negation(in: "turn on the lamp if you don't mind"))
        XCTAssertNil(NegationWords.negation(in: "don't forget to lock the front door"))
        XCTAssertNil(NegationWords.negation(in: "is the lamp not on"))
    }

    /// No action the training data generates (thousands of phrasings of every intent, each on its
    /// own random home) is refused by any check (nor for a value it does not say); most
    /// absent-name examples are.
    func testNoGeneratedActionIsRefused() throws {
        let catalog = try Catalog.load()
        let generator = TrainingDataGenerator(catalog: catalog, perRegistry: 8)
        var absentFound = 0, absentExamples = 0, unknownFound = 0
        var home: (registry: Registry, words: CapabilityWords, absent: AbsentNames, effects: EffectWords, domains: DomainWords,
                    directions: DirectionWords, compound: CompoundWords, empty: EmptyRequest, resolver: ActionResolver)?
        var siteOptions: [String: [ActionGrammar.TargetOption]] = [:]
        let count = Int(ProcessInfo.processInfo.environment["HARK_CHECKED_EXAMPLES"] ?? "") ?? 4000
        for example in generator.examples(count: count, seed: 9) {
            if home?.registry != example.registry {
                home = (example.registry, CapabilityWords(catalog: catalog, registry: example.registry),
                        AbsentNames(catalog: catalog, registry: example.registry), EffectWords(catalog: catalog, registry: example.registry),
                        DomainWords(catalog: catalog, registry: example.registry), DirectionWords(catalog: catalog, registry: example.registry),
                        CompoundWords(catalog: catalog, registry: example.registry), EmptyRequest(catalog: catalog, registry: example.registry),
                        ActionResolver(catalog: catalog, registry: example.registry))
                siteOptions = [:]
            }
            let (registry, words, absent, effects, domains, directions, compound, empty, resolver) = home!
            if example.source == "absent" {
                absentExamples += 1
                if absent.absentName(in: example.command) != nil { absentFound += 1 }
                if absent.unknownName(in: example.command) != nil { unknownFound += 1 }
            }
            guard example.intent != Catalog.noneIntent else { continue }
            let action = try CanonicalAction(parsing: example.action)
            XCTAssertNil(words.mismatch(command: example.command, action: action), "\(example.command) -> \(example.action)")
            XCTAssertNil(words.unaskedQuery(command: example.command, action: action, unexplained: effects.unexplainedWords(in: example.command)),
                         "\(example.command) -> \(example.action)")
            XCTAssertNil(absent.absentName(in: example.command), "\(example.command) -> \(example.action)")
            XCTAssertNil(absent.unknownName(in: example.command), "\(example.command) -> \(example.action)")
            XCTAssertNil(effects.unknownEffect(in: example.command), "\(example.command) -> \(example.action)")
            XCTAssertNil(effects.unsupportedOperation(in: example.command), "\(example.command) -> \(example.action)")
            XCTAssertNil(compound.secondRequest(in: example.command), "\(example.command) -> \(example.action)")
            XCTAssertNil(empty.reason(command: example.command, action: action), "\(example.command) -> \(example.action)")
            let reached = (try? resolver.resolve(action, site: example.site))?.devices ?? []
            XCTAssertNil(domains.mismatch(command: example.command, action: action, devices: reached.compactMap(registry.device(id:))),
                         "\(example.command) -> \(example.action)")
            XCTAssertNil(directions.opposite(of: action.intent, in: example.command), "\(example.command) -> \(example.action)")
            if catalog.intent(named: action.intent)?.response == nil {
                XCTAssertFalse(QuestionForm.isYesNoQuestion(example.command), "\(example.command) -> \(example.action)")
                XCTAssertFalse(QuestionForm.isOpenQuestion(example.command), "\(example.command) -> \(example.action)")
                XCTAssertNil(NegationWords.negation(in: example.command), "\(example.command) -> \(example.action)")
                XCTAssertNil(ScheduleWords.schedule(in: example.command, names: Set(registry.scenes.flatMap { $0.phrases.flatMap { $0.lowercased().split(separator: " ").map(String.init) } })),
                             "\(example.command) -> \(example.action)")
            } else if catalog.intent(named: action.intent)?.target?.capability == .onOff {
                XCTAssertTrue(QuestionForm.asksWhetherOn(example.command), "\(example.command) -> \(example.action)")
            }
            let options = siteOptions[example.site] ?? ActionGrammar.targetOptions(catalog: catalog, registry: registry, site: example.site)
            siteOptions[example.site] = options
            let evidence = MentionEvidence(command: example.command, options: options, registry: registry, catalog: catalog, weight: 1)
            XCTAssertNil(evidence.unsaidValue(of: action, catalog: catalog), "\(example.command) -> \(example.action)")
        }
        XCTAssertGreaterThan(absentExamples, 20)
        XCTAssertGreaterThan(Double(absentFound) / Double(absentExamples), 0.5)
        XCTAssertGreaterThan(Double(unknownFound) / Double(absentExamples), 0.2, "places and scenes found by where they stand")
    }
}
