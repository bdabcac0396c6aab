// The results report: a plain data model rendered as one static HTML page (no network; images
// embedded as data URIs, charts as inline SVG), so it opens from disk anywhere.
import Foundation

/// One table cell.
public enum ReportCell: Equatable, Sendable {
    case text(String)
    case number(Double, fractionDigits: Int)
    /// A value the store has no metric for (yet).
    case missing

    var rendered: String {
        switch self {
        case .text(let s): return s
        case .number(let v, let digits): return v.isFinite ? String(format: "%.\(max(0, digits))f", v) : "\(v)"
        case .missing: return "—"
        }
    }
}

public struct ReportTable: Equatable, Sendable {
    public var title: String
    public var columns: [String]
    public var rows: [[ReportCell]]
    /// Shown under the table (e.g. "feature network: a Fashion-MNIST classifier, not Inception").
    public var note: String?

    public init(title: String, columns: [String], rows: [[ReportCell]], note: String? = nil) {
        self.title = title
        self.columns = columns
        self.rows = rows
        self.note = note
    }
}

public struct ChartSeries: Equatable, Sendable {
    public var name: String
    /// (x, y) points, drawn in order; non-finite points are skipped.
    public var points: [(x: Double, y: Double)]

    public init(name: String, points: [(x: Double, y: Double)]) {
        self.name = name
        self.points = points
    }

    public static func == (a: ChartSeries, b: ChartSeries) -> Bool {
        a.name == b.name && a.points.count == b.points.count
            && zip(a.points, b.points).allSatisfy { $0.x == $1.x && $0.y == $1.y }
    }
}

public struct LineChart: Equatable, Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var series: [ChartSeries]

    public init(title: String, xLabel: String, yLabel: String, series: [ChartSeries]) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
    }
}

public struct ReportImage: Equatable, Sendable {
    public var caption: String
    /// PNG file bytes, embedded as a data URI.
    public var png: [UInt8]

    public init(caption: String, png: [UInt8]) {
        self.caption = caption
        self.png = png
    }
}

public struct Report: Equatable, Sendable {
    public var title: String
    /// Plain-text paragraphs under the title (provenance: pipeline, run, store).
    public var notes: [String]
    /// One line per comparison, shown before the tables.
    public var verdicts: [String]
    public var tables: [ReportTable]
    public var charts: [LineChart]
    public var images: [ReportImage]

    public init(title: String, notes: [String] = [], verdicts: [String] = [], tables: [ReportTable] = [], charts: [LineChart] = [],
                images: [ReportImage] = []) {
        self.title = title
        self.notes = notes
        self.verdicts = verdicts
        self.tables = tables
        self.charts = charts
        self.images = images
    }

    /// The whole page as one self-contained HTML document.
    public func html() -> String {
        var out = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <title>\(escapeHTML(title))</title>
        <style>
        body { font-family: sans-serif; margin: 2em auto; max-width: 60em; color: #222; }
        table { border-collapse: collapse; margin: 1em 0; }
        th, td { border: 1px solid #bbb; padding: 0.3em 0.8em; }
        td.num { text-align: right; font-variant-numeric: tabular-nums; }
        figure { display: inline-block; margin: 1em; vertical-align: top; }
        figure img { image-rendering: pixelated; border: 1px solid #ccc; }
        .note { color: #555; font-size: 0.9em; }
        </style>
        </head>
        <body>
        <h1>\(escapeHTML(title))</h1>

        """
        for note in notes { out += "<p class=\"note\">\(escapeHTML(note))</p>\n" }
        if !verdicts.isEmpty {
            out += "<h2>Verdicts</h2>\n<ul>\n" + verdicts.map { "<li>\(escapeHTML($0))</li>\n" }.joined() + "</ul>\n"
        }
        if !tables.isEmpty { out += "<h2>Results</h2>\n" }
        for table in tables { out += renderTable(table) }
        if !charts.isEmpty { out += "<h2>Training curves</h2>\n" }
        for chart in charts { out += "<figure>\n\(chart.svg())\n</figure>\n" }
        if !images.isEmpty { out += "<h2>Samples</h2>\n" }
        for image in images {
            let uri = "data:image/png;base64," + Data(image.png).base64EncodedString()
            out += "<figure><img src=\"\(uri)\" alt=\"\(escapeHTML(image.caption))\"><figcaption>\(escapeHTML(image.caption))</figcaption></figure>\n"
        }
        out += "</body>\n</html>\n"
        return out
    }

    /// Writes `index.html` into `directory` (created if needed) and returns its URL.
    @discardableResult
    public func write(to directory: URL) throws -> URL {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let file = directory.appendingPathComponent("index.html")
            try Data(html().utf8).write(to: file, options: .atomic)
            return file
        } catch {
            throw ReportError.cannotWrite(path: "\(directory.path)/index.html", underlying: error)
        }
    }

    private func renderTable(_ table: ReportTable) -> String {
        var out = "<h3>\(escapeHTML(table.title))</h3>\n<table>\n<tr>"
        for column in table.columns { out += "<th>\(escapeHTML(column))</th>" }
        out += "</tr>\n"
        for row in table.rows {
            out += "<tr>"
            for cell in row {
                if case .number = cell {
                    out += "<td class=\"num\">\(escapeHTML(cell.rendered))</td>"
                } else {
                    out += "<td>\(escapeHTML(cell.rendered))</td>"
                }
            }
            out += "</tr>\n"
        }
        out += "</table>\n"
        if let note = table.note { out += "<p class=\"note\">\(escapeHTML(note))</p>\n" }
        return out
    }
}

/// Escapes text for HTML element content and double- or single-quoted attribute values.
public func escapeHTML(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for ch in text {
        switch ch {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(ch)
        }
    }
    return out
}
