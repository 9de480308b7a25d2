import InferenceKernels

/// GGML's Q4_1 block: 32 weights as an fp16 scale `d`, an fp16 minimum `m` and 16 bytes of
/// nibbles; weight j is `d * q_j + m` with q_j in the low nibble of byte j for j < 16 and in the
/// high nibble of byte j-16 otherwise (ggml-common.h, `block_q4_1`).
/// Its dot kernel multiplies the unsigned nibbles with int8-quantized activations and adds
/// `m * sum(activations)` per block (`hk_q8_act.s`), as ggml's `vec_dot_q4_1_q8_1` does.
public enum Q4_1 {
    public static let blockElements = 32
    public static let blockBytes = MemoryLayout<hk_block_q4_1>.size  // 20

    /// Dequantizes `count` weights (a multiple of 32) starting at `blocks`.
    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            hk_dequantize_row(Int32(HK_Q4_1), blocks, buffer.baseAddress, Int32(count))
            initialized = count
        }
    }
}
