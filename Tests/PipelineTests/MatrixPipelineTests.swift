import Foundation
import XCTest

/// End-to-end matrix stages: the real lzn-pipe runs the fixture stage over a 2×2 sweep.
final class MatrixPipelineTests: XCTestCase {
    /// base ─▶ sweep (text × weight) ─▶ score (one per member)
    func sweep(_ h: PipelineHarness, weights: String = "0.5, 2.0") throws -> String { try writeSweep(h, weights: weights) }

    static let members = ["text=x,weight=0.5", "text=x,weight=2.0", "text=yy,weight=0.5", "text=yy,weight=2.0"]

    func testASweepRunsEveryMemberAndANewValueRunsOnlyTheNewMembers() throws {
        let h = try PipelineHarness()
        let p = try sweep(h)
        let first = try h.lznPipe("run", p)
        XCTAssertEqual(first.exitCode, 0, first.stdout + first.stderr)
        let four = try h.lznPipe("compare", "sweep", "--metric", "score")
        XCTAssertEqual(four.stdout.split(separator: "\n").count, 2 + 4, four.stdout)
        XCTAssertEqual(four.stdout.split(separator: "\n")[0].split(separator: " ", omittingEmptySubsequences: true),
                       ["member", "text", "weight", "score:score", "sweep:score"], four.stdout)
        XCTAssertEqual(startedStages(first), ["base"] + Self.members.map { "sweep@\($0)" } + Self.members.map { "score@\($0)" })
        XCTAssertEqual(try h.outputText("score@text=yy,weight=2.0"), "|base|yy|s")
        XCTAssertEqual(try h.query("SELECT value FROM metrics m JOIN stage_runs s ON s.id = m.stage_run WHERE s.stage = 'sweep@text=yy,weight=2.0' AND name = 'score'"), [["16.0"]])
        XCTAssertTrue(try h.lznPipe("run", p).stdout.hasPrefix("Nothing to do: 9 stage(s) of sweep up to date"))

        let grown = try sweep(h, weights: "0.5, 2.0, 4.0")
        let dry = try h.lznPipe("run", grown, "--dry-run")
        XCTAssertTrue(squeezed(dry.stdout).contains("sweep@text=x,weight=2.0 up to date"), dry.stdout)
        XCTAssertTrue(squeezed(dry.stdout).contains("sweep@text=x,weight=4.0 would run: never ran in this pipeline"), dry.stdout)
        XCTAssertTrue(squeezed(dry.stdout).contains("score@text=yy,weight=4.0 would run: upstream sweep@text=yy,weight=4.0 will run; never ran in this pipeline"), dry.stdout)
        XCTAssertTrue(dry.stdout.contains("4 stage(s) would run, 0 cached."), dry.stdout)
        let more = try h.lznPipe("run", grown)
        XCTAssertEqual(more.exitCode, 0, more.stdout + more.stderr)
        XCTAssertEqual(startedStages(more), ["sweep@text=x,weight=4.0", "sweep@text=yy,weight=4.0",
                                             "score@text=x,weight=4.0", "score@text=yy,weight=4.0"])

        let compared = try h.lznPipe("compare", "sweep", "--metric", "score", "--metric", "length", "--format", "csv")
        XCTAssertEqual(compared.exitCode, 0, compared.stderr)
        XCTAssertEqual(compared.stdout, [
            "member,text,weight,score:score,sweep:score,score:length,sweep:length",
            "\"text=x,weight=0.5\",x,0.5,9.0,3.5,9.0,7.0",
            "\"text=x,weight=2.0\",x,2.0,9.0,14.0,9.0,7.0",
            "\"text=x,weight=4.0\",x,4.0,9.0,28.0,9.0,7.0",
            "\"text=yy,weight=0.5\",yy,0.5,10.0,4.0,10.0,8.0",
            "\"text=yy,weight=2.0\",yy,2.0,10.0,16.0,10.0,8.0",
            "\"text=yy,weight=4.0\",yy,4.0,10.0,32.0,10.0,8.0",
        ].map { $0 + "\r\n" }.joined())
        let best = try h.lznPipe("compare", "sweep", "--metric", "score", "--sort", "sweep:score", "--descending")
        XCTAssertEqual(best.stdout.split(separator: "\n")[2].split(separator: " ").first, "text=yy,weight=4.0", best.stdout)
        let markdown = try h.lznPipe("compare", p, "--metric", "length", "--stages", "--format", "markdown")
        XCTAssertEqual(markdown.stdout.split(separator: "\n").count, 2 + 13, markdown.stdout)
        XCTAssertTrue(markdown.stdout.hasPrefix("| stage |"), markdown.stdout)
        let byRun = try h.lznPipe("compare", "sweep", "--runs", "--metric", "score", "--format", "json")
        XCTAssertEqual(byRun.exitCode, 0, byRun.stderr)
        XCTAssertTrue(byRun.stdout.hasPrefix(#"[{"run":"1""#), byRun.stdout)
        XCTAssertEqual(try h.lznPipe("compare", "sweep", "--sort", "nope").exitCode, 2)
        XCTAssertEqual(try h.lznPipe("compare", "nothing").exitCode, 2)

        let report = try h.lznPipe("report", "sweep", "--out", h.path("report"))
        XCTAssertEqual(report.exitCode, 0, report.stderr)
        let html = try String(contentsOfFile: h.path("report/index.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("Matrix members"), html)
        XCTAssertTrue(html.contains("sweep:score against weight"), html)

        let status = try h.lznPipe("status", grown, "--set", "sweep@text=x,weight=0.5.sleep_ms=1")
        XCTAssertEqual(status.exitCode, 0, status.stderr)
        XCTAssertTrue(squeezed(status.stdout).contains("sweep@text=x,weight=0.5 stale: param sleep_ms changed 0 → 1"), status.stdout)
        XCTAssertTrue(squeezed(status.stdout).contains("sweep@text=yy,weight=0.5 up to date"), status.stdout)
        let all = try h.lznPipe("run", grown, "--dry-run", "--set", "score.text=t", "--until", "score@text=x")
        XCTAssertTrue(squeezed(all.stdout).contains("score@text=x,weight=4.0 would run: param text changed \"s\" → \"t\""), all.stdout)
        XCTAssertTrue(squeezed(all.stdout).contains("score@text=yy,weight=4.0 not requested (--until)"), all.stdout)
        let swept = try h.lznPipe("run", grown, "--set", "sweep.weight=3")
        XCTAssertEqual(swept.exitCode, 2)
        XCTAssertTrue(swept.stderr.contains("'weight' is swept by the matrix of 'sweep'"), swept.stderr)

        let log = try h.lznPipe("log", "sweep@text=x,weight=4.0")
        XCTAssertTrue(log.stdout.contains("fixture: extending 5 characters"), log.stdout)
        let dag = try h.lznPipe("dag", grown)
        XCTAssertTrue(dag.stdout.contains("score@text=x,weight=4.0  [lzn-stage-fixture@1]\n    source ← sweep@text=x,weight=4.0.out"), dag.stdout)
    }
}

/// The output with runs of spaces collapsed (plans pad stage names to the longest one).
func squeezed(_ text: String) -> String {
    text.replacingOccurrences(of: " +", with: " ", options: .regularExpression)
}

/// base ─▶ sweep (text × weight) ─▶ score (one per member): the fixture over a 2×2 matrix.
func writeSweep(_ h: PipelineHarness, weights: String = "0.5, 2.0") throws -> String {
    try h.write("sweep.toml", """
        description = "a 2x2 sweep of the fixture"
        [stages.base]
        run = "lzn-stage-fixture"
        params = { text = "base" }

        [stages.sweep]
        run = "lzn-stage-fixture"
        inputs = { source = "base.out" }
        [stages.sweep.matrix]
        text = ["x", "yy"]
        weight = [\(weights)]

        [stages.score]
        run = "lzn-stage-fixture"
        inputs = { source = "sweep.out" }
        params = { text = "s" }
        """)
}
