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
        version: "2",
        summary: "trains an LZN model (generation, contrastive) or a baseline (RF, supervised, SimCLR) on a dataset artifact",
        params: TrainingConfig.specs + [
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
        var knobs = params.values
        knobs["threads"] = nil
        var config: TrainingConfig
        do {
            config = try TrainingConfig(parameters: knobs)
        } catch let problems as KnobProblems {
            throw TrainingError.badConfiguration(problems.problems)
        }
        config.imageChannels = dataset.channels
        config.imageSize = dataset.height
        config.classCount = dataset.labels == nil ? 0 : dataset.classNames.count
        return config.resolved()
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
                try context.saveResumeState { try trainer.checkpoint(resumeState: true).save(in: context.store, name: $0) }
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
                try context.saveResumeState { try trainer.checkpoint(resumeState: true).save(in: context.store, name: $0) }
            }
        }
        let final = try trainer.checkpoint().save(in: context.store, name: context.stageName)
        try context.setOutput("checkpoint", final)
        context.metric("skipped_steps", Double(trainer.skippedSteps))
        context.metric("iterations", Double(trainer.iteration))
        context.metric("training_seconds", trainer.trainingSeconds, tag: config.evaluationTag)
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
