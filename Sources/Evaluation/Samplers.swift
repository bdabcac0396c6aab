// Samplers of the image rectified flow (LZN-ALGORITHM.md §5). Image time τ: 0 = noise, 1 = image.

/// The decoder velocity û(x, τ) for a whole batch flattened into one vector, τ given to every sample.
/// Must return a vector of the same length as `x`.
public typealias ImageVelocity = (_ x: [Float], _ tau: Float) throws -> [Float]

/// What a sampler returns: the end state (image, or initial noise for an inverse) and its NFE.
public struct SamplerOutput: Sendable {
    public var x: [Float]
    public var nfe: Int
}

/// The image-flow samplers the evaluation stages choose between.
public enum ImageSampler: Sendable, Equatable {
    case euler(steps: Int)
    case rk45(rtol: Double, atol: Double)

    /// τ of the noise end (ε_img of §5).
    public static let epsilon: Float = 1e-3

    /// Noise → image.
    public func sample(noise: [Float], velocity: ImageVelocity) throws -> SamplerOutput {
        switch self {
        case .euler(let steps): return try EulerSampler(steps: steps).sample(noise: noise, velocity: velocity)
        case .rk45(let rtol, let atol): return try RK45Sampler(rtol: rtol, atol: atol).sample(noise: noise, velocity: velocity)
        }
    }

    /// Image → computed initial noise.
    public func invert(image: [Float], velocity: ImageVelocity) throws -> SamplerOutput {
        switch self {
        case .euler(let steps): return try EulerSampler(steps: steps).invert(image: image, velocity: velocity)
        case .rk45(let rtol, let atol): return try RK45Sampler(rtol: rtol, atol: atol).invert(image: image, velocity: velocity)
        }
    }

    /// A short name for metrics and tags: `euler10`, `rk45`.
    public var name: String {
        switch self {
        case .euler(let steps): return "euler\(steps)"
        case .rk45: return "rk45"
        }
    }
}

/// §5.1: fixed-step Euler with Δ = (1 − ε)/steps, NFE = steps.
public struct EulerSampler: Sendable {
    public let steps: Int
    public let epsilon: Float

    public init(steps: Int, epsilon: Float = ImageSampler.epsilon) {
        self.steps = steps
        self.epsilon = epsilon
    }

    private var delta: Double { (1 - Double(epsilon)) / Double(steps) }

    /// x ← x + Δ·û(x, τ) at τ = ε, ε+Δ, …; returns x at τ = 1.
    public func sample(noise: [Float], velocity: ImageVelocity) throws -> SamplerOutput {
        try validate()
        var x = noise
        for step in 0..<steps {
            let tau = Double(epsilon) + Double(step) * delta
            try Self.axpy(&x, Float(delta), velocity(x, Float(tau)))
        }
        return SamplerOutput(x: x, nfe: steps)
    }

    /// x ← x − Δ·û(x, τ) at τ = 1, 1−Δ, …, ε+Δ; the final x is the initial noise (no correction).
    public func invert(image: [Float], velocity: ImageVelocity) throws -> SamplerOutput {
        try validate()
        var x = image
        for step in 0..<steps {
            let tau = 1 - Double(step) * delta
            try Self.axpy(&x, Float(-delta), velocity(x, Float(tau)))
        }
        return SamplerOutput(x: x, nfe: steps)
    }

    private func validate() throws {
        guard steps >= 1 else { throw EvaluationError.invalidInput(context: "Euler sampler", detail: "steps must be ≥ 1, got \(steps)") }
        guard epsilon >= 0, epsilon < 1 else { throw EvaluationError.invalidInput(context: "Euler sampler", detail: "epsilon must be in [0, 1), got \(epsilon)") }
    }

    private static func axpy(_ x: inout [Float], _ scale: Float, _ v: [Float]) throws {
        guard v.count == x.count else {
            throw EvaluationError.invalidInput(context: "Euler sampler", detail: "the velocity has \(v.count) values for a state of \(x.count)")
        }
        x.withUnsafeMutableBufferPointer { xs in
            v.withUnsafeBufferPointer { vs in
                for i in 0..<xs.count { xs[i] += scale * vs[i] }
            }
        }
    }
}

/// §5.2: SciPy RK45 over the whole batch as one float64 vector; each evaluation runs in float32.
public struct RK45Sampler: Sendable {
    public let solver: DormandPrince45
    public let epsilon: Float

    public init(rtol: Double = 1e-5, atol: Double = 1e-5, epsilon: Float = ImageSampler.epsilon) {
        self.solver = DormandPrince45(rtol: rtol, atol: atol)
        self.epsilon = epsilon
    }

    /// Integrates dx/dτ = û from τ = ε to τ = 1.
    public func sample(noise: [Float], velocity: ImageVelocity) throws -> SamplerOutput {
        let solution = try solver.integrate(from: Double(epsilon), to: 1, y0: noise.map(Double.init)) { tau, state in
            try velocity(state.map(Float.init), Float(tau)).map(Double.init)
        }
        return SamplerOutput(x: solution.y.map(Float.init), nfe: solution.nfe)
    }

    /// Integrates from τ = 1 (the image) down to τ = ε, then applies the straight-line correction
    /// x₀ = (x_ε − ε·x₁)/(1 − ε).
    public func invert(image: [Float], velocity: ImageVelocity) throws -> SamplerOutput {
        let solution = try solver.integrate(from: 1, to: Double(epsilon), y0: image.map(Double.init)) { tau, state in
            try velocity(state.map(Float.init), Float(tau)).map(Double.init)
        }
        let tauEnd = Double(epsilon)
        var noise = [Float](repeating: 0, count: image.count)
        noise.withUnsafeMutableBufferPointer { out in
            solution.y.withUnsafeBufferPointer { end in
                image.withUnsafeBufferPointer { x1 in
                    for i in 0..<out.count { out[i] = Float((end[i] - tauEnd * Double(x1[i])) / (1 - tauEnd)) }
                }
            }
        }
        return SamplerOutput(x: noise, nfe: solution.nfe)
    }
}
