import XCTest
@testable import Engine

final class RandomTests: XCTestCase {
    override func tearDown() {
        Parallel.threads = ProcessInfo.processInfo.activeProcessorCount
    }

    func testPhiloxKnownAnswer() {
        // Random123's kat_vectors: philox4x32_10 with counter = key = 0 gives 6627e8d5 e169c58d bc57ac4c 9b00dbd8.
        var rng = Philox(seed: 0, stream: 0)
        XCTAssertEqual((0..<4).map { _ in rng.nextUInt32() }, [0x6627_E8D5, 0xE169_C58D, 0xBC57_AC4C, 0x9B00_DBD8])
    }

    func testSameSeedSameStreamAndDifferentStreamsDiffer() {
        var a = Philox(seed: 42), b = Philox(seed: 42), c = Philox(seed: 42, stream: 1), d = Philox(seed: 43)
        let sa = (0..<16).map { _ in a.nextUInt32() }
        XCTAssertEqual(sa, (0..<16).map { _ in b.nextUInt32() })
        XCTAssertNotEqual(sa, (0..<16).map { _ in c.nextUInt32() })
        XCTAssertNotEqual(sa, (0..<16).map { _ in d.nextUInt32() })
        let parent = Philox(seed: 42)
        XCTAssertEqual(parent.split(3), parent.split(3))
        XCTAssertNotEqual(parent.split(3), parent.split(4))
    }

    func testFillNormalIsIndependentOfThreadCount() {
        var results: [[Float]] = []
        for threads in [1, 2, 3] {
            Parallel.threads = threads
            var rng = Philox(seed: 9)
            var values = [Float](repeating: 0, count: 100_003)
            values.withUnsafeMutableBufferPointer { rng.fillNormal($0, std: 2) }
            var uniform = [Float](repeating: 0, count: 50_001)
            uniform.withUnsafeMutableBufferPointer { rng.fillUniform($0, low: -1, high: 1) }
            results.append(values + uniform + [rng.normal()])
        }
        XCTAssertEqual(results[0], results[1])
        XCTAssertEqual(results[0], results[2])
    }

    /// A data-parallel rank draws its slice of a batch-wide fill: the same values, and the generator
    /// ends where the whole fill leaves it.
    func testSlicedFillsEqualTheSliceOfTheWholeFill() {
        for (total, slice) in [(103, 0..<103), (103, 13..<58), (103, 101..<103), (8, 4..<8), (5, 2..<2)] {
            var whole = Philox(seed: 4, stream: 2), part = whole
            _ = whole.nextUInt32(); _ = part.nextUInt32()   // start off a block boundary
            var all = [Float](repeating: 0, count: total), some = [Float](repeating: .nan, count: slice.count)
            all.withUnsafeMutableBufferPointer { whole.fillNormal($0, std: 3) }
            some.withUnsafeMutableBufferPointer { part.fillNormal($0, std: 3, slice: slice, of: total) }
            XCTAssertEqual(some, Array(all[slice]), "normal \(slice) of \(total)")
            XCTAssertEqual(part, whole)
            all.withUnsafeMutableBufferPointer { whole.fillUniform($0, low: -2, high: 5) }
            some.withUnsafeMutableBufferPointer { part.fillUniform($0, low: -2, high: 5, slice: slice, of: total) }
            XCTAssertEqual(some, Array(all[slice]), "uniform \(slice) of \(total)")
            XCTAssertEqual(part, whole)
            let rows = Tensor.normal([slice.count, 1], rng: &part, rows: slice, of: total).values
            XCTAssertEqual(rows, Array(Tensor.normal([total, 1], rng: &whole).values[slice]))
        }
    }

    func testNormalAndUniformStatistics() {
        var rng = Philox(seed: 1)
        let n = 200_000
        let normal = Tensor.normal([n], std: 1, rng: &rng).values
        let mean = normal.reduce(0, +) / Float(n)
        let variance = normal.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(n)
        XCTAssertEqual(mean, 0, accuracy: 0.01)
        XCTAssertEqual(variance, 1, accuracy: 0.015)
        // Tail mass beyond 2σ is 4.55%.
        XCTAssertEqual(Float(normal.filter { Swift.abs($0) > 2 }.count) / Float(n), 0.0455, accuracy: 0.003)
        let scalarNormals = (0..<20_000).map { _ in rng.normal() }
        XCTAssertEqual(scalarNormals.reduce(0, +) / 20_000, 0, accuracy: 0.03)

        let uniform = Tensor.uniform([n], low: 2, high: 4, rng: &rng).values
        XCTAssertTrue(uniform.allSatisfy { $0 >= 2 && $0 < 4 })
        XCTAssertEqual(uniform.reduce(0, +) / Float(n), 3, accuracy: 0.01)
        var histogram = [Int](repeating: 0, count: 10)
        for v in uniform { histogram[min(9, Int((v - 2) * 5))] += 1 }
        XCTAssertTrue(histogram.allSatisfy { Swift.abs($0 - n / 10) < n / 100 }, "\(histogram)")
    }

    func testUniformIntAndPermutation() {
        var rng = Philox(seed: 5)
        var counts = [Int](repeating: 0, count: 7)
        for _ in 0..<70_000 { counts[rng.uniformInt(7)] += 1 }
        XCTAssertTrue(counts.allSatisfy { Swift.abs($0 - 10_000) < 500 }, "\(counts)")
        let permutation = rng.permutation(100)
        XCTAssertEqual(permutation.sorted(), Array(0..<100))
        XCTAssertNotEqual(permutation, Array(0..<100))
    }

    func testCodableStateResumesTheStream() throws {
        var rng = Philox(seed: 11, stream: 2)
        _ = (0..<5).map { _ in rng.nextUInt32() }
        let restored = try JSONDecoder().decode(Philox.self, from: JSONEncoder().encode(rng))
        XCTAssertEqual(restored, rng)
        var a = rng, b = restored
        XCTAssertEqual((0..<9).map { _ in a.nextUInt32() }, (0..<9).map { _ in b.nextUInt32() })
    }
}
