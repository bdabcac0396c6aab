import Dispatch
import Foundation

/// Turns SIGTERM (the scheduler stopping a stage, or StageKit's parent watch) into a flag the
/// training loop checks between iterations, so it can write a checkpoint before it stops instead
/// of losing the iterations since the last periodic one.
final class TerminationRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var sources: [DispatchSourceSignal] = []

    /// Starts catching `signals` (SIGTERM; an MPI rank also SIGUSR1, which mpirun forwards to every
    /// rank) for the rest of the process.
    func install(signals: [Int32] = [SIGTERM]) {
        for number in signals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.request() }
            source.resume()
            sources.append(source)
        }
    }

    /// Asks the training loop to stop, as the signals do.
    func request() {
        lock.lock(); defer { lock.unlock() }
        requested = true
    }

    var isRequested: Bool {
        lock.lock(); defer { lock.unlock() }
        return requested
    }
}
