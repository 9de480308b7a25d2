import InferenceKernels

/// A weight matrix as a view into the mapped model file: `rows` output rows of `columns`
/// elements each, in one of the supported GGML types. Nothing is copied, except where
/// `interleaved()` makes a Q4_1 matrix's products faster with a repacked copy.
public struct WeightMatrix: @unchecked Sendable {
    public let name: String
    public let type: GGMLType
    public let rows: Int
    public let columns: Int
    public let rowBytes: Int
    public let data: UnsafeRawPointer
    /// The same Q4_1 rows interleaved eight at a time, which the products use when present.
    private var groups: InterleavedRows?

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

    /// This matrix with its rows also interleaved eight at a time (`hk_block_q4_1x8`), so that a
    /// product computes eight rows per instruction and unpacks each weight once per tile of
    /// tokens; the matrix itself when it is not Q4_1 or its rows are not a multiple of eight.
    /// The mapped rows' pages are given back to the file afterwards (the copy replaces them).
    public func interleaved() -> WeightMatrix {
        guard type == .q4_1, rows % 8 == 0, columns % 32 == 0, groups == nil else { return self }
        var copy = self
        copy.groups = InterleavedRows(self)
        MappedFile.releasePages(data, count: rows * rowBytes)
        return copy
    }

    /// out[t * outStride + r] = row r . input t, for rows in `rows` and `tokens` tokens.
    func multiply(rows: Range<Int>, input: MatmulInput, tokens: Int, out: UnsafeMutablePointer<Float>, outStride: Int) {
        if let groups, rows.lowerBound % 8 == 0, rows.upperBound % 8 == 0 {
            hk_matmul_q4_1x8(groups.blocks, Int32(columns), Int32(rows.lowerBound), Int32(rows.upperBound), input.blocks,
                             Int32(tokens), out, Int32(outStride))
            return
        }
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

/// A Q4_1 matrix's rows interleaved eight at a time (`hk_repack_q4_1x8`); owns the copy.
final class InterleavedRows: @unchecked Sendable {
    let blocks: UnsafeMutablePointer<hk_block_q4_1x8>

    init(_ matrix: WeightMatrix) {
        let count = matrix.rows / 8 * (matrix.columns / 32)
        blocks = .allocate(capacity: count)
        hk_repack_q4_1x8(matrix.data, matrix.rowBytes, Int32(matrix.rows), Int32(matrix.columns), blocks)
    }

    deinit { blocks.deallocate() }
}
