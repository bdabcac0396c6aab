import Datasets
import StageKit
import Store

/// The ingest stage: parameters, its one output, and the run shared by pipeline and standalone mode.
enum IngestStage {
    static let description = StageDescription(
        name: "lzn-ingest",
        version: "1",
        summary: "turns a dataset on disk (Fashion-MNIST, IDX, CIFAR-10, NPY, JPEG folder) into a dataset artifact",
        params: [
            .string("format", default: SourceFormat.fashionMNIST.rawValue, choices: SourceFormat.allCases.map(\.rawValue),
                    doc: "source format"),
            .strings("inputs", default: [], doc: "files or folder the format needs (none for fashion-mnist)"),
            .string("split", default: "train", choices: DatasetSplit.allCases.map(\.rawValue), doc: "which split to read"),
            .string("name", default: "", doc: "artifact name (default: the stage's name)"),
            .int("size", default: 0, doc: "side of the square output images, shorter-side resize + centre crop (0: keep)"),
            .int("channels", default: 0, doc: "1 or 3 output channels (0: keep the source's)"),
            .int("subset_size", default: 0, doc: "keep this many images chosen with subset_seed (0: all)"),
            .int("subset_seed", default: 0, doc: "seed of the subset choice"),
            .int("holdout", default: 0,
                 doc: "hold this many train images (after subset_size) out for validation, chosen with holdout_seed (0: none)"),
            .int("holdout_seed", default: 0, doc: "seed of the holdout choice"),
            .string("part", default: DatasetPart.all.rawValue, choices: DatasetPart.allCases.map(\.rawValue),
                    doc: "with holdout > 0: fit (the images not held out) or holdout; all (the whole split) needs holdout = 0"),
            .int("classes", default: 0, doc: "number of classes for idx/npy labels (0: idx 10, npy max label + 1)"),
            .string("flippable", default: "auto", choices: ["auto", "true", "false"],
                    doc: "whether horizontal flips are valid augmentations (auto: all formats but idx)"),
        ],
        inputs: [],
        outputs: [ArtifactSpec("dataset", kind: "dataset", doc: "uint8 images N×C×H×W, int64 labels, class names, split, source")]
    )

    /// The request the parameters describe (already type-checked against `description`).
    static func request(from params: StageParams) throws -> IngestRequest {
        func optional(_ name: String) -> Int? { params.int(name) == 0 ? nil : params.int(name) }
        func seed(_ name: String) throws -> UInt64 {
            guard params.int(name) >= 0 else { throw DatasetError.invalidParameter(name: name, what: "must not be negative, got \(params.int(name))") }
            return UInt64(params.int(name))
        }
        guard let format = SourceFormat(rawValue: params.string("format")),
              let split = DatasetSplit(rawValue: params.string("split")),
              let part = DatasetPart(rawValue: params.string("part")) else {
            preconditionFailure("format, split and part are checked against their choices")
        }
        let flippable: Bool? = ["true": true, "false": false][params.string("flippable")]
        return IngestRequest(format: format, inputs: params.strings("inputs"), split: split, size: optional("size"),
                             channels: optional("channels"), subsetSize: optional("subset_size"), subsetSeed: try seed("subset_seed"),
                             holdout: optional("holdout"), holdoutSeed: try seed("holdout_seed"), part: part,
                             classCount: optional("classes"), flippable: flippable)
    }

    static func artifactName(_ context: StageContext) -> String {
        let name = context.params.string("name")
        return name.isEmpty ? context.stageName : name
    }

    /// Registers an already loaded dataset as the stage's output.
    static func register(_ dataset: Dataset, context: StageContext) throws {
        let artifact = try DatasetArtifact.save(dataset, name: artifactName(context), in: context.store)
        try context.setOutput("dataset", artifact)
        context.metric("images", Double(dataset.count), split: dataset.metricSplit)
        context.metric("classes", Double(dataset.classNames.count), split: dataset.metricSplit)
    }

    /// Pipeline mode: read the source, then register it.
    static let stage = Stage(description) { context in
        let dataset = try Ingest.load(try request(from: context.params))
        context.log("\(context.stageName): read \(dataset.count) images \(dataset.channels)×\(dataset.height)×\(dataset.width)")
        try register(dataset, context: context)
    }
}
