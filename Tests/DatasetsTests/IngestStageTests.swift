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
}
