import Foundation
import Yams

extension Catalog {
    /// The directory of the default home catalog shipped inside the module's resource bundle.
    public static var defaultDirectory: URL {
        Bundle.module.url(forResource: "Catalog", withExtension: nil)!
    }

    /// Loads the default catalog (unless `includeDefault` is false) and the `*.yaml`/`*.yml` files of
    /// each directory (in name order), then validates everything together. Throws every problem found.
    public static func load(directories: [URL] = [], includeDefault: Bool = true) throws(Diagnostics) -> Catalog {
        var files: [(name: String, text: String)] = []
        var problems: [Diagnostic] = []
        for dir in (includeDefault ? [defaultDirectory] : []) + directories {
            switch catalogFiles(in: dir) {
            case let .success(list): files += list
            case let .failure(d): problems.append(d)
            }
        }
        let catalog: Catalog
        do {
            catalog = try parse(files: files)
        } catch {
            throw Diagnostics(problems + error.items)
        }
        if !problems.isEmpty { throw Diagnostics(problems) }
        return catalog
    }

    /// Parses catalog files given as text (`name` is what diagnostics print) and validates them together.
    public static func parse(files: [(name: String, text: String)]) throws(Diagnostics) -> Catalog {
        var builder = CatalogBuilder()
        for file in files { builder.add(file: file.name, text: file.text) }
        return try builder.finish()
    }

    static func catalogFiles(in dir: URL) -> Result<[(name: String, text: String)], Diagnostic> {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: dir.path, isDirectory: &isDir), isDir.boolValue else {
            return .failure(Diagnostic(SourceLocation(file: dir.path, line: 1, column: 1), path: "", message: "catalog directory not found"))
        }
        let names: [String]
        do {
            names = try fm.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }.sorted()
        } catch {
            return .failure(Diagnostic(SourceLocation(file: dir.path, line: 1, column: 1), path: "", message: "cannot list catalog directory: \(error.localizedDescription)"))
        }
        var out: [(name: String, text: String)] = []
        for name in names {
            let url = dir.appendingPathComponent(name)
            guard let data = fm.contents(atPath: url.path), let text = String(data: data, encoding: .utf8) else {
                return .failure(Diagnostic(SourceLocation(file: url.path, line: 1, column: 1), path: "", message: "cannot read file as UTF-8"))
            }
            out.append((url.path, text))
        }
        return .success(out)
    }
}

/// Accumulates catalog files, then validates across files (rules, slot references, duplicates).
struct CatalogBuilder {
    private var diagnostics: [Diagnostic] = []
    private var intents: [Intent] = []
    private var rules: [String: Template] = [:]
    private var domainPhrases: [Domain: [String]] = [:]
    private var colors: [NamedColor] = []
    private var colorTemperatures: [NamedColorTemperature] = []

    static let topKeys = ["intents", "rules", "domains", "colors", "color_temps"]
    static let intentKeys = ["description", "target", "slots", "templates", "response", "keywords"]

    mutating func add(file: String, text: String) {
        var r = YAMLReader(file: file)
        defer { diagnostics += r.diagnostics }
        guard let root = r.compose(text) else {
            if r.diagnostics.isEmpty { r.error(at: SourceLocation(file: file, line: 1, column: 1), "", "empty catalog file") }
            return
        }
        guard let top = r.mapping(root, "") else { return }
        for (key, _, value) in r.checkKeys(top, "", allowed: Self.topKeys) {
            switch key {
            case "intents": readIntents(value, &r)
            case "rules": readRules(value, &r)
            case "domains": readDomains(value, &r)
            case "colors": readColors(value, &r)
            case "color_temps": readColorTemps(value, &r)
            default: break
            }
        }
    }

    // MARK: - Sections

    private mutating func readRules(_ node: Node, _ r: inout YAMLReader) {
        guard let m = r.mapping(node, "rules") else { return }
        for (keyNode, value) in m {
            guard let name = keyNode.scalar?.string else { r.error(keyNode, "rules", "rule names must be strings"); continue }
            let path = "rules.\(name)"
            guard Identifier.isSimple(name) else { r.error(keyNode, path, "invalid rule name (expected lowercase [a-z][a-z0-9_]*)"); continue }
            if let existing = rules[name] {
                r.error(keyNode, path, "rule '\(name)' is already defined at \(existing.location)")
                continue
            }
            if let t = readTemplate(value, path, &r) { rules[name] = t }
        }
    }

