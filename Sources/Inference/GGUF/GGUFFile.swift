/// A tensor's description in a GGUF file and a view of its bytes inside the mapping.
/// `shape` is in GGML order: `shape[0]` is the row length (the contiguous dimension).
public struct GGUFTensor: @unchecked Sendable {
    public let name: String
    public let shape: [Int]
    public let type: GGMLType
    /// Offset of the tensor's data from the start of the file.
    public let fileOffset: Int
    public let byteCount: Int
    public let data: UnsafeRawPointer

    public var elementCount: Int { shape.reduce(1, *) }
    public var rowLength: Int { shape.first ?? 1 }
    public var rowCount: Int { elementCount / max(rowLength, 1) }
    public var rowBytes: Int { byteCount / max(rowCount, 1) }
}

/// A parsed GGUF (v2/v3) file: its metadata and tensor views into one read-only mapping.
/// It assumes little-endian data, as GGUF files from llama.cpp's converters are.
/// Format facts from the GGUF specification in ggml's `docs/gguf.md`.
public final class GGUFFile: @unchecked Sendable {
    public let path: String
    public let version: UInt32
    /// Every metadata value except long arrays (more than `largeArrayThreshold` elements, such as
    /// the tokenizer's vocabulary and merges): those are checked when the file is opened and read
    /// from the mapping when asked for (`stringArray`, `intArray`, `arrayCount`), so that the
    /// process does not keep a second copy of a vocabulary the tokenizer holds in its own form
    /// (about 6 MB resident for SmolLM2's 49 152 tokens and 48 900 merges as `GGUFValue`s).
    public let metadata: [String: GGUFValue]
    /// Long arrays by key: element type, offset of the first element, element count.
    private let largeArrays: [String: (elementType: UInt32, offset: Int, count: Int)]
    public static let largeArrayThreshold = 256
    /// Tensors in file order.
    public let tensors: [GGUFTensor]
    public let alignment: Int
    private let mapping: MappedFile
    private let byName: [String: Int]

    static let magic: UInt32 = 0x4655_4747  // "GGUF" read as a little-endian UInt32

    public convenience init(path: String) throws(GGUFError) {
        try self.init(mapping: MappedFile(path: path))
    }

