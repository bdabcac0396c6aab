import Store
import XCTest
@testable import Datasets

/// `lzn-ingest` in pipeline mode: the scheduler has created a running stage run with parameters,
/// the executable reads them from the store and commits its output.
final class IngestStageTests: DatasetTestCase {
    func testRunsARecordedStageRun() throws {
        let images = try write(Fixture.idxImages(Fixture.pixels(count: 5, height: 2, width: 2), count: 5, height: 2, width: 2), to: "i")
        let labels = try write(Fixture.idxLabels([0, 1, 2, 3, 4]), to: "l")
        let storePath = folder + "/store.sqlite"
        var store = try Store.open(storePath)
        let params: JSON = ["format": "idx", "inputs": [.string(images), .string(labels)], "split": "test",
                            "subset_size": 3, "subset_seed": 4]
        let id = try store.beginStageRun(stage: "ingest_test", signature: "sig", params: params)
        store.close()

        let run = try lznIngest(["--store", storePath, "--stage-run", String(id)])
        XCTAssertEqual(run.status, 0, run.stderr)

        store = try Store.open(storePath)
        defer { store.close() }
        XCTAssertEqual(try store.stageRun(id)?.status, .succeeded)
        let output = try XCTUnwrap(try store.stageOutputs(id)["dataset"])
        let artifact = try store.artifact(output)
        XCTAssertEqual(artifact.name, "ingest_test", "named after the pipeline stage")
        let dataset = try DatasetArtifact.load(output.hex, from: store)
        let expected = try Ingest.load(IngestRequest(format: .idx, inputs: [images, labels], split: .test, subsetSize: 3, subsetSeed: 4))
        XCTAssertEqual(dataset, expected)
    }

    func testBadParametersFailWithoutOutput() throws {
        let storePath = folder + "/store.sqlite"
        var store = try Store.open(storePath)
        let id = try store.beginStageRun(stage: "ingest", signature: "sig", params: ["format": "idx", "inputs": ["/nowhere"]])
        store.close()
        let run = try lznIngest(["--store", storePath, "--stage-run", String(id)])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains("/nowhere: no such file or folder"), run.stderr)
        store = try Store.open(storePath)
        defer { store.close() }
        XCTAssertEqual(try store.stageOutputs(id), [:])
        XCTAssertEqual(try store.artifacts(kind: .dataset), [])
    }

    /// The holdout parameters left at their defaults change nothing: the same artifact as when they
    /// are not given, and as the library's whole-split ingest.
    func testDefaultHoldoutParametersGiveTheSameArtifact() throws {
        let images = try write(Fixture.idxImages(Fixture.pixels(count: 6, height: 2, width: 2), count: 6, height: 2, width: 2), to: "i")
        let storePath = folder + "/store.sqlite"
        var store = try Store.open(storePath)
        let given: JSON = ["format": "idx", "inputs": [.string(images)], "subset_size": 4, "subset_seed": 1]
        var explicit = given
        if case .object(var fields) = given {
            fields.merge(["holdout": 0, "holdout_seed": 0, "part": "all"]) { $1 }
            explicit = .object(fields)
        }
        let ids = try [given, explicit].map { try store.beginStageRun(stage: "ingest", signature: "sig", params: $0) }
        let library = try Ingest.run(IngestRequest(format: .idx, inputs: [images], subsetSize: 4, subsetSeed: 1), name: "ingest", store: store)
        store.close()
        for id in ids {
            let run = try lznIngest(["--store", storePath, "--stage-run", String(id)])
            XCTAssertEqual(run.status, 0, run.stderr)
        }
        store = try Store.open(storePath)
        defer { store.close() }
        XCTAssertEqual(try ids.map { try store.stageOutputs($0)["dataset"] }, [library.artifact.id, library.artifact.id])
    }

    func testAHoldoutPartThroughTheStage() throws {
        let images = try write(Fixture.idxImages(Fixture.pixels(count: 6, height: 2, width: 2), count: 6, height: 2, width: 2), to: "i")
        let storePath = folder + "/store.sqlite"
        var store = try Store.open(storePath)
        let id = try store.beginStageRun(stage: "validation", signature: "sig", params: [
            "format": "idx", "inputs": [.string(images)], "holdout": 2, "holdout_seed": 5, "part": "holdout"])
        let bad = try store.beginStageRun(stage: "fit", signature: "sig", params: ["format": "idx", "inputs": [.string(images)], "part": "fit"])
        store.close()
        XCTAssertEqual(try lznIngest(["--store", storePath, "--stage-run", String(id)]).status, 0)
        let refused = try lznIngest(["--store", storePath, "--stage-run", String(bad)])
        XCTAssertEqual(refused.status, 1)
        XCTAssertEqual(refused.stderr, "lzn-ingest: error: parameter part: part = fit needs holdout > 0 (the number of training images to hold out)\n")
        store = try Store.open(storePath)
        defer { store.close() }
        XCTAssertEqual(try store.stageOutputs(bad), [:])
        let output = try XCTUnwrap(try store.stageOutputs(id)["dataset"])
        XCTAssertEqual(try store.artifacts(kind: .dataset).map(\.id), [output])
        let expected = try Ingest.load(IngestRequest(format: .idx, inputs: [images], holdout: 2, holdoutSeed: 5, part: .holdout))
        XCTAssertEqual(try DatasetArtifact.load(output.hex, from: store), expected)
        XCTAssertEqual(expected.holdout, DatasetHoldout(count: 2, seed: 5, part: .holdout))
    }
}