    private mutating func readDomains(_ node: Node, _ r: inout YAMLReader) {
        guard let m = r.mapping(node, "domains") else { return }
        for (key, _, value) in r.checkKeys(m, "domains", allowed: Domain.names) {
            let domain = Domain(rawValue: key)!
            for phrase in r.strings(value, "domains.\(key)") where !(domainPhrases[domain] ?? []).contains(phrase) {
                domainPhrases[domain, default: []].append(phrase)
            }
        }
    }

    private mutating func readColors(_ node: Node, _ r: inout YAMLReader) {
        guard let m = r.mapping(node, "colors") else { return }
        for (keyNode, value) in m {
            guard let id = keyNode.scalar?.string else { r.error(keyNode, "colors", "colour ids must be strings"); continue }
            let path = "colors.\(id)"
            guard Identifier.isSimple(id) else { r.error(keyNode, path, "invalid colour id (expected lowercase [a-z][a-z0-9_]*)"); continue }
            if colors.contains(where: { $0.id == id }) { r.error(keyNode, path, "colour '\(id)' is defined twice"); continue }
            var hexNode = value
            var phrases = [Identifier.spoken(id)]
            if let cm = value.mapping {
                let entries = r.checkKeys(cm, path, allowed: ["hex", "phrases"])
                r.requireKeys(cm, value, path, ["hex"])
                guard let h = entries.first(where: { $0.key == "hex" }) else { continue }
                hexNode = h.value
                if let p = entries.first(where: { $0.key == "phrases" }) { phrases = r.strings(p.value, "\(path).phrases") }
            }
            let hexPath = value.mapping == nil ? path : "\(path).hex"
            guard let hex = r.string(hexNode, hexPath) else { continue }
            guard Self.isHexColor(hex) else { r.error(hexNode, hexPath, "expected a colour as #RRGGBB, found '\(hex)'"); continue }
            colors.append(NamedColor(id: id, hex: hex.uppercased(), phrases: phrases))
        }
    }

    private mutating func readColorTemps(_ node: Node, _ r: inout YAMLReader) {
        guard let m = r.mapping(node, "color_temps") else { return }
        for (keyNode, value) in m {
            guard let id = keyNode.scalar?.string else { r.error(keyNode, "color_temps", "ids must be strings"); continue }
            let path = "color_temps.\(id)"
            guard Identifier.isSimple(id) else { r.error(keyNode, path, "invalid id (expected lowercase [a-z][a-z0-9_]*)"); continue }
            if colorTemperatures.contains(where: { $0.id == id }) { r.error(keyNode, path, "'\(id)' is defined twice"); continue }
            var kelvinNode = value
            var phrases = [Identifier.spoken(id)]
            if let cm = value.mapping {
                let entries = r.checkKeys(cm, path, allowed: ["kelvin", "phrases"])
                r.requireKeys(cm, value, path, ["kelvin"])
                guard let k = entries.first(where: { $0.key == "kelvin" }) else { continue }
                kelvinNode = k.value
                if let p = entries.first(where: { $0.key == "phrases" }) { phrases = r.strings(p.value, "\(path).phrases") }
            }
            let kPath = value.mapping == nil ? path : "\(path).kelvin"
            guard let kelvin = r.int(kelvinNode, kPath) else { continue }
            guard (1000...10000).contains(kelvin) else { r.error(kelvinNode, kPath, "kelvin \(kelvin) is outside 1000...10000"); continue }
            colorTemperatures.append(NamedColorTemperature(id: id, kelvin: kelvin, phrases: phrases))
        }
    }

