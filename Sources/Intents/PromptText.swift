/// The registry rendered as the fixed part of the parser's system prompt. Deterministic (registry
/// order, no timestamps) so its KV cache can be reused until the registry changes; compact because
/// every token costs prefill time. One line per device:
///
///     site: kitchen
///     areas: kitchen | living_room: living room (lounge) | bedroom
///     bedroom.lamp: bedroom lamp (bedside light) | bedroom | on_off brightness
///     scenes: movie_night: movie night (cinema)
///
/// An area or scene whose spoken name equals its id with spaces is written once.
public enum PromptText {
    public static func registry(_ registry: Registry, site: String?) -> String {
        var lines: [String] = []
        if let site = site ?? registry.site { lines.append("site: \(site)") }
        func named(_ id: String, _ name: String, _ aliases: [String]) -> String {
            let spokenName = normalizePhrase(name)
            var s = spokenName == Identifier.spoken(id) ? id : "\(id): \(spokenName)"
            let extra = uniquePhrases(aliases).filter { $0 != spokenName }
            if !extra.isEmpty { s += " (\(extra.joined(separator: ", ")))" }
            return s
        }
        lines.append("areas: " + registry.areas.map { named($0.id, $0.name, $0.aliases) }.joined(separator: " | "))
        for d in registry.devices {
            var s = "\(d.id): \(normalizePhrase(d.name))"
            let extra = uniquePhrases(d.aliases).filter { $0 != normalizePhrase(d.name) }
            if !extra.isEmpty { s += " (\(extra.joined(separator: ", ")))" }
            s += " | \(d.area) | " + d.capabilities.map(\.rawValue).joined(separator: " ")
            lines.append(s)
        }
        if !registry.scenes.isEmpty {
            lines.append("scenes: " + registry.scenes.map { named($0.id, $0.name, $0.aliases) }.joined(separator: " | "))
        }
        return lines.joined(separator: "\n")
    }
}
