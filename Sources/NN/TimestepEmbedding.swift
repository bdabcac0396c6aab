import Engine
import Foundation

/// Sinusoidal embedding of 999·τ (MODELS.md, LZN-ALGORITHM §4.3): frequencies
/// exp(−ln(10000)·i/(half−1)) for i < half = dim/2, output [sin(args) ‖ cos(args)], shape [B, dim].
/// τ is data, not a parameter: the result carries no gradient.
public func timestepEmbedding(_ tau: Tensor, dim: Int = 32) -> Tensor {
    precondition(tau.rank == 1, "timestepEmbedding: tau must be [B], got \(tau.shape)")
    precondition(dim >= 4 && dim % 2 == 0, "timestepEmbedding: dim \(dim) must be even and ≥ 4")
    let half = dim / 2
    let negativeLogMaxPeriod = -Float(Foundation.log(10000.0))
    let frequencies = (0..<half).map { Foundation.exp(negativeLogMaxPeriod * Float($0) / Float(half - 1)) }
    let times = tau.values
    var out = [Float](repeating: 0, count: times.count * dim)
    for (row, time) in times.enumerated() {
        let t = time * 999
        for i in 0..<half {
            let arg = t * frequencies[i]
            out[row * dim + i] = Foundation.sin(arg)
            out[row * dim + half + i] = Foundation.cos(arg)
        }
    }
    return Tensor(shape: [times.count, dim], values: out)
}
