#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The small numeric steps of the forward pass, each over raw buffers of `count` floats.
enum Primitives {
    /// out = x / sqrt(mean(x^2) + eps) * weight
    @inline(__always)
    static func rmsNorm(_ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, eps: Float,
                        out: UnsafeMutablePointer<Float>, count: Int) {
        var sum: Float = 0
        for i in 0..<count { sum += x[i] * x[i] }
        let scale = 1 / (sum / Float(count) + eps).squareRoot()
        for i in 0..<count { out[i] = x[i] * scale * weight[i] }
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var i = 0
        while i + 4 <= count {
            s0 += a[i] * b[i]; s1 += a[i + 1] * b[i + 1]; s2 += a[i + 2] * b[i + 2]; s3 += a[i + 3] * b[i + 3]
            i += 4
        }
        while i < count { s0 += a[i] * b[i]; i += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// In-place softmax; returns nothing, the values sum to 1 afterwards.
    @inline(__always)
    static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var maximum = -Float.infinity
        for i in 0..<count where x[i] > maximum { maximum = x[i] }
        var sum: Float = 0
        for i in 0..<count {
            let e = expf(x[i] - maximum)
            x[i] = e
            sum += e
        }
        let inverse = 1 / sum
        for i in 0..<count { x[i] *= inverse }
    }

    /// gate = silu(gate) * up
    @inline(__always)
    static func swiGLU(gate: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        for i in 0..<count {
            let g = gate[i]
            gate[i] = g / (1 + expf(-g)) * up[i]
        }
    }

    @inline(__always)
    static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }
}

/// Rotary position embedding as llama.cpp applies it to the `llama` architecture (rope type
/// NORM: adjacent pairs (x[2i], x[2i+1]) rotate by pos * base^(-2i/dims); the GGUF converter
/// permutes Q and K rows so this matches Hugging Face's half-split rotation).
struct RotaryTable: ~Copyable {
    let dimensions: Int
    let capacity: Int
    private let table: UnsafeMutablePointer<Float>  // [position][pair] (cos, sin)

    init(dimensions: Int, base: Float, capacity: Int) {
        self.dimensions = dimensions
        self.capacity = capacity
        let pairs = dimensions / 2
        table = .allocate(capacity: capacity * pairs * 2)
        for position in 0..<capacity {
            for i in 0..<pairs {
                let frequency = pow(Double(base), -2 * Double(i) / Double(dimensions))
                let angle = Double(position) * frequency
                table[(position * pairs + i) * 2] = Float(cos(angle))
                table[(position * pairs + i) * 2 + 1] = Float(sin(angle))
            }
        }
    }

    deinit { table.deallocate() }

    /// Rotates the first `dimensions` values of each of `heads` vectors of `headDim` at `position`.
    @inline(__always)
    func apply(_ x: UnsafeMutablePointer<Float>, heads: Int, headDim: Int, position: Int) {
        let pairs = dimensions / 2
        let row = table + position * pairs * 2
        for h in 0..<heads {
            let v = x + h * headDim
            for i in 0..<pairs {
                let c = row[2 * i], s = row[2 * i + 1]
                let x0 = v[2 * i], x1 = v[2 * i + 1]
                v[2 * i] = x0 * c - x1 * s
                v[2 * i + 1] = x0 * s + x1 * c
            }
        }
    }
}
