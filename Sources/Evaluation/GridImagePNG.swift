// A sample grid as PNG bytes (the image artifact of lzn-generate).
import ArrayFormats

extension GridImage {
    /// Height × width × channels, the interleaved order PNG stores.
    public var interleavedPixels: [UInt8] {
        guard channels > 1 else { return pixels }
        let plane = height * width
        var out = [UInt8](repeating: 0, count: pixels.count)
        out.withUnsafeMutableBufferPointer { o in
            pixels.withUnsafeBufferPointer { p in
                for i in 0..<plane {
                    for c in 0..<channels { o[i * channels + c] = p[c * plane + i] }
                }
            }
        }
        return out
    }

    public func png() throws -> [UInt8] {
        try PNG.encode(pixels: interleavedPixels, width: width, height: height, channels: channels)
    }
}
