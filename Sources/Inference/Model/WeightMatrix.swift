import InferenceKernels

/// A weight matrix as a view into the mapped model file: `rows` output rows of `columns`
/// elements each, in one of the supported GGML types. Nothing is copied.
public struct WeightMatrix: @unchecked Sendable {
    public let name: String
    public let type: GGMLType
    public let rows: Int
    public let columns: Int
    public let rowBytes: Int
    public let data: UnsafeRawPointer

    /// Wraps a 1- or 2-dimensional GGUF tensor after checking its shape (GGML order: `[columns, rows]`).
    init(_ tensor: GGUFTensor, columns: Int, rows: Int, path: String) throws(GGUFError) {
        let shape = tensor.shape.count == 1 ? [tensor.shape[0], 1] : tensor.shape
        guard shape == [columns, rows] else {
            throw .tensorShape(path: path, tensor: tensor.name, expected: [columns, rows], found: tensor.shape)
        }
        guard tensor.type.isSupported else {
            throw .unsupportedTensorType(path: path, tensor: tensor.name, type: tensor.type.name)
        }
        name = tensor.name
        type = tensor.type
        self.rows = rows
        self.columns = columns
        rowBytes = tensor.byteCount / rows
        data = tensor.data
    }

    /// Whether the kernels take quantized (int8 block) activations for this matrix.
    var takesQuantizedInput: Bool { type == .q8_0 || type == .q4_1 }

    /// Dequantizes one row into `out` (`columns` floats).
    func dequantizeRow(_ row: Int, into out: UnsafeMutablePointer<Float>) {
        hk_dequantize_row(Int32(type.rawValue), data + row * rowBytes, out, Int32(columns))
    }

    /// A copy of one row as floats.
    public func row(_ row: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: columns) { buffer, count in
            dequantizeRow(row, into: buffer.baseAddress!)
            count = columns
        }
    }

    /// out[t * outStride + r] = row r . input t, for rows in `rows` and `tokens` tokens.
    func multiply(rows: Range<Int>, input: MatmulInput, tokens: Int, out: UnsafeMutablePointer<Float>, outStride: Int) {
        hk_matmul(Int32(type.rawValue), data, rowBytes, Int32(columns), Int32(rows.lowerBound), Int32(rows.upperBound),
                  input.floats, input.blocks, Int32(tokens), out, Int32(outStride))
    }
}

/// The activations a matrix product reads: floats (for F32/F16 weights) and their int8 blocks
/// (for Q8_0/Q4_1 weights), both `tokens` rows long.
struct MatmulInput {
    let floats: UnsafePointer<Float>
    let blocks: UnsafePointer<hk_q8_act>
}
