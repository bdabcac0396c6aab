import Models
import DataParallel
import Datasets
import Dispatch
import Engine
import LZN
import NN
import Store

/// What one iteration did, for metrics and progress.
public struct StepReport {
    public var iteration: Int
    /// False when the step was skipped (non-finite loss or gradient norm; §3.1).
    public var applied: Bool
    public var terms: [String: Double]
    public var gradientNorm: Double
    public var learningRateFactor: Double
    public var seconds: Double
    /// Of `seconds`, the time spent in collectives (0 for one process).
    public var communicationSeconds: Double = 0
}

/// The machinery shared by all trainers (LZN-ALGORITHM §3.1): the epoch data order, Adam with one
/// parameter group per part, linear warm-up, global-norm clipping, an EMA per part with the
/// num-updates rule, freezing parts at their iteration budgets, and skipping non-finite steps.
/// Checkpoints capture everything, so `restore` + the remaining steps reproduce an uninterrupted run
/// bit for bit (same thread count).
///
/// Data parallel (`communicator` of several ranks, `BatchShard`): every rank holds the whole
/// dataset and the same weights, computes its rows of the global batch, and the gradients are
/// summed over the ranks before the identical clip/Adam/EMA update on every rank. A checkpoint
/// does not depend on the number of ranks.
public final class Trainer {
    public let config: TrainingConfig
    public let networks: Networks
    public let dataset: Dataset
    public let shard: BatchShard
    let optimizer: Adam
    let emas: [ModelPart: EMA]
    let objective: TrainingObjective
    var order: EpochOrder
    /// Iterations done (the next iteration's index).
    public private(set) var iteration = 0
    /// Successful optimiser steps (the warm-up counter).
    public private(set) var schedulerSteps = 0
    /// Iterations skipped because the loss or the gradient norm was not finite.
    public private(set) var skippedSteps = 0
    /// Skipped iterations since the last applied step.
    public private(set) var skippedInARow = 0
    /// A skipped step is a rare event (§3.1); this many in a row means the weights or the loss have
    /// gone non-finite for good, and training stops with an error rather than commit untrained weights.
    public static let divergenceLimit = 100
    /// Seconds spent in training steps so far, across resumes (the time a report puts beside a score).
    public private(set) var trainingSeconds = 0.0
    /// The stage's training metrics since its last record (kept here so a resume state carries them).
    var metricWindow = MetricWindow()

    public init(config: TrainingConfig, dataset: Dataset, communicator: Communicator = SingleProcess()) throws {
        let config = config.resolved()
        let problems = config.problems(labelled: dataset.labels != nil, datasetCount: dataset.count)
        guard problems.isEmpty else { throw TrainingError.badConfiguration(problems) }
        guard config.imageChannels == dataset.channels, config.imageSize == dataset.height, dataset.height == dataset.width else {
            throw TrainingError.badConfiguration([
                "configuration is for \(config.imageChannels)×\(config.imageSize)×\(config.imageSize) images, the dataset has "
                    + "\(dataset.channels)×\(dataset.height)×\(dataset.width)"])
        }
        self.config = config
        self.dataset = dataset
        shard = try BatchShard(communicator: communicator, batch: config.batch)
        let networks = try Networks(config: config)
        self.networks = networks
        let parts = networks.parts
        optimizer = Adam(groups: parts.map { part in
            ParameterGroup(name: part.rawValue, namedParameters: networks.module(part)!.namedParameters(),
                           learningRate: Float(config.learningRate(part)))
        })
        var emas: [ModelPart: EMA] = [:]
        for part in parts {
            emas[part] = EMA(namedParameters: networks.module(part)!.namedParameters(), decay: Float(config.emaDecay))
        }
        self.emas = emas
        order = EpochOrder(count: dataset.count, batchSize: config.batch, dataSeed: config.dataSeed)
        var augmentation = TwoViewAugmentation(outputSize: dataset.height)
        augmentation.cropScaleMin = Float(config.cropScaleMin)
        switch config.mode {
        case .generation:
            objective = GenerationObjective(config: config, networks: networks, dataset: dataset)
        case .contrastive:
            objective = ContrastiveObjective(config: config, networks: networks, dataset: dataset,
                                             augmentation: augmentation)
        case .supervised:
            objective = SupervisedObjective(networks: networks, dataset: dataset)
        case .simclr:
            objective = SimCLRObjective(config: config, networks: networks, dataset: dataset,
                                        augmentation: augmentation)
        }
        networks.train()
        applyFreezing()
    }

