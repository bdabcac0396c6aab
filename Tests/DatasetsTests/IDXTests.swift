import ArrayFormats
import XCTest
@testable import Datasets

final class IDXTests: DatasetTestCase {
    private let pixels = Fixture.pixels(count: 3, height: 4, width: 5)

    private func request(_ inputs: [String]) -> IngestRequest { IngestRequest(format: .idx, inputs: inputs) }

    func testReadsImagesAndLabelsPixelExactly() throws {
        let images = try write(Fixture.idxImages(pixels, count: 3, height: 4, width: 5), to: "img-idx3-ubyte")
        let labels = try write(Fixture.idxLabels([2, 0, 9]), to: "lab-idx1-ubyte")
        let dataset = try Ingest.load(request([images, labels]))
        XCTAssertEqual(dataset.images, pixels)
        XCTAssertEqual([dataset.count, dataset.channels, dataset.height, dataset.width], [3, 1, 4, 5])
        XCTAssertEqual(dataset.labels, [2, 0, 9])
        XCTAssertEqual(dataset.classNames, (0..<10).map(String.init))
        XCTAssertFalse(dataset.flippable, "idx defaults to digits: no flips")
        XCTAssertEqual(dataset.split, .train)
    }

    func testReadsGzippedFilesWhateverTheirName() throws {
        let images = try write(Gzip.compress(Fixture.idxImages(pixels, count: 3, height: 4, width: 5)), to: "images.gz")
        let labels = try write(Gzip.compress(Fixture.idxLabels([1, 1, 3])), to: "labels.bin")
        let dataset = try Ingest.load(request([images, labels]))
        XCTAssertEqual(dataset.images, pixels)
        XCTAssertEqual(dataset.labels, [1, 1, 3])
    }

    func testUnlabelledWhenNoLabelFile() throws {
        let images = try write(Fixture.idxImages(pixels, count: 3, height: 4, width: 5), to: "img")
        let dataset = try Ingest.load(request([images]))
        XCTAssertNil(dataset.labels)
        XCTAssertEqual(dataset.classNames, [])
    }

    func testWrongMagicNumber() throws {
        var bytes = Fixture.idxImages(pixels, count: 3, height: 4, width: 5)
        bytes[0] = 0x12
        let images = try write(bytes, to: "img")
        assertThrows(.wrongMagic(file: images, found: 0x1200_0803, expected: 0x0000_0803), mentioning: "magic") {
            try Ingest.load(request([images]))
        }
    }

    func testLabelFileGivenAsImagesIsWrongMagic() throws {
        let labels = try write(Fixture.idxLabels([1, 2]), to: "labels")
        assertThrows(.wrongMagic(file: labels, found: 0x0000_0801, expected: 0x0000_0803)) { try Ingest.load(request([labels])) }
    }

    func testUnsupportedElementType() throws {
        let images = try write(Fixture.idx(type: 0x0D, dims: [1, 1, 1], payload: [0, 0, 0, 0]), to: "float-images")
        assertThrows(.unsupported(file: images, what: "IDX element type float32; only unsigned bytes are read")) {
            try Ingest.load(request([images]))
        }
    }

    func testTruncatedFile() throws {
        let full = Fixture.idxImages(pixels, count: 3, height: 4, width: 5)
        let images = try write(Array(full.dropLast(7)), to: "img")
        assertThrows(.truncated(file: images, expectedBytes: full.count, actualBytes: full.count - 7), mentioning: images) {
            try Ingest.load(request([images]))
        }
        let header = try write(Array(full.prefix(9)), to: "short-header")
        assertThrows(.truncated(file: header, expectedBytes: 16, actualBytes: 9)) { try Ingest.load(request([header])) }
    }

    func testOverLongFile() throws {
        let full = Fixture.idxImages(pixels, count: 3, height: 4, width: 5)
        let images = try write(full + [1, 2], to: "img")
        assertThrows(.overLong(file: images, expectedBytes: full.count, actualBytes: full.count + 2), mentioning: "over-long") {
            try Ingest.load(request([images]))
        }
    }

    func testHeaderClaimingHugeSizesIsTruncatedNotAllocated() throws {
        let images = try write(Fixture.idx(dims: [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], payload: [1, 2, 3]), to: "liar")
        XCTAssertThrowsError(try Ingest.load(request([images]))) { error in
            XCTAssertEqual(error as? DatasetError,
                           .malformed(file: images, what: "header declares impossible dimensions [4294967295, 4294967295, 4294967295]"))
        }
        let big = try write(Fixture.idx(dims: [60000, 28, 28], payload: [1, 2, 3]), to: "big-liar")
        assertThrows(.truncated(file: big, expectedBytes: 16 + 60000 * 784, actualBytes: 19)) { try Ingest.load(request([big])) }
    }

    func testImageLabelCountMismatch() throws {
        let images = try write(Fixture.idxImages(pixels, count: 3, height: 4, width: 5), to: "img")
        let labels = try write(Fixture.idxLabels([1, 2]), to: "lab")
        assertThrows(.countMismatch(images: images, imageCount: 3, labels: labels, labelCount: 2)) {
            try Ingest.load(request([images, labels]))
        }
    }

    func testLabelOutOfRange() throws {
        let images = try write(Fixture.idxImages(pixels, count: 3, height: 4, width: 5), to: "img")
        let labels = try write(Fixture.idxLabels([1, 10, 2]), to: "lab")
        assertThrows(.labelOutOfRange(file: labels, index: 1, label: 10, classCount: 10)) {
            try Ingest.load(request([images, labels]))
        }
        var wider = request([images, labels])
        wider.classCount = 11
        XCTAssertEqual(try Ingest.load(wider).classNames.count, 11)
    }

    func testCorruptGzipStream() throws {
        var packed = Gzip.compress(Fixture.idxImages(pixels, count: 3, height: 4, width: 5))
        packed[12] ^= 0x5A
        let images = try write(packed, to: "img.gz")
        XCTAssertThrowsError(try Ingest.load(request([images]))) { error in
            guard case .corruptGzip(let file, _)? = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, images)
        }
        let cut = try write(Array(Gzip.compress(Fixture.idxImages(pixels, count: 3, height: 4, width: 5)).prefix(20)), to: "cut.gz")
        assertThrows(.corruptGzip(file: cut, .truncated), mentioning: "truncated") { try Ingest.load(request([cut])) }
    }

    func testMissingFile() {
        assertThrows(.notFound(path: folder + "/nope"), mentioning: "no such file") { try Ingest.load(request([folder + "/nope"])) }
    }

    func testFolderGivenAsFile() {
        assertThrows(.unreadable(path: folder, reason: "is a folder, expected a file")) { try Ingest.load(request([folder])) }
    }
}
