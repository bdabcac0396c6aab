import XCTest
@testable import Datasets

final class JPEGFolderTests: DatasetTestCase {
    private func request(_ path: String, size: Int? = 8, channels: Int? = nil) -> IngestRequest {
        IngestRequest(format: .jpegFolder, inputs: [path], size: size, channels: channels)
    }

    /// Writes an 8×8 JPEG and returns what libjpeg decodes it to.
    @discardableResult
    private func writeJPEG(_ name: String, channels: Int = 3, height: Int = 8, width: Int = 8, phase: Int = 0) throws -> [UInt8] {
        let bytes = try Fixture.jpeg(Fixture.smoothImage(channels: channels, height: height, width: width, phase: phase),
                                     channels: channels, height: height, width: width)
        try write(bytes, to: name)
        return try JPEGCodec.decode(bytes, channels: 3).pixels
    }

    func testClassSubfoldersGiveSortedLabelsPixelExactly() throws {
        let a0 = try writeJPEG("pics/cat/a.jpg", phase: 0)
        let a1 = try writeJPEG("pics/cat/b.JPEG", phase: 1)
        let b0 = try writeJPEG("pics/ant/z.jpeg", phase: 2)
        try write([1, 2, 3], to: "pics/cat/notes.txt")
        let dataset = try Ingest.load(request(folder + "/pics"))
        XCTAssertEqual(dataset.classNames, ["ant", "cat"])
        XCTAssertEqual(dataset.labels, [0, 1, 1])
        XCTAssertEqual([dataset.count, dataset.channels, dataset.height, dataset.width], [3, 3, 8, 8])
        XCTAssertEqual(dataset.images, b0 + a0 + a1)
        XCTAssertTrue(dataset.flippable)
    }

    func testDecodedPixelsAreCloseToTheSource() throws {
        let source = Fixture.smoothImage(channels: 3, height: 8, width: 8)
        let decoded = try writeJPEG("flat/x.jpg")
        XCTAssertLessThanOrEqual(zip(source, decoded).map { abs(Int($0) - Int($1)) }.max()!, 4)
    }

    func testFlatFolderIsUnlabelledAndGrayscaleWorks() throws {
        try writeJPEG("flat/1.jpg", channels: 1)
        try writeJPEG("flat/2.jpg", channels: 3)
        let gray = try Ingest.load(request(folder + "/flat", channels: 1))
        XCTAssertNil(gray.labels)
        XCTAssertEqual(gray.classNames, [])
        XCTAssertEqual([gray.count, gray.channels], [2, 1])
        let rgb = try Ingest.load(request(folder + "/flat"))
        XCTAssertEqual(rgb.channels, 3)
        // A grayscale JPEG decoded as RGB has three equal planes.
        XCTAssertEqual(Array(rgb.images[0..<64]), Array(rgb.images[64..<128]))
    }

    func testResizesShorterSideAndCropsCentre() throws {
        let bytes = try Fixture.jpeg(Fixture.smoothImage(channels: 3, height: 8, width: 16), channels: 3, height: 8, width: 16)
        try write(bytes, to: "wide/w.jpg")
        let decoded = try JPEGCodec.decode(bytes, channels: 3)
        let dataset = try Ingest.load(request(folder + "/wide", size: 4))
        XCTAssertEqual([dataset.height, dataset.width], [4, 4])
        // 8×16 → 4×8 (2×2 area averages) → columns 2..<6 of that.
        for c in 0..<3 {
            for y in 0..<4 {
                for x in 0..<4 {
                    let plane = decoded.pixels[(c * 128)..<((c + 1) * 128)].map(Int.init)
                    let sx = 2 * (x + 2), sy = 2 * y
                    let sum = plane[sy * 16 + sx] + plane[sy * 16 + sx + 1] + plane[(sy + 1) * 16 + sx] + plane[(sy + 1) * 16 + sx + 1]
                    let expected = UInt8((Float(sum) / 4).rounded())
                    XCTAssertEqual(dataset.images[c * 16 + y * 4 + x], expected, "c\(c) y\(y) x\(x)")
                }
            }
        }
    }

    func testCorruptJPEG() throws {
        try writeJPEG("pics/a/ok.jpg")
        let bad = try write(Array("definitely not a jpeg".utf8), to: "pics/a/zz-bad.jpg")
        XCTAssertThrowsError(try Ingest.load(request(folder + "/pics"))) { error in
            guard case .corruptImage(let file, _)? = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, bad)
        }
    }

    func testTruncatedInsideImageData() throws {
        let bytes = try Fixture.jpeg(Fixture.pixels(count: 1, channels: 3, height: 32, width: 32), channels: 3, height: 32, width: 32)
        let cut = try write(Array(bytes.prefix(bytes.count * 2 / 3)), to: "cut/a.jpg")
        XCTAssertThrowsError(try Ingest.load(request(folder + "/cut"))) { error in
            guard case .corruptImage(let file, let reason)? = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, cut)
            XCTAssertFalse(reason.isEmpty)
        }
    }

    func testEmptyFolders() throws {
        try FileManager.default.createDirectory(atPath: folder + "/empty", withIntermediateDirectories: true)
        assertThrows(.emptyFolder(path: folder + "/empty"), mentioning: "no images") { try Ingest.load(request(folder + "/empty")) }
        try writeJPEG("classes/a/x.jpg")
        try FileManager.default.createDirectory(atPath: folder + "/classes/b", withIntermediateDirectories: true)
        assertThrows(.emptyFolder(path: folder + "/classes/b")) { try Ingest.load(request(folder + "/classes")) }
    }

    func testMissingFolderAndMissingSize() throws {
        assertThrows(.notFound(path: folder + "/absent")) { try Ingest.load(request(folder + "/absent")) }
        assertThrows(.invalidParameter(name: "size", what: "jpeg-folder needs a target size")) {
            try Ingest.load(request(folder, size: nil))
        }
    }

    func testLooseImagesBesideClassFolders() throws {
        try writeJPEG("mixed/a/x.jpg")
        try writeJPEG("mixed/loose.jpg")
        assertThrows(.malformed(file: folder + "/mixed", what: "mixes class subfolders with loose images such as loose.jpg")) {
            try Ingest.load(request(folder + "/mixed"))
        }
    }
}
