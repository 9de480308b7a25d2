import Yams

extension Registry {
    /// Top-level config keys that belong to the daemon (`hark run`) and that the registry loader skips.
    /// This is the one list of them; every other unknown key is an error.
    public static let daemonKeys: Set<String> = ["mqtt", "audio", "speech", "parser", "logging", "hermes", "model"]

    /// Top-level keys the registry loader reads (`catalog` lists extra catalog directories).
    public static let registryKeys = ["site", "catalog", "areas", "devices", "scenes"]

    /// Parses and validates the registry part of a config document. With a `catalog`, scene actions are
    /// also resolved against it; without one only their syntax is checked. Throws every problem found.
    public static func parse(yaml: String, file: String, catalog: Catalog? = nil) throws(Diagnostics) -> Registry {
        var reader = YAMLReader(file: file)
        guard let root = reader.compose(yaml) else {
            if reader.diagnostics.isEmpty { reader.error(at: SourceLocation(file: file, line: 1, column: 1), "", "empty configuration file") }
            throw Diagnostics(reader.diagnostics)
        }
        var loader = RegistryLoader(reader: reader)
        let registry = loader.read(root, catalog: catalog)
        if !loader.reader.diagnostics.isEmpty { throw Diagnostics(loader.reader.diagnostics) }
        return registry
    }
}

/// Reads the registry keys of a composed config document, recording problems in `reader`.
struct RegistryLoader {
    var reader: YAMLReader
    /// Directories listed under `catalog:`, as written.
    var catalogDirectories: [String] = []
    /// Ambiguous names (found only when a catalog is given); not errors.
    var warnings: [Diagnostic] = []
    /// Every device name and alias with the node that wrote it, for the ambiguity check.
    var devicePhrases: [(device: String, phrase: String, path: String, node: Node)] = []

    static let areaKeys = ["id", "name", "aliases"]
    static let deviceKeys = ["id", "name", "aliases", "area", "type", "capabilities", "domain", "adapter", "policy"]
    static let sceneKeys = ["id", "name", "aliases", "area", "actions", "adapter"]

    mutating func read(_ root: Node, catalog: Catalog?) -> Registry {
        var registry = Registry(areas: [], devices: [])
        guard let top = reader.mapping(root, "") else { return registry }
        let entries = reader.checkKeys(top, "", allowed: Registry.registryKeys, ignored: Registry.daemonKeys)
        reader.requireKeys(top, root, "", ["areas", "devices"])
        func value(_ key: String) -> Node? { entries.first { $0.key == key }?.value }

        if let n = value("catalog") { catalogDirectories = reader.strings(n, "catalog") }
        if let n = value("areas") { registry.areas = readAreas(n) }
        if let n = value("devices") { registry.devices = readDevices(n, areas: registry.areas) }
        var sceneNodes: [SceneActionSource] = []
        if let n = value("scenes") { (registry.scenes, sceneNodes) = readScenes(n, areas: registry.areas) }
        if let n = value("site"), let site = reader.nonEmptyString(n, "site") {
            if registry.area(id: site) == nil {
                reader.error(n, "site", unknownMessage("area", site, registry.areas.map(\.id)))
            } else {
                registry.site = site
            }
        }
        if let catalog {
            checkSceneActions(registry, catalog, sceneNodes)
            findAmbiguousNames(registry, catalog)
        }
        return registry
    }

    /// Warns about device names that templates could also read as an area, a domain, an area plus a
    /// domain ("kitchen light" next to area "kitchen" and the light word "light") or a scene: the same
    /// sentence would then mean two different actions.
    private mutating func findAmbiguousNames(_ registry: Registry, _ catalog: Catalog) {
        var meanings: [String: String] = [:]
        for (domain, words) in catalog.domainPhrases { for w in uniquePhrases(words) { meanings[w] = "a word for the \(domain.rawValue) domain" } }
        for area in registry.areas {
            for p in area.phrases {
                meanings[p] = "the name of area '\(area.id)'"
                for (domain, words) in catalog.domainPhrases {
                    for w in uniquePhrases(words) { meanings["\(p) \(w)"] = "area '\(area.id)' plus the \(domain.rawValue) word '\(w)'" }
                }
            }
        }
        for scene in registry.scenes { for p in scene.phrases { meanings[p] = "the name of scene '\(scene.id)'" } }
        for entry in devicePhrases {
            if let meaning = meanings[entry.phrase] {
                warnings.append(Diagnostic(reader.location(entry.node), path: entry.path,
                                           message: "device '\(entry.device)' is called '\(entry.phrase)', which is also \(meaning); commands using it are ambiguous",
                                           severity: .warning))
            }
        }
    }

    // MARK: - Areas

