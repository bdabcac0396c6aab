import Datasets
import Foundation
import StageKit
import Store
import XCTest
import Training

/// The real `lzn-train` executable against a real store: resume after SIGKILL is bitwise-equal to
/// an uninterrupted run, and bad configurations fail before training.
final class TrainStageTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    static var executable: String {
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent().appendingPathComponent("lzn-train").path
        }
        return Bundle.main.bundleURL.appendingPathComponent("lzn-train").path
    }

    /// A store holding the synthetic dataset and a recorded (running) lzn-train stage run over it.
    func prepare(_ name: String, params given: [String: ParamValue], dataset: Dataset) throws -> (store: Store, run: Int64, signature: String) {
        let prepared = try Self.prepare(in: directory, name, params: given, dataset: dataset)
        return (prepared.store, prepared.run, prepared.signature)
    }

    /// The same, returning the name the run's resume checkpoints get.
    static func prepare(in directory: URL, _ name: String, params given: [String: ParamValue],
                        dataset: Dataset) throws -> (store: Store, run: Int64, signature: String, resumeName: String) {
        let store = try Store.open(directory.appendingPathComponent("\(name).sqlite").path)
        let artifact = try DatasetArtifact.save(dataset, name: "data", in: store)
        // Parameters lzn-train no longer accepts (a renamed knob) fail the test, naming them.
        let params = try TrainStage.description.resolveParams(given)
        let signature = StageSignature(TrainStage.description, params: params, inputs: ["dataset": artifact.id.hex]).digest
        let run = try store.beginStageRun(stage: "train", signature: signature, params: ParamValue.json(params),
                                          inputs: ["dataset": artifact.id])
        let resumeName = StageContext.resumeName(TrainStage.description, signature: signature, params: params,
                                                 inputs: ["dataset": artifact.id.hex])
        return (store, run, signature, resumeName)
    }

    func launch(_ store: Store, run: Int64) throws -> (process: Process, output: Pipe) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.executable)
        process.arguments = ["--store", store.path, "--stage-run", String(run)]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        return (process, output)
    }

    func finish(_ store: Store, run: Int64) throws -> (status: Int32, log: String) {
        let (process, output) = try launch(store, run: run)
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, log)
    }

    /// Resume checkpoints every 7 iterations, metrics every 5: a resume state (before iteration 35)
    /// holds iterations not yet recorded, which the first record after the resume must include.
    let params: [String: ParamValue] = [
        "mode": .string("generation"), "conditional": .bool(true), "preset": .string("xs"), "batch": .int(32),
        "iterations": .int(60), "checkpoint_every": .int(7), "metrics_every": .int(5), "label_steps": .int(20), "threads": .int(2),
    ]

    func testResumeAfterSIGKILLEndsBitwiseEqualToAnUninterruptedRun() throws {
        try checkResume(after: SIGKILL, params: params)
    }

    /// SIGTERM writes a checkpoint at the current iteration (none periodic here) before stopping.
    func testResumeAfterSIGTERMEndsBitwiseEqualToAnUninterruptedRun() throws {
        var params = params
        params["checkpoint_every"] = .int(1000)
        try checkResume(after: SIGTERM, params: params)
    }

    /// Runs the stage once uninterrupted and once interrupted by `signal` mid-run and then rerun with
    /// the same signature; the final checkpoints must be identical bit for bit, and the rerun's
    /// metrics the uninterrupted run's (`assertSameMetricsAfterResume`).
    func checkResume(after signal: Int32, params: [String: ParamValue]) throws {
        let data = SyntheticData.quadrants(count: 96, size: 12)
        let reference = try prepare("reference", params: params, dataset: data)
        let finished = try finish(reference.store, run: reference.run)
        XCTAssertEqual(finished.status, 0, finished.log)

        let killed = try Self.prepare(in: directory, "killed", params: params, dataset: data)
        let resumeName = killed.resumeName
        let (child, output) = try launch(killed.store, run: killed.run)
        // Interrupt once training metrics show it is past its first iterations.
        var started = false
        let deadline = Date().addingTimeInterval(120)
        while !started && child.isRunning && Date() < deadline {
            started = signal == SIGKILL ? (try? killed.store.resolve(resumeName)) != nil
                                        : (try? killed.store.metrics(stageRun: killed.run))?.isEmpty == false
            if !started { usleep(5_000) }
        }
        XCTAssertTrue(child.isRunning, "the child finished before it could be interrupted; make the run longer")
        kill(child.processIdentifier, signal)
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        if signal == SIGKILL {
            XCTAssertEqual(child.terminationReason, .uncaughtSignal)
        } else {
            XCTAssertEqual(child.terminationStatus, 1, log)
            XCTAssertTrue(log.contains("stopped by SIGTERM"), log)
        }
        XCTAssertNotNil(try? killed.store.resolve(resumeName), "no checkpoint to resume from")
        // The newest only (two when killed between saving a checkpoint and dropping the one before).
        XCTAssertLessThanOrEqual(try killed.store.artifacts(kind: .bundle).filter { $0.name == resumeName }.count, 2)
        try killed.store.finishStageRun(killed.run, status: .interrupted, exitCode: nil)
        XCTAssertNil(try killed.store.findSucceededStageRun(stage: "train", signature: killed.signature))

        let rerun = try killed.store.beginStageRun(stage: "train", signature: killed.signature,
                                                   params: try killed.store.stageRun(killed.run)!.params,
                                                   inputs: try killed.store.stageInputs(killed.run))
        let resumed = try finish(killed.store, run: rerun)
        XCTAssertEqual(resumed.status, 0, resumed.log)
        XCTAssertTrue(resumed.log.contains("resuming from"), resumed.log)
        XCTAssertEqual(try killed.store.artifacts(kind: .bundle).filter { $0.name == resumeName }, [], "success drops the resume state")

        let a = try reference.store.bundleTensors(try reference.store.stageOutputs(reference.run)["checkpoint"]!)
        let b = try killed.store.bundleTensors(try killed.store.stageOutputs(rerun)["checkpoint"]!)
        XCTAssertEqual(Set(a.keys), Set(b.keys))
        for (name, array) in a { XCTAssertEqual(array, b[name], "\(name) differs after resume") }
        try Self.assertSameMetricsAfterResume(try reference.store.metrics(stageRun: reference.run).map(\.metric),
                                              try killed.store.metrics(stageRun: rerun).map(\.metric), log: resumed.log,
                                              splitWindow: signal == SIGKILL)
        reference.store.close()
        killed.store.close()
    }

    /// The training metrics a resumed run records equal the uninterrupted run's at the same steps,
    /// the first record after the resume included (it averages iterations from before the
    /// interruption, which the resume state carries); only the timing differs.
    /// With `splitWindow`, the resume must have started between two records (resume states every 7
    /// iterations, metrics every 5, killed at the first resume state), which is what tests the window.
    static func assertSameMetricsAfterResume(_ reference: [Metric], _ resumed: [Metric], log: String, splitWindow: Bool,
                                             file: StaticString = #filePath, line: UInt = #line) throws {
        let timing: Set<String> = ["images_per_second", "training_seconds", "communication_share"]
        func key(_ m: Metric) -> String { "\(m.name)@\(m.step.map(String.init) ?? "final")" }
        let expected = Dictionary(reference.filter { !timing.contains($0.name) }.map { (key($0), $0.value) }, uniquingKeysWith: { $1 })
        let steps = resumed.compactMap(\.step)
        let first = try XCTUnwrap(steps.min(), "no training metrics after the resume", file: file, line: line)
        let resumedAt = try XCTUnwrap(log.range(of: "at iteration ").flatMap { Int(log[$0.upperBound...].prefix { $0.isNumber }) },
                                      "the rerun did not resume: \(log)", file: file, line: line)
        XCTAssertLessThan(resumedAt, first, file: file, line: line)
        if splitWindow {
            XCTAssertNotEqual(resumedAt % 5, 0, "resumed at a metrics step, which tests nothing about the window", file: file, line: line)
        }
        var compared = 0
        for metric in resumed where !timing.contains(metric.name) {
            guard let value = expected[key(metric)] else {
                XCTFail("\(key(metric)) is not in the uninterrupted run", file: file, line: line)
                continue
            }
            XCTAssertEqual(metric.value, value, "\(key(metric)) after resuming at iteration \(resumedAt)", file: file, line: line)
            if metric.step == first { compared += 1 }
        }
        XCTAssertGreaterThanOrEqual(compared, 5, "the first record after the resume holds the loss terms", file: file, line: line)
    }

    func testDivergedTrainingFailsNamingTheStageAndCommitsNoCheckpoint() throws {
        let diverging: [String: ParamValue] = [
            "mode": .string("supervised"), "preset": .string("xs"), "batch": .int(16), "iterations": .int(300),
            "encoder_lr": .float(1e37), "checkpoint_every": .int(1000), "threads": .int(1),
        ]
        let prepared = try prepare("diverged", params: diverging, dataset: SyntheticData.quadrants())
        let result = try finish(prepared.store, run: prepared.run)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.log.contains("train: training diverged: iterations 2–101 were all skipped"), result.log)
        XCTAssertEqual(try prepared.store.artifacts(kind: .bundle), [], "no checkpoint may be written")
        prepared.store.close()
    }

    func testConditionalTrainingOnUnlabelledDataFailsBeforeTraining() throws {
        let prepared = try prepare("unlabelled", params: params, dataset: SyntheticData.quadrants(labelled: false))
        let result = try finish(prepared.store, run: prepared.run)
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.log.contains("needs a labelled dataset"), result.log)
        XCTAssertEqual(try prepared.store.artifacts(kind: .bundle), [], "no checkpoint may be written")
        prepared.store.close()
    }
}
