/// The integrators of the latent flows.
public enum LatentSolver: Equatable, Sendable, CustomStringConvertible {
    /// Euler on the closed-form velocity (§1.5 forward, §2.1 reverse).
    case euler
    /// DPM-Solver++ multistep of order 1, 2 or 3 on the time-uniform grid (§1.6, §2.2).
    case dpmSolver(order: Int)

    /// Parses the command-line names `euler`, `dpm1`, `dpm2`, `dpm3`.
    public init?(name: String) {
        switch name {
        case "euler": self = .euler
        case "dpm1": self = .dpmSolver(order: 1)
        case "dpm2": self = .dpmSolver(order: 2)
        case "dpm3": self = .dpmSolver(order: 3)
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .euler: return "euler"
        case .dpmSolver(let order): return "dpm\(order)"
        }
    }

    /// The start-point eps of the forward flow (§1.4): 1e-4 for Euler, 1e-3 for DPM-Solver++.
    public var forwardEps: Double {
        switch self {
        case .euler: return 1e-4
        case .dpmSolver: return 1e-3
        }
    }

    func validate() throws {
        if case .dpmSolver(let order) = self, !(1...3).contains(order) {
            throw LatentFlowError.invalidParameter(name: "solver", reason: "DPM-Solver++ order must be 1, 2 or 3, got \(order)")
        }
    }

    /// Forward (anchors → latent): Euler ends at t = 1, DPM-Solver++ at t = 1 − 1e-3.
    func forwardSchedule(steps: Int) -> FlowSchedule {
        switch self {
        case .euler: return .eulerForward(steps: steps, eps: forwardEps)
        case .dpmSolver(let order): return .dpmSolver(order: order, steps: steps, start: 1e-3, end: 1 - 1e-3)
        }
    }

    /// Reverse (latent → anchors): Euler from t = 1 to 0, DPM-Solver++ from 0.999 to 0.001.
    func reverseSchedule(steps: Int) -> FlowSchedule {
        switch self {
        case .euler: return .eulerReverse(steps: steps)
        case .dpmSolver(let order): return .dpmSolver(order: order, steps: steps, start: 1 - 1e-3, end: 1e-3)
        }
    }
}
