import Foundation
import Store
import XCTest

/// The typed read API over runs and metrics that the planner, `lzn-pipe runs/log/metrics` and the
/// report use: PipelineHistory.swift and the metric queries of Metrics.swift.
final class PipelineHistoryTests: StoreTestCase {
    /// Two runs of pipeline "p" (run 1: a succeeds, b fails; run 2: a reused from the cache, b
    /// succeeds with an image), one of "q" still running, and a stage run outside any pipeline.
    private func history() throws -> (store: Store, runs: [Int64], stageRuns: [String: Int64]) {
        let store = try Store.open(storePath)
        var ids: [String: Int64] = [:]
        let first = try store.beginPipelineRun(pipeline: "p", metadata: ["identities": ["a": "exe-a@1", "b": "exe-b@1"]])
        ids["a1"] = try store.beginStageRun(stage: "a", signature: "sa", pipelineRun: first)
        try store.commitStageOutputs(stageRun: ids["a1"]!, outputs: [:], metrics: [
            Metric("loss", 2, step: 1), Metric("loss", 1, step: 2), Metric("acc", 0.5, split: "test"),
        ])
        try store.finishStageRun(ids["a1"]!, status: .succeeded, exitCode: 0, log: try store.putText("a ran\n", name: "log-a").id)
        ids["b1"] = try store.beginStageRun(stage: "b", signature: "sb1", pipelineRun: first)
        try store.finishStageRun(ids["b1"]!, status: .failed, exitCode: 3, log: try store.putText("b failed\n", name: "log-b").id)
        try store.finishPipelineRun(first, status: .failed)

        let second = try store.beginPipelineRun(pipeline: "p", metadata: ["identities": ["a": "exe-a@2", "b": "exe-b@1"]])
        ids["a2"] = try store.beginStageRun(stage: "a", signature: "sa", pipelineRun: second)
        try store.commitStageOutputs(stageRun: ids["a2"]!, outputs: [:], metrics: [Metric("acc", 0.75, split: "test")])
        try store.finishStageRun(ids["a2"]!, status: .succeeded, exitCode: nil)
        ids["b2"] = try store.beginStageRun(stage: "b", signature: "sb2", pipelineRun: second)
        let grid = try store.putImage([1, 2, 3], name: "grid")
        let jpeg = try store.putImage([4, 5], name: "photo", mediaType: "image/jpeg")
        let note = try store.putText("not an image", name: "note")
        try store.commitStageOutputs(stageRun: ids["b2"]!, outputs: ["grid": grid.id, "photo": jpeg.id, "note": note.id],
                                     metrics: [Metric("fid", 9, step: 1, tag: "rf"), Metric("fid", 8, step: 2, tag: "rf"),
                                               Metric("loss", 3, step: 5)])
        try store.finishStageRun(ids["b2"]!, status: .succeeded, exitCode: 0)
        try store.finishPipelineRun(second, status: .succeeded)

        let other = try store.beginPipelineRun(pipeline: "q")
        ids["c"] = try store.beginStageRun(stage: "b", signature: "sb1", pipelineRun: other)
        ids["loose"] = try store.beginStageRun(stage: "a", signature: "sx")
        try store.commitStageOutputs(stageRun: ids["loose"]!, outputs: [:], metrics: [Metric("fid", 7, tag: "rf")])
        return (store, [first, second, other], ids)
    }

    func testPipelinesAndRunSummaries() throws {
        let (store, runs, _) = try history()
        XCTAssertEqual(try store.pipelineNames(), ["p", "q"])
        let all = try store.pipelineRunSummaries(limit: 10)
        XCTAssertEqual(all.map(\.run.id), runs, "oldest first")
        XCTAssertEqual(all.map { [$0.executed, $0.reused, $0.failed] }, [[2, 0, 1], [1, 1, 0], [0, 0, 0]])
        XCTAssertEqual(all.map(\.run.status), [.failed, .succeeded, .running])
        XCTAssertNotNil(all[0].seconds)
        XCTAssertNil(all[2].seconds, "a running pipeline run has no duration")
        XCTAssertEqual(try store.pipelineRunSummaries(limit: 2).map(\.run.id), Array(runs.suffix(2)), "the newest ones")
        XCTAssertEqual(try store.pipelineRunSummaries(pipeline: "p", limit: 1).map(\.run.id), [runs[1]])
        XCTAssertEqual(try store.pipelineRunSummaries(pipeline: "nope", limit: 5), [])
    }

