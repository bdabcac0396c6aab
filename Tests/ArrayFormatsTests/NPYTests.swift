import ArrayFormats
import Foundation
import XCTest

final class NPYTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("npy-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A version-1.0 header laid out as numpy writes it: the dict padded with spaces and a newline to 64 bytes.
    private func numpyHeader(_ dict: String) -> [UInt8] {
        var text = Array(dict.utf8)
        let total = (10 + text.count + 1 + 63) / 64 * 64
        text += [UInt8](repeating: 0x20, count: total - 10 - text.count - 1) + [0x0A]
        return [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(text.count & 0xFF), UInt8(text.count >> 8)] + text
    }

    func testEncodeMatchesNumpyBytes() {
        let a = NDArray(float32: [0, 1, 2, 3, 4, 5], shape: [2, 3])
        let bytes = NPY.encode(a)
        let header = numpyHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }")
        XCTAssertEqual(bytes.count, 152)  // what numpy writes
        XCTAssertEqual(Array(bytes.prefix(header.count)), header)
        XCTAssertEqual(Array(bytes.suffix(24)), a.bytes)
        XCTAssertEqual(NPY.encode(NDArray(uint8: [1, 2, 3], shape: [3])).count, 131)
        XCTAssertEqual(NPY.encode(NDArray(int64: [7], shape: [])).count, 136)
        let oneD = NPY.encode(NDArray(uint8: [1, 2, 3], shape: [3]))
        XCTAssertEqual(Array(oneD.prefix(128)), numpyHeader("{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }"))
    }

    func testRoundTripEveryDTypeThroughFile() throws {
        let arrays = [
            NDArray(float32: [1.5, -2, .infinity, 0], shape: [2, 2]),
            NDArray(float64: [1e300, -0.5, 3], shape: [3, 1]),
            NDArray(int32: [Int32.min, 0, Int32.max], shape: [3]),
            NDArray(int64: [Int64.min, 42], shape: [1, 2, 1]),
            NDArray(uint8: [0, 255, 7, 9, 1, 2], shape: [1, 2, 3]),
            NDArray(float32: [], shape: [0, 5]),
            NDArray(float64: [2.5], shape: []),
        ]
        for (i, a) in arrays.enumerated() {
            let path = dir.appendingPathComponent("a\(i).npy").path
            try NPY.write(a, to: path)
            XCTAssertEqual(try NPY.read(contentsOf: path), a)
            XCTAssertEqual(try NPY.decode(NPY.encode(a), source: "mem"), a)
        }
    }

    func testVersion2HeaderForHugeRank() throws {
        let shape = [Int](repeating: 1, count: 30_000)
        let a = NDArray(uint8: [9], shape: shape)
        let bytes = NPY.encode(a)
        XCTAssertEqual(bytes[6], 2)
        XCTAssertEqual(try NPY.decode(bytes, source: "mem"), a)
    }

    func testAcceptsDoubleQuotesPython2LongsAndNativeOrder() throws {
        let dict = "{\"descr\": \"=i4\", \"shape\": (2L,), \"fortran_order\": False}"
        let bytes = numpyHeader(dict) + NDArray(int32: [5, -6], shape: [2]).bytes
        XCTAssertEqual(try NPY.decode(bytes, source: "x").ints(), [5, -6])
    }

    func testConversions() {
        XCTAssertEqual(NDArray(uint8: [0, 128, 255], shape: [3]).floats(), [0, 128, 255])
        XCTAssertEqual(NDArray(int64: [-3, 4], shape: [2]).doubles(), [-3, 4])
        XCTAssertEqual(NDArray(float32: [1.5, -2.7, .nan], shape: [3]).ints(), [1, -2, 0])
        XCTAssertEqual(NDArray(float64: [0.25], shape: [1]).floats(), [0.25])
        XCTAssertEqual(NDArray(int32: [7, 8], shape: [2]).floats(), [7, 8])
    }

    private func assertDecodeFails(_ bytes: [UInt8], _ expected: NPYProblem, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try NPY.decode(bytes, source: "bad.npy"), file: file, line: line) { error in
            XCTAssertEqual(error as? ArrayFormatError, .npy(expected), file: file, line: line)
            XCTAssertTrue("\(error)".hasPrefix("bad.npy: "), "\(error)", file: file, line: line)
        }
    }

    func testBadInputsGetNamedErrors() {
        let good = NPY.encode(NDArray(float32: [1, 2], shape: [2]))
        assertDecodeFails(Array("PK\u{3}\u{4}hello".utf8), .badMagic(source: "bad.npy"))
        assertDecodeFails([], .badMagic(source: "bad.npy"))
        assertDecodeFails(Array(good.prefix(5)), .headerTooShort(source: "bad.npy"))
        assertDecodeFails(Array(good.prefix(40)), .headerTooShort(source: "bad.npy"))
        var v9 = good; v9[6] = 9
        assertDecodeFails(v9, .unsupportedVersion(source: "bad.npy", major: 9, minor: 0))
        assertDecodeFails(Array(good.dropLast()), .payloadSizeMismatch(source: "bad.npy", expected: 8, actual: 7))
        assertDecodeFails(good + [0], .payloadSizeMismatch(source: "bad.npy", expected: 8, actual: 9))
        let huge = [0x93] + Array("NUMPY".utf8) + [2, 0, 0xFF, 0xFF, 0xFF, 0x7F]
        assertDecodeFails(huge, .headerTooLong(source: "bad.npy", length: 0x7FFF_FFFF))
        func withDict(_ d: String) -> [UInt8] { numpyHeader(d) + [UInt8](repeating: 0, count: 8) }
        assertDecodeFails(withDict("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }"),
                          .fortranOrder(source: "bad.npy"))
        assertDecodeFails(withDict("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }"),
                          .unsupportedDType(source: "bad.npy", descr: ">f4"))
        assertDecodeFails(withDict("{'descr': '<i2', 'fortran_order': False, 'shape': (4,), }"),
                          .unsupportedDType(source: "bad.npy", descr: "<i2"))
        assertDecodeFails(withDict("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }"),
                          .malformedHeader(source: "bad.npy", detail: "shape must be a tuple of non-negative integers"))
        assertDecodeFails(withDict("{'descr': '<f4', 'fortran_order': False}"),
                          .malformedHeader(source: "bad.npy", detail: "missing 'shape'"))
        // A header claiming an enormous shape fails on size, without allocating it.
        assertDecodeFails(withDict("{'descr': '<f8', 'fortran_order': False, 'shape': (100000000000,), }"),
                          .payloadSizeMismatch(source: "bad.npy", expected: 800_000_000_000, actual: 8))
        assertDecodeFails(withDict("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296), }"),
                          .malformedHeader(source: "bad.npy", detail: "shape [4294967296, 4294967296] overflows"))
    }

    func testBigEndianErrorGivesTheFix() {
        XCTAssertTrue("\(ArrayFormatError.npy(.unsupportedDType(source: "x.npy", descr: ">f8")))".contains("big-endian"))
    }

    func testReadErrorsNameTheFile() throws {
        let missing = dir.appendingPathComponent("missing.npy").path
        XCTAssertThrowsError(try NPY.read(contentsOf: missing)) { error in
            XCTAssertTrue("\(error)".contains(missing), "\(error)")
        }
        let truncated = dir.appendingPathComponent("t.npy").path
        let bytes = NPY.encode(NDArray(float64: [1, 2, 3], shape: [3]))
        try Data(bytes.dropLast(3)).write(to: URL(fileURLWithPath: truncated))
        XCTAssertThrowsError(try NPY.read(contentsOf: truncated)) { error in
            XCTAssertEqual(error as? ArrayFormatError, .npy(.payloadSizeMismatch(source: truncated, expected: 24, actual: 21)))
        }
        XCTAssertThrowsError(try NPY.read(contentsOf: dir.path)) { error in
            XCTAssertTrue("\(error)".contains("not a regular file"), "\(error)")
        }
    }
}
