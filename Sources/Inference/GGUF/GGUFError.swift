/// Everything that can be wrong with a model file, each case naming the file and what was found.
public enum GGUFError: Error, Equatable, CustomStringConvertible {
    case fileNotFound(path: String)
    case unreadable(path: String, reason: String)
    case notGGUF(path: String, reason: String)
    case unsupportedVersion(path: String, version: UInt32)
    case truncated(path: String, offset: Int, reading: String)
    case malformed(path: String, reason: String)
    case unsupportedTensorType(path: String, tensor: String, type: String)
    case unsupportedArchitecture(path: String, architecture: String)
    case missingMetadata(path: String, key: String)
    case missingTensor(path: String, tensor: String)
    case tensorShape(path: String, tensor: String, expected: [Int], found: [Int])
    case vocabularyMismatch(path: String, reason: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "\(path): no such model file (run deploy/setup.sh to install the default model, or pass --model PATH)"
        case .unreadable(let path, let reason):
            return "\(path): cannot read the model file: \(reason)"
        case .notGGUF(let path, let reason):
            return "\(path): not a GGUF model file: \(reason)"
        case .unsupportedVersion(let path, let version):
            return "\(path): GGUF version \(version) is not supported (versions 2 and 3 are)"
        case .truncated(let path, let offset, let reading):
            return "\(path): the file is truncated: it ends at byte \(offset) while reading \(reading)"
        case .malformed(let path, let reason):
            return "\(path): malformed GGUF: \(reason)"
        case .unsupportedTensorType(let path, let tensor, let type):
            return "\(path): tensor '\(tensor)' has type \(type), which Hark does not support (F32, F16, Q8_0 and Q4_1 are)"
        case .unsupportedArchitecture(let path, let architecture):
            return "\(path): architecture '\(architecture)' is not supported (Llama-family models are)"
        case .missingMetadata(let path, let key):
            return "\(path): metadata key '\(key)' is missing"
        case .missingTensor(let path, let tensor):
            return "\(path): tensor '\(tensor)' is missing"
        case .tensorShape(let path, let tensor, let expected, let found):
            return "\(path): tensor '\(tensor)' has shape \(found), expected \(expected)"
        case .vocabularyMismatch(let path, let reason):
            return "\(path): vocabulary mismatch: \(reason)"
        }
    }
}
