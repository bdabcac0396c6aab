import XCTest
@testable import ArrayFormats

final class GzipTests: XCTestCase {
    private let sample: [UInt8] = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7 + $0 / 13) }

    func testRoundTripGzipAndZlib() throws {
        for container in [Gzip.Container.gzip, .zlib] {
            let packed = Gzip.compress(sample, container: container)
            XCTAssertLessThan(packed.count, sample.count)
            XCTAssertEqual(Gzip.isGzip(packed), container == .gzip)
            XCTAssertEqual(try Gzip.decompress(packed, limit: 1 << 20), sample)
        }
    }

    func testEmptyPayloadRoundTrips() throws {
        XCTAssertEqual(try Gzip.decompress(Gzip.compress([]), limit: 10), [])
    }

    func testConcatenatedMembersAreJoined() throws {
        let a = Array(sample[..<1000]), b = Array(sample[1000..<3000])
        XCTAssertEqual(try Gzip.decompress(Gzip.compress(a) + Gzip.compress(b), limit: 1 << 20), a + b)
    }

    func testOutputExactlyAtLimitIsAccepted() throws {
        XCTAssertEqual(try Gzip.decompress(Gzip.compress(sample), limit: sample.count), sample)
    }

    func testOutputBeyondLimitIsRefused() {
        let zeros = [UInt8](repeating: 0, count: 5_000_000)
        let bomb = Gzip.compress(zeros, level: 9)
        XCTAssertThrowsError(try Gzip.decompress(bomb, limit: 1_000_000)) { error in
            XCTAssertEqual(error as? ArrayFormatError, .gzip(.outputTooLarge(limit: 1_000_000)))
        }
    }

    func testLyingLengthTrailerIsIgnored() throws {
        var packed = Gzip.compress(sample)
        let n = packed.count
        packed[n - 4] = 0xFF; packed[n - 3] = 0xFF; packed[n - 2] = 0xFF; packed[n - 1] = 0x7F
        // The length field is covered by the trailer check, so zlib reports it; nothing huge is allocated.
        XCTAssertThrowsError(try Gzip.decompress(packed, limit: 1 << 20)) { error in
            guard case .gzip(.corrupt)? = error as? ArrayFormatError else { return XCTFail("\(error)") }
        }
    }

    func testTruncatedStream() {
        let packed = Gzip.compress(sample)
        for cut in [1, 10, packed.count / 2, packed.count - 1] {
            XCTAssertThrowsError(try Gzip.decompress(Array(packed[..<cut]), limit: 1 << 20)) { error in
                XCTAssertNotNil(error as? ArrayFormatError, "cut \(cut): \(error)")
            }
        }
        XCTAssertThrowsError(try Gzip.decompress(Array(packed[..<(packed.count / 2)]), limit: 1 << 20)) { error in
            XCTAssertEqual(error as? ArrayFormatError, .gzip(.truncated))
        }
    }

    func testCorruptStream() {
        var packed = Gzip.compress(sample)
        packed[packed.count / 2] ^= 0xFF
        XCTAssertThrowsError(try Gzip.decompress(packed, limit: 1 << 20)) { error in
            guard case .gzip(.corrupt)? = error as? ArrayFormatError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try Gzip.decompress([0x1F, 0x8B, 0x99, 0, 0, 0, 0, 0, 0, 0], limit: 100))
    }

    func testTrailingGarbageIsReported() {
        let packed = Gzip.compress(sample) + [1, 2, 3]
        XCTAssertThrowsError(try Gzip.decompress(packed, limit: 1 << 20)) { error in
            XCTAssertEqual(error as? ArrayFormatError, .gzip(.trailingData(offset: packed.count - 3, count: 3)))
        }
    }
}
