import XCTest
import StageKit
@testable import Pipeline

final class ProgressDisplayTests: XCTestCase {
    final class Sink: @unchecked Sendable {
        var text = ""
    }

    func testPlainModePrintsTimestampedLinesAndThrottlesProgress() {
        let sink = Sink()
        let display = ProgressDisplay(interactive: false, plainInterval: 0) { sink.text += $0 }
        display.message("▶ train: running")
        display.started("train")
        display.progress("train", ProgressUpdate(done: 250, total: 1000, rate: 50, unit: "img/s", values: ["loss": 0.5]))
        display.finished("train")
        let lines = sink.text.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, sink.text)
        XCTAssertNotNil(lines[0].range(of: #"^\[\d\d:\d\d:\d\d\] ▶ train: running$"#, options: .regularExpression), lines[0])
        XCTAssertNotNil(lines[1].range(of: #"^\[\d\d:\d\d:\d\d\] train: 250/1000 \(25%\) loss=0.5 50.0 img/s elapsed \d+\.\ds ETA 15s$"#,
                                       options: .regularExpression), lines[1])
        XCTAssertFalse(sink.text.contains("\u{1B}"), "no terminal escapes when not a terminal")

        let quiet = Sink()
        let throttled = ProgressDisplay(interactive: false, plainInterval: 3600) { quiet.text += $0 }
        throttled.started("train")
        for i in 1...100 { throttled.progress("train", ProgressUpdate(done: i, total: 100)) }
        XCTAssertEqual(quiet.text, "")
    }

    func testTerminalModeRedrawsOneLinePerRunningStage() {
        let sink = Sink()
        let display = ProgressDisplay(interactive: true) { sink.text += $0 }
        display.started("a")
        display.started("b")
        display.message("hello")
        // Elapsed times vary with the machine's load; compare with them blanked out.
        func blank(_ s: String) -> String { s.replacingOccurrences(of: #"\d+\.\ds"#, with: "Ts", options: .regularExpression) }
        XCTAssertTrue(blank(sink.text).hasSuffix("hello\n\u{1B}[2Ka: running Ts\n\u{1B}[2Kb: running Ts\n"), sink.text.debugDescription)
        sink.text = ""
        display.finished("a")
        XCTAssertEqual(blank(sink.text), "\u{1B}[2A\u{1B}[2K\n\u{1B}[2K\n\u{1B}[2A\u{1B}[2Kb: running Ts\n")
    }

    func testDurations() {
        XCTAssertEqual(ProgressDisplay.duration(3.14), "3.1s")
        XCTAssertEqual(ProgressDisplay.duration(42), "42s")
        XCTAssertEqual(ProgressDisplay.duration(251), "4m11s")
        XCTAssertEqual(ProgressDisplay.duration(3 * 3600 + 5 * 60), "3h05m")
    }
}
