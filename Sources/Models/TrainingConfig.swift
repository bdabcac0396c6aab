import LZN
import NN
import StageKit

/// What a training run trains (LZN-ALGORITHM §3): the generation trainer (case studies 1 and 3 and
/// the plain rectified-flow baseline), the contrastive trainer (case study 2), and the two baselines.
public enum TrainingMode: String, Codable, CaseIterable, Sendable, KnobChoice {
    case generation, contrastive, supervised, simclr
}

/// Whether the generation decoder is conditioned on an LZN latent (`lzn`) or on nothing (`none`,
/// the plain rectified-flow baseline).
public enum LatentKind: String, Codable, CaseIterable, Sendable, KnobChoice {
    case lzn, none
}

extension LabelLossForm: KnobChoice {}
extension LearningRateSchedule: KnobChoice {}

/// Every knob of a training run, each declared once: the field's snake_case name is the
/// `lzn-train` parameter and the key in a checkpoint's "config", its initial value the default, and
/// the range the values it accepts (`KnobSet`). A value of 0 where the doc says "0: …" is resolved
/// by `resolved()`, the only place that knows those rules.
public struct TrainingConfig: KnobSet, Equatable, Sendable {
    @Knob(required: true, doc: "generation (case studies 1/3, RF baseline), contrastive (case study 2), supervised, simclr")
    public var mode: TrainingMode = .generation
    @Knob(doc: "generation: condition the decoder on LZN latents (lzn) or on nothing (none = plain rectified flow)")
    public var latent: LatentKind = .lzn
    @Knob(doc: "generation: case study 3 (one-hot labels, learned label anchors, label loss)")
    public var conditional = false
    @Knob(choices: NetworkPreset.all.map(\.name), doc: "network preset (docs/MODELS.md)")
    public var preset = "s"
    @Knob(.nonNegative, doc: "latent (anchor) dimension D (0: the preset's, 32 for s)")
    public var latentDim = 0
    @Knob(.atLeast(1), doc: "global batch = the anchor set of the latent flows")
    public var batch = 128
    @Knob(.atLeast(1), doc: "training iterations (the largest part budget)")
    public var iterations = 1000
    @Knob(.nonNegative, doc: "encoder (and head) budget, frozen afterwards (0: iterations)")
    public var encoderIterations = 0
    @Knob(.nonNegative, doc: "decoder budget, frozen afterwards (0: iterations)")
    public var decoderIterations = 0
    @Knob(.nonNegative, doc: "label-anchor budget, frozen afterwards (0: iterations)")
    public var labelAnchorIterations = 0
    @Knob(.nonNegative, doc: "encoder and head Adam learning rate (0: 1e-4 for generation, 1e-3 otherwise)")
    public var encoderLR = 0.0
    @Knob(.positive, doc: "decoder Adam learning rate")
    public var decoderLR = 1e-3
    @Knob(.positive, doc: "label-anchor Adam learning rate")
    public var labelAnchorLR = 1e-3
    @Knob(.atLeast(1), doc: "linear warm-up steps (the paper's 5000 is longer than a CPU budget)")
    public var warmup = 100
    @Knob(doc: "learning rate after the warm-up: constant (the paper's) or cosine (half a cosine down to 0 at the last iteration)")
    public var lrSchedule: LearningRateSchedule = .constant
    @Knob(.positive, doc: "global gradient-norm clipping")
    public var clipNorm = 1.0
    @Knob(.unit, doc: "EMA decay cap, with the (1 + n)/(10 + n) warm-up rule")
    public var emaDecay = 0.9999
    @Knob(.fraction, doc: "dropout in the decoder's ResBlocks")
    public var dropout = 0.0
    @Knob(.atLeast(1), doc: "steps of the image latent flow (DPM-Solver++ 3 / contrastive Euler)")
    public var latentSteps = 20
    @Knob(.atLeast(1), doc: "steps of the reverse Euler label flow (case study 3)")
    public var labelSteps = 100
    @Knob(.fraction, doc: "cut-off fraction of the label and assignment losses")
    public var cutoff = 0.2
    @Knob(.positive, doc: "contrastive: prior scale of the forward latent flow")
    public var priorScale = 0.45
    @Knob(doc: "contrastive: average the assignment loss over both directions (view 1's latents toward view 0's anchors too; not the paper's)")
    public var symmetric = false
    @Knob(doc: "case study 3: class-frequency weights in the label loss")
    public var classWeights = true
    @Knob(doc: "case study 3: label loss −mean q (prob, the paper's) or −mean log q (log_prob) of the true class's probability q")
    public var labelLoss: LabelLossForm = .prob
    @Knob(.nonNegative, doc: "case study 3: weight of the label loss beside the decoder's loss")
    public var labelLossWeight = 1.0
    @Knob(.share, doc: "contrastive, simclr: smallest area share of the random resized crop of the two-view augmentation (the paper's 0.08)")
    public var cropScaleMin = 0.08
    @Knob(.positive, doc: "simclr: NT-Xent temperature")
    public var temperature = 0.5
    @Knob(.atLeast(1), doc: "simclr: output width of the contrastive head (the projection)")
    public var projectionDim = 64
    @Knob(.nonNegative, doc: "initialisation and per-iteration randomness")
    public var seed: UInt64 = 0
    @Knob(.nonNegative, doc: "epoch permutations (epoch e uses data_seed + e)")
    public var dataSeed: UInt64 = 0
    @Knob(.atLeast(1), doc: "iterations between resume checkpoints")
    public var checkpointEvery = 200
    @Knob(.atLeast(1), doc: "iterations between training-metric records")
    public var metricsEvery = 10

