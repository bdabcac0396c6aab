import Foundation
import Store
import XCTest
@testable import Datasets

/// The default source, read from Debian's dataset-fashion-mnist package (installed by scripts/setup).
final class FashionMNISTTests: DatasetTestCase {
    /// Artifact ids of the two splits under these names: they cover the pixel and label blobs and
    /// the metadata, so a match means the same bytes on every run and machine.
    static let expected = [
        "fashion-mnist-train": "bf941ffb2259dc1f8ffaf157e5660e05909a86ed904ad6a3a7acb44376b9bf2b",
        "fashion-mnist-test": "965aa9c35d34ee160067783579fd84ca67323c921680a3f99d1a52875e2f7e32",
    ]

    func testIngestsBothSplitsWithStableArtifactIDs() throws {
        // scripts/setup installs the dataset (CI runs it first), so a missing folder is a failure, not a skip.
        guard SourceFile.kind(of: Ingest.fashionMNISTFolder) == .folder else {
            return XCTFail("\(Ingest.fashionMNISTFolder) missing: scripts/setup installs it (Debian's dataset-fashion-mnist)")
        }
        let store = try Store.open(folder + "/store.sqlite")
        defer { store.close() }
        let start = Date()
        for (split, count) in [(DatasetSplit.train, 60000), (.test, 10000)] {
            let name = "fashion-mnist-\(split.rawValue)"
            let (dataset, artifact) = try Ingest.run(IngestRequest(format: .fashionMNIST, split: split), name: name, store: store)
            XCTAssertEqual([dataset.count, dataset.channels, dataset.height, dataset.width], [count, 1, 28, 28])
            XCTAssertEqual(dataset.classNames, Ingest.fashionMNISTClassNames)
            XCTAssertTrue(dataset.flippable)
            var perClass = [Int](repeating: 0, count: 10)
            for label in dataset.labels ?? [] { perClass[label] += 1 }
            XCTAssertEqual(perClass, Array(repeating: count / 10, count: 10), "Fashion-MNIST is balanced")
            XCTAssertEqual(artifact.id.hex, Self.expected[name], name)
        }
        let seconds = Date().timeIntervalSince(start)
        print("fashion-mnist ingest (train + test, read + register): \(String(format: "%.2f", seconds)) s")
        XCTAssertEqual(try DatasetArtifact.load("fashion-mnist-test", from: store).images.count, 10000 * 784)
    }
}
