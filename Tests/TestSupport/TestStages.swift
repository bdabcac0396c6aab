import StageKit

/// Literal stage descriptions for the pure tests (the shapes the real stages declare).
public enum TestStages {
    public static let ingest = StageDescription(
        name: "lzn-ingest", version: "1", summary: "reads a dataset",
        params: [.string("format", default: "fashion-mnist", choices: ["fashion-mnist", "idx"], doc: "source"),
                 .int("size", default: 0, doc: "subset size")],
        inputs: [],
        outputs: [ArtifactSpec("dataset", kind: "dataset", doc: "images and labels")])

    public static let train = StageDescription(
        name: "lzn-train", version: "3", summary: "trains",
        params: [.string("mode", choices: ["generation", "contrastive"], doc: "what to train"),
                 .float("lr", default: 1e-3, doc: "learning rate"),
                 .int("iterations", default: 100, doc: "steps"),
                 .ints("widths", default: [32, 64], doc: "channels"),
                 .bool("ema", default: true, doc: "keep an EMA")],
        inputs: [ArtifactSpec("dataset", kind: "dataset", doc: "training data")],
        outputs: [ArtifactSpec("checkpoint", kind: "bundle", doc: "weights")])

    public static let generate = StageDescription(
        name: "lzn-generate", version: "1", summary: "samples",
        params: [.int("count", default: 16, doc: "samples")],
        inputs: [ArtifactSpec("checkpoint", kind: "bundle", doc: "model"),
                 ArtifactSpec("reference", kind: "dataset", optional: true, doc: "for reconstructions")],
        outputs: [ArtifactSpec("samples", kind: "tensor", doc: "images")])

    public static func describe(_ executable: String) -> StageDescription? {
        [ingest, train, generate].first { $0.name == executable }
    }
}
