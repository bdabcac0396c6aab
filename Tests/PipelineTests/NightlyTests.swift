import Foundation
import XCTest
@testable import Pipeline
import Store

/// pipelines/nightly.toml and scripts/cron/lzn-nightly, run for real: the script drives the built
/// lzn-pipe and stage executables (on PATH) through small pipelines against a fresh store.
final class NightlyTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let script = root.appendingPathComponent("scripts/cron/lzn-nightly").path

    func testNightlyIsFullUnderItsOwnNameSoTrainingSignaturesMatch() throws {
        let nightly = try PipelineFile.load(path: Self.root.appendingPathComponent("pipelines/nightly.toml").path)
        let full = try PipelineFile.load(path: Self.root.appendingPathComponent("pipelines/full.toml").path)
        XCTAssertEqual(nightly.name, "nightly")
        XCTAssertEqual(nightly.stages.map(\.name), full.stages.map(\.name))
        XCTAssertEqual(nightly.stages.map(\.executable.value), full.stages.map(\.executable.value))
        XCTAssertEqual(nightly.stages.map { $0.params.mapValues(\.value) }, full.stages.map { $0.params.mapValues(\.value) })
        XCTAssertEqual(nightly.stages.map { $0.inputs.mapValues(\.value) }, full.stages.map { $0.inputs.mapValues(\.value) })
    }

    /// Runs the script with the built executables first on PATH and the store in `h`.
    func nightly(_ h: PipelineHarness, pipeline: String, seed: String) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.script)
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = PipelineHarness.productsDirectory.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment["LZN_STORE"] = h.storePath
        environment["LZN_NIGHTLY_PIPELINE"] = pipeline
        environment["LZN_NIGHTLY_SEED"] = seed
        environment.removeValue(forKey: "LZN_NIGHTLY_LOG")
        environment.removeValue(forKey: "LZN_PIPE")
        process.environment = environment
        process.standardError = Pipe()
        try process.run()
        return process
    }

    func finish(_ process: Process) -> (code: Int32, stderr: String) {
        let err = (process.standardError as! Pipe).fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: err, as: UTF8.self))
    }

    func log(_ h: PipelineHarness) -> String {
        (try? String(contentsOfFile: h.path("nightly.log"), encoding: .utf8)) ?? "(no nightly.log)"
    }

    func testTwoNightsAreTwoRunsWithFreshSeedsAndTheHistoryShowsBoth() throws {
        let h = try PipelineHarness()
        let pipeline = try h.write("tiny-nightly.toml", """
        [stages.ingest_train]
        run = "lzn-ingest"
        params = { format = "fashion-mnist", split = "train", subset_size = 200, subset_seed = 1 }

        [stages.ingest_test]
        run = "lzn-ingest"
        params = { format = "fashion-mnist", split = "test", subset_size = 100, subset_seed = 2 }

        [stages.probe_pixels]
        run = "lzn-probe"
        inputs = { train_dataset = "ingest_train.dataset", test_dataset = "ingest_test.dataset" }
        params = { epochs = 2 }
        """)
        for seed in ["20261130", "20261201"] {
            let night = finish(try nightly(h, pipeline: pipeline, seed: seed))
            XCTAssertEqual(night.code, 0, "\(night.stderr)\n\(log(h))")
        }
        XCTAssertEqual(try h.query("SELECT count(*) FROM pipeline_runs WHERE pipeline = 'tiny-nightly' AND status = 'succeeded'"), [["2"]])
        XCTAssertEqual(try h.query("SELECT json_extract(params, '$.seed') FROM stage_runs WHERE stage = 'probe_pixels' ORDER BY id"),
                       [["20261130"], ["20261201"]], "the seed override reaches the evaluation stage")
        XCTAssertEqual(try h.query("SELECT count(*) FROM stage_runs WHERE stage = 'ingest_train' AND exit_code IS NOT NULL"), [["1"]],
                       "the second night reuses the dataset")
        let text = log(h)
        XCTAssertTrue(text.contains("lzn-nightly: pipeline \(pipeline), seed 20261201"), text)
        XCTAssertTrue(text.contains("--set probe_pixels.seed=20261201"), text)
        XCTAssertEqual(text.components(separatedBy: "lzn-nightly: done").count - 1, 2)

        let store = try Store.openForReading(h.storePath)
        defer { store.close() }
        let history = try store.finalMetricValues(name: "probe_accuracy", pipeline: "tiny-nightly")
        XCTAssertEqual(Set(history.map(\.pipelineRun)).count, 2, "one entry per night")
        let shown = try h.lznPipe("metrics", "tiny-nightly", "--history", "probe_accuracy")
        XCTAssertEqual(shown.exitCode, 0, shown.stderr)
        XCTAssertEqual(shown.stdout.components(separatedBy: "probe_pixels").count - 1, history.count, shown.stdout)
    }

    func testASecondNightlyWhileOneRunsSkipsWithoutDisturbingIt() throws {
        let h = try PipelineHarness()
        let started = h.path("started")
        let pipeline = try h.write("slow.toml", """
        [stages.slow]
        run = "lzn-stage-fixture"
        params = { sleep_ms = 3000, touch = "\(started)" }
        """)
        let first = try nightly(h, pipeline: pipeline, seed: "1")
        XCTAssertTrue(h.waitFor(started), "the first nightly's stage never started")
        let second = finish(try nightly(h, pipeline: pipeline, seed: "2"))
        XCTAssertEqual(second.code, 0, second.stderr)
        XCTAssertEqual(second.stderr, "")
        XCTAssertTrue(first.isRunning, "the second nightly must return while the first still runs")
        let firstResult = finish(first)
        XCTAssertEqual(firstResult.code, 0, firstResult.stderr)
        XCTAssertEqual(try h.query("SELECT count(*), min(status) FROM pipeline_runs"), [["1", "succeeded"]])
        XCTAssertTrue(log(h).contains("another nightly holds \(h.storePath).nightly.lock (pid \(first.processIdentifier)); skipping"), log(h))
    }

    func testAFailingNightlyExitsNonZeroAndLogsWhy() throws {
        let h = try PipelineHarness()
        let pipeline = try h.write("broken.toml", """
        [stages.broken]
        run = "lzn-stage-fixture"
        params = { fail = true }
        """)
        let night = finish(try nightly(h, pipeline: pipeline, seed: "1"))
        XCTAssertEqual(night.code, 1)
        XCTAssertTrue(night.stderr.contains("lzn-nightly: lzn-pipe run \(pipeline) failed (exit 1; log: \(h.path("nightly.log")))"), night.stderr)
        let text = log(h)
        XCTAssertTrue(text.contains("FAILED, exit 1"), text)
        XCTAssertEqual(try h.query("SELECT status FROM pipeline_runs"), [["failed"]])
    }

    func testANightlyThatWouldTrainRefusesBeforeRunningAnything() throws {
        let h = try PipelineHarness()
        let pipeline = try h.write("untrained.toml", """
        [stages.ingest_train]
        run = "lzn-ingest"
        params = { format = "fashion-mnist", split = "train", subset_size = 64, subset_seed = 1 }

        [stages.train_rf]
        run = "lzn-train"
        inputs = { dataset = "ingest_train.dataset" }
        params = { mode = "generation", latent = "none", preset = "xs", batch = 32, iterations = 5 }
        """)
        let night = finish(try nightly(h, pipeline: pipeline, seed: "1"))
        XCTAssertEqual(night.code, 1)
        XCTAssertTrue(night.stderr.contains("refusing to train: train_rf is not in the run cache"), night.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.storePath), "nothing ran, so no store was created")
    }
}