    private mutating func readIntents(_ node: Node, _ r: inout YAMLReader) {
        guard let m = r.mapping(node, "intents") else { return }
        for (keyNode, value) in m {
            guard let name = keyNode.scalar?.string else { r.error(keyNode, "intents", "intent names must be strings"); continue }
            let path = "intents.\(name)"
            guard Identifier.isSimple(name) else { r.error(keyNode, path, "invalid intent name (expected lowercase [a-z][a-z0-9_]*)"); continue }
            if let existing = intents.first(where: { $0.name == name }) {
                r.error(keyNode, path, "intent '\(name)' is already defined at \(existing.location)")
                continue
            }
            if let intent = readIntent(name, keyNode, value, path, &r) { intents.append(intent) }
        }
    }

    private mutating func readIntent(_ name: String, _ keyNode: Node, _ node: Node, _ path: String, _ r: inout YAMLReader) -> Intent? {
        guard let m = r.mapping(node, path) else { return nil }
        let entries = r.checkKeys(m, path, allowed: Self.intentKeys)
        r.requireKeys(m, node, path, ["description", "templates"])
        var description = "", target: TargetSpec?, slots: [SlotDefinition] = [], templates: [Template] = []
        var response: ResponseTemplate?
        var keywords: [String] = []
        var targetLocation: SourceLocation?
        var templatesOK = true
        for (key, _, value) in entries {
            let p = "\(path).\(key)"
            switch key {
            case "description": description = r.nonEmptyString(value, p) ?? ""
            case "target":
                target = readTarget(value, p, &r)
                if target == nil {
                    // Keep checking templates as if the target were valid, to avoid follow-on noise.
                    target = TargetSpec(capability: .onOff, optional: true)
                    templatesOK = false
                }
                targetLocation = r.location(value)
            case "slots":
                guard let sm = r.mapping(value, p) else { continue }
                for (sk, sv) in sm {
                    guard let slotName = sk.scalar?.string else { r.error(sk, p, "slot names must be strings"); continue }
                    let sp = "\(p).\(slotName)"
                    guard Identifier.isSimple(slotName) else { r.error(sk, sp, "invalid slot name (expected lowercase [a-z][a-z0-9_]*)"); continue }
                    if slots.contains(where: { $0.name == slotName }) { r.error(sk, sp, "slot '\(slotName)' is declared twice"); continue }
                    if let slot = readSlot(slotName, sv, sp, &r) { slots.append(slot) } else {
                        // A placeholder keeps templates that use the broken slot from being reported again.
                        slots.append(SlotDefinition(name: slotName, type: .area, optional: true, location: r.location(sv)))
                        templatesOK = false
                    }
                }
            case "templates":
                let list: [Node]
                if value.scalar != nil, !r.isNull(value) { list = [value] } else if let s = r.sequence(value, p) { list = Array(s) } else { templatesOK = false; continue }
                if list.isEmpty { r.error(value, p, "an intent needs at least one template"); templatesOK = false }
                for (i, item) in list.enumerated() {
                    if let t = readTemplate(item, "\(p)[\(i)]", &r) {
                        templates.append(t)
                        templateIndices[name, default: []].append(i)
                    } else {
                        templatesOK = false
                    }
                }
            case "response":
                if let text = r.nonEmptyString(value, p) {
                    let (names, problem) = Self.responsePlaceholders(text)
                    if let problem { r.error(value, p, problem) } else { response = ResponseTemplate(source: text, placeholders: names) }
                }
            case "keywords":
                guard let list = r.sequence(value, p) else { continue }
                for (i, item) in list.enumerated() {
                    guard let word = r.nonEmptyString(item, "\(p)[\(i)]") else { continue }
                    if word != word.lowercased() || !word.allSatisfy({ $0.isLetter || $0 == "'" }) {
                        r.error(item, "\(p)[\(i)]", "a keyword is one lowercase word ('\(word)')")
                    } else if !entries.contains(where: { $0.key == "target" }) {
                        r.error(item, "\(p)[\(i)]", "keywords need a 'target:' (they refuse actions on targets of another capability)")
                    } else {
                        keywords.append(word)
                    }
                }
            default: break
            }
        }
        if let target {
            let loc = targetLocation!
            for slot in slots where TargetSpec.slotNames.contains(slot.name) {
                r.error(at: slot.location, "\(path).slots.\(slot.name)", "slot name '\(slot.name)' is reserved for the target declared by 'target:'")
            }
            slots.removeAll { TargetSpec.slotNames.contains($0.name) }
            slots.insert(contentsOf: [
                SlotDefinition(name: "device", type: .device(capability: target.capability), optional: true, isTarget: true, location: loc),
                SlotDefinition(name: "area", type: .area, optional: true, isTarget: true, location: loc),
                SlotDefinition(name: "domain", type: .domain, optional: true, isTarget: true, location: loc),
            ], at: 0)
        }
        if slots.count > 60 { r.error(node, "\(path).slots", "too many slots (at most 60)"); return nil }
        var intent = Intent(name: name, description: description, target: target, slots: slots, templates: templates,
                            response: response, location: r.location(keyNode))
        intent.keywords = keywords
        if !templatesOK { invalidIntents.insert(name) }
        return intent
    }

