/// Runs a `FlowSchedule` for B query rows through one `FlowField`, and back-propagates through it
/// (LZN-ALGORITHM Appendix B chain rules). States, data predictions and gradient accumulators are
/// float64 (B×D each, cheap); only the posterior GEMMs may run in float32. The forward keeps only
/// the states x_k it evaluated at (S·B·D values); the backward recomputes π at each of them.
final class MultistepFlow {
    let schedule: FlowSchedule
    let field: FlowField
    var batch: Int { field.batch }
    var dimension: Int { field.dimension }
    var anchorCount: Int { field.count }

    init(schedule: FlowSchedule, field: FlowField) {
        self.schedule = schedule
        self.field = field
    }

    struct Run {
        var final: [Double]
        /// x_0 … x_{S−1} concatenated (empty unless kept).
        var states: [Double]
    }

    /// Integrates from `start` (B×D). `observe(k, π)` sees each evaluation's posterior (B×N).
    func run(start: [Double], keepStates: Bool,
             observe: ((_ evaluation: Int, _ probabilities: FlowField.Probabilities) -> Void)? = nil) -> Run {
        let count = batch * dimension
        let steps = schedule.steps
        var states: [Double] = []
        if keepStates { states.reserveCapacity(steps * count) }
        var x = start
        var next = [Double](repeating: 0, count: count)
        let history = UnsafeMutablePointer<Double>.allocate(capacity: 3 * count)
        defer { history.deallocate() }
        for evaluation in 0..<steps {
            if keepStates { states.append(contentsOf: x) }
            let m0 = history + (evaluation % 3) * count
            let probabilities = x.withUnsafeBufferPointer { xb in
                field.evaluate(x: xb.baseAddress!, t: schedule.times[evaluation], mean: m0, recording: observe != nil,
                               keptAs: keepStates ? evaluation : nil)
            }
            if let observe, let probabilities { observe(evaluation, probabilities) }
            let update = schedule.updates[evaluation]
            let gamma = update.gamma, e1 = update.epsilon1, e2 = update.epsilon2
            let m1 = history + ((evaluation + 2) % 3) * count
            let m2 = history + ((evaluation + 1) % 3) * count
            x.withUnsafeBufferPointer { xb in
                next.withUnsafeMutableBufferPointer { nb in
                    let xp = xb.baseAddress!, np = nb.baseAddress!
                    switch update.order {
                    case 1:
                        for k in 0..<count { np[k] = xp[k] + gamma * (xp[k] - m0[k]) }
                    case 2:
                        for k in 0..<count { np[k] = xp[k] + gamma * (xp[k] - m0[k]) + e1 * (m0[k] - m1[k]) }
                    default:
                        for k in 0..<count {
                            np[k] = xp[k] + gamma * (xp[k] - m0[k]) + e1 * (m0[k] - m1[k]) + e2 * (m1[k] - m2[k])
                        }
                    }
                }
            }
            swap(&x, &next)
        }
        return Run(final: x, states: states)
    }

    /// Gradients w.r.t. the start point (B×D) and the anchor set (N×D), given the upstream
    /// gradient on the final state (nil = zero) and sparse upstream gradients on each
    /// evaluation's π (`probabilityGradients[k]`, may be shorter than the number of evaluations).
    func backward(states: [Double], finalGradient: [Double]?,
                  probabilityGradients: [[ProbabilityGradientEntry<Double>]]) -> (start: [Double], anchors: [Double]) {
        let count = batch * dimension
        let steps = schedule.steps
        precondition(states.count == steps * count, "MultistepFlow.backward needs the kept states")
        var gx = finalGradient ?? [Double](repeating: 0, count: count)
        var ga = [Double](repeating: 0, count: anchorCount * dimension)
        let gm = UnsafeMutablePointer<Double>.allocate(capacity: 3 * count)
        gm.initialize(repeating: 0, count: 3 * count)
        defer { gm.deallocate() }
        for evaluation in stride(from: steps - 1, through: 0, by: -1) {
            let update = schedule.updates[evaluation]
            let g0 = gm + (evaluation % 3) * count
            let g1 = gm + ((evaluation + 2) % 3) * count
            let g2 = gm + ((evaluation + 1) % 3) * count
            // Through x_{k+1} = x_k + γ (x_k − M_k) + ε₁ (M_k − M_{k−1}) + ε₂ (M_{k−1} − M_{k−2}).
            let keep = 1 + update.gamma, on0 = update.epsilon1 - update.gamma
            let on1 = update.epsilon2 - update.epsilon1, on2 = -update.epsilon2
            gx.withUnsafeMutableBufferPointer { gb in
                let g = gb.baseAddress!
                for k in 0..<count { g0[k] += on0 * g[k] }
                if update.order >= 2 { for k in 0..<count { g1[k] += on1 * g[k] } }
                if update.order >= 3 { for k in 0..<count { g2[k] += on2 * g[k] } }
                for k in 0..<count { g[k] *= keep }
            }
            // Through M_k = m(x_k, t_k) and π_k (its gradient is complete: M_k feeds updates k..k+2).
            let entries = evaluation < probabilityGradients.count ? probabilityGradients[evaluation] : []
            states.withUnsafeBufferPointer { sb in
                gx.withUnsafeMutableBufferPointer { gb in
                    ga.withUnsafeMutableBufferPointer { ab in
                        field.accumulateGradient(
                            x: sb.baseAddress! + evaluation * count, t: schedule.times[evaluation],
                            meanGradient: g0, probabilityGradient: entries,
                            xGradient: gb.baseAddress!, anchorGradient: ab.baseAddress!, keptAs: evaluation)
                    }
                }
            }
            g0.update(repeating: 0, count: count)
        }
        return (gx, ga)
    }
}
