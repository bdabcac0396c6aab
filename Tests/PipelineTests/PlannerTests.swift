import StageKit
import TestSupport
import XCTest
@testable import Pipeline

/// A literal run history: the planner's view of a store.
private struct History: RunHistory {
    var runs: [(pipeline: String, stage: String, run: RecordedRun)] = []

    func succeededRun(signature: String) -> RecordedRun? {
        runs.last { $0.run.signature == signature }?.run
    }
    func lastSucceededRun(pipeline: String, stage: String) -> RecordedRun? {
        runs.last { $0.pipeline == pipeline && $0.stage == stage }?.run
    }

    /// Records every stage of `plans` as succeeded, with outputs named after the signature.
    mutating func record(_ pipeline: ValidatedPipeline, _ plans: [StagePlan]) {
        var outputs: [String: [String: String]] = [:]
        for plan in plans where plan.action != .notRequested {
            let stage = pipeline.stage(plan.stage)!
            var inputs: [String: String] = [:]
            for (name, ref) in stage.inputs { inputs[name] = outputs[ref.stage]![ref.output]! }
            let signature = StageSignature(executable: stage.description.name, version: stage.description.version,
                                           params: stage.params, inputs: inputs).digest
            let produced = plan.outputs ?? Dictionary(uniqueKeysWithValues: stage.description.outputs.map { ($0.name, "out-\($0.name)-\(signature.suffix(8))") })
            outputs[plan.stage] = produced
            if plan.action == .upToDate { continue }
            runs.append((pipeline.name, plan.stage, RecordedRun(id: Int64(runs.count + 1), signature: signature, identity: stage.description.identity,
                                                               params: stage.params, inputs: inputs, outputs: produced)))
        }
    }
}

final class PlannerTests: XCTestCase {
    let text = """
    [stages.ingest]
    run = "lzn-ingest"
    [stages.train]
    run = "lzn-train"
    inputs = { dataset = "ingest.dataset" }
    params = { mode = "generation" }
    [stages.gen]
    run = "lzn-generate"
    inputs = { checkpoint = "train.checkpoint" }
    [stages.other]
    run = "lzn-train"
    inputs = { dataset = "ingest.dataset" }
    params = { mode = "contrastive" }
    """

    func pipeline(_ sets: [String] = [], describe: @escaping (String) -> StageDescription? = TestStages.describe) throws -> ValidatedPipeline {
        try PipelineValidator.validate(try PipelineFile.parse(text, name: "p", path: "p.toml"),
                                       overrides: try sets.map(ParamOverride.parse), describe: describe)
    }

    func summary(_ plans: [StagePlan]) -> [String] {
        plans.map { plan in
            let action: String
            switch plan.action {
            case .run: action = "run"
            case .reuse(let id): action = "reuse #\(id)"
            case .upToDate: action = "up to date"
            case .notRequested: action = "not requested"
            }
            return "\(plan.stage): \(action)" + (plan.reasons.isEmpty ? "" : " (" + plan.reasons.map(\.description).joined(separator: "; ") + ")")
        }
    }

    func testFirstRunRunsEverythingThenNothing() throws {
        var history = History()
        let p = try pipeline()
        let first = try Planner(pipeline: p, history: history).plan()
        XCTAssertEqual(summary(first), [
            "ingest: run (never ran in this pipeline)",
            "train: run (upstream ingest will run; never ran in this pipeline)",
            "gen: run (upstream train will run; never ran in this pipeline)",
            "other: run (upstream ingest will run; never ran in this pipeline)",
        ])
        XCTAssertNotNil(first[0].signature)
        XCTAssertNil(first[1].signature)
        history.record(p, first)
        XCTAssertEqual(summary(try Planner(pipeline: p, history: history).plan()),
                       ["ingest: up to date", "train: up to date", "gen: up to date", "other: up to date"])
    }

    func testParamChangeRerunsStageAndDescendantsAndChangingBackReuses() throws {
        var history = History()
        history.record(try pipeline(), try Planner(pipeline: try pipeline(), history: history).plan())
        let changed = try pipeline(["train.lr=0.01"])
        let plans = try Planner(pipeline: changed, history: history).plan()
        XCTAssertEqual(summary(plans), [
            "ingest: up to date",
            "train: run (param lr changed 0.001 → 0.01)",
            "gen: run (upstream train will run)",
            "other: up to date",
        ])
        history.record(changed, plans)
        let back = try Planner(pipeline: try pipeline(), history: history).plan()
        XCTAssertEqual(summary(back), [
            "ingest: up to date",
            "train: reuse #2 (param lr changed 0.01 → 0.001)",
            "gen: reuse #3 (input checkpoint changed)",
            "other: up to date",
        ])
    }

    func testForceUntilAndExecutableChange() throws {
        var history = History()
        history.record(try pipeline(), try Planner(pipeline: try pipeline(), history: history).plan())
        XCTAssertEqual(summary(try Planner(pipeline: try pipeline(), history: history, forced: ["train"]).plan()), [
            "ingest: up to date", "train: run (forced)", "gen: run (upstream train will run)", "other: up to date",
        ])
        XCTAssertEqual(summary(try Planner(pipeline: try pipeline(), history: History(), until: "train").plan()), [
            "ingest: run (never ran in this pipeline)", "train: run (upstream ingest will run; never ran in this pipeline)",
            "gen: not requested", "other: not requested",
        ])
        var bumped = TestStages.train
        bumped.version = "4"
        let newCode = try pipeline(describe: { $0 == "lzn-train" ? bumped : TestStages.describe($0) })
        XCTAssertEqual(summary(try Planner(pipeline: newCode, history: history).plan()), [
            "ingest: up to date",
            "train: run (executable changed lzn-train@3 → lzn-train@4)",
            "gen: run (upstream train will run)",
            "other: run (executable changed lzn-train@3 → lzn-train@4)",
        ])
    }

    func testUpstreamReproducingIdenticalOutputsLeavesDownstreamUpToDate() throws {
        var history = History()
        let p = try pipeline()
        history.record(p, try Planner(pipeline: p, history: history).plan())
        let planner = Planner(pipeline: p, history: history, forced: ["train"])
        let previousCheckpoint = history.lastSucceededRun(pipeline: "p", stage: "train")!.outputs["checkpoint"]!
        let gen = try planner.decide(p.stage("gen")!, inputs: ["checkpoint": previousCheckpoint])
        XCTAssertEqual(gen.action, .upToDate)
        let changed = try planner.decide(p.stage("gen")!, inputs: ["checkpoint": "sha256-new"])
        XCTAssertEqual(changed.action, .run)
        XCTAssertEqual(changed.reasons, [.inputChanged(name: "checkpoint")])
    }
}
