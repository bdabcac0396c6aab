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
    /// The input gradient of a stride-1 convolution with a square kernel and padding p ≤ k − 1 is the
    /// output gradient convolved ("full", padding k − 1 − p) with the weight flipped in space and
    /// transposed in channels: another stride-1 convolution, so it runs on the fast forward path.
    /// This is that convolution's geometry, or nil when the identity does not apply.
    var transposedForInputGradient: Conv2DGeometry? {
        guard stride == 1, !isPointwise, kernelHeight == kernelWidth, padding <= kernelHeight - 1 else { return nil }
        return Conv2DGeometry(batch: batch, inChannels: outChannels, height: outHeight, width: outWidth,
                              outChannels: inChannels, kernelHeight: kernelHeight, kernelWidth: kernelWidth,
                              stride: 1, padding: kernelHeight - 1 - padding)
    }

    /// A 1x1 stride-1 unpadded convolution is a plain matrix product on each image; no im2col needed.
    var isPointwise: Bool { kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == 0 }
}
