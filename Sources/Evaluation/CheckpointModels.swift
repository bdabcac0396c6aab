// The networks of a training checkpoint, rebuilt for evaluation.
//
// A checkpoint is a bundle artifact written by lzn-train (Training's CheckpointLayout,
// "lzn-checkpoint/1"): float32 members "params.<part>.<parameter>" (trained weights) and
// "ema.<part>.shadow.<parameter>" (EMA weights), parts encoder, decoder, label_anchors (parameter
// "weight", K×D) and head (the supervised classifier's Linear, or SimCLR's projection, unused
// here); the document's "config" holds the TrainingConfig (mode, latent, conditional, preset,
// latentDim, imageChannels, imageSize, classCount). Only this file knows that layout; once the
// Training library is in main, Training.TrainedModel can take its place.
import ArrayFormats
import Engine
import NN
import Store

/// Raw parameters or their exponential moving average.
public enum CheckpointWeights: String, CaseIterable, Sendable {
    case raw, ema
}

/// The architecture recorded in a checkpoint's document.
public struct CheckpointConfig: Equatable, Sendable {
    public var mode: String
    public var preset: NetworkPreset
    public var latentDim: Int
    public var imageChannels: Int
    public var imageSize: Int
    public var numClasses: Int
    /// Whether the decoder is conditioned on an LZN latent ("lzn") or not ("none", the RF baseline).
    public var usesLatent: Bool
    /// Case study 3: one-hot labels into the decoder and learned label anchors.
    public var conditional: Bool

    /// The tag of this model's metrics (see EvaluationMetrics) unless a stage overrides it.
    public var tag: String {
        switch mode {
        case "generation": return conditional ? "lzn-conditional" : (usesLatent ? "rf-lzn" : "rf")
        case "contrastive": return "lzn"
        default: return mode
        }
    }
}

/// The parts of a checkpoint evaluation uses; absent parts are nil.
public struct CheckpointModels {
    public let config: CheckpointConfig
    public let encoder: Encoder?
    public let decoder: UNet?
    /// The supervised baseline's classifier on the encoder's pooled features.
    public let head: Linear?
    public let labelAnchors: Tensor?

    public static let format = "lzn-checkpoint/1"

    /// Loads `artifact` (a bundle) with the chosen weights; every mismatch is an error naming the artifact.
    public static func load(from store: Store, artifact: Artifact, weights: CheckpointWeights) throws -> CheckpointModels {
        guard artifact.kind == .bundle else {
            throw EvaluationError("checkpoint", "\(artifact.label) is a \(artifact.kind.rawValue), expected a checkpoint bundle")
        }
        let document = try store.json(of: artifact.id)
        guard document["format"]?.stringValue == format else {
            throw EvaluationError("checkpoint", "\(artifact.label) has format \(document["format"]?.text ?? "none"), expected \(format)")
        }
        guard let configJSON = document["config"] else { throw EvaluationError("checkpoint", "\(artifact.label) has no config") }
        let config = try parseConfig(configJSON, label: artifact.label)
        let tensors = try store.bundleTensors(artifact.id)
        func keyPrefix(_ part: String) -> String { weights == .ema ? "ema.\(part).shadow." : "params.\(part)." }
        func state(_ part: String) -> [String: Tensor]? {
            let keyPrefix = keyPrefix(part)
            let members = tensors.filter { $0.key.hasPrefix(keyPrefix) }
            guard !members.isEmpty else { return nil }
            return Dictionary(uniqueKeysWithValues: members.map { key, array in
                (String(key.dropFirst(keyPrefix.count)), Tensor(shape: array.shape, values: array.floats()))
            })
        }
        func build<M: Module>(_ part: String, _ make: () -> M) throws -> M? {
            guard let parameters = state(part) else { return nil }
            let module = make()
            do {
                try module.load(stateDict: parameters)
            } catch {
                throw EvaluationError("checkpoint", "\(artifact.label): \(weights.rawValue) \(part) does not fit a \(config.preset.name) \(M.self): \(error)")
            }
            module.eval()
            return module
        }
        var rng = Philox(seed: 0)  // initial values are overwritten by the checkpoint
        let encoder = try build("encoder") {
            Encoder(preset: config.preset, imageChannels: config.imageChannels, imageSize: config.imageSize,
                    latentDim: config.latentDim, rng: &rng)
        }
        let decoder = try build("decoder") {
            UNet(preset: config.preset, imageChannels: config.imageChannels, imageSize: config.imageSize,
                 latentDim: config.usesLatent ? config.latentDim : 0, numClasses: config.conditional ? config.numClasses : 0, rng: &rng)
        }
        let head = config.mode != "supervised" ? nil : try build("head") { () -> Linear in
            let width = config.preset.encoderChannels.0 + config.preset.encoderChannels.1 + config.preset.encoderChannels.2
            return Linear(width, config.numClasses, rng: &rng)
        }
        var labelAnchors: Tensor?
        if let anchors = state("label_anchors")?["weight"] {
            guard anchors.shape == [config.numClasses, config.latentDim] else {
                throw EvaluationError("checkpoint", "\(artifact.label): label anchors are \(anchors.shape), expected [\(config.numClasses), \(config.latentDim)]")
            }
            labelAnchors = anchors
        }
        return CheckpointModels(config: config, encoder: encoder, decoder: decoder, head: head, labelAnchors: labelAnchors)
    }

    static func parseConfig(_ json: JSON, label: String) throws -> CheckpointConfig {
        func field<T>(_ key: String, _ value: (JSON) -> T?) throws -> T {
            guard let v = json[key].flatMap(value) else {
                throw EvaluationError("checkpoint", "\(label): config has no valid '\(key)'")
            }
            return v
        }
        let presetName = try field("preset", \.stringValue)
        guard let preset = NetworkPreset.named(presetName) else {
            throw EvaluationError("checkpoint", "\(label): unknown preset '\(presetName)'")
        }
        return CheckpointConfig(mode: try field("mode", \.stringValue), preset: preset,
                                latentDim: try field("latentDim", \.intValue),
                                imageChannels: try field("imageChannels", \.intValue),
                                imageSize: try field("imageSize", \.intValue),
                                numClasses: json["classCount"]?.intValue ?? 0,
                                usesLatent: (json["latent"]?.stringValue ?? "lzn") != "none",
                                conditional: json["conditional"]?.boolValue ?? false)
    }

    /// A part that must be present, or an error naming what the checkpoint lacks.
    public func require<T>(_ part: T?, _ name: String, for purpose: String) throws -> T {
        guard let part else {
            throw EvaluationError(purpose, "the \(config.mode) checkpoint has no \(name)")
        }
        return part
    }
}
