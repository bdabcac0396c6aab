import XCTest
@testable import StageKit

final class ProgressTests: XCTestCase {
    func testLineRoundTripAndDocumentedExample() {
        let example = ProgressUpdate(line: #"@progress {"done":120,"total":1000,"loss":0.53,"rate":210.5,"unit":"img/s"}"#)
        XCTAssertEqual(example, ProgressUpdate(done: 120, total: 1000, rate: 210.5, unit: "img/s", values: ["loss": 0.53]))
        XCTAssertEqual(example?.etaSeconds ?? 0, 880 / 210.5, accuracy: 1e-9)
        let update = ProgressUpdate(done: 3, total: 10, rate: 1, unit: "it/s", values: ["loss": 1, "acc": 0])
        XCTAssertEqual(update.line, #"@progress {"acc":0.0,"done":3,"loss":1.0,"rate":1.0,"total":10,"unit":"it/s"}"#)
        XCTAssertEqual(ProgressUpdate(line: update.line), update)
        XCTAssertEqual(ProgressUpdate(line: #"@progress {"done":5}"#), ProgressUpdate(done: 5))
    }

    func testOtherLinesAreLogText() {
        for line in ["progress {\"done\":1}", "@progress", "@progress {\"total\":3}", "@progress [1]", "@progress {bad json", "loss 0.5"] {
            XCTAssertNil(ProgressUpdate(line: line), line)
        }
    }

    func testReporterThrottlesButAlwaysWritesTheFirstAndFinalLines() {
        var lines: [String] = []
        let reporter = ProgressReporter(minInterval: 3600) { lines.append($0) }
        for i in 1...100 { reporter.report(done: i, total: 100) }
        XCTAssertEqual(lines, [ProgressUpdate(done: 1, total: 100).line, ProgressUpdate(done: 100, total: 100).line])
    }
}
