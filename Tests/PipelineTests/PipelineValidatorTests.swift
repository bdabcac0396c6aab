import StageKit
import TestSupport
import XCTest
@testable import Pipeline

final class PipelineValidatorTests: XCTestCase {
    let good = """
    description = "three stages"

    [stages.ingest]
    run = "lzn-ingest"
    params = { size = 500 }

    [stages.gen]
    run = "lzn-generate"
    inputs = { checkpoint = "train.checkpoint" }

    [stages.train]
    run = "lzn-train"
    inputs = { dataset = "ingest.dataset" }
    [stages.train.params]
    mode = "generation"
    lr = 1
    """

    func validate(_ text: String, overrides: [ParamOverride] = []) throws -> ValidatedPipeline {
        try validatedPipeline(text, overrides: overrides)
    }

    func issues(_ text: String) -> [String] { pipelineIssues(text) }

    func testGoodPipelineResolvesTypesDefaultsAndOrder() throws {
        let p = try validate(good)
        XCTAssertEqual(p.stages.map(\.name), ["ingest", "train", "gen"])
        let train = p.stage("train")!
        XCTAssertEqual(train.params, ["mode": .string("generation"), "lr": .float(1.0), "iterations": .int(100),
                                      "widths": .list([.int(32), .int(64)]), "ema": .bool(true)])
        XCTAssertEqual(train.inputs, ["dataset": OutputRef(stage: "ingest", output: "dataset")])
        XCTAssertEqual(p.stage("ingest")!.params["size"], .int(500))
        XCTAssertEqual(p.graph.descendants(of: "ingest"), ["train", "gen"])
        XCTAssertEqual(p.graph.ancestors(of: "gen"), ["train", "ingest"])
    }

    func testSetOverridesAreTypedByTheSchema() throws {
        let p = try validate(good, overrides: [try ParamOverride.parse("train.lr=0.5"),
                                               try ParamOverride.parse("train.widths=[8, 16]"),
                                               try ParamOverride.parse("train.mode=contrastive")])
        XCTAssertEqual(p.stage("train")!.params["lr"], .float(0.5))
        XCTAssertEqual(p.stage("train")!.params["widths"], .list([.int(8), .int(16)]))
        XCTAssertEqual(p.stage("train")!.params["mode"], .string("contrastive"))
        XCTAssertThrowsError(try validate(good, overrides: [try ParamOverride.parse("train.iterations=many")])) {
            XCTAssertEqual("\($0)", "--set train.iterations=many: not a int")
        }
        XCTAssertThrowsError(try validate(good, overrides: [try ParamOverride.parse("nope.lr=1")])) {
            XCTAssertEqual("\($0)", "--set nope.lr: no stage 'nope' in p.toml (stages: ingest, gen, train)")
        }
        XCTAssertThrowsError(try validate(good, overrides: [try ParamOverride.parse("train.beta=1")]))
        XCTAssertThrowsError(try ParamOverride.parse("trainlr=1"))
    }

    func testStructuralErrorsHaveFileAndLine() {
        XCTAssertEqual(issues("""
        color = "red"
        [stages.a]
        run = "lzn-ingest"
        cmd = "x"
        params = 3
        [stages.b]
        params = { size = 1 }
        [stages.c]
        run = "lzn-train"
        inputs = { dataset = "nodot" }
        params = { mode = { x = 1 } }
        """), [
            "p.toml:1: unknown key 'color' (expected: description, include, stages)",
            "p.toml:4: stage 'a': unknown key 'cmd' (expected: run, params, inputs, matrix)",
            "p.toml:5: stage 'a': 'params' must be a table",
            "p.toml:6: stage 'b' has no 'run = \"EXECUTABLE\"'",
            "p.toml:10: stage 'c': input 'dataset' must be \"STAGE.OUTPUT\"",
            "p.toml:11: stage 'c': parameter 'mode' has an unsupported value (table)",
        ])
        XCTAssertEqual(issues("x = [1,"), ["p.toml:1: unterminated array"])
        XCTAssertEqual(issues("description = \"empty\""), ["p.toml: no stages ([stages.NAME] tables)"])
    }

