import ArgumentParser
import Foundation
import Pipeline
import Report
import Store

/// `lzn-pipe compare`: the experiments table, like `dvc exp show`.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare experiments: one row per matrix member, stage or pipeline run, with the parameters that differ and chosen metrics.",
        discussion: """
            Rows are the matrix members (stages named STAGE@key=value,…) when the pipeline has any, \
            else its stages; --stages forces one row per stage, --runs one row per pipeline run. \
            Each stage is taken as of the newest run of the pipeline (its newest succeeded run), with \
            the final value of each metric. Example: lzn-pipe compare sweep --metric fid.euler10 --sort fid.euler10
            """)

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, csv, json, markdown }

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "A pipeline (a name, or a pipeline file path).") var pipeline: String
    @Option(help: ArgumentHelp("Show this metric (repeatable; default: every metric).", valueName: "NAME")) var metric: [String] = []
    @Flag(help: "One row per stage.") var stages = false
    @Flag(help: "One row per pipeline run (parameters keyed STAGE.KEY).") var runs = false
    @Option(help: ArgumentHelp("Sort by this column (a metric, a parameter, or the row column).", valueName: "COLUMN")) var sort: String?
    @Flag(help: "Sort descending.") var descending = false
    @Flag(help: "Show every parameter, not only those that differ between rows.") var allParams = false
    @Option(help: "Output format: table, csv, json or markdown.") var format: Format = .table

    func run() throws {
        try reportingErrors {
            if stages && runs { throw PipelineError.usage("--stages and --runs exclude each other") }
            let name = URL(fileURLWithPath: pipeline).deletingPathExtension().lastPathComponent
            let store = try storeOptions.openForReading()
            defer { store.close() }
            let history = try store.pipelineRunSummaries(pipeline: name, limit: Int.max)
            guard let newest = history.last else {
                let known = try store.pipelineNames()
                throw PipelineError.usage("pipeline '\(name)' never ran in \(store.path) (pipelines: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
            }
            var table: ExperimentTable
            if runs {
                table = .runs(try history.map { (String($0.run.id), try ExperimentStage.asOf(run: $0.run.id, store: store)) },
                              metrics: metric, allParams: allParams)
            } else {
                let current = try ExperimentStage.asOf(run: newest.run.id, store: store)
                let grouping: ExperimentTable.Grouping = !stages && current.contains { $0.member != nil } ? .members : .stages
                table = .build(current, grouping: grouping, metrics: metric, allParams: allParams)
            }
            if let sort {
                guard let sorted = table.sorted(by: sort, descending: descending) else {
                    throw PipelineError.usage("--sort \(sort): no such column (columns: \(table.columns.joined(separator: ", ")))")
                }
                table = sorted
            }
            print(table.render(ExperimentTable.Format(rawValue: format.rawValue)!), terminator: "")
            return 0
        }
    }
}
