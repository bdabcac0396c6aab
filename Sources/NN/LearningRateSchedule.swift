import Foundation

/// Linear learning-rate warm-up of LZN-ALGORITHM §3.1: after `step` scheduler steps the factor is
/// 1/warmup + (1 − 1/warmup)·min(step, warmup)/warmup (0.0002 at step 0, 1 from step `warmup` on).
public func warmupFactor(step: Int, warmup: Int = 5000) -> Float {
    precondition(warmup > 0 && step >= 0, "warmupFactor: step \(step), warmup \(warmup)")
    let start = 1 / Double(warmup)
    return Float(start + (1 - start) * Double(min(step, warmup)) / Double(warmup))
}

/// What the learning rate does after the warm-up.
public enum LearningRateSchedule: String, Codable, CaseIterable, Sendable {
    /// The paper's: the full rate until the end (its runs are 200,000 steps long).
    case constant
    /// Half a cosine from the full rate at the end of the warm-up down to 0 at the last step; a
    /// short budget ends at a small rate instead of stopping mid-stride.
    case cosine
}

/// The factor on every part's learning rate after `step` scheduler steps of `total`: the warm-up,
/// times the cosine's 0.5·(1 + cos(π·(step − warmup)/(total − warmup))) from the end of the warm-up
/// on. A cosine with no steps after the warm-up (total ≤ warmup) is the warm-up alone.
public func learningRateFactor(step: Int, warmup: Int, total: Int, schedule: LearningRateSchedule) -> Float {
    let rise = warmupFactor(step: step, warmup: warmup)
    guard schedule == .cosine, total > warmup else { return rise }
    let decayed = Double(min(max(step - warmup, 0), total - warmup)) / Double(total - warmup)
    return rise * Float(0.5 * (1 + cos(Double.pi * decayed)))
}
