import InferenceKernels

/// GGML's Q8_0 block: 32 weights as an fp16 scale `d` and 32 signed bytes; weight j is
/// `d * q_j` (ggml-common.h, `block_q8_0`). SmolLM2's `token_embd` (embedding and tied output
/// head) is stored this way. The dot kernel works on int8 activations, taking |w| and
/// sign(w)*a so that the unsigned-by-signed VNNI product applies.
public enum Q8_0 {
    public static let blockElements = 32
    public static let blockBytes = MemoryLayout<hk_block_q8_0>.size  // 34

    public static func dequantize(_ blocks: UnsafeRawPointer, count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            hk_dequantize_row(Int32(HK_Q8_0), blocks, buffer.baseAddress, Int32(count))
            initialized = count
        }
    }
}
