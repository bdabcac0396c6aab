import Foundation

/// One update of a latent-flow integrator in data-prediction form:
/// x_i = x_{i−1} + γ (x_{i−1} − M_{i−1}) + ε₁ (M_{i−1} − M_{i−2}) + ε₂ (M_{i−2} − M_{i−3}),
/// with M_k = m(x_k, t_k) the posterior mean of the anchors. Euler steps (x ± h·v with
/// v = (x − m)/t) and every DPM-Solver++ multistep order have this shape; writing it with
/// differences keeps float32 exact where x ≈ M (the forward flows' first steps, §1.4).
struct FlowUpdate: Equatable {
    /// How many past data predictions the update reads (1, 2 or 3).
    var order: Int = 1
    var gamma: Double
    var epsilon1: Double = 0
    var epsilon2: Double = 0
}

/// The integrator of a flow: states x_0 … x_S at `times`, one data-prediction evaluation at each
/// of the first S states, and S updates.
struct FlowSchedule: Equatable {
    var times: [Double]
    var updates: [FlowUpdate]
    var steps: Int { updates.count }

    /// Forward Euler latent flow (§1.5): t_k = eps + k·h, h = (1 − eps)/K, ends at t = 1.
    static func eulerForward(steps: Int, eps: Double) -> FlowSchedule {
        let h = (1 - eps) / Double(steps)
        let times = (0...steps).map { eps + Double($0) * h }
        return FlowSchedule(times: times, updates: times.dropLast().map { FlowUpdate(gamma: h / $0) })
    }

    /// Reverse Euler alignment flow (§2.1): t_k = 1 − k/K, x ← x − h·v, last evaluation at t = 1/K.
    static func eulerReverse(steps: Int) -> FlowSchedule {
        let h = 1 / Double(steps)
        let times = (0...steps).map { 1 - Double($0) * h }
        return FlowSchedule(times: times, updates: times.dropLast().map { FlowUpdate(gamma: -h / $0) })
    }

    /// DPM-Solver++ multistep ("dpmsolver" variant) on the time-uniform grid from `start` to `end`
    /// (§1.6 forward: 0.001 → 0.999; §2.2 reverse: 0.999 → 0.001), lower_order_final when S < 10.
    static func dpmSolver(order: Int, steps: Int, start: Double, end: Double) -> FlowSchedule {
        let times = (0...steps).map { start + Double($0) / Double(steps) * (end - start) }
        let lambda = times.map { log1p(-$0) - log($0) }
        var updates: [FlowUpdate] = []
        for i in 1...steps {
            var k = min(order, i)
            if steps < 10 { k = min(k, steps + 1 - i) }
            let t = times[i], s0 = times[i - 1]
            let h = lambda[i] - lambda[i - 1]
            let phi1 = expm1(-h)
            let alphaPhi1 = (1 - t) * phi1
            var update = FlowUpdate(gamma: (t - s0) / s0)
            update.order = k
            if k == 2 {
                let r0 = (lambda[i - 1] - lambda[i - 2]) / h
                update.epsilon1 = -0.5 * alphaPhi1 / r0
            } else if k == 3 {
                let r0 = (lambda[i - 1] - lambda[i - 2]) / h
                let r1 = (lambda[i - 2] - lambda[i - 3]) / h
                let phi2 = phi1 / h + 1
                let phi3 = phi2 / h - 0.5
                let alphaPhi2 = (1 - t) * phi2, alphaPhi3 = (1 - t) * phi3
                // x_t = … + αφ₂ D1 − αφ₃ D2 with D1 = Δ0 + r0/(r0+r1)(Δ0 − Δ1), D2 = (Δ0 − Δ1)/(r0+r1),
                // Δ0 = (M0 − M1)/r0, Δ1 = (M1 − M2)/r1.
                let onDelta0 = alphaPhi2 * (1 + r0 / (r0 + r1)) - alphaPhi3 / (r0 + r1)
                let onDelta1 = -alphaPhi2 * r0 / (r0 + r1) + alphaPhi3 / (r0 + r1)
                update.epsilon1 = onDelta0 / r0
                update.epsilon2 = onDelta1 / r1
            }
            updates.append(update)
        }
        return FlowSchedule(times: times, updates: updates)
    }
}
