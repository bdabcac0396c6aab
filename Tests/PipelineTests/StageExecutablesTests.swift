import Foundation
import XCTest
import StageKit

/// Executable identity: every stage executable the shipped pipelines use answers `--describe`
/// with a well-formed description whose name is its own and whose implementation version is
/// compiled in (the same on every call), which is what signatures hash instead of the binary.
final class StageExecutablesTests: XCTestCase {
    func describe(_ executable: String) throws -> (code: Int32, stdout: Data, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PipelineHarness.executable(executable))
        process.arguments = ["--describe"]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    func checkWellFormed(_ executable: String) throws {
        let first = try describe(executable)
        XCTAssertEqual(first.code, 0, "\(executable) --describe: \(first.stderr)")
        let description = try JSONDecoder().decode(StageDescription.self, from: first.stdout)
        XCTAssertEqual(description.name, executable)
        XCTAssertEqual(description.problems(), [], executable)
        XCTAssertFalse(description.outputs.isEmpty, "\(executable) declares no outputs")
        XCTAssertEqual(try describe(executable).stdout, first.stdout, "\(executable): --describe must be deterministic")
    }

    func testTheFixtureStageDescribesItself() throws {
        try checkWellFormed("lzn-stage-fixture")
    }

    /// Every one is a finished stage: an executable that cannot describe itself fails here.
    func testEveryStageOfTheShippedPipelinesDescribesItselfWellFormed() throws {
        for executable in ["lzn-ingest", "lzn-train", "lzn-latents", "lzn-generate", "lzn-fid", "lzn-probe"] {
            try checkWellFormed(executable)
        }
    }
}
