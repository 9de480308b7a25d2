import InferenceKernels

/// Single-precision weights (norm vectors in SmolLM2's GGUF), dotted with float activations.
public enum F32 {
    public static func dequantize(_ values: UnsafeRawPointer, count: Int) -> [Float] {
        Array(UnsafeBufferPointer(start: values.assumingMemoryBound(to: Float.self), count: count))
    }
}
