import Foundation
import XCTest

/// End-to-end: the real lzn-pipe binary runs real stage executables (the fixture stage, a
/// StageKit stage built next to it) against a real SQLite store.
final class SchedulerTests: XCTestCase {
    func testFirstRunRunsAllAndSecondRunsNoneAndSaysSo() throws {
        let h = try PipelineHarness()
        let p = try h.writeChain()
        let first = try h.lznPipe("run", p)
        XCTAssertEqual(first.exitCode, 0, first.stderr)
        XCTAssertEqual(startedStages(first), ["a", "b", "c", "d"])
        XCTAssertEqual(try h.outputText("c"), "|a|b|c")
        XCTAssertEqual(try h.outputText("d"), "|a|d")

        let second = try h.lznPipe("run", p)
        XCTAssertEqual(second.exitCode, 0, second.stderr)
        XCTAssertEqual(startedStages(second), [])
        XCTAssertTrue(second.stdout.hasPrefix("Nothing to do: 4 stage(s) of chain up to date"), second.stdout)
        XCTAssertEqual(try h.stageRuns(), ["a:succeeded", "b:succeeded", "c:succeeded", "d:succeeded"])
        // Generous: the no-op run's speed is measured, not asserted (it took 0.4 s for full); this catches a hang.
        XCTAssertLessThan(second.seconds, 30, "a no-op run must return at once")
        print("no-op run took \(second.seconds) s")

        let logged = try h.lznPipe("log", "b")
        XCTAssertEqual(logged.exitCode, 0)
        XCTAssertTrue(logged.stdout.contains("fixture: extending 2 characters"), logged.stdout)
        XCTAssertTrue(logged.stdout.contains(#"@progress {"done":10"#), logged.stdout)
    }

    func testSetRerunsExactlyTheStageAndItsDescendantsAndChangingBackReuses() throws {
        let h = try PipelineHarness()
        let p = try h.writeChain()
        XCTAssertEqual(try h.lznPipe("run", p).exitCode, 0)

        let dry = try h.lznPipe("run", p, "--set", "b.text=B", "--dry-run")
        XCTAssertEqual(dry.exitCode, 0)
        XCTAssertTrue(dry.stdout.contains("a  up to date"), dry.stdout)
        XCTAssertTrue(dry.stdout.contains(#"b  would run: param text changed "b" → "B""#), dry.stdout)
        XCTAssertTrue(dry.stdout.contains("c  would run: upstream b will run"), dry.stdout)
        XCTAssertTrue(dry.stdout.contains("d  up to date"), dry.stdout)

        let changed = try h.lznPipe("run", p, "--set", "b.text=B")
        XCTAssertEqual(changed.exitCode, 0, changed.stderr)
        XCTAssertEqual(startedStages(changed), ["b", "c"])
        XCTAssertEqual(try h.outputText("c"), "|a|B|c")

        let back = try h.lznPipe("run", p)
        XCTAssertEqual(back.exitCode, 0, back.stderr)
        XCTAssertEqual(startedStages(back), [], "changing back must reuse the cached results")
        XCTAssertTrue(back.stdout.contains("= b: reused results of stage run 2"), back.stdout)
        XCTAssertTrue(back.stdout.contains("= c: reused results of stage run 3"), back.stdout)
        XCTAssertEqual(try h.outputText("c"), "|a|b|c")
        XCTAssertEqual(try h.query("SELECT count(*) FROM stage_runs WHERE exit_code IS NOT NULL")[0][0], "6")
        XCTAssertTrue(try h.lznPipe("run", p).stdout.hasPrefix("Nothing to do"))
    }

    func testFailingStageStopsItsDescendantsAndAFixedRunResumes() throws {
        let h = try PipelineHarness()
        let p = try h.writeChain(b: ", fail = true")
        let failed = try h.lznPipe("run", p)
        XCTAssertEqual(failed.exitCode, 1)
        XCTAssertEqual(startedStages(failed), ["a", "b", "d"])
        XCTAssertTrue(failed.stdout.contains("c  skipped: upstream b failed"), failed.stdout)
        XCTAssertTrue(failed.stdout.contains("failing as asked"), "the failure shows the log tail: \(failed.stdout)")
        XCTAssertEqual(try h.query("SELECT status, exit_code FROM stage_runs WHERE stage = 'b'"), [["failed", "1"]])
        XCTAssertEqual(try h.query("SELECT status FROM pipeline_runs"), [["failed"]])
        let log = try h.lznPipe("log", "b")
        XCTAssertTrue(log.stdout.contains("lzn-stage-fixture: error: b: failing as asked (fail = true)"), log.stdout)
        let status = try h.lznPipe("status", p)
        XCTAssertTrue(status.stdout.contains("[last attempt failed, exit 1, stage run 2]"), status.stdout)

        let fixed = try h.lznPipe("run", p, "--set", "b.fail=false")
        XCTAssertEqual(fixed.exitCode, 0, fixed.stdout)
        XCTAssertEqual(startedStages(fixed), ["b", "c"])
        XCTAssertEqual(try h.outputText("c"), "|a|b|c")
    }

    func testForceUntilAndExecutableIdentity() throws {
        let h = try PipelineHarness()
        let p = try h.writeChain()
        let until = try h.lznPipe("run", p, "--until", "b")
        XCTAssertEqual(startedStages(until), ["a", "b"])
        XCTAssertEqual(startedStages(try h.lznPipe("run", p)), ["c", "d"])

        let forced = try h.lznPipe("run", p, "--force", "b")
        XCTAssertEqual(startedStages(forced), ["b"], "b reproduced identical output, so c stays up to date")
        XCTAssertTrue(forced.stdout.contains("b: running lzn-stage-fixture@1 (forced)"), forced.stdout)

        let bumped = try h.lznPipe("run", p, "--dry-run", environment: ["LZN_FIXTURE_VERSION": "2"])
        XCTAssertTrue(bumped.stdout.contains("a  would run: executable changed lzn-stage-fixture@1 → lzn-stage-fixture@2"), bumped.stdout)
        XCTAssertEqual(startedStages(try h.lznPipe("run", p, "--force-all")), ["a", "b", "c", "d"])

        let unknown = try h.lznPipe("run", p, "--force", "zzz")
        XCTAssertEqual(unknown.exitCode, 2)
        XCTAssertTrue(unknown.stderr.contains("no stage 'zzz'"), unknown.stderr)
    }

    func testInvalidPipelinesExitTwoNamingFileAndLine() throws {
        let h = try PipelineHarness()
        let p = try h.write("bad.toml", """
        [stages.a]
        run = "lzn-stage-fixture"
        params = { text = 3, colour = "red" }
        [stages.b]
        run = "lzn-no-such-stage"
        """)
        let out = try h.lznPipe("run", p)
        XCTAssertEqual(out.exitCode, 2)
        XCTAssertTrue(out.stderr.contains("bad.toml:3: stage 'a' (lzn-stage-fixture): unknown parameter 'colour'"), out.stderr)
        XCTAssertTrue(out.stderr.contains("bad.toml:3: stage 'a' (lzn-stage-fixture): parameter 'text' must be string, got 3"), out.stderr)
        XCTAssertTrue(out.stderr.contains("bad.toml:5: stage 'b': unknown executable 'lzn-no-such-stage'"), out.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: h.storePath), "nothing runs, no store is created")
        XCTAssertEqual(try h.lznPipe("run", "no-such-pipeline").exitCode, 2)
        XCTAssertEqual(try h.lznPipe("run", try h.writeChain(), "--set", "b.sleep_ms=soon").exitCode, 2)
    }

    func testTwoConcurrentRunsDoNotBothExecute() throws {
        let h = try PipelineHarness()
        let touch = h.path("b-started"), release = h.path("release-b")
        // b runs until the test releases it: everything below happens while the first run holds the store.
        let p = try h.writeChain(b: ", touch = \"\(touch)\", wait_for = \"\(release)\"")
        let first = try h.start(["run", p])
        XCTAssertTrue(h.waitFor(touch), "stage b should start")

        let busy = try h.lznPipe("run", p, "--no-wait")
        XCTAssertEqual(busy.exitCode, 3)
        XCTAssertTrue(busy.stderr.contains("is in use by pid \(first.0.processIdentifier)"), busy.stderr)
        XCTAssertTrue(busy.stderr.contains("lzn-pipe run chain"), busy.stderr)

        let waiting = try h.start(["run", p])
        // Its first words (blocking until it says them): it waits for the lock the first run holds.
        let waitingNote = String(decoding: waiting.2.fileHandleForReading.availableData, as: UTF8.self)
        XCTAssertTrue(waitingNote.contains("waiting"), waitingNote)
        let readOnly = try h.lznPipe("status", p)
        XCTAssertEqual(readOnly.exitCode, 0, "read-only commands keep working during a run: \(readOnly.stderr)")
        XCTAssertTrue(readOnly.stdout.contains("[last attempt running, stage run 2]"), readOnly.stdout)
        XCTAssertTrue(FileManager.default.createFile(atPath: release, contents: nil))
        let firstOut = h.finish(first)
        let waitingOut = h.finish(waiting)
        XCTAssertEqual(firstOut.exitCode, 0, firstOut.stderr)
        XCTAssertEqual(waitingOut.exitCode, 0, waitingOut.stderr)
        XCTAssertTrue(waitingOut.stdout.hasPrefix("Nothing to do"), waitingOut.stdout)
        XCTAssertEqual(try h.query("SELECT count(*) FROM stage_runs WHERE stage = 'b'"), [["1"]])
    }

    func testSIGKILLOfTheSchedulerMidStageLeavesAStoreTheNextRunCompletes() throws {
        let h = try PipelineHarness()
        let touch = h.path("b-started")
        // b would take a minute: it must stop because its scheduler died, not because it finished.
        let p = try h.writeChain(b: ", sleep_ms = 60000, touch = \"\(touch)\"")
        let run = try h.start(["run", p])
        XCTAssertTrue(h.waitFor(touch))
        let childPid = pid_t(try String(contentsOfFile: touch, encoding: .utf8))!
        kill(run.0.processIdentifier, SIGKILL)
        _ = h.finish(run)
        // The orphaned stage notices its scheduler is gone and stops (generous: it checks every fraction of a second).
        let deadline = Date().addingTimeInterval(30)
        while kill(childPid, 0) == 0 && Date() < deadline { usleep(50_000) }
        XCTAssertNotEqual(kill(childPid, 0), 0, "stage b should stop when its scheduler dies")

        let next = try h.lznPipe("run", p, "--set", "b.sleep_ms=0")
        XCTAssertEqual(next.exitCode, 0, next.stdout + next.stderr)
        XCTAssertEqual(startedStages(next), ["b", "c", "d"], "d had not started yet (one stage at a time)")
        XCTAssertEqual(try h.query("SELECT stage, status FROM stage_runs WHERE stage = 'b' ORDER BY id"),
                       [["b", "interrupted"], ["b", "succeeded"]])
        XCTAssertEqual(try h.query("SELECT status FROM pipeline_runs ORDER BY id"), [["interrupted"], ["succeeded"]])
        XCTAssertEqual(try h.query("PRAGMA integrity_check"), [["ok"]])
        XCTAssertEqual(try h.outputText("c"), "|a|b|c")
    }

    func testSIGTERMStopsChildrenRecordsThemInterruptedAndExits130() throws {
        try checkStopSignal(SIGTERM, name: "SIGTERM")
    }

    /// Ctrl-C at a terminal.
    func testSIGINTStopsChildrenRecordsThemInterruptedAndExits130() throws {
        try checkStopSignal(SIGINT, name: "SIGINT")
    }

    /// `signal` to `lzn-pipe run` while stage b runs: b is stopped (not waited for: it would take a
    /// minute) and recorded interrupted, c never starts, the run exits 130 and the next one redoes b.
    func checkStopSignal(_ signal: Int32, name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let h = try PipelineHarness()
        let touch = h.path("b-started")
        let p = try h.writeChain(b: ", sleep_ms = 60000, touch = \"\(touch)\"")
        let run = try h.start(["run", p])
        XCTAssertTrue(h.waitFor(touch), file: file, line: line)
        let stagePid = pid_t(try String(contentsOfFile: touch, encoding: .utf8))!
        kill(run.0.processIdentifier, signal)
        let out = h.finish(run)
        XCTAssertEqual(out.exitCode, 130, out.stdout + out.stderr, file: file, line: line)
        XCTAssertTrue((out.stdout + out.stderr).contains("received \(name): stopping 1 running stage(s)"), out.stdout + out.stderr,
                      file: file, line: line)
        XCTAssertNotEqual(kill(stagePid, 0), 0, "stage b's process is gone when the run returns", file: file, line: line)
        XCTAssertLessThan(out.seconds, 30, "the stage is stopped, not waited for", file: file, line: line)
        XCTAssertEqual(try h.query("SELECT status FROM stage_runs WHERE stage = 'b'"), [["interrupted"]], file: file, line: line)
        XCTAssertEqual(try h.query("SELECT status FROM pipeline_runs"), [["interrupted"]], file: file, line: line)
        XCTAssertTrue(out.stdout.contains("c  not started (interrupted)"), out.stdout, file: file, line: line)
        let again = try h.lznPipe("run", p, "--dry-run")
        XCTAssertTrue(again.stdout.contains("b  would run: never ran in this pipeline [last attempt interrupted"), again.stdout, file: file, line: line)
    }

    func testRunsMetricsAndDag() throws {
        let h = try PipelineHarness()
        let p = try h.writeChain()
        XCTAssertEqual(try h.lznPipe("run", p).exitCode, 0)
        XCTAssertEqual(try h.lznPipe("run", p, "--set", "b.text=bbb").exitCode, 0)
        let diff = try h.lznPipe("metrics", "--diff", "1", "2")
        XCTAssertEqual(diff.exitCode, 0, diff.stderr)
        let lines = diff.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
        XCTAssertTrue(lines.contains("b length 4 6 +2"), diff.stdout)
        XCTAssertTrue(lines.contains("c length 6 8 +2"), diff.stdout)
        XCTAssertTrue(lines.contains("a length 2 2 +0"), diff.stdout)
        let history = try h.lznPipe("metrics", "chain", "--history", "length")
        XCTAssertEqual(history.stdout.split(separator: "\n").count, 2 + 6, history.stdout)
        let runs = try h.lznPipe("runs")
        XCTAssertTrue(runs.stdout.contains("succeeded"), runs.stdout)
        let dot = try h.lznPipe("dag", p, "--dot")
        XCTAssertTrue(dot.stdout.contains(#""a" -> "b" [label="out → source"];"#), dot.stdout)
    }

    /// b and d each wait for the other to start: run one at a time, the first would give up after 60 s and fail.
    func testIndependentStagesRunInParallelWithJobs() throws {
        let h = try PipelineHarness()
        let p = try h.write("fan.toml", """
        [stages.a]
        run = "lzn-stage-fixture"
        [stages.b]
        run = "lzn-stage-fixture"
        inputs = { source = "a.out" }
        params = { text = "b", touch = "\(h.path("b-started"))", wait_for = "\(h.path("d-started"))" }
        [stages.d]
        run = "lzn-stage-fixture"
        inputs = { source = "a.out" }
        params = { text = "d", touch = "\(h.path("d-started"))", wait_for = "\(h.path("b-started"))" }
        """)
        let out = try h.lznPipe("run", p, "--jobs", "2")
        XCTAssertEqual(out.exitCode, 0, out.stderr)
        let lines = out.stdout.split(separator: "\n").map(String.init)
        let startedD = try XCTUnwrap(lines.firstIndex { $0.contains("▶ d:") })
        let finishedB = try XCTUnwrap(lines.firstIndex { $0.contains("✓ b:") })
        XCTAssertLessThan(startedD, finishedB, "d starts while b runs: \(out.stdout)")
    }

    /// The same behaviours with the real ingest stage reading Debian's Fashion-MNIST.
    func testRealIngestStage() throws {
        let h = try PipelineHarness()
        let p = try h.write("ingest.toml", """
        [stages.train_data]
        run = "lzn-ingest"
        params = { split = "train", subset_size = 300, subset_seed = 1 }
        [stages.test_data]
        run = "lzn-ingest"
        params = { split = "test", subset_size = 100 }
        """)
        let first = try h.lznPipe("run", p)
        XCTAssertEqual(first.exitCode, 0, first.stdout + first.stderr)
        XCTAssertEqual(startedStages(first), ["train_data", "test_data"])
        XCTAssertEqual(try h.query("SELECT stage, value FROM latest_metrics WHERE name = 'images' ORDER BY stage"),
                       [["test_data", "100.0"], ["train_data", "300.0"]])
        let second = try h.lznPipe("run", p)
        XCTAssertTrue(second.stdout.hasPrefix("Nothing to do: 2 stage(s)"), second.stdout)
        print("no-op run of real ingest stages took \(second.seconds) s")

        XCTAssertEqual(startedStages(try h.lznPipe("run", p, "--set", "test_data.subset_size=50")), ["test_data"])
        let back = try h.lznPipe("run", p)
        XCTAssertEqual(startedStages(back), [])
        XCTAssertTrue(back.stdout.contains("= test_data: reused results of stage run 2"), back.stdout)

        let broken = try h.lznPipe("run", p, "--set", "train_data.format=idx")
        XCTAssertEqual(broken.exitCode, 1, broken.stdout)
        let log = try h.lznPipe("log", "train_data")
        XCTAssertTrue(log.stderr.contains("failed, exit 1"), log.stderr)
        XCTAssertTrue(log.stdout.contains("lzn-ingest: error:"), log.stdout)
        XCTAssertTrue(try h.lznPipe("run", p).stdout.hasPrefix("Nothing to do"), "the failed attempt left the good results current")
    }
}
