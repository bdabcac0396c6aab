import XCTest
@testable import Datasets

final class CIFAR10Tests: DatasetTestCase {
    private let names = ["cat", "dog", "ship"]

    /// A batches folder with five train batches of two records each and a test batch of three.
    private func makeFolder(meta: [String]? = nil) throws -> (folder: String, train: [UInt8], trainLabels: [Int]) {
        var train: [UInt8] = []
        var trainLabels: [Int] = []
        for b in 1...5 {
            let labels: [UInt8] = [UInt8(b % 3), UInt8((b + 1) % 3)]
            let records = Fixture.cifarRecords(labels: labels, salt: b)
            try write(records.file, to: "cifar/data_batch_\(b).bin")
            train += records.images
            trainLabels += labels.map(Int.init)
        }
        try write(Fixture.cifarRecords(labels: [0, 1, 2], salt: 9).file, to: "cifar/test_batch.bin")
        try write(Array(((meta ?? names).joined(separator: "\n") + "\n\n").utf8), to: "cifar/batches.meta.txt")
        return (folder + "/cifar", train, trainLabels)
    }

    func testReadsTrainSplitFromFolderPixelExactly() throws {
        let (cifar, train, labels) = try makeFolder()
        let dataset = try Ingest.load(IngestRequest(format: .cifar10, inputs: [cifar]))
        XCTAssertEqual([dataset.count, dataset.channels, dataset.height, dataset.width], [10, 3, 32, 32])
        XCTAssertEqual(dataset.images, train)
        XCTAssertEqual(dataset.labels, labels)
        XCTAssertEqual(dataset.classNames, names)
        XCTAssertTrue(dataset.flippable)
    }

    func testReadsTestSplitAndExplicitFiles() throws {
        let (cifar, _, _) = try makeFolder()
        let test = try Ingest.load(IngestRequest(format: .cifar10, inputs: [cifar], split: .test))
        XCTAssertEqual(test.images, Fixture.cifarRecords(labels: [0, 1, 2], salt: 9).images)
        XCTAssertEqual(test.labels, [0, 1, 2])
        XCTAssertEqual(test.split, .test)
        let explicit = try Ingest.load(IngestRequest(format: .cifar10, inputs: [cifar + "/test_batch.bin"], split: .test))
        XCTAssertEqual(explicit.images, test.images)
        XCTAssertEqual(explicit.classNames, CIFAR10.defaultClassNames, "no meta file: the CIFAR-10 names")
    }

    func testGrayscaleAndResizeOptions() throws {
        let (cifar, _, _) = try makeFolder()
        let dataset = try Ingest.load(IngestRequest(format: .cifar10, inputs: [cifar], split: .test, size: 16, channels: 1))
        XCTAssertEqual([dataset.count, dataset.channels, dataset.height, dataset.width], [3, 1, 16, 16])
    }

    func testTruncatedBatch() throws {
        let (cifar, _, _) = try makeFolder()
        let path = cifar + "/data_batch_3.bin"
        try write(Array(Fixture.cifarRecords(labels: [1, 2]).file.dropLast(100)), to: "cifar/data_batch_3.bin")
        assertThrows(.truncated(file: path, expectedBytes: 2 * 3073, actualBytes: 2 * 3073 - 100), mentioning: "data_batch_3") {
            try Ingest.load(IngestRequest(format: .cifar10, inputs: [cifar]))
        }
    }

    func testLabelOutOfRange() throws {
        let (cifar, _, _) = try makeFolder()
        try write(Fixture.cifarRecords(labels: [1, 3]).file, to: "cifar/data_batch_2.bin")
        assertThrows(.labelOutOfRange(file: cifar + "/data_batch_2.bin", index: 1, label: 3, classCount: 3)) {
            try Ingest.load(IngestRequest(format: .cifar10, inputs: [cifar]))
        }
    }

    func testMissingBatchInFolder() throws {
        let (cifar, _, _) = try makeFolder()
        try FileManager.default.removeItem(atPath: cifar + "/data_batch_5.bin")
        assertThrows(.notFound(path: cifar + "/data_batch_5.bin")) { try Ingest.load(IngestRequest(format: .cifar10, inputs: [cifar])) }
    }

    func testEmptyBatchAndBadMeta() throws {
        let (cifar, _, _) = try makeFolder()
        try write([], to: "cifar/test_batch.bin")
        assertThrows(.malformed(file: cifar + "/test_batch.bin", what: "holds no records")) {
            try Ingest.load(IngestRequest(format: .cifar10, inputs: [cifar], split: .test))
        }
        try write([0xFF, 0xFE, 0x00], to: "cifar/batches.meta.txt")
        assertThrows(.malformed(file: cifar + "/batches.meta.txt", what: "not a text file of class names")) {
            try Ingest.load(IngestRequest(format: .cifar10, inputs: [cifar]))
        }
    }
}
