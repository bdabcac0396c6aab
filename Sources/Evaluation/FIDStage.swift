// The lzn-fid stage: FID between generated samples and a real dataset split, with the pooled
// encoder features of a classifier trained on the real training set as the feature network; for
// class-conditional samples also the share its classifier assigns to the class they were generated for.
import ArrayFormats
import Datasets
import Engine
import NN
import Report
import StageKit
import Store
import Models

public enum FIDStage {
    public static let description = StageDescription(
        name: "lzn-fid", version: "2",
        summary: "FID (float64, eigendecomposition square root) between classifier features of generated samples and real images. Not Inception FID.",
        params: [
            .string("model", default: "", doc: "Tag of the generative model (rf, rf-lzn, lzn-conditional, ...); empty = the samples' own tag."),
            .string("weights", default: "ema", choices: ["raw", "ema"], doc: "Weights of the feature network."),
            .int("batch_size", default: 500, doc: "Images per feature-network batch."),
            .int("reference_count", default: 0, doc: "Use the first N reference images (0 = all)."),
        ],
        inputs: [
            ArtifactSpec("samples", kind: "tensor", doc: "Generated images, uint8 N×C×H×W, from lzn-generate."),
            ArtifactSpec("reference", kind: "dataset", doc: "Real images, normally the training split (§6.1)."),
            ArtifactSpec("features", kind: "bundle", doc: "Checkpoint of the supervised classifier trained on the real training set."),
        ],
        outputs: [ArtifactSpec("result", kind: "json",
                               doc: "FID, sampler, model tag, sample counts, feature dimension; conditional_sample_accuracy for class-conditional samples.")])

    public static let stage = Stage(description) { try run($0) }

    static func run(_ ctx: StageContext) throws {
        let samplesArtifact = ctx.input("samples")
        let samples = try GeneratedSamples.load(samplesArtifact, from: ctx.store)
        let model = ctx.params.string("model").isEmpty ? samples.model : ctx.params.string("model")
        guard !model.isEmpty else { throw ctx.fail("no model tag: set the 'model' parameter (the samples carry none)") }
        var reference = try DatasetArtifact.load(ctx.input("reference").id.hex, from: ctx.store)
        let limit = ctx.params.int("reference_count")
        if limit > 0, limit < reference.count { reference = reference.selecting(Array(0..<limit)) }
        guard [reference.channels, reference.height, reference.width] == [samples.images.channels, samples.images.height, samples.images.width] else {
            throw ctx.fail("samples are \(samples.images.channels)×\(samples.images.height)×\(samples.images.width) images, the reference \(reference.channels)×\(reference.height)×\(reference.width)")
        }
        let network = try TrainedModel.load(from: ctx.store, artifact: ctx.input("features"), weights: ctx.params.string("weights"))
        let encoder = try network.require(network.encoder, "encoder", for: ctx.stageName)

        // Class-conditional samples are also classified: the logits come from the pass that computes the features.
        let classifier = samples.labels == nil ? nil : network.classifier
        if let labels = samples.labels, let classes = classifier?.outFeatures, let bad = labels.first(where: { $0 >= classes }) {
            throw ctx.fail("sample class \(bad) is outside the \(classes) classes of the feature network's classifier")
        }
        if samples.labels != nil && classifier == nil {
            ctx.log("\(ctx.stageName): no \(EvaluationMetrics.conditionalSampleAccuracy): the \(network.config.mode.rawValue) feature checkpoint has no classifier")
        }

        let total = samples.images.count + reference.count
        let batch = ctx.params.int("batch_size")
        let outputs = try NetworkEvaluation.mapEach(samples.images, batchSize: batch,
                                                    progress: { ctx.progress.report(done: $0, total: total, unit: "images") }) { x in
            let features = encoder.features(x)
            return [features] + (classifier.map { [$0(features)] } ?? [])
        }
        let generated = outputs[0]
        let real = try NetworkEvaluation.map(reference, batchSize: batch,
                                             progress: { ctx.progress.report(done: samples.images.count + $0, total: total, unit: "images") }) { encoder.features($0) }
        let fid = try FID.distance(FeatureStatistics(features: generated.values, rows: samples.images.count, dimension: generated.width),
                                   FeatureStatistics(features: real.values, rows: reference.count, dimension: real.width))
        ctx.metric(EvaluationMetrics.fidPrefix + samples.sampler, fid, tag: model)
        ctx.log("\(ctx.stageName): FID \(fid) (\(samples.sampler), \(model), \(samples.images.count) samples vs \(reference.count) real, \(generated.width)-d features)")
        var result: [String: JSON] = ["fid": .number(fid), "sampler": .string(samples.sampler), "model": .string(model),
                                      "samples": .number(Double(samples.images.count)), "reference": .number(Double(reference.count)),
                                      "feature_dim": .number(Double(generated.width)),
                                      "feature_network": .string(ctx.input("features").id.hex)]
        if let labels = samples.labels, let logits = outputs.dropFirst().first {
            let accuracy = NetworkEvaluation.accuracy(logits: logits.values, width: logits.width, labels: labels)
            ctx.metric(EvaluationMetrics.conditionalSampleAccuracy, accuracy, tag: model)
            ctx.log("\(ctx.stageName): \(EvaluationMetrics.conditionalSampleAccuracy) \(accuracy) (\(labels.count) class-conditional samples)")
            result[EvaluationMetrics.conditionalSampleAccuracy] = .number(accuracy)
        }
        try ctx.setOutput("result", ctx.store.putJSON(.object(result), name: "fid-\(ctx.stageName)"))
    }
}
