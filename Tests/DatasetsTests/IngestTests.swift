import ArrayFormats
import Store
import XCTest
@testable import Datasets

/// Every bad input of issue 5 through `Ingest.run` against a real store: a clear error naming the
/// file, and the store exactly as it was.
final class IngestTests: DatasetTestCase {
    private var store: Store!
    private var images = ""
    private var labels = ""

    override func setUpWithError() throws {
        try super.setUpWithError()
        store = try Store.open(folder + "/store.sqlite")
        images = try write(Fixture.idxImages(Fixture.pixels(count: 3, height: 4, width: 4), count: 3, height: 4, width: 4), to: "ok-images")
        labels = try write(Fixture.idxLabels([0, 1, 2]), to: "ok-labels")
        _ = try Ingest.run(IngestRequest(format: .idx, inputs: [images, labels]), name: "existing", store: store)
    }

    override func tearDownWithError() throws {
        store.close()
        try super.tearDownWithError()
    }

    private func snapshot() throws -> String {
        let result = try ReadOnlyQuery.run("""
            SELECT (SELECT count(*) FROM artifacts) || '/' || (SELECT count(*) FROM blobs) || '/' ||
                   (SELECT count(*) FROM chunks) || '/' || (SELECT count(*) FROM bundle_members)
            """, storePath: store.path)
        return "\(result.rows)"
    }

    /// Runs a failing ingest; checks the error and that the store did not change.
    private func assertRefused(_ request: IngestRequest, naming path: String, file: StaticString = #filePath, line: UInt = #line,
                               _ check: (DatasetError) -> Bool) throws {
        let before = try snapshot()
        XCTAssertThrowsError(try Ingest.run(request, name: "bad", store: store), file: file, line: line) { error in
            guard let error = error as? DatasetError else { return XCTFail("not a DatasetError: \(error)", file: file, line: line) }
            XCTAssertTrue(check(error), "unexpected error \(error)", file: file, line: line)
            XCTAssertTrue(error.description.contains(path), "\"\(error)\" does not name \(path)", file: file, line: line)
        }
        XCTAssertEqual(try snapshot(), before, "store changed", file: file, line: line)
        XCTAssertThrowsError(try store.resolve("bad"), file: file, line: line)
    }

    func testValidIngestRegistersOneDataset() throws {
        let artifact = try store.resolve("existing")
        XCTAssertEqual(artifact.kind, .dataset)
        XCTAssertEqual(try DatasetArtifact.load("existing", from: store).labels, [0, 1, 2])
    }

    func testWrongMagicNumber() throws {
        let bad = try write([0, 0, 8, 9] + [UInt8](repeating: 0, count: 40), to: "magic")
        try assertRefused(IngestRequest(format: .idx, inputs: [bad, labels]), naming: bad) {
            if case .wrongMagic = $0 { return true } else { return false }
        }
    }

    func testCountMismatch() throws {
        let two = try write(Fixture.idxLabels([0, 1]), to: "two-labels")
        try assertRefused(IngestRequest(format: .idx, inputs: [images, two]), naming: two) {
            $0 == .countMismatch(images: self.images, imageCount: 3, labels: two, labelCount: 2)
        }
    }

    func testTruncatedFile() throws {
        let cut = try write(Array(try SourceFile.read(images).dropLast(1)), to: "cut")
        try assertRefused(IngestRequest(format: .idx, inputs: [cut]), naming: cut) {
            if case .truncated = $0 { return true } else { return false }
        }
    }

    func testOverLongFile() throws {
        let long = try write(try SourceFile.read(images) + [0], to: "long")
        try assertRefused(IngestRequest(format: .idx, inputs: [long]), naming: long) {
            if case .overLong = $0 { return true } else { return false }
        }
    }

    func testCorruptGzip() throws {
        var packed = Gzip.compress(try SourceFile.read(images))
        packed[packed.count - 6] ^= 0xFF  // inside the CRC-32 trailer
        let bad = try write(packed, to: "images.gz")
        try assertRefused(IngestRequest(format: .idx, inputs: [bad]), naming: bad) {
            if case .corruptGzip = $0 { return true } else { return false }
        }
    }

