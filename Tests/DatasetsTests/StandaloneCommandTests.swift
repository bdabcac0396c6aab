import Foundation
import Store
import XCTest
@testable import Datasets

/// The `lzn-ingest` executable (Sources/lzn-ingest), run as a process the way users run it.
final class StandaloneCommandTests: DatasetTestCase {
    private var storePath: String { folder + "/store.sqlite" }

    func testRegistersAndPrintsTheArtifact() throws {
        let images = try write(Fixture.idxImages(Fixture.pixels(count: 4, height: 3, width: 3), count: 4, height: 3, width: 3), to: "i")
        let labels = try write(Fixture.idxLabels([3, 1, 4, 1]), to: "l")
        let run = try lznIngest(["--store", storePath, "--format", "idx", "--name", "digits", "--split", "test", "--size", "2",
                                 images, labels])
        XCTAssertEqual(run.status, 0, run.stderr)
        let store = try Store.open(storePath)
        defer { store.close() }
        let artifact = try store.resolve("digits")
        XCTAssertTrue(run.stdout.hasPrefix("\(artifact.id.hex) digits\n"), run.stdout)
        XCTAssertTrue(run.stdout.contains("4 images 1×2×2"), run.stdout)
        let dataset = try DatasetArtifact.load("digits", from: store)
        XCTAssertEqual(dataset.labels, [3, 1, 4, 1])
        XCTAssertEqual(dataset.split, .test)
        let expected = try Ingest.load(IngestRequest(format: .idx, inputs: [images, labels], split: .test, size: 2))
        XCTAssertEqual(dataset.images, expected.images)
        let runs = try ReadOnlyQuery.run("SELECT stage, status FROM stage_runs", storePath: storePath)
        XCTAssertEqual(runs.rows, [[.text("lzn-ingest"), .text("succeeded")]], "recorded as a standalone stage run")
    }

    func testBadInputExitsNonZeroAndLeavesNoStore() throws {
        let bad = try write([1, 2, 3, 4, 5], to: "bad")
        let run = try lznIngest(["--store", storePath, "--format", "idx", "--name", "x", bad])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "lzn-ingest: error: \(DatasetError.wrongMagic(file: bad, found: 0x0102_0304, expected: 0x0000_0803))\n")
        XCTAssertFalse(FileManager.default.fileExists(atPath: storePath), "the store is not even created")
    }

    func testBadInputLeavesAnExistingStoreUnchanged() throws {
        let store = try Store.open(storePath)
        let images = try write(Fixture.idxImages([1, 2, 3, 4], count: 1, height: 2, width: 2), to: "i")
        _ = try Ingest.run(IngestRequest(format: .idx, inputs: [images]), name: "kept", store: store)
        store.close()
        let before = try Data(contentsOf: URL(fileURLWithPath: storePath))
        let run = try lznIngest(["--store", storePath, "--format", "jpeg-folder", "--name", "x", "--size", "8", folder + "/none"])
        XCTAssertEqual(run.status, 1)
        XCTAssertTrue(run.stderr.contains(folder + "/none: no such file or folder"), run.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: storePath)), before)
    }

    func testUsageErrors() throws {
        let missing = try lznIngest(["--store", storePath, "--name", "x"])
        XCTAssertEqual(missing.status, 2)
        XCTAssertTrue(missing.stderr.contains("--format"), missing.stderr)
        let unknown = try lznIngest(["--store", storePath, "--format", "tiff", "--name", "x"])
        XCTAssertEqual(unknown.status, 2)
        XCTAssertTrue(unknown.stderr.contains("expected one of: fashion-mnist, idx, cifar10, npy, jpeg-folder"), unknown.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: storePath))
    }

    func testDescribePrintsTheStageParameters() throws {
        let run = try lznIngest(["--describe"])
        XCTAssertEqual(run.status, 0)
        let json = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(json?["name"] as? String, "lzn-ingest")
        let params = (json?["params"] as? [[String: Any]])?.compactMap { $0["name"] as? String }
        XCTAssertEqual(params, ["format", "inputs", "split", "name", "size", "channels", "subset_size", "subset_seed", "holdout",
                                "holdout_seed", "part", "classes", "flippable"])
    }
}