    public var finished: Bool { iteration >= config.iterations }

    /// Parts whose budget is reached are frozen (no gradient, no EMA update), permanently.
    private func applyFreezing() {
        for part in networks.parts where iteration >= config.budget(part) && !isFrozen(part) {
            optimizer.setFrozen(true, group: part.rawValue)
        }
    }

    private func isFrozen(_ part: ModelPart) -> Bool {
        optimizer.groups.first { $0.name == part.rawValue }!.frozen
    }

    private var trainableParameters: [Tensor] {
        optimizer.groups.filter { !$0.frozen }.flatMap(\.parameters)
    }

    /// Runs iteration `iteration` and advances the counter.
    @discardableResult
    public func step(diagnostics: Bool = false) throws -> StepReport {
        let communication = shard.communicator.communicationSeconds
        var report = try runStep(diagnostics: diagnostics)
        report.communicationSeconds = shard.communicator.communicationSeconds - communication
        return report
    }

    private func runStep(diagnostics: Bool) throws -> StepReport {
        precondition(!finished, "Trainer.step: training already finished at \(iteration) iterations")
        let start = DispatchTime.now().uptimeNanoseconds
        applyFreezing()
        let indices = order.indices(iteration: iteration)
        let randomness = IterationRandomness(seed: config.seed, iteration: iteration)
        let factor = Double(learningRateFactor(step: schedulerSteps, warmup: config.warmup,
                                                total: config.iterations, schedule: config.lrSchedule))
        var report = StepReport(iteration: iteration, applied: false, terms: [:], gradientNorm: .nan,
                                learningRateFactor: factor, seconds: 0)
        defer { iteration += 1 }
        let output: ObjectiveOutput
        do {
            // The flows run on the same gathered anchors on every rank, so all ranks throw together.
            output = try objective.loss(indices: indices, randomness: randomness, diagnostics: diagnostics, shard: shard)
        } catch LatentFlowError.nonFinite {
            report.seconds = elapsed(since: start)
            try recordSkip(report)
            return report
        }
        report.terms = output.terms
        // Ranks decide together: the whole batch's loss (the same on every rank) is finite or not.
        guard shard.isWhole ? output.loss.allFinite : output.terms["loss"]?.isFinite == true else {
            report.seconds = elapsed(since: start)
            try recordSkip(report)
            return report
        }
        let parameters = trainableParameters
        for parameter in parameters { parameter.zeroGrad() }
        output.loss.backward()
        shard.communicator.allreduceSum(parameters.compactMap(\.grad))
        let norm = clipGradNorm(parameters, maxNorm: Float(config.clipNorm))
        report.gradientNorm = Double(norm)
        if norm.isFinite {
            optimizer.step(lrFactor: Float(factor))
            schedulerSteps += 1
            for part in networks.parts where !isFrozen(part) { emas[part]!.update() }
            report.applied = true
            skippedInARow = 0
        }
        for parameter in parameters { parameter.zeroGrad() }
        report.seconds = elapsed(since: start)
        if !report.applied { try recordSkip(report) }
        return report
    }

    /// Counts a skipped iteration; throws `TrainingError.diverged` at `divergenceLimit` in a row.
    private func recordSkip(_ report: StepReport) throws {
        skippedSteps += 1
        skippedInARow += 1
        if skippedInARow >= Self.divergenceLimit {
            throw TrainingError.diverged(iteration: iteration, count: skippedInARow, terms: report.terms)
        }
    }

    private func elapsed(since start: UInt64) -> Double {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        trainingSeconds += seconds
        return seconds
    }

    // MARK: Checkpoints

