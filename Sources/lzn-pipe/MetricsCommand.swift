import ArgumentParser
import Foundation
import Pipeline
import Store

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Latest metrics as a table; --diff compares two pipeline runs; --history follows one metric.")

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "Only this pipeline (a name, or a pipeline file path).") var pipeline: String?
    @Option(parsing: .upToNextOption, help: ArgumentHelp("Compare the metrics as of two pipeline runs (see `lzn-pipe runs`).", valueName: "RUN"))
    var diff: [Int64] = []
    @Option(help: ArgumentHelp("Show one metric's final value in every run that recorded it.", valueName: "NAME"))
    var history: String?

    var pipelineName: String? {
        pipeline.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
    }

    func run() throws {
        try reportingErrors {
            if !diff.isEmpty, diff.count != 2 { throw PipelineError.usage("--diff needs two pipeline run ids: --diff RUN_A RUN_B") }
            let store = try storeOptions.openForReading()
            defer { store.close() }
            if !diff.isEmpty {
                let rows = try MetricReports.diff(diff[0], diff[1], store: store).map { d -> [String] in
                    [d.key.stage, d.key.name, d.key.split, d.key.tag, format(d.old), format(d.new),
                     d.delta.map { ($0 >= 0 ? "+" : "") + format($0) } ?? ""]
                }
                printTable(["stage", "metric", "split", "tag", "run \(diff[0])", "run \(diff[1])", "delta"], rows)
                return 0
            }
            if let history {
                let rows = try store.finalMetricValues(name: history, pipeline: pipelineName).map { h -> [SQLValue] in
                    [h.pipeline.map(SQLValue.text) ?? .null, h.pipelineRun.map(SQLValue.integer) ?? .null, .text(h.stage),
                     .text(h.metric.split ?? ""), .text(h.metric.tag ?? ""), h.metric.value.isNaN ? .null : .real(h.metric.value),
                     .text(h.recordedAt)]
                }
                let result = QueryResult(columns: ["pipeline", "run", "stage", "split", "tag", "value", "recorded_at"], rows: rows)
                print(result.table(), terminator: "")
                return 0
            }
            let rows = try store.latestMetrics(pipeline: pipelineName).map { m -> [String] in
                [m.pipeline ?? "-", m.stage, m.metric.name, m.metric.split ?? "", m.metric.tag ?? "",
                 format(m.metric.value), m.metric.step.map(String.init) ?? "", m.recordedAt]
            }
            printTable(["pipeline", "stage", "metric", "split", "tag", "value", "step", "recorded"], rows)
            return 0
        }
    }

    private func format(_ v: Double?) -> String {
        guard let v else { return "" }
        return String(format: "%.6g", v)
    }
}
