import InferenceKernels

/// Keys and values of every past position, per layer, in fp16 (llama.cpp's default cache type; half
/// the memory of float32): layout `[layer][position][kvDim]`. Memory is reserved for `capacity`
/// positions up front but the OS backs pages only as they are written, so a short command costs
/// only what it uses.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let kvDim: Int
    public let capacity: Int
    let keys: UnsafeMutablePointer<UInt16>
    let values: UnsafeMutablePointer<UInt16>

    public init(layers: Int, kvDim: Int, capacity: Int) {
        self.layers = layers
        self.kvDim = kvDim
        self.capacity = capacity
        keys = .allocate(capacity: layers * capacity * kvDim)
        values = .allocate(capacity: layers * capacity * kvDim)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always) func key(layer: Int, position: Int) -> UnsafeMutablePointer<UInt16> {
        keys + (layer * capacity + position) * kvDim
    }

    @inline(__always) func value(layer: Int, position: Int) -> UnsafeMutablePointer<UInt16> {
        values + (layer * capacity + position) * kvDim
    }

    /// Stores one position's key and value rows (`kvDim` floats each), rounded to fp16.
    @inline(__always) func store(layer: Int, position: Int, key k: UnsafePointer<Float>, value v: UnsafePointer<Float>) {
        hk_fp32_to_fp16_row(k, key(layer: layer, position: position), Int32(kvDim))
        hk_fp32_to_fp16_row(v, value(layer: layer, position: position), Int32(kvDim))
    }

    /// A copy of positions `0..<count` of every layer, to restore later with `restore(_:)`.
    public func snapshot(count: Int) -> KVSnapshot { snapshot(positions: 0..<count) }

    /// A copy of positions `range` of every layer, to put back at the same positions later with
    /// `restore(_:at:)` (positions matter: keys carry their rotary position).
    public func snapshot(positions range: Range<Int>) -> KVSnapshot {
        precondition(range.lowerBound >= 0 && range.upperBound <= capacity, "snapshot of positions \(range) in a cache of \(capacity)")
        let count = range.count
        var keyCopy = [UInt16](repeating: 0, count: layers * count * kvDim)
        var valueCopy = keyCopy
        keyCopy.withUnsafeMutableBufferPointer { k in
            valueCopy.withUnsafeMutableBufferPointer { v in
                for layer in 0..<layers {
                    (k.baseAddress! + layer * count * kvDim).update(from: key(layer: layer, position: range.lowerBound), count: count * kvDim)
                    (v.baseAddress! + layer * count * kvDim).update(from: value(layer: layer, position: range.lowerBound), count: count * kvDim)
                }
            }
        }
        return KVSnapshot(count: count, keys: keyCopy, values: valueCopy)
    }

    /// Puts a snapshot's positions back at the start of the cache.
    public func restore(_ snapshot: KVSnapshot) { restore(snapshot, at: 0) }

    /// Puts a snapshot's positions back from position `first` on.
    public func restore(_ snapshot: KVSnapshot, at first: Int) {
        let count = snapshot.count
        precondition(first >= 0 && first + count <= capacity, "restoring \(count) positions at \(first) in a cache of \(capacity)")
        snapshot.keys.withUnsafeBufferPointer { k in
            snapshot.values.withUnsafeBufferPointer { v in
                for layer in 0..<layers {
                    key(layer: layer, position: first).update(from: k.baseAddress! + layer * count * kvDim, count: count * kvDim)
                    value(layer: layer, position: first).update(from: v.baseAddress! + layer * count * kvDim, count: count * kvDim)
                }
            }
        }
    }
}

/// Keys and values of a cache's first `count` positions (a computed prompt prefix).
public struct KVSnapshot: Sendable {
    public let count: Int
    let keys: [UInt16]
    let values: [UInt16]
    /// Memory held, in bytes.
    public var byteCount: Int { (keys.count + values.count) * MemoryLayout<UInt16>.size }
}