    /// Everything needed to continue exactly from here (layout: `CheckpointLayout`). A resume state
    /// also carries the seconds trained so far and the metrics not yet recorded; a final checkpoint
    /// holds neither, so the same training gives the same artifact.
    public func checkpoint(resumeState: Bool = false) throws -> CheckpointContents {
        var tensors: [String: Tensor] = [:]
        for part in networks.parts {
            for (name, parameter) in networks.module(part)!.namedParameters() {
                tensors[CheckpointLayout.parameterName(part, name)] = parameter.detached()
            }
            for (name, tensor) in emas[part]!.stateTensors() { tensors[CheckpointLayout.emaPrefix(part) + name] = tensor }
        }
        for (name, tensor) in optimizer.stateTensors() { tensors[CheckpointLayout.optimizerPrefix + name] = tensor }
        let document: JSON = [
            "format": .string(CheckpointLayout.format),
            "config": config.json,
            "iteration": .number(Double(iteration)),
            "finished": .bool(finished),
            "scheduler_steps": .number(Double(schedulerSteps)),
            "skipped_steps": .number(Double(skippedSteps)),
            "parts": .array(networks.parts.map { .string($0.rawValue) }),
            "class_names": .array(dataset.classNames.map(JSON.string)),
            "rng": ["generator": "philox4x32-10", "seed": .number(Double(config.seed)),
                    "data_seed": .number(Double(config.dataSeed)), "derivation": .string(CheckpointLayout.rngDerivation)],
        ]
        guard resumeState, case .object(var fields) = document else { return CheckpointContents(tensors: tensors, document: document) }
        fields["training_seconds"] = .number(trainingSeconds)
        fields["skipped_in_a_row"] = .number(Double(skippedInARow))
        fields["metric_window"] = metricWindow.json
        return CheckpointContents(tensors: tensors, document: .object(fields))
    }

    /// Continues from a checkpoint of the same architecture: weights, EMA shadows, optimiser state
    /// and counters. Throws (changing nothing useful) when it does not fit.
    public func restore(_ contents: CheckpointContents, label: String) throws {
        let stored = try contents.config(label: label)
        try checkArchitecture(stored, label: label)
        guard let iteration = contents.document["iteration"]?.intValue, iteration >= 0, iteration <= config.iterations,
              let schedulerSteps = contents.document["scheduler_steps"]?.intValue,
              let skippedSteps = contents.document["skipped_steps"]?.intValue else {
            throw TrainingError.incompatibleCheckpoint(checkpoint: label, reason: "missing or invalid iteration counters")
        }
        do {
            for part in networks.parts {
                try networks.module(part)!.load(stateDict: contents.tensors(prefixed: CheckpointLayout.parameterName(part, "")))
                try emas[part]!.load(stateTensors: contents.tensors(prefixed: CheckpointLayout.emaPrefix(part)))
            }
            try optimizer.load(stateTensors: contents.tensors(prefixed: CheckpointLayout.optimizerPrefix))
        } catch {
            throw TrainingError.incompatibleCheckpoint(checkpoint: label, reason: "\(error)")
        }
        self.iteration = iteration
        self.schedulerSteps = schedulerSteps
        self.skippedSteps = skippedSteps
        trainingSeconds = contents.document["training_seconds"]?.doubleValue ?? 0
        skippedInARow = contents.document["skipped_in_a_row"]?.intValue ?? 0
        metricWindow = MetricWindow(json: contents.document["metric_window"]) ?? MetricWindow()
        applyFreezing()
    }
}

extension Trainer {
    /// Starts from the trained weights of another checkpoint of the same architecture (optimiser,
    /// EMA and counters start fresh; the EMA shadows start at the loaded weights).
    public func initialize(from contents: CheckpointContents, label: String) throws {
        let stored = try contents.config(label: label)
        try checkArchitecture(stored, label: label)
        do {
            for part in networks.parts {
                try networks.module(part)!.load(stateDict: contents.tensors(prefixed: CheckpointLayout.parameterName(part, "")))
            }
        } catch {
            throw TrainingError.incompatibleCheckpoint(checkpoint: label, reason: "\(error)")
        }
        for part in networks.parts {
            let fresh = EMA(namedParameters: networks.module(part)!.namedParameters(), decay: Float(config.emaDecay))
            try emas[part]!.load(stateTensors: fresh.stateTensors())
        }
    }

    func checkArchitecture(_ stored: TrainingConfig, label: String) throws {
        guard stored.architecture != config.architecture else { return }
        let differences = config.architecture.keys.sorted().filter { stored.architecture[$0] != config.architecture[$0] }
            .map { "\($0) is \(stored.architecture[$0] ?? "absent") there, \(config.architecture[$0]!) here" }
        throw TrainingError.incompatibleCheckpoint(checkpoint: label, reason: "another architecture: " + differences.joined(separator: ", "))
    }
}
