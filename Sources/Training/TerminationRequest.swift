import Dispatch
import Foundation

/// Turns SIGTERM (the scheduler stopping a stage, or StageKit's parent watch) into a flag the
/// training loop checks between iterations, so it can write a checkpoint before it stops instead
/// of losing the iterations since the last periodic one.
final class TerminationRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var requested = false
    private var source: DispatchSourceSignal?

    /// Starts catching SIGTERM for the rest of the process.
    func install() {
        signal(SIGTERM, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        source.setEventHandler { [weak self] in self?.raise() }
        source.resume()
        self.source = source
    }

    private func raise() {
        lock.lock(); defer { lock.unlock() }
        requested = true
    }

    var isRequested: Bool {
        lock.lock(); defer { lock.unlock() }
        return requested
    }
}