    /// Intents with a part that failed to parse: their "unused slot" check would only add noise.
    private var invalidIntents: Set<String> = []
    /// YAML list index of each parsed template, per intent (templates that failed to parse are left out).
    private var templateIndices: [String: [Int]] = [:]

    private func readTarget(_ node: Node, _ path: String, _ r: inout YAMLReader) -> TargetSpec? {
        var capNode = node
        var optional = false
        var capPath = path
        if let m = node.mapping {
            let entries = r.checkKeys(m, path, allowed: ["capability", "optional"])
            r.requireKeys(m, node, path, ["capability"])
            guard let c = entries.first(where: { $0.key == "capability" }) else { return nil }
            capNode = c.value
            capPath = "\(path).capability"
            if let o = entries.first(where: { $0.key == "optional" }) { optional = r.bool(o.value, "\(path).optional") ?? false }
        }
        guard let capName = r.string(capNode, capPath) else { return nil }
        guard let capability = Capability(rawValue: capName) else {
            r.error(capNode, capPath, unknownMessage("capability", capName, Capability.names))
            return nil
        }
        return TargetSpec(capability: capability, optional: optional)
    }

    private func readSlot(_ name: String, _ node: Node, _ path: String, _ r: inout YAMLReader) -> SlotDefinition? {
        var typeNode = node
        var entries: [(key: String, keyNode: Node, value: Node)] = []
        if let m = node.mapping {
            entries = r.checkKeys(m, path, allowed: ["type", "optional", "capability", "min", "max", "step", "values", "description"])
            r.requireKeys(m, node, path, ["type"])
            guard let t = entries.first(where: { $0.key == "type" }) else { return nil }
            typeNode = t.value
        }
        let typePath = node.mapping == nil ? path : "\(path).type"
        guard let typeName = r.string(typeNode, typePath) else { return nil }
        guard SlotType.names.contains(typeName) else {
            r.error(typeNode, typePath, unknownMessage("slot type", typeName, SlotType.names))
            return nil
        }
        func entry(_ key: String) -> Node? { entries.first { $0.key == key }?.value }
        // Keys that only some types accept.
        let accepted: [String: [String]] = [
            "capability": ["device"], "values": ["enum"],
            "min": ["percent", "temperature", "color_temp", "duration", "number"],
            "max": ["percent", "temperature", "color_temp", "duration", "number"],
            "step": ["temperature", "number"],
        ]
        var ok = true
        for (key, keyNode, _) in entries {
            if let types = accepted[key], !types.contains(typeName) {
                r.error(keyNode, "\(path).\(key)", "'\(key)' does not apply to slot type '\(typeName)'")
                ok = false
            }
        }
        let optional = entry("optional").flatMap { r.bool($0, "\(path).optional") } ?? false

        func intBound(_ key: String, _ def: Int?) -> Int? {
            guard let n = entry(key) else {
                if def == nil { r.error(node, "\(path).\(key)", "missing required key '\(key)' for slot type '\(typeName)'"); ok = false }
                return def
            }
            guard let v = r.int(n, "\(path).\(key)") else { ok = false; return nil }
            return v
        }
        func numBound(_ key: String, _ def: SlotNumber?) -> SlotNumber? {
            guard let n = entry(key) else {
                if def == nil { r.error(node, "\(path).\(key)", "missing required key '\(key)' for slot type '\(typeName)'"); ok = false }
                return def
            }
            guard let d = r.number(n, "\(path).\(key)") else { ok = false; return nil }
            guard let v = SlotNumber(exactly: d) else { r.error(n, "\(path).\(key)", "at most one decimal digit"); ok = false; return nil }
            return v
        }
        func checkOrder<T: Comparable>(_ lo: T, _ hi: T) -> Bool {
            if lo > hi {
                r.error(entry("min") ?? node, "\(path).min", "min \(lo) is greater than max \(hi)")
                return false
            }
            return true
        }
        func within(_ key: String, _ v: Int, _ range: ClosedRange<Int>) -> Bool {
            if range.contains(v) { return true }
            r.error(entry(key) ?? node, "\(path).\(key)", "\(v) is outside \(range.lowerBound)...\(range.upperBound) for slot type '\(typeName)'")
            return false
        }

        let type: SlotType
        switch typeName {
        case "device":
            guard let c = entry("capability") else {
                r.error(node, "\(path).capability", "a device slot needs 'capability' (one of: \(Capability.names.joined(separator: ", ")))")
                return nil
            }
            guard let capName = r.string(c, "\(path).capability") else { return nil }
            guard let cap = Capability(rawValue: capName) else {
                r.error(c, "\(path).capability", unknownMessage("capability", capName, Capability.names))
                return nil
            }
            type = .device(capability: cap)
        case "area": type = .area
        case "domain": type = .domain
        case "color": type = .color
        case "scene": type = .scene
        case "percent", "color_temp", "duration":
            let defaults: (Int, Int, ClosedRange<Int>) = typeName == "percent" ? (0, 100, 0...100)
                : typeName == "color_temp" ? (2000, 6500, 1000...10000) : (1, 86400, 0...604_800)
            guard let lo = intBound("min", defaults.0), let hi = intBound("max", defaults.1), ok,
                  within("min", lo, defaults.2), within("max", hi, defaults.2), checkOrder(lo, hi) else { return nil }
            type = typeName == "percent" ? .percent(min: lo, max: hi) : typeName == "color_temp" ? .colorTemp(min: lo, max: hi) : .duration(min: lo, max: hi)
        case "temperature", "number":
            let isTemp = typeName == "temperature"
            guard let lo = numBound("min", isTemp ? SlotNumber(5) : nil), let hi = numBound("max", isTemp ? SlotNumber(35) : nil),
                  let step = numBound("step", isTemp ? SlotNumber(tenths: 5) : SlotNumber(1)), ok else { return nil }
            if isTemp, step != SlotNumber(tenths: 5), step != SlotNumber(1) {
                r.error(entry("step") ?? node, "\(path).step", "temperature step must be 0.5 or 1, not \(step)")
                return nil
            }
            if step.tenths <= 0 { r.error(entry("step") ?? node, "\(path).step", "step must be positive"); return nil }
            guard checkOrder(lo, hi) else { return nil }
            for (key, v) in [("min", lo), ("max", hi)] where v.tenths % step.tenths != 0 {
                r.error(entry(key) ?? node, "\(path).\(key)", "\(v) is not a multiple of the step \(step)")
                return nil
            }
            type = isTemp ? .temperature(min: lo, max: hi, step: step) : .number(min: lo, max: hi, step: step)
        case "enum":
            guard let vn = entry("values") else {
                r.error(node, "\(path).values", "an enum slot needs 'values' (a list of ids, or id: [phrases])")
                return nil
            }
            var values: [EnumValue] = []
            let vpath = "\(path).values"
            if let seq = vn.sequence {
                for (i, item) in seq.enumerated() {
                    guard let id = r.string(item, "\(vpath)[\(i)]") else { continue }
                    guard Identifier.isSimple(id) else { r.error(item, "\(vpath)[\(i)]", "invalid enum value '\(id)' (expected lowercase [a-z][a-z0-9_]*)"); continue }
                    if values.contains(where: { $0.id == id }) { r.error(item, "\(vpath)[\(i)]", "value '\(id)' is listed twice"); continue }
                    values.append(EnumValue(id: id, phrases: [Identifier.spoken(id)]))
                }
            } else if let vm = vn.mapping {
                for (k, v) in vm {
                    guard let id = k.scalar?.string, Identifier.isSimple(id) else {
                        r.error(k, vpath, "invalid enum value (expected lowercase [a-z][a-z0-9_]*)")
                        continue
                    }
                    if values.contains(where: { $0.id == id }) { r.error(k, "\(vpath).\(id)", "value '\(id)' is listed twice"); continue }
                    let phrases = r.isNull(v) ? [Identifier.spoken(id)] : r.strings(v, "\(vpath).\(id)")
                    values.append(EnumValue(id: id, phrases: phrases))
                }
            } else {
                r.error(vn, vpath, "expected a list of values or a mapping of value: [phrases]")
                return nil
            }
            if values.isEmpty { r.error(vn, vpath, "an enum slot needs at least one value"); return nil }
            type = .enumeration(values)
        default: return nil
        }
        guard ok else { return nil }
        return SlotDefinition(name: name, type: type, optional: optional, location: r.location(node))
    }

