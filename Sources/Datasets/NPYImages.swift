import ArrayFormats

// Images exported from Python as `.npy`: uint8 N×H×W, N×H×W×C or N×C×H×W (C = 1 or 3), or the same
// shapes in float32/float64 with values in [0, 1]; labels optionally in a second integer `.npy`.

enum NPYImages {
    static func readArray(_ path: String) throws -> NDArray {
        switch SourceFile.kind(of: path) {
        case .missing: throw DatasetError.notFound(path: path)
        case .file: break
        default: throw DatasetError.unreadable(path: path, reason: "not a regular file")
        }
        do {
            return try NPY.read(contentsOf: path)
        } catch ArrayFormatError.npy(let problem) {
            throw DatasetError.npy(problem)
        }
    }

    /// Layout of a 4-D array: channels at axis 1 when that axis is 1 or 3, else at axis 3.
    static func geometry(_ shape: [Int], file: String) throws -> (count: Int, channels: Int, height: Int, width: Int, channelsLast: Bool) {
        let supported = "images must be N×H×W, N×H×W×C or N×C×H×W with C = 1 or 3, got shape \(shape)"
        let g: (Int, Int, Int, Int, Bool)
        switch shape.count {
        case 3: g = (shape[0], 1, shape[1], shape[2], false)
        case 4 where shape[1] == 1 || shape[1] == 3: g = (shape[0], shape[1], shape[2], shape[3], false)
        case 4 where shape[3] == 1 || shape[3] == 3: g = (shape[0], shape[3], shape[1], shape[2], true)
        default: throw DatasetError.unsupported(file: file, what: supported)
        }
        guard g.0 > 0 else { throw DatasetError.malformed(file: file, what: "holds no images (shape \(shape))") }
        guard g.2 > 0, g.3 > 0 else { throw DatasetError.unsupported(file: file, what: supported) }
        return g
    }

    /// The pixel bytes in the array's own layout; floats must lie in [0, 1] and map to round(255·x).
    static func pixelBytes(_ array: NDArray, file: String) throws -> [UInt8] {
        switch array.dtype {
        case .uint8:
            return array.bytes
        case .float32, .float64:
            let width = array.dtype.byteSize, n = array.count
            var pixels = [UInt8](repeating: 0, count: n)
            var bad: (index: Int, value: Double)?
            array.bytes.withUnsafeBytes { raw in
                pixels.withUnsafeMutableBufferPointer { out in
                    for i in 0..<n {
                        let v = width == 4 ? Double(raw.loadUnaligned(fromByteOffset: 4 * i, as: Float.self))
                                           : raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)
                        guard v >= 0 && v <= 1 else { bad = (i, v); return }
                        out[i] = UInt8((v * 255).rounded())
                    }
                }
            }
            if let bad {
                throw DatasetError.invalidPixels(file: file, what: "element \(bad.index) is \(bad.value); floats must lie in [0, 1]")
            }
            return pixels
        case .int32, .int64:
            throw DatasetError.unsupported(file: file, what: "image dtype \(array.dtype); use uint8 or float in [0, 1]")
        }
    }

    static func readLabels(_ path: String, count: Int, imagesPath: String, classCount: Int?) throws -> (labels: [Int], classCount: Int) {
        let array = try readArray(path)
        guard array.shape.count == 1 else {
            throw DatasetError.unsupported(file: path, what: "labels must be one-dimensional, got shape \(array.shape)")
        }
        guard array.dtype == .uint8 || array.dtype == .int32 || array.dtype == .int64 else {
            throw DatasetError.unsupported(file: path, what: "label dtype \(array.dtype); use an integer dtype")
        }
        guard array.shape[0] == count else {
            throw DatasetError.countMismatch(images: imagesPath, imageCount: count, labels: path, labelCount: array.shape[0])
        }
        let labels = array.ints()
        let classes = classCount ?? min((labels.max() ?? 0) + 1, Ingest.maxClassCount)
        try checkLabels(labels, classCount: classes, file: path)
        return (labels, classes)
    }

    static func load(images path: String, labels labelPath: String?, classCount: Int?, split: DatasetSplit,
                     flippable: Bool) throws -> Dataset {
        let array = try readArray(path)
        let g = try geometry(array.shape, file: path)
        var pixels = try pixelBytes(array, file: path)
        if g.channelsLast {
            pixels = pixels.withUnsafeBufferPointer { PixelLayout.channelsFirst($0, channels: g.channels, plane: g.height * g.width) }
        }
        var labels: [Int]?
        var classNames: [String] = []
        if let labelPath {
            let read = try readLabels(labelPath, count: g.count, imagesPath: path, classCount: classCount)
            labels = read.labels
            classNames = (0..<read.classCount).map(String.init)
        }
        let source = "npy: " + ([path] + (labelPath.map { [$0] } ?? [])).joined(separator: ", ")
        return Dataset(images: pixels, count: g.count, channels: g.channels, height: g.height, width: g.width,
                       labels: labels, classNames: classNames, split: split, source: source, flippable: flippable)
    }
}
