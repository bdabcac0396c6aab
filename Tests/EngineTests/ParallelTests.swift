import XCTest
@testable import Engine

final class ParallelTests: XCTestCase {
    override func tearDown() {
        Parallel.threads = ProcessInfo.processInfo.activeProcessorCount
    }

    func testForEachVisitsEveryIndexOnce() {
        for threads in [1, 2, 5] {
            Parallel.threads = threads
            let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 1000)
            defer { counts.deallocate() }
            counts.initialize(repeating: 0)
            Parallel.forEach(1000) { counts[$0] += 1 }
            XCTAssertTrue(counts.allSatisfy { $0 == 1 }, "threads \(threads)")
        }
    }

    func testDynamicForEachVisitsEveryIndexOnceWithinTheWorkerCount() {
        for threads in [1, 2, 5] {
            Parallel.threads = threads
            let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 1000)
            let workers = UnsafeMutableBufferPointer<Int>.allocate(capacity: 1000)
            defer { counts.deallocate(); workers.deallocate() }
            counts.initialize(repeating: 0)
            Parallel.forEachDynamically(1000) { worker, index in
                counts[index] += 1
                workers[index] = worker
            }
            XCTAssertTrue(counts.allSatisfy { $0 == 1 }, "threads \(threads)")
            XCTAssertTrue(workers.allSatisfy { $0 >= 0 && $0 < threads }, "threads \(threads)")
        }
        Parallel.threads = 4
        let lock = NSLock()
        var visited: [Int] = []
        Parallel.forEachDynamically(2) { _, index in
            lock.lock()
            visited.append(index)
            lock.unlock()
        }
        XCTAssertEqual(visited.sorted(), [0, 1])
    }

    func testRangesAreContiguousAndCoverTheCount() {
        Parallel.threads = 3
        let lock = NSLock()
        var seen: [Range<Int>] = []
        Parallel.ranges(100, grain: 10) { range in
            lock.lock()
            seen.append(range)
            lock.unlock()
        }
        seen.sort { $0.lowerBound < $1.lowerBound }
        XCTAssertEqual(seen.count, 3)
        XCTAssertEqual(seen.first?.lowerBound, 0)
        XCTAssertEqual(seen.last?.upperBound, 100)
        for (a, b) in zip(seen, seen.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound) }
    }
}
