import Intents
import MQTT

/// One MQTT publish (QoS 1, not retained) the hub makes.
public struct OutgoingMessage: Sendable, Equatable {
    public var topic: String
    public var payload: [UInt8]
    public init(topic: String, payload: [UInt8]) {
        self.topic = topic
        self.payload = payload
    }
}

/// Where the hub's messages go: the MQTT client in the daemon, a recorder in unit tests.
public protocol MessagePublisher: Sendable {
    /// Publishes with QoS 2; throws when the message cannot even be queued (outbox full, stopped).
    func publish(_ message: OutgoingMessage) throws
}

extension MQTTClient: MessagePublisher {
    /// Device commands and Hark's own messages go out with QoS 2: a command whose acknowledgement
    /// was lost when the broker stopped is not delivered twice (QoS 1 would resend it, and a
    /// relative command such as "brighter" would then act twice).
    public func publish(_ message: OutgoingMessage) throws {
        try publish(topic: message.topic, payload: message.payload, qos: .exactlyOnce, retain: false)
    }
}

/// Hark's own topics (DESIGN.md section 3).
public enum HarkTopic {
    public static let textFilter = "hark/+/text"
    /// Push-to-talk: a message here opens listening at `<site>` without the wake phrase.
    public static let listenFilter = "hark/+/listen"
    public static func listen(_ site: String) -> String { "hark/\(site)/listen" }
    public static func text(_ site: String) -> String { "hark/\(site)/text" }
    public static func action(_ site: String) -> String { "hark/\(site)/action" }
    public static func error(_ site: String) -> String { "hark/\(site)/error" }
    public static func response(_ site: String) -> String { "hark/\(site)/response" }
    public static func stats(_ site: String) -> String { "hark/\(site)/stats" }

    /// `{"id":…,"error":"<input topic>: <reason>"}`; `id` is null when the input had none.
    public static func errorPayload(id: String?, origin: String, reason: String) -> JSON {
        .make(["id": id.map(JSON.string) ?? .null, "error": .string("\(origin): \(reason)")])
    }
}

/// What became of a routed action.
public enum RouteOutcome: Sendable, Equatable {
    /// The device commands were published, then the action.
    case performed([DeviceCommand])
    /// A state query: the action and the answer were published.
    case answered(QueryAnswer)
    /// Nothing reached a device; an error naming `reason` was published.
    case rejected(reason: String)
}

/// The answer to a state query, published on `hark/<site>/response`.
public struct QueryAnswer: Sendable, Equatable {
    /// One sentence per device, from the intent's `response` template.
    public var text: String
    /// Device id → its raw last known state (`null` when nothing was received from it).
    public var state: [JSON.Member]

    public func payload(id: String) -> JSON { .make(["id": .string(id), "text": .string(text), "state": .object(state)]) }
}

/// Takes resolved actions to the devices: expands scenes, asks each device's adapter for its
/// publishes (all of them first: if any device cannot perform the action, nothing is published),
/// publishes them (QoS 1), then the Action JSON on `hark/<site>/action`. State queries are
/// answered from `DeviceStateStore` on `hark/<site>/response` instead.
///
/// Confirmation: a speech-sourced action that reaches a device whose policy asks for confirmation
/// (`needsConfirmation`) is not performed; `hark/<site>/error` gets reason
/// `confirmation required: …`. A spoken confirm dialogue is out of scope for now: the user repeats
/// the command as text (or through Hermes), which is trusted.
public struct ActionRouter: Sendable {
    public let catalog: Catalog
    public let registry: Registry
    public let adapters: AdapterSet
    public let settings: AdapterSettings
    public let states: DeviceStateStore
    private let resolver: ActionResolver

    public init(catalog: Catalog, registry: Registry, settings: AdapterSettings, states: DeviceStateStore? = nil) {
        self.catalog = catalog
        self.registry = registry
        self.settings = settings
        adapters = AdapterSet(settings: settings)
        self.states = states ?? DeviceStateStore(registry: registry, adapters: AdapterSet(settings: settings))
        resolver = ActionResolver(catalog: catalog, registry: registry)
    }

