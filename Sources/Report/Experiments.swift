// The experiments table (`lzn-pipe compare`, and the report of a pipeline with matrix stages):
// one row per matrix member, stage or pipeline run, the parameters that differ between the rows,
// and chosen metrics. Built from stage names, parameters and metric values alone, so the store is
// all it needs; a matrix member is recognised by its name, `BASE@key=value,…`.
import Foundation
import Store

/// One stage as of some pipeline run: the parameters (as text) and final metric values of its
/// newest succeeded run.
public struct ExperimentStage: Equatable, Sendable {
    public var stage: String
    public var params: [String: String]
    public var metrics: [Metric]

    public init(stage: String, params: [String: String], metrics: [Metric]) {
        self.stage = stage; self.params = params; self.metrics = metrics
    }

    /// `train@lr=0.001,batch=256` → ("train", [("lr", "0.001"), ("batch", "256")]); nil for a plain stage.
    public var member: (base: String, label: String, pairs: [(key: String, value: String)])? {
        guard let at = stage.firstIndex(of: "@") else { return nil }
        let label = String(stage[stage.index(after: at)...])
        return (String(stage[..<at]), label, ExperimentStage.pairs(label))
    }

    /// `a=1,b=[1,2],c=x` split at the commas outside brackets.
    static func pairs(_ label: String) -> [(key: String, value: String)] {
        var parts: [String] = [], current = "", depth = 0
        for c in label {
            if c == "[" { depth += 1 } else if c == "]" { depth -= 1 }
            if c == "," && depth == 0 { parts.append(current); current = ""; continue }
            current.append(c)
        }
        parts.append(current)
        return parts.map { part in
            guard let eq = part.firstIndex(of: "=") else { return (part, "") }
            return (String(part[..<eq]), String(part[part.index(after: eq)...]))
        }
    }

    /// A stage run's parameters as text: strings bare, everything else as JSON.
    public static func paramTexts(_ json: JSON) -> [String: String] {
        (json.objectValue ?? [:]).mapValues { $0.stringValue ?? $0.text }
    }
}

public struct ExperimentTable: Equatable, Sendable {
    public enum Grouping: String, Sendable { case members, stages }
    public enum Format: String, CaseIterable, Sendable { case table, csv, json, markdown }

    public struct Row: Equatable, Sendable {
        public var label: String
        public var params: [String: String]
        public var metrics: [String: Double]
    }

    /// "member", "stage" or "run": what a row is.
    public var rowColumn: String
    public var paramColumns: [String]
    public var metricColumns: [String]
    public var rows: [Row]

    /// Rows per matrix member (the stages `BASE@LABEL` grouped by LABEL; parameters keyed
    /// `key` for the swept ones, `BASE.key` for the others) or per stage (its own parameters,
    /// keyed `BASE.key` for a member).
    /// `metrics`: metric names to show, in order (empty: every one recorded).
    public static func build(_ stages: [ExperimentStage], grouping: Grouping, metrics: [String] = [], allParams: Bool = false) -> ExperimentTable {
        var raw: [RawRow] = []
        switch grouping {
        case .members:
            for stage in stages {
                guard let member = stage.member else { continue }
                let index = raw.firstIndex { $0.label == member.label } ?? {
                    raw.append(RawRow(label: member.label, sortKey: member.pairs.map(\.value)))
                    for pair in member.pairs { raw[raw.count - 1].params[pair.key] = pair.value }
                    return raw.count - 1
                }()
                for (key, value) in stage.params where !member.pairs.contains(where: { $0.key == key && same($0.value, value) }) {
                    raw[index].params["\(member.base).\(key)"] = value
                }
                raw[index].metrics += stage.metrics.map { (member.base, $0) }
            }
            raw.sort { RawRow.precedes($0.sortKey, $1.sortKey) }
        case .stages:
            for stage in stages {
                var row = RawRow(label: stage.stage, sortKey: [])
                let member = stage.member
                for pair in member?.pairs ?? [] { row.params[pair.key] = pair.value }
                for (key, value) in stage.params where !(member?.pairs.contains { $0.key == key && same($0.value, value) } ?? false) {
                    row.params[member == nil ? key : "\(member!.base).\(key)"] = value
                }
                row.metrics = stage.metrics.map { (stage.stage, $0) }
                raw.append(row)
            }
        }
        return assemble(rowColumn: grouping == .members ? "member" : "stage", raw, metrics: metrics, allParams: allParams)
    }

