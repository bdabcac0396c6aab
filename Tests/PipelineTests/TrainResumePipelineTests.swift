import Foundation
import XCTest

/// Kill and resume through the scheduler: `lzn-pipe run` and its training stage killed with SIGKILL
/// mid-training (their process groups: nothing gets to save or record anything), then the same run
/// again, must end with the checkpoint an uninterrupted run writes (the same artifact id) and the
/// same training metrics. TrainStageTests does the same with lzn-train launched directly.
final class TrainResumePipelineTests: XCTestCase {
    /// Resume states every 7 iterations, metrics every 5 (so a resume state holds unrecorded metrics).
    static let pipeline = """
        [stages.data]
        run = "lzn-ingest"
        params = { format = "fashion-mnist", split = "train", subset_size = 64, subset_seed = 1 }

        [stages.train]
        run = "lzn-train"
        inputs = { dataset = "data.dataset" }
        params = { mode = "generation", conditional = true, preset = "xs", batch = 16, iterations = 40, checkpoint_every = 7, metrics_every = 5, label_steps = 20, threads = 2 }
        """

    func testSIGKILLOfTheRunMidTrainingThenARerunEndsWithTheUninterruptedCheckpoint() throws {
        let reference = try PipelineHarness()
        let uninterrupted = try reference.lznPipe("run", try reference.write("resume.toml", Self.pipeline))
        guard uninterrupted.exitCode == 0 else { return XCTFail("the uninterrupted run failed: \(uninterrupted.stdout + uninterrupted.stderr)") }

        let h = try PipelineHarness()
        let file = try h.write("resume.toml", Self.pipeline)
        let run = try h.start(["run", file])
        let scheduler = run.0.processIdentifier
        // Training is under way once its first resume state (iteration 7) is in the store.
        func resumeStates() -> Int {
            Int((try? h.query("SELECT count(*) FROM artifacts WHERE name LIKE 'resume/lzn-train/%'"))?.first?.first ?? "") ?? 0
        }
        let deadline = Date().addingTimeInterval(300)
        while run.0.isRunning && Date() < deadline && resumeStates() == 0 { usleep(10_000) }
        XCTAssertTrue(run.0.isRunning, "the run finished before it could be killed")
        let stage = try XCTUnwrap(childProcess(of: scheduler, named: "lzn-train"), "no lzn-train under the scheduler")
        // The stage first, so it cannot notice its scheduler is gone and stop with a checkpoint.
        for pid in [stage, scheduler] {
            let group = getpgid(pid)
            XCTAssertNotEqual(group, getpgrp(), "the test must not kill its own process group")
            kill(group > 0 && group != getpgrp() ? -group : pid, SIGKILL)
        }
        _ = h.finish(run)
        XCTAssertEqual(run.0.terminationReason, .uncaughtSignal)
        XCTAssertEqual(try h.query("SELECT stage, status FROM stage_runs ORDER BY id"), [["data", "succeeded"], ["train", "running"]])

        let rerun = try h.lznPipe("run", file)
        XCTAssertEqual(rerun.exitCode, 0, rerun.stdout + rerun.stderr)
        XCTAssertEqual(startedStages(rerun), ["train"])
        XCTAssertEqual(try h.query("SELECT stage, status FROM stage_runs ORDER BY id"),
                       [["data", "succeeded"], ["train", "interrupted"], ["train", "succeeded"]])
        let log = try h.lznPipe("log", "train")
        XCTAssertTrue(log.stdout.contains("resuming from"), log.stdout)

        let checkpoint = """
            SELECT o.artifact FROM stage_outputs o JOIN stage_runs s ON s.id = o.stage_run
            WHERE s.stage = 'train' AND s.status = 'succeeded' AND o.name = 'checkpoint'
            """
        XCTAssertEqual(try h.query(checkpoint), try reference.query(checkpoint), "the resumed run's checkpoint differs")
        XCTAssertEqual(try reference.query(checkpoint).count, 1)

        // Every metric the resumed stage run recorded, the first record after the resume included,
        // equals the uninterrupted run's (timing aside).
        let metrics = """
            SELECT m.name, ifnull(m.step, 'final'), m.value FROM metrics m JOIN stage_runs s ON s.id = m.stage_run
            WHERE s.stage = 'train' AND s.status = 'succeeded'
              AND m.name NOT IN ('images_per_second', 'training_seconds', 'communication_share')
            ORDER BY m.name, m.step
            """
        let resumed = try h.query(metrics), expected = Set(try reference.query(metrics).map { $0.joined(separator: " ") })
        XCTAssertGreaterThan(resumed.count, 10)
        for row in resumed { XCTAssertTrue(expected.contains(row.joined(separator: " ")), "\(row) is not the uninterrupted run's") }
    }

    /// The pid of a child process of `parent` running `name`, from /proc.
    private func childProcess(of parent: pid_t, named name: String) -> pid_t? {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        for entry in entries {
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            // "pid (comm) state ppid ...": comm may hold spaces, so split after the last ')'.
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == parent, stat[stat.index(after: open)..<close] == name { return pid }
        }
        return nil
    }
}
