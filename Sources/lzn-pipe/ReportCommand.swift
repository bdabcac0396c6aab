import ArgumentParser
import Foundation
import Pipeline
import Report
import Store

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a pipeline's results as a static HTML page (tables, loss curves, sample grids).",
        discussion: """
            Writes DIR/index.html: the comparison tables (FID, linear-probe and classification \
            accuracy), the training loss curves as inline SVG and the sample grids embedded as PNG, \
            every number from the store's metrics table. The page needs no network and opens from disk.
            """)

    @OptionGroup var storeOptions: StoreOptions
    @Argument(help: "The pipeline whose results to show (a name such as full, or its file path).") var pipeline: String
    @Option(help: ArgumentHelp("The folder to write index.html into (created if needed).", valueName: "DIR")) var out: String

    func run() throws {
        try reportingErrors {
            let name = URL(fileURLWithPath: pipeline).deletingPathExtension().lastPathComponent
            let path = storeOptions.path
            guard FileManager.default.fileExists(atPath: path) else {
                throw PipelineError.usage("no store at \(path) (pass --store PATH or set $LZN_STORE); run `lzn-pipe run \(name)` first")
            }
            let store = try storeOptions.openForReading()
            defer { store.close() }
            let ran = try store.pipelineNames()
            guard ran.contains(name) else {
                let others = ran.isEmpty ? "no pipeline has run in it" : "pipelines that ran there: \(ran.joined(separator: ", "))"
                throw PipelineError.usage("pipeline '\(name)' never ran in store \(path) (\(others)); run `lzn-pipe run \(name)` first")
            }
            let report = try ResultsReport.load(store: store, pipeline: name)
            let file = try report.write(to: URL(fileURLWithPath: out, isDirectory: true))
            print("Report of \(name): \(report.tables.count) tables, \(report.charts.count) loss chart(s), "
                  + "\(report.images.count) sample grid(s)")
            print("Open \(file.path)")
            return 0
        }
    }
}