    /// One row per pipeline run (`label`, e.g. "3"): every stage's parameters keyed `STAGE.key`.
    public static func runs(_ runs: [(label: String, stages: [ExperimentStage])], metrics: [String] = [], allParams: Bool = false) -> ExperimentTable {
        let raw = runs.map { run -> RawRow in
            var row = RawRow(label: run.label, sortKey: [])
            for stage in run.stages {
                for (key, value) in stage.params { row.params["\(stage.stage).\(key)"] = value }
                row.metrics += stage.metrics.map { (stage.stage, $0) }
            }
            return row
        }
        return assemble(rowColumn: "run", raw, metrics: metrics, allParams: allParams)
    }

    /// A swept value in a member's name and the stage's recorded parameter: `2.0` and `2` agree.
    private static func same(_ a: String, _ b: String) -> Bool {
        a == b || (Double(a).flatMap { x in Double(b).map { x == $0 } } ?? false)
    }

    private struct RawRow {
        var label: String
        var sortKey: [String]
        var params: [String: String] = [:]
        /// (the stage it came from, the metric)
        var metrics: [(stage: String, metric: Metric)] = []

        static func precedes(_ a: [String], _ b: [String]) -> Bool {
            for (x, y) in zip(a, b) where x != y {
                if let dx = Double(x), let dy = Double(y) { return dx < dy }
                return x < y
            }
            return a.count < b.count
        }
    }

    private static func assemble(rowColumn: String, _ raw: [RawRow], metrics wanted: [String], allParams: Bool) -> ExperimentTable {
        var keys: [String] = []
        for row in raw { for key in row.params.keys.sorted() where !keys.contains(key) { keys.append(key) } }
        // A stage's parameter (`BASE.key`) is missing only from rows without that stage (a round
        // with a joint and a supervised matrix), so it differs only where its values do; a swept
        // `key` that some members do not set (a variant) differs by being missing too.
        let paramColumns = keys.filter { key in
            allParams || Set(raw.compactMap { $0.params[key] ?? (key.contains(".") ? nil : "\u{0}") }).count > 1
        }

        let names = wanted.isEmpty ? Array(Set(raw.flatMap { $0.metrics.map(\.metric.name) })).sorted() : wanted
        var metricColumns: [String] = []
        var values = raw.map { _ in [String: Double]() }
        for name in names {
            // The least qualification that gives each row at most one value per column.
            let levels: [(String, Metric) -> String] = [
                { _, m in m.name },
                { _, m in m.name + (m.split.map { "[\($0)]" } ?? "") },
                { _, m in m.name + (m.split.map { "[\($0)]" } ?? "") + (m.tag.map { "(\($0))" } ?? "") },
                { s, m in s + ":" + m.name + (m.split.map { "[\($0)]" } ?? "") + (m.tag.map { "(\($0))" } ?? "") },
            ]
            let level = levels.first { label in
                raw.allSatisfy { row in
                    let labels = row.metrics.filter { $0.metric.name == name }.map { label($0.stage, $0.metric) }
                    return Set(labels).count == labels.count
                }
            } ?? levels[3]
            var columns: [String] = []
            for (i, row) in raw.enumerated() {
                for (stage, metric) in row.metrics where metric.name == name {
                    let column = level(stage, metric)
                    if !columns.contains(column) { columns.append(column) }
                    values[i][column] = metric.value
                }
            }
            metricColumns += columns.sorted()
        }
        let rows = raw.enumerated().map { i, row in
            Row(label: row.label, params: row.params.filter { paramColumns.contains($0.key) }, metrics: values[i])
        }
        return ExperimentTable(rowColumn: rowColumn, paramColumns: paramColumns, metricColumns: metricColumns, rows: rows)
    }

