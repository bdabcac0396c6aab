import Dispatch

/// Median GFLOP/s of `repeats` n×n×n sgemm calls (2n³ flops each) on the current `Parallel.threads`.
public func sgemmBenchmark(n: Int, repeats: Int) -> Double {
    precondition(n > 0 && repeats > 0, "sgemmBenchmark: n and repeats must be positive")
    var rng = Philox(seed: 1)
    let a = Tensor.uniform([n, n], low: -1, high: 1, rng: &rng)
    let b = Tensor.uniform([n, n], low: -1, high: 1, rng: &rng)
    let c = Tensor(uninitializedShape: [n, n])
    sgemm(false, false, m: n, n: n, k: n, a.data, b.data, c.data)  // warm-up
    var rates: [Double] = []
    for _ in 0..<repeats {
        let start = DispatchTime.now().uptimeNanoseconds
        sgemm(false, false, m: n, n: n, k: n, a.data, b.data, c.data)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        rates.append(2 * Double(n) * Double(n) * Double(n) / seconds / 1e9)
    }
    rates.sort()
    return rates.count % 2 == 1 ? rates[rates.count / 2] : (rates[rates.count / 2 - 1] + rates[rates.count / 2]) / 2
}