    init(mapping: MappedFile) throws(GGUFError) {
        self.mapping = mapping
        self.path = mapping.path
        var reader = ByteReader(base: mapping.base, count: mapping.count, path: mapping.path)
        guard mapping.count >= 4 else { throw .notGGUF(path: path, reason: "the file has only \(mapping.count) bytes") }
        let magic = try reader.read(UInt32.self, "the magic number")
        guard magic == Self.magic else {
            throw .notGGUF(path: path, reason: "the first four bytes are not 'GGUF'")
        }
        version = try reader.read(UInt32.self, "the version")
        guard version == 2 || version == 3 else { throw .unsupportedVersion(path: path, version: version) }
        let tensorCount = try reader.readCount("the tensor count")
        let metadataCount = try reader.readCount("the metadata count")

        var metadata: [String: GGUFValue] = [:]
        var largeArrays: [String: (elementType: UInt32, offset: Int, count: Int)] = [:]
        metadata.reserveCapacity(metadataCount)
        for index in 0..<metadataCount {
            let key = try reader.readString("the key of metadata entry \(index)")
            let rawType = try reader.read(UInt32.self, "the type of metadata '\(key)'")
            guard rawType == 9 else {
                metadata[key] = try reader.readValue(type: rawType, key: key, depth: 0)
                continue
            }
            let elementType = try reader.read(UInt32.self, "the element type of metadata '\(key)'")
            let n = try reader.readCount("the length of metadata '\(key)'")
            if n > Self.largeArrayThreshold, elementType != 9 {
                largeArrays[key] = (elementType, reader.offset, n)
                for _ in 0..<n { try reader.skipValue(type: elementType, key: key) }
            } else {
                metadata[key] = try reader.readArray(elementType: elementType, count: n, key: key, depth: 0)
            }
        }
        self.metadata = metadata
        self.largeArrays = largeArrays

        let alignment = metadata["general.alignment"]?.int ?? 32
        guard alignment > 0, alignment & (alignment - 1) == 0 else {
            throw .malformed(path: path, reason: "general.alignment \(alignment) is not a power of two")
        }
        self.alignment = alignment

        struct Info { var name: String; var shape: [Int]; var rawType: UInt32; var offset: Int }
        var infos: [Info] = []
        infos.reserveCapacity(tensorCount)
        for index in 0..<tensorCount {
            let name = try reader.readString("the name of tensor \(index)")
            let dims = Int(try reader.read(UInt32.self, "the dimension count of tensor '\(name)'"))
            guard (1...4).contains(dims) else {
                throw .malformed(path: path, reason: "tensor '\(name)' has \(dims) dimensions")
            }
            var shape: [Int] = []
            for _ in 0..<dims { shape.append(try reader.readCount("the shape of tensor '\(name)'")) }
            let rawType = try reader.read(UInt32.self, "the type of tensor '\(name)'")
            let rawOffset = try reader.read(UInt64.self, "the data offset of tensor '\(name)'")
            guard rawOffset < UInt64(Int.max / 2) else {
                throw .malformed(path: path, reason: "tensor '\(name)' has data offset \(rawOffset)")
            }
            let offset = Int(rawOffset)
            infos.append(Info(name: name, shape: shape, rawType: rawType, offset: offset))
        }
        let dataStart = (reader.offset + alignment - 1) / alignment * alignment

        var tensors: [GGUFTensor] = []
        var byName: [String: Int] = [:]
        for info in infos {
            guard let type = GGMLType(rawValue: info.rawType), let layout = type.blockLayout else {
                throw .unsupportedTensorType(path: path, tensor: info.name, type: GGMLType.describe(info.rawType))
            }
            let elements = info.shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).partialValue })
            guard info.shape[0] % layout.elements == 0 else {
                throw .malformed(path: path, reason: "tensor '\(info.name)' has rows of \(info.shape[0]) elements, not a multiple of the \(type.name) block of \(layout.elements)")
            }
            let bytes = elements / layout.elements * layout.bytes
            let start = dataStart + info.offset
            guard start + bytes <= mapping.count else {
                throw .truncated(path: path, offset: mapping.count, reading: "the data of tensor '\(info.name)' (bytes \(start)..<\(start + bytes))")
            }
            byName[info.name] = tensors.count
            tensors.append(GGUFTensor(name: info.name, shape: info.shape, type: type, fileOffset: start,
                                      byteCount: bytes, data: mapping.base + start))
        }
        self.tensors = tensors
        self.byName = byName
    }

    public func tensor(_ name: String) -> GGUFTensor? { byName[name].map { tensors[$0] } }

    /// The tensor of that name, or an error naming the file and the tensor.
    public func require(_ name: String) throws(GGUFError) -> GGUFTensor {
        guard let tensor = tensor(name) else { throw .missingTensor(path: path, tensor: name) }
        return tensor
    }

    public func requireInt(_ key: String) throws(GGUFError) -> Int {
        guard let value = metadata[key]?.int else { throw .missingMetadata(path: path, key: key) }
        return value
    }

    public func requireDouble(_ key: String) throws(GGUFError) -> Double {
        guard let value = metadata[key]?.double else { throw .missingMetadata(path: path, key: key) }
        return value
    }

    public func requireString(_ key: String) throws(GGUFError) -> String {
        guard let value = metadata[key]?.string else { throw .missingMetadata(path: path, key: key) }
        return value
    }

    /// Whether the file has metadata `key` (of any type, long arrays included).
    public func hasMetadata(_ key: String) -> Bool { metadata[key] != nil || largeArrays[key] != nil }

    /// The number of elements of metadata array `key`; nil when it is absent or not an array.
    public func arrayCount(_ key: String) -> Int? { largeArrays[key]?.count ?? metadata[key]?.array?.count }

    /// The elements of metadata array `key` (read from the mapping for a long one).
    public func array(_ key: String) throws(GGUFError) -> [GGUFValue] {
        if let large = largeArrays[key] {
            var reader = ByteReader(base: mapping.base, count: mapping.count, path: path, offset: large.offset)
            guard case let .array(values) = try reader.readArray(elementType: large.elementType, count: large.count, key: key, depth: 0) else {
                throw .malformed(path: path, reason: "'\(key)' is not an array")
            }
            return values
        }
        guard let values = metadata[key]?.array else { throw .missingMetadata(path: path, key: key) }
        return values
    }

    /// A metadata array of strings (such as `tokenizer.ggml.tokens`).
    public func stringArray(_ key: String) throws(GGUFError) -> [String] {
        let values = try array(key)
        var strings: [String] = []
        strings.reserveCapacity(values.count)
        for value in values {
            guard let s = value.string else { throw .malformed(path: path, reason: "'\(key)' holds a non-string") }
            strings.append(s)
        }
        return strings
    }

    /// A metadata array of integers (such as `tokenizer.ggml.token_type`).
    public func intArray(_ key: String) throws(GGUFError) -> [Int] {
        let values = try array(key)
        var ints: [Int] = []
        ints.reserveCapacity(values.count)
        for value in values {
            guard let i = value.int else { throw .malformed(path: path, reason: "'\(key)' holds a non-integer") }
            ints.append(i)
        }
        return ints
    }
}

