import XCTest
import Store
@testable import StageKit

/// StageRunner in-process against a real store: standalone runs record a stage run of their
/// own and share the pipeline-mode code path; failures leave nothing marked succeeded.
final class StageTests: XCTestCase {
    var directory: URL!
    var store: Store!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-stagekit-\(UUID().uuidString)")
        store = try Store.open(directory.appendingPathComponent("store.sqlite").path)
    }

    override func tearDownWithError() throws {
        store.close()
        try? FileManager.default.removeItem(at: directory)
    }

    let upper = Stage(StageDescription(
        name: "upper", version: "1", summary: "upper-cases text",
        params: [.int("repeat", default: 1, doc: "copies"), .bool("fail", default: false, doc: "fail"),
                 .bool("forget", default: false, doc: "do not register the output")],
        inputs: [ArtifactSpec("text", kind: "text", doc: "input")],
        outputs: [ArtifactSpec("text", kind: "text", doc: "output")])) { ctx in
        let input = try ctx.store.text(of: ctx.input("text").id)
        ctx.metric("chars", Double(input.count))
        if ctx.params.bool("fail") { throw ctx.fail("asked to fail") }
        let out = try ctx.store.putText(String(repeating: input.uppercased(), count: ctx.params.int("repeat")), name: "upper")
        if !ctx.params.bool("forget") { try ctx.setOutput("text", out) }
    }

    func testStandaloneRunRecordsAStageRunWithOutputsAndMetricsAndIsReused() throws {
        let input = try store.putText("abc", name: "in")
        let outputs = try StageRunner.runStandalone(upper, store: store, params: ["repeat": .int(2)], inputs: ["text": input.id])
        XCTAssertEqual(try store.text(of: outputs["text"]!.id), "ABCABC")
        let run = try XCTUnwrap(try store.stageRun(1))
        XCTAssertEqual(run.status, .succeeded)
        XCTAssertEqual(run.exitCode, 0)
        XCTAssertNil(run.pipelineRun)
        XCTAssertEqual(run.signature, StageSignature(executable: "upper", version: "1",
                                                     params: ["repeat": .int(2), "fail": .bool(false), "forget": .bool(false)],
                                                     inputs: ["text": input.id.hex]).digest)
        XCTAssertEqual(try store.metrics(stageRun: 1).map(\.metric), [Metric("chars", 3)])
        XCTAssertEqual(try store.stageInputs(1), ["text": input.id])

        let again = try StageRunner.runStandalone(upper, store: store, params: ["repeat": .int(2)], inputs: ["text": input.id])
        XCTAssertEqual(again["text"]?.id, outputs["text"]?.id)
        XCTAssertNil(try store.stageRun(2), "same signature: reused, not rerun")
    }

    func testFailuresNameTheStageAndLeaveNothingSucceeded() throws {
        let input = try store.putText("abc", name: "in")
        let number = try store.putJSON(.number(1), name: "number")
        let cases: [([String: ParamValue], [String: ArtifactID], String)] = [
            (["fail": .bool(true)], ["text": input.id], "upper: asked to fail"),
            (["forget": .bool(true)], ["text": input.id], "upper: finished without registering output(s) text"),
            ([:], [:], "upper: required input 'text' was not given"),
            ([:], ["text": number.id], "upper: input 'text' must be a text, but number (\(number.id.short)) is a json"),
            ([:], ["text": input.id, "other": input.id], "upper: got input 'other', which it does not declare"),
            (["repeat": .string("x")], ["text": input.id], "bad parameters: upper: parameter 'repeat' must be int, got \"x\""),
        ]
        for (params, inputs, message) in cases {
            XCTAssertThrowsError(try StageRunner.runStandalone(upper, store: store, params: params, inputs: inputs)) {
                XCTAssertEqual("\($0)", message)
            }
        }
        let result = try ReadOnlyQuery.run("SELECT count(*) FROM stage_runs WHERE status = 'succeeded'", storePath: store.path)
        XCTAssertEqual(result.rows, [[.integer(0)]])
        XCTAssertEqual(try ReadOnlyQuery.run("SELECT count(*) FROM stage_outputs", storePath: store.path).rows, [[.integer(0)]])
    }

    func testPipelineModeRefusesARunThatIsNotRunning() throws {
        let input = try store.putText("abc", name: "in")
        try StageRunner.runStandalone(upper, store: store, params: [:], inputs: ["text": input.id])
        XCTAssertThrowsError(try StageRunner.runRecorded(upper, store: store, stageRun: 1)) {
            XCTAssertEqual("\($0)", "upper: stage run 1 is succeeded, not running")
        }
        XCTAssertThrowsError(try StageRunner.runRecorded(upper, store: store, stageRun: 99))
    }

    func testAnInterruptedRunLeavesStateTheSameSignatureResumesFrom() throws {
        let counter = Stage(StageDescription(
            name: "counter", version: "1", summary: "counts to 4, one step per attempt when told to stop",
            params: [.bool("stop_early", default: false, doc: "fail after one step"), .int("target", default: 4, doc: "goal")],
            inputs: [], outputs: [ArtifactSpec("count", kind: "text", doc: "final count")])) { ctx in
            var count = try ctx.latestResumeArtifact().map { Int(try ctx.store.text(of: $0.id))! } ?? 0
            while count < ctx.params.int("target") {
                count += 1
                try ctx.saveResumeState { try ctx.store.putText(String(count), name: $0) }
                if ctx.params.bool("stop_early") { throw ctx.fail("stopped at \(count)") }
            }
            try ctx.setOutput("count", try ctx.store.putText("done at \(count)", name: "count"))
        }
        for _ in 0..<2 { XCTAssertThrowsError(try StageRunner.runStandalone(counter, store: store, params: ["stop_early": .bool(true)])) }
        // A different signature does not see the other computation's state.
        let other = try StageRunner.runStandalone(counter, store: store, params: ["target": .int(3)])
        XCTAssertEqual(try store.text(of: other["count"]!.id), "done at 3")
        XCTAssertThrowsError(try StageRunner.runStandalone(counter, store: store, params: ["stop_early": .bool(true)])) {
            XCTAssertEqual("\($0)", "counter: stopped at 3", "the third attempt resumed from the second's state")
        }
        let resumeStates = "SELECT group_concat(a.name || '=' || CAST(c.data AS TEXT)) FROM artifacts AS a "
            + "JOIN blob_chunks AS bc ON bc.blob = a.blob JOIN chunks AS c ON c.hash = bc.chunk WHERE a.name LIKE 'resume/%'"
        let signature = StageSignature(executable: "counter", version: "1", params: ["stop_early": .bool(true), "target": .int(4)],
                                       inputs: [:]).digest
        XCTAssertEqual(try ReadOnlyQuery.run(resumeStates, storePath: store.path).rows, [[.text("resume/counter/\(signature)=3")]],
                       "only the newest state is kept; the succeeded run's states are gone")

        XCTAssertThrowsError(try StageRunner.runStandalone(counter, store: store, params: ["stop_early": .bool(true)]))
        let done = try StageRunner.runStandalone(counter, store: store, params: ["stop_early": .bool(true)])
        XCTAssertEqual(try store.text(of: done["count"]!.id), "done at 4")
        XCTAssertEqual(try ReadOnlyQuery.run(resumeStates, storePath: store.path).rows, [[.null]], "success drops the last state")
        // Their content is garbage once no live writer pins it: the states 1, 2, 3 and 4 (3 was saved by both signatures).
        store.close()
        store = try Store.open(directory.appendingPathComponent("store.sqlite").path)
        XCTAssertEqual(try store.gc().blobs, 4)
        XCTAssertTrue(try store.fsck().isClean)
    }

    func testDiscardingScratchKeepsWhatLineageReferences() throws {
        let consumed = try store.putText("consumed", name: "scratch")
        let produced = try store.putText("produced", name: "scratch")
        let logged = try store.putText("logged", name: "scratch")
        let newest = try store.putText("newest", name: "scratch")
        _ = try store.putText("loose", name: "scratch")
        _ = try store.putText("other name", name: "kept")
        let run = try store.beginStageRun(stage: "s", signature: "x", params: [:], inputs: ["in": consumed.id])
        try store.commitStageOutputs(stageRun: run, outputs: ["out": produced.id])
        _ = try store.finishStageRun(run, status: .succeeded, exitCode: 0, log: logged.id)
        XCTAssertEqual(try store.discardArtifacts(named: "scratch", keeping: newest.id), 1)
        XCTAssertEqual(Set(try store.artifacts().map(\.name)), ["scratch", "kept"])
        XCTAssertEqual(Set(try store.artifacts().filter { $0.name == "scratch" }.map(\.id)), [consumed.id, produced.id, logged.id, newest.id])
        XCTAssertEqual(try store.discardArtifacts(named: "scratch"), 1)
        XCTAssertEqual(try store.resolve("scratch").id, logged.id, "the newest left")
    }
}
