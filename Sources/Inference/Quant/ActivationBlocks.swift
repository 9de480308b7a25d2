import InferenceKernels

/// Activations quantized to int8 per 32 values (scale and scaled sum per block), the input the
/// Q8_0 and Q4_1 kernels take. One buffer holds up to `tokens` rows of `width` values.
struct ActivationBlocks: ~Copyable {
    let width: Int
    let blocksPerRow: Int
    let pointer: UnsafeMutablePointer<hk_q8_act>

    init(width: Int, tokens: Int) {
        precondition(width % 32 == 0, "activation width \(width) is not a multiple of 32")
        self.width = width
        self.blocksPerRow = width / 32
        self.pointer = .allocate(capacity: blocksPerRow * max(tokens, 1))
    }

    deinit { pointer.deallocate() }

    /// Quantizes `tokens` rows of `width` floats.
    func quantize(_ x: UnsafePointer<Float>, tokens: Int) {
        hk_quantize_act(x, pointer, Int32(width * tokens))
    }
}
