import ArgumentParser
import Foundation
import Pipeline
import Store

struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List past pipeline runs with status, duration and what ran.")

    @OptionGroup var storeOptions: StoreOptions
    @Option(help: "Only runs of this pipeline.") var pipeline: String?
    @Option(help: "Show at most this many (newest).") var limit = 20

    func run() throws {
        try reportingErrors {
            let store = try storeOptions.openForReading()
            defer { store.close() }
            let rows = try store.pipelineRunSummaries(pipeline: pipeline, limit: max(1, limit)).map { r -> [SQLValue] in
                [.integer(r.run.id), .text(r.run.pipeline), .text(r.run.status.rawValue), .text(r.run.startedAt),
                 .text(r.seconds.map { String(format: "%.1fs", $0) } ?? ""),
                 .integer(Int64(r.executed)), .integer(Int64(r.reused)), .integer(Int64(r.failed))]
            }
            let result = QueryResult(columns: ["run", "pipeline", "status", "started", "duration", "executed", "reused", "failed"],
                                     rows: rows)
            print(result.table(), terminator: "")
            return 0
        }
    }
}
