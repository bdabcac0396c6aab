// The lzn-probe stage: linear probes on frozen features or raw pixels (§6.5), and the
// classification accuracy of a trained model: the case-3 read-out through the label flow (§6.4,
// with and without class weights) or the supervised baseline's classifier.
import ArrayFormats
import Datasets
import Engine
import LZN
import Report
import StageKit
import Store
import Models

public enum ProbeStage {
    public static let description = StageDescription(
        name: "lzn-probe", version: "1",
        summary: "Top-1 accuracy: a linear probe on features (or raw pixels), or a trained model's own classification.",
        params: [
            .string("mode", default: "linear", choices: ["linear", "classifier"],
                    doc: "linear: softmax regression on train features, accuracy on test; classifier: the checkpoint classifies (case 3: label flow, §6.4; supervised: its head)."),
            .string("tag", default: "", doc: "Tag of the metrics; empty = from the features' or checkpoint's model (pixels for raw pixels)."),
            .int("epochs", default: 30, doc: "Linear probe: passes over the training features."),
            .float("learning_rate", default: 1e-3, doc: "Linear probe: Adam learning rate."),
            .int("batch_size", default: 256, doc: "Linear probe: batch size (last partial batch dropped)."),
            .int("seed", default: 100, doc: "Linear probe: initialisation and training order; case 3: the prior draws."),
            .bool("normalize", default: false, doc: "Linear probe: standardise features with the training statistics."),
            .string("weights", default: "ema", choices: ["raw", "ema"], doc: "Classifier: checkpoint weights."),
            .int("latent_batch_size", default: 1000, doc: "Case 3: images per batch = anchor set of the latent flow."),
            .string("latent_batches", default: "consecutive", choices: ["consecutive", "shuffled"],
                    doc: "Case 3: batches of consecutive images (a last partial batch kept), or the paper's protocol (§6.4): a seeded shuffle cut into full batches, the incomplete one dropped."),
            .int("latent_steps", default: 20, doc: "Case 3: DPM-Solver++(3) steps of the image latents."),
            .int("label_steps", default: 100, doc: "Case 3: Euler steps of the reverse label flow."),
            .float("prior_scale", default: 1.0, doc: "Case 3: scale of the prior draws (§6.4 tunable-std variant)."),
        ],
        inputs: [
            ArtifactSpec("train", kind: "tensor", optional: true, doc: "Linear: N×F features of the training split (lzn-latents); labels come from its dataset."),
            ArtifactSpec("test", kind: "tensor", optional: true, doc: "Linear: features of the evaluation split (test, or a holdout part: split 'validation' in the metrics)."),
            ArtifactSpec("train_dataset", kind: "dataset", optional: true, doc: "Linear without features: raw pixels; classifier: also report train accuracy."),
            ArtifactSpec("test_dataset", kind: "dataset", optional: true, doc: "Linear without features: raw pixels; classifier: the evaluation split."),
            ArtifactSpec("checkpoint", kind: "bundle", optional: true, doc: "Classifier: a case-3 (label anchors) or supervised checkpoint."),
        ],
        outputs: [ArtifactSpec("result", kind: "json", doc: "The accuracies and what they are of.")])

    public static let stage = Stage(description) { try run($0) }