/// A bounds-checked little-endian cursor over the mapped file.
struct ByteReader {
    let base: UnsafeRawPointer
    let count: Int
    let path: String
    var offset = 0

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(GGUFError) -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= count else { throw .truncated(path: path, offset: count, reading: what()) }
        let value = base.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: value)
    }

    /// A UInt64 count or size that must fit in memory; larger values mean a corrupt file.
    mutating func readCount(_ what: @autoclosure () -> String) throws(GGUFError) -> Int {
        let raw = try read(UInt64.self, what())
        guard raw <= UInt64(count) * 8 + 1 << 20 else {
            throw .malformed(path: path, reason: "\(what()) is \(raw), more than the file could hold")
        }
        return Int(raw)
    }

    mutating func readString(_ what: @autoclosure () -> String) throws(GGUFError) -> String {
        let length = try readCount(what())
        guard offset + length <= count else { throw .truncated(path: path, offset: count, reading: what()) }
        let bytes = UnsafeRawBufferPointer(start: base + offset, count: length)
        offset += length
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The `count` elements of an array of `elementType` whose element type and length were read.
    mutating func readArray(elementType: UInt32, count n: Int, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        guard depth < 4 else { throw .malformed(path: path, reason: "metadata '\(key)' nests arrays too deeply") }
        var values: [GGUFValue] = []
        values.reserveCapacity(min(n, 1 << 20))
        for _ in 0..<n { values.append(try readValue(type: elementType, key: key, depth: depth + 1)) }
        return .array(values)
    }

    /// Moves past one value of `type` (not an array), checking it as `readValue` does, without
    /// making a string of it.
    mutating func skipValue(type: UInt32, key: String) throws(GGUFError) {
        guard type == 8 else {
            _ = try readValue(type: type, key: key, depth: 0)
            return
        }
        let length = try readCount("the value of metadata '\(key)'")
        guard offset + length <= count else { throw .truncated(path: path, offset: count, reading: "the value of metadata '\(key)'") }
        offset += length
    }

    mutating func readValue(type: UInt32, key: String, depth: Int) throws(GGUFError) -> GGUFValue {
        let what = "the value of metadata '\(key)'"
        switch type {
        case 0: return .uint8(try read(UInt8.self, what))
        case 1: return .int8(try read(Int8.self, what))
        case 2: return .uint16(try read(UInt16.self, what))
        case 3: return .int16(try read(Int16.self, what))
        case 4: return .uint32(try read(UInt32.self, what))
        case 5: return .int32(try read(Int32.self, what))
        case 6: return .float32(Float(bitPattern: try read(UInt32.self, what)))
        case 7:
            let byte = try read(UInt8.self, what)
            guard byte <= 1 else { throw .malformed(path: path, reason: "metadata '\(key)' has boolean byte \(byte)") }
            return .bool(byte == 1)
        case 8: return .string(try readString(what))
        case 9:
            let elementType = try read(UInt32.self, "the element type of metadata '\(key)'")
            let n = try readCount("the length of metadata '\(key)'")
            return try readArray(elementType: elementType, count: n, key: key, depth: depth)
        case 10: return .uint64(try read(UInt64.self, what))
        case 11: return .int64(try read(Int64.self, what))
        case 12: return .float64(Double(bitPattern: try read(UInt64.self, what)))
        default:
            throw .malformed(path: path, reason: "metadata '\(key)' has unknown value type \(type)")
        }
    }
}