    private mutating func readAreas(_ node: Node) -> [Area] {
        guard let seq = reader.sequence(node, "areas") else { return [] }
        if seq.isEmpty { reader.error(node, "areas", "at least one area is needed") }
        var areas: [Area] = []
        var firstLine: [String: Int] = [:]
        var phraseOwner: [String: String] = [:]
        for (i, item) in seq.enumerated() {
            let path = "areas[\(i)]"
            guard let m = reader.mapping(item, path) else { continue }
            let e = reader.checkKeys(m, path, allowed: Self.areaKeys)
            reader.requireKeys(m, item, path, ["id", "name"])
            func v(_ k: String) -> Node? { e.first { $0.key == k }?.value }
            guard let idNode = v("id"), let id = reader.nonEmptyString(idNode, "\(path).id") else { continue }
            var ok = true
            if !Identifier.isSimple(id) {
                reader.error(idNode, "\(path).id", "invalid area id '\(id)' (expected lowercase [a-z][a-z0-9_]*)")
                ok = false
            } else if let line = firstLine[id] {
                reader.error(idNode, "\(path).id", "duplicate area id '\(id)' (first defined at line \(line))")
                ok = false
            }
            let name = v("name").flatMap { reader.nonEmptyString($0, "\(path).name") }
            let aliases = v("aliases").map { reader.strings($0, "\(path).aliases") } ?? []
            guard ok, let name else { continue }
            firstLine[id] = reader.location(idNode).line
            let area = Area(id: id, name: name, aliases: aliases)
            for phrase in area.phrases {
                if let other = phraseOwner[phrase], other != id {
                    reader.error(idNode, path, "area name or alias '\(phrase)' is also used by area '\(other)'")
                } else {
                    phraseOwner[phrase] = id
                }
            }
            areas.append(area)
        }
        return areas
    }

    // MARK: - Devices

    private mutating func readDevices(_ node: Node, areas: [Area]) -> [Device] {
        guard let seq = reader.sequence(node, "devices") else { return [] }
        var devices: [Device] = []
        var firstLine: [String: Int] = [:]
        /// area id → phrase → device id, for the "one phrase per device per area" rule.
        var phrases: [String: [String: String]] = [:]
        let areaIDs = areas.map(\.id)
        for (i, item) in seq.enumerated() {
            let path = "devices[\(i)]"
            guard let m = reader.mapping(item, path) else { continue }
            let e = reader.checkKeys(m, path, allowed: Self.deviceKeys)
            reader.requireKeys(m, item, path, ["id", "name", "area", "type", "adapter"])
            func v(_ k: String) -> Node? { e.first { $0.key == k }?.value }
            var ok = true

            var id: String?
            if let n = v("id"), let s = reader.nonEmptyString(n, "\(path).id") {
                if !Identifier.isDotted(s) {
                    reader.error(n, "\(path).id", "invalid device id '\(s)' (expected lowercase ids joined by dots, like kitchen.ceiling)")
                } else if let line = firstLine[s] {
                    reader.error(n, "\(path).id", "duplicate device id '\(s)' (first defined at line \(line))")
                } else {
                    id = s
                    firstLine[s] = reader.location(n).line
                }
            }
            let name = v("name").flatMap { reader.nonEmptyString($0, "\(path).name") }
            let aliases = v("aliases").map { reader.strings($0, "\(path).aliases") } ?? []

            var area: String?
            if let n = v("area"), let s = reader.nonEmptyString(n, "\(path).area") {
                if areaIDs.contains(s) { area = s } else { reader.error(n, "\(path).area", unknownMessage("area", s, areaIDs)) }
            }
            var type: DeviceType?
            if let n = v("type"), let s = reader.nonEmptyString(n, "\(path).type") {
                type = DeviceType(rawValue: s)
                if type == nil { reader.error(n, "\(path).type", unknownMessage("device type", s, DeviceType.names)) }
            }
            var capabilities: [Capability]?
            if let n = v("capabilities") {
                let p = "\(path).capabilities"
                if let seq = reader.sequence(n, p) {
                    var caps: [Capability] = []
                    for (j, c) in seq.enumerated() {
                        guard let s = reader.nonEmptyString(c, "\(p)[\(j)]") else { ok = false; continue }
                        guard let cap = Capability(rawValue: s) else {
                            reader.error(c, "\(p)[\(j)]", unknownMessage("capability", s, Capability.names))
                            ok = false
                            continue
                        }
                        if caps.contains(cap) { reader.error(c, "\(p)[\(j)]", "capability '\(s)' is listed twice"); ok = false }
                        caps.append(cap)
                    }
                    if seq.isEmpty { reader.error(n, p, "a device needs at least one capability"); ok = false }
                    capabilities = caps
                } else { ok = false }
            }
            var domain: Domain??
            if let n = v("domain") {
                if reader.isNull(n) { domain = .some(nil) } else if let s = reader.nonEmptyString(n, "\(path).domain") {
                    if let d = Domain(rawValue: s) { domain = .some(d) } else {
                        reader.error(n, "\(path).domain", unknownMessage("domain", s, Domain.names))
                        ok = false
                    }
                }
            }
            let adapter = v("adapter").flatMap { readAdapter($0, "\(path).adapter") }
            var policy: DevicePolicy?
            if let n = v("policy"), let pm = reader.mapping(n, "\(path).policy") {
                let pe = reader.checkKeys(pm, "\(path).policy", allowed: ["confirm"])
                if let c = pe.first(where: { $0.key == "confirm" }), let b = reader.bool(c.value, "\(path).policy.confirm") {
                    policy = DevicePolicy(confirm: b)
                }
            }

            guard ok, let id, let name, let area, let type, let adapter else { continue }
            var device = Device(id: id, name: name, aliases: aliases, area: area, type: type, adapter: adapter)
            if let capabilities { device.capabilities = capabilities.sorted() }
            if let domain { device.domain = domain }
            if let policy { device.policy = policy }
            var spoken: [(phrase: String, path: String, node: Node)] = []
            if let n = v("name") { spoken.append((normalizePhrase(name), "\(path).name", n)) }
            for (j, a) in (v("aliases")?.sequence.map(Array.init) ?? v("aliases").map { [$0] } ?? []).enumerated() {
                let p = v("aliases")?.sequence == nil ? "\(path).aliases" : "\(path).aliases[\(j)]"
                if let text = a.scalar?.string, !normalizePhrase(text).isEmpty { spoken.append((normalizePhrase(text), p, a)) }
            }
            for entry in spoken {
                if let other = phrases[area]?[entry.phrase], other != id {
                    reader.error(entry.node, entry.path, "name or alias '\(entry.phrase)' is also used by device '\(other)' in area '\(area)'")
                } else {
                    phrases[area, default: [:]][entry.phrase] = id
                }
                devicePhrases.append((id, entry.phrase, entry.path, entry.node))
            }
            devices.append(device)
        }
        return devices
    }

