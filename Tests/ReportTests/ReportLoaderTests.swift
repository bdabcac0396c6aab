import Foundation
import Store
import XCTest
@testable import Report

final class ReportLoaderTests: XCTestCase {
    func testLoadReadsMetricsCurvesAndGridsOfThePipelineFromARealStore() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-report-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try Store.open(dir.appendingPathComponent("store.sqlite").path)
        defer { store.close() }

        let run = try store.beginPipelineRun(pipeline: "full")
        let train = try store.beginStageRun(stage: "train-rf", signature: "s1", pipelineRun: run)
        try store.recordMetrics(stageRun: train, [Metric("loss", 1.0, step: 0), Metric("loss", 0.5, step: 10)])
        try store.commitStageOutputs(stageRun: train, outputs: [:])
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 9, 9]
        let grid = try store.putImage(png, name: "grid")
        let generate = try store.beginStageRun(stage: "fid-rf", signature: "s2", pipelineRun: run)
        try store.commitStageOutputs(stageRun: generate, outputs: ["grid": grid.id], metrics: [Metric("fid.euler10", 12.5, tag: "rf")])
        let other = try store.beginPipelineRun(pipeline: "smoke")
        let smoke = try store.beginStageRun(stage: "fid-rf", signature: "s3", pipelineRun: other)
        try store.commitStageOutputs(stageRun: smoke, outputs: [:], metrics: [Metric("fid.euler10", 99, tag: "rf")])

        let report = try ResultsReport.load(store: store, pipeline: "full")
        XCTAssertEqual(report.tables[0].rows[0][1], .number(12.5, fractionDigits: 2), "only the pipeline's own metrics")
        XCTAssertEqual(report.charts.map(\.title), ["loss"])
        XCTAssertEqual(report.charts[0].series[0].points.map(\.y), [1.0, 0.5])
        XCTAssertEqual(report.images, [ReportImage(caption: "fid-rf: grid", png: png)])
    }
}
