import Dispatch
import Foundation

/// Splits `count` rows into contiguous chunks run on all cores (row kernels of the posterior).
enum RowParallel {
    static let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    static func forEachChunk(_ count: Int, minimumChunk: Int = 16, _ body: (Range<Int>) -> Void) {
        let chunks = min(workers * 4, max(1, count / minimumChunk))
        guard chunks > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            body((chunk * count / chunks)..<((chunk + 1) * count / chunks))
        }
    }
}
