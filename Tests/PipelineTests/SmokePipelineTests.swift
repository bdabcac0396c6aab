import Foundation
import XCTest
import Store

/// `lzn-pipe run smoke`: every stage of the full DAG at tiny size, through the real executables and
/// a real store, then checks of what it produced (metrics finite and in range, sample grids valid PNGs).
final class SmokePipelineTests: XCTestCase {
    static let smokePipeline = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("pipelines/smoke.toml").path

    func testSmokePipelineRunsEveryStageAndProducesSaneResults() throws {
        let harness = try PipelineHarness()
        let first = try harness.lznPipe("run", Self.smokePipeline)
        XCTAssertEqual(first.exitCode, 0, "smoke run failed:\n\(first.stdout)\n\(first.stderr)")
        print("smoke pipeline: first run \(String(format: "%.1f", first.seconds)) s")

        let stages = try harness.query("SELECT DISTINCT stage FROM stage_runs WHERE status = 'succeeded'").map { $0[0] }
        let declared = try String(contentsOfFile: Self.smokePipeline, encoding: .utf8)
            .split(separator: "\n").filter { $0.hasPrefix("[stages.") && !$0.contains(".params]") }
        XCTAssertEqual(Set(stages).count, declared.count, "every declared stage succeeded: \(stages.sorted())")

        try assertMetrics(harness)
        try assertSampleGrids(harness)

        let second = try harness.lznPipe("run", Self.smokePipeline)
        XCTAssertEqual(second.exitCode, 0, second.stderr)
        XCTAssertEqual(startedStages(second), [], "a second run executes nothing:\n\(second.stdout)")
        XCTAssertLessThan(second.seconds, 10)

        let report = harness.path("report")
        let written = try harness.lznPipe("report", Self.smokePipeline, "--out", report)
        XCTAssertEqual(written.exitCode, 0, written.stderr)
        let html = try String(contentsOfFile: report + "/index.html", encoding: .utf8)
        XCTAssertTrue(html.contains("<svg"), "loss curves drawn as SVG")
        XCTAssertTrue(html.contains("FID"), "the comparison table")
    }

    private func assertMetrics(_ harness: PipelineHarness) throws {
        let rows = try harness.query("SELECT stage, name, value FROM latest_metrics WHERE pipeline = 'smoke'")
        func values(_ predicate: (String) -> Bool) -> [(String, Double)] {
            rows.filter { predicate($0[1]) }.map { ("\($0[0]).\($0[1])", Double($0[2]) ?? .nan) }
        }
        let fids = values { $0.hasPrefix("fid.") }
        XCTAssertGreaterThanOrEqual(fids.count, 3, "FID of rf, rf+lzn and lzn-conditional")
        for (name, fid) in fids { XCTAssertTrue(fid.isFinite && fid >= 0, "\(name) = \(fid)") }

        let accuracies = values { $0 == "probe_accuracy" || $0.hasPrefix("class_accuracy") }
        XCTAssertGreaterThanOrEqual(values { $0 == "probe_accuracy" }.count, 3, "probes of pixels, SimCLR and LZN")
        XCTAssertGreaterThanOrEqual(values { $0.hasPrefix("class_accuracy") }.count, 2, "LZN and supervised accuracy")
        for (name, accuracy) in accuracies { XCTAssertTrue((0...1).contains(accuracy), "\(name) = \(accuracy)") }
        // Even a few dozen iterations give features a converged probe reads far above chance (0.1).
        for (name, accuracy) in values({ $0 == "probe_accuracy" }) { XCTAssertGreaterThan(accuracy, 0.3, name) }

        let losses = try harness.query("SELECT name, value FROM metrics WHERE name LIKE '%loss%'")
        XCTAssertFalse(losses.isEmpty, "training curves recorded")
        for row in losses { XCTAssertTrue(Double(row[1])?.isFinite ?? false, "\(row[0]) = \(row[1])") }
    }

    private func assertSampleGrids(_ harness: PipelineHarness) throws {
        let grids = try harness.query("""
            SELECT o.artifact FROM stage_outputs o JOIN stage_runs s ON s.id = o.stage_run
            WHERE s.status = 'succeeded' AND o.name = 'grid'
            """).map { $0[0] }
        XCTAssertGreaterThanOrEqual(grids.count, 3)
        let store = try Store.open(harness.storePath)
        defer { store.close() }
        for id in grids {
            let png = try store.content(of: ArtifactID(id)!)
            XCTAssertEqual(Array(png.prefix(8)), [137, 80, 78, 71, 13, 10, 26, 10], "PNG signature")
            XCTAssertEqual(String(decoding: png[12..<16], as: UTF8.self), "IHDR")
            let width = png[16..<20].reduce(0) { $0 << 8 | Int($1) }
            let height = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
            // 28×28 tiles with a one-pixel border, plus a label column on the left.
            XCTAssertEqual((height - 1) % 29, 0, "height \(height) is whole rows of 28-pixel tiles")
            XCTAssertGreaterThan(width, 29)
        }
    }
}
