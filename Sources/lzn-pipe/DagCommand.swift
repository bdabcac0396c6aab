import ArgumentParser
import Pipeline

struct DagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dag",
        abstract: "Show a pipeline's stages in dependency order, or as Graphviz (--dot).")

    @OptionGroup var pipeline: PipelineArguments
    @Flag(help: "Print Graphviz dot (render with: lzn-pipe dag full --dot | dot -Tsvg > dag.svg).") var dot = false

    func run() throws {
        try reportingErrors {
            let validated = try pipeline.load(locator: ExecutableLocator.standard())
            print(dot ? PipelineRendering.dot(validated) : PipelineRendering.text(validated), terminator: "")
            return 0
        }
    }
}
