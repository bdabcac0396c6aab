import Dispatch
import Foundation

/// Times the measurement of `torch_reference.py --flow-sizes`: one forward Euler latent flow
/// (anchors as own start points and anchor set, standard-normal anchors and prior) plus the
/// backward of sum(latent²), in float32. Returns the median over `repeats` runs after one warm-up,
/// and the process's peak resident memory (VmHWM) in MB.
public func latentFlowBenchmark(batch: Int, dim: Int, steps: Int = 20, repeats: Int = 3) throws -> (seconds: Double, peakRSSMB: Double) {
    OpenBLASCore.selectOptimizedKernels()
    var random = BenchmarkNormals(seed: 0x1A7E27)
    let anchors = FlowMatrix<Float>(rows: batch, columns: dim, values: (0..<(batch * dim)).map { _ in random.next() })
    let prior = FlowMatrix<Float>(rows: batch, columns: dim, values: (0..<(batch * dim)).map { _ in random.next() })
    func once() throws {
        let flow = try ForwardLatentFlow(ownAnchors: anchors, anchorSet: anchors, prior: prior, solver: .euler, steps: steps)
        let upstream = FlowMatrix(rows: batch, columns: dim, values: flow.latents.values.map { 2 * $0 })
        _ = try flow.gradients(latentGradient: upstream)
    }
    try once()
    var times: [Double] = []
    for _ in 0..<max(1, repeats) {
        let start = DispatchTime.now().uptimeNanoseconds
        try once()
        times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    times.sort()
    return (times[times.count / 2], peakResidentMegabytes())
}

/// VmHWM of /proc/self/status in MB (0 where unavailable).
func peakResidentMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
          let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kilobytes / 1024
}

/// Seeded standard normals for the benchmark inputs (SplitMix64 + Box–Muller).
struct BenchmarkNormals {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> Float {
        func uniform() -> Double {
            state &+= 0x9E3779B97F4A7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58476D1CE4E5B9
            z = (z ^ (z >> 27)) &* 0x94D049BB133111EB
            return (Double((z ^ (z >> 31)) >> 11) + 0.5) / 9007199254740992
        }
        return Float((-2 * Foundation.log(uniform())).squareRoot() * Foundation.cos(2 * Double.pi * uniform()))
    }
}
