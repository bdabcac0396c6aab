import ArrayFormats
import XCTest
@testable import Datasets

final class NPYImagesTests: DatasetTestCase {
    private func save(_ array: NDArray, _ name: String) throws -> String {
        try write(NPY.encode(array), to: name)
    }

    func testUint8NHWIsOneChannel() throws {
        let pixels = Fixture.pixels(count: 2, height: 3, width: 4)
        let images = try save(NDArray(uint8: pixels, shape: [2, 3, 4]), "x.npy")
        let labels = try save(NDArray(int64: [4, 1], shape: [2]), "y.npy")
        let dataset = try Ingest.load(IngestRequest(format: .npy, inputs: [images, labels]))
        XCTAssertEqual([dataset.count, dataset.channels, dataset.height, dataset.width], [2, 1, 3, 4])
        XCTAssertEqual(dataset.images, pixels)
        XCTAssertEqual(dataset.labels, [4, 1])
        XCTAssertEqual(dataset.classNames, ["0", "1", "2", "3", "4"])
    }

    func testChannelsLastIsTransposed() throws {
        // One 2×2 RGB image, channels last: pixel p has (r, g, b) = (10p, 10p+1, 10p+2).
        let hwc: [UInt8] = [0, 1, 2, 10, 11, 12, 20, 21, 22, 30, 31, 32]
        let images = try save(NDArray(uint8: hwc, shape: [1, 2, 2, 3]), "x.npy")
        let dataset = try Ingest.load(IngestRequest(format: .npy, inputs: [images]))
        XCTAssertEqual(dataset.images, [0, 10, 20, 30, 1, 11, 21, 31, 2, 12, 22, 32])
        XCTAssertNil(dataset.labels)
    }

    func testChannelsFirstIsKept() throws {
        let pixels = Fixture.pixels(count: 2, channels: 3, height: 2, width: 5)
        let images = try save(NDArray(uint8: pixels, shape: [2, 3, 2, 5]), "x.npy")
        XCTAssertEqual(try Ingest.load(IngestRequest(format: .npy, inputs: [images])).images, pixels)
    }

    func testFloatsInUnitRangeRoundToBytes() throws {
        let values: [Float] = [0, 1, 0.5, 1.0 / 255, 254.0 / 255, 0.998]
        let images = try save(NDArray(float32: values, shape: [1, 2, 3]), "x.npy")
        XCTAssertEqual(try Ingest.load(IngestRequest(format: .npy, inputs: [images])).images, [0, 255, 128, 1, 254, 254])
        let doubles = try save(NDArray(float64: values.map(Double.init), shape: [1, 2, 3]), "d.npy")
        XCTAssertEqual(try Ingest.load(IngestRequest(format: .npy, inputs: [doubles])).images, [0, 255, 128, 1, 254, 254])
    }

    func testFloatsOutsideUnitRange() throws {
        let images = try save(NDArray(float32: [0, 1.5, .nan, 0], shape: [1, 2, 2]), "x.npy")
        assertThrows(.invalidPixels(file: images, what: "element 1 is 1.5; floats must lie in [0, 1]")) {
            try Ingest.load(IngestRequest(format: .npy, inputs: [images]))
        }
    }

    func testUnsupportedShape() throws {
        let images = try save(NDArray(uint8: [1, 2, 3, 4], shape: [4]), "x.npy")
        assertThrows(.unsupported(file: images, what: "images must be N×H×W, N×H×W×C or N×C×H×W with C = 1 or 3, got shape [4]")) {
            try Ingest.load(IngestRequest(format: .npy, inputs: [images]))
        }
        let fourChannels = try save(NDArray(uint8: [UInt8](repeating: 0, count: 32), shape: [1, 2, 4, 4]), "rgba.npy")
        XCTAssertThrowsError(try Ingest.load(IngestRequest(format: .npy, inputs: [fourChannels])))
    }

    func testUnsupportedDtype() throws {
        let images = try save(NDArray(int32: [1, 2, 3, 4], shape: [1, 2, 2]), "x.npy")
        assertThrows(.unsupported(file: images, what: "image dtype int32; use uint8 or float in [0, 1]")) {
            try Ingest.load(IngestRequest(format: .npy, inputs: [images]))
        }
        // A dtype the .npy reader itself refuses (int16).
        var raw = NPY.encode(NDArray(uint8: [0, 0, 0, 0], shape: [1, 2, 2]))
        raw.replaceSubrange(raw.firstRange(of: Array("|u1".utf8))!, with: Array("<i2".utf8))
        let int16 = try write(raw, to: "i2.npy")
        XCTAssertThrowsError(try Ingest.load(IngestRequest(format: .npy, inputs: [int16]))) { error in
            guard case .npy(.unsupportedDType)? = error as? DatasetError else { return XCTFail("\(error)") }
        }
    }

    func testLabelProblems() throws {
        let images = try save(NDArray(uint8: [UInt8](repeating: 0, count: 8), shape: [2, 2, 2]), "x.npy")
        let three = try save(NDArray(int64: [0, 1, 2], shape: [3]), "three.npy")
        assertThrows(.countMismatch(images: images, imageCount: 2, labels: three, labelCount: 3)) {
            try Ingest.load(IngestRequest(format: .npy, inputs: [images, three]))
        }
        let negative = try save(NDArray(int32: [0, -1], shape: [2]), "neg.npy")
        assertThrows(.labelOutOfRange(file: negative, index: 1, label: -1, classCount: 1)) {
            try Ingest.load(IngestRequest(format: .npy, inputs: [images, negative]))
        }
        let large = try save(NDArray(int64: [0, 7], shape: [2]), "large.npy")
        assertThrows(.labelOutOfRange(file: large, index: 1, label: 7, classCount: 5)) {
            try Ingest.load(IngestRequest(format: .npy, inputs: [images, large], classCount: 5))
        }
        let floats = try save(NDArray(float32: [0, 1], shape: [2]), "f.npy")
        assertThrows(.unsupported(file: floats, what: "label dtype float32; use an integer dtype")) {
            try Ingest.load(IngestRequest(format: .npy, inputs: [images, floats]))
        }
    }

    func testTruncatedNPY() throws {
        let full = NPY.encode(NDArray(uint8: [UInt8](repeating: 3, count: 64), shape: [1, 8, 8]))
        let images = try write(Array(full.dropLast(5)), to: "x.npy")
        XCTAssertThrowsError(try Ingest.load(IngestRequest(format: .npy, inputs: [images]))) { error in
            guard case .npy(.payloadSizeMismatch)? = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertTrue("\(error)".contains(images))
        }
    }
}