    static func run(_ ctx: StageContext) throws {
        var result: [String: JSON] = ["mode": .string(ctx.params.string("mode"))]
        let tag: String
        if ctx.params.string("mode") == "linear" {
            let sets = try probeSets(ctx)
            tag = ctx.params.string("tag").isEmpty ? sets.source : ctx.params.string("tag")
            try requireDistinctSplits(ctx, evaluated: sets.test.split, trainedOn: sets.train.split)
            let p = ctx.params
            let probe = try LinearProbe.run(train: sets.train.features, test: sets.test.features, config: LinearProbeConfig(
                epochs: p.int("epochs"), learningRate: Float(p.float("learning_rate")), batchSize: p.int("batch_size"),
                seed: UInt64(p.int("seed")), normalizeFeatures: p.bool("normalize")))
            for (split, accuracy) in [(sets.test.split, probe.testAccuracy), (sets.train.split, probe.trainAccuracy)] {
                ctx.metric(EvaluationMetrics.probeAccuracy, accuracy, split: split, tag: tag)
                result["\(split)_accuracy"] = .number(accuracy)
            }
            for (epoch, loss) in probe.epochLosses.enumerated() { ctx.metric("probe_loss", loss, step: epoch, tag: tag) }
        } else {
            guard let artifact = ctx.optionalInput("checkpoint") else { throw ctx.fail("mode = classifier needs the 'checkpoint' input") }
            guard ctx.optionalInput("test_dataset") != nil else { throw ctx.fail("mode = classifier needs the 'test_dataset' input") }
            let models = try TrainedModel.load(from: ctx.store, artifact: artifact, weights: ctx.params.string("weights"))
            tag = ctx.params.string("tag").isEmpty ? models.config.evaluationTag : ctx.params.string("tag")
            var datasets = [try labelledDataset(ctx, "test_dataset")]
            if ctx.optionalInput("train_dataset") != nil {
                datasets.append(try labelledDataset(ctx, "train_dataset"))
                try requireDistinctSplits(ctx, evaluated: datasets[0].metricSplit, trainedOn: datasets[1].metricSplit)
            }
            for dataset in datasets {
                let split = dataset.metricSplit
                if models.labelAnchors != nil {
                    let accuracy = try labelFlowAccuracy(ctx, models, dataset)
                    ctx.metric(EvaluationMetrics.classAccuracy, accuracy.uniform, split: split, tag: tag)
                    ctx.metric(EvaluationMetrics.classAccuracyWeighted, accuracy.classWeights, split: split, tag: tag)
                    result["\(split)_accuracy"] = .number(accuracy.uniform)
                    result["\(split)_accuracy_class_weights"] = .number(accuracy.classWeights)
                } else {
                    let accuracy = try headAccuracy(ctx, models, dataset)
                    ctx.metric(EvaluationMetrics.classAccuracy, accuracy, split: split, tag: tag)
                    result["\(split)_accuracy"] = .number(accuracy)
                }
            }
        }
        result["tag"] = .string(tag)
        try ctx.setOutput("result", ctx.store.putJSON(.object(result), name: "probe-\(ctx.stageName)"))
    }

    static func labelledDataset(_ ctx: StageContext, _ input: String) throws -> Dataset {
        let dataset = try DatasetArtifact.load(ctx.input(input).id.hex, from: ctx.store)
        guard dataset.labels != nil else { throw ctx.fail("input '\(input)' (\(dataset.source)) has no labels") }
        return dataset
    }

    /// Accuracies are labelled with their data's `Dataset.metricSplit`: the same label for the
    /// evaluated and the training data would make one hide the other in `latest_metrics`.
    static func requireDistinctSplits(_ ctx: StageContext, evaluated: String, trainedOn: String) throws {
        guard evaluated != trainedOn else {
            throw ctx.fail("the evaluated and the training data are both of split '\(evaluated)'; evaluate on the test split or a holdout part")
        }
    }

    /// Features (or raw pixels) with their labels and the metric split of their dataset.
    typealias ProbeSet = (features: LabelledFeatures, split: String)

    /// Feature tensors with the labels of the dataset they were computed from, or raw pixels;
    /// returns the sets and the tag of what they represent.
    static func probeSets(_ ctx: StageContext) throws -> (train: ProbeSet, test: ProbeSet, source: String) {
        switch (ctx.optionalInput("train"), ctx.optionalInput("test")) {
        case let (train?, test?):
            return (try features(ctx, train), try features(ctx, test), train.metadata["model"]?.stringValue ?? "features")
        case (nil, nil):
            guard ctx.optionalInput("train_dataset") != nil, ctx.optionalInput("test_dataset") != nil else {
                throw ctx.fail("mode = linear needs 'train' and 'test' features, or 'train_dataset' and 'test_dataset' for raw pixels")
            }
            return (try pixels(labelledDataset(ctx, "train_dataset")), try pixels(labelledDataset(ctx, "test_dataset")), "pixels")
        default:
            throw ctx.fail("give both 'train' and 'test' features, or neither")
        }
    }

