import ArrayFormats
import Store

/// A dataset in the store: an artifact of kind `dataset` whose members are
///   - `images`: uint8 `N × C × H × W`,
///   - `labels`: int64 `N` (absent for an unlabelled dataset),
/// and whose JSON document (also its metadata) is
///   `{"format": "lzn-dataset/1", "count": N, "channels": C, "height": H, "width": W,
///     "labelled": true, "class_names": [...], "split": "train", "source": "...", "flippable": true}`,
/// plus `"holdout": N, "holdout_seed": S, "part": "fit" | "holdout"` for one part of a split with N
/// images held out for validation (only then, so whole splits keep their artifact ids).
/// Nothing in it depends on time or machine, so the same source gives the same artifact id.
public enum DatasetArtifact {
    public static let format = "lzn-dataset/1"

    /// The document describing `dataset` (without its tensors).
    public static func metadata(_ dataset: Dataset) -> JSON {
        var fields: [String: JSON] = [
            "format": .string(format),
            "count": .number(Double(dataset.count)),
            "channels": .number(Double(dataset.channels)),
            "height": .number(Double(dataset.height)),
            "width": .number(Double(dataset.width)),
            "labelled": .bool(dataset.labels != nil),
            "class_names": .array(dataset.classNames.map(JSON.string)),
            "split": .string(dataset.split.rawValue),
            "source": .string(dataset.source),
            "flippable": .bool(dataset.flippable),
        ]
        if let holdout = dataset.holdout {
            fields["holdout"] = .number(Double(holdout.count))
            fields["holdout_seed"] = .number(Double(holdout.seed))
            fields["part"] = .string(holdout.part.rawValue)
        }
        return .object(fields)
    }

    /// Registers `dataset` as artifact `name` in one transaction.
    public static func save(_ dataset: Dataset, name: String, in store: Store) throws -> Artifact {
        var tensors = ["images": NDArray(uint8: dataset.images,
                                         shape: [dataset.count, dataset.channels, dataset.height, dataset.width])]
        if let labels = dataset.labels { tensors["labels"] = NDArray(int64: labels.map(Int64.init), shape: [dataset.count]) }
        return try store.putDataset(tensors, name: name, metadata: metadata(dataset))
    }

    /// Loads a dataset artifact by id, id prefix or name, checking that its members match its document.
    public static func load(_ reference: String, from store: Store) throws -> Dataset {
        try load(store.resolve(reference), from: store)
    }

    /// Loads a dataset artifact (e.g. a stage's input), checking that its members match its document.
    public static func load(_ artifact: Artifact, from store: Store) throws -> Dataset {
        let label = "dataset artifact \(artifact.label)"
        guard artifact.kind == .dataset else {
            throw StoreError.wrongKind(artifact: artifact.label, expected: "dataset", actual: artifact.kind.rawValue)
        }
        let doc = try store.json(of: artifact.id)
        func field<T>(_ key: String, _ value: (JSON) -> T?) throws -> T {
            guard let v = doc[key].flatMap(value) else { throw DatasetError.malformed(file: label, what: "missing or invalid '\(key)'") }
            return v
        }
        guard try field("format", \.stringValue) == format else {
            throw DatasetError.malformed(file: label, what: "unknown format \(doc["format"]?.text ?? "null"), expected \(format)")
        }
        let count = try field("count", \.intValue), channels = try field("channels", \.intValue)
        let height = try field("height", \.intValue), width = try field("width", \.intValue)
        let labelled = try field("labelled", \.boolValue)
        let classNames = try field("class_names") { $0.arrayValue?.compactMap(\.stringValue) }
        guard let split = DatasetSplit(rawValue: try field("split", \.stringValue)) else {
            throw DatasetError.malformed(file: label, what: "unknown split \(doc["split"]?.text ?? "")")
        }
        guard channels == 1 || channels == 3, count >= 0, height > 0, width > 0 else {
            throw DatasetError.malformed(file: label, what: "bad geometry \(count)×\(channels)×\(height)×\(width)")
        }
        let images = try store.bundleTensor(artifact.id, member: "images")
        guard images.dtype == .uint8, images.shape == [count, channels, height, width] else {
            throw DatasetError.malformed(file: label, what: "images are \(images.dtype) \(images.shape), expected uint8 \([count, channels, height, width])")
        }
        var labels: [Int]?
        if labelled {
            let tensor = try store.bundleTensor(artifact.id, member: "labels")
            guard tensor.dtype == .int64, tensor.shape == [count] else {
                throw DatasetError.malformed(file: label, what: "labels are \(tensor.dtype) \(tensor.shape), expected int64 [\(count)]")
            }
            let values = tensor.ints()
            try checkLabels(values, classCount: classNames.count, file: label)
            labels = values
        }
        var holdout: DatasetHoldout?
        if doc["holdout"] != nil {
            let part = DatasetPart(rawValue: try field("part", \.stringValue))
            guard let part, part != .all, let seed = UInt64(exactly: try field("holdout_seed", \.doubleValue)) else {
                throw DatasetError.malformed(file: label, what: "bad holdout part \(doc["part"]?.text ?? "null") (seed \(doc["holdout_seed"]?.text ?? "null"))")
            }
            holdout = DatasetHoldout(count: try field("holdout", \.intValue), seed: seed, part: part)
        }
        return Dataset(images: images.bytes, count: count, channels: channels, height: height, width: width, labels: labels,
                       classNames: labelled ? classNames : [], split: split, source: try field("source", \.stringValue),
                       flippable: try field("flippable", \.boolValue), holdout: holdout)
    }
}

extension Ingest {
    /// Reads the source and registers it as dataset artifact `name`. On any error nothing is
    /// written: the source is read and checked completely before the store is touched.
    public static func run(_ request: IngestRequest, name: String, store: Store) throws -> (dataset: Dataset, artifact: Artifact) {
        let dataset = try load(request)
        return (dataset, try DatasetArtifact.save(dataset, name: name, in: store))
    }
}
