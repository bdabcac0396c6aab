import ArrayFormats
import Foundation
import XCTest
import Store

/// `lzn-pipe report`: the real binary against a real store filled through the Store API with the
/// metric rows and image artifact the evaluation stages write.
final class ReportCommandTests: XCTestCase {
    /// A `full` run with a training curve, two FIDs, probe and class accuracies and a 4×3 grid.
    func populate(_ h: PipelineHarness) throws -> [UInt8] {
        let store = try Store.open(h.storePath)
        defer { store.close() }
        let run = try store.beginPipelineRun(pipeline: "full")
        let train = try store.beginStageRun(stage: "train_rf", signature: "t", pipelineRun: run)
        try store.recordMetrics(stageRun: train, (0..<5).map { Metric("loss", 1.0 / Double($0 + 1), step: 10 * $0) })
        try store.commitStageOutputs(stageRun: train, outputs: [:])

        let png = try PNG.encode(pixels: (0..<12).map { UInt8($0 * 20) }, width: 4, height: 3, channels: 1)
        let grid = try store.putImage(png, name: "grid-generate_rf")
        let generate = try store.beginStageRun(stage: "generate_rf", signature: "g", pipelineRun: run)
        try store.commitStageOutputs(stageRun: generate, outputs: ["grid": grid.id])
        let fid = try store.beginStageRun(stage: "fid_rf", signature: "f", pipelineRun: run)
        try store.commitStageOutputs(stageRun: fid, outputs: [:], metrics: [Metric("fid.euler50", 41.257, tag: "rf")])
        let fidLZN = try store.beginStageRun(stage: "fid_lzn", signature: "f2", pipelineRun: run)
        try store.commitStageOutputs(stageRun: fidLZN, outputs: [:], metrics: [Metric("fid.euler50", 30.5, tag: "rf-lzn")])
        let probe = try store.beginStageRun(stage: "probe_pixels", signature: "p", pipelineRun: run)
        try store.commitStageOutputs(stageRun: probe, outputs: [:], metrics: [Metric("probe_accuracy", 0.8123, split: "test", tag: "pixels")])
        let accuracy = try store.beginStageRun(stage: "accuracy_supervised", signature: "a", pipelineRun: run)
        try store.commitStageOutputs(stageRun: accuracy, outputs: [:], metrics: [Metric("class_accuracy", 0.9034, split: "test", tag: "supervised")])
        try store.finishPipelineRun(run, status: .succeeded)
        return png
    }

    func testReportWritesAStaticPageWithTheNumbersCurvesAndGrid() throws {
        let h = try PipelineHarness()
        let png = try populate(h)
        let result = try h.lznPipe("report", "full", "--out", h.path("report"))
        XCTAssertEqual(result.exitCode, 0, result.stderr)
        let index = h.path("report/index.html")
        XCTAssertTrue(result.stdout.contains(index), result.stdout)
        let html = try String(contentsOfFile: index, encoding: .utf8)

        for number in ["41.26", "30.50", "81.23", "90.34"] { XCTAssertTrue(html.contains(">\(number)</td>"), "missing \(number)") }
        XCTAssertTrue(html.contains("data:image/png;base64,\(Data(png).base64EncodedString())"), "the grid is embedded")
        XCTAssertTrue(html.contains("<svg"), "loss curve as inline SVG")
        XCTAssertTrue(html.contains("<polyline"))
        for remote in ["src=\"http", "href=\"http", "<link", "<script", "@import"] {
            XCTAssertFalse(html.contains(remote), "no network resources: \(remote)")
        }
        for tag in ["html", "body", "table", "tr", "svg", "figure"] {
            XCTAssertEqual(occurrences(of: "<\(tag)[ >]", in: html), occurrences(of: "</\(tag)>", in: html), "<\(tag)> balanced")
        }
        XCTAssertEqual(occurrences(of: "<table>", in: html), 3)
        XCTAssertEqual(occurrences(of: "<t[dh][ >]", in: html), occurrences(of: "</t[dh]>", in: html), "cells balanced")
    }

    func testAPipelineThatNeverRanIsAClearErrorAndWritesNothing() throws {
        let h = try PipelineHarness()
        let missingStore = try h.lznPipe("report", "full", "--out", h.path("report"))
        XCTAssertEqual(missingStore.exitCode, 2)
        XCTAssertTrue(missingStore.stderr.contains("no store at \(h.storePath)"), missingStore.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.storePath), "reporting must not create a store")

        _ = try populate(h)
        let result = try h.lznPipe("report", "smoke", "--out", h.path("report"))
        XCTAssertEqual(result.exitCode, 2)
        XCTAssertTrue(result.stderr.contains("pipeline 'smoke' never ran in store \(h.storePath) (pipelines that ran there: full)"),
                      result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.path("report")))
    }

    private func occurrences(of pattern: String, in text: String) -> Int {
        let regex = try! NSRegularExpression(pattern: pattern)
        return regex.numberOfMatches(in: text, range: NSRange(text.startIndex..., in: text))
    }
}