    /// `zigbee2mqtt: name`, `tasmota: topic`, `homeassistant: domain.object`, `generic: {topic, payload, state_topic}`.
    private mutating func readAdapter(_ node: Node, _ path: String) -> Adapter? {
        guard let m = reader.mapping(node, path) else { return nil }
        let e = reader.checkKeys(m, path, allowed: Adapter.kinds)
        guard e.count == 1 else {
            if m.count == 0 {
                reader.error(node, path, "needs one adapter: \(Adapter.kinds.joined(separator: ", "))")
            } else if e.count > 1 {
                reader.error(node, path, "a device has exactly one adapter, found \(e.map(\.key).joined(separator: " and "))")
            }
            return nil
        }
        let (kind, _, value) = e[0]
        let p = "\(path).\(kind)"
        switch kind {
        case "zigbee2mqtt":
            guard let s = reader.nonEmptyString(value, p) else { return nil }
            guard Self.isTopicLevel(s, allowSlash: true) else {
                reader.error(value, p, "invalid Zigbee2MQTT friendly name '\(s)' (no '+', '#', leading or trailing '/')")
                return nil
            }
            return .zigbee2mqtt(friendlyName: s)
        case "tasmota":
            guard let s = reader.nonEmptyString(value, p) else { return nil }
            guard Self.isTopicLevel(s, allowSlash: false), !s.contains(" ") else {
                reader.error(value, p, "invalid Tasmota topic '\(s)' (one topic level: no '/', '+', '#' or spaces)")
                return nil
            }
            return .tasmota(topic: s)
        case "homeassistant":
            guard let s = reader.nonEmptyString(value, p) else { return nil }
            let parts = s.split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy { ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 } }) else {
                reader.error(value, p, "invalid Home Assistant entity id '\(s)' (expected domain.object_id, like light.kitchen)")
                return nil
            }
            return .homeAssistant(entityID: s)
        case "generic":
            guard let gm = reader.mapping(value, p) else { return nil }
            let ge = reader.checkKeys(gm, p, allowed: ["topic", "payload", "state_topic"])
            reader.requireKeys(gm, value, p, ["topic"])
            func v(_ k: String) -> Node? { ge.first { $0.key == k }?.value }
            guard let tn = v("topic"), let topic = reader.nonEmptyString(tn, "\(p).topic") else { return nil }
            guard Self.isTopicLevel(topic, allowSlash: true) else {
                reader.error(tn, "\(p).topic", "invalid MQTT topic '\(topic)' (no wildcards '+' or '#', no leading or trailing '/')")
                return nil
            }
            let payload = v("payload").flatMap { reader.nonEmptyString($0, "\(p).payload") }
            var stateTopic: String?
            if let sn = v("state_topic"), let s = reader.nonEmptyString(sn, "\(p).state_topic") {
                guard Self.isTopicLevel(s, allowSlash: true) else {
                    reader.error(sn, "\(p).state_topic", "invalid MQTT topic '\(s)'")
                    return nil
                }
                stateTopic = s
            }
            return .generic(topic: topic, payload: payload, stateTopic: stateTopic)
        default:
            return nil
        }
    }

    static func isTopicLevel(_ s: String, allowSlash: Bool) -> Bool {
        !s.contains("+") && !s.contains("#") && !s.hasPrefix("/") && !s.hasSuffix("/") && !s.contains("//")
            && (allowSlash || !s.contains("/")) && !s.unicodeScalars.contains { $0.value < 0x20 }
    }

    // MARK: - Scenes

    private mutating func readScenes(_ node: Node, areas: [Area]) -> ([Scene], [SceneActionSource]) {
        guard let seq = reader.sequence(node, "scenes") else { return ([], []) }
        var scenes: [Scene] = [], sources: [SceneActionSource] = []
        var firstLine: [String: Int] = [:]
        var phraseOwner: [String: String] = [:]
        for (i, item) in seq.enumerated() {
            let path = "scenes[\(i)]"
            guard let m = reader.mapping(item, path) else { continue }
            let e = reader.checkKeys(m, path, allowed: Self.sceneKeys)
            reader.requireKeys(m, item, path, ["id", "name"])
            func v(_ k: String) -> Node? { e.first { $0.key == k }?.value }
            var ok = true
            var id: String?
            if let n = v("id"), let s = reader.nonEmptyString(n, "\(path).id") {
                if !Identifier.isSimple(s) {
                    reader.error(n, "\(path).id", "invalid scene id '\(s)' (expected lowercase [a-z][a-z0-9_]*)")
                } else if let line = firstLine[s] {
                    reader.error(n, "\(path).id", "duplicate scene id '\(s)' (first defined at line \(line))")
                } else {
                    id = s
                    firstLine[s] = reader.location(n).line
                }
            }
            let name = v("name").flatMap { reader.nonEmptyString($0, "\(path).name") }
            let aliases = v("aliases").map { reader.strings($0, "\(path).aliases") } ?? []
            var area: String?
            if let n = v("area"), let s = reader.nonEmptyString(n, "\(path).area") {
                if areas.contains(where: { $0.id == s }) { area = s } else {
                    reader.error(n, "\(path).area", unknownMessage("area", s, areas.map(\.id)))
                    ok = false
                }
            }
            var actions: [CanonicalAction] = []
            if let n = v("actions"), let list = reader.sequence(n, "\(path).actions") {
                for (j, a) in list.enumerated() {
                    guard let text = reader.nonEmptyString(a, "\(path).actions[\(j)]") else { ok = false; continue }
                    do {
                        let action = try CanonicalAction(parsing: text)
                        actions.append(action)
                        sources.append(SceneActionSource(path: "\(path).actions[\(j)]", node: a, action: action, area: area))
                    } catch {
                        reader.error(a, "\(path).actions[\(j)]", error.description)
                        ok = false
                    }
                }
            }
            let adapter = v("adapter").flatMap { readAdapter($0, "\(path).adapter") }
            if v("actions") == nil && v("adapter") == nil {
                reader.error(item, path, "a scene needs 'actions' (canonical actions to run) or an 'adapter' that recalls it")
                ok = false
            }
            guard ok, let id, let name else { continue }
            let scene = Scene(id: id, name: name, aliases: aliases, area: area, actions: actions, adapter: adapter)
            for phrase in scene.phrases {
                if let other = phraseOwner[phrase] {
                    reader.error(item, path, "scene name or alias '\(phrase)' is also used by scene '\(other)'")
                } else {
                    phraseOwner[phrase] = id
                }
            }
            scenes.append(scene)
        }
        return (scenes, sources)
    }

    /// Resolves every syntactically valid scene action against the catalog and the finished registry.
    private mutating func checkSceneActions(_ registry: Registry, _ catalog: Catalog, _ sources: [SceneActionSource]) {
        let resolver = ActionResolver(catalog: catalog, registry: registry)
        for source in sources {
            if let intent = catalog.intent(named: source.action.intent), intent.slots.contains(where: { $0.type == .scene }) {
                reader.error(source.node, source.path, "a scene cannot activate scenes")
                continue
            }
            do { _ = try resolver.resolve(source.action, site: source.area ?? registry.site) } catch {
                reader.error(source.node, source.path, error.description)
            }
        }
    }
}

/// A scene action with where it was written, for checking once the registry is complete.
struct SceneActionSource {
    var path: String
    var node: Node
    var action: CanonicalAction
    var area: String?

}
