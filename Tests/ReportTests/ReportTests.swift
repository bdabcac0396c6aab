import TestSupport
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Report

final class ReportTests: XCTestCase {
    static func sampleReport() -> Report {
        Report(
            title: "lzn-pipe <full> & co",
            notes: ["pipeline \"full\", run 3"],
            tables: [ReportTable(title: "FID (lower is better)", columns: ["model", "euler10", "rk45"],
                                 rows: [[.text("RF"), .number(31.2345, fractionDigits: 2), .missing],
                                        [.text("RF+LZN <b>"), .number(27.5, fractionDigits: 2), .number(25.04, fractionDigits: 2)]],
                                 note: "not Inception FID")],
            charts: [LineChart(title: "reconstruction loss", xLabel: "iteration", yLabel: "loss",
                               series: [ChartSeries(name: "RF", points: [(0, 1.0), (100, 0.5), (200, 0.31), (300, .nan)]),
                                        ChartSeries(name: "RF+LZN", points: [(0, 1.1), (100, 0.45), (200, 0.25)])])],
            images: [ReportImage(caption: "samples 'RF'", png: [0x89, 0x50, 0x4E, 0x47, 1, 2, 3])])
    }

    func testHTMLEscapesTextAndRendersTheTable() {
        let html = Self.sampleReport().html()
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"))
        XCTAssertTrue(html.contains("<title>lzn-pipe &lt;full&gt; &amp; co</title>"))
        XCTAssertTrue(html.contains("<td>RF+LZN &lt;b&gt;</td>"))
        XCTAssertFalse(html.contains("<b>"))
        XCTAssertTrue(html.contains("<td class=\"num\">31.23</td>"))
        XCTAssertTrue(html.contains("<td>—</td>"))
        XCTAssertTrue(html.contains("pipeline &quot;full&quot;, run 3"))
        XCTAssertTrue(html.contains("alt=\"samples &#39;RF&#39;\""))
        XCTAssertFalse(html.contains("src=\"http") || html.contains("href=\"http"), "no network resources")
        XCTAssertEqual(html.components(separatedBy: "<tr>").count - 1, 3)
    }

    func testImagesAreEmbeddedAsBase64DataURIs() throws {
        let html = Self.sampleReport().html()
        let marker = "src=\"data:image/png;base64,"
        let start = try XCTUnwrap(html.range(of: marker)).upperBound
        let end = try XCTUnwrap(html[start...].firstIndex(of: "\""))
        XCTAssertEqual(Data(base64Encoded: String(html[start..<end])).map { [UInt8]($0) }, [0x89, 0x50, 0x4E, 0x47, 1, 2, 3])
    }

    func testChartIsWellFormedSVGWithAxesAndOnePolylinePerSeries() throws {
        let chart = Self.sampleReport().charts[0]
        let svg = chart.svg()
        let parser = XMLParser(data: Data(svg.utf8))
        XCTAssertTrue(parser.parse(), "SVG must be well-formed XML: \(String(describing: parser.parserError))")
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2)
        XCTAssertTrue(svg.contains("class=\"axes\""))
        XCTAssertTrue(svg.contains(">iteration</text>"))
        XCTAssertFalse(svg.lowercased().contains("points=\"nan") || svg.contains(",nan") || svg.contains("nan,"), "non-finite points are skipped")
        XCTAssertEqual(svg.components(separatedBy: "points=\"")[1].split(separator: "\"")[0].split(separator: " ").count, 3)
        XCTAssertTrue(Self.sampleReport().html().contains("<svg"))
    }

    func testNiceRangeCoversTheDataWithRoundTicks() {
        let range = LineChart.niceRange([0.31, 1.1])
        XCTAssertLessThanOrEqual(range.low, 0.31)
        XCTAssertGreaterThanOrEqual(range.high, 1.1)
        assertClose(range.ticks, [0.2, 0.4, 0.6, 0.8, 1.0, 1.2], tolerance: 1e-12)
        XCTAssertEqual(LineChart.niceRange([5, 5]).ticks.count > 1, true)
    }

    func testWriteCreatesAnIndexFileThatOpensFromDisk() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-report-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try Self.sampleReport().write(to: dir)
        XCTAssertEqual(file.lastPathComponent, "index.html")
        XCTAssertEqual(try String(contentsOf: file, encoding: .utf8), Self.sampleReport().html())
    }

    func testAFailedWriteNamesThePageAndKeepsTheFileSystemError() throws {
        let blocker = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-report-file-\(UUID().uuidString)")
        try Data("not a folder".utf8).write(to: blocker)
        defer { try? FileManager.default.removeItem(at: blocker) }
        let dir = blocker.appendingPathComponent("report")
        XCTAssertThrowsError(try Self.sampleReport().write(to: dir)) { error in
            guard case ReportError.cannotWrite(let path, let underlying)? = error as? ReportError else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(path, dir.path + "/index.html")
            XCTAssertTrue(underlying is CocoaError, "\(underlying)")
            XCTAssertTrue("\(error)".hasPrefix("report: cannot write \(dir.path)/index.html: "), "\(error)")
        }
    }
}
