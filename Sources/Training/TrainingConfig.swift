import NN

/// What a training run trains (LZN-ALGORITHM §3): the generation trainer (case studies 1 and 3 and
/// the plain rectified-flow baseline), the contrastive trainer (case study 2), and the two baselines.
public enum TrainingMode: String, Codable, CaseIterable, Sendable {
    case generation, contrastive, supervised, simclr
}

/// Whether the generation decoder is conditioned on an LZN latent (`lzn`) or on nothing (`none`,
/// the plain rectified-flow baseline).
public enum LatentKind: String, Codable, CaseIterable, Sendable {
    case lzn, none
}

/// Every knob of a training run; the stage parameters map one to one onto these fields (see
/// `TrainStage.description` for the documented defaults). Stored in every checkpoint under "config".
public struct TrainingConfig: Codable, Equatable, Sendable {
    public var mode: TrainingMode
    public var latent: LatentKind
    public var conditional: Bool
    public var preset: String
    /// Latent (anchor) dimension D.
    public var latentDim: Int
    public var imageChannels: Int
    public var imageSize: Int
    /// Number of classes of the training data (0 for unlabelled data).
    public var classCount: Int
    public var batch: Int
    /// Total iterations: training stops at the largest part budget, which is this.
    public var iterations: Int
    /// Per-part budgets (§3.1 freezing); each is at most `iterations`.
    public var encoderIterations: Int
    public var decoderIterations: Int
    public var labelAnchorIterations: Int
    public var encoderLR: Double
    public var decoderLR: Double
    public var labelAnchorLR: Double
    /// Scheduler steps of the linear warm-up (§3.1).
    public var warmup: Int
    public var clipNorm: Double
    public var emaDecay: Double
    /// Dropout inside the decoder's ResBlocks while training.
    public var dropout: Double
    /// Steps of the image latent flow (DPM-Solver++ order 3 for generation, Euler for contrastive).
    public var latentSteps: Int
    /// Steps of the reverse Euler label flow (case study 3).
    public var labelSteps: Int
    /// Cut-off fraction of the label and assignment losses (§2.4–2.5).
    public var cutoff: Double
    /// Prior scale of the contrastive latent flow (§1.4).
    public var priorScale: Double
    /// Class-frequency weights in the label loss (§2.4).
    public var classWeights: Bool
    /// NT-Xent temperature (simclr).
    public var temperature: Double
    /// Output width of the SimCLR projection head.
    public var projectionDim: Int
    public var seed: UInt64
    public var dataSeed: UInt64
    public var checkpointEvery: Int
    public var metricsEvery: Int

    public init(mode: TrainingMode, latent: LatentKind = .lzn, conditional: Bool = false, preset: String = "s",
                latentDim: Int = 32, imageChannels: Int, imageSize: Int, classCount: Int,
                batch: Int = 128, iterations: Int = 1000, encoderIterations: Int = 0, decoderIterations: Int = 0,
                labelAnchorIterations: Int = 0, encoderLR: Double = 0, decoderLR: Double = 1e-3,
                labelAnchorLR: Double = 1e-3, warmup: Int = 100, clipNorm: Double = 1, emaDecay: Double = 0.9999,
                dropout: Double = 0, latentSteps: Int = 20, labelSteps: Int = 100, cutoff: Double = 0.2,
                priorScale: Double = 0.45, classWeights: Bool = true, temperature: Double = 0.5, projectionDim: Int = 64,
                seed: UInt64 = 0, dataSeed: UInt64 = 0, checkpointEvery: Int = 200, metricsEvery: Int = 10) {
        self.mode = mode; self.latent = latent; self.conditional = conditional; self.preset = preset
        self.latentDim = latentDim; self.imageChannels = imageChannels; self.imageSize = imageSize
        self.classCount = classCount; self.batch = batch; self.iterations = iterations
        self.encoderIterations = encoderIterations == 0 ? iterations : encoderIterations
        self.decoderIterations = decoderIterations == 0 ? iterations : decoderIterations
        self.labelAnchorIterations = labelAnchorIterations == 0 ? iterations : labelAnchorIterations
        self.encoderLR = encoderLR == 0 ? TrainingConfig.defaultEncoderLR(mode) : encoderLR
        self.decoderLR = decoderLR; self.labelAnchorLR = labelAnchorLR; self.warmup = warmup
        self.clipNorm = clipNorm; self.emaDecay = emaDecay; self.dropout = dropout
        self.latentSteps = latentSteps; self.labelSteps = labelSteps; self.cutoff = cutoff
        self.priorScale = priorScale; self.classWeights = classWeights; self.temperature = temperature
        self.projectionDim = projectionDim; self.seed = seed; self.dataSeed = dataSeed
        self.checkpointEvery = checkpointEvery; self.metricsEvery = metricsEvery
    }

