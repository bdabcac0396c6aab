/// Linear learning-rate warm-up of LZN-ALGORITHM §3.1: after `step` scheduler steps the factor is
/// 1/warmup + (1 − 1/warmup)·min(step, warmup)/warmup (0.0002 at step 0, 1 from step `warmup` on).
public func warmupFactor(step: Int, warmup: Int = 5000) -> Float {
    precondition(warmup > 0 && step >= 0, "warmupFactor: step \(step), warmup \(warmup)")
    let start = 1 / Double(warmup)
    return Float(start + (1 - start) * Double(min(step, warmup)) / Double(warmup))
}
