import CZlib

// A minimal PNG encoder for 8-bit grayscale and RGB images (sample grids, reports):
// signature, IHDR, one zlib-compressed IDAT, IEND, each chunk with its CRC-32.

/// What is wrong with an image given to `PNG.encode`.
public enum PNGProblem: Equatable, Sendable, CustomStringConvertible {
    case unsupportedChannels(Int)
    case invalidSize(width: Int, height: Int)
    case pixelCountMismatch(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case let .unsupportedChannels(c): return "PNG: \(c) channels unsupported (1 = grayscale, 3 = RGB)"
        case let .invalidSize(w, h): return "PNG: invalid image size \(w)×\(h)"
        case let .pixelCountMismatch(expected, actual):
            return "PNG: \(actual) pixel bytes given, the size and channel count need \(expected)"
        }
    }
}

public enum PNG {
    public static let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Encodes `pixels`, row-major and channel-interleaved (height × width × channels, uint8).
    /// Rows are filtered with the Sub filter, which suits smooth images and costs one pass.
    public static func encode(pixels: [UInt8], width: Int, height: Int, channels: Int) throws -> [UInt8] {
        guard channels == 1 || channels == 3 else { throw ArrayFormatError.png(.unsupportedChannels(channels)) }
        guard width > 0, height > 0, width <= Int(Int32.max) / channels, height <= Int(Int32.max) else {
            throw ArrayFormatError.png(.invalidSize(width: width, height: height))
        }
        let stride = width * channels
        guard pixels.count == stride * height else {
            throw ArrayFormatError.png(.pixelCountMismatch(expected: stride * height, actual: pixels.count))
        }

        var filtered = [UInt8](repeating: 0, count: (stride + 1) * height)
        pixels.withUnsafeBufferPointer { src in
            filtered.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let row = src.baseAddress! + y * stride
                    let out = dst.baseAddress! + y * (stride + 1)
                    out[0] = 1  // filter type Sub: each byte minus the byte one pixel to its left
                    for i in 0..<stride {
                        out[1 + i] = i < channels ? row[i] : row[i] &- row[i - channels]
                    }
                }
            }
        }

        var header: [UInt8] = []
        appendUInt32(&header, UInt32(width))
        appendUInt32(&header, UInt32(height))
        header += [8, channels == 1 ? 0 : 2, 0, 0, 0]  // bit depth 8, colour type, deflate, filter 0, no interlace

        var out = signature
        appendChunk(&out, type: "IHDR", data: header)
        appendChunk(&out, type: "IDAT", data: Gzip.compress(filtered, container: .zlib))
        appendChunk(&out, type: "IEND", data: [])
        return out
    }

    /// CRC-32 (the PNG/zlib polynomial) of `bytes`.
    public static func crc32(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, UInt32($0.count))) }
    }

    private static func appendChunk(_ out: inout [UInt8], type: String, data: [UInt8]) {
        appendUInt32(&out, UInt32(data.count))
        let typed = Array(type.utf8) + data
        out += typed
        appendUInt32(&out, crc32(typed))
    }

    private static func appendUInt32(_ out: inout [UInt8], _ value: UInt32) {
        out += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}