    /// True for intents answered from device state (they have a `response` template).
    public func isQuery(_ intent: String) -> Bool { catalog.intent(named: intent)?.response != nil }

    // MARK: - Planning (pure)

    /// Every publish that performs `action`, in device order. Throws, publishing nothing, when any
    /// reached device (or scene) cannot perform it.
    public func plan(_ action: ResolvedAction) throws(DeviceActionError) -> [DeviceCommand] {
        if let sceneID = action.slots["scene"]?.id, let intent = catalog.intent(named: action.intent),
           intent.slot(named: "scene")?.type == .scene {
            return try planScene(sceneID, site: action.site)
        }
        let operation = DeviceOperation(intent: action.intent, slots: action.slots, catalog: catalog, settings: settings)
        var commands: [DeviceCommand] = []
        for id in action.devices {
            guard let device = registry.device(id: id) else {
                throw DeviceActionError(target: "device '\(id)'", intent: action.intent, reason: "it is not in the registry")
            }
            let request = DeviceRequest(intent: action.intent, slots: action.slots, operation: operation, device: device,
                                        state: states.state(of: id))
            commands += try adapters.adapter(for: device.adapter).commands(for: request)
        }
        return commands
    }

    private func planScene(_ id: String, site: String?) throws(DeviceActionError) -> [DeviceCommand] {
        guard let scene = registry.scene(id: id) else {
            throw DeviceActionError(target: "scene '\(id)'", intent: "activate_scene", reason: "it is not in the registry")
        }
        if let address = scene.adapter {
            return try adapters.adapter(for: address).sceneCommands(for: scene)
        }
        var commands: [DeviceCommand] = []
        for step in scene.actions {
            let resolved: ResolvedAction
            do { resolved = try resolver.resolve(step, site: scene.area ?? site) } catch {
                throw DeviceActionError(target: "scene '\(id)'", intent: "activate_scene", reason: "its action '\(step)' is invalid: \(error)")
            }
            if isQuery(resolved.intent) { continue }
            commands += try plan(resolved)
        }
        return commands
    }

    /// The answer to a state query from the devices' last known state.
    public func answer(_ action: ResolvedAction) -> QueryAnswer {
        let intent = catalog.intent(named: action.intent)
        let source = intent?.response?.source ?? "{target} is {state}."
        let placeholders = intent?.response?.placeholders ?? ["target", "state"]
        // A query about a place ("what's the temperature in the office": the intent's target may
        // be omitted and no device was named) is answered by the devices that know, in the
        // area's name when one device answers; a query about devices answers for each of them.
        let aboutPlace = action.slots["device"] == nil && intent?.target?.optional == true
        var answering = action.devices
        if aboutPlace {
            let knowing = action.devices.filter { id in
                guard let known = states.state(of: id) else { return false }
                return placeholders.allSatisfy { $0 == "target" || action.slots[$0] != nil || Self.stateText($0, known) != nil }
            }
            if !knowing.isEmpty { answering = knowing }
        }
        let placeAnswer = aboutPlace && answering.count == 1
        var sentences: [String] = []
        var state: [JSON.Member] = []
        for id in answering {
            guard let device = registry.device(id: id) else { continue }
            let known = states.state(of: id)
            state.append(JSON.Member(id, known?.rawJSON ?? .null))
            let target = placeAnswer ? (registry.area(id: device.area)?.name ?? device.name) : device.name
            var values: [String: String] = ["target": target]
            var missing: String?
            for name in placeholders where name != "target" {
                if let slot = action.slots[name] {
                    values[name] = spoken(slot, slot: name)
                } else if let value = known.flatMap({ Self.stateText(name, $0) }) {
                    values[name] = value
                } else if missing == nil {
                    missing = name
                }
            }
            if let missing {
                let what = missing == "state" ? "the state" : "the \(missing.replacingOccurrences(of: "_", with: " "))"
                sentences.append(Self.capitalized("I don't know \(what) of \(device.name) yet: nothing has been received from it."))
            } else {
                sentences.append(Self.capitalized(Self.fill(source, values)))
            }
        }
        if sentences.isEmpty { sentences.append("No device answers that.") }
        return QueryAnswer(text: sentences.joined(separator: " "), state: state)
    }

