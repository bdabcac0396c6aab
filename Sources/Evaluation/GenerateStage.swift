// The lzn-generate stage: image samples from a trained decoder with the Euler or RK45 sampler
// (LZN-ALGORITHM.md §5): unconditional from prior latents, class-conditional through the label
// flow (§3.2), or reconstructions of real images through the inverse sampler (§6.2).
import ArrayFormats
import Datasets
import Engine
import LZN
import NN
import Report
import StageKit
import Store
import Models

public enum GenerateStage {
    public static let description = StageDescription(
        name: "lzn-generate", version: "1",
        summary: "Samples images (uint8 tensor + labelled PNG grid) with the Euler or RK45 sampler; records NFE and reconstruction error.",
        params: [
            .bool("conditional", default: false, doc: "Class-conditional samples through the label flow (case-3 checkpoints)."),
            .bool("reconstruct", default: false, doc: "Reconstruct the dataset's first `count` images instead of sampling (§6.2)."),
            .string("sampler", default: "euler", choices: ["euler", "rk45"], doc: "Image-flow sampler."),
            .int("steps", default: 10, doc: "Euler steps (= NFE)."),
            .float("rtol", default: 1e-5, doc: "RK45 relative tolerance."),
            .float("atol", default: 1e-5, doc: "RK45 absolute tolerance."),
            .int("count", default: 1000, doc: "Images to generate (reconstruct: the first N images of the dataset)."),
            .int("batch_size", default: 250, doc: "Images per decoder batch; for reconstructions also the latent flow's anchor set."),
            .int("seed", default: 0, doc: "Seeds the image noise and the prior latent draws (batch b uses Philox(seed).split(b))."),
            .string("weights", default: "ema", choices: ["raw", "ema"], doc: "Checkpoint weights to sample with."),
            .string("model", default: "", doc: "Tag of the model on metrics and samples; empty = from the checkpoint (rf, rf-lzn, lzn-conditional)."),
            .int("grid_rows", default: 10, doc: "Rows of the PNG grid (conditional: one class per row)."),
            .int("grid_columns", default: 10, doc: "Columns of the PNG grid."),
            .int("latent_steps", default: 20, doc: "DPM-Solver++(3) steps of the image latents (reconstruct)."),
            .int("label_steps", default: 100, doc: "Euler steps of the label flow (conditional)."),
        ],
        inputs: [
            ArtifactSpec("checkpoint", kind: "bundle", doc: "Generation checkpoint from lzn-train."),
            ArtifactSpec("dataset", kind: "dataset", optional: true,
                         doc: "Real images: needed to reconstruct; for conditional samples its labels give each sample's class (§6.1)."),
        ],
        outputs: [
            ArtifactSpec("samples", kind: "tensor", doc: "uint8 N×C×H×W images (reconstruct: the reconstructions)."),
            ArtifactSpec("grid", kind: "image", doc: "PNG grid of the first samples (conditional: a class per row; reconstruct: input/output rows)."),
        ])

    public static let stage = Stage(description) { try run($0) }

    static func run(_ ctx: StageContext) throws {
        let p = ctx.params
        let models = try TrainedModel.load(from: ctx.store, artifact: ctx.input("checkpoint"), weights: p.string("weights"))
        let decoder = try models.require(models.decoder, "decoder", for: ctx.stageName)
        let sampler: ImageSampler = p.string("sampler") == "euler"
            ? .euler(steps: p.int("steps")) : .rk45(rtol: p.float("rtol"), atol: p.float("atol"))
        guard p.int("count") >= 1, p.int("batch_size") >= 1, p.int("grid_rows") >= 1, p.int("grid_columns") >= 1 else {
            throw ctx.fail("count, batch_size, grid_rows and grid_columns must be ≥ 1")
        }
        let dataset = try ctx.optionalInput("dataset").map { try DatasetArtifact.load($0.id.hex, from: ctx.store) }
        if let dataset, [dataset.channels, dataset.height, dataset.width] != [decoder.imageChannels, decoder.imageSize, decoder.imageSize] {
            throw ctx.fail("the dataset's images are \(dataset.channels)×\(dataset.height)×\(dataset.width), the decoder's \(decoder.imageChannels)×\(decoder.imageSize)×\(decoder.imageSize)")
        }
        let generator = SampleGenerator(decoder: decoder, models: models, sampler: sampler, batchSize: p.int("batch_size"),
                                        seed: UInt64(p.int("seed")), progress: { done, total in
                                            ctx.progress.report(done: done, total: total, unit: "images") })
        guard p.bool("conditional") == models.config.conditional else {
            throw ctx.fail(models.config.conditional ? "the checkpoint is class-conditional: set conditional = true"
                                                     : "conditional = true needs a class-conditional (case 3) checkpoint")
        }
        let mode: String
        let result: SampleGenerator.Output
        if p.bool("reconstruct") {
            guard let dataset else { throw ctx.fail("reconstruct = true needs the 'dataset' input") }
            mode = "reconstruct"
            result = try generator.reconstruct(dataset.selecting(Array(0..<min(p.int("count"), dataset.count))), latentSteps: p.int("latent_steps"))
        } else if let anchors = models.labelAnchors, models.config.conditional {
            mode = "conditional"
            let classes = try conditionalClasses(count: p.int("count"), classCount: anchors.shape[0], dataset: dataset, ctx: ctx)
            result = try generator.conditional(classes: classes, labelSteps: p.int("label_steps"))
        } else {
            guard !models.config.conditional else { throw ctx.fail("the class-conditional checkpoint has no label anchors") }
            mode = "unconditional"
            result = try generator.unconditional(count: p.int("count"))
        }

        let model = p.string("model").isEmpty ? models.config.evaluationTag : p.string("model")
        ctx.metric(EvaluationMetrics.nfePrefix + sampler.name, result.meanNFE, tag: model)
        if let error = result.reconstructionError {
            ctx.metric(EvaluationMetrics.reconstructionPrefix + sampler.name, error, tag: model)
        }
        let (c, s) = (decoder.imageChannels, decoder.imageSize)
        let extra: [String: JSON] = ["weights": .string(p.string("weights")), "checkpoint": .string(ctx.input("checkpoint").id.hex)]
        let samples = try GeneratedSamples.save(result.images, count: result.count, channels: c, height: s, width: s,
                                                metadata: GeneratedSamples.metadata(sampler: sampler.name, model: model, mode: mode,
                                                                                   labels: result.classes, extra: extra),
                                                name: "samples-\(ctx.stageName)", in: ctx.store)
        try ctx.setOutput("samples", samples)
        let grid = try result.grid(rows: p.int("grid_rows"), columns: p.int("grid_columns"), channels: c, size: s)
        try ctx.setOutput("grid", ctx.store.putImage(grid.png(), name: "grid-\(ctx.stageName)",
                                                     metadata: ["sampler": .string(sampler.name), "model": .string(model), "mode": .string(mode)]))
    }

    /// §6.1: the classes of the reference images when a labelled dataset is given, else 0, 1, …, K−1 repeated.
    static func conditionalClasses(count: Int, classCount: Int, dataset: Dataset?, ctx: StageContext) throws -> [Int] {
        guard let labels = dataset?.labels else { return (0..<count).map { $0 % classCount } }
        guard labels.count >= count else {
            throw ctx.fail("count = \(count) conditional samples need as many labelled images; the dataset has \(labels.count)")
        }
        if let bad = labels.prefix(count).first(where: { $0 >= classCount }) {
            throw ctx.fail("dataset label \(bad) has no label anchor (the checkpoint has \(classCount))")
        }
        return Array(labels.prefix(count))
    }
}
