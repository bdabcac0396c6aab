import Engine
import NN

/// The networks of one configuration, built deterministically from its seed: the encoder `enc-s`,
/// the decoder `unet-s`, the label anchors and the supervised classifier,
/// each present only when the mode uses it.
public final class Networks {
    public let encoder: Encoder?
    public let decoder: UNet?
    public let labelAnchors: LabelAnchors?
    /// Supervised: Linear(features → classes).
    public let classifier: Linear?

    public init(config: TrainingConfig) throws {
        guard let preset = config.networkPreset else {
            throw TrainingError.badConfiguration(["unknown preset '\(config.preset)'"])
        }
        let parts = config.parts
        let root = Philox(seed: config.seed, stream: 0x1417)
        var encoderRNG = root.split(1), decoderRNG = root.split(2), anchorRNG = root.split(3), headRNG = root.split(4)
        // Case study 2 and SimCLR share the pooled contrastive head and differ only in their loss.
        let representation = config.mode == .contrastive || config.mode == .simclr
        encoder = parts.contains(.encoder)
            ? Encoder(preset: preset, imageChannels: config.imageChannels, imageSize: config.imageSize,
                      latentDim: config.mode == .simclr ? config.projectionDim : config.latentDim,
                      head: representation ? .pooled : .flattened, rng: &encoderRNG)
            : nil
        decoder = parts.contains(.decoder)
            ? UNet(preset: preset, imageChannels: config.imageChannels, imageSize: config.imageSize,
                   latentDim: config.latent == .lzn ? config.latentDim : 0,
                   numClasses: config.conditional ? config.classCount : 0, dropout: Float(config.dropout), rng: &decoderRNG)
            : nil
        labelAnchors = parts.contains(.labelAnchors)
            ? LabelAnchors(classCount: config.classCount, latentDim: config.latentDim, rng: &anchorRNG)
            : nil
        let featureCount = preset.encoderChannels.0 + preset.encoderChannels.1 + preset.encoderChannels.2
        classifier = config.mode == .supervised ? Linear(featureCount, config.classCount, rng: &headRNG) : nil
    }

    /// The module of one part, nil when this configuration has none.
    public func module(_ part: ModelPart) -> Module? {
        switch part {
        case .encoder: return encoder
        case .decoder: return decoder
        case .labelAnchors: return labelAnchors
        case .head: return classifier
        }
    }

    /// The parts present, in checkpoint order.
    public var parts: [ModelPart] { ModelPart.allCases.filter { module($0) != nil } }

    public func train(_ on: Bool = true) {
        for part in parts { module(part)!.train(on) }
    }

    public var allParameters: [Tensor] { parts.flatMap { module($0)!.parameters() } }
}
