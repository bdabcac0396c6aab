import CJPEG

/// libjpeg through the CJPEG shim, on channels-first uint8 images.
public enum JPEGCodec {
    /// Decoding refuses images with more pixels than this before allocating for them.
    public static let maxPixels = 1 << 26

    /// Decodes JPEG bytes to `channels × height × width` (libjpeg converts to 1 or 3 channels).
    /// Any libjpeg warning, such as data ending inside the entropy-coded segment, is a failure.
    public static func decode(_ bytes: [UInt8], channels: Int) throws(DatasetError) -> (pixels: [UInt8], height: Int, width: Int) {
        var image = bytes.withUnsafeBufferPointer { lzn_jpeg_decode($0.baseAddress, $0.count, Int32(channels), maxPixels) }
        defer { lzn_jpeg_free(&image) }
        guard image.status == 0, let pixels = image.pixels else { throw .jpeg(message: cString(image.message)) }
        let height = Int(image.height), width = Int(image.width), plane = height * width
        return (PixelLayout.channelsFirst(UnsafeBufferPointer(start: pixels, count: plane * channels), channels: channels, plane: plane),
                height, width)
    }

    /// Encodes `channels × height × width` bytes (channels 1 or 3) at `quality` 1...100.
    public static func encode(_ chw: [UInt8], channels: Int, height: Int, width: Int, quality: Int = 95) throws(DatasetError) -> [UInt8] {
        guard chw.count == channels * height * width else {
            throw .jpeg(message: "\(chw.count) bytes for a \(channels)×\(height)×\(width) image")
        }
        let interleaved = chw.withUnsafeBufferPointer { PixelLayout.interleaved($0, channels: channels, plane: height * width) }
        var encoded = interleaved.withUnsafeBufferPointer {
            lzn_jpeg_encode($0.baseAddress, Int32(width), Int32(height), Int32(channels), Int32(quality))
        }
        defer { lzn_jpeg_free_encoded(&encoded) }
        guard encoded.status == 0, let bytes = encoded.bytes else { throw .jpeg(message: cString(encoded.message)) }
        return Array(UnsafeBufferPointer(start: bytes, count: encoded.size))
    }

    private static func cString<T>(_ tuple: T) -> String {
        withUnsafeBytes(of: tuple) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}
