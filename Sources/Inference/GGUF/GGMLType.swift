/// The tensor element types of the GGML format, by their numeric id in a GGUF file.
/// Only F32, F16, Q8_0 and Q4_1 are computed on; the rest exist to name them in errors.
public enum GGMLType: UInt32, Sendable {
    case f32 = 0, f16 = 1, q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20, iq3_s = 21, iq2_s = 22, iq4_xs = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28, iq1_m = 29, bf16 = 30
    case tq1_0 = 34, tq2_0 = 35, mxfp4 = 39

    /// Whether Hark has a dequantizer and dot kernel for this type.
    public var isSupported: Bool {
        switch self {
        case .f32, .f16, .q8_0, .q4_1: return true
        default: return false
        }
    }

    /// Elements per block and bytes per block, for the supported types.
    public var blockLayout: (elements: Int, bytes: Int)? {
        switch self {
        case .f32: return (1, 4)
        case .f16: return (1, 2)
        case .q8_0: return (Q8_0.blockElements, Q8_0.blockBytes)
        case .q4_1: return (Q4_1.blockElements, Q4_1.blockBytes)
        default: return nil
        }
    }

    public var name: String { String(describing: self).uppercased() }

    /// A type's name for an error message, also for ids this enum does not know.
    static func describe(_ raw: UInt32) -> String {
        GGMLType(rawValue: raw)?.name ?? "unknown type id \(raw)"
    }
}
