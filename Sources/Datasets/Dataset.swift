import Engine

/// Which part of a source a dataset holds.
public enum DatasetSplit: String, Codable, CaseIterable, Sendable {
    case train, test
}

/// An image dataset in memory: uint8 images `count × channels × height × width` (row-major,
/// channels first), optional integer labels in `0..<classNames.count`, and what it came from.
public struct Dataset: Equatable, Sendable {
    public var images: [UInt8]
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    /// One label per image, or nil for an unlabelled dataset.
    public var labels: [Int]?
    /// Names of the classes, indexed by label; empty for an unlabelled dataset.
    public var classNames: [String]
    public var split: DatasetSplit
    /// Human-readable origin (format and paths), stored in the artifact's metadata.
    public var source: String
    /// Whether a horizontal flip keeps an image in the data distribution (false for digits, text).
    public var flippable: Bool

    /// Bytes per image (`channels × height × width`).
    public var imageByteCount: Int { channels * height * width }

    /// The readers validate user input before building a Dataset; inconsistent arguments here are
    /// programming errors.
    public init(images: [UInt8], count: Int, channels: Int, height: Int, width: Int,
                labels: [Int]?, classNames: [String], split: DatasetSplit, source: String, flippable: Bool) {
        precondition(channels == 1 || channels == 3, "Dataset: channels must be 1 or 3, got \(channels)")
        precondition(count >= 0 && height > 0 && width > 0, "Dataset: bad geometry \(count)×\(channels)×\(height)×\(width)")
        precondition(images.count == count * channels * height * width,
                     "Dataset: \(images.count) bytes for \(count)×\(channels)×\(height)×\(width) images")
        if let labels {
            precondition(labels.count == count, "Dataset: \(labels.count) labels for \(count) images")
            precondition(labels.allSatisfy { $0 >= 0 && $0 < classNames.count }, "Dataset: label out of range")
        }
        self.images = images
        self.count = count
        self.channels = channels
        self.height = height
        self.width = width
        self.labels = labels
        self.classNames = classNames
        self.split = split
        self.source = source
        self.flippable = flippable
    }

    /// The pixels of image `index` (channels × height × width).
    public func image(_ index: Int) -> ArraySlice<UInt8> {
        images[(index * imageByteCount)..<((index + 1) * imageByteCount)]
    }

    /// The images at `indices`, in that order, with their labels.
    public func selecting(_ indices: [Int]) -> Dataset {
        let size = imageByteCount
        var picked = [UInt8](repeating: 0, count: indices.count * size)
        images.withUnsafeBufferPointer { src in
            picked.withUnsafeMutableBufferPointer { dst in
                for (row, index) in indices.enumerated() {
                    precondition(index >= 0 && index < count, "Dataset.selecting: index \(index) outside 0..<\(count)")
                    (dst.baseAddress! + row * size).update(from: src.baseAddress! + index * size, count: size)
                }
            }
        }
        return Dataset(images: picked, count: indices.count, channels: channels, height: height, width: width,
                       labels: labels.map { all in indices.map { all[$0] } }, classNames: classNames,
                       split: split, source: source, flippable: flippable)
    }
}

extension Dataset {
    /// `size` images chosen uniformly without replacement by `Philox(seed:)`, kept in source order.
    public func subset(size: Int, seed: UInt64) -> Dataset {
        precondition(size >= 0 && size <= count, "subset: size \(size) outside 0...\(count)")
        var rng = Philox(seed: seed)
        return selecting(rng.permutation(count).prefix(size).sorted())
    }
}
