/// The source formats `lzn-ingest` reads.
public enum SourceFormat: String, CaseIterable, Codable, Sendable {
    case fashionMNIST = "fashion-mnist"
    case idx
    case cifar10
    case npy
    case jpegFolder = "jpeg-folder"

    /// Whether a horizontal flip is a valid augmentation by default (digits and letters are not).
    var defaultFlippable: Bool { self != .idx }
}

/// What to ingest and how: the parameters of the ingest stage.
public struct IngestRequest: Equatable, Codable, Sendable {
    public var format: SourceFormat
    /// The files or folder the format needs: none for `fashion-mnist` (or its folder), the image file
    /// then optionally the label file for `idx` and `npy`, the batches folder or batch files (plus
    /// optionally `batches.meta.txt`) for `cifar10`, the image folder for `jpeg-folder`.
    public var inputs: [String]
    public var split: DatasetSplit
    /// Side of the square output images (shorter-side resize + centre crop); required for
    /// `jpeg-folder`, optional otherwise (nil keeps the source size).
    public var size: Int?
    /// 1 or 3; nil keeps the source's channels (3 for JPEG).
    public var channels: Int?
    /// Keep only this many images, chosen with `subsetSeed` (deterministic), in source order.
    public var subsetSize: Int?
    public var subsetSeed: UInt64
    /// Hold this many images (after the subset) out for validation, chosen with `holdoutSeed`;
    /// nil holds none out. Only for the train split, and then `part` must be `.fit` or `.holdout`.
    public var holdout: Int?
    public var holdoutSeed: UInt64
    /// Which part to keep: `.all` (no holdout), `.fit` (the images not held out) or `.holdout`.
    public var part: DatasetPart
    /// Number of classes for `idx` and `npy` labels (default 10 for idx, max label + 1 for npy).
    public var classCount: Int?
    /// Overrides whether horizontal flips are allowed (default: all formats but `idx`).
    public var flippable: Bool?

    public init(format: SourceFormat, inputs: [String] = [], split: DatasetSplit = .train, size: Int? = nil,
                channels: Int? = nil, subsetSize: Int? = nil, subsetSeed: UInt64 = 0, holdout: Int? = nil,
                holdoutSeed: UInt64 = 0, part: DatasetPart = .all, classCount: Int? = nil, flippable: Bool? = nil) {
        self.format = format
        self.inputs = inputs
        self.split = split
        self.size = size
        self.channels = channels
        self.subsetSize = subsetSize
        self.subsetSeed = subsetSeed
        self.holdout = holdout
        self.holdoutSeed = holdoutSeed
        self.part = part
        self.classCount = classCount
        self.flippable = flippable
    }
}

public enum Ingest {
    public static let fashionMNISTFolder = "/usr/share/datasets/fashion-mnist"
    public static let fashionMNISTClassNames = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
    public static let maxImageSize = 4096
    public static let maxClassCount = 1 << 16
    /// Seeds are recorded in JSON documents (doubles), so they stay exact up to 2^53.
    public static let maxSeed: UInt64 = 1 << 53

    /// Reads the source `request` describes and applies subset, holdout part, channels and size.
    public static func load(_ request: IngestRequest) throws -> Dataset {
        try validate(request)
        var dataset = try read(request)
        if let subsetSize = request.subsetSize {
            guard subsetSize <= dataset.count else {
                throw DatasetError.invalidParameter(name: "subset_size",
                                                    what: "\(subsetSize) exceeds the \(dataset.count) images of the source")
            }
            dataset = dataset.subset(size: subsetSize, seed: request.subsetSeed)
        }
        if let holdout = request.holdout {
            guard holdout < dataset.count else {
                throw DatasetError.invalidParameter(
                    name: "holdout", what: "\(holdout) leaves nothing to fit: the split has \(dataset.count) images (after subset_size)")
            }
            dataset = dataset.part(request.part, holdout: holdout, seed: request.holdoutSeed)
        }
        // Resize the fewer channels: drop channels before resizing, add them after.
        let channels = request.channels ?? dataset.channels
        if channels < dataset.channels { dataset = dataset.convertingChannels(to: channels) }
        if let size = request.size { dataset = dataset.resized(to: size) }
        return dataset.convertingChannels(to: channels)
    }

