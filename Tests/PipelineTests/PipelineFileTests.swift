import XCTest
@testable import Pipeline

/// The pipelines shipped in pipelines/ are valid, and `smoke`
/// exercises exactly the stages of `full`.
final class PipelineFileTests: XCTestCase {
    static let pipelinesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("pipelines")

    func load(_ name: String) throws -> PipelineFile {
        try PipelineFile.load(path: Self.pipelinesDirectory.appendingPathComponent("\(name).toml").path)
    }

    /// Every file in pipelines/ passes `lzn-pipe run --dry-run`: the validator every run uses
    /// (matrix expansion, inputs from known stages, no cycle, each parameter declared by the real
    /// executable's `--describe` with the right type). An empty store stays uncreated.
    func testShippedPipelinesPassTheValidator() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.pipelinesDirectory.path)
            .filter { $0.hasSuffix(".toml") }.sorted()
        XCTAssertTrue(Set(["smoke.toml", "full.toml", "nightly.toml", "tune-case3.toml", "tune-case3-budget.toml"])
            .isSubset(of: names), "\(names)")
        let harness = try PipelineHarness()
        for name in names {
            let dryRun = try harness.lznPipe("run", Self.pipelinesDirectory.appendingPathComponent(name).path, "--dry-run")
            XCTAssertEqual(dryRun.exitCode, 0, "\(name):\n\(dryRun.stderr)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: harness.storePath), "a dry run creates no store")
    }

    func testSmokeRunsTheSameStagesAsFull() throws {
        let smoke = try load("smoke"), full = try load("full")
        XCTAssertEqual(smoke.stages.map(\.name), full.stages.map(\.name))
        XCTAssertEqual(smoke.stages.map(\.executable.value), full.stages.map(\.executable.value))
        XCTAssertEqual(smoke.stages.map { $0.inputs.mapValues(\.value) }, full.stages.map { $0.inputs.mapValues(\.value) })
        XCTAssertEqual(Set(full.stages.map(\.executable.value)),
                       ["lzn-ingest", "lzn-train", "lzn-latents", "lzn-generate", "lzn-fid", "lzn-probe"])
    }

    func testFindingPipelinesByNameOrPath() throws {
        let root = Self.pipelinesDirectory.deletingLastPathComponent().path
        XCTAssertEqual(try PipelineFinder.find("smoke", currentDirectory: root, executable: nil), root + "/pipelines/smoke.toml")
        // From elsewhere, through the package the executable was built in.
        XCTAssertEqual(try PipelineFinder.find("full", currentDirectory: "/", executable: root + "/.build/release/lzn-pipe"),
                       root + "/pipelines/full.toml")
        XCTAssertEqual(try PipelineFinder.find("pipelines/full.toml", currentDirectory: root, executable: nil), root + "/pipelines/full.toml")
        XCTAssertThrowsError(try PipelineFinder.find("nope", currentDirectory: "/", executable: nil)) {
            XCTAssertEqual("\($0)", "no pipeline 'nope' (looked for: /pipelines/nope.toml)")
        }
    }

    func testIncludeTakesTheStagesOfAnotherFileFirstAndReportsProblemsAtTheirLines() throws {
        let h = try PipelineHarness()
        try h.write("base.toml", """
        [stages.a]
        run = "lzn-stage-fixture"
        params = { text = "a" }
        """)
        let file = try PipelineFile.load(path: try h.write("more.toml", """
        description = "base plus b"
        include = "base.toml"
        [stages.b]
        run = "lzn-stage-fixture"
        inputs = { source = "a.out" }
        """))
        XCTAssertEqual(file.name, "more")
        XCTAssertEqual(file.stages.map(\.name), ["a", "b"])
        XCTAssertEqual(file.stages[0].params["text"]?.value, .string("a"))
        XCTAssertEqual(file.stages[0].location, SourceLocation(file: h.path("base.toml"), line: 1))

        func issues(_ name: String, _ text: String) throws -> String {
            do { _ = try PipelineFile.load(path: try h.write(name, text)) } catch { return "\(error)" }
            XCTFail("\(name) should be invalid")
            return ""
        }
        XCTAssertTrue(try issues("twice.toml", "include = \"base.toml\"\n[stages.a]\nrun = \"lzn-stage-fixture\"\n")
            .contains("\(h.path("twice.toml")):2: stage 'a' is already defined at \(h.path("base.toml")):1 (included)"))
        XCTAssertTrue(try issues("self.toml", "include = \"self.toml\"\n").contains("\(h.path("self.toml")):1: include cycle"))
        try h.write("bad.toml", "[stages.x]\nrun = 3\n")
        XCTAssertTrue(try issues("outer.toml", "include = \"bad.toml\"\n")
            .contains("\(h.path("bad.toml")):2: stage 'x': 'run' must be the name of a stage executable"))
        XCTAssertTrue(try issues("missing.toml", "include = \"nope.toml\"\n")
            .contains("\(h.path("missing.toml")):1: include \"nope.toml\": cannot read \(h.path("nope.toml"))"))
    }
}
