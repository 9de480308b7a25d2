/// The last `capacity` values of a measurement (parse times), for percentiles.
struct LatencyWindow: Sendable {
    let capacity: Int
    private var values: [Double] = []
    private var next = 0

    init(capacity: Int) { self.capacity = capacity }

    mutating func add(_ value: Double) {
        if values.count < capacity { values.append(value) } else { values[next] = value }
        next = (next + 1) % capacity
    }

    /// The value at fraction `p` of the sorted window (nearest rank), or nil when empty.
    func percentile(_ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p + 0.5))]
    }
}
