/// The shapes of one 2-D convolution over channels-first images: input `[batch, inChannels, height, width]`,
/// weight `[outChannels, inChannels, kernelHeight, kernelWidth]`, output `[batch, outChannels, outHeight, outWidth]`.
public struct Conv2DGeometry: Equatable, Sendable {
    public let batch: Int
    public let inChannels: Int
    public let height: Int
    public let width: Int
    public let outChannels: Int
    public let kernelHeight: Int
    public let kernelWidth: Int
    public let stride: Int
    public let padding: Int

    public init(batch: Int, inChannels: Int, height: Int, width: Int, outChannels: Int,
                kernelHeight: Int, kernelWidth: Int, stride: Int = 1, padding: Int = 0) {
        self.batch = batch
        self.inChannels = inChannels
        self.height = height
        self.width = width
        self.outChannels = outChannels
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.stride = stride
        self.padding = padding
    }

    public var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    public var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }

    /// Nil when the geometry is valid, otherwise what is wrong with it.
    public var problem: String? {
        if batch < 1 || inChannels < 1 || outChannels < 1 || height < 1 || width < 1 { return "empty tensor" }
        if kernelHeight < 1 || kernelWidth < 1 { return "empty kernel" }
        if stride < 1 { return "stride \(stride) < 1" }
        if padding < 0 { return "negative padding \(padding)" }
        if height + 2 * padding < kernelHeight || width + 2 * padding < kernelWidth {
            return "kernel \(kernelHeight)x\(kernelWidth) larger than the padded input \(height + 2 * padding)x\(width + 2 * padding)"
        }
        return nil
    }

    public var inputCount: Int { batch * inChannels * height * width }
    public var outputCount: Int { batch * outChannels * outHeight * outWidth }
    public var weightCount: Int { outChannels * patchSize }

    var inputPlane: Int { height * width }
    var outputPlane: Int { outHeight * outWidth }
    /// Rows of the column matrix: one per (input channel, kernel row, kernel column).
    var patchSize: Int { inChannels * kernelHeight * kernelWidth }
    /// A 1x1 stride-1 unpadded convolution is a plain matrix product on each image; no im2col needed.
    var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }
}

/// The smallest multiple of `multiple` that is at least `value` (for padding lengths to whole vectors and tiles).
@inline(__always) func roundedUp(_ value: Int, to multiple: Int) -> Int { (value + multiple - 1) / multiple * multiple }