    func testSchemaErrorsHaveFileAndLine() {
        XCTAssertEqual(issues("""
        [stages.ingest]
        run = "lzn-ingest"
        params = { format = "png", size = "big", colour = 1 }
        [stages.train]
        run = "lzn-train"
        inputs = { dataset = "ingest.data", extra = "ingest.dataset" }
        [stages.gen]
        run = "lzn-generate"
        inputs = { checkpoint = "ingest.dataset", reference = "missing.dataset" }
        [stages.eval]
        run = "lzn-nothing"
        """), [
            "p.toml:3: stage 'ingest' (lzn-ingest): unknown parameter 'colour' (declared: format, size)",
            "p.toml:3: stage 'ingest' (lzn-ingest): parameter 'format' is \"png\", expected one of: fashion-mnist, idx",
            "p.toml:3: stage 'ingest' (lzn-ingest): parameter 'size' must be int, got \"big\"",
            "p.toml:4: stage 'train' (lzn-train): required parameter 'mode' is not set",
            "p.toml:6: stage 'train': stage 'ingest' (lzn-ingest) has no output 'data' (outputs: dataset)",
            "p.toml:6: stage 'train': lzn-train has no input 'extra' (declared: dataset)",
            "p.toml:9: stage 'gen': input 'checkpoint' needs a bundle, but ingest.dataset is a dataset",
            "p.toml:9: stage 'gen': input 'reference' refers to unknown stage 'missing'",
            "p.toml:11: stage 'eval': unknown executable 'lzn-nothing'",
        ])
        XCTAssertEqual(issues("""
        [stages.train]
        run = "lzn-train"
        params = { mode = "generation" }
        """), ["p.toml:1: stage 'train': missing input 'dataset' (a dataset) of lzn-train"])
    }

    func testCyclesAreRejectedWithTheirStages() {
        XCTAssertEqual(issues("""
        [stages.a]
        run = "lzn-ingest"
        [stages.b]
        run = "lzn-train"
        params = { mode = "generation" }
        inputs = { dataset = "c.samples" }
        [stages.c]
        run = "lzn-generate"
        inputs = { checkpoint = "b.checkpoint" }
        """), [
            "p.toml:6: stage 'b': input 'dataset' needs a dataset, but c.samples is a tensor",
            "p.toml:7: cycle: c → b → c",
        ])
        let graph = PipelineGraph(names: ["a", "b", "c", "d"], upstream: ["a": ["d"], "b": ["a"], "c": ["b"], "d": ["c"]])
        XCTAssertEqual(cycle(in: graph), ["b", "c", "d", "a", "b"])
        let selfLoop = PipelineGraph(names: ["a"], upstream: ["a": ["a"]])
        XCTAssertEqual(cycle(in: selfLoop), ["a", "a"])
    }

    func testTopologicalOrderPrefersFileOrder() throws {
        let graph = PipelineGraph(names: ["report", "b", "a", "root"],
                                  upstream: ["report": ["a", "b"], "a": ["root"], "b": ["root"]])
        XCTAssertEqual(try graph.topologicalOrder().get(), ["root", "b", "a", "report"])
    }

    /// The validator reports unknown upstream stages; the graph itself neither waits for them nor traps.
    func testUpstreamNamesThatAreNotStagesDoNotOrderAnything() throws {
        let graph = PipelineGraph(names: ["b", "a"], upstream: ["b": ["a", "ghost"], "a": ["missing"]])
        XCTAssertEqual(try graph.topologicalOrder().get(), ["a", "b"])
        let withCycle = PipelineGraph(names: ["a", "b"], upstream: ["a": ["ghost", "b"], "b": ["a"]])
        XCTAssertEqual(cycle(in: withCycle), ["b", "a", "b"])
    }

    private func cycle(in graph: PipelineGraph) -> [String]? {
        guard case .failure(.cycle(let stages)) = graph.topologicalOrder() else { return nil }
        return stages
    }
}

/// `text` as pipeline file p.toml, validated against the literal test stages.
func validatedPipeline(_ text: String, overrides: [ParamOverride] = []) throws -> ValidatedPipeline {
    let file = try PipelineFile.parse(text, name: "p", path: "p.toml")
    return try PipelineValidator.validate(file, overrides: overrides, describe: TestStages.describe)
}

/// Every problem validating `text` finds, as "file:line: message" ("no error" when valid).
func pipelineIssues(_ text: String) -> [String] {
    do { _ = try validatedPipeline(text); return ["no error"] } catch PipelineError.invalid(let issues) {
        return issues.map(\.description)
    } catch { return ["\(error)"] }
}