    /// A state field as words: `state` → on/off (or open/closed, playing/paused), `lock_state` →
    /// locked/unlocked, numbers without a needless `.0`, else the raw field of that name.
    static func stateText(_ name: String, _ s: DeviceState) -> String? {
        switch name {
        case "state":
            if let power = s.power { return power ? "on" : "off" }
            if let open = s.open { return open ? "open" : "closed" }
            if let playing = s.playing { return playing ? "playing" : "paused" }
            if let locked = s.locked { return locked ? "locked" : "unlocked" }
            return nil
        case "lock_state": return s.locked.map { $0 ? "locked" : "unlocked" }
        case "temperature": return s.temperature.map(Units.text)
        case "humidity": return s.humidity.map(Units.text)
        case "setpoint": return s.setpoint.map(Units.text)
        case "brightness": return s.brightness.map(String.init)
        case "position": return s.position.map(String.init)
        case "volume": return s.volume.map(String.init)
        case "speed", "fan_speed": return s.fanSpeed
        default:
            guard let raw = s.rawValue(name) else { return nil }
            return raw.stringValue ?? raw.description
        }
    }

    private func spoken(_ value: SlotValue, slot: String) -> String {
        switch value {
        case let .number(n): return n.description
        case let .id(id):
            if let device = registry.device(id: id) { return device.name }
            if let area = registry.area(id: id) { return area.name }
            if let scene = registry.scene(id: id) { return scene.name }
            return id.replacingOccurrences(of: "_", with: " ")
        }
    }

    static func capitalized(_ s: String) -> String { s.prefix(1).uppercased() + s.dropFirst() }

    /// `{name}` placeholders replaced by `values` (unknown ones left as written).
    static func fill(_ source: String, _ values: [String: String]) -> String { ResponseTemplate.fill(source, values) }

    // MARK: - Routing (publishes)

    /// Performs (or answers, or refuses) `resolved`, whose record is `action`, publishing through
    /// `publisher`. `origin` names where the command came from (its input topic) in errors.
    public func route(_ resolved: ResolvedAction, action: Action, origin: String, publisher: any MessagePublisher) -> RouteOutcome {
        let site = action.site
        func reject(_ reason: String) -> RouteOutcome {
            try? publisher.publish(OutgoingMessage(
                topic: HarkTopic.error(site), payload: HarkTopic.errorPayload(id: action.id, origin: origin, reason: reason).bytes))
            return .rejected(reason: reason)
        }
        if action.source == .speech && resolved.needsConfirmation {
            let devices = resolved.devices.filter { registry.device(id: $0)?.policy.confirm == true }
            return reject("confirmation required: \(devices.joined(separator: ", ")) \(devices.count == 1 ? "asks" : "ask") for confirmation of voice commands; send the command as text to confirm it")
        }
        let actionMessage = OutgoingMessage(topic: HarkTopic.action(site), payload: Array(action.jsonLine.utf8))
        if isQuery(resolved.intent) {
            let answer = self.answer(resolved)
            do {
                try publisher.publish(actionMessage)
                try publisher.publish(OutgoingMessage(topic: HarkTopic.response(site), payload: answer.payload(id: action.id).bytes))
            } catch {
                return reject("cannot publish the answer: \(error)")
            }
            return .answered(answer)
        }
        let commands: [DeviceCommand]
        do { commands = try plan(resolved) } catch { return reject(error.description) }
        for (i, command) in commands.enumerated() {
            do { try publisher.publish(OutgoingMessage(topic: command.topic, payload: command.payload)) } catch {
                return reject("published \(i) of \(commands.count) device commands, then: \(error)")
            }
        }
        do { try publisher.publish(actionMessage) } catch {
            return reject("device commands published, but not the action record: \(error)")
        }
        return .performed(commands)
    }
}
