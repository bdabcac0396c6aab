import Engine

/// Which part of a source a dataset holds.
public enum DatasetSplit: String, Codable, CaseIterable, Sendable {
    case train, test
}

/// Which part of a split `lzn-ingest` keeps when it holds images out for validation: all of it,
/// the images left to fit on, or the held-out images.
public enum DatasetPart: String, Codable, CaseIterable, Sendable {
    case all, fit, holdout
}

/// Provenance of a fit or holdout part: `count` images of the split were held out, chosen with
/// `seed`, and the dataset is `part` (`.fit` or `.holdout`) of it.
public struct DatasetHoldout: Equatable, Codable, Sendable {
    public var count: Int
    public var seed: UInt64
    public var part: DatasetPart

    public init(count: Int, seed: UInt64, part: DatasetPart) {
        self.count = count
        self.seed = seed
        self.part = part
    }
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
    /// Set when the dataset is the fit or holdout part of its split (nil: the whole split).
    public var holdout: DatasetHoldout?

    /// Bytes per image (`channels × height × width`).
    public var imageByteCount: Int { channels * height * width }

    /// The `split` label of metrics measured on this dataset: "validation" for images held out
    /// of their split, else the split's name (the fit part of train is still "train").
    public var metricSplit: String { holdout?.part == .holdout ? "validation" : split.rawValue }

    /// The readers validate user input before building a Dataset; inconsistent arguments here are
    /// programming errors.
    public init(images: [UInt8], count: Int, channels: Int, height: Int, width: Int,
                labels: [Int]?, classNames: [String], split: DatasetSplit, source: String, flippable: Bool,
                holdout: DatasetHoldout? = nil) {
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
        self.holdout = holdout
    }

    /// A dataset of the same origin (classes, split, source, flippability, holdout part) with other pixels.
    func withImages(_ images: [UInt8], count: Int, channels: Int, height: Int, width: Int, labels: [Int]?) -> Dataset {
        Dataset(images: images, count: count, channels: channels, height: height, width: width, labels: labels,
                classNames: classNames, split: split, source: source, flippable: flippable, holdout: holdout)
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
        return withImages(picked, count: indices.count, channels: channels, height: height, width: width,
                          labels: labels.map { all in indices.map { all[$0] } })
    }
}

extension Dataset {
    /// `size` images chosen uniformly without replacement by `Philox(seed:)`, kept in source order.
    public func subset(size: Int, seed: UInt64) -> Dataset {
        precondition(size >= 0 && size <= count, "subset: size \(size) outside 0...\(count)")
        return selecting(Self.choice(size, of: count, rng: Philox(seed: seed)))
    }

    /// One part of the split when `holdout` images are held out for validation: they are chosen
    /// uniformly without replacement by `Philox(seed:, stream: 1)` (stream 1, so the same seed as a
    /// subset's does not repeat its draws) and are the `.holdout` part; the other images are the
    /// `.fit` part. Both keep source order; together they are the whole dataset.
    public func part(_ part: DatasetPart, holdout: Int, seed: UInt64) -> Dataset {
        precondition(part != .all && holdout >= 1 && holdout < count, "part: \(part) of \(holdout) held out of \(count)")
        let held = Self.choice(holdout, of: count, rng: Philox(seed: seed, stream: 1))
        var indices = held
        if part == .fit {
            var isHeld = [Bool](repeating: false, count: count)
            for index in held { isHeld[index] = true }
            indices = (0..<count).filter { !isHeld[$0] }
        }
        var result = selecting(indices)
        result.holdout = DatasetHoldout(count: holdout, seed: seed, part: part)
        return result
    }

    /// `size` indices of `0..<count` chosen uniformly without replacement by `rng`, ascending.
    static func choice(_ size: Int, of count: Int, rng: Philox) -> [Int] {
        var rng = rng
        return rng.permutation(count).prefix(size).sorted()
    }
}