    private func readTemplate(_ node: Node, _ path: String, _ r: inout YAMLReader) -> Template? {
        guard let text = r.string(node, path) else { return nil }
        let loc = r.location(node)
        do {
            return try Template(parsing: text, location: loc)
        } catch {
            let offset = (node.scalar?.style.contentOffset ?? 0) + error.offset
            let at = SourceLocation(file: loc.file, line: loc.line, column: loc.column + offset)
            r.error(at: at, path, "template '\(text)': \(error.message)")
            return nil
        }
    }

    static func responsePlaceholders(_ text: String) -> (names: [String], problem: String?) {
        var names: [String] = []
        var current: String?
        for c in text {
            if c == "{" {
                if current != nil { return ([], "response template: '{' inside a placeholder") }
                current = ""
            } else if c == "}" {
                guard let n = current else { return ([], "response template: '}' without '{'") }
                guard Identifier.isSimple(n) else { return ([], "response template: invalid placeholder '{\(n)}'") }
                if !names.contains(n) { names.append(n) }
                current = nil
            } else if current != nil {
                current!.append(c)
            }
        }
        if current != nil { return ([], "response template: unclosed '{'") }
        return (names, nil)
    }

    static func isHexColor(_ s: String) -> Bool {
        s.count == 7 && s.first == "#" && s.dropFirst().allSatisfy(\.isHexDigit)
    }

