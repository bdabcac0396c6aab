// IDX files (MNIST, Fashion-MNIST, EMNIST...): a big-endian header `00 00 TT DD`, DD dimension
// sizes as big-endian UInt32, then the elements. Images are unsigned bytes N×H×W, labels N.

enum IDX {
    static let unsignedByte: UInt8 = 0x08
    static let imageMagic: UInt32 = 0x0000_0803
    static let labelMagic: UInt32 = 0x0000_0801

    private static let typeNames: [UInt8: String] = [
        0x09: "signed byte", 0x0B: "int16", 0x0C: "int32", 0x0D: "float32", 0x0E: "float64",
    ]

    /// Images N×H×W as uint8 N×1×H×W bytes.
    static func readImages(_ path: String) throws -> (count: Int, height: Int, width: Int, pixels: [UInt8]) {
        let bytes = try SourceFile.readInflating(path)
        let (dims, offset) = try parseHeader(bytes, file: path, magic: imageMagic)
        guard dims[0] > 0 else { throw DatasetError.malformed(file: path, what: "holds no images") }
        guard dims[1] > 0, dims[2] > 0 else {
            throw DatasetError.unsupported(file: path, what: "image size \(dims[1])×\(dims[2])")
        }
        return (dims[0], dims[1], dims[2], Array(bytes[offset...]))
    }

    /// Labels N, each one byte.
    static func readLabels(_ path: String) throws -> [Int] {
        let bytes = try SourceFile.readInflating(path)
        let (_, offset) = try parseHeader(bytes, file: path, magic: labelMagic)
        return bytes[offset...].map { Int($0) }
    }

    /// Checks the magic number and that the file holds exactly the declared elements; returns the
    /// dimensions and where the elements start. Nothing is allocated from the declared sizes.
    static func parseHeader(_ bytes: [UInt8], file: String, magic: UInt32) throws -> (dims: [Int], offset: Int) {
        guard bytes.count >= 4 else {
            throw DatasetError.truncated(file: file, expectedBytes: 4, actualBytes: bytes.count)
        }
        let found = readUInt32(bytes, at: 0)
        let expectedType = UInt8(magic >> 8 & 0xFF), expectedRank = Int(magic & 0xFF)
        if bytes[0] == 0, bytes[1] == 0, bytes[2] != expectedType, let name = typeNames[bytes[2]] {
            throw DatasetError.unsupported(file: file, what: "IDX element type \(name); only unsigned bytes are read")
        }
        guard found == magic else { throw DatasetError.wrongMagic(file: file, found: found, expected: magic) }
        let headerBytes = 4 + 4 * expectedRank
        guard bytes.count >= headerBytes else {
            throw DatasetError.truncated(file: file, expectedBytes: headerBytes, actualBytes: bytes.count)
        }
        var dims: [Int] = []
        var expected = headerBytes
        var elements = 1
        var overflow = false
        for d in 0..<expectedRank {
            let size = Int(readUInt32(bytes, at: 4 + 4 * d))
            dims.append(size)
            let (product, o) = elements.multipliedReportingOverflow(by: size)
            elements = product
            overflow = overflow || o
        }
        let (total, o) = expected.addingReportingOverflow(elements)
        guard !overflow, !o else {
            throw DatasetError.malformed(file: file, what: "header declares impossible dimensions \(dims)")
        }
        expected = total
        if bytes.count < expected {
            throw DatasetError.truncated(file: file, expectedBytes: expected, actualBytes: bytes.count)
        }
        if bytes.count > expected {
            throw DatasetError.overLong(file: file, expectedBytes: expected, actualBytes: bytes.count)
        }
        return (dims, headerBytes)
    }

    private static func readUInt32(_ bytes: [UInt8], at i: Int) -> UInt32 {
        UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
    }

    /// A dataset from an IDX image file and an optional IDX label file.
    static func load(images imagePath: String, labels labelPath: String?, classNames: [String],
                     split: DatasetSplit, source: String, flippable: Bool) throws -> Dataset {
        let images = try readImages(imagePath)
        var labels: [Int]?
        if let labelPath {
            let read = try readLabels(labelPath)
            guard read.count == images.count else {
                throw DatasetError.countMismatch(images: imagePath, imageCount: images.count,
                                                 labels: labelPath, labelCount: read.count)
            }
            try checkLabels(read, classCount: classNames.count, file: labelPath)
            labels = read
        }
        return Dataset(images: images.pixels, count: images.count, channels: 1, height: images.height,
                       width: images.width, labels: labels, classNames: labels == nil ? [] : classNames,
                       split: split, source: source, flippable: flippable)
    }
}

/// Throws for the first label outside `0..<classCount`.
func checkLabels(_ labels: [Int], classCount: Int, file: String) throws {
    if let index = labels.firstIndex(where: { $0 < 0 || $0 >= classCount }) {
        throw DatasetError.labelOutOfRange(file: file, index: index, label: labels[index], classCount: classCount)
    }
}