    /// The encoder learning rate when none is given: generation trains the encoder only through the
    /// decoder and is slower (the paper uses 40× less than the decoder), the other modes train it directly.
    public static func defaultEncoderLR(_ mode: TrainingMode) -> Double {
        mode == .generation ? 1e-4 : 1e-3
    }

    public var networkPreset: NetworkPreset? { NetworkPreset.named(preset) }

    /// Which parts this configuration trains.
    public var parts: [ModelPart] {
        switch mode {
        case .generation:
            return (latent == .lzn ? [.encoder] : []) + [.decoder] + (conditional ? [.labelAnchors] : [])
        case .contrastive: return [.encoder]
        case .supervised, .simclr: return [.encoder, .head]
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

    /// Every problem that would make training fail or be meaningless, found before any work.
    public func problems(labelled: Bool, datasetCount: Int) -> [String] {
        var found: [String] = []
        if networkPreset == nil {
            found.append("unknown preset '\(preset)' (known: \(NetworkPreset.all.map(\.name).joined(separator: ", ")))")
        }
        if latentDim < 1 { found.append("latent_dim must be at least 1, got \(latentDim)") }
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
        if batch < 1 { found.append("batch must be positive, got \(batch)") }
        if batch > datasetCount { found.append("batch \(batch) is larger than the dataset (\(datasetCount) images)") }
        if iterations < 1 { found.append("iterations must be positive, got \(iterations)") }
        for (name, value) in [("encoder_iterations", encoderIterations), ("decoder_iterations", decoderIterations),
                              ("label_anchor_iterations", labelAnchorIterations)] where value < 0 || value > iterations {
            found.append("\(name) must be in 0...iterations (\(iterations)), got \(value)")
        }
        for (name, value) in [("encoder_lr", encoderLR), ("decoder_lr", decoderLR), ("label_anchor_lr", labelAnchorLR)]
        where !(value > 0 && value.isFinite) {
            found.append("\(name) must be positive, got \(value)")
        }
        if warmup < 1 { found.append("warmup must be at least 1 scheduler step, got \(warmup)") }
        if !(clipNorm > 0) { found.append("clip_norm must be positive, got \(clipNorm)") }
        if !(emaDecay >= 0 && emaDecay <= 1) { found.append("ema_decay must be in [0, 1], got \(emaDecay)") }
        if !(dropout >= 0 && dropout < 1) { found.append("dropout must be in [0, 1), got \(dropout)") }
        if latentSteps < 1 || labelSteps < 1 { found.append("latent_steps and label_steps must be positive") }
        if !(cutoff >= 0 && cutoff < 1) { found.append("cutoff must be in [0, 1), got \(cutoff)") }
        if !(temperature > 0) { found.append("temperature must be positive, got \(temperature)") }
        if projectionDim < 1 { found.append("projection_dim must be positive, got \(projectionDim)") }
        if checkpointEvery < 1 || metricsEvery < 1 { found.append("checkpoint_every and metrics_every must be positive") }
        return found
    }
}

/// The separately optimised parts of a model (own learning rate, budget and EMA; §3.1).
public enum ModelPart: String, Codable, CaseIterable, Sendable {
    case encoder, decoder
    case labelAnchors = "label_anchors"
    /// The supervised classifier or the SimCLR projection head.
    case head
}
