import Foundation
import Store
import XCTest

/// `lzn-pipe push` and `pull` between real stores: the pulled run cache makes `run` a no-op,
/// transfers are idempotent, and a transfer killed with SIGKILL leaves a consistent destination
/// that the next transfer completes.
final class SyncPipelineTests: XCTestCase {
    func testPullThenRunIsANoOpWithIdenticalMetricsAndPushingTwiceMovesNothing() throws {
        let mine = try PipelineHarness(), theirs = try PipelineHarness()
        let p = try writeSweep(theirs)
        XCTAssertEqual(try theirs.lznPipe("run", p).exitCode, 0)

        let pulled = try mine.lznPipe("pull", theirs.storePath)
        XCTAssertEqual(pulled.exitCode, 0, pulled.stderr)
        XCTAssertTrue(pulled.stdout.contains("Copied 18 artifact(s)"), "9 outputs and 9 logs: \(pulled.stdout)")
        XCTAssertTrue(pulled.stdout.contains("9 stage run(s) in 1 new pipeline run(s)"), pulled.stdout)
        let run = try mine.lznPipe("run", p)
        XCTAssertEqual(run.exitCode, 0, run.stderr)
        XCTAssertTrue(run.stdout.hasPrefix("Nothing to do: 9 stage(s) of sweep up to date"), run.stdout)
        let compare = ["compare", "sweep", "--format", "csv"]
        XCTAssertEqual(try mine.lznPipe(compare[0], compare[1], compare[2], compare[3]).stdout,
                       try theirs.lznPipe(compare[0], compare[1], compare[2], compare[3]).stdout)
        XCTAssertEqual(try mine.lznPipe("fsck").exitCode, 0)

        let again = try mine.lznPipe("pull", theirs.storePath)
        XCTAssertTrue(again.stdout.hasPrefix("Nothing to pull"), again.stdout)
        let pushBack = try mine.lznPipe("push", theirs.storePath)
        XCTAssertTrue(pushBack.stdout.contains("Nothing to push"), "the runs made by the no-op run are up-to-date records, not new results: \(pushBack.stdout)")
        XCTAssertEqual(try mine.lznPipe("push", mine.storePath).exitCode, 2, "a store cannot push to itself")

        // One pipeline only: a store of another pipeline pulls nothing of sweep.
        let other = try PipelineHarness()
        XCTAssertTrue(try other.lznPipe("pull", theirs.storePath, "--pipeline", "elsewhere").stdout.hasPrefix("Nothing to pull"))
        XCTAssertTrue(try other.lznPipe("pull", theirs.storePath, "--pipeline", "sweep").stdout.contains("Copied 18 artifact(s)"))
    }

    func testAKilledTransferLeavesAConsistentDestinationAndARerunCompletesIt() throws {
        let source = try PipelineHarness(), destination = try PipelineHarness()
        XCTAssertEqual(try source.lznPipe("run", try writeSweep(source)).exitCode, 0)
        let store = try Store.open(source.storePath, chunkSize: 1024)
        let big = try store.putText(String((0..<300_000).map { Character(UnicodeScalar(UInt8(32 + ($0 * 7919) % 95))) }), name: "big")
        store.close()

        let began = Date()
        let started = try source.start(["push", destination.storePath], environment: ["LZN_SYNC_THROTTLE_MS": "10"])
        var copied: Int64 = 0
        while Date().timeIntervalSince(began) < 60 {
            if FileManager.default.fileExists(atPath: destination.storePath),
               let n = try? ReadOnlyQuery.run("SELECT count(*) FROM chunks", storePath: destination.storePath).rows.first?.first,
               case .integer(let count) = n, count >= 40 { copied = count; break }
            usleep(20_000)
        }
        kill(started.0.processIdentifier, SIGKILL)
        let killed = source.finish(started)
        XCTAssertEqual(killed.exitCode, SIGKILL)
        XCTAssertGreaterThanOrEqual(copied, 40)
        XCTAssertEqual(try destination.query("SELECT count(*) FROM artifacts WHERE name = 'big'"), [["0"]], "killed before the big artifact was complete")
        XCTAssertEqual(try destination.lznPipe("fsck").exitCode, 0)

        let rerun = try source.lznPipe("push", destination.storePath)
        XCTAssertEqual(rerun.exitCode, 0, rerun.stderr)
        XCTAssertEqual(try destination.lznPipe("fsck").exitCode, 0)
        let everything = "SELECT id FROM artifacts ORDER BY id"
        XCTAssertEqual(try destination.query(everything), try source.query(everything))
        let results = "SELECT stage, signature, params FROM stage_runs WHERE status = 'succeeded' ORDER BY stage, signature"
        XCTAssertEqual(try destination.query(results), try source.query(results))
        let shown = try destination.lznPipe("show", big.id.hex)
        XCTAssertEqual(shown.exitCode, 0, shown.stderr)
        XCTAssertTrue(try source.lznPipe("push", destination.storePath).stdout.hasPrefix("Nothing to push"))
    }
}
