/// Structural analysis of a template tree: which sets of slots its expansions reference ("shapes",
/// as bit masks over an intent's slot list) and how many distinct paths through the tree give each
/// set. Used by catalog validation (missing required slots, invalid target combinations, a slot
/// referenced twice) and by the expander (exact counts, uniform path sampling).
struct TemplateShapes {
    /// Slot-set mask → number of paths (saturating at Int.max).
    var counts: [UInt64: Int]
    /// Slots that some path references more than once.
    var repeatedSlots: Set<String>
    /// Slot names with no index (undeclared).
    var unknownSlots: Set<String>

    init(_ node: TemplateNode, slotIndex: [String: Int]) {
        var repeated = Set<String>(), unknown = Set<String>()
        let names = Dictionary(slotIndex.map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
        func walk(_ node: TemplateNode) -> [UInt64: Int] {
            switch node {
            case .text, .rule: return [0: 1]
            case let .slot(name):
                guard let bit = slotIndex[name] else { unknown.insert(name); return [0: 1] }
                return [UInt64(1) << UInt64(bit): 1]
            case let .optional(inner):
                return merge(walk(inner), [0: 1])
            case let .alternatives(items):
                return items.reduce(into: [UInt64: Int]()) { acc, item in acc = merge(acc, walk(item)) }
            case let .sequence(items):
                var acc: [UInt64: Int] = [0: 1]
                for item in items {
                    let next = walk(item)
                    var out: [UInt64: Int] = [:]
                    for (m1, c1) in acc {
                        for (m2, c2) in next {
                            if m1 & m2 != 0 {
                                for bit in 0..<64 where (m1 & m2) >> UInt64(bit) & 1 == 1 { if let n = names[bit] { repeated.insert(n) } }
                                continue
                            }
                            out[m1 | m2, default: 0] = saturatingAdd(out[m1 | m2, default: 0], saturatingMultiply(c1, c2))
                        }
                    }
                    acc = out
                }
                return acc
            }
        }
        counts = walk(node)
        repeatedSlots = repeated
        unknownSlots = unknown
    }

    /// Total number of paths (shapes weighted by their counts).
    var total: Int { counts.values.reduce(0, saturatingAdd) }
}

private func merge(_ a: [UInt64: Int], _ b: [UInt64: Int]) -> [UInt64: Int] {
    a.merging(b, uniquingKeysWith: saturatingAdd)
}

func saturatingAdd(_ a: Int, _ b: Int) -> Int {
    let (r, o) = a.addingReportingOverflow(b)
    return o ? Int.max : r
}

func saturatingMultiply(_ a: Int, _ b: Int) -> Int {
    let (r, o) = a.multipliedReportingOverflow(by: b)
    return o ? Int.max : r
}

extension TemplateNode {
    /// Number of distinct paths through this tree (each `(a|b)` and `[x]` a choice; slots count once).
    public var pathCount: Int {
        switch self {
        case .text, .slot, .rule: return 1
        case let .optional(inner): return saturatingAdd(inner.pathCount, 1)
        case let .alternatives(items): return items.reduce(0) { saturatingAdd($0, $1.pathCount) }
        case let .sequence(items): return items.reduce(1) { saturatingMultiply($0, $1.pathCount) }
        }
    }
}
