import Intents
import Synchronization

/// The last known state of every registry device, fed by the messages on their state topics.
///
/// Bounded by construction: one `DeviceState` per registry device, whose raw fields are replaced
/// key by key (a device that invents new keys forever is capped at `maximumRawFields`).
public final class DeviceStateStore: Sendable {
    /// Topic → the devices whose state it carries (usually one).
    private let routes: [String: [Device]]
    private let adapters: AdapterSet
    private let states = Mutex<[String: DeviceState]>([:])
    static let maximumRawFields = 64

    /// With `previous` (a reload), devices whose state topics are unchanged keep their last known
    /// state: the broker does not resend retained state on a subscription that stays.
    public init(registry: Registry, adapters: AdapterSet, keepingStatesOf previous: DeviceStateStore? = nil) {
        var routes: [String: [Device]] = [:]
        var topicsByDevice: [String: [String]] = [:]
        for device in registry.devices {
            let topics = adapters.adapter(for: device.adapter).stateTopics(for: device)
            topicsByDevice[device.id] = Array(Set(topics)).sorted()
            for topic in topics { routes[topic, default: []].append(device) }
        }
        self.routes = routes
        self.adapters = adapters
        if let previous {
            let kept = previous.states.withLock { $0 }.filter { id, _ in
                guard let topics = topicsByDevice[id], !topics.isEmpty else { return false }
                return topics == previous.stateTopics(of: id)
            }
            states.withLock { $0 = kept }
        }
    }

    /// The state topics `deviceID` is followed on, sorted.
    func stateTopics(of deviceID: String) -> [String] {
        routes.filter { $0.value.contains { $0.id == deviceID } }.keys.sorted()
    }

    /// Every state topic to subscribe to, sorted.
    public var topics: [String] { routes.keys.sorted() }

    public func isStateTopic(_ topic: String) -> Bool { routes[topic] != nil }

    /// Applies a message on a state topic; returns the ids of the devices whose state changed.
    @discardableResult
    public func apply(topic: String, payload: [UInt8]) -> [String] {
        guard let devices = routes[topic] else { return [] }
        var changed: [String] = []
        for device in devices {
            let adapter = adapters.adapter(for: device.adapter)
            states.withLock { all in
                let current = all[device.id] ?? DeviceState()
                guard var next = adapter.updating(current, topic: topic, payload: payload, device: device), next != current else { return }
                if next.raw.count > Self.maximumRawFields { next.raw.removeFirst(next.raw.count - Self.maximumRawFields) }
                all[device.id] = next
                changed.append(device.id)
            }
        }
        return changed
    }

    /// The device's last known state; nil when nothing has been received from it.
    public func state(of deviceID: String) -> DeviceState? { states.withLock { $0[deviceID] } }
}
