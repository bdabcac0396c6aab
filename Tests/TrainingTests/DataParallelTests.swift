import Models
import ArrayFormats
import Datasets
import Foundation
import StageKit
import Store
import XCTest
@testable import Training

/// Data-parallel `lzn-train` (ranks = 2: the real executable under `mpirun --oversubscribe` on this
/// machine, started by the stage like the scheduler starts it) against the single-process run with
/// the same global batch, for every training mode: the per-iteration loss within 1e-4 relative for
/// the first 10 iterations and the final weights within 1e-3 relative after 50 (the summation order
/// is the only difference). Also: a batch the ranks cannot split fails before launching, and a rank
/// killed with SIGKILL fails the stage naming it, after which a rerun on one rank resumes.
final class DataParallelTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-mpi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// Open MPI refuses to run as root (CI runs as root) unless told it may.
    static let environment = ProcessInfo.processInfo.environment.merging(
        ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"]) { $1 }

    struct Outcome {
        var status: Int32
        var log: String
        /// The "loss" training metric by iteration.
        var losses: [Int: Double]
        /// Final (step-less) metrics.
        var metrics: [String: Double]
        var checkpoint: [String: NDArray]
    }

    let base: [String: ParamValue] = [
        "preset": .string("xs"), "latent_dim": .int(8), "batch": .int(16), "iterations": .int(50), "metrics_every": .int(1),
        "checkpoint_every": .int(1000), "warmup": .int(5), "seed": .int(3), "label_steps": .int(20), "latent_steps": .int(10),
    ]

    func start(_ store: Store, run: Int64) throws -> (process: Process, output: Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TrainStageTests.executable)
        process.arguments = ["--store", store.path, "--stage-run", String(run)]
        process.environment = Self.environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return (process, output)
    }

    func outcome(_ store: Store, run: Int64, process: Process, output: Pipe) throws -> Outcome {
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let records = try store.metrics(stageRun: run).map(\.metric)
        var losses: [Int: Double] = [:], metrics: [String: Double] = [:]
        for metric in records {
            if metric.name == "loss", let step = metric.step { losses[step] = metric.value }
            if metric.step == nil { metrics[metric.name] = metric.value }
        }
        let checkpoint = try store.stageOutputs(run)["checkpoint"].map { try store.bundleTensors($0) } ?? [:]
        return Outcome(status: process.terminationStatus, log: log, losses: losses, metrics: metrics, checkpoint: checkpoint)
    }

    func train(_ name: String, _ params: [String: ParamValue], data: Dataset) throws -> Outcome {
        let prepared = try TrainStageTests.prepare(in: directory, name, params: params, dataset: data)
        defer { prepared.store.close() }
        let (process, output) = try start(prepared.store, run: prepared.run)
        return try outcome(prepared.store, run: prepared.run, process: process, output: output)
    }

    /// ‖a − b‖ / ‖a‖.
    func relativeDifference(_ a: [Float], _ b: [Float]) -> Double {
        var difference = 0.0, norm = 0.0
        for (x, y) in zip(a, b) {
            difference += (Double(x) - Double(y)) * (Double(x) - Double(y))
            norm += Double(x) * Double(x)
        }
        return (difference / max(norm, 1e-30)).squareRoot()
    }

    func checkTwoRanksMatchOne(_ mode: String, _ extra: [String: ParamValue] = [:], data: Dataset,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let params = base.merging(extra) { $1 }.merging(["mode": .string(mode)]) { $1 }
        let one = try train("one", params, data: data)
        XCTAssertEqual(one.status, 0, one.log, file: file, line: line)
        let two = try train("two", params.merging(["ranks": .int(2), "mpirun_args": .string("--oversubscribe")]) { $1 }, data: data)
        XCTAssertEqual(two.status, 0, two.log, file: file, line: line)
        XCTAssertTrue(two.log.contains("2 ranks × 8 rows"), two.log, file: file, line: line)
        XCTAssertEqual(one.metrics["world_size"], 1, file: file, line: line)
        XCTAssertEqual(two.metrics["world_size"], 2, file: file, line: line)
        XCTAssertEqual(two.metrics["iterations"], 50, file: file, line: line)
        for step in 1...10 {
            guard let a = one.losses[step], let b = two.losses[step] else {
                XCTFail("no loss at iteration \(step): \(one.losses.count) and \(two.losses.count) recorded", file: file, line: line)
                return
            }
            XCTAssertLessThanOrEqual(abs(a - b) / max(abs(a), 1e-12), 1e-4, "loss at iteration \(step): \(a) vs \(b)", file: file, line: line)
        }
        // The weights as one vector. (Single tensors can differ more: a bias whose true gradient is
        // zero, e.g. one shifting every anchor alike, which the latent flows ignore, gets rounding
        // noise that Adam scales to full-size steps, so it walks at random in any run.)
        let parameters = one.checkpoint.keys.filter { $0.hasPrefix("params.") }.sorted()
        XCTAssertFalse(parameters.isEmpty, file: file, line: line)
        XCTAssertEqual(Set(one.checkpoint.keys), Set(two.checkpoint.keys), file: file, line: line)
        let a = parameters.flatMap { one.checkpoint[$0]!.floats() }, b = parameters.flatMap { two.checkpoint[$0]?.floats() ?? [] }
        let difference = relativeDifference(a, b)
        XCTAssertLessThanOrEqual(difference, 1e-3, "final weights", file: file, line: line)
        // Not bitwise equal: the summation order differs, so the two runs really took different paths.
        XCTAssertGreaterThan(difference, 0, file: file, line: line)
        print("\(mode) \(extra): relative weight difference after 50 iterations \(difference)")
    }

    /// Flippable images, so the per-rank slices of the batch's flips are exercised too.
    var flippable: Dataset {
        var data = SyntheticData.quadrants(count: 64, size: 8)
        data.flippable = true
        return data
    }

    func testRectifiedFlowOnTwoRanksMatchesOneProcess() throws {
        // Dropout draws its masks for the whole batch and keeps each rank's rows.
        try checkTwoRanksMatchOne("generation", ["latent": .string("none"), "dropout": .float(0.1)], data: flippable)
    }

    func testLZNGenerationOnTwoRanksMatchesOneProcess() throws {
        try checkTwoRanksMatchOne("generation", data: flippable)
    }

    func testConditionalGenerationOnTwoRanksMatchesOneProcess() throws {
        try checkTwoRanksMatchOne("generation", ["conditional": .bool(true)], data: SyntheticData.quadrants(count: 64, size: 8))
    }

    func testContrastiveOnTwoRanksMatchesOneProcess() throws {
        // At its default encoder learning rate (1e-3) this small contrastive run is chaotic: one
        // process on 1 and on 2 threads ends 4% apart after 50 iterations. At 1e-4 the two thread
        // counts end 2e-4 apart, and so do 1 and 2 ranks.
        try checkTwoRanksMatchOne("contrastive", ["encoder_lr": .float(1e-4)], data: SyntheticData.quadrants(count: 64, size: 8, labelled: false))
    }

    func testSimCLROnTwoRanksMatchesOneProcess() throws {
        try checkTwoRanksMatchOne("simclr", data: SyntheticData.quadrants(count: 64, size: 8, labelled: false))
    }

    func testSupervisedOnTwoRanksMatchesOneProcess() throws {
        try checkTwoRanksMatchOne("supervised", data: flippable)
    }

    func testABatchTheRanksCannotSplitFailsBeforeLaunching() throws {
        let result = try train("odd", base.merging(["mode": .string("supervised"), "ranks": .int(3)]) { $1 },
                               data: SyntheticData.quadrants(count: 64, size: 8))
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.log.contains("batch 16 must be divisible by ranks (3)"), result.log)
        XCTAssertFalse(result.log.contains("starting 3 ranks"), result.log)
    }

    func testRankZerosConfigurationErrorIsTheStagesError() throws {
        let result = try train("unlabelled", base.merging(["mode": .string("supervised"), "ranks": .int(2),
                                                           "mpirun_args": .string("--oversubscribe")]) { $1 },
                               data: SyntheticData.quadrants(count: 64, size: 8, labelled: false))
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.log.contains("lzn-train: error: train: rank 0: bad training configuration: mode supervised needs a labelled dataset"),
                      result.log)
    }

    /// The pid of rank `rank` of the job training stage run `run` (from Open MPI's environment).
    func rankProcess(_ rank: Int, run: Int64) -> Int32? {
        let proc = URL(fileURLWithPath: "/proc")
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: proc.path)) ?? [] {
            guard let pid = Int32(entry),
                  let command = try? Data(contentsOf: proc.appendingPathComponent("\(entry)/cmdline")),
                  let environment = try? Data(contentsOf: proc.appendingPathComponent("\(entry)/environ")) else { continue }
            let arguments = command.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            let variables = environment.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if arguments.contains("--mpi-worker"), let index = arguments.firstIndex(of: "--stage-run"), arguments[index + 1] == String(run),
               variables.contains("OMPI_COMM_WORLD_RANK=\(rank)") {
                return pid
            }
        }
        return nil
    }

    func testAKilledRankFailsTheStageNamingItAndOneRankResumes() throws {
        let data = SyntheticData.quadrants(count: 64, size: 8)
        let params = base.merging(["mode": .string("generation"), "iterations": .int(150), "checkpoint_every": .int(5),
                                   "metrics_every": .int(5), "ranks": .int(2), "mpirun_args": .string("--oversubscribe")]) { $1 }
        let killed = try TrainStageTests.prepare(in: directory, "killed", params: params, dataset: data)
        let (process, output) = try start(killed.store, run: killed.run)
        let deadline = Date().addingTimeInterval(120)
        while (try? killed.store.resolve(killed.resumeName)) == nil && process.isRunning && Date() < deadline { usleep(10_000) }
        guard let victim = rankProcess(1, run: killed.run) else {
            process.terminate()
            return XCTFail("rank 1 not found (the job finished or never started)")
        }
        XCTAssertTrue(process.isRunning, "the job finished before rank 1 could be killed; make the run longer")
        let killedAt = Date()
        kill(victim, SIGKILL)
        let failed = try outcome(killed.store, run: killed.run, process: process, output: output)
        let seconds = Date().timeIntervalSince(killedAt)
        XCTAssertEqual(failed.status, 1, failed.log)
        XCTAssertLessThan(seconds, 20, "the stage took \(seconds) s to fail after a rank died")
        print("the stage failed \(seconds) s after rank 1 was killed")
        XCTAssertTrue(failed.log.contains("the MPI job failed") && failed.log.contains("rank 1"), failed.log)
        XCTAssertNotNil(try? killed.store.resolve(killed.resumeName), "no checkpoint to resume from")
        try killed.store.finishStageRun(killed.run, status: .failed, exitCode: 1)

        // The same training on one rank: another signature, the same resume state.
        let resolved = try TrainStage.description.resolveParams(params.merging(["ranks": .int(1)]) { $1 })
        let inputs = try killed.store.stageInputs(killed.run)
        let signature = StageSignature(TrainStage.description, params: resolved, inputs: inputs.mapValues(\.hex)).digest
        XCTAssertNotEqual(signature, killed.signature, "ranks is part of the signature")
        XCTAssertEqual(StageContext.resumeName(TrainStage.description, signature: signature, params: resolved, inputs: inputs.mapValues(\.hex)),
                       killed.resumeName, "but not of the resume state's name")
        let rerun = try killed.store.beginStageRun(stage: "train", signature: signature, params: ParamValue.json(resolved), inputs: inputs)
        let (again, againOutput) = try start(killed.store, run: rerun)
        let resumed = try outcome(killed.store, run: rerun, process: again, output: againOutput)
        XCTAssertEqual(resumed.status, 0, resumed.log)
        XCTAssertTrue(resumed.log.contains("resuming from"), resumed.log)
        XCTAssertEqual(resumed.metrics["world_size"], 1)
        XCTAssertEqual(resumed.metrics["iterations"], 150)
        killed.store.close()
    }

    /// A 2-rank supervised run of 5000 iterations, started and past its first metrics.
    func startLongRun(_ name: String) throws -> (run: (store: Store, run: Int64, signature: String, resumeName: String),
                                                 process: Process, output: Pipe) {
        let params = base.merging(["mode": .string("supervised"), "iterations": .int(5000), "metrics_every": .int(5),
                                   "ranks": .int(2), "mpirun_args": .string("--oversubscribe")]) { $1 }
        let run = try TrainStageTests.prepare(in: directory, name, params: params, dataset: SyntheticData.quadrants(count: 64, size: 8))
        let (process, output) = try start(run.store, run: run.run)
        let deadline = Date().addingTimeInterval(120)
        while (try? run.store.metrics(stageRun: run.run))?.isEmpty != false && process.isRunning && Date() < deadline { usleep(10_000) }
        XCTAssertTrue(process.isRunning, "the job ended before it could be interrupted")
        return (run, process, output)
    }

    /// SIGTERM to the stage process (the scheduler stopping it) stops every rank at one iteration;
    /// rank 0 saves a checkpoint there first, as a single process does.
    func testSIGTERMStopsEveryRankWithACheckpoint() throws {
        let (run, process, output) = try startLongRun("stopped")
        kill(process.processIdentifier, SIGTERM)
        let stopped = try outcome(run.store, run: run.run, process: process, output: output)
        XCTAssertEqual(stopped.status, 1, stopped.log)
        XCTAssertTrue(stopped.log.contains("stopped by SIGTERM after"), stopped.log)
        let checkpoint = try CheckpointContents.load(try run.store.resolve(run.resumeName), from: run.store)
        XCTAssertGreaterThan(checkpoint.iteration, 0)
        XCTAssertLessThan(checkpoint.iteration, 5000)
        XCTAssertNil(rankProcess(1, run: run.run), "no rank outlives the stage")
        run.store.close()
    }

    /// The stage process killed (the scheduler gone, SIGKILL): rank 0 notices and the ranks stop
    /// with a checkpoint instead of training on for nobody.
    func testTheRanksStopWithACheckpointWhenTheStageProcessDies() throws {
        let (run, process, output) = try startLongRun("orphaned")
        XCTAssertNotNil(rankProcess(1, run: run.run), "rank 1 is running")
        kill(process.processIdentifier, SIGKILL)
        _ = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let deadline = Date().addingTimeInterval(20)
        while (rankProcess(0, run: run.run) != nil || rankProcess(1, run: run.run) != nil) && Date() < deadline { usleep(50_000) }
        XCTAssertNil(rankProcess(0, run: run.run), "rank 0 outlived the stage process")
        XCTAssertNil(rankProcess(1, run: run.run), "rank 1 outlived the stage process")
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.hasPrefix("lzn-train-\(process.processIdentifier)-") }
        XCTAssertEqual(leftovers, [], "rank 0 removes the result folder of the stage process that died")
        let checkpoint = try CheckpointContents.load(try run.store.resolve(run.resumeName), from: run.store)
        XCTAssertGreaterThan(checkpoint.iteration, 0)
        run.store.close()
    }

    /// Launcher parameters at their defaults leave a run's signature (and resume name) what it was
    /// before they existed, so adding `ranks` kept every earlier lzn-train result and checkpoint valid.
    func testDefaultLauncherSettingsKeepTheSignatureOfEarlierRuns() throws {
        let params = try TrainStage.description.resolveParams(base.merging(["mode": .string("generation")]) { $1 })
        let inputs = ["dataset": String(repeating: "ab", count: 32)]
        let before = StageSignature(executable: "lzn-train", version: TrainStage.description.version,
                                    params: params.filter { !["ranks", "hostfile", "mpirun_args"].contains($0.key) }, inputs: inputs).digest
        XCTAssertEqual(StageSignature(TrainStage.description, params: params, inputs: inputs).digest, before)
        XCTAssertEqual(StageContext.resumeName(TrainStage.description, signature: before, params: params, inputs: inputs),
                       "resume/lzn-train/\(before)")
        let two = params.merging(["ranks": .int(2)]) { $1 }
        XCTAssertNotEqual(StageSignature(TrainStage.description, params: two, inputs: inputs).digest, before)
        XCTAssertEqual(StageContext.resumeName(TrainStage.description, signature: "other", params: two, inputs: inputs),
                       "resume/lzn-train/\(before)")
    }

    func testTheLauncherCommandLine() {
        XCTAssertEqual(MPILauncher.launcherCommand(ranks: 4, hostfile: "", extraArguments: "", environment: [:]),
                       ["mpirun", "--bind-to", "none", "-n", "4"])
        XCTAssertEqual(MPILauncher.launcherCommand(ranks: 8, hostfile: "/etc/hosts.mpi", extraArguments: " --oversubscribe  --mca btl tcp,self",
                                                   environment: [:]),
                       ["mpirun", "--bind-to", "none", "-n", "8", "--hostfile", "/etc/hosts.mpi", "--oversubscribe", "--mca", "btl", "tcp,self"])
        XCTAssertEqual(MPILauncher.launcherCommand(ranks: 64, hostfile: "", extraArguments: "", environment: ["LZN_MPIRUN": "srun --mpi=pmix"]),
                       ["srun", "--mpi=pmix", "-n", "64"])
    }

    func testFailureReportsNameTheRankThatDied() {
        let openMPI = """
            --------------------------------------------------------------------------
            mpirun noticed that process rank 1 with PID 4242 on node worker-3 exited on signal 9 (Killed).
            --------------------------------------------------------------------------
            """
        XCTAssertEqual(MPILauncher.failureReport(status: 137, reason: .exit, launcher: "mpirun", log: openMPI),
                       "the MPI job failed: mpirun exited with status 137; rank 1 with PID 4242 on node worker-3 exited on signal 9 (Killed); "
                           + "a rerun resumes from the last checkpoint, if one was saved")
        XCTAssertTrue(MPILauncher.failureReport(status: 1, reason: .exit, launcher: "srun", log: "srun: error: node7: task 5: Killed\n")
            .contains("task 5: Killed"))
        XCTAssertTrue(MPILauncher.failureReport(status: 127, reason: .exit, launcher: "mpirun", log: "env: 'mpirun': No such file or directory\n")
            .contains("was not found"))
    }
}
