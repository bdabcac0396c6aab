import ArgumentParser
import LZN

@main
struct LZNFlowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lzn-flow",
        abstract: "LZN latent flows on .npy files (float32 or float64, B×D).",
        discussion: """
            forward: anchors → latents (every anchor is a query's own start point and a member of the \
            anchor set). reverse: start points → target anchors, optionally weighted, with the \
            per-evaluation assignment probabilities. Computation runs in float64 when the anchors \
            are float64, else in float32; outputs use that dtype.
            """,
        subcommands: [Forward.self, Reverse.self])
}

extension LZNFlowCommand {
    struct Forward: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Latent computation: anchors → latents (LZN-ALGORITHM §1.4–1.6).")

        @Option(help: "Anchors, N×D .npy.") var anchors: String
        @Option(help: "Prior draws, N×D .npy (one standard-normal row per anchor).") var prior: String
        @Option(help: "euler | dpm1 | dpm2 | dpm3.") var solver: String
        @Option(help: "Number of solver steps.") var steps: Int
        @Option(help: "Multiplies the prior draws (0.45 in case study 2).") var priorScale: Double = 1
        @Option(help: "Output latents, N×D .npy.") var out: String

        func validate() throws {
            guard LatentSolver(name: solver) != nil else { throw ValidationError("--solver must be euler, dpm1, dpm2 or dpm3, got '\(solver)'") }
            guard steps >= 1 else { throw ValidationError("--steps must be ≥ 1, got \(steps)") }
            guard priorScale.isFinite else { throw ValidationError("--prior-scale must be finite") }
        }

        func run() throws {
            let anchorInput = try FlowInput(path: anchors)
            let priorInput = try FlowInput(path: prior)
            if anchorInput.dtype == .float64 {
                try compute(anchorInput, priorInput, as: Double.self)
            } else {
                try compute(anchorInput, priorInput, as: Float.self)
            }
        }

        private func compute<T: FlowScalar>(_ anchorInput: FlowInput, _ priorInput: FlowInput, as _: T.Type) throws {
            let a: FlowMatrix<T> = try anchorInput.matrix()
            let z: FlowMatrix<T> = try priorInput.matrix(rows: a.rows, columns: a.columns)
            let flow = try ForwardLatentFlow(ownAnchors: a, anchorSet: a, prior: z, solver: LatentSolver(name: solver)!,
                                             steps: steps, priorScale: priorScale, keepTrajectory: false)
            try writeOutput(flow.latents.values, shape: [a.rows, a.columns], to: out)
        }
    }

    struct Reverse: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Latent alignment: start points → anchors (LZN-ALGORITHM §2.1–2.2).")

        @Option(help: "Target anchors, N×D .npy.") var anchors: String
        @Option(help: "Start points (latents), B×D .npy.") var start: String
        @Option(help: "euler | dpm3 (dpm1, dpm2 also accepted).") var solver: String
        @Option(help: "Number of solver steps.") var steps: Int
        @Option(help: "Per-anchor weights, N .npy (non-negative, not all zero).") var weights: String?
        @Option(help: "Output end points, B×D .npy.") var out: String
        @Option(help: "Output assignment probabilities, steps×B×N .npy (row-normalised).") var probsOut: String?

        func validate() throws {
            guard LatentSolver(name: solver) != nil else { throw ValidationError("--solver must be euler or dpm3, got '\(solver)'") }
            guard steps >= 1 else { throw ValidationError("--steps must be ≥ 1, got \(steps)") }
        }

        func run() throws {
            let anchorInput = try FlowInput(path: anchors)
            let startInput = try FlowInput(path: start)
            let weightInput = try weights.map(FlowInput.init(path:))
            if anchorInput.dtype == .float64 {
                try compute(anchorInput, startInput, weightInput, as: Double.self)
            } else {
                try compute(anchorInput, startInput, weightInput, as: Float.self)
            }
        }

        private func compute<T: FlowScalar>(_ anchorInput: FlowInput, _ startInput: FlowInput, _ weightInput: FlowInput?,
                                            as _: T.Type) throws {
            let a: FlowMatrix<T> = try anchorInput.matrix()
            let x: FlowMatrix<T> = try startInput.matrix(columns: a.columns)
            let w: [T]? = try weightInput?.weights(count: a.rows)
            let flow = try ReverseLatentFlow(start: x, targetAnchors: a, weights: w, solver: LatentSolver(name: solver)!,
                                             steps: steps, recording: probsOut == nil ? .none : .all, keepTrajectory: false)
            try writeOutput(flow.final.values, shape: [x.rows, x.columns], to: out)
            if let probsOut {
                try writeOutput(flow.probabilities.flatMap(\.values), shape: [steps, x.rows, a.rows], to: probsOut)
            }
        }
    }
}
