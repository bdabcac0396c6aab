import ArrayFormats
import Foundation
import Store
import XCTest

/// Pipeline runs, stage runs, lineage and the run cache: Runs.swift.
final class RunsTests: StoreTestCase {
    func testStageRunLifecycleLineageAndRunCache() throws {
        let store = try Store.open(storePath)
        let dataset = try store.putText("pretend dataset", name: "data")
        let pipelineRun = try store.beginPipelineRun(pipeline: "smoke", metadata: ["argv": "run smoke"])
        let run = try store.beginStageRun(stage: "train", signature: "sig-1", params: ["lr": 0.001],
                                          inputs: ["dataset": dataset.id], pipelineRun: pipelineRun)
        XCTAssertEqual(try store.stageRun(run)?.status, .running)
        XCTAssertNil(try store.findSucceededStageRun(stage: "train", signature: "sig-1"))

        let model = try store.putTensor(NDArray(float32: [1, 2], shape: [2]), name: "model")
        try store.commitStageOutputs(stageRun: run, outputs: ["model": model.id], metrics: [Metric("loss", 0.25, step: 10)])
        let log = try store.putText("trained\n", name: "train.log")
        XCTAssertEqual(try store.finishStageRun(run, status: .succeeded, exitCode: 0, log: log.id), .succeeded)
        try store.finishPipelineRun(pipelineRun, status: .succeeded)

        let cached = try XCTUnwrap(store.findSucceededStageRun(stage: "train", signature: "sig-1"))
        XCTAssertEqual(cached.id, run)
        XCTAssertEqual(cached.params, ["lr": 0.001])
        XCTAssertEqual(cached.exitCode, 0)
        XCTAssertEqual(cached.log, log.id)
        XCTAssertNotNil(cached.endedAt)
        XCTAssertEqual(try store.stageOutputs(run), ["model": model.id])
        XCTAssertEqual(try store.stageInputs(run), ["dataset": dataset.id])
        XCTAssertEqual(try store.producers(of: model.id).map(\.id), [run])
        XCTAssertEqual(try store.newestStageRuns(pipeline: "smoke").map(\.id), [run])
        XCTAssertEqual(try store.pipelineRun(pipelineRun)?.status, .succeeded)
        XCTAssertNil(try store.findSucceededStageRun(stage: "train", signature: "sig-2"))
        XCTAssertEqual(try store.metrics(stageRun: run).map(\.metric), [Metric("loss", 0.25, step: 10)])
    }

    func testOutputsAndSuccessAreOneTransaction() throws {
        let store = try Store.open(storePath)
        let run = try store.beginStageRun(stage: "eval", signature: "s")
        let good = try store.putText("ok", name: "good")
        let missing = try XCTUnwrap(ArtifactID(String(repeating: "ab", count: 32)))
        // The second output references no artifact: the foreign key fails and nothing is recorded.
        XCTAssertThrowsError(try store.commitStageOutputs(
            stageRun: run, outputs: ["a": good.id, "b": missing], metrics: [Metric("fid", 12.5)]))
        XCTAssertEqual(try store.stageRun(run)?.status, .running)
        XCTAssertEqual(try store.stageOutputs(run), [:])
        XCTAssertEqual(try store.metrics(stageRun: run), [])
        XCTAssertNil(try store.findSucceededStageRun(stage: "eval", signature: "s"))
    }

    func testFinishRules() throws {
        let store = try Store.open(storePath)
        let run = try store.beginStageRun(stage: "probe", signature: "x")
        XCTAssertThrowsError(try store.finishStageRun(run, status: .succeeded, exitCode: 0)) {
            XCTAssertTrue("\($0)".contains("never committed"), "\($0)")
        }
        XCTAssertEqual(try store.finishStageRun(run, status: .failed, exitCode: 3), .failed)
        XCTAssertEqual(try store.stageRun(run)?.exitCode, 3)
        XCTAssertThrowsError(try store.commitStageOutputs(stageRun: run, outputs: [:])) {
            XCTAssertTrue("\($0)".contains("is failed"), "\($0)")
        }
        // A committed run keeps succeeded even if the process then exits non-zero.
        let second = try store.beginStageRun(stage: "probe", signature: "x")
        try store.commitStageOutputs(stageRun: second, outputs: [:])
        XCTAssertEqual(try store.finishStageRun(second, status: .failed, exitCode: 1), .succeeded)
        XCTAssertEqual(try store.findSucceededStageRun(stage: "probe", signature: "x")?.id, second)
        XCTAssertThrowsError(try store.finishStageRun(999, status: .failed, exitCode: 1)) {
            XCTAssertTrue("\($0)".contains("no stage run 999"), "\($0)")
        }
    }

    func testAbandonedRunsBecomeInterrupted() throws {
        let store = try Store.open(storePath)
        let live = try store.beginStageRun(stage: "a", signature: "1")
        let dead = try store.beginStageRun(stage: "b", signature: "2")
        // A pid that cannot exist on Linux (above pid_max's hard limit of 2^22).
        try tamper("UPDATE stage_runs SET pid = 99999999 WHERE id = \(dead)")
        XCTAssertEqual(try store.interruptAbandonedRuns(), 1)
        XCTAssertEqual(try store.stageRun(live)?.status, .running)
        XCTAssertEqual(try store.stageRun(dead)?.status, .interrupted)
    }
}
