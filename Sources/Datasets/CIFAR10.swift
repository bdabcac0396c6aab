import Foundation

// CIFAR-10 binary version: each record is one label byte followed by 32×32 red, then green, then
// blue bytes (already channels-first). `batches.meta.txt` lists the class names, one per line.

enum CIFAR10 {
    static let side = 32
    static let recordBytes = 1 + 3 * side * side
    static let trainFiles = (1...5).map { "data_batch_\($0).bin" }
    static let testFiles = ["test_batch.bin"]
    static let metaFile = "batches.meta.txt"
    static let defaultClassNames = ["airplane", "automobile", "bird", "cat", "deer",
                                    "dog", "frog", "horse", "ship", "truck"]

    /// The batch files and meta file for `inputs`: one folder (the extracted `cifar-10-batches-bin`),
    /// or explicit `.bin` files plus optionally a `.txt` meta file.
    static func resolve(_ inputs: [String], split: DatasetSplit) throws -> (batches: [String], meta: String?) {
        guard !inputs.isEmpty else {
            throw DatasetError.invalidParameter(name: "inputs", what: "cifar10 needs the batches folder or batch files")
        }
        if inputs.count == 1, SourceFile.kind(of: inputs[0]) == .folder {
            let folder = inputs[0]
            let names = split == .train ? trainFiles : testFiles
            let meta = SourceFile.join(folder, metaFile)
            return (names.map { SourceFile.join(folder, $0) }, SourceFile.kind(of: meta) == .missing ? nil : meta)
        }
        let metas = inputs.filter { $0.hasSuffix(".txt") }
        guard metas.count <= 1 else {
            throw DatasetError.invalidParameter(name: "inputs", what: "more than one meta file: \(metas)")
        }
        return (inputs.filter { !$0.hasSuffix(".txt") }, metas.first)
    }

    static func readClassNames(_ path: String) throws -> [String] {
        let bytes = try SourceFile.read(path)
        guard bytes.count <= 1 << 20, let text = String(validating: bytes, as: UTF8.self) else {
            throw DatasetError.malformed(file: path, what: "not a text file of class names")
        }
        let names = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard !names.isEmpty, names.count <= 256 else {
            throw DatasetError.malformed(file: path, what: "expected 1 to 256 class names, found \(names.count)")
        }
        return names
    }

    /// Reads one batch file; labels are checked against `classCount`.
    static func readBatch(_ path: String, classCount: Int) throws -> (images: [UInt8], labels: [Int]) {
        let bytes = try SourceFile.read(path)
        guard !bytes.isEmpty else { throw DatasetError.malformed(file: path, what: "holds no records") }
        guard bytes.count % recordBytes == 0 else {
            let whole = (bytes.count + recordBytes - 1) / recordBytes * recordBytes
            throw DatasetError.truncated(file: path, expectedBytes: whole, actualBytes: bytes.count)
        }
        let count = bytes.count / recordBytes
        let imageBytes = recordBytes - 1
        var images = [UInt8](repeating: 0, count: count * imageBytes)
        var labels = [Int](repeating: 0, count: count)
        bytes.withUnsafeBufferPointer { src in
            images.withUnsafeMutableBufferPointer { dst in
                for i in 0..<count {
                    labels[i] = Int(src[i * recordBytes])
                    (dst.baseAddress! + i * imageBytes).update(from: src.baseAddress! + i * recordBytes + 1, count: imageBytes)
                }
            }
        }
        try checkLabels(labels, classCount: classCount, file: path)
        return (images, labels)
    }

    static func load(_ inputs: [String], split: DatasetSplit, flippable: Bool) throws -> Dataset {
        let (batches, meta) = try resolve(inputs, split: split)
        guard !batches.isEmpty else {
            throw DatasetError.invalidParameter(name: "inputs", what: "no CIFAR-10 batch (.bin) files given")
        }
        let classNames = try meta.map(readClassNames) ?? defaultClassNames
        var images: [UInt8] = []
        var labels: [Int] = []
        for path in batches {
            let batch = try readBatch(path, classCount: classNames.count)
            images += batch.images
            labels += batch.labels
        }
        let source = "cifar10: " + (batches + (meta.map { [$0] } ?? [])).joined(separator: ", ")
        return Dataset(images: images, count: labels.count, channels: 3, height: side, width: side, labels: labels,
                       classNames: classNames, split: split, source: source, flippable: flippable)
    }
}