    func testLabelOutOfRange() throws {
        let bad = try write(Fixture.idxLabels([0, 200, 1]), to: "bad-labels")
        try assertRefused(IngestRequest(format: .idx, inputs: [images, bad]), naming: bad) {
            $0 == .labelOutOfRange(file: bad, index: 1, label: 200, classCount: 10)
        }
    }

    func testNPYUnsupportedDtype() throws {
        let bad = try write(NPY.encode(NDArray(int64: [1, 2, 3, 4], shape: [1, 2, 2])), to: "x.npy")
        try assertRefused(IngestRequest(format: .npy, inputs: [bad]), naming: bad) {
            if case .unsupported = $0 { return true } else { return false }
        }
    }

    func testNPYUnsupportedShape() throws {
        let bad = try write(NPY.encode(NDArray(uint8: [UInt8](repeating: 0, count: 40), shape: [2, 2, 2, 5])), to: "x.npy")
        try assertRefused(IngestRequest(format: .npy, inputs: [bad]), naming: bad) {
            if case .unsupported = $0 { return true } else { return false }
        }
    }

    func testCorruptJPEG() throws {
        var jpeg = try Fixture.jpeg(Fixture.smoothImage(channels: 3, height: 16, width: 16), channels: 3, height: 16, width: 16)
        jpeg[2] = 0x00  // destroy the first marker after SOI
        let bad = try write(jpeg, to: "jpegs/a.jpg")
        try assertRefused(IngestRequest(format: .jpegFolder, inputs: [folder + "/jpegs"], size: 8), naming: bad) {
            if case .corruptImage = $0 { return true } else { return false }
        }
    }

    func testJPEGTruncatedInsideImageData() throws {
        let jpeg = try Fixture.jpeg(Fixture.pixels(count: 1, channels: 3, height: 32, width: 32), channels: 3, height: 32, width: 32)
        let bad = try write(Array(jpeg.prefix(jpeg.count - 200)), to: "jpegs/a.jpg")
        try assertRefused(IngestRequest(format: .jpegFolder, inputs: [folder + "/jpegs"], size: 8), naming: bad) {
            if case .corruptImage = $0 { return true } else { return false }
        }
    }

    func testEmptyFolder() throws {
        try FileManager.default.createDirectory(atPath: folder + "/empty", withIntermediateDirectories: true)
        try assertRefused(IngestRequest(format: .jpegFolder, inputs: [folder + "/empty"], size: 8), naming: folder + "/empty") {
            $0 == .emptyFolder(path: self.folder + "/empty")
        }
    }

    func testPathThatDoesNotExist() throws {
        try assertRefused(IngestRequest(format: .cifar10, inputs: [folder + "/nowhere.bin"]), naming: folder + "/nowhere.bin") {
            $0 == .notFound(path: self.folder + "/nowhere.bin")
        }
    }

    /// Holdout parameters that do not describe one part of the train split: refused before the
    /// store is touched, naming the parameter. `setUp`'s source has 3 images.
    func testBadHoldoutParameters() throws {
        func request(split: DatasetSplit = .train, subset: Int? = nil, holdout: Int?, part: DatasetPart) -> IngestRequest {
            IngestRequest(format: .idx, inputs: [images, labels], split: split, subsetSize: subset, holdout: holdout, part: part)
        }
        let cases: [(IngestRequest, String, String)] = [
            (request(holdout: nil, part: .fit), "part", "part = fit needs holdout > 0"),
            (request(holdout: nil, part: .holdout), "part", "part = holdout needs holdout > 0"),
            (request(holdout: 1, part: .all), "part", "holdout = 1 needs part = fit or holdout"),
            (request(holdout: -2, part: .fit), "holdout", "must be positive, got -2"),
            (request(holdout: 3, part: .holdout), "holdout", "3 leaves nothing to fit: the split has 3 images"),
            (request(holdout: 4, part: .fit), "holdout", "4 leaves nothing to fit: the split has 3 images"),
            (request(subset: 2, holdout: 2, part: .fit), "holdout", "2 leaves nothing to fit: the split has 2 images (after subset_size)"),
            (request(split: .test, holdout: 1, part: .holdout), "holdout", "carved from the train split, not test"),
        ]
        for (request, name, message) in cases {
            try assertRefused(request, naming: "parameter \(name): ") { error in
                guard case .invalidParameter(name, let what) = error else { return false }
                return what.contains(message)
            }
        }
    }
}
