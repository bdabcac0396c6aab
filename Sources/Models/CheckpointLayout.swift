import ArrayFormats
import Engine
import StageKit
import Store

/// The layout of a training checkpoint: a store bundle whose members are float32 tensors named
///
///   params.<part>.<parameter>            trained weights   (part: encoder, decoder, label_anchors, head)
///   ema.<part>.shadow.<parameter>        EMA weights of the part (§3.1, use_num_updates)
///   ema.<part>.num_updates               scalar
///   optimizer.<part>.<parameter>.exp_avg / .exp_avg_sq / .step     Adam state (one group per part)
///
/// with <parameter> the module's dotted parameter names (`b0.c1.weight`, `heads.1.3.weight`; the
/// label anchors' single parameter is `weight`, the [K, D] matrix), and whose JSON document is
///
///   {"format": "lzn-checkpoint/1", "config": {TrainingConfig's fields}, "iteration": N,
///    "finished": Bool, "scheduler_steps": S, "skipped_steps": K, "parts": ["encoder", ...],
///    "class_names": [...], "rng": {"generator": "philox4x32-10", "seed": ..., "derivation": ...}}
///
/// (a resume state also holds "training_seconds", the step time so far, and "metric_window", the
/// partial sums of the training metrics since the last record; a final checkpoint holds neither, so
/// the same training always gives the same artifact)
///
/// The config holds every training knob under its parameter name (`lzn-train --describe`: mode,
/// latent_dim, encoder_lr, …, resolved: no "0: the default" values) plus the data's image_channels,
/// image_size and class_count. Checkpoints written before the knobs spelled these keys in camelCase
/// (latentDim); both spellings are read.
///
/// All randomness of iteration i is derived from (config.seed, i) (see `IterationRandomness`), so
/// the checkpoint's RNG state is the seed plus the iteration counter.
public enum CheckpointLayout {
    public static let format = "lzn-checkpoint/1"

    public static func parameterName(_ part: ModelPart, _ name: String) -> String { "params.\(part.rawValue).\(name)" }
    public static func emaPrefix(_ part: ModelPart) -> String { "ema.\(part.rawValue)." }
    public static func emaShadowName(_ part: ModelPart, _ name: String) -> String { emaPrefix(part) + "shadow." + name }
    public static let optimizerPrefix = "optimizer."
    public static let rngDerivation = "iteration i uses Philox(seed: config.seed, stream: 0x7121).split(i)"
}

/// The named tensors and the document of one checkpoint, in memory.
public struct CheckpointContents {
    public var tensors: [String: Tensor]
    public var document: JSON

    public init(tensors: [String: Tensor], document: JSON) {
        self.tensors = tensors
        self.document = document
    }

    /// Puts the checkpoint into the store as a bundle artifact.
    public func save(in store: Store, name: String) throws -> Artifact {
        try store.putBundle(tensors.mapValues { NDArray(float32: $0.values, shape: $0.shape) }, document: document, name: name)
    }

    /// Reads a checkpoint bundle, checking its format.
    public static func load(_ artifact: Artifact, from store: Store) throws -> CheckpointContents {
        guard artifact.kind == .bundle else {
            throw TrainingError.incompatibleCheckpoint(checkpoint: artifact.label, reason: "it is a \(artifact.kind.rawValue), not a bundle")
        }
        let document = try store.json(of: artifact.id)
        guard document["format"]?.stringValue == CheckpointLayout.format else {
            throw TrainingError.incompatibleCheckpoint(
                checkpoint: artifact.label, reason: "format is \(document["format"]?.text ?? "missing"), expected \(CheckpointLayout.format)")
        }
        var tensors: [String: Tensor] = [:]
        for (name, array) in try store.bundleTensors(artifact.id) {
            guard array.dtype == .float32 else {
                throw TrainingError.incompatibleCheckpoint(checkpoint: artifact.label, reason: "member \(name) is \(array.dtype), expected float32")
            }
            tensors[name] = Tensor(shape: array.shape, values: array.floats())
        }
        return CheckpointContents(tensors: tensors, document: document)
    }

    /// The training configuration stored in the document.
    public func config(label: String) throws -> TrainingConfig {
        guard let config = document["config"] else {
            throw TrainingError.incompatibleCheckpoint(checkpoint: label, reason: "its document has no config")
        }
        guard let fields = config.objectValue else {
            throw TrainingError.incompatibleCheckpoint(checkpoint: label, reason: "its config is not an object")
        }
        do {
            return try TrainingConfig(values: fields)
        } catch {
            throw TrainingError.incompatibleCheckpoint(checkpoint: label, reason: "unreadable config: \(error)")
        }
    }

    /// The members whose names start with `prefix`, with the prefix removed.
    public func tensors(prefixed prefix: String) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (name, tensor) in tensors where name.hasPrefix(prefix) { out[String(name.dropFirst(prefix.count))] = tensor }
        return out
    }

    public var iteration: Int { document["iteration"]?.intValue ?? 0 }
    public var finished: Bool { document["finished"]?.boolValue ?? false }
}
