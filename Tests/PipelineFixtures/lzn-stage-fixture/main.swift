// A small, controllable stage for the scheduler's end-to-end tests: a real StageKit stage that
// reads an optional text input, appends its `text` parameter, registers the result as a text
// artifact with two metrics, and can be told to fail, to take its time (with progress lines) or to
// wait for a file the test creates.
// LZN_FIXTURE_VERSION overrides its implementation version, to test executable identity.
import Foundation
import StageKit
import Store

let description = StageDescription(
    name: "lzn-stage-fixture",
    version: ProcessInfo.processInfo.environment["LZN_FIXTURE_VERSION"] ?? "1",
    summary: "Test stage: output = input + '|' + text.",
    params: [
        .string("text", default: "", doc: "Appended to the input."),
        .bool("fail", default: false, doc: "Fail after doing the work (nothing is registered)."),
        .int("sleep_ms", default: 0, doc: "Time to take, reported as 10 progress steps."),
        .string("touch", default: "", doc: "A file to create when the stage starts (tests watch it)."),
        .string("wait_for", default: "", doc: "A file to wait for (up to 60 s, then fail) before finishing: tests order events with it."),
        .float("weight", default: 1, doc: "Scales the 'score' metric (score = weight × length)."),
    ],
    inputs: [ArtifactSpec("source", kind: "text", optional: true, doc: "Text to extend.")],
    outputs: [ArtifactSpec("out", kind: "text", doc: "The extended text.")])

stageMain(Stage(description) { ctx in
    if !ctx.params.string("touch").isEmpty {
        _ = FileManager.default.createFile(atPath: ctx.params.string("touch"), contents: Data("\(getpid())".utf8))
    }
    let source = try ctx.optionalInput("source").map { try ctx.store.text(of: $0.id) } ?? ""
    let steps = 10
    for step in 1...steps {
        usleep(useconds_t(ctx.params.int("sleep_ms") * 1000 / steps))
        ctx.progress.report(done: step, total: steps, rate: 1, unit: "steps/s", values: ["loss": 1 / Double(step)])
    }
    let awaited = ctx.params.string("wait_for")
    if !awaited.isEmpty {
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: awaited) {
            guard Date() < deadline else { throw ctx.fail("\(awaited) did not appear within 60 s") }
            usleep(20_000)
        }
    }
    print("fixture: extending \(source.count) characters")
    if ctx.params.bool("fail") { throw ctx.fail("failing as asked (fail = true)") }
    let text = source + "|" + ctx.params.string("text")
    try ctx.setOutput("out", try ctx.store.putText(text, name: "fixture-\(ctx.stageName)"))
    ctx.metric("length", Double(text.count))
    ctx.metric("score", ctx.params.float("weight") * Double(text.count))
})
