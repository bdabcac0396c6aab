import Models
import DataParallel
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
            .int("threads", default: 0, doc: "worker threads per rank (0: the host's cores / the ranks on it); resume is bitwise for the same count"),
            .int("ranks", default: 1, doc: "data-parallel processes (MPI ranks; > 1 runs lzn-train under mpirun, each rank computing "
                    + "batch/ranks rows of the global batch); results equal 1 rank's up to floating-point summation order"),
            .string("hostfile", default: "", doc: "ranks > 1: mpirun --hostfile for several hosts (rank 0, the one that reads and "
                    + "writes the store, runs on the first host: list this one first)"),
            .string("mpirun_args", default: "", doc: "ranks > 1: extra launcher arguments, space-separated (e.g. \"--oversubscribe\"); "
                    + "the environment variable LZN_MPIRUN replaces the launcher itself (e.g. \"srun --mpi=pmix\")"),
        ],
        inputs: [
            ArtifactSpec("dataset", kind: "dataset", doc: "training images (and labels for supervised / conditional)"),
            ArtifactSpec("init", kind: "bundle", optional: true, doc: "a checkpoint of the same architecture to start from"),
        ],
        outputs: [ArtifactSpec("checkpoint", kind: "bundle", doc: "final checkpoint (layout: Models/CheckpointLayout.swift)")],
        // A run interrupted on some number of ranks resumes on any other (same global batch).
        launcherParams: ["ranks", "hostfile", "mpirun_args"]
    )

    public static let stage = Stage(description) { context in try run(context) }

    /// The parameters that are not training knobs.
    static let stageParams: Set<String> = ["threads", "ranks", "hostfile", "mpirun_args"]

    /// The configuration the parameters describe, for this dataset.
    public static func config(_ params: StageParams, dataset: Dataset) throws -> TrainingConfig {
        var knobs = params.values
        for name in stageParams { knobs[name] = nil }
        var config: TrainingConfig
        do {
            config = try TrainingConfig(parameters: knobs)
        } catch StageError.badParams(let list) {
            throw TrainingError.badConfiguration(list.problems.map(\.description))
        }
        config.imageChannels = dataset.channels
        config.imageSize = dataset.height
        config.classCount = dataset.labels == nil ? 0 : dataset.classNames.count
        return config.resolved()
    }

    static func run(_ context: StageContext) throws {
        let threads = context.params.int("threads"), ranks = context.params.int("ranks")
        guard threads >= 0 else { throw context.fail("threads must not be negative, got \(threads)") }
        guard ranks >= 1 else { throw context.fail("ranks must be at least 1, got \(ranks)") }
        if ranks > 1 {
            try MPILauncher(context: context, ranks: ranks).run()
            return
        }
        if threads > 0 { Parallel.threads = threads }
        let trainer = try makeTrainer(context, communicator: SingleProcess())
        let termination = TerminationRequest()
        termination.install()
        do {
            try trainLoop(trainer, context: context, termination: termination)
        } catch let stopped as TrainingStopped {
            throw context.fail(stopped.message)
        }
        let final = try finalCheckpoint(trainer, context: context)
        try context.setOutput("checkpoint", final)
        for metric in finalMetrics(trainer) { context.metric(metric.name, metric.value, tag: metric.tag) }
    }

    /// The trainer of the stage run (the single process, or rank 0 of an MPI job): the dataset,
    /// the configuration, and the `init` and resume checkpoints, read from the store.
    static func makeTrainer(_ context: StageContext, communicator: Communicator) throws -> Trainer {
        let dataset = try DatasetArtifact.load(context.input("dataset"), from: context.store)
        let trainer: Trainer
        do {
            trainer = try Trainer(config: try config(context.params, dataset: dataset), dataset: dataset, communicator: communicator)
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
        let ranks = communicator.size
        context.log("\(context.stageName): \(config.mode.rawValue) \(config.parts.map(\.rawValue).joined(separator: "+")) preset \(config.preset), "
                    + "batch \(config.batch), \(config.iterations) iterations, "
                    + (ranks > 1 ? "\(ranks) ranks × \(config.batch / ranks) rows, \(Parallel.threads) threads on rank 0" : "\(Parallel.threads) threads"))
        return trainer
    }

    /// The iterations, on every rank. `context` (the single process or rank 0, nil on the other
    /// ranks) records metrics, progress and resume checkpoints. A stop request (SIGTERM) on any
    /// rank stops all ranks at the same iteration, after rank 0 saved a checkpoint there
    /// (`TrainingStopped`).
    static func trainLoop(_ trainer: Trainer, context: StageContext?, termination: TerminationRequest) throws {
        let config = trainer.config
        while !trainer.finished {
            if trainer.shard.communicator.any(termination.isRequested) {
                if let context { try context.saveResumeState { try trainer.checkpoint(resumeState: true).save(in: context.store, name: $0) } }
                throw TrainingStopped(iteration: trainer.iteration)
            }
            let done = trainer.iteration + 1
            let logNow = done % config.metricsEvery == 0 || done == config.iterations
            let report: StepReport
            do {
                report = try trainer.step(diagnostics: logNow)
            } catch let error as TrainingError {
                throw context?.fail(error.description) ?? error
            }
            guard let context else { continue }
            // The window lives in the trainer, so a resume state carries the iterations since the last record.
            trainer.metricWindow.add(report, batch: config.batch)
            if logNow {
                let window = trainer.metricWindow
                try context.recordNow(window.metrics(step: done, trainer: trainer))
                // The rate is in the unit of `done` (iterations), so the scheduler's ETA is right.
                context.progress.report(done: done, total: config.iterations, rate: window.iterationsPerSecond, unit: "it/s",
                                        values: ["loss": window.mean("loss") ?? .nan, "img_per_s": window.imagesPerSecond])
                trainer.metricWindow = MetricWindow()
            }
            if done % config.checkpointEvery == 0 && !trainer.finished {
                try context.saveResumeState { try trainer.checkpoint(resumeState: true).save(in: context.store, name: $0) }
            }
        }
    }

    /// The final checkpoint, put in the store under the stage's name.
    static func finalCheckpoint(_ trainer: Trainer, context: StageContext) throws -> Artifact {
        try trainer.checkpoint().save(in: context.store, name: context.stageName)
    }

    /// A metric committed with the output (also what rank 0 reports back to the launching process).
    struct FinalMetric: Codable, Equatable {
        var name: String
        var value: Double
        var tag: String?
    }

    /// The metrics committed with the output; the training time carries the model's tag, so the
    /// report can put it beside the model's score.
    static func finalMetrics(_ trainer: Trainer) -> [FinalMetric] {
        [FinalMetric(name: "skipped_steps", value: Double(trainer.skippedSteps)),
         FinalMetric(name: "iterations", value: Double(trainer.iteration)),
         FinalMetric(name: "world_size", value: Double(trainer.shard.ranks)),
         FinalMetric(name: "training_seconds", value: trainer.trainingSeconds, tag: trainer.config.evaluationTag)]
    }
}