    // MARK: - Cross-file validation

    mutating func finish() throws(Diagnostics) -> Catalog {
        let inlinedRules = inlineRules()
        for i in intents.indices {
            validate(intentAt: i, rules: inlinedRules)
        }
        if !diagnostics.isEmpty { throw Diagnostics(diagnostics) }
        return Catalog(intents: intents, rules: rules, domainPhrases: domainPhrases, colors: colors, colorTemperatures: colorTemperatures)
    }

    /// Inlines rule references inside rules; reports unknown rules and cycles at the rule's location.
    private mutating func inlineRules() -> [String: TemplateNode] {
        var done: [String: TemplateNode] = [:]
        var visiting: [String] = []
        func resolve(_ name: String) -> TemplateNode? {
            if let d = done[name] { return d }
            guard let rule = rules[name] else { return nil }
            if visiting.contains(name) {
                let cycle = (visiting.drop(while: { $0 != name }) + [name]).map { "<\($0)>" }.joined(separator: " → ")
                diagnostics.append(Diagnostic(rule.location, path: "rules.\(name)", message: "rule cycle: \(cycle)"))
                return nil
            }
            visiting.append(name)
            defer { visiting.removeLast() }
            var map: [String: TemplateNode] = [:]
            for ref in rule.root.ruleNames {
                if let r = resolve(ref) { map[ref] = r } else if rules[ref] == nil {
                    diagnostics.append(Diagnostic(rule.location, path: "rules.\(name)", message: unknownMessage("rule", "<\(ref)>", rules.keys.sorted().map { "<\($0)>" })))
                }
            }
            let node = rule.root.inlining(map)
            done[name] = node
            return node
        }
        for name in rules.keys.sorted() { _ = resolve(name) }
        for name in done.keys { rules[name]!.expanded = done[name]! }
        return done
    }

