import ArrayFormats

/// Everything that can be wrong with a dataset source. Each case names the file (or folder or
/// parameter) and what is wrong with it; `description` is the message users see.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case notFound(path: String)
    case unreadable(path: String, reason: String)
    case corruptGzip(file: String, GzipProblem)
    case npy(NPYProblem)
    case wrongMagic(file: String, found: UInt32, expected: UInt32)
    case truncated(file: String, expectedBytes: Int, actualBytes: Int)
    case overLong(file: String, expectedBytes: Int, actualBytes: Int)
    case countMismatch(images: String, imageCount: Int, labels: String, labelCount: Int)
    case labelOutOfRange(file: String, index: Int, label: Int, classCount: Int)
    case unsupported(file: String, what: String)
    case invalidPixels(file: String, what: String)
    case corruptImage(file: String, reason: String)
    /// libjpeg's message (or the codec's own) for bytes that are not a JPEG it can read or write;
    /// readers of a file report it as `corruptImage` naming the file.
    case jpeg(message: String)
    case emptyFolder(path: String)
    case malformed(file: String, what: String)
    case invalidParameter(name: String, what: String)

    public var description: String {
        switch self {
        case let .notFound(path): return "\(path): no such file or folder"
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        case let .corruptGzip(file, problem): return "\(file): \(problem)"
        case let .npy(problem): return problem.description
        case let .wrongMagic(file, found, expected):
            return "\(file): wrong magic number \(hex(found)) (expected \(hex(expected)))"
        case let .truncated(file, expected, actual):
            return "\(file): truncated: \(actual) bytes, the header declares \(expected)"
        case let .overLong(file, expected, actual):
            return "\(file): over-long: \(actual) bytes, the header declares \(expected) (\(actual - expected) extra)"
        case let .countMismatch(images, imageCount, labels, labelCount):
            return "\(images) holds \(imageCount) images but \(labels) holds \(labelCount) labels"
        case let .labelOutOfRange(file, index, label, classCount):
            return "\(file): label \(label) of sample \(index) is outside 0..<\(classCount)"
        case let .unsupported(file, what): return "\(file): unsupported: \(what)"
        case let .invalidPixels(file, what): return "\(file): invalid pixel values: \(what)"
        case let .corruptImage(file, reason): return "\(file): corrupt or truncated image: \(reason)"
        case let .jpeg(message): return message
        case let .emptyFolder(path): return "\(path): no images found"
        case let .malformed(file, what): return "\(file): \(what)"
        case let .invalidParameter(name, what): return "parameter \(name): \(what)"
        }
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
