import Foundation
import StageKit
import Store

/// `ranks > 1`: the stage process runs the training as an MPI job of `ranks` copies of this
/// executable (`lzn-train --mpi-worker ...`, see `TrainStage.mpiWorker`) and waits for it. Rank 0
/// reads the stage run's parameters and inputs from the store, sends the others everything they
/// need, and writes metrics, progress (its stdout is this process's) and checkpoints; it leaves its
/// outcome in a result file that this process turns into the stage's output or failure. The
/// scheduler sees an ordinary stage process.
///
/// The launcher is `mpirun --bind-to none` (Open MPI; the ranks choose their own thread counts), or
/// the words of the environment variable `LZN_MPIRUN` (e.g. `srun --mpi=pmix`), then `-n RANKS`,
/// `--hostfile FILE` when given, the `mpirun_args` words, and the worker command line.
struct MPILauncher {
    let context: StageContext
    let ranks: Int

    /// What a rank reports back to the stage process (rank 0 writes it, as JSON, to `--result`).
    struct Result: Codable {
        /// The final checkpoint's artifact id, or nil when the run failed.
        var checkpoint: String?
        var metrics: [TrainStage.FinalMetric] = []
        /// Why the run failed.
        var failure: String?

        func write(to path: String) throws {
            try JSONEncoder().encode(self).write(to: URL(fileURLWithPath: path), options: .atomic)
        }

        static func read(from path: String) -> Result? {
            (try? Data(contentsOf: URL(fileURLWithPath: path))).flatMap { try? JSONDecoder().decode(Result.self, from: $0) }
        }
    }

    /// The launcher words and their arguments, up to (not including) the worker's command line.
    static func launcherCommand(ranks: Int, hostfile: String, extraArguments: String, environment: [String: String]) -> [String] {
        let words = { (text: String) in text.split(whereSeparator: \.isWhitespace).map(String.init) }
        var command = environment["LZN_MPIRUN"].map(words).flatMap { $0.isEmpty ? nil : $0 } ?? ["mpirun", "--bind-to", "none"]
        command += ["-n", String(ranks)]
        if !hostfile.isEmpty { command += ["--hostfile", hostfile] }
        return command + words(extraArguments)
    }

    /// This executable (every host of a multi-host job needs it at the same path).
    static var workerExecutable: String {
        let link = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
        return link != "/proc/self/exe" ? link : (Bundle.main.executablePath ?? CommandLine.arguments[0])
    }

    func run() throws {
        let batch = context.params.int("batch")
        guard batch % ranks == 0 else {
            throw context.fail("batch \(batch) must be divisible by ranks (\(ranks)): each rank computes batch/ranks rows")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lzn-train-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let resultPath = directory.appendingPathComponent("result.json").path
        let launcher = Self.launcherCommand(ranks: ranks, hostfile: context.params.string("hostfile"),
                                            extraArguments: context.params.string("mpirun_args"),
                                            environment: ProcessInfo.processInfo.environment)
        // Absolute: ranks start in the launcher's working directory only on this host.
        let storePath = URL(fileURLWithPath: context.store.path).standardizedFileURL.path
        let command = launcher + [Self.workerExecutable, "--mpi-worker", "--store", storePath,
                                  "--stage-run", String(context.stageRunID), "--result", resultPath,
                                  "--launcher-pid", String(getpid())]
        context.log("\(context.stageName): starting \(ranks) ranks: \(command.joined(separator: " "))")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        // stdout is inherited: rank 0's progress lines reach the scheduler as this process's own.
        let errors = Pipe()
        process.standardError = errors
        let tail = StderrTail()
        let forwarding = DispatchGroup()
        forwarding.enter()
        Thread.detachNewThread {
            let handle = errors.fileHandleForReading
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                FileHandle.standardError.write(chunk)
                tail.append(chunk)
            }
            forwarding.leave()
        }
        do {
            try process.run()
        } catch {
            throw context.fail("cannot start \(launcher[0]): \(error)")
        }
        // A stop request becomes SIGUSR1 for the launcher, which mpirun (and srun) forward to every
        // rank: they stop together at the next iteration and rank 0 saves a checkpoint. (mpirun
        // itself would answer SIGTERM by killing the ranks after a few seconds.)
        signal(SIGTERM, SIG_IGN)
        let pid = process.processIdentifier
        let stop = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        stop.setEventHandler { kill(pid, SIGUSR1) }
        stop.resume()
        process.waitUntilExit()
        stop.cancel()
        try? errors.fileHandleForWriting.close()
        forwarding.wait()

        let result = Result.read(from: resultPath)
        if let failure = result?.failure { throw context.fail(failure) }
        guard process.terminationStatus == 0, let id = result?.checkpoint else {
            throw context.fail(Self.failureReport(status: process.terminationStatus, reason: process.terminationReason,
                                                  launcher: launcher[0], log: tail.text))
        }
        try context.setOutput("checkpoint", try context.store.resolve(id))
        for metric in result!.metrics { context.metric(metric.name, metric.value, tag: metric.tag) }
    }

    /// Why the job ended without a result from rank 0, naming the rank that died when the
    /// launcher's messages say (Open MPI's "process rank N ... exited on signal S", srun's "task N").
    static func failureReport(status: Int32, reason: Process.TerminationReason, launcher: String, log: String) -> String {
        let how = reason == .uncaughtSignal ? "was killed by signal \(status)" : "exited with status \(status)"
        var culprit: String?
        let patterns = [
            #"process rank (\d+) with PID (\d+) on node (\S+) exited on signal (\d+)( \([^)]*\))?"#,
            #"MPI_ABORT was invoked on rank (\d+)"#,
            #"rank (\d+): [^\n]*"#,
            #"task (\d+): [^\n]*"#,
        ]
        for pattern in patterns {
            if let range = log.range(of: pattern, options: .regularExpression) {
                culprit = String(log[range]).trimmingCharacters(in: .whitespaces)
                break
            }
        }
        if status == 127 && culprit == nil {
            return "the MPI launcher \(launcher) was not found (install Open MPI: scripts/setup, or set LZN_MPIRUN)"
        }
        let cause = culprit.map { "; \($0.replacingOccurrences(of: "process rank", with: "rank"))" } ?? ""
        return "the MPI job failed: \(launcher) \(how)\(cause); a rerun resumes from the last checkpoint, if one was saved"
    }
}

/// The last 64 KiB of the launcher's stderr, for the failure report.
private final class StderrTail: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()

    func append(_ chunk: Data) {
        lock.lock(); defer { lock.unlock() }
        bytes.append(chunk)
        if bytes.count > 65536 { bytes = bytes.suffix(65536) }
    }

    var text: String {
        lock.lock(); defer { lock.unlock() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