    private mutating func validate(intentAt index: Int, rules inlined: [String: TemplateNode]) {
        var intent = intents[index]
        let path = "intents.\(intent.name)"
        var slotIndex: [String: Int] = [:]
        for (i, slot) in intent.slots.enumerated() { slotIndex[slot.name] = i }
        var used = Set<String>()
        var templatesValid = !invalidIntents.contains(intent.name)
        let declared = intent.slotOrder
        for (ti, template) in intent.templates.enumerated() {
            let tpath = "\(path).templates[\(templateIndices[intent.name]?[ti] ?? ti)]"
            var problems: [String] = []
            for ref in template.root.ruleNames where inlined[ref] == nil {
                if rules[ref] == nil { problems.append(unknownMessage("rule", "<\(ref)>", rules.keys.sorted().map { "<\($0)>" })) }
                else { problems.append("rule <\(ref)> is invalid") }
            }
            let expanded = template.root.inlining(inlined)
            intent.templates[ti].expanded = expanded
            let shapes = TemplateShapes(expanded, slotIndex: slotIndex)
            for name in shapes.unknownSlots.sorted() {
                var message = "template '\(template.source)' references undeclared slot '{\(name)}'"
                message += declared.isEmpty ? " (this intent declares no slots" : " (declared: \(declared.joined(separator: ", "))"
                if TargetSpec.slotNames.contains(name), intent.target == nil { message += "; add 'target:' to use {\(name)}" }
                problems.append(message + ")")
            }
            for name in shapes.repeatedSlots.sorted() {
                problems.append("template '\(template.source)' can reference slot '{\(name)}' twice in one sentence")
            }
            if expanded.canBeEmpty { problems.append("template '\(template.source)' can expand to an empty sentence") }
            if problems.isEmpty {
                problems += shapeProblems(intent, template, shapes)
            }
            for p in problems { diagnostics.append(Diagnostic(template.location, path: tpath, message: p)) }
            if !problems.isEmpty { templatesValid = false }
            for slot in expanded.slotNames { used.insert(slot) }
        }
        if templatesValid {
            for slot in intent.slots where !slot.isTarget && !used.contains(slot.name) {
                diagnostics.append(Diagnostic(slot.location, path: "\(path).slots.\(slot.name)", message: "slot '\(slot.name)' is not referenced by any template"))
            }
        }
        intents[index] = intent
    }

    /// Missing required slots and invalid target combinations, reported once per kind per template.
    private func shapeProblems(_ intent: Intent, _ template: Template, _ shapes: TemplateShapes) -> [String] {
        var out: [String] = []
        let bits = Dictionary(intent.slots.enumerated().map { ($1.name, UInt64(1) << UInt64($0)) }, uniquingKeysWith: { a, _ in a })
        for slot in intent.slots where !slot.optional && !slot.isTarget {
            if shapes.counts.keys.contains(where: { $0 & bits[slot.name]! == 0 }) {
                out.append("template '\(template.source)' can expand without required slot '{\(slot.name)}' (reference it in every alternative, or declare it 'optional: true')")
            }
        }
        guard let target = intent.target else { return out }
        let d = bits["device"]!, a = bits["area"]!, m = bits["domain"]!
        var seen = Set<String>()
        for mask in shapes.counts.keys {
            let t = mask & (d | a | m)
            var message: String?
            if t & d != 0 && t != d {
                message = "template '\(template.source)' can name a device together with an area or domain; a target is a {device}, OR an {area} with an optional {domain}, OR a {domain}"
            } else if t == 0 && !target.optional {
                message = "template '\(template.source)' can expand without a target ({device}, {area} or {domain}); reference one in every alternative, or declare 'target: {capability: \(target.capability.rawValue), optional: true}'"
            }
            if let message, seen.insert(message).inserted { out.append(message) }
        }
        return out
    }
}

func unknownMessage(_ what: String, _ value: String, _ known: [String]) -> String {
    var message = "unknown \(what) '\(value)'"
    if let hint = suggestion(for: value, among: known) { message += " (did you mean '\(hint)'?)" }
    return message + " (known: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
}