/// A rank other than 0 stopped because some rank was asked to stop (rank 0 saved the checkpoint).
struct TrainingStopped: Error {
    var iteration: Int

    var message: String { "stopped by SIGTERM after \(iteration) iterations; checkpoint saved, a rerun resumes from it" }
}

/// Training metrics averaged over the iterations since the last record. A resume state carries it
/// (`json`), so the first record after a resume averages the same iterations as an uninterrupted run.
struct MetricWindow: Equatable {
    private var sums: [String: Double] = [:]
    private var counts: [String: Int] = [:]
    private var seconds = 0.0
    private var communicationSeconds = 0.0
    private var images = 0
    private var iterations = 0

    mutating func add(_ report: StepReport, batch: Int) {
        for (name, value) in report.terms where value.isFinite { accumulate(name, value) }
        if report.gradientNorm.isFinite { accumulate("grad_norm", report.gradientNorm) }
        accumulate("lr_factor", report.learningRateFactor)
        seconds += report.seconds
        communicationSeconds += report.communicationSeconds
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

    /// The partial sums as a resume state's "metric_window" (non-finite sums, which JSON cannot hold,
    /// are left out; `add` accumulates finite values only).
    var json: JSON {
        func finite(_ values: [String: Double]) -> JSON { .object(values.filter(\.value.isFinite).mapValues(JSON.number)) }
        return ["sums": finite(sums), "counts": .object(counts.mapValues { .number(Double($0)) }),
                "seconds": .number(seconds.isFinite ? seconds : 0),
                "communication_seconds": .number(communicationSeconds.isFinite ? communicationSeconds : 0),
                "images": .number(Double(images)), "iterations": .number(Double(iterations))]
    }

    init() {}

    /// The window a resume state carried; nil when it holds none (or not in this form).
    init?(json: JSON?) {
        guard let json, let sums = json["sums"]?.objectValue, let counts = json["counts"]?.objectValue,
              let seconds = json["seconds"]?.doubleValue, let communicationSeconds = json["communication_seconds"]?.doubleValue,
              let images = json["images"]?.intValue, let iterations = json["iterations"]?.intValue else { return nil }
        self.sums = sums.compactMapValues(\.doubleValue)
        self.counts = counts.compactMapValues(\.intValue)
        guard self.sums.count == sums.count, self.counts.count == counts.count, Set(self.sums.keys) == Set(self.counts.keys) else { return nil }
        self.seconds = seconds
        self.communicationSeconds = communicationSeconds
        self.images = images
        self.iterations = iterations
    }

    func metrics(step: Int, trainer: Trainer) -> [Metric] {
        var out = sums.keys.sorted().map { Metric($0, mean($0)!, step: step, split: "train") }
        let factor = mean("lr_factor") ?? 1
        for part in trainer.networks.parts {
            out.append(Metric("lr_\(part.rawValue)", factor * trainer.config.learningRate(part), step: step, split: "train"))
        }
        out.append(Metric("images_per_second", imagesPerSecond, step: step, split: "train"))
        if trainer.shard.ranks > 1 && seconds > 0 {
            // Rank 0's time in collectives (transfers and waiting for the slowest rank) per step time.
            out.append(Metric("communication_share", communicationSeconds / seconds, step: step, split: "train"))
        }
        out.append(Metric("skipped_steps", Double(trainer.skippedSteps), step: step, split: "train"))
        return out
    }
}
