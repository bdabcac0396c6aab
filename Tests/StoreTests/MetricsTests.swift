import Foundation
import Store
import XCTest

/// Metrics and the latest_metrics / metric_history views: Metrics.swift, schema/003_metric_views.sql.
final class MetricsTests: StoreTestCase {
    func testViewsAnswerLatestAndHistory() throws {
        let store = try Store.open(storePath)
        for (i, fid) in [30.0, 25.0].enumerated() {
            let p = try store.beginPipelineRun(pipeline: "full")
            let train = try store.beginStageRun(stage: "train", signature: "t\(i)", pipelineRun: p)
            try store.recordMetrics(stageRun: train, [Metric("loss", 1.0, step: 1, split: "train"),
                                                      Metric("loss", 0.5 - Double(i) * 0.1, step: 2, split: "train")])
            try store.commitStageOutputs(stageRun: train, outputs: [:])
            let eval = try store.beginStageRun(stage: "fid", signature: "f\(i)", pipelineRun: p)
            try store.commitStageOutputs(stageRun: eval, outputs: [:], metrics: [
                Metric("fid", fid, split: "test", tag: "ema"), Metric("fid", fid + 5, split: "test", tag: "raw"),
            ])
        }
        let nightly = try store.beginPipelineRun(pipeline: "nightly")
        let n = try store.beginStageRun(stage: "fid", signature: "n", pipelineRun: nightly)
        try store.recordMetrics(stageRun: n, [Metric("fid", .nan, split: "test", tag: "ema")])

        let full = try store.latestMetrics(pipeline: "full")
        XCTAssertEqual(full.map { "\($0.stage) \($0.metric.name) \($0.metric.tag ?? "-") \($0.metric.value)" },
                       ["fid fid ema 25.0", "fid fid raw 30.0", "train loss - 0.4"])
        XCTAssertEqual(full.last?.metric.step, 2)
        let nightlyLatest = try store.latestMetrics(pipeline: "nightly")
        XCTAssertEqual(nightlyLatest.count, 1)
        XCTAssertTrue(nightlyLatest[0].metric.value.isNaN, "NaN is stored as NULL and read back as NaN")

        let history = try ReadOnlyQuery.run("""
            SELECT pipeline, stage, name, value, pipeline_run FROM metric_history
            WHERE name = 'fid' AND tag = 'ema' AND pipeline = 'full'
            """, storePath: storePath)
        XCTAssertEqual(history.columns, ["pipeline", "stage", "name", "value", "pipeline_run"])
        XCTAssertEqual(history.rows.map { $0[3] }, [.real(30), .real(25)])
        XCTAssertEqual(history.rows.map { $0[4] }, [.integer(1), .integer(2)])
        XCTAssertEqual(try store.finalMetricValues(name: "fid", pipeline: "full").filter { $0.metric.tag == "ema" }
                        .map { [$0.metric.value, Double($0.pipelineRun ?? -1)] }, [[30, 1], [25, 2]])
        XCTAssertEqual(try store.finalMetricValues(name: "fid").count, 5)
        let columns = try ReadOnlyQuery.run("SELECT * FROM latest_metrics LIMIT 0", storePath: storePath).columns
        XCTAssertEqual(columns, ["pipeline", "stage", "name", "value", "step", "split", "tag", "recorded_at"])
    }

    func testMetricsFilterByName() throws {
        let store = try Store.open(storePath)
        let run = try store.beginStageRun(stage: "train", signature: "s")
        try store.recordMetrics(stageRun: run, [Metric("loss", 2, step: 0), Metric("lr", 1e-4, step: 0), Metric("loss", 1, step: 1)])
        XCTAssertEqual(try store.metrics(stageRun: run, name: "loss").map(\.metric.value), [2, 1])
        XCTAssertEqual(try store.metrics(stageRun: run).count, 3)
    }
}
