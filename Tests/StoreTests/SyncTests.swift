import ArrayFormats
import Foundation
@testable import Store
import XCTest

/// `Store.copyMissing` (push/pull) on stores filled through the Store API.
final class SyncTests: StoreTestCase {
    var sourcePath: String { path("source/store.sqlite") }
    /// 400 bytes whose 64-byte chunks all differ.
    let alphabet = String((0..<400).map { Character(UnicodeScalar(UInt8(97 + $0 % 26))) })

    /// Pipeline `a`: a dataset-like bundle, a text output with metrics and a log; pipeline `b`: one text.
    @discardableResult
    func fillSource() throws -> (bundle: Artifact, text: Artifact, other: Artifact) {
        let source = try Store.open(sourcePath, chunkSize: 64)
        defer { source.close() }
        let bundle = try source.putBundle(["w": NDArray(float32: (0..<40).map(Float.init), shape: [40])], name: "ckpt")
        let text = try source.putText(alphabet, name: "out")
        let log = try source.putText("log of train", name: "log/a/train/2")
        let run = try source.beginPipelineRun(pipeline: "a", metadata: ["identities": ["train": "lzn-train@3"]])
        let train = try source.beginStageRun(stage: "train", signature: "s1", params: ["lr": 0.5], pipelineRun: run)
        try source.recordMetrics(stageRun: train, [Metric("loss", 1, step: 1, split: "train"), Metric("loss", 0.5, step: 2, split: "train")])
        try source.commitStageOutputs(stageRun: train, outputs: ["checkpoint": bundle.id], metrics: [Metric("fid", 3.25, tag: "lzn")])
        _ = try source.finishStageRun(train, status: .succeeded, exitCode: 0, log: log.id)
        let eval = try source.beginStageRun(stage: "eval", signature: "s2", inputs: ["checkpoint": bundle.id], pipelineRun: run)
        try source.commitStageOutputs(stageRun: eval, outputs: ["out": text.id], metrics: [Metric("acc", 0.75, split: "test")])
        let failed = try source.beginStageRun(stage: "broken", signature: "s3", pipelineRun: run)
        _ = try source.finishStageRun(failed, status: .failed, exitCode: 1)
        try source.finishPipelineRun(run, status: .failed)
        let other = try source.putText("only in b", name: "b-out")
        let runB = try source.beginPipelineRun(pipeline: "b")
        let stageB = try source.beginStageRun(stage: "x", signature: "s4", pipelineRun: runB)
        try source.commitStageOutputs(stageRun: stageB, outputs: ["out": other.id])
        try source.finishPipelineRun(runB, status: .succeeded)
        return (bundle, text, other)
    }

    func testCopiesArtifactsRunsAndMetricsOnceAndTheRunCacheSeesThem() throws {
        let made = try fillSource()
        let source = try Store.openForReading(sourcePath)
        defer { source.close() }
        let destination = try Store.open(storePath)
        defer { destination.close() }
        let first = try destination.copyMissing(from: source)
        XCTAssertEqual(first.artifacts, 4)
        XCTAssertEqual(first.stageRuns, 3, "succeeded runs only")
        XCTAssertEqual(first.pipelineRuns, 2)
        XCTAssertEqual(first.metrics, 4)
        XCTAssertEqual(try destination.text(of: made.text.id), alphabet)
        XCTAssertEqual(try destination.content(of: made.bundle.id), try source.content(of: made.bundle.id))
        let train = try XCTUnwrap(try destination.newestSucceededStageRun(pipeline: "a", stage: "train"))
        XCTAssertEqual(train.signature, "s1")
        XCTAssertEqual(train.params, ["lr": 0.5])
        XCTAssertEqual(try destination.stageOutputs(train.id), ["checkpoint": made.bundle.id])
        XCTAssertEqual(try destination.metrics(stageRun: train.id).map(\.metric.value), [1, 0.5, 3.25])
        XCTAssertNotNil(train.log)
        XCTAssertEqual(try destination.findSucceededStageRun(signature: "s2")?.stage, "eval")
        XCTAssertEqual(try destination.pipelineRun(train.pipelineRun!)?.metadata["identities"]?["train"], "lzn-train@3")
        XCTAssertTrue(try destination.fsck().isClean)

        let again = try destination.copyMissing(from: source)
        XCTAssertTrue(again.movedNothing, "\(again)")
        XCTAssertEqual(try count("stage_runs"), 3)
    }

    func testOnlyMissingChunksMoveAndAPipelineCanBeChosen() throws {
        let made = try fillSource()
        let source = try Store.openForReading(sourcePath)
        defer { source.close() }
        let destination = try Store.open(storePath, chunkSize: 64)
        defer { destination.close() }
        // The destination already holds the text's first three chunks (the same content).
        _ = try destination.putText(String(alphabet.prefix(192)), name: "start")
        let chunksBefore = try count("chunks")
        let onlyA = try destination.copyMissing(from: source, pipeline: "a")
        XCTAssertEqual(onlyA.artifacts, 3)
        XCTAssertEqual(onlyA.stageRuns, 2)
        XCTAssertEqual(try count("chunks") - chunksBefore, Int64(onlyA.chunks))
        let textChunks = try XCTUnwrap(try source.db.queryOne("SELECT chunk_count FROM blobs WHERE address = ?", [.text(made.text.blob.description)]) { $0.int(0) })
        XCTAssertEqual(textChunks, 7)
        XCTAssertEqual(try destination.text(of: made.text.id), alphabet)
        let bytesOfA = try source.db.queryOne("""
            SELECT sum(size) FROM chunks WHERE hash IN (SELECT chunk FROM blob_chunks WHERE blob IN (
              SELECT blob FROM artifacts WHERE name <> 'b-out'
              UNION SELECT blob FROM bundle_members))
            """) { $0.int(0) }
        XCTAssertEqual(Int64(onlyA.bytes), try XCTUnwrap(bytesOfA) - 192, "the three chunks the destination had are not copied")
        XCTAssertThrowsError(try destination.artifact(made.other.id))
        XCTAssertNil(try destination.findSucceededStageRun(signature: "s4"))
        let rest = try destination.copyMissing(from: source)
        XCTAssertEqual(rest.artifacts, 1)
        XCTAssertEqual(rest.stageRuns, 1)
        XCTAssertNotNil(try destination.findSucceededStageRun(signature: "s4"))
    }

    func testACorruptSourceIsRefusedNamingTheArtifactAndTheDestinationStaysConsistent() throws {
        let made = try fillSource()
        let sourceDB = try Database(path: sourcePath, mode: .readWrite)
        try sourceDB.execute("""
            UPDATE chunks SET data = CAST(x'00' || substr(data, 2) AS BLOB)
            WHERE hash = (SELECT chunk FROM blob_chunks WHERE blob = '\(made.text.blob)' AND seq = 2)
            """)
        sourceDB.close()
        let source = try Store.openForReading(sourcePath)
        defer { source.close() }
        let destination = try Store.open(storePath)
        XCTAssertThrowsError(try destination.copyMissing(from: source)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("corrupt blob") && text.contains("of artifact out (\(made.text.id.short))") && text.contains("chunk 2 does not match"), text)
        }
        XCTAssertThrowsError(try destination.artifact(made.text.id))
        XCTAssertNoThrow(try destination.artifact(made.bundle.id), "artifacts before the corrupt one are complete")
        XCTAssertEqual(try count("stage_runs"), 0, "runs come after every artifact")
        destination.close()
        let reopened = try Store.open(storePath)
        defer { reopened.close() }
        XCTAssertTrue(try reopened.fsck().isClean)
    }
}
