/// The model presets of MODELS.md.
public struct NetworkPreset: Equatable, Sendable {
    public let name: String
    /// Decoder (`unet-s`) channels at resolutions H, H/2, H/4.
    public let channels: (Int, Int, Int)
    /// Encoder (`enc-s`) channels at resolutions H, H/2, H/4.
    public let encoderChannels: (Int, Int, Int)
    /// ResBlocks per level of the decoder's down and up paths.
    public let decoderBlocksPerLevel: Int
    public let latentDim: Int

    /// Width of the decoder's conditioning MLP and of the encoder heads' hidden layer.
    public static let hiddenUnits = 128
    /// Channels of the encoder heads' 1×1 convolution.
    public static let headChannels = 4
    /// Dimension of the sinusoidal time embedding.
    public static let timeEmbeddingDim = 32

    public static let xs = NetworkPreset(name: "xs", channels: (8, 16, 16), encoderChannels: (8, 16, 16),
                                         decoderBlocksPerLevel: 1, latentDim: 16)
    public static let s = NetworkPreset(name: "s", channels: (16, 32, 64), encoderChannels: (16, 32, 64),
                                        decoderBlocksPerLevel: 1, latentDim: 32)
    public static let m = NetworkPreset(name: "m", channels: (64, 128, 128), encoderChannels: (32, 64, 128),
                                        decoderBlocksPerLevel: 2, latentDim: 128)
    public static let all = [xs, s, m]

    public static func named(_ name: String) -> NetworkPreset? {
        all.first { $0.name == name }
    }

    public static func == (a: NetworkPreset, b: NetworkPreset) -> Bool {
        a.name == b.name && a.channels == b.channels && a.encoderChannels == b.encoderChannels
            && a.decoderBlocksPerLevel == b.decoderBlocksPerLevel && a.latentDim == b.latentDim
    }
}