    func testStageRunQuestions() throws {
        let (store, runs, ids) = try history()
        XCTAssertEqual(try store.findSucceededStageRun(signature: "sa")?.id, ids["a2"], "the newest succeeded, any stage name")
        XCTAssertNil(try store.findSucceededStageRun(signature: "sb1"), "failed and running runs are not cached")
        XCTAssertEqual(try store.newestSucceededStageRun(pipeline: "p", stage: "b")?.id, ids["b2"])
        XCTAssertNil(try store.newestSucceededStageRun(pipeline: "q", stage: "b"))
        XCTAssertNil(try store.newestSucceededStageRun(pipeline: "p", stage: "nope"))
        XCTAssertEqual(try store.newestStageRuns(pipeline: "p").map(\.id), [ids["a2"]!, ids["b2"]!])
        XCTAssertEqual(try store.newestStageRuns(pipeline: "q").map { "\($0.stage) \($0.status)" }, ["b running"])
        // `log` prefers a run with a log: a2 was reused (no log), so a1's log is shown.
        XCTAssertEqual(try store.newestLoggedStageRun(stage: "a")?.id, ids["a1"])
        XCTAssertEqual(try store.newestLoggedStageRun(stage: "a", pipelineRun: runs[1])?.id, ids["a2"], "only the run asked for")
        XCTAssertEqual(try store.newestLoggedStageRun(stage: "b")?.id, ids["b1"])
        XCTAssertNil(try store.newestLoggedStageRun(stage: "a", pipelineRun: runs[2]))
        XCTAssertNil(try store.newestLoggedStageRun(stage: "nope"))
    }

    func testImageOutputsOfTheNewestSucceededRuns() throws {
        let (store, _, ids) = try history()
        let images = try store.imageOutputs(pipeline: "p", mediaType: "image/png")
        XCTAssertEqual(images.map { "\($0.stage) \($0.name) \($0.artifact.name)" }, ["b grid grid"])
        XCTAssertEqual(try store.content(of: images[0].artifact.id), [1, 2, 3])
        XCTAssertEqual(try store.imageOutputs(pipeline: "p", mediaType: "image/jpeg").map(\.name), ["photo"])
        XCTAssertEqual(try store.imageOutputs(pipeline: "q", mediaType: "image/png"), [])
        XCTAssertEqual(try store.stageOutputs(ids["b2"]!).count, 3)
    }

    func testMetricValuesAsOfARun() throws {
        let (store, runs, _) = try history()
        func values(_ run: Int64) throws -> [String] {
            try store.metricValues(asOf: run).map { "\($0.stage) \($0.metric.name) \($0.metric.tag ?? "-") \($0.metric.value)" }.sorted()
        }
        XCTAssertEqual(try values(runs[0]), ["a acc - 0.5", "a loss - 1.0"], "b failed in run 1")
        XCTAssertEqual(try values(runs[1]), ["a acc - 0.75", "b fid rf 8.0", "b loss - 3.0"], "each stage's newest run, newest value")
        XCTAssertEqual(try store.metricValues(asOf: 99), [])
    }

    func testStepMetricsOfEachStagesNewestRunWithAny() throws {
        let (store, _, _) = try history()
        let curves = try store.stepMetricsOfNewestRuns(pipeline: "p")
        // a2 recorded no step-indexed values, so a1's loss curve is the newest of stage a.
        XCTAssertEqual(curves.map { "\($0.stage) \($0.metric.name) \($0.metric.step ?? -1) \($0.metric.value)" }.sorted(),
                       ["a loss 1 2.0", "a loss 2 1.0", "b fid 1 9.0", "b fid 2 8.0", "b loss 5 3.0"])
        XCTAssertEqual(try store.stepMetricsOfNewestRuns(pipeline: "q"), [])
    }

