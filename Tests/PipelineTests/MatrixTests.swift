import StageKit
import TestSupport
import XCTest
@testable import Pipeline

/// Matrix stages on literal pipelines: expansion, names, downstream members, member selectors,
/// `--set` and `--until`/`--force` on members, and malformed declarations with file:line.
final class MatrixTests: XCTestCase {
    let sweep = """
    [stages.ingest]
    run = "lzn-ingest"

    [stages.train]
    run = "lzn-train"
    inputs = { dataset = "ingest.dataset" }
    params = { mode = "generation" }
    [stages.train.matrix]
    lr = [0.001, 1e-2]
    iterations = [100, 200]

    [stages.gen]
    run = "lzn-generate"
    inputs = { checkpoint = "train.checkpoint", reference = "ingest.dataset" }
    """

    func validate(_ text: String, _ sets: [String] = []) throws -> ValidatedPipeline {
        try validatedPipeline(text, overrides: try sets.map(ParamOverride.parse))
    }

    func issues(_ text: String) -> [String] { pipelineIssues(text) }

    func testMatrixExpandsIntoNamedMembersAndDownstreamStagesFollow() throws {
        let p = try validate(sweep)
        XCTAssertEqual(p.stages.map(\.name), [
            "ingest",
            "train@lr=0.001,iterations=100", "train@lr=0.001,iterations=200",
            "train@lr=0.01,iterations=100", "train@lr=0.01,iterations=200",
            "gen@lr=0.001,iterations=100", "gen@lr=0.001,iterations=200",
            "gen@lr=0.01,iterations=100", "gen@lr=0.01,iterations=200",
        ])
        let member = p.stage("train@lr=0.01,iterations=200")!
        XCTAssertEqual(member.params["lr"], .float(0.01))
        XCTAssertEqual(member.params["iterations"], .int(200))
        XCTAssertEqual(member.params["mode"], .string("generation"))
        XCTAssertEqual(member.member?.base, "train")
        XCTAssertEqual(member.member?.label, "lr=0.01,iterations=200")
        let gen = p.stage("gen@lr=0.01,iterations=200")!
        XCTAssertEqual(gen.inputs["checkpoint"], OutputRef(stage: "train@lr=0.01,iterations=200", output: "checkpoint"))
        XCTAssertEqual(gen.inputs["reference"], OutputRef(stage: "ingest", output: "dataset"))
        XCTAssertEqual(gen.member?.base, "gen")
        XCTAssertEqual(gen.params, ["count": .int(16)], "a downstream member keeps its own parameters")
        XCTAssertEqual(p.graph.ancestors(of: "gen@lr=0.001,iterations=100"), ["train@lr=0.001,iterations=100", "ingest"])
        // Matrix order: the first axis outermost, values as listed.
        XCTAssertEqual(p.stages.filter { $0.member?.base == "train" }.map(\.name), [
            "train@lr=0.001,iterations=100", "train@lr=0.001,iterations=200",
            "train@lr=0.01,iterations=100", "train@lr=0.01,iterations=200"])
    }

    func testAPipelineWithoutMatrixIsUnchanged() throws {
        let text = """
        [stages.ingest]
        run = "lzn-ingest"
        [stages.train]
        run = "lzn-train"
        inputs = { dataset = "ingest.dataset" }
        params = { mode = "generation" }
        """
        let file = try PipelineFile.parse(text, name: "p", path: "p.toml")
        var issues: [PipelineIssue] = []
        let expanded = MatrixExpansion.expand(file.stages, &issues)
        XCTAssertEqual(expanded.map(\.name), ["ingest", "train"])
        XCTAssertTrue(issues.isEmpty)
        XCTAssertFalse(try validate(text).hasMatrix)
        XCTAssertNil(try validate(text).stage("train")!.member)
    }

