import DataParallel
import Engine
import Foundation
import StageKit
import Store

extension TrainStage {
    /// One rank of a data-parallel training job (`lzn-train --mpi-worker --store PATH --stage-run ID
    /// --result FILE [--launcher-pid PID]`, started by `MPILauncher` through mpirun). Rank 0 opens
    /// the store, builds the trainer exactly as a single process would (init, resume), sends the
    /// dataset and its state to the other ranks, records metrics, progress and checkpoints, and
    /// writes the outcome to FILE. The other ranks never touch the store. Returns the exit code.
    public static func mpiWorker(_ arguments: [String]) -> Int32 {
        func value(_ flag: String) -> String? {
            arguments.firstIndex(of: flag).flatMap { $0 + 1 < arguments.count ? arguments[$0 + 1] : nil }
        }
        guard let storePath = value("--store"), let run = value("--stage-run").flatMap(Int64.init), let resultPath = value("--result") else {
            FileHandle.standardError.write(Data("lzn-train: usage: lzn-train --mpi-worker --store PATH --stage-run ID --result FILE [--launcher-pid PID]\n".utf8))
            return StageExit.usage
        }
        let communicator = MPICommunicator()
        let termination = TerminationRequest()
        termination.install(signals: [SIGTERM, SIGUSR1])
        if communicator.rank == 0 {
            let launcher = LauncherWatch(pid: value("--launcher-pid").flatMap(Int32.init), termination: termination)
            return rankZero(communicator, storePath: storePath, run: run, resultPath: resultPath, termination: termination,
                            launcher: launcher)
        }
        return otherRank(communicator, termination: termination)
    }

    /// Threads of one rank: the parameter, or this host's cores shared by the ranks on it.
    static func rankThreads(_ parameter: Int, _ communicator: Communicator) -> Int {
        parameter > 0 ? parameter : max(1, ProcessInfo.processInfo.activeProcessorCount / max(communicator.localSize, 1))
    }

    private static func rankZero(_ communicator: MPICommunicator, storePath: String, run: Int64, resultPath: String,
                                 termination: TerminationRequest, launcher: LauncherWatch) -> Int32 {
        var result = MPILauncher.Result()
        // The launching stage process reads the result and removes its folder; without it, rank 0 does.
        func report() throws {
            if launcher.gone { try? FileManager.default.removeItem(at: URL(fileURLWithPath: resultPath).deletingLastPathComponent()) }
            else { try result.write(to: resultPath) }
        }
        do {
            let store = try Store.open(storePath)
            let context = try StageRunner.helperContext(stage, store: store, stageRun: run)
            let threads = context.params.int("threads")
            Parallel.threads = rankThreads(threads, communicator)
            let trainer = try makeTrainer(context, communicator: communicator)
            let setup = WorkerSetup(threads: threads, dataset: trainer.dataset, checkpoint: try trainer.checkpoint())
            _ = communicator.broadcast(try setup.encoded())
            do {
                try trainLoop(trainer, context: context, termination: termination)
                result.checkpoint = try finalCheckpoint(trainer, context: context).id.hex
                result.metrics = finalMetrics(trainer)
            } catch let stopped as TrainingStopped {
                // Every rank stopped at this iteration; rank 0 saved the checkpoint.
                result.failure = stopped.message
            }
            try report()
            store.close()
            communicator.finalize()
            return result.failure == nil ? StageExit.ok : StageExit.failed
        } catch {
            let message: String
            if case StageError.failed(_, let text)? = error as? StageError { message = text } else { message = "\(error)" }
            result.failure = "rank 0: \(message)"
            try? report()
            communicator.abort("lzn-train rank 0: \(message)", code: StageExit.failed)
        }
    }

    private static func otherRank(_ communicator: MPICommunicator, termination: TerminationRequest) -> Int32 {
        do {
            var bytes: [UInt8] = []
            communicator.broadcast(&bytes, root: 0)
            let setup = try WorkerSetup.decode(bytes)
            Parallel.threads = rankThreads(setup.threads, communicator)
            let label = "rank 0's state"
            let trainer = try Trainer(config: try setup.checkpoint.config(label: label), dataset: setup.dataset, communicator: communicator)
            try trainer.restore(setup.checkpoint, label: label)
            do {
                try trainLoop(trainer, context: nil, termination: termination)
            } catch is TrainingStopped {}
            communicator.finalize()
            return StageExit.ok
        } catch {
            communicator.abort("lzn-train rank \(communicator.rank): \(error)", code: StageExit.failed)
        }
    }
}

/// Rank 0 stops the job (with a checkpoint) when the stage process that launched it is gone, as a
/// stage process stops when the scheduler is gone.
private final class LauncherWatch: @unchecked Sendable {
    private let lock = NSLock()
    private var isGone = false

    init(pid: Int32?, termination: TerminationRequest) {
        guard let pid else { return }
        Thread.detachNewThread { [self] in
            while kill(pid, 0) == 0 || errno != ESRCH { usleep(250_000) }
            lock.withLock { isGone = true }
            termination.request()
        }
    }

    var gone: Bool { lock.withLock { isGone } }
}