    /// Run 1 of "r" has stages a and b; the file then renames b to c (a matrix's new member names,
    /// say), and run 2 declares a and c: b's results stay in the store but leave the newer views.
    func testAStageTheNewestRunNoLongerDeclaresLeavesMetricsAndReports() throws {
        let store = try Store.open(storePath)
        var ids: [String: Int64] = [:]
        let first = try store.beginPipelineRun(pipeline: "r", metadata: ["identities": ["a": "exe-a@1", "b": "exe-b@1"]])
        for stage in ["a", "b"] {
            ids[stage] = try store.beginStageRun(stage: stage, signature: "s\(stage)", pipelineRun: first)
            try store.commitStageOutputs(stageRun: ids[stage]!, outputs: ["grid": try store.putImage([1], name: "grid-\(stage)").id],
                                         metrics: [Metric("acc", 0.5, split: "test"), Metric("loss", 1, step: 1)])
            try store.finishStageRun(ids[stage]!, status: .succeeded, exitCode: 0)
        }
        try store.finishPipelineRun(first, status: .succeeded)
        let second = try store.beginPipelineRun(pipeline: "r", metadata: ["identities": ["a": "exe-a@1", "c": "exe-b@1"]])
        ids["c"] = try store.beginStageRun(stage: "c", signature: "sb", pipelineRun: second)
        try store.commitStageOutputs(stageRun: ids["c"]!, outputs: [:], metrics: [Metric("acc", 0.5, split: "test")])
        try store.finishStageRun(ids["c"]!, status: .succeeded, exitCode: nil)
        try store.finishPipelineRun(second, status: .succeeded)

        XCTAssertEqual(try store.succeededStageRuns(asOf: first).map(\.stage), ["a", "b"], "as of run 1, b was declared")
        XCTAssertEqual(try store.succeededStageRuns(asOf: second).map(\.stage), ["a", "c"], "a from run 1, not b")
        XCTAssertEqual(Set(try store.metricValues(asOf: second).map(\.stage)), ["a", "c"])
        XCTAssertEqual(Set(try store.latestMetrics(pipeline: "r").map(\.stage)), ["a", "c"])
        XCTAssertEqual(Set(try store.latestMetrics().map(\.stage)), ["a", "c"])
        XCTAssertEqual(Set(try store.stepMetricsOfNewestRuns(pipeline: "r").map(\.stage)), ["a"])
        XCTAssertEqual(try store.imageOutputs(pipeline: "r", mediaType: "image/png").map(\.stage), ["a"])
        XCTAssertEqual(try store.finalMetricValues(name: "acc", pipeline: "r").map(\.stage), ["a", "b", "c"], "the history keeps b")

        // A run recorded without identities (an older store) keeps every stage.
        let bare = try store.beginPipelineRun(pipeline: "r")
        try store.finishPipelineRun(bare, status: .succeeded)
        XCTAssertEqual(Set(try store.latestMetrics(pipeline: "r").map(\.stage)), ["a", "b", "c"])
    }

    func testFinalMetricValuesPerStageRun() throws {
        let (store, runs, ids) = try history()
        let fid = try store.finalMetricValues(name: "fid", pipeline: "p")
        XCTAssertEqual(fid.map(\.stageRun), [ids["b2"]!])
        XCTAssertEqual(fid.map(\.metric.value), [8], "the final value: the newest, then the highest step")
        XCTAssertEqual(fid.map(\.pipelineRun), [runs[1]])
        let everywhere = try store.finalMetricValues(name: "fid")
        XCTAssertEqual(everywhere.map(\.stageRun), [ids["loose"]!, ids["b2"]!], "a run outside a pipeline sorts first")
        XCTAssertNil(everywhere[0].pipeline)
        XCTAssertEqual(try store.finalMetricValues(name: "acc", pipeline: "p").map(\.metric.value), [0.5, 0.75])
    }
}
