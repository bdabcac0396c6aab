/// Runs a `FlowSchedule` for B query rows against one anchor set, and back-propagates through it
/// (LZN-ALGORITHM Appendix B chain rules). The forward keeps only the states x_k it evaluated at
/// (S·B·D values); the backward recomputes π at each of them.
final class MultistepFlow<T: FlowScalar> {
    let schedule: FlowSchedule
    let workspace: PosteriorWorkspace<T>
    var batch: Int { workspace.batch }
    var dimension: Int { workspace.anchors.dimension }
    var anchorCount: Int { workspace.anchors.count }

    init(schedule: FlowSchedule, anchors: AnchorSet<T>, batch: Int) {
        self.schedule = schedule
        workspace = PosteriorWorkspace(anchors: anchors, batch: batch)
    }

    struct Run {
        var final: [T]
        /// x_0 … x_{S−1} concatenated (empty unless kept).
        var states: [T]
    }

    /// Integrates from `start` (B×D). `observe(k, π)` sees each evaluation's posterior (B×N).
    func run(start: [T], keepStates: Bool,
             observe: ((_ evaluation: Int, _ probabilities: UnsafePointer<T>) -> Void)? = nil) -> Run {
        let count = batch * dimension
        let steps = schedule.steps
        var states: [T] = []
        if keepStates { states.reserveCapacity(steps * count) }
        var x = start
        var next = [T](repeating: 0, count: count)
        let history = UnsafeMutablePointer<T>.allocate(capacity: 3 * count)
        defer { history.deallocate() }
        for i in 1...steps {
            let evaluation = i - 1
            if keepStates { states.append(contentsOf: x) }
            let m0 = history + (evaluation % 3) * count
            x.withUnsafeBufferPointer { xb in
                workspace.evaluate(x: xb.baseAddress!, t: schedule.times[evaluation], mean: m0)
            }
            observe?(evaluation, workspace.probabilities)
            let update = schedule.updates[evaluation]
            let gamma = T(update.gamma), e1 = T(update.epsilon1), e2 = T(update.epsilon2)
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
    func backward(states: [T], finalGradient: [T]?,
                  probabilityGradients: [[ProbabilityGradientEntry<T>]]) -> (start: [T], anchors: [T]) {
        let count = batch * dimension
        let steps = schedule.steps
        precondition(states.count == steps * count, "MultistepFlow.backward needs the kept states")
        var gx = finalGradient ?? [T](repeating: 0, count: count)
        var ga = [T](repeating: 0, count: anchorCount * dimension)
        let gm = UnsafeMutablePointer<T>.allocate(capacity: 3 * count)
        gm.initialize(repeating: 0, count: 3 * count)
        defer { gm.deallocate() }
        for i in stride(from: steps, through: 1, by: -1) {
            let evaluation = i - 1
            let update = schedule.updates[evaluation]
            let gamma = T(update.gamma), e1 = T(update.epsilon1), e2 = T(update.epsilon2)
            let g0 = gm + (evaluation % 3) * count
            let g1 = gm + ((evaluation + 2) % 3) * count
            let g2 = gm + ((evaluation + 1) % 3) * count
            let keep = 1 + gamma, on0 = e1 - gamma, on1 = e2 - e1, on2 = -e2
            gx.withUnsafeMutableBufferPointer { gb in
                let g = gb.baseAddress!
                for k in 0..<count {
                    let upstream = g[k]
                    g0[k] += on0 * upstream
                    if update.order >= 2 { g1[k] += on1 * upstream }
                    if update.order >= 3 { g2[k] += on2 * upstream }
                    g[k] = keep * upstream
                }
            }
            let entries = evaluation < probabilityGradients.count ? probabilityGradients[evaluation] : []
            states.withUnsafeBufferPointer { sb in
                gx.withUnsafeMutableBufferPointer { gb in
                    ga.withUnsafeMutableBufferPointer { ab in
                        workspace.accumulateGradient(
                            x: sb.baseAddress! + evaluation * count, t: schedule.times[evaluation],
                            meanGradient: g0, probabilityGradient: entries,
                            xGradient: gb.baseAddress!, anchorGradient: ab.baseAddress!)
                    }
                }
            }
            g0.update(repeating: 0, count: count)
        }
        return (gx, ga)
    }
}