    // Facts of the training data, not knobs.
    public var imageChannels = 1
    public var imageSize = 28
    /// Number of classes of the training data (0 for unlabelled data).
    public var classCount = 0

    public init() {}

    /// This configuration for a dataset's image shape and class count.
    public init(mode: TrainingMode, imageChannels: Int, imageSize: Int, classCount: Int, _ configure: (inout TrainingConfig) -> Void = { _ in }) {
        self.mode = mode
        self.imageChannels = imageChannels
        self.imageSize = imageSize
        self.classCount = classCount
        configure(&self)
    }

    /// The "0: …" defaults made concrete: latent_dim from the preset, the encoder learning rate
    /// from the mode, part budgets from `iterations`. Idempotent.
    public func resolved() -> TrainingConfig {
        var config = self
        if config.latentDim == 0, let preset = networkPreset { config.latentDim = preset.latentDim }
        if config.encoderLR == 0 { config.encoderLR = mode == .generation ? 1e-4 : 1e-3 }
        if config.encoderIterations == 0 { config.encoderIterations = iterations }
        if config.decoderIterations == 0 { config.decoderIterations = iterations }
        if config.labelAnchorIterations == 0 { config.labelAnchorIterations = iterations }
        return config
    }

    /// The tag of this model's metrics (rf, rf-lzn, lzn-conditional, lzn, simclr, supervised): its
    /// training time here, its evaluation metrics unless an evaluation stage sets another.
    public var evaluationTag: String {
        switch mode {
        case .generation: return conditional ? "lzn-conditional" : (latent == .lzn ? "rf-lzn" : "rf")
        case .contrastive: return "lzn"
        case .supervised, .simclr: return mode.rawValue
        }
    }

    public var networkPreset: NetworkPreset? { NetworkPreset.named(preset) }

    /// Which parts this configuration trains.
    public var parts: [ModelPart] {
        switch mode {
        case .generation:
            return (latent == .lzn ? [.encoder] : []) + [.decoder] + (conditional ? [.labelAnchors] : [])
        case .contrastive, .simclr: return [.encoder]
        case .supervised: return [.encoder, .head]
        }
    }

    /// Whether the training step runs a latent flow over the batch (needs at least two anchors).
    public var usesLatentFlow: Bool {
        mode == .contrastive || (mode == .generation && latent == .lzn)
    }

    /// The fields that decide the networks' shapes: a checkpoint fits a configuration iff these agree.
    public var architecture: [String: String] {
        var fields = ["mode": mode.rawValue, "preset": preset, "latent_dim": "\(latentDim)",
                      "image_channels": "\(imageChannels)", "image_size": "\(imageSize)"]
        if mode == .generation {
            fields["latent"] = latent.rawValue
            fields["conditional"] = "\(conditional)"
        }
        if mode == .supervised || (mode == .generation && conditional) { fields["class_count"] = "\(classCount)" }
        if mode == .simclr { fields["projection_dim"] = "\(projectionDim)" }
        return fields
    }

    /// The budget of one part (§3.1): it is frozen from this iteration on.
    public func budget(_ part: ModelPart) -> Int {
        switch part {
        case .encoder, .head: return encoderIterations
        case .decoder: return decoderIterations
        case .labelAnchors: return labelAnchorIterations
        }
    }

    public func learningRate(_ part: ModelPart) -> Double {
        switch part {
        case .encoder, .head: return encoderLR
        case .decoder: return decoderLR
        case .labelAnchors: return labelAnchorLR
        }
    }

    /// Every problem that would make training fail or be meaningless, found before any work: each
    /// knob outside its declared range or choices, then what the knobs mean together and for the data.
    public func problems(labelled: Bool, datasetCount: Int) -> [String] {
        var found = Self.problems(in: Dictionary(uniqueKeysWithValues: values.map { ($0.name, $0.value) })).map(\.reason)
        if mode == .generation && imageSize % 4 != 0 {
            found.append("the decoder needs an image size divisible by 4, the dataset has \(imageSize)")
        }
        if conditional && mode != .generation { found.append("conditional = true only applies to mode generation") }
        if conditional && latent != .lzn { found.append("conditional = true needs latent = \"lzn\" (the label flow runs on the LZN latents)") }
        if (conditional || mode == .supervised) && !labelled {
            found.append("mode \(mode.rawValue)\(conditional ? " with conditional = true" : "") needs a labelled dataset, this one has no labels")
        }
        if usesLatentFlow && batch < 2 { found.append("batch must be at least 2 for the latent flows (the anchor set is the batch), got \(batch)") }
        if mode == .simclr && batch < 2 { found.append("batch must be at least 2 for NT-Xent (it needs negatives), got \(batch)") }
        if batch > datasetCount { found.append("batch \(batch) is larger than the dataset (\(datasetCount) images)") }
        for (name, value) in [("encoder_iterations", encoderIterations), ("decoder_iterations", decoderIterations),
                              ("label_anchor_iterations", labelAnchorIterations)] where value > iterations {
            found.append("\(name) must be in 0...iterations (\(iterations)), got \(value)")
        }
        return found
    }
}

/// The separately optimised parts of a model (own learning rate, budget and EMA; §3.1).
public enum ModelPart: String, Codable, CaseIterable, Sendable {
    case encoder, decoder
    case labelAnchors = "label_anchors"
    /// The supervised classifier.
    case head
}
