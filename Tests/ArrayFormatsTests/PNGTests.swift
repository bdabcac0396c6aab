import XCTest
@testable import ArrayFormats

final class PNGTests: XCTestCase {
    /// Splits a PNG into (type, data) chunks, checking each CRC.
    private func chunks(_ png: [UInt8]) throws -> [(String, [UInt8])] {
        XCTAssertEqual(Array(png[..<8]), PNG.signature)
        var result: [(String, [UInt8])] = []
        var i = 8
        func u32(_ at: Int) -> Int { Int(png[at]) << 24 | Int(png[at + 1]) << 16 | Int(png[at + 2]) << 8 | Int(png[at + 3]) }
        while i < png.count {
            let length = u32(i)
            let typed = Array(png[(i + 4)..<(i + 8 + length)])
            XCTAssertEqual(UInt32(u32(i + 8 + length)), PNG.crc32(typed))
            result.append((String(decoding: typed[..<4], as: UTF8.self), Array(typed[4...])))
            i += 12 + length
        }
        XCTAssertEqual(i, png.count)
        return result
    }

    /// Reverses the Sub filter this encoder writes.
    private func unfilter(_ data: [UInt8], width: Int, height: Int, channels: Int) -> [UInt8] {
        let stride = width * channels
        var out: [UInt8] = []
        for y in 0..<height {
            let row = data[(y * (stride + 1))..<((y + 1) * (stride + 1))]
            XCTAssertEqual(row.first, 1)
            var decoded = [UInt8](repeating: 0, count: stride)
            for (i, byte) in row.dropFirst().enumerated() {
                decoded[i] = i < channels ? byte : byte &+ decoded[i - channels]
            }
            out += decoded
        }
        return out
    }

    func testEncodesRGBLosslessly() throws {
        let (w, h) = (5, 3)
        let pixels = (0..<(w * h * 3)).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
        let parts = try chunks(PNG.encode(pixels: pixels, width: w, height: h, channels: 3))
        XCTAssertEqual(parts.map { $0.0 }, ["IHDR", "IDAT", "IEND"])
        XCTAssertEqual(parts[0].1, [0, 0, 0, 5, 0, 0, 0, 3, 8, 2, 0, 0, 0])
        let raw = try Gzip.decompress(parts[1].1, limit: 1 << 20)
        XCTAssertEqual(unfilter(raw, width: w, height: h, channels: 3), pixels)
        XCTAssertTrue(parts[2].1.isEmpty)
    }

    func testEncodesGrayscaleLosslessly() throws {
        let pixels: [UInt8] = [0, 255, 128, 7, 9, 200]
        let parts = try chunks(PNG.encode(pixels: pixels, width: 3, height: 2, channels: 1))
        XCTAssertEqual(parts[0].1[9], 0)  // colour type grayscale
        let raw = try Gzip.decompress(parts[1].1, limit: 100)
        XCTAssertEqual(unfilter(raw, width: 3, height: 2, channels: 1), pixels)
    }

    func testCRCOfKnownChunk() {
        // The CRC of an empty IEND chunk is fixed by the spec.
        XCTAssertEqual(PNG.crc32(Array("IEND".utf8)), 0xAE42_6082)
    }

    func testRejectsBadArguments() {
        XCTAssertThrowsError(try PNG.encode(pixels: [0, 0], width: 1, height: 1, channels: 2)) {
            XCTAssertEqual($0 as? ArrayFormatError, .png(.unsupportedChannels(2)))
        }
        XCTAssertThrowsError(try PNG.encode(pixels: [], width: 0, height: 1, channels: 1)) {
            XCTAssertEqual($0 as? ArrayFormatError, .png(.invalidSize(width: 0, height: 1)))
        }
        XCTAssertThrowsError(try PNG.encode(pixels: [1, 2, 3], width: 2, height: 1, channels: 1)) {
            XCTAssertEqual($0 as? ArrayFormatError, .png(.pixelCountMismatch(expected: 2, actual: 3)))
        }
    }
}
