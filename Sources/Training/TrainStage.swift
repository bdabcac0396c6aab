import Datasets
import Engine
import NN
import StageKit
import Store

/// The `lzn-train` stage: reads a dataset artifact, trains one model (`mode`), keeps a checkpoint
/// under the run's resume name (the newest only, replaced every `checkpoint_every` iterations and
/// dropped on success) and writes the final one as the output `checkpoint`; training metrics go to
/// the metrics table every `metrics_every` iterations. Started again with the same signature after
/// an interruption, it resumes from that checkpoint.
public enum TrainStage {
    public static let description = StageDescription(
        name: "lzn-train",
        version: "1",
        summary: "trains an LZN model (generation, contrastive) or a baseline (RF, supervised, SimCLR) on a dataset artifact",
        params: [
            .string("mode", choices: TrainingMode.allCases.map(\.rawValue),
                    doc: "generation (case studies 1/3, RF baseline), contrastive (case study 2), supervised, simclr"),
            .string("latent", default: "lzn", choices: LatentKind.allCases.map(\.rawValue),
                    doc: "generation: condition the decoder on LZN latents (lzn) or on nothing (none = plain rectified flow)"),
            .bool("conditional", default: false, doc: "generation: case study 3 (one-hot labels, learned label anchors, label loss)"),
            .string("preset", default: "s", choices: NetworkPreset.all.map(\.name), doc: "network preset of MODELS.md"),
            .int("latent_dim", default: 0, doc: "latent dimension D (0: the preset's, 32 for s)"),
            .int("batch", default: 128, doc: "global batch = the anchor set of the latent flows"),
            .int("iterations", default: 1000, doc: "training iterations (the largest part budget)"),
            .int("encoder_iterations", default: 0, doc: "encoder (and head) budget, frozen afterwards (0: iterations)"),
            .int("decoder_iterations", default: 0, doc: "decoder budget, frozen afterwards (0: iterations)"),
            .int("label_anchor_iterations", default: 0, doc: "label-anchor budget, frozen afterwards (0: iterations)"),
            .float("encoder_lr", default: 0, doc: "encoder and head Adam learning rate (0: 1e-4 for generation, 1e-3 otherwise)"),
            .float("decoder_lr", default: 1e-3, doc: "decoder Adam learning rate"),
            .float("label_anchor_lr", default: 1e-3, doc: "label-anchor Adam learning rate"),
            .int("warmup", default: 100, doc: "linear warm-up steps (the paper's 5000 is longer than a CPU budget)"),
            .float("clip_norm", default: 1, doc: "global gradient-norm clipping"),
            .float("ema_decay", default: 0.9999, doc: "EMA decay cap, with the (1 + n)/(10 + n) warm-up rule"),
            .float("dropout", default: 0, doc: "dropout in the decoder's ResBlocks"),
            .int("latent_steps", default: 20, doc: "steps of the image latent flow (DPM-Solver++ 3 / contrastive Euler)"),
            .int("label_steps", default: 100, doc: "steps of the reverse Euler label flow (case study 3)"),
            .float("cutoff", default: 0.2, doc: "cut-off fraction of the label and assignment losses"),
            .float("prior_scale", default: 0.45, doc: "contrastive: prior scale of the forward latent flow"),
            .bool("class_weights", default: true, doc: "case study 3: class-frequency weights in the label loss"),
            .float("temperature", default: 0.5, doc: "simclr: NT-Xent temperature"),
            .int("projection_dim", default: 64, doc: "simclr: projection head output width"),
            .int("seed", default: 0, doc: "initialisation and per-iteration randomness"),
            .int("data_seed", default: 0, doc: "epoch permutations (epoch e uses data_seed + e)"),
            .int("checkpoint_every", default: 200, doc: "iterations between resume checkpoints"),
            .int("metrics_every", default: 10, doc: "iterations between training-metric records"),
            .int("threads", default: 0, doc: "worker threads (0: all cores); resume is bitwise for the same count"),
        ],
        inputs: [
            ArtifactSpec("dataset", kind: "dataset", doc: "training images (and labels for supervised / conditional)"),
            ArtifactSpec("init", kind: "bundle", optional: true, doc: "a checkpoint of the same architecture to start from"),
        ],
        outputs: [ArtifactSpec("checkpoint", kind: "bundle", doc: "final checkpoint (layout: Training/CheckpointLayout.swift)")]
    )

    public static let stage = Stage(description) { context in try run(context) }

