import ArgumentParser
import Foundation
import Pipeline
import Store

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Print the captured stdout/stderr of a stage's newest run (or of its run in pipeline run ID).")

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "The stage name (as in the pipeline file).") var stage: String
    @Option(name: .customLong("run"), help: "The pipeline run (see `lzn-pipe runs`); default: the newest run of the stage.")
    var pipelineRun: Int64?

    func run() throws {
        try reportingErrors {
            let store = try storeOptions.openForReading()
            defer { store.close() }
            guard let run = try store.newestLoggedStageRun(stage: stage, pipelineRun: pipelineRun) else {
                printError("no run of stage '\(stage)'\(pipelineRun.map { " in pipeline run \($0)" } ?? "")")
                return PipelineExit.stageFailed
            }
            let exit = run.exitCode.map { ", exit \($0)" } ?? ""
            FileHandle.standardError.write(Data("# stage run \(run.id) of \(run.stage): \(run.status.rawValue)\(exit), started \(run.startedAt)\n".utf8))
            guard let log = run.log else {
                printError(run.status == .running ? "stage run \(run.id) is still running; its log is stored when it ends"
                                                  : "stage run \(run.id) has no log (its results were reused from an earlier run)")
                return PipelineExit.stageFailed
            }
            print(try store.text(of: log), terminator: "")
            return 0
        }
    }
}
