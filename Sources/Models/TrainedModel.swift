import Engine
import NN
import Store

/// A trained model read back from a checkpoint, for the evaluation stages: the networks in eval
/// mode with either the trained (`.raw`) or the averaged (`.ema`) weights.
public final class TrainedModel {
    public enum Weights: String, CaseIterable, Sendable {
        case raw, ema
    }

    public let config: TrainingConfig
    public let networks: Networks
    public let weights: Weights
    /// Iterations the checkpoint was trained for.
    public let iteration: Int
    public let classNames: [String]

    /// Encoder (generation with latent lzn, contrastive, supervised, simclr); nil for the RF baseline.
    public var encoder: Encoder? { networks.encoder }
    /// Decoder (generation only).
    public var decoder: UNet? { networks.decoder }
    /// Label anchors [K, D] (case study 3 only).
    public var labelAnchors: Tensor? { networks.labelAnchors?.weight }
    /// Linear classifier on `encoder.features` (supervised only).
    public var classifier: Linear? { networks.classifier }

    init(config: TrainingConfig, networks: Networks, weights: Weights, iteration: Int, classNames: [String]) {
        self.config = config
        self.networks = networks
        self.weights = weights
        self.iteration = iteration
        self.classNames = classNames
    }

    /// Loads a checkpoint bundle written by the training stage.
    public static func load(store: Store, artifact: Artifact, weights: Weights = .ema) throws -> TrainedModel {
        let contents = try CheckpointContents.load(artifact, from: store)
        return try load(contents, label: artifact.label, weights: weights)
    }

    /// Loads a checkpoint by artifact id, id prefix or name.
    public static func load(store: Store, reference: String, weights: Weights = .ema) throws -> TrainedModel {
        try load(store: store, artifact: try store.resolve(reference), weights: weights)
    }

    public static func load(_ contents: CheckpointContents, label: String, weights: Weights) throws -> TrainedModel {
        let config = try contents.config(label: label)
        let networks = try Networks(config: config)
        for part in networks.parts {
            let prefix = weights == .raw ? CheckpointLayout.parameterName(part, "") : CheckpointLayout.emaShadowName(part, "")
            do {
                try networks.module(part)!.load(stateDict: contents.tensors(prefixed: prefix))
            } catch {
                throw TrainingError.incompatibleCheckpoint(checkpoint: label, reason: "\(part.rawValue) \(weights.rawValue) weights: \(error)")
            }
        }
        for part in networks.parts { networks.module(part)!.eval() }
        let classNames = contents.document["class_names"]?.arrayValue?.compactMap(\.stringValue) ?? []
        return TrainedModel(config: config, networks: networks, weights: weights, iteration: contents.iteration, classNames: classNames)
    }

    /// Anchors [B, D] of images [B, C, H, W] in [-1, 1] (encoder output; no gradient).
    public func anchors(_ images: Tensor) throws -> Tensor {
        guard let encoder else { throw TrainingError.incompatibleCheckpoint(checkpoint: config.mode.rawValue, reason: "this model has no encoder") }
        return withoutGrad { encoder(images) }
    }

    /// The pooled trunk features [B, c0 + c1 + c2] (the linear-probe and FID representation; no gradient).
    public func features(_ images: Tensor) throws -> Tensor {
        guard let encoder else { throw TrainingError.incompatibleCheckpoint(checkpoint: config.mode.rawValue, reason: "this model has no encoder") }
        return withoutGrad { encoder.features(images) }
    }

    /// Class logits [B, K] of the supervised classifier (no gradient).
    public func logits(_ images: Tensor) throws -> Tensor {
        guard let classifier else { throw TrainingError.incompatibleCheckpoint(checkpoint: config.mode.rawValue, reason: "this model has no classifier") }
        let features = try features(images)
        return withoutGrad { classifier(features) }
    }
}
