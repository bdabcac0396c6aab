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

    func testNestedRegionsRunInlineOnTheirThread() {
        Parallel.threads = 2
        let visits = UnsafeMutableBufferPointer<Int>.allocate(capacity: 4 * 50)
        let innerWorkers = UnsafeMutableBufferPointer<Int>.allocate(capacity: 4 * 50)
        defer { visits.deallocate(); innerWorkers.deallocate() }
        visits.initialize(repeating: 0)
        innerWorkers.initialize(repeating: -1)
        Parallel.forEachDynamically(4) { _, outer in
            Parallel.forEachDynamically(50) { worker, inner in
                visits[outer * 50 + inner] += 1
                innerWorkers[outer * 50 + inner] = worker
            }
        }
        XCTAssertTrue(visits.allSatisfy { $0 == 1 })
        XCTAssertTrue(innerWorkers.allSatisfy { $0 == 0 }, "a nested region must not hand items to other threads")
    }

    func testManyShortRegionsAndRegionsAfterTheWorkersPark() {
        // Thousands of back-to-back regions (workers spinning between them), then regions separated by
        // pauses longer than the spin (workers parked and woken): every item exactly once, every time.
        Parallel.threads = 3
        var total = 0, largestWorker = 0
        let sums = UnsafeMutableBufferPointer<Int>.allocate(capacity: 3), workers = UnsafeMutableBufferPointer<Int>.allocate(capacity: 3)
        defer { sums.deallocate(); workers.deallocate() }
        for round in 0..<5000 {
            sums.initialize(repeating: 0)
            Parallel.forEachDynamically(3) { worker, index in
                sums[index] = round + index
                workers[index] = worker
            }
            total += sums.reduce(0, +)
            largestWorker = max(largestWorker, workers.max()!)
        }
        XCTAssertEqual(total, (0..<5000).reduce(0) { $0 + 3 * $1 + 3 })
        XCTAssertLessThan(largestWorker, 3)
        for _ in 0..<3 {
            Thread.sleep(forTimeInterval: 3 * WorkerPool.spinSeconds)
            let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: 64)
            defer { counts.deallocate() }
            counts.initialize(repeating: 0)
            Parallel.forEach(64) { counts[$0] += 1 }
            XCTAssertTrue(counts.allSatisfy { $0 == 1 })
        }
    }

    func testRegionsStartedFromTwoThreadsAtOnceBothFinish() {
        // The pool runs one region at a time; a region started meanwhile by another thread runs on that thread.
        Parallel.threads = 2
        final class Sums: @unchecked Sendable {
            let lock = NSLock()
            var values = [0, 0]
        }
        let sums = Sums()
        let group = DispatchGroup()
        for caller in 0..<2 {
            DispatchQueue.global().async(group: group) {
                var sum = 0
                for _ in 0..<200 {
                    let values = UnsafeMutableBufferPointer<Int>.allocate(capacity: 100)
                    Parallel.forEach(100) { values[$0] = $0 }
                    sum += values.reduce(0, +)
                    values.deallocate()
                }
                sums.lock.lock()
                sums.values[caller] = sum
                sums.lock.unlock()
            }
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        XCTAssertEqual(sums.values, [200 * 4950, 200 * 4950])
    }
}