    /// Rows sorted by a column (the row column, a parameter, a metric column or a metric name
    /// naming one column); rows without a value last. Nil when no column has that name.
    public func sorted(by column: String, descending: Bool = false) -> ExperimentTable? {
        let metric = metricColumns.contains(column) ? column : metricColumns.first { $0 == column || $0.hasPrefix(column + "[") || $0.hasPrefix(column + "(") || $0.hasSuffix(":" + column) }
        func key(_ row: Row) -> (number: Double?, text: String?) {
            if let metric { return (row.metrics[metric], nil) }
            let text = column == rowColumn ? row.label : row.params[column]
            return (text.flatMap(Double.init), text)
        }
        guard metric != nil || column == rowColumn || paramColumns.contains(column) else { return nil }
        var out = self
        out.rows = rows.enumerated().sorted { a, b in
            let (x, y) = (key(a.element), key(b.element))
            switch (x.number, y.number, x.text, y.text) {
            case let (p?, q?, _, _) where p != q: return descending ? p > q : p < q
            case (_?, nil, _, _): return true
            case (nil, _?, _, _): return false
            case let (nil, nil, s?, t?) where s != t: return descending ? s > t : s < t
            case (nil, nil, _?, nil): return true
            case (nil, nil, nil, _?): return false
            default: return a.offset < b.offset
            }
        }.map(\.element)
        return out
    }

    public var columns: [String] { [rowColumn] + paramColumns + metricColumns }

    /// The table as query-result cells: parameters as text, metrics as numbers, missing as NULL.
    public func result(roundTo digits: Int? = nil) -> QueryResult {
        QueryResult(columns: columns, rows: rows.map { row in
            [.text(row.label)] + paramColumns.map { row.params[$0].map(SQLValue.text) ?? .null }
                + metricColumns.map { column in
                    guard let v = row.metrics[column], !v.isNaN else { return .null }
                    guard let digits, v.isFinite else { return .real(v) }
                    return .real(Double(String(format: "%.\(digits)g", v)) ?? v)
                }
        })
    }

    public func render(_ format: Format) -> String {
        switch format {
        case .table: return result(roundTo: 6).table()
        case .csv: return result().csv()
        case .json: return result().json()
        case .markdown:
            let cells = result(roundTo: 6).rows.map { $0.map { value -> String in
                switch value {
                case .null: return "—"
                case .real(let d): return String(d)
                case .integer(let i): return String(i)
                case .text(let s): return s.replacingOccurrences(of: "|", with: "\\|")
                case .blob: return ""
                }
            } }
            let lines = ["| " + columns.joined(separator: " | ") + " |",
                         "|" + columns.enumerated().map { i, _ in i > paramColumns.count ? "---:|" : "---|" }.joined()]
                + cells.map { "| " + $0.joined(separator: " | ") + " |" }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    /// The report's view: the table, and one chart per metric column against each swept
    /// parameter with numeric values (one series per setting of the other swept parameters).
    public func reportTable(title: String) -> ReportTable {
        ReportTable(title: title, columns: columns, rows: rows.map { row in
            [.text(row.label)] + paramColumns.map { row.params[$0].map(ReportCell.text) ?? .missing }
                + metricColumns.map { row.metrics[$0].map { .number($0, fractionDigits: 4) } ?? .missing }
        })
    }

    public func sweepCharts(limit: Int = 12) -> [LineChart] {
        guard rowColumn == "member" else { return [] }
        let pairs = rows.map { ExperimentStage.pairs($0.label) }
        let keys = pairs.first?.map(\.key) ?? []
        var charts: [LineChart] = []
        for key in keys {
            let xs = pairs.map { p in p.first { $0.key == key }.flatMap { Double($0.value) } }
            guard xs.allSatisfy({ $0 != nil }), Set(xs.compactMap { $0 }).count > 1 else { continue }
            for metric in metricColumns where charts.count < limit {
                var series: [(String, [(x: Double, y: Double)])] = []
                for (i, row) in rows.enumerated() {
                    guard let y = row.metrics[metric], y.isFinite else { continue }
                    let others = pairs[i].filter { $0.key != key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                    let name = others.isEmpty ? metric : others
                    if let s = series.firstIndex(where: { $0.0 == name }) { series[s].1.append((xs[i]!, y)) }
                    else { series.append((name, [(xs[i]!, y)])) }
                }
                guard series.contains(where: { $0.1.count > 1 }) else { continue }
                charts.append(LineChart(title: "\(metric) against \(key)", xLabel: key, yLabel: metric,
                                        series: series.map { ChartSeries(name: $0.0, points: $0.1.sorted { $0.x < $1.x }) }))
            }
        }
        return charts
    }
}