    static func pixels(_ dataset: Dataset) throws -> ProbeSet {
        (try LabelledFeatures(features: dataset.images.map { PixelScale.signed[Int($0)] }, labels: dataset.labels!,
                              dimension: dataset.imageByteCount, source: "pixels of \(dataset.source)"), dataset.metricSplit)
    }

    static func features(_ ctx: StageContext, _ artifact: Artifact) throws -> ProbeSet {
        guard let datasetID = artifact.metadata["dataset"]?.stringValue else {
            throw ctx.fail("\(artifact.label) names no dataset in its metadata; features must come from lzn-latents")
        }
        let dataset = try DatasetArtifact.load(datasetID, from: ctx.store)
        guard let labels = dataset.labels else { throw ctx.fail("the dataset of \(artifact.label) (\(dataset.source)) has no labels") }
        let array = try ctx.store.tensor(artifact.id)
        guard array.shape.count == 2, array.shape[0] == dataset.count, array.dtype == .float32 || array.dtype == .float64 else {
            throw ctx.fail("\(artifact.label) is \(array.dtype.rawValue) \(array.shape), expected float [\(dataset.count), F]")
        }
        return (try LabelledFeatures(features: array.floats(), labels: labels, dimension: array.shape[1], source: artifact.label), dataset.metricSplit)
    }

    static func labelFlowAccuracy(_ ctx: StageContext, _ models: TrainedModel, _ dataset: Dataset) throws -> (uniform: Double, classWeights: Double) {
        let p = ctx.params
        let encoder = try models.require(models.encoder, "encoder", for: ctx.stageName)
        let labelAnchors = try models.require(models.labelAnchors, "label anchors", for: ctx.stageName)
        let anchors = try NetworkEvaluation.map(dataset, batchSize: p.int("latent_batch_size"),
                                                progress: { ctx.progress.report(done: $0, total: dataset.count, unit: "images") }) { encoder($0) }
        var order = Array(0..<dataset.count)
        if p.string("latent_batches") == "shuffled" {
            let batch = p.int("latent_batch_size")
            guard batch >= 1, batch <= dataset.count else {
                throw ctx.fail("latent_batch_size \(batch) must be in 1...\(dataset.count) (the images of the split) for shuffled batches")
            }
            // The same seeded permutation and dropped tail as a training epoch.
            let epoch = EpochOrder(count: dataset.count, batchSize: batch, dataSeed: UInt64(p.int("seed")))
            order = Array(epoch.permutation(epoch: 0).prefix(epoch.batchesPerEpoch * batch))
        }
        let width = anchors.width
        let selected = anchors.values.withUnsafeBufferPointer { values in
            order.flatMap { values[($0 * width)..<(($0 + 1) * width)] }
        }
        return try LatentEvaluation.classAccuracy(
            anchors: FlowMatrix(rows: order.count, columns: width, values: selected), labels: order.map { dataset.labels![$0] },
            labelAnchors: FlowMatrix(rows: labelAnchors.shape[0], columns: labelAnchors.shape[1], values: labelAnchors.values),
            settings: LatentFlowSettings(batchSize: p.int("latent_batch_size"), solver: .dpmSolver(order: 3), steps: p.int("latent_steps"),
                                         priorScale: p.float("prior_scale"), seed: UInt64(p.int("seed"))),
            labelSteps: p.int("label_steps"))
    }

    static func headAccuracy(_ ctx: StageContext, _ models: TrainedModel, _ dataset: Dataset) throws -> Double {
        let encoder = try models.require(models.encoder, "encoder", for: ctx.stageName)
        let head = try models.require(models.classifier, "classifier or label anchors", for: ctx.stageName)
        let logits = try NetworkEvaluation.map(dataset, batchSize: 1000,
                                               progress: { ctx.progress.report(done: $0, total: dataset.count, unit: "images") }) { head(encoder.features($0)) }
        return NetworkEvaluation.accuracy(logits: logits.values, width: logits.width, labels: dataset.labels!)
    }
}
