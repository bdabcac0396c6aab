// The lzn-latents stage: anchors, LZN latents (anchor set = each evaluation batch) and pooled
// encoder features of a dataset split, as tensor artifacts.
import ArrayFormats
import Datasets
import Engine
import LZN
import StageKit
import Store
import Models

public enum LatentsStage {
    public static let description = StageDescription(
        name: "lzn-latents", version: "1",
        summary: "Encoder anchors, LZN latents (anchor set = each batch) and pooled encoder features of a dataset.",
        params: [
            .string("weights", default: "ema", choices: ["raw", "ema"], doc: "Checkpoint weights."),
            .int("batch_size", default: 1000, doc: "Images per batch; each batch is the anchor set of its latents."),
            .string("solver", default: "dpm3", choices: ["euler", "dpm1", "dpm2", "dpm3"], doc: "Latent-flow solver (§1.5–1.6)."),
            .int("steps", default: 20, doc: "Latent-flow steps."),
            .float("prior_scale", default: 1.0, doc: "Multiplies the prior draws before eps-mixing."),
            .int("seed", default: 0, doc: "Seeds the prior draws (batch i uses Philox(seed).split(i))."),
        ],
        inputs: [
            ArtifactSpec("checkpoint", kind: "bundle", doc: "A checkpoint with an encoder (lzn-train)."),
            ArtifactSpec("dataset", kind: "dataset", doc: "The images (one split)."),
        ],
        outputs: [
            ArtifactSpec("anchors", kind: "tensor", doc: "float32 N×D encoder outputs."),
            ArtifactSpec("latents", kind: "tensor", doc: "float32 N×D LZN latents."),
            ArtifactSpec("features", kind: "tensor", doc: "float32 N×F pooled encoder features (the probe representation)."),
        ])

    public static let stage = Stage(description) { try run($0) }

    static func run(_ ctx: StageContext) throws {
        let p = ctx.params
        let models = try TrainedModel.load(from: ctx.store, artifact: ctx.input("checkpoint"), weights: p.string("weights"))
        let encoder = try models.require(models.encoder, "encoder", for: ctx.stageName)
        let dataset = try DatasetArtifact.load(ctx.input("dataset").id.hex, from: ctx.store)
        guard [dataset.channels, dataset.height, dataset.width] == [encoder.imageChannels, encoder.imageSize, encoder.imageSize] else {
            throw ctx.fail("the dataset's images are \(dataset.channels)×\(dataset.height)×\(dataset.width), the encoder expects \(encoder.imageChannels)×\(encoder.imageSize)×\(encoder.imageSize)")
        }
        let batch = p.int("batch_size")
        let outputs = try NetworkEvaluation.mapEach(dataset, batchSize: batch,
                                                    progress: { ctx.progress.report(done: $0, total: dataset.count, unit: "images") }) {
            let (anchors, features) = encoder.anchorsAndFeatures($0)
            return [anchors, features]
        }
        let (anchors, features) = (outputs[0], outputs[1])
        let settings = LatentFlowSettings(batchSize: batch, solver: LatentSolver(name: p.string("solver"))!, steps: p.int("steps"),
                                          priorScale: p.float("prior_scale"), seed: UInt64(p.int("seed")))
        let latents = try LatentEvaluation.latents(anchors: FlowMatrix(rows: dataset.count, columns: anchors.width, values: anchors.values),
                                                   settings: settings)
        // The probe reads the labels from the dataset named here, and the tag of its metrics.
        let metadata: JSON = ["checkpoint": .string(ctx.input("checkpoint").id.hex), "dataset": .string(ctx.input("dataset").id.hex),
                              "weights": .string(p.string("weights")), "model": .string(models.config.evaluationTag)]
        func put(_ name: String, _ values: [Float], _ width: Int) throws {
            try ctx.setOutput(name, ctx.store.putTensor(NDArray(float32: values, shape: [dataset.count, width]),
                                                        name: "\(name)-\(ctx.stageName)", metadata: metadata))
        }
        try put("anchors", anchors.values, anchors.width)
        try put("latents", latents.values, latents.columns)
        try put("features", features.values, features.width)
        ctx.metric("latent_std", standardDeviation(latents.values))
    }

    /// The latents should look like N(0, I): their overall standard deviation is a cheap check.
    static func standardDeviation(_ values: [Float]) -> Double {
        let n = Double(values.count)
        let mean = values.reduce(0.0) { $0 + Double($1) } / n
        return (values.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
    }
}
