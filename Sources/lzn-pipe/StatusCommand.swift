import ArgumentParser
import Pipeline

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each stage of a pipeline: up to date, stale and why, or failed.")

    @OptionGroup var pipeline: PipelineArguments
    @OptionGroup var storeOptions: StoreOptions

    func run() throws {
        try reportingErrors {
            let validated = try pipeline.load(locator: ExecutableLocator.standard())
            return try printPlan(validated, storePath: storeOptions.path, options: RunOptions(), dryRun: false)
        }
    }
}
