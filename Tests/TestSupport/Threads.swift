import Engine
import XCTest

/// The engine's worker count in tests whose numbers depend on the summation order (training runs
/// judged by thresholds, values compared with hand-computed ones). A thread count gives bitwise
/// reproducible results; other counts agree only to float tolerance (`TrainingThreadsTests`), so
/// such tests pin the count instead of following the machine's cores.
public let pinnedTestThreads = 2

extension XCTestCase {
    /// Sets `Parallel.threads` for this test and restores it when the test ends.
    public func pinEngineThreads(_ threads: Int = pinnedTestThreads) {
        let saved = Parallel.threads
        Parallel.threads = threads
        addTeardownBlock { Parallel.threads = saved }
    }
}
