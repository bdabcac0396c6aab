import XCTest
@testable import Engine

final class MatMulTests: XCTestCase {
    /// op(a)·op(b) by explicit loops over [batch, rows, cols] arrays (batch 1 for 2-D).
    private func naiveProduct(_ a: Tensor, _ b: Tensor, _ ta: Bool, _ tb: Bool) -> [Float] {
        let av = a.values, bv = b.values
        let batch = a.rank == 3 ? a.shape[0] : 1
        let (ar, ac) = (a.shape[a.rank - 2], a.shape[a.rank - 1]), (br, bc) = (b.shape[b.rank - 2], b.shape[b.rank - 1])
        let (m, k) = ta ? (ac, ar) : (ar, ac), n = tb ? br : bc
        var out = [Float](repeating: 0, count: batch * m * n)
        for s in 0..<batch {
            let aBase = s * ar * ac, bBase = b.rank == 3 ? s * br * bc : 0
            for i in 0..<m { for j in 0..<n {
                var total: Float = 0
                for p in 0..<k {
                    let x = ta ? av[aBase + p * ac + i] : av[aBase + i * ac + p]
                    let y = tb ? bv[bBase + j * bc + p] : bv[bBase + p * bc + j]
                    total += x * y
                }
                out[(s * m + i) * n + j] = total
            } }
        }
        return out
    }

    private func shapes(rankA: Int, rankB: Int, ta: Bool, tb: Bool) -> ([Int], [Int]) {
        let (m, k, n, batch) = (3, 4, 5, 2)
        let a2 = ta ? [k, m] : [m, k], b2 = tb ? [n, k] : [k, n]
        return (rankA == 3 ? [batch] + a2 : a2, rankB == 3 ? [batch] + b2 : b2)
    }

    func testAgainstNaiveLoopsForEveryLayoutAndTranspose() {
        for (rankA, rankB) in [(2, 2), (3, 3), (3, 2)] {
            for ta in [false, true] { for tb in [false, true] {
                let (sa, sb) = shapes(rankA: rankA, rankB: rankB, ta: ta, tb: tb)
                let a = randomTensor(sa, seed: 70), b = randomTensor(sb, seed: 71)
                let got = matmul(a, b, transposeA: ta, transposeB: tb)
                let expected = naiveProduct(a, b, ta, tb)
                XCTAssertEqual(got.count, expected.count)
                for (g, e) in zip(got.values, expected) {
                    XCTAssertEqual(g, e, accuracy: 1e-5, "\(sa)\(ta ? "ᵀ" : "") × \(sb)\(tb ? "ᵀ" : "")")
                }
            } }
        }
    }

    func testProductsSplitAcrossWorkersMatchTheLoops() {
        // Above 2^20 multiply-adds sgemm splits C into bands per worker: by rows when m ≥ n (m = 150), by
        // columns otherwise (n = 150), with band edges at multiples of 16 that do not divide 150.
        let saved = Parallel.threads
        defer { Parallel.threads = saved }
        for threads in [2, 3] {
            Parallel.threads = threads
            for (m, n) in [(150, 70), (70, 150)] {
                for ta in [false, true] { for tb in [false, true] {
                    let k = 110
                    let a = randomTensor(ta ? [k, m] : [m, k], seed: 74), b = randomTensor(tb ? [n, k] : [k, n], seed: 75)
                    XCTAssertGreaterThanOrEqual(m * n * k, 1 << 20)
                    let got = matmul(a, b, transposeA: ta, transposeB: tb).values
                    for (g, e) in zip(got, naiveProduct(a, b, ta, tb)) {
                        XCTAssertEqual(g, e, accuracy: 1e-4, "threads \(threads) \(m)x\(n) \(ta) \(tb)")
                    }
                } }
            }
        }
    }

    func testGradientsForEveryLayoutAndTranspose() {
        for (rankA, rankB) in [(2, 2), (3, 3), (3, 2)] {
            for ta in [false, true] { for tb in [false, true] {
                let (sa, sb) = shapes(rankA: rankA, rankB: rankB, ta: ta, tb: tb)
                let a = randomTensor(sa, seed: 72), b = randomTensor(sb, seed: 73)
                assertGradientsMatch([a, b], "\(sa)\(ta ? "ᵀ" : "") × \(sb)\(tb ? "ᵀ" : "")") {
                    matmul(a, b, transposeA: ta, transposeB: tb)
                }
            } }
        }
    }

    func testSgemmBenchmarkReportsAPositiveRate() {
        XCTAssertGreaterThan(sgemmBenchmark(n: 64, repeats: 3), 0)
    }
}
