// A sample grid as PNG bytes (the image artifact of lzn-generate).
import ArrayFormats
import Datasets

extension GridImage {
    /// Height × width × channels, the interleaved order PNG stores.
    public var interleavedPixels: [UInt8] {
        pixels.withUnsafeBufferPointer { PixelLayout.interleaved($0, channels: channels, plane: height * width) }
    }

    public func png() throws -> [UInt8] {
        try PNG.encode(pixels: interleavedPixels, width: width, height: height, channels: channels)
    }
}