    func testAnInputCanTakeOneMemberOrASlice() throws {
        let one = try validate(sweep.replacingOccurrences(of: #"checkpoint = "train.checkpoint""#,
                                                          with: #"checkpoint = "train@lr=1e-3,iterations=200.checkpoint""#))
        XCTAssertNotNil(one.stage("gen"), "a stage that takes one member does not expand")
        XCTAssertEqual(one.stage("gen")!.inputs["checkpoint"]!.stage, "train@lr=0.001,iterations=200")
        XCTAssertNil(one.stage("gen")!.member?.label.nilIfEmptyString)

        let slice = try validate(sweep.replacingOccurrences(of: #"checkpoint = "train.checkpoint""#,
                                                            with: #"checkpoint = "train@lr=0.01.checkpoint""#))
        XCTAssertEqual(slice.stages.filter { $0.member?.base == "gen" }.map(\.name),
                       ["gen@iterations=100", "gen@iterations=200"], "the pinned lr is left out of the names")
        XCTAssertEqual(slice.stage("gen@iterations=100")!.inputs["checkpoint"]!.stage, "train@lr=0.01,iterations=100")
    }

    func testTwoInputsFromOneMatrixTakeTheSameMemberAndTwoMatricesCombine() throws {
        let text = """
        [stages.ingest]
        run = "lzn-ingest"
        [stages.ingest.matrix]
        size = [10, 20]
        [stages.train]
        run = "lzn-train"
        inputs = { dataset = "ingest.dataset" }
        params = { mode = "generation" }
        [stages.train.matrix]
        lr = [0.1, 0.2]
        [stages.gen]
        run = "lzn-generate"
        inputs = { checkpoint = "train.checkpoint", reference = "ingest.dataset" }
        """
        let p = try validate(text)
        XCTAssertEqual(p.stages.filter { $0.member?.base == "train" }.map(\.name),
                       ["train@size=10,lr=0.1", "train@size=10,lr=0.2", "train@size=20,lr=0.1", "train@size=20,lr=0.2"])
        let gens = p.stages.filter { $0.member?.base == "gen" }
        XCTAssertEqual(gens.count, 4, "gen reads train (size × lr) and ingest (size): the sizes must agree")
        let gen = p.stage("gen@size=20,lr=0.1")!
        XCTAssertEqual(gen.inputs["reference"]!.stage, "ingest@size=20")
        XCTAssertEqual(gen.inputs["checkpoint"]!.stage, "train@size=20,lr=0.1")
    }

    func testVariantsAddMembersThatNeedNotFormACartesianProduct() throws {
        let text = """
        [stages.ingest]
        run = "lzn-ingest"
        [stages.ingest.matrix]
        variants = [{ size = 10 }, { format = "idx" }]
        [stages.train]
        run = "lzn-train"
        inputs = { dataset = "ingest.dataset" }
        params = { mode = "generation", lr = 0.01 }
        [stages.train.matrix]
        variants = [{ lr = 0.01 }, { lr = 0.1, ema = false }, { mode = "contrastive" }]
        iterations = [100, 200]
        [stages.gen]
        run = "lzn-generate"
        inputs = { checkpoint = "train.checkpoint", reference = "ingest.dataset" }
        """
        let p = try validate(text)
        XCTAssertEqual(p.stages.filter { $0.member?.base == "ingest" }.map(\.name), ["ingest@size=10", "ingest@format=idx"])
        let trains = p.stages.filter { $0.member?.base == "train" }.map(\.name)
        XCTAssertEqual(Array(trains.prefix(6)), [
            "train@size=10,lr=0.01,iterations=100", "train@size=10,lr=0.01,iterations=200",
            "train@size=10,lr=0.1,ema=false,iterations=100", "train@size=10,lr=0.1,ema=false,iterations=200",
            "train@size=10,mode=contrastive,iterations=100", "train@size=10,mode=contrastive,iterations=200"])
        XCTAssertEqual(trains.count, 12)
        let contrastive = p.stage("train@format=idx,mode=contrastive,iterations=200")!
        XCTAssertEqual(contrastive.params["mode"], .string("contrastive"), "a variant overrides the stage's params")
        XCTAssertEqual(contrastive.params["lr"], .float(0.01), "and keeps the ones it does not set")
        XCTAssertEqual(contrastive.params["ema"], .bool(true))
        XCTAssertEqual(p.stage("train@size=10,lr=0.1,ema=false,iterations=100")!.params["ema"], .bool(false))

        // gen reads train and ingest: both descend from ingest's variants, which must agree (they
        // share no parameter, so the variant, not a parameter's value, tells them apart).
        let gens = p.stages.filter { $0.member?.base == "gen" }
        XCTAssertEqual(gens.count, 12)
        let gen = p.stage("gen@format=idx,lr=0.1,ema=false,iterations=200")!
        XCTAssertEqual(gen.inputs["reference"]!.stage, "ingest@format=idx")
        XCTAssertEqual(gen.inputs["checkpoint"]!.stage, "train@format=idx,lr=0.1,ema=false,iterations=200")
        for gen in gens {
            let reference = gen.inputs["reference"]!.stage, checkpoint = gen.inputs["checkpoint"]!.stage
            XCTAssertTrue(checkpoint.hasPrefix("train@" + reference.dropFirst("ingest@".count) + ","), "\(gen.name): \(checkpoint) from \(reference)")
        }

        // Selectors pick the variants that bind what they name (not those that inherit it).
        XCTAssertEqual(p.stageNames(matching: "train@lr=0.01").count, 4)
        XCTAssertEqual(p.stageNames(matching: "train@ema=false,format=idx"),
                       ["train@format=idx,lr=0.1,ema=false,iterations=100", "train@format=idx,lr=0.1,ema=false,iterations=200"])
        let picked = try validate(text.replacingOccurrences(of: #"checkpoint = "train.checkpoint""#, with: #"checkpoint = "train@mode=contrastive.checkpoint""#))
        XCTAssertEqual(picked.stages.filter { $0.member?.base == "gen" }.map(\.name), [
            "gen@size=10,iterations=100", "gen@size=10,iterations=200",
            "gen@format=idx,iterations=100", "gen@format=idx,iterations=200"])
        XCTAssertThrowsError(try validate(text, ["train.lr=0.5"])) {
            XCTAssertEqual("\($0)", "--set train.lr: 'lr' is swept by the matrix of 'train' (p.toml:10); edit the matrix instead")
        }
    }

    func testMalformedVariantsAreReportedWithFileAndLine() {
        // `sweep` with another matrix for train (its line 9 on).
        func train(_ matrix: String) -> [String] {
            issues(sweep.replacingOccurrences(of: "lr = [0.001, 1e-2]\niterations = [100, 200]", with: matrix))
        }
        let cases: [(matrix: String, issue: String)] = [
            ("variants = 3", "p.toml:9: stage 'train': matrix 'variants' must be a list of parameter tables, got a integer"),
            ("variants = []", "p.toml:9: stage 'train': matrix 'variants' has an empty list (give at least one table)"),
            ("variants = [{ lr = 0.1 }, 2]",
             "p.toml:9: stage 'train': matrix 'variants' holds a integer; each variant is a table of parameters, e.g. { warmup = 300 }"),
            ("variants = [{ lr = 0.1 }, {}]",
             "p.toml:9: stage 'train': matrix 'variants' has an empty variant {}; name what it keeps, e.g. { warmup = 100 }"),
            ("variants = [{ lr = 0.1, ema = false }, { ema = false, lr = 1e-1 }]",
             "p.toml:9: stage 'train': matrix 'variants' lists { ema = false, lr = 0.1 } twice"),
            ("variants = [{ lr = 0.1 }, { iterations = 5 }]\niterations = [1, 2]",
             "p.toml:10: stage 'train': parameter 'iterations' is swept both by matrix 'variants' and by matrix 'iterations'"),
            ("lr = [{ x = 1 }]",
             "p.toml:9: stage 'train': matrix parameter 'lr' has an unsupported value (table) (parameter tables go in the matrix's 'variants' list)"),
            ("variants = [{ lr = 0.1 }, { beta = 2 }]",
             "p.toml:9: stage 'train' (lzn-train): unknown parameter 'beta' (declared: mode, lr, iterations, widths, ema)"),
            ("variants = [{ lr = { a = 1 } }]", "p.toml:9: stage 'train': matrix 'variants': parameter 'lr' has an unsupported value (table)"),
        ]
        for c in cases { XCTAssertEqual(train(c.matrix), [c.issue], c.matrix) }
    }

    func testSetOnOneMemberOrAllAndSweptKeysAreRefused() throws {
        let all = try validate(sweep, ["train.ema=false"])
        XCTAssertEqual(all.stages.filter { $0.member?.base == "train" }.map { $0.params["ema"] }, Array(repeating: .bool(false), count: 4))
        let one = try validate(sweep, ["train@lr=0.01,iterations=200.ema=false"])
        XCTAssertEqual(one.stages.filter { $0.member?.base == "train" }.map { $0.params["ema"]! },
                       [.bool(true), .bool(true), .bool(true), .bool(false)])
        let slice = try validate(sweep, ["train@lr=1e-2.ema=false", "gen@iterations=100.count=3"])
        XCTAssertEqual(slice.stages.filter { $0.member?.base == "train" }.map { $0.params["ema"]! },
                       [.bool(true), .bool(true), .bool(false), .bool(false)])
        XCTAssertEqual(slice.stages.filter { $0.member?.base == "gen" }.map { $0.params["count"]! },
                       [.int(3), .int(16), .int(3), .int(16)])
        XCTAssertThrowsError(try validate(sweep, ["train.lr=0.5"])) {
            XCTAssertEqual("\($0)", "--set train.lr: 'lr' is swept by the matrix of 'train' (p.toml:9); edit the matrix instead")
        }
        XCTAssertThrowsError(try validate(sweep, ["train@lr=0.5.ema=false"])) {
            XCTAssertTrue("\($0)".hasPrefix("--set train@lr=0.5.ema: no stage 'train@lr=0.5' in p.toml"), "\($0)")
        }
        XCTAssertEqual(try ParamOverride.parse("train@lr=0.001,iterations=200.ema=a.b=c"),
                       ParamOverride(stage: "train@lr=0.001,iterations=200", key: "ema", text: "a.b=c"))
    }

    func testUntilAndForceTakeAMatrixStageOrAMember() throws {
        let p = try validate(sweep)
        XCTAssertEqual(p.stageNames(matching: "train").count, 4)
        XCTAssertEqual(p.stageNames(matching: "gen@iterations=200"), ["gen@lr=0.001,iterations=200", "gen@lr=0.01,iterations=200"])
        XCTAssertEqual(p.stageNames(matching: "train@lr=0.001,iterations=100"), ["train@lr=0.001,iterations=100"])
        XCTAssertEqual(p.stageNames(matching: "ingest"), ["ingest"])
        XCTAssertEqual(p.stageNames(matching: "nope"), [])
        let planner = Planner(pipeline: p, history: EmptyHistory(), until: "train@lr=0.01")
        XCTAssertEqual(planner.requested, ["ingest", "train@lr=0.01,iterations=100", "train@lr=0.01,iterations=200"])
        let options = RunOptions(forced: ["gen"])
        XCTAssertNoThrow(try options.check(against: p))
        XCTAssertEqual(options.forcedStages(in: p).count, 4)
        XCTAssertThrowsError(try RunOptions(until: "train@lr=7").check(against: p))
    }

    func testAddingAValueLeavesTheOtherMembersUpToDate() throws {
        struct Recorded: RunHistory {
            var runs: [String: RecordedRun] = [:]
            func succeededRun(signature: String) -> RecordedRun? { runs.values.first { $0.signature == signature } }
            func lastSucceededRun(pipeline: String, stage: String) -> RecordedRun? { runs[stage] }
        }
        let before = try validate(sweep)
        var history = Recorded()
        var outputs: [String: [String: String]] = [:]
        for stage in before.stages {
            let inputs = stage.inputs.mapValues { outputs[$0.stage]![$0.output]! }
            let signature = StageSignature(stage.description, params: stage.params, inputs: inputs).digest
            let produced = Dictionary(uniqueKeysWithValues: stage.description.outputs.map { ($0.name, "\($0.name)-\(signature.prefix(8))") })
            outputs[stage.name] = produced
            history.runs[stage.name] = RecordedRun(id: Int64(history.runs.count + 1), signature: signature, identity: stage.description.identity,
                                                   params: stage.params, inputs: inputs, outputs: produced)
        }
        let after = try validate(sweep.replacingOccurrences(of: "lr = [0.001, 1e-2]", with: "lr = [0.001, 1e-2, 0.1]"))
        let plans = try Planner(pipeline: after, history: history).plan()
        XCTAssertEqual(plans.filter(\.willExecute).map(\.stage), [
            "train@lr=0.1,iterations=100", "train@lr=0.1,iterations=200",
            "gen@lr=0.1,iterations=100", "gen@lr=0.1,iterations=200"])
        XCTAssertEqual(plans.first { $0.stage == "train@lr=0.1,iterations=100" }!.reasons, [.neverRun])
        XCTAssertEqual(plans.filter { $0.action == .upToDate }.count, 9)
    }

    func testMalformedMatricesAreReportedWithFileAndLine() {
        XCTAssertEqual(issues("""
        [stages.ingest]
        run = "lzn-ingest"
        [stages.train]
        run = "lzn-train"
        inputs = { dataset = "ingest.dataset" }
        params = { mode = "generation", lr = 0.5 }
        [stages.train.matrix]
        lr = [0.1]
        iterations = []
        widths = 3
        ema = [true, false, true]
        [stages.gen]
        run = "lzn-generate"
        inputs = { checkpoint = "train.checkpoint" }
        matrix = 4
        [stages.other]
        run = "lzn-generate"
        inputs = { checkpoint = "train.checkpoint" }
        matrix = {}
        ["stages"."x@y"]
        run = "lzn-ingest"
        """), [
            "p.toml:8: stage 'train': parameter 'lr' is set both in params (line 6) and in the matrix",
            "p.toml:9: stage 'train': matrix parameter 'iterations' has an empty list (give at least one value)",
            "p.toml:10: stage 'train': matrix parameter 'widths' must be a list of values, got a integer",
            "p.toml:11: stage 'train': matrix parameter 'ema' lists true twice (two members would be named train@ema=true)",
            "p.toml:15: stage 'gen': 'matrix' must be a table of parameter = [values]",
            "p.toml:19: stage 'other': 'matrix' lists no parameters",
            "p.toml:20: bad stage name 'x@y' ('@' is reserved for the members of a matrix stage)",
        ])
        XCTAssertEqual(issues("""
        [stages.ingest]
        run = "lzn-ingest"
        [stages.train]
        run = "lzn-train"
        inputs = { dataset = "ingest.dataset" }
        [stages.train.matrix]
        mode = ["generation", "contrastive", "painting"]
        beta = [1, 2]
        """), [
            "p.toml:7: stage 'train' (lzn-train): parameter 'mode' is \"painting\", expected one of: generation, contrastive",
            "p.toml:8: stage 'train' (lzn-train): unknown parameter 'beta' (declared: mode, lr, iterations, widths, ema)",
        ])
        XCTAssertEqual(issues(sweep.replacingOccurrences(of: "lr = [0.001, 1e-2]", with: "lr = [0.001, 1e-3]")), [
            "p.toml:9: stage 'train': matrix parameter 'lr' lists 0.001 twice (two members would be named train@lr=0.001)",
        ])
    }

    func testBadMemberSelectorsAreReportedAtTheInput() {
        func selecting(_ ref: String) -> [String] {
            issues(sweep.replacingOccurrences(of: #"checkpoint = "train.checkpoint""#, with: "checkpoint = \"\(ref)\""))
        }
        XCTAssertEqual(selecting("train@lr=0.5.checkpoint"), [
            "p.toml:14: stage 'gen': input 'checkpoint': no member of 'train' has lr=0.5 (members: train@lr=0.001,iterations=100, train@lr=0.001,iterations=200, train@lr=0.01,iterations=100, train@lr=0.01,iterations=200)",
        ])
        XCTAssertEqual(selecting("train@beta=1.checkpoint"), [
            "p.toml:14: stage 'gen': input 'checkpoint': 'train' has no matrix parameter 'beta' (matrix: lr, iterations)",
        ])
        XCTAssertEqual(selecting("ingest@size=1.dataset"), [
            "p.toml:14: stage 'gen': input 'checkpoint' selects a member of 'ingest', which has no matrix",
        ])
    }
}

private extension String {
    var nilIfEmptyString: String? { isEmpty ? nil : self }
}
