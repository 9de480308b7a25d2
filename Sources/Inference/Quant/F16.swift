import InferenceKernels

/// IEEE half-precision weights, two bytes each. Dequantized with F16C instructions where the
/// CPU has them (bit-exact conversion either way); dotted with float activations.
public enum F16 {
    public static func dequantize(_ values: UnsafeRawPointer, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            hk_dequantize_row(Int32(HK_F16), values, buffer.baseAddress, Int32(count))
            initialized = count
        }
    }

    public static func toFloat(_ bits: UInt16) -> Float { hk_fp16_to_fp32(bits) }
    public static func fromFloat(_ value: Float) -> UInt16 { hk_fp32_to_fp16(value) }
}
