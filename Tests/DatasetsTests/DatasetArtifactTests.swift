import ArrayFormats
import Store
import XCTest
@testable import Datasets

final class DatasetArtifactTests: DatasetTestCase {
    private func openStore() throws -> Store { try Store.open(folder + "/store.sqlite") }

    private let labelled = Dataset(images: Fixture.pixels(count: 3, channels: 3, height: 2, width: 4), count: 3, channels: 3,
                                   height: 2, width: 4, labels: [1, 0, 2], classNames: ["x", "y", "z"], split: .test,
                                   source: "unit test", flippable: false)

    func testRoundTripIsExact() throws {
        let store = try openStore()
        let artifact = try DatasetArtifact.save(labelled, name: "tiny", in: store)
        XCTAssertEqual(artifact.kind, .dataset)
        XCTAssertEqual(try DatasetArtifact.load("tiny", from: store), labelled)
        XCTAssertEqual(try DatasetArtifact.load(artifact.id.hex, from: store), labelled)
        XCTAssertEqual(try DatasetArtifact.load(artifact, from: store), labelled)
        let members = try store.bundleTensors(artifact.id)
        XCTAssertEqual(members["images"]?.dtype, .uint8)
        XCTAssertEqual(members["images"]?.shape, [3, 3, 2, 4])
        XCTAssertEqual(members["labels"]?.dtype, .int64)
        XCTAssertEqual(try store.json(of: artifact.id)["class_names"], ["x", "y", "z"])
        XCTAssertEqual(try store.json(of: artifact.id)["format"], .string(DatasetArtifact.format))
    }

    func testUnlabelledHasNoLabelMember() throws {
        let store = try openStore()
        var unlabelled = labelled
        unlabelled.labels = nil
        unlabelled.classNames = []
        let artifact = try DatasetArtifact.save(unlabelled, name: "u", in: store)
        XCTAssertEqual(try store.bundleMembers(artifact.id).map(\.name), ["images"])
        XCTAssertEqual(try DatasetArtifact.load("u", from: store), unlabelled)
    }

    func testSameDatasetSameArtifactID() throws {
        let store = try openStore()
        let a = try DatasetArtifact.save(labelled, name: "tiny", in: store)
        let b = try DatasetArtifact.save(labelled, name: "tiny", in: store)
        XCTAssertEqual(a.id, b.id)
        XCTAssertEqual(try store.artifacts().count, 1)
    }

    func testLoadingAnotherKindIsRefused() throws {
        let store = try openStore()
        _ = try store.putText("hello", name: "note")
        XCTAssertThrowsError(try DatasetArtifact.load("note", from: store)) { error in
            guard case .wrongKind? = error as? StoreError else { return XCTFail("\(error)") }
        }
    }

    func testDocumentDisagreeingWithTensorsIsRefused() throws {
        let store = try openStore()
        var doc = DatasetArtifact.metadata(labelled)
        if case .object(var fields) = doc { fields["height"] = 3; doc = .object(fields) }
        _ = try store.putDataset(["images": NDArray(uint8: labelled.images, shape: [3, 3, 2, 4]),
                                  "labels": NDArray(int64: [1, 0, 2], shape: [3])], name: "liar", metadata: doc)
        XCTAssertThrowsError(try DatasetArtifact.load("liar", from: store)) { error in
            guard case .malformed(let what, _)? = error as? DatasetError else { return XCTFail("\(error)") }
            XCTAssertTrue(what.contains("liar"))
        }
    }
}