    static func validate(_ request: IngestRequest) throws {
        if let channels = request.channels, channels != 1 && channels != 3 {
            throw DatasetError.invalidParameter(name: "channels", what: "must be 1 or 3, got \(channels)")
        }
        if let size = request.size, !(1...maxImageSize).contains(size) {
            throw DatasetError.invalidParameter(name: "size", what: "must be in 1...\(maxImageSize), got \(size)")
        }
        if let subset = request.subsetSize, subset < 1 {
            throw DatasetError.invalidParameter(name: "subset_size", what: "must be positive, got \(subset)")
        }
        switch (request.holdout, request.part) {
        case (let holdout?, _) where holdout < 1:
            throw DatasetError.invalidParameter(name: "holdout", what: "must be positive, got \(holdout)")
        case (nil, .fit), (nil, .holdout):
            throw DatasetError.invalidParameter(
                name: "part", what: "part = \(request.part.rawValue) needs holdout > 0 (the number of training images to hold out)")
        case (_?, .all):
            throw DatasetError.invalidParameter(
                name: "part", what: "holdout = \(request.holdout!) needs part = fit or holdout (part = all is the whole split: holdout = 0)")
        case (_?, _) where request.split != .train:
            throw DatasetError.invalidParameter(
                name: "holdout", what: "the validation part is carved from the train split, not \(request.split.rawValue)")
        default: break
        }
        if request.holdoutSeed > maxSeed {
            throw DatasetError.invalidParameter(name: "holdout_seed", what: "must be at most 2^53, got \(request.holdoutSeed)")
        }
        if let classes = request.classCount, !(1...maxClassCount).contains(classes) {
            throw DatasetError.invalidParameter(name: "classes", what: "must be in 1...\(maxClassCount), got \(classes)")
        }
        if request.format == .jpegFolder && request.size == nil {
            throw DatasetError.invalidParameter(name: "size", what: "jpeg-folder needs a target size")
        }
        let allowed: ClosedRange<Int>
        switch request.format {
        case .fashionMNIST: allowed = 0...1
        case .idx, .npy: allowed = 1...2
        case .cifar10: allowed = 1...7
        case .jpegFolder: allowed = 1...1
        }
        guard allowed.contains(request.inputs.count) else {
            throw DatasetError.invalidParameter(
                name: "inputs", what: "\(request.format.rawValue) takes \(allowed.lowerBound)...\(allowed.upperBound) inputs, got \(request.inputs.count)")
        }
    }

    private static func read(_ request: IngestRequest) throws -> Dataset {
        let inputs = request.inputs, split = request.split
        let flippable = request.flippable ?? request.format.defaultFlippable
        switch request.format {
        case .fashionMNIST:
            let folder = inputs.first ?? fashionMNISTFolder
            let prefix = split == .train ? "train" : "t10k"
            let images = SourceFile.join(folder, "\(prefix)-images-idx3-ubyte.gz")
            let labels = SourceFile.join(folder, "\(prefix)-labels-idx1-ubyte.gz")
            return try IDX.load(images: images, labels: labels, classNames: fashionMNISTClassNames, split: split,
                                source: "fashion-mnist: \(images), \(labels)", flippable: flippable)
        case .idx:
            let classNames = (0..<(request.classCount ?? 10)).map(String.init)
            return try IDX.load(images: inputs[0], labels: inputs.count > 1 ? inputs[1] : nil, classNames: classNames,
                                split: split, source: "idx: " + inputs.joined(separator: ", "), flippable: flippable)
        case .cifar10:
            return try CIFAR10.load(inputs, split: split, flippable: flippable)
        case .npy:
            return try NPYImages.load(images: inputs[0], labels: inputs.count > 1 ? inputs[1] : nil,
                                      classCount: request.classCount, split: split, flippable: flippable)
        case .jpegFolder:
            return try JPEGFolder.load(inputs[0], size: request.size!, channels: request.channels ?? 3, split: split,
                                       flippable: flippable)
        }
    }
}
