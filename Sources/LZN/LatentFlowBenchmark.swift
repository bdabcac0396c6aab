import Dispatch
import Engine
import Foundation

/// Times the measurement of `torch_reference.py --flow-sizes`: one forward Euler latent flow
/// (anchors as own start points and anchor set, standard-normal anchors and prior) plus the
/// backward of sum(latent²), in float32. Returns the median over `repeats` runs after one warm-up,
/// and the process's peak resident memory (VmHWM) in MB.
public func latentFlowBenchmark(batch: Int, dim: Int, steps: Int = 20, repeats: Int = 3) throws -> (seconds: Double, peakRSSMB: Double) {
    var random = Philox(seed: 0x1A7E27)
    let anchors = FlowMatrix<Float>(rows: batch, columns: dim, values: (0..<(batch * dim)).map { _ in random.normal() })
    let prior = FlowMatrix<Float>(rows: batch, columns: dim, values: (0..<(batch * dim)).map { _ in random.normal() })
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