    /// The configuration the parameters describe, for this dataset.
    public static func config(_ params: StageParams, dataset: Dataset) throws -> TrainingConfig {
        guard let mode = TrainingMode(rawValue: params.string("mode")) else {
            throw TrainingError.badConfiguration(["unknown mode '\(params.string("mode"))'"])
        }
        guard let preset = NetworkPreset.named(params.string("preset")) else {
            throw TrainingError.badConfiguration(["unknown preset '\(params.string("preset"))'"])
        }
        func nonNegative(_ name: String) throws -> UInt64 {
            guard params.int(name) >= 0 else { throw TrainingError.badConfiguration(["\(name) must not be negative"]) }
            return UInt64(params.int(name))
        }
        let latentDim = params.int("latent_dim")
        return TrainingConfig(
            mode: mode, latent: LatentKind(rawValue: params.string("latent")) ?? .lzn, conditional: params.bool("conditional"),
            preset: preset.name, latentDim: latentDim == 0 ? preset.latentDim : latentDim,
            imageChannels: dataset.channels, imageSize: dataset.height, classCount: dataset.labels == nil ? 0 : dataset.classNames.count,
            batch: params.int("batch"), iterations: params.int("iterations"),
            encoderIterations: params.int("encoder_iterations"), decoderIterations: params.int("decoder_iterations"),
            labelAnchorIterations: params.int("label_anchor_iterations"),
            encoderLR: params.float("encoder_lr"), decoderLR: params.float("decoder_lr"), labelAnchorLR: params.float("label_anchor_lr"),
            warmup: params.int("warmup"), clipNorm: params.float("clip_norm"), emaDecay: params.float("ema_decay"),
            dropout: params.float("dropout"), latentSteps: params.int("latent_steps"), labelSteps: params.int("label_steps"),
            cutoff: params.float("cutoff"), priorScale: params.float("prior_scale"), classWeights: params.bool("class_weights"),
            temperature: params.float("temperature"), projectionDim: params.int("projection_dim"),
            seed: try nonNegative("seed"), dataSeed: try nonNegative("data_seed"),
            checkpointEvery: params.int("checkpoint_every"), metricsEvery: params.int("metrics_every"))
    }

    static func run(_ context: StageContext) throws {
        let threads = context.params.int("threads")
        guard threads >= 0 else { throw context.fail("threads must not be negative, got \(threads)") }
        if threads > 0 { Parallel.threads = threads }
        let dataset = try DatasetArtifact.load(context.input("dataset"), from: context.store)
        let trainer: Trainer
        do {
            trainer = try Trainer(config: try config(context.params, dataset: dataset), dataset: dataset)
            if let initial = context.optionalInput("init") {
                try trainer.initialize(from: try CheckpointContents.load(initial, from: context.store), label: initial.label)
                context.log("\(context.stageName): initialised from \(initial.label)")
            }
            if let resume = try context.latestResumeArtifact() {
                try trainer.restore(try CheckpointContents.load(resume, from: context.store), label: resume.label)
                context.log("\(context.stageName): resuming from \(resume.label) at iteration \(trainer.iteration)")
            }
        } catch let error as TrainingError {
            throw context.fail(error.description)
        }
        let config = trainer.config
        context.log("\(context.stageName): \(config.mode.rawValue) \(config.parts.map(\.rawValue).joined(separator: "+")) preset \(config.preset), "
                    + "batch \(config.batch), \(config.iterations) iterations, \(Parallel.threads) threads")
        let termination = TerminationRequest()
        termination.install()
        var window = MetricWindow()
        while !trainer.finished {
            if termination.isRequested {
                try context.saveResumeState { try trainer.checkpoint().save(in: context.store, name: $0) }
                throw context.fail("stopped by SIGTERM after \(trainer.iteration) iterations; checkpoint saved, a rerun resumes from it")
            }
            let done = trainer.iteration + 1
            let logNow = done % config.metricsEvery == 0 || done == config.iterations
            let report = try trainer.step(diagnostics: logNow)
            window.add(report, batch: config.batch)
            if logNow {
                try context.recordNow(window.metrics(step: done, trainer: trainer))
                // The rate is in the unit of `done` (iterations), so the scheduler's ETA is right.
                context.progress.report(done: done, total: config.iterations, rate: window.iterationsPerSecond, unit: "it/s",
                                        values: ["loss": window.mean("loss") ?? .nan, "img_per_s": window.imagesPerSecond])
                window = MetricWindow()
            }
            if done % config.checkpointEvery == 0 && !trainer.finished {
                try context.saveResumeState { try trainer.checkpoint().save(in: context.store, name: $0) }
            }
        }
        let final = try trainer.checkpoint().save(in: context.store, name: context.stageName)
        try context.setOutput("checkpoint", final)
        context.metric("skipped_steps", Double(trainer.skippedSteps))
        context.metric("iterations", Double(trainer.iteration))
    }
}

/// Training metrics averaged over the iterations since the last record.
struct MetricWindow {
    private var sums: [String: Double] = [:]
    private var counts: [String: Int] = [:]
    private var seconds = 0.0
    private var images = 0
    private var iterations = 0

    mutating func add(_ report: StepReport, batch: Int) {
        for (name, value) in report.terms where value.isFinite { accumulate(name, value) }
        if report.gradientNorm.isFinite { accumulate("grad_norm", report.gradientNorm) }
        accumulate("lr_factor", report.learningRateFactor)
        seconds += report.seconds
        images += batch
        iterations += 1
    }

    private mutating func accumulate(_ name: String, _ value: Double) {
        sums[name, default: 0] += value
        counts[name, default: 0] += 1
    }

    func mean(_ name: String) -> Double? { counts[name].map { sums[name]! / Double($0) } }

    var imagesPerSecond: Double { seconds > 0 ? Double(images) / seconds : 0 }

    var iterationsPerSecond: Double { seconds > 0 ? Double(iterations) / seconds : 0 }

    func metrics(step: Int, trainer: Trainer) -> [Metric] {
        var out = sums.keys.sorted().map { Metric($0, mean($0)!, step: step, split: "train") }
        let factor = mean("lr_factor") ?? 1
        for part in trainer.networks.parts {
            out.append(Metric("lr_\(part.rawValue)", factor * trainer.config.learningRate(part), step: step, split: "train"))
        }
        out.append(Metric("images_per_second", imagesPerSecond, step: step, split: "train"))
        out.append(Metric("skipped_steps", Double(trainer.skippedSteps), step: step, split: "train"))
        return out
    }
}
