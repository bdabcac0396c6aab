import ArgumentParser
import Foundation
import Pipeline
import Store

/// The PIPELINE argument and `--set` overrides shared by run, status and dag.
struct PipelineArguments: ParsableArguments {
    @Argument(help: "A pipeline: a name in pipelines/ (e.g. smoke, full) or a path to a .toml file.")
    var pipeline: String

    @Option(name: .customLong("set"), help: ArgumentHelp("Override a parameter for this invocation (repeatable).", valueName: "STAGE.KEY=VALUE"))
    var overrides: [String] = []

    func load(locator: ExecutableLocator) throws -> ValidatedPipeline {
        let path = try PipelineFinder.find(pipeline)
        let file = try PipelineFile.load(path: path)
        return try PipelineValidator.validate(file, overrides: try overrides.map(ParamOverride.parse), describe: locator.describe)
    }
}

/// Runs a command body and turns its errors into the documented exit codes: 2 for an invalid
/// pipeline or bad usage, 1 for anything else (store errors, failed stages).
func reportingErrors(_ body: () throws -> Int32) throws {
    let code: Int32
    do {
        code = try body()
    } catch let error as PipelineError {
        printError(error.description)
        switch error {
        case .storeLock, .malformedArtifactID: code = PipelineExit.stageFailed
        default: code = PipelineExit.invalid
        }
    } catch let error as ExitCode {
        throw error
    } catch {
        printError("\(error)")
        code = PipelineExit.stageFailed
    }
    if code != 0 { throw ExitCode(code) }
}

func printError(_ message: String) {
    FileHandle.standardError.write(Data("lzn-pipe: \(message)\n".utf8))
}

/// A table in the store commands' format.
func printTable(_ columns: [String], _ rows: [[String]]) {
    print(QueryResult(columns: columns, rows: rows.map { $0.map(SQLValue.text) }).table(), terminator: "")
}
